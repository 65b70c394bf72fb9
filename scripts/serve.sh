#!/usr/bin/env bash
# Serves the facegender web app on http://127.0.0.1:8080 (PORT overrides).
# Installs what serving needs (setup.sh --serve-only), builds the WebAssembly
# core, copies web/ into build/web/ and serves that folder with serve.mjs.
# For now web/ holds a placeholder page; the browser app comes later.
set -euo pipefail

FG_TOOL="serve"
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$FG_REPO"

scripts/setup.sh --serve-only

# Configure once; the build itself is a no-op when nothing changed.
if [[ ! -f build/wasm/build.ninja ]]; then
  fg_say "configuring the wasm preset"
  NODE_PATH="$FG_NODE_PATH" cmake --preset wasm
fi
fg_say "building the wasm preset"
NODE_PATH="$FG_NODE_PATH" cmake --build --preset wasm

fg_say "copying web/ to build/web/"
rm -rf build/web
mkdir -p build/web
cp -R web/. build/web/
rm -f build/web/README.md

export PORT="${PORT:-8080}"
exec node scripts/serve.mjs build/web
