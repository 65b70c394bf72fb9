# Helpers to take files from Debian source packages: make sure apt has
# deb-src entries (derived from the machine's own deb entries, never a
# hard-coded host) and download a source package's orig tarball, checked
# against the hash in apt's signed source index. Source it after common.sh;
# it defines functions and changes nothing else.
# Used by scripts/fetch-test-photos.sh (dlib's example photos) and
# scripts/setup.sh (Dear ImGui's sources for the inspector).
# shellcheck shell=bash

# Where the derived deb-src entries go (.sources or .list is appended).
FG_SRC_ENTRY=/etc/apt/sources.list.d/facegender-src

# True when apt already has any deb-src entry, in either format.
fg_have_deb_src() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -r "$f" ]] && grep -Eq '^[[:space:]]*deb-src[[:space:]]' "$f" && return 0
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -r "$f" ]] && grep -Eiq '^Types:.*\bdeb-src\b' "$f" && return 0
  done
  return 1
}

# Adds deb-src entries mirroring the machine's own deb entries (same mirrors,
# suites, components and keys), so no host is ever written here.
fg_add_deb_src() {
  local deb822=/etc/apt/sources.list.d/debian.sources content
  if [[ -r "$deb822" ]] && grep -Eiq '^Types:[[:space:]]*deb[[:space:]]*$' "$deb822"; then
    content="$(sed -E 's/^Types:[[:space:]]*deb[[:space:]]*$/Types: deb-src/I' "$deb822")"
    fg_say "adding deb-src entries from $deb822 as $FG_SRC_ENTRY.sources"
    printf '%s\n' "$content" | fg_as_root tee "$FG_SRC_ENTRY.sources" >/dev/null
  elif [[ -r /etc/apt/sources.list ]] && grep -Eq '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list; then
    # One-line entries stay one-line, so they go to a .list file.
    content="$(sed -nE 's/^[[:space:]]*deb([[:space:]])/deb-src\1/p' /etc/apt/sources.list)"
    fg_say "adding deb-src entries from /etc/apt/sources.list as $FG_SRC_ENTRY.list"
    printf '%s\n' "$content" | fg_as_root tee "$FG_SRC_ENTRY.list" >/dev/null
  else
    fg_die "found no Debian deb entries in $deb822 or /etc/apt/sources.list to derive deb-src entries from"
  fi
}

# fg_ensure_source_package PACKAGE: apt knows the source package PACKAGE
# (adds deb-src entries and runs apt-get update only when needed).
fg_ensure_source_package() {
  local pkg="$1"
  if ! fg_have_deb_src; then
    fg_add_deb_src
    unset FG_APT_UPDATED # an earlier update did not know the new entries
    fg_apt_update_once
  elif ! apt-cache showsrc "$pkg" 2>/dev/null | grep -q "^Package: $pkg\$"; then
    fg_apt_update_once
  fi
  apt-cache showsrc "$pkg" 2>/dev/null | grep -q "^Package: $pkg\$" ||
    fg_die "apt knows no source package '$pkg' (check the deb-src entries in /etc/apt/sources.list.d/)"
}

# A package name as an extended regular expression matching just that name.
fg_ere_escape() {
  sed -E 's/[][\\.*^$+?(){}|/]/\\&/g' <<<"$1"
}

# fg_source_version PACKAGE: the version apt would fetch, e.g. 1.86+ds-1.
fg_source_version() {
  apt-get source --print-uris -qq "$1" 2>/dev/null |
    sed -nE "s/^'[^']*' $(fg_ere_escape "$1")_(.*)\.dsc [0-9]+ .*/\1/p" | head -n 1
}

# fg_upstream_version VERSION: 1.86+ds-1 -> 1.86 (no epoch, Debian revision
# or repack suffix such as +ds / +dfsg).
fg_upstream_version() {
  local v="${1#*:}"
  v="${v%-*}"
  printf '%s\n' "${v%%+*}"
}

# The orig tarball's "'URI' NAME SIZE SHA256:HASH" line from apt.
fg_orig_tarball_line() {
  apt-get source --print-uris -qq "$1" 2>/dev/null |
    grep -E "^'[^']*/$(fg_ere_escape "$1")_[^/']*\.orig\.tar\.[a-z0-9]+' " | head -n 1
}

# fg_download_orig_tarball PACKAGE: downloads just PACKAGE's orig tarball into
# the current folder, checked against the hash in apt's signed source index.
# When that cannot be done, falls back to `apt-get source --download-only`,
# whose extra component tarballs (orig-NAME.tar.*) are deleted at once.
# As root, apt downloads as its sandbox user _apt: run it in a folder that
# _apt may write (fg_apt_tmpdir makes one).
fg_download_orig_tarball() {
  local pkg="$1" line uri name hash
  line="$(fg_orig_tarball_line "$pkg" || true)"
  if [[ -n "$line" && -x /usr/lib/apt/apt-helper ]]; then
    read -r uri name _ hash <<<"$line"
    uri="${uri//\'/}"
    fg_say "downloading $name"
    if /usr/lib/apt/apt-helper download-file "$uri" "$PWD/$name" "$hash"; then
      return 0
    fi
    fg_say "direct download failed; using apt-get source instead"
    rm -f -- "$name"
  fi
  fg_say "apt-get source --download-only $pkg"
  apt-get source --download-only -q "$pkg"
  rm -f -- "$pkg"_*.orig-*.tar.*
}

# fg_apt_tmpdir: prints a new temporary folder that apt's _apt user may write.
fg_apt_tmpdir() {
  local dir
  dir="$(mktemp -d)"
  if [[ "$(id -u)" -eq 0 ]] && id _apt >/dev/null 2>&1; then
    chown _apt "$dir"
  fi
  printf '%s\n' "$dir"
}
