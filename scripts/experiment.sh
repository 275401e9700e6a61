#!/usr/bin/env bash
# experiment.sh SETTING [SEEDS…] — the README's experiment table: train models A and B
# with one seed after another, evaluate each with many samples, and summarise the mean
# and spread over the seeds.
#
#   SETTING  demo     the demo's defaults: 32×32, 32 epochs of 6,400 images (6,400 steps)
#            handout  the handout's command: 64×64, `hd train --epochs 50` (50 epochs of
#                     hd train's default 1,024 images: 1,600 steps)
#            guidance model A only, at the demo's budget, trained with condition dropout 0.1
#                     (classifier-free guidance), sampled with guidance weights 1, 2 and 4
#   SEEDS    training seeds (default: 0 1 2)
#
# Writes runs/<setting>/seed<s>/{model_a,model_b}.safetensors, their evaluations
# (256 samples per z2) and runs/<setting>/summary.md. Runs already trained are evaluated
# again, not retrained. Expects a built tree (scripts/demo.sh or scripts/test.sh builds one).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
hd="$root/build/apps/hd"
[ -x "$hd" ] || { echo "experiment.sh: build first (scripts/demo.sh or scripts/test.sh)" >&2; exit 2; }

setting="${1:-}"
case "$setting" in
  demo) flags=(--image_size 32 --epochs 32 --epoch_size 6400) ;;
  handout) flags=(--image_size 64 --epochs 50) ;;
  guidance) flags=(--image_size 32 --epochs 32 --epoch_size 6400 --cond_dropout 0.1) ;;
  *) echo "experiment.sh: unknown setting '${setting}' (valid: demo, handout, guidance)" >&2; exit 2 ;;
esac
shift
seeds=("$@")
[ ${#seeds[@]} -gt 0 ] || seeds=(0 1 2)
samples=256
export GOMP_SPINCOUNT="${GOMP_SPINCOUNT:-10000}"

out="$root/runs/$setting"
mkdir -p "$out"
models=(flat hierarchical)
weights=(1)
suffix() { :; }  # names of per-weight evaluations and summaries: only with several weights
if [ "$setting" = guidance ]; then models=(flat); weights=(1 2 4); suffix() { echo "_w$1"; }; fi
declare -A metrics
for seed in "${seeds[@]}"; do
  dir="$out/seed$seed"
  for model in "${models[@]}"; do
    name=$([ "$model" = flat ] && echo model_a || echo model_b)
    checkpoint="$dir/$name.safetensors"
    if [ ! -f "$checkpoint" ]; then
      echo "== seed $seed: training $name ($model)"
      "$hd" train --model "$model" "${flags[@]}" --seed "$seed" --output "$checkpoint"
    fi
    for w in "${weights[@]}"; do
      evaluation="$dir/evaluation/$name$(suffix "$w")"
      echo "== seed $seed: evaluating $name (guidance weight $w)"
      # One evaluation classifier for every run of a setting (trained once, then cached).
      "$hd" evaluate --model_path "$checkpoint" --num_samples "$samples" --quiet --guidance "$w" \
        --classifier_cache "$out/mode_classifier.safetensors" --output_dir "$evaluation"
      metrics[$w]="${metrics[$w]:-} $evaluation/metrics.json"
    done
  done
done
for w in "${weights[@]}"; do
  summary="$out/summary$(suffix "$w").md"
  # shellcheck disable=SC2086  # the list of metrics files, split on spaces on purpose
  "$hd" summarize ${metrics[$w]} --output "$summary"
  echo "== wrote $summary"
done
