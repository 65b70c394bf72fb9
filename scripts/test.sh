#!/usr/bin/env bash
# Builds everything and runs every test: installs what is missing (setup.sh),
# builds the native and WebAssembly presets and the web app (build/web/, with
# models/facegender.onnx), then runs ctest on the native build (unit, OpenCV
# parity, WASM parity, trainer and browser tests). Exits non-zero on the first
# failure. Works from any folder.
set -euo pipefail

FG_TOOL="test"
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$FG_REPO"

START=$SECONDS
CURRENT_STEP=""

finish() {
  local rc=$?
  local total=$((SECONDS - START))
  if ((rc == 0)); then
    fg_say "all steps passed in ${total}s"
  else
    fg_say "FAILED at step '${CURRENT_STEP:-?}' (exit $rc) after ${total}s"
  fi
}
trap finish EXIT

# step NAME COMMAND...: runs one named step and reports how long it took.
step() {
  CURRENT_STEP="$1"
  shift
  local started=$SECONDS
  fg_say "==> $CURRENT_STEP"
  "$@"
  fg_say "<== $CURRENT_STEP ($((SECONDS - started))s)"
}

wasm() {
  NODE_PATH="$FG_NODE_PATH" "$@"
}

step "setup" scripts/setup.sh
step "configure native" cmake --preset native
step "build native" cmake --build --preset native
step "configure wasm" wasm cmake --preset wasm
step "build wasm" wasm cmake --build --preset wasm
step "build web" node web/build.mjs --out build/web
step "ctest native" ctest --preset native -j2
