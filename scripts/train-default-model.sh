#!/usr/bin/env bash
# Reproduces the shipped model, models/facegender.onnx, from the two labels
# files: prepare (BlazeFace keypoints, aligned crops, label corrections) ->
# train on both datasets -> calibrate on val -> eval on val and test ->
# export. The recipe is scripts/lib/default-recipe.sh; every setting is
# recorded in the model's metadata. An interrupted training run resumes.
#
# Usage: scripts/train-default-model.sh [UTKFACE_DIR] [CELEBA_DIR] [WORK_DIR]
#   UTKFACE_DIR  folder with UTKFace's labels.csv (default ../shared/data/utkface)
#   CELEBA_DIR   folder with the CelebA crops' labels.csv (default ../shared/data/celeba_gender_crops)
#   WORK_DIR     datasets, checkpoints, reports (default build/default-model)
# Needs the native build (scripts/test.sh or cmake --build --preset native).
# Environment: FG_STEPS (default 10000, as the shipped model), FG_THREADS (LibTorch threads, default 2).
set -euo pipefail

FG_TOOL="train-default-model"
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source-path=SCRIPTDIR source=lib/default-recipe.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/default-recipe.sh"
cd "$FG_REPO"

utk="${1:-../shared/data/utkface}"
celeba="${2:-../shared/data/celeba_gender_crops}"
work="${3:-build/default-model}"
fg=build/native/native-trainer/facegender
[[ -x "$fg" ]] || fg_die "$fg missing: cmake --preset native && cmake --build --preset native"
for data in "$utk" "$celeba"; do
  [[ -f "$data/labels.csv" ]] || fg_die "$data/labels.csv missing: see the Data section of README.md"
done
mkdir -p "$work"

prepare_args=("${FG_PREPARE_ARGS[@]}")
for name in utk celeba; do
  if [[ ! -f "$work/$name.fgds" ]]; then
    src="$utk"
    [[ "$name" == celeba ]] && src="$celeba"
    fg_say "prepare: faces from $src/labels.csv"
    "$fg" prepare --labels "$src/labels.csv" "${prepare_args[@]}" --out "$work/$name.fgds" \
      --report "$work/$name-report.json"
  fi
done

run="$work/compact"
train_args=(train "$work/utk.fgds" "$work/celeba.fgds" --out "$run" --steps "${FG_STEPS:-10000}"
  --threads "${FG_THREADS:-2}" "${FG_TRAIN_ARGS[@]}")
if [[ -f "$run/last.json" ]]; then
  fg_say "train: resuming $run"
  "$fg" "${train_args[@]}" --resume
else
  fg_say "train: compact on UTKFace + CelebA crops"
  "$fg" "${train_args[@]}"
fi

"$fg" calibrate "$run" --data "$work/utk.fgds" --data "$work/celeba.fgds"
for name in utk celeba; do
  for split in val test; do
    "$fg" eval "$run" --data "$work/$name.fgds" --split "$split" --out "$run/eval-$name-$split" >/dev/null
    fg_say "eval on $name $split: $run/eval-$name-$split/eval.md"
  done
done
"$fg" export "$run" --out models/facegender.onnx --check-photos .cache/test-photos/dlib-faces
# The inspector's twin: the same weights with every conv activation as an output.
"$fg" export "$run" --out models/facegender-features.onnx --feature-maps
fg_say "wrote models/facegender.onnx and models/facegender-features.onnx"
