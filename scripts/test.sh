#!/usr/bin/env bash
# Builds everything and runs every test: installs what is missing (setup.sh),
# builds the native and WebAssembly presets and the web app (build/web/, with
# models/facegender.onnx), then runs ctest on the native build (unit, OpenCV
# parity, WASM parity, trainer and browser tests), the unit, parity, trainer
# and model tests again under AddressSanitizer + UBSan (the asan preset), and
# every fuzz target for 10 s (scripts/fuzz.sh --smoke). Exits non-zero on the
# first failure. Works from any folder.
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
# The sanitizer build: its preset sets ASAN_OPTIONS, LSAN_OPTIONS and
# UBSAN_OPTIONS (tests/sanitizers/ has the suppressions) for the build's test
# discovery and for ctest, and picks the labels unit|parity|trainer|model.
step "configure asan" cmake --preset asan
step "build asan" cmake --build --preset asan
step "ctest asan" ctest --preset asan
step "fuzz smoke" scripts/fuzz.sh --smoke
