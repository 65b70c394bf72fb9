#!/usr/bin/env bash
# Serves the facegender web app on http://127.0.0.1:8080 (PORT overrides).
# Installs what serving needs (setup.sh --serve-only: Debian packages and the
# page's npm packages), builds the face cascades as JSON and the face
# detector's networks (native), the WebAssembly core and the site
# (web/build.mjs -> build/web/), then serves build/web with serve.mjs. The model is models/facegender.onnx
# (FACEGENDER_MODEL=FILE to serve another).
set -euo pipefail

FG_TOOL="serve"
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$FG_REPO"

scripts/setup.sh --serve-only

# The cascades and BlazeFace's networks: from the native build when there is
# one, else from a small native build of only the converters (no trainer,
# tests or benchmarks, so the serve-only packages are enough). Configured
# once; later builds are no-ops.
if [[ -f build/native/build.ninja ]]; then
  cascade_build=build/native
else
  cascade_build=build/serve-native
  if [[ ! -f "$cascade_build/build.ninja" ]]; then
    fg_say "configuring $cascade_build (the model converters only)"
    cmake -S . -B "$cascade_build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DFACEGENDER_BUILD_TRAINER=OFF -DFACEGENDER_BUILD_TESTS=OFF -DFACEGENDER_BUILD_BENCH=OFF
  fi
fi
fg_say "building the cascades and the face detector's networks ($cascade_build)"
cmake --build "$cascade_build" --target facegender_cascades facegender_detectors

if [[ ! -f build/wasm/build.ninja ]]; then
  fg_say "configuring the wasm preset"
  NODE_PATH="$FG_NODE_PATH" cmake --preset wasm
fi
fg_say "building the wasm preset"
NODE_PATH="$FG_NODE_PATH" cmake --build --preset wasm

fg_say "building the site into build/web/"
node web/build.mjs --out build/web --cascades "$cascade_build/cascades" \
  --model "${FACEGENDER_MODEL:-models/facegender.onnx}"

export PORT="${PORT:-8080}"
exec node scripts/serve.mjs build/web
