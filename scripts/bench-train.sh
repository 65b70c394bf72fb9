#!/usr/bin/env bash
# Training throughput, LibTorch C++ (bench_train) next to PyTorch-Python
# (bench_train.py) for the same networks, batch, threads and synthetic data.
# Debian's python3-torch lives in /usr/bin/python3 (not a pyenv python).
# Usage: scripts/bench-train.sh [THREADS] [STEPS] [BATCH]
set -euo pipefail

FG_TOOL="bench-train"
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$FG_REPO"

threads="${1:-2}"
steps="${2:-20}"
batch="${3:-64}"
bench=build/native/native-trainer/bench/bench_train
[[ -x "$bench" ]] || fg_die "$bench missing: cmake --preset native && cmake --build --preset native"
/usr/bin/python3 -c "import torch" 2>/dev/null || fg_die "PyTorch-Python missing: apt-get install python3-torch (scripts/setup.sh does)"

arch_json="$(mktemp --suffix=.json)"
trap 'rm -f "$arch_json"' EXIT
fg_say "batch $batch, $threads threads, $steps timed steps after 3 warm-up steps, $(nproc) CPUs"
printf '| network | framework | samples/s | s/step | parameters |\n|---|---|---:|---:|---:|\n'
for arch in compact seed2017; do
  "$bench" --arch "$arch" --print-architecture >"$arch_json"
  cpp="$("$bench" --arch "$arch" --batch "$batch" --steps "$steps" --threads "$threads")"
  py="$(/usr/bin/python3 native-trainer/bench/bench_train.py "$arch_json" --batch "$batch" --steps "$steps" --threads "$threads")"
  /usr/bin/python3 - "$cpp" "$py" <<'PY'
import json, sys
cpp, py = (json.loads(a) for a in sys.argv[1:3])
for r in (cpp, py):
    print(f"| {r['arch']} | {r['framework']} | {r['samples_per_s']:.1f} | {r['seconds_per_step']:.3f} | {r['parameters']:,} |")
print(f"| {cpp['arch']} | C++ / Python | {cpp['samples_per_s'] / py['samples_per_s']:.2f}x | | |")
PY
done
