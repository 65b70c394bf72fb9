#!/usr/bin/env bash
# Prints the shared core's per-frame timings on a 640x480 frame: natively
# (with OpenCV's detector alongside) and as WebAssembly under node. Expects
# both presets built (scripts/test.sh builds them) and the test photos
# fetched. Usage: scripts/bench.sh [PHOTO.jpg] [RUNS]
set -euo pipefail

FG_TOOL="bench"
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$FG_REPO"

photo="${1:-.cache/test-photos/dlib-faces/2008_002470.jpg}"
runs="${2:-30}"
native=build/native/shared/bench/bench_core
wasm=build/wasm/shared/bench/bench_core.js
[[ -x "$native" ]] || fg_die "$native missing: cmake --preset native && cmake --build --preset native"
[[ -f "$wasm" ]] || fg_die "$wasm missing: cmake --preset wasm && cmake --build --preset wasm"
[[ -f "$photo" ]] || fg_die "$photo missing: scripts/fetch-test-photos.sh"

frame="$(mktemp --suffix=.rgba)"
trap 'rm -f "$frame"' EXIT
fg_say "photo $photo scaled to 640x480; $(nproc) CPUs; $(node --version) for WASM"
"$native" --photo "$photo" --cascades build/native/cascades --frame-out "$frame" --runs "$runs"
NODE_PATH="$FG_NODE_PATH" node --no-experimental-fetch "$wasm" --frame "$frame" --cascades build/native/cascades --runs "$runs" | tail -n +3
