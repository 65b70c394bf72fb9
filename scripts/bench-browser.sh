#!/usr/bin/env bash
# Frame-rate benchmark of the browser app in Debian's headless Chromium:
# builds the site (build/bench-web, the bundled model) and runs
# web/bench/frame-rate.mjs, which prints median and p95 ms per stage, frames
# per second, load times and downloaded bytes, for WebAssembly and WebGPU
# (SwiftShader, a software GPU, when the machine has none), 1 and 3 faces.
# Expects both presets built (scripts/test.sh builds them) and the test
# photos fetched. Extra arguments go to frame-rate.mjs, e.g.
#   scripts/bench-browser.sh --seconds 20 --backends wasm --threads 1,2
set -euo pipefail

FG_TOOL="bench-browser"
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$FG_REPO"

site=build/bench-web
node web/build.mjs --out "$site" >/dev/null
fg_say "$(nproc) CPUs, $(/usr/bin/chromium --version 2>/dev/null || echo 'no chromium')"
node web/bench/frame-rate.mjs --site "$site" "$@"
