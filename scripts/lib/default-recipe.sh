# The shipped model's recipe, in one place: how its faces are cut (prepare)
# and how it is trained (train). scripts/train-default-model.sh runs it;
# scripts/recipe-experiment.sh runs it with one change. Source it.
# shellcheck shell=bash

# The aligned crop from BlazeFace's keypoints, as the page and classify cut
# faces for this model; 40 px faces are the smallest the CelebA crops hold.
# shellcheck disable=SC2034,SC2054 # used by the scripts that source this file; commas are one argument
FG_PREPARE_ARGS=(--label-column gender --classes male,female --detector blazeface --scene chip
  --crop aligned --min-face 40 --corrections models/label-corrections.csv)

# Everything but the data, the run folder, the steps and the threads; option-value
# pairs only (recipe-experiment.sh replaces a pair that an experiment names).
# shellcheck disable=SC2034
FG_TRAIN_ARGS=(--arch compact --batch 64 --lr 1e-3 --schedule cosine --warmup 100 --seed 1
  --weight-decay 5e-4 --norm-mean 0.5 --norm-std 0.5 --val-every 500 --checkpoint-every 250
  --loader-threads 1
  --rotate 8 --scale 0.08 --shift 0.05 --blur 0.25 --light 0.15 --gamma 0.25 --noise 0.03
  --label-smoothing 0.1 --ema 0.999 --balance 0.5)
