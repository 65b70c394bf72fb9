#!/usr/bin/env bash
# One change to the shipped model's recipe, measured on val: prepares
# UTKFace and the CelebA crops (once per crop), trains with the recipe of
# scripts/lib/default-recipe.sh plus the given train options, evaluates on
# both val splits, and prints one row of the experiments table in
# models/MODEL_CARD.md. An interrupted run resumes when started again.
#
# Usage: scripts/recipe-experiment.sh NAME STEPS [--crop-scale S] [-- TRAIN OPTIONS...]
#   NAME    the run's folder under WORK_DIR
#   STEPS   training steps (the table compares runs of equal length)
#   --crop-scale S  prepare's aligned-crop scale (default: the core's)
# Example: scripts/recipe-experiment.sh age 3000 -- --age-weight 0.5
# Environment: FG_UTK (../shared/data/utkface), FG_CELEBA
# (../shared/data/celeba_gender_crops), FG_WORK (build/experiments),
# FG_THREADS (LibTorch threads, default 1: two experiments share 2 cores).
set -euo pipefail

FG_TOOL="recipe-experiment"
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source-path=SCRIPTDIR source=lib/default-recipe.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/default-recipe.sh"
cd "$FG_REPO"

[[ $# -ge 2 ]] || fg_die "usage: scripts/recipe-experiment.sh NAME STEPS [--crop-scale S] [-- TRAIN OPTIONS...]"
name="$1"
steps="$2"
shift 2
crop_scale=""
if [[ "${1:-}" == --crop-scale ]]; then
  crop_scale="${2:?--crop-scale needs a value}"
  shift 2
fi
[[ "${1:-}" == -- ]] && shift
work="${FG_WORK:-build/experiments}"
fg=build/native/native-trainer/facegender
[[ -x "$fg" ]] || fg_die "$fg missing: cmake --preset native && cmake --build --preset native"

data_dir="$work/data-crop-${crop_scale:-default}"
mkdir -p "$data_dir"
prepare_args=("${FG_PREPARE_ARGS[@]}")
[[ -n "$crop_scale" ]] && prepare_args+=(--crop-scale "$crop_scale")
for source in "${FG_UTK:-../shared/data/utkface}" "${FG_CELEBA:-../shared/data/celeba_gender_crops}"; do
  out="$data_dir/$(basename "$source").fgds"
  [[ -f "$source/labels.csv" ]] || fg_die "$source/labels.csv missing: see the Data section of README.md"
  [[ -f "$out" ]] && continue
  fg_say "prepare: $source -> $out"
  "$fg" prepare --labels "$source/labels.csv" "${prepare_args[@]}" --out "$out" >/dev/null
done
datasets=("$data_dir"/*.fgds)

# The change replaces the recipe's setting of an option it names (the trainer
# takes each option once); the recipe is option-value pairs.
recipe=()
for ((i = 0; i < ${#FG_TRAIN_ARGS[@]}; i += 2)); do
  option="${FG_TRAIN_ARGS[i]}"
  [[ " $* " == *" $option "* ]] || recipe+=("$option" "${FG_TRAIN_ARGS[i + 1]}")
done

run="$work/$name"
train_args=(train "${datasets[@]}" --out "$run" --steps "$steps" --threads "${FG_THREADS:-1}"
  "${recipe[@]}" "$@")
[[ -f "$run/last.json" ]] && train_args+=(--resume)
fg_say "train: $run ($steps steps${crop_scale:+, crop scale $crop_scale}${*:+, $*})"
"$fg" "${train_args[@]}"
for data in "${datasets[@]}"; do
  "$fg" eval "$run" --data "$data" --split val --out "$run/eval-$(basename "$data" .fgds)-val" >/dev/null
done
node scripts/lib/experiment-row.mjs "$run"
