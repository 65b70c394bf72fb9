#!/usr/bin/env bash
# Reproduces the shipped model, models/facegender.onnx, from UTKFace's
# labels.csv: prepare -> train (compact) -> eval on val and test -> export.
# Every hyper-parameter is on the command lines below and is recorded in the
# model's metadata. Resumes an interrupted training run.
#
# Usage: scripts/train-default-model.sh [UTKFACE_DIR] [WORK_DIR]
#   UTKFACE_DIR  folder with labels.csv (default ../shared/data/utkface)
#   WORK_DIR     dataset, checkpoints, reports (default build/default-model)
# Needs the native build (scripts/test.sh or cmake --build --preset native).
set -euo pipefail

FG_TOOL="train-default-model"
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$FG_REPO"

data="${1:-../shared/data/utkface}"
work="${2:-build/default-model}"
fg=build/native/native-trainer/facegender
[[ -x "$fg" ]] || fg_die "$fg missing: cmake --preset native && cmake --build --preset native"
[[ -f "$data/labels.csv" ]] || fg_die "$data/labels.csv missing: see the Data section of README.md"
mkdir -p "$work"

if [[ ! -f "$work/utk.fgds" ]]; then
  fg_say "prepare: faces from $data/labels.csv"
  "$fg" prepare --labels "$data/labels.csv" --label-column gender --classes male,female \
    --pad 0.25 --margin 0.2 --min-face 100 --out "$work/utk.fgds" --report "$work/prepare-report.json"
fi

run="$work/compact"
# One LibTorch thread and one loader thread, as the shipped run: other thread
# counts sum in another order and end a few ulps away.
train_args=(train "$work/utk.fgds" --out "$run" --arch compact --steps 12000 --batch 64 --lr 1e-3
  --schedule cosine --warmup 100 --seed 1 --norm-mean 0.5 --norm-std 0.5 --val-every 1000
  --checkpoint-every 250 --threads 1 --loader-threads 1 --weight-decay 5e-4)
if [[ -f "$run/last.json" ]]; then
  fg_say "train: resuming $run"
  "$fg" "${train_args[@]}" --resume
else
  fg_say "train: compact, 12000 steps"
  "$fg" "${train_args[@]}"
fi

for split in val test; do
  "$fg" eval "$run" --data "$work/utk.fgds" --split "$split" --out "$run/eval-$split" >/dev/null
  fg_say "eval on $split: $run/eval-$split/eval.md"
done
"$fg" export "$run" --out models/facegender.onnx --check-photos .cache/test-photos/dlib-faces
# The inspector's twin: the same weights with every conv activation as an output.
"$fg" export "$run" --out models/facegender-features.onnx --feature-maps
fg_say "wrote models/facegender.onnx and models/facegender-features.onnx"
