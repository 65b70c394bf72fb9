#!/usr/bin/env bash
# Photos without a human face, for counting false faces (bench_detect
# --face-free): the example images of Debian's opencv-doc and python3-skimage
# packages (downloaded with apt-get download, not installed), minus the four
# that show a person (astronaut, camera, messi5, lena). Idempotent; writes
# .cache/face-free/ (git-ignored). About 120 images.
set -euo pipefail

FG_TOOL="fetch-face-free"
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

out="$FG_REPO/.cache/face-free"
if [[ -f "$out/.complete" ]]; then
  fg_say "$out is complete"
  exit 0
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download opencv-doc python3-skimage >/dev/null) ||
  fg_die "apt-get download opencv-doc python3-skimage failed (it needs Debian's package mirror)"
for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$work/x"; done
mkdir -p "$out"
cp "$work"/x/usr/share/doc/opencv-doc/examples/data/*.{jpg,png} "$out"/
cp "$work"/x/usr/lib/python3/dist-packages/skimage/data/*.{jpg,png} "$out"/
rm -f "$out"/astronaut.png "$out"/camera.png "$out"/messi5.jpg "$out"/lena*.jpg
touch "$out/.complete"
fg_say "$(find "$out" -type f -not -name .complete | wc -l) face-free images in $out"
