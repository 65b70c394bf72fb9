#!/usr/bin/env bash
# Installs what facegender needs on Debian 12: Debian packages, the web app's
# npm packages (web/package-lock.json), Dear ImGui's sources (.cache/imgui-*),
# then the test photos.
# Idempotent: anything already there is left alone, apt-get update runs only
# when something has to be installed, and `npm ci` only when web/node_modules
# is missing or web/package-lock.json changed since the last install.
#
#   scripts/setup.sh               everything: build, test and serve
#   scripts/setup.sh --serve-only  only what scripts/serve.sh needs
set -euo pipefail

FG_TOOL="setup"
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source-path=SCRIPTDIR source=lib/debsrc.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/debsrc.sh"

# Enough to build the WebAssembly core and serve it. The browser also needs
# OpenCV's Haar cascades (opencv-data) as JSON, which a small native tool
# built against OpenCV makes, so the native compiler and OpenCV are here too;
# npm installs ONNX Runtime Web for the page. The page's inspector is built
# from Dear ImGui's sources, taken from Debian's imgui source package (an .xz
# tarball).
SERVE_PACKAGES=(
  cmake g++ ninja-build pkg-config
  libopencv-dev opencv-data nlohmann-json3-dev libcli11-dev
  libflatbuffers-dev  # reads MediaPipe's BlazeFace .tflite files at build time
  emscripten nodejs npm xz-utils
)

# Everything: the above plus tests, benchmarks, formatting and the tools that
# fetch the test photos (apt-get source wants dpkg-dev; the tarball is bzip2).
ALL_PACKAGES=(
  "${SERVE_PACKAGES[@]}"
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  clang-format dpkg-dev bzip2
  chromium  # the browser test (tests/browser), driven by playwright-core from web/
  # The trainer: LibTorch (CPU), ONNX export, hashing, compression, head pose
  # (dlib's 68-landmark model), and PyTorch-Python for the training benchmark.
  libtorch-dev libonnx-dev libprotobuf-dev protobuf-compiler libssl-dev zlib1g-dev
  libdlib-dev libdlib-data python3-torch
  libjpeg-dev  # the tests write a CMYK JPEG, which OpenCV cannot
  # The fuzz preset (tests/fuzz): clang, its libFuzzer and sanitizer
  # runtimes, and llvm-symbolizer for the sanitizers' stack traces.
  clang libclang-rt-14-dev llvm
)

usage() {
  sed -n '2,10s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
}

check_platform() {
  if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-query >/dev/null 2>&1; then
    fg_die "this script needs apt-get and dpkg-query (Debian 12)"
  fi
  if [[ -r /etc/os-release ]] && ! grep -q '^VERSION_ID="12"' /etc/os-release; then
    fg_say "warning: written for Debian 12; $(. /etc/os-release && echo "${PRETTY_NAME:-this system}") may differ"
  fi
}

# Node.js: keep whichever node is on PATH as long as it runs. Debian's
# emscripten needs NODE_PATH=/usr/share/nodejs to find its modules.
check_toolchain() {
  local node_version emcc_version
  node_version="$(node --version 2>/dev/null)" || fg_die "node does not run"
  fg_say "node $node_version ($(command -v node))"
  emcc_version="$(NODE_PATH="$FG_NODE_PATH" emcc --version 2>/dev/null)" ||
    fg_die "emcc does not run (tried with NODE_PATH=$FG_NODE_PATH)"
  fg_say "emcc $(sed -n '1s/.* \([0-9][0-9.]*\) .*/\1/p' <<<"$emcc_version")"
}

# web/node_modules from web/package-lock.json (onnxruntime-web for the page,
# playwright-core for the browser test). `npm ci` runs only when node_modules
# is missing or the lock file differs from the one last installed (its hash is
# kept in node_modules). No install scripts run, and no browser is downloaded.
install_web_packages() {
  local web="$FG_REPO/web"
  local stamp="$web/node_modules/.facegender-lock.sha256"
  local lock_hash
  lock_hash="$(sha256sum "$web/package-lock.json" | cut -d' ' -f1)"
  if [[ -d "$web/node_modules" && -f "$stamp" && "$(cat "$stamp")" == "$lock_hash" ]]; then
    fg_say "web/node_modules matches web/package-lock.json"
    return 0
  fi
  if [[ -d "$web/node_modules" ]]; then
    fg_say "web/node_modules does not match web/package-lock.json: npm ci in web/"
  else
    fg_say "web/node_modules missing: npm ci in web/"
  fi
  (cd "$web" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --ignore-scripts --no-audit --no-fund) ||
    fg_die "npm ci in web/ failed (it needs the npm registry)"
  printf '%s\n' "$lock_hash" >"$stamp"
}

# Dear ImGui for the page's inspector (wasm-client/inspector), compiled with
# Emscripten. Debian's libimgui-dev ships the headers and a native static
# library, not the .cpp files a WebAssembly build needs, so they come from
# Debian's imgui source package: its orig tarball (checked against apt's
# signed index) is unpacked, without the examples, into .cache/imgui-VERSION/
# (git-ignored; wasm-client/inspector/CMakeLists.txt finds it there). Nothing
# happens when a complete copy is already there.
IMGUI_FILES=(imgui.cpp imgui_draw.cpp imgui_tables.cpp imgui_widgets.cpp imgui.h imconfig.h
  backends/imgui_impl_glfw.cpp backends/imgui_impl_opengl3.cpp LICENSE.txt)

imgui_complete() {
  local f
  [[ -f "$1/.facegender-source" ]] || return 1
  for f in "${IMGUI_FILES[@]}"; do
    [[ -f "$1/$f" ]] || return 1
  done
}

fetch_imgui_sources() {
  local dir version upstream tmp tarball dest
  for dir in "$FG_REPO"/.cache/imgui-*/; do
    if [[ -d "$dir" ]] && imgui_complete "$dir"; then
      fg_say "Dear ImGui sources present (${dir#"$FG_REPO/"}: $(head -n 1 "$dir/.facegender-source"))"
      return 0
    fi
  done
  fg_ensure_source_package imgui
  version="$(fg_source_version imgui)"
  [[ -n "$version" ]] || fg_die "apt gives no version for the imgui source package"
  upstream="$(fg_upstream_version "$version")"
  dest="$FG_REPO/.cache/imgui-$upstream"
  tmp="$(fg_apt_tmpdir)"
  # shellcheck disable=SC2064 # expand now: tmp is local
  trap "rm -rf -- '$tmp'" EXIT
  (cd "$tmp" && fg_download_orig_tarball imgui)
  tarball="$(find "$tmp" -maxdepth 1 -name 'imgui_*.orig.tar.*' | head -n 1)"
  [[ -n "$tarball" ]] || fg_die "no imgui orig tarball was downloaded"
  fg_say "unpacking $(basename "$tarball") into ${dest#"$FG_REPO/"}"
  # Fill a sibling folder, then rename, so a half-done run never looks done.
  rm -rf -- "$dest.partial"
  mkdir -p "$dest.partial"
  tar -xf "$tarball" -C "$dest.partial" --strip-components=1 --no-same-owner \
    --exclude='*/examples' --exclude='*/.github'
  printf 'imgui %s (Debian source package)\n%s  %s\n' "$version" \
    "$(sha256sum "$tarball" | cut -d' ' -f1)" "$(basename "$tarball")" >"$dest.partial/.facegender-source"
  imgui_complete "$dest.partial" ||
    fg_die "$(basename "$tarball") lacks some of: ${IMGUI_FILES[*]}"
  rm -rf -- "$dest"
  mv -- "$dest.partial" "$dest"
  rm -rf -- "$tmp"
  trap - EXIT
}

fetch_test_photos() {
  "$FG_REPO/scripts/fetch-test-photos.sh"
}

main() {
  local serve_only=0
  while (($#)); do
    case "$1" in
      --serve-only) serve_only=1 ;;
      -h | --help)
        usage
        return 0
        ;;
      *) fg_die "unknown argument '$1' (try --help)" ;;
    esac
    shift
  done

  check_platform
  if ((serve_only)); then
    fg_ensure_packages "${SERVE_PACKAGES[@]}"
    check_toolchain
    install_web_packages
    fetch_imgui_sources
  else
    fg_ensure_packages "${ALL_PACKAGES[@]}"
    check_toolchain
    install_web_packages
    fetch_imgui_sources
    fetch_test_photos
  fi
  fg_say "done"
}

main "$@"
