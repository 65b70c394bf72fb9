#!/usr/bin/env bash
# Fetches the face photos that ship with the dlib sources (examples/faces/*.jpg)
# from the Debian source package into .cache/test-photos/dlib-faces/ (flat).
# The tests use them as real photos with faces. Nothing happens when the folder
# already holds them. Needs root (it may add a deb-src entry to apt's sources).
set -euo pipefail

FG_TOOL="fetch-test-photos"
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source-path=SCRIPTDIR source=lib/debsrc.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/debsrc.sh"

DEST="$FG_REPO/.cache/test-photos/dlib-faces"

TMP=""

photo_count() {
  local photos
  shopt -s nullglob
  photos=("$1"/*.jpg)
  shopt -u nullglob
  echo "${#photos[@]}"
}

main() {
  local have tarball
  have="$(photo_count "$DEST")"
  if ((have > 0)); then
    fg_say "test photos already present ($have in ${DEST#"$FG_REPO/"})"
    return 0
  fi

  fg_ensure_source_package dlib
  TMP="$(fg_apt_tmpdir)"
  trap 'rm -rf -- "$TMP"' EXIT
  # Just the orig tarball (about 9 MB), not the ~200 MB models tarball.
  (cd "$TMP" && fg_download_orig_tarball dlib)

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
