#!/usr/bin/env bash
# Fetches the face photos that ship with the dlib sources (examples/faces/*.jpg)
# from the Debian source package into .cache/test-photos/dlib-faces/ (flat).
# The tests use them as real photos with faces. Nothing happens when the folder
# already holds them. Needs root (it may add a deb-src entry to apt's sources).
set -euo pipefail

FG_TOOL="fetch-test-photos"
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

DEST="$FG_REPO/.cache/test-photos/dlib-faces"
SRC_ENTRY=/etc/apt/sources.list.d/facegender-src

TMP=""

photo_count() {
  local photos
  shopt -s nullglob
  photos=("$1"/*.jpg)
  shopt -u nullglob
  echo "${#photos[@]}"
}

# True when apt already has any deb-src entry, in either format.
have_deb_src() {
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
add_deb_src() {
  local deb822=/etc/apt/sources.list.d/debian.sources content
  if [[ -r "$deb822" ]] && grep -Eiq '^Types:[[:space:]]*deb[[:space:]]*$' "$deb822"; then
    content="$(sed -E 's/^Types:[[:space:]]*deb[[:space:]]*$/Types: deb-src/I' "$deb822")"
    fg_say "adding deb-src entries from $deb822 as $SRC_ENTRY.sources"
    printf '%s\n' "$content" | fg_as_root tee "$SRC_ENTRY.sources" >/dev/null
  elif [[ -r /etc/apt/sources.list ]] && grep -Eq '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list; then
    # One-line entries stay one-line, so they go to a .list file.
    content="$(sed -nE 's/^[[:space:]]*deb([[:space:]])/deb-src\1/p' /etc/apt/sources.list)"
    fg_say "adding deb-src entries from /etc/apt/sources.list as $SRC_ENTRY.list"
    printf '%s\n' "$content" | fg_as_root tee "$SRC_ENTRY.list" >/dev/null
  else
    fg_die "found no Debian deb entries in $deb822 or /etc/apt/sources.list to derive deb-src entries from"
  fi
}

# The orig tarball's "'URI' NAME SIZE SHA256:HASH" line from apt.
orig_tarball_line() {
  apt-get source --print-uris -qq dlib 2>/dev/null |
    grep -E "^'[^']*/dlib_[^/']*\.orig\.tar\.[a-z0-9]+' " | head -n 1
}

# Downloads just the dlib orig tarball (about 9 MB) into the current folder,
# checked against the hash in apt's signed source index. When that cannot be
# done, falls back to `apt-get source --download-only`, which also fetches the
# ~200 MB models tarball; that one is deleted at once.
download_orig_tarball() {
  local line uri name hash
  line="$(orig_tarball_line || true)"
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
  fg_say "apt-get source --download-only dlib"
  apt-get source --download-only -q dlib
  rm -f -- dlib_*.orig-*.tar.*
}

main() {
  local have tarball
  have="$(photo_count "$DEST")"
  if ((have > 0)); then
    fg_say "test photos already present ($have in ${DEST#"$FG_REPO/"})"
    return 0
  fi

  if ! have_deb_src; then
    add_deb_src
    unset FG_APT_UPDATED # an earlier update did not know the new entries
    fg_apt_update_once
  elif ! apt-cache showsrc dlib 2>/dev/null | grep -q '^Package: dlib$'; then
    fg_apt_update_once
  fi

  TMP="$(mktemp -d)"
  trap 'rm -rf -- "$TMP"' EXIT
  # As root, apt downloads as its sandbox user _apt, which must own the folder.
  if [[ "$(id -u)" -eq 0 ]] && id _apt >/dev/null 2>&1; then
    chown _apt "$TMP"
  fi
  (cd "$TMP" && download_orig_tarball)

  tarball="$(find "$TMP" -maxdepth 1 -name 'dlib_*.orig.tar.*' | head -n 1)"
  [[ -n "$tarball" ]] || fg_die "no dlib orig tarball was downloaded"
  fg_say "extracting examples/faces/*.jpg from $(basename "$tarball")"
  mkdir -p "$TMP/x"
  tar -xf "$tarball" -C "$TMP/x" --wildcards --no-anchored '*/examples/faces/*.jpg'

  # Fill a sibling folder, then rename, so a half-done run never looks done.
  mkdir -p "$(dirname "$DEST")"
  rm -rf -- "$DEST.partial"
  mkdir "$DEST.partial"
  find "$TMP/x" -type f -path '*/examples/faces/*.jpg' -exec cp -- {} "$DEST.partial/" \;
  chmod 0644 "$DEST.partial"/*.jpg
  have="$(photo_count "$DEST.partial")"
  ((have > 0)) || fg_die "the tarball held no examples/faces/*.jpg"
  rm -rf -- "$DEST"
  mv -- "$DEST.partial" "$DEST"
  fg_say "fetched $have test photos into ${DEST#"$FG_REPO/"}:"
  local photo
  for photo in "$DEST"/*.jpg; do
    echo "  ${photo##*/}"
  done
}

main "$@"
