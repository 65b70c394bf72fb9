# Shared helpers for the facegender scripts. Source it; it defines functions
# and FG_REPO (the repository root) and changes nothing else.
# shellcheck shell=bash

# shellcheck disable=SC2034 # used by the scripts that source this file
FG_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# Debian's emscripten finds its JavaScript dependencies (acorn, ...) here.
# shellcheck disable=SC2034
FG_NODE_PATH=/usr/share/nodejs

# The script's name in progress lines; each script sets its own.
FG_TOOL="${FG_TOOL:-facegender}"

# One line of progress: "facegender TOOL: MESSAGE".
fg_say() {
  printf 'facegender %s: %s\n' "$FG_TOOL" "$*"
}

fg_die() {
  printf 'facegender %s: error: %s\n' "$FG_TOOL" "$*" >&2
  exit 1
}

# Runs a command as root: directly when we are root, through sudo otherwise.
fg_as_root() {
  if [[ "$(id -u)" -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    fg_die "'$*' needs root; run this script as root (sudo is not available)"
  fi
}

# True when dpkg says the package is installed.
fg_pkg_installed() {
  [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" == installed ]]
}

# `apt-get update`, at most once per process tree.
fg_apt_update_once() {
  if [[ -z "${FG_APT_UPDATED:-}" ]]; then
    fg_say "apt-get update"
    fg_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
    FG_APT_UPDATED=1
    export FG_APT_UPDATED
  fi
}

# A package counts as present when dpkg has it installed, or, for the Node.js
# tools, when a working command already stands in for it: a node from another
# source (e.g. NodeSource's nodejs, which bundles npm and conflicts with
# Debian's npm package) is kept as it is.
fg_pkg_present() {
  local pkg="$1"
  fg_pkg_installed "$pkg" && return 0
  case "$pkg" in
    nodejs) command -v node >/dev/null 2>&1 && node --version >/dev/null 2>&1 ;;
    npm) command -v npm >/dev/null 2>&1 && npm --version >/dev/null 2>&1 ;;
    *) return 1 ;;
  esac
}

# fg_ensure_packages PKG...: installs with apt-get whatever is missing.
fg_ensure_packages() {
  local pkg missing=()
  for pkg in "$@"; do
    if fg_pkg_present "$pkg"; then
      fg_say "$pkg already present"
    else
      missing+=("$pkg")
    fi
  done
  if ((${#missing[@]} == 0)); then
    return 0
  fi
  fg_apt_update_once
  for pkg in "${missing[@]}"; do
    fg_say "installing $pkg"
  done
  fg_as_root env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${missing[@]}"
}
