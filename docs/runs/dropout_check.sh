#!/usr/bin/env bash
# Does condition dropout cost the demo's model B? seed 0, demo budget, current code:
# no dropout (experiment.sh demo task 1), decoder dropout only, both at 0.05.
set -uo pipefail
cd "$(dirname "$0")/../.."
export HD_BINARY="${HD_BINARY:-$PWD/build/apps/hd}" GOMP_SPINCOUNT=10000
hd=$HD_BINARY
out=runs/dropout_check
mkdir -p $out
echo "#### baseline (no dropout) $(date -u +%T)"
scripts/experiment.sh --task 1 demo 0
budget="--image_size 32 --no-colour_path --epochs 32 --epoch_size 6400 --seed 0 --quiet"
for variant in "decoder_only:--cond_dropout 0.1" "both_0.05:--cond_dropout 0.05 --prior_cond_dropout 0.05"; do
  name=${variant%%:*}; flags=${variant#*:}
  echo "#### $name ($flags) $(date -u +%T)"
  mkdir -p $out/$name
  $hd train --model hierarchical $budget $flags --output $out/$name/model_b.safetensors
  $hd evaluate --model_path $out/$name/model_b.safetensors --num_samples 256 --quiet \
     --classifier_cache runs/demo/mode_classifier.safetensors --output_dir $out/$name/evaluation/model_b_w1
done
echo "#### done $(date -u +%T)"
mkdir -p docs/runs/dropout_check
cp runs/demo/seed0/evaluation/model_b/metrics.json docs/runs/dropout_check/no_dropout_metrics.json 2>/dev/null || cp runs/demo/seed0/evaluation/*/metrics.json docs/runs/dropout_check/
for name in decoder_only both_0.05; do cp $out/$name/evaluation/model_b_w1/metrics.json docs/runs/dropout_check/${name}_metrics.json; done
