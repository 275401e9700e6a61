#!/usr/bin/env bash
# test_experiment_sweeps.sh HD_BINARY — scripts/experiment.sh's guidance_sweep, imbalance
# and learning_curve settings at HD_BUDGET=tiny, run locally for one seed: every task trains and
# evaluates what the setting says (dropout for both networks of B, p_data per variant,
# each guidance weight, B's prior guided too, snapshots and a classifier per image size),
# and the summary has its rows and plots.
set -euo pipefail
hd_binary=$1
root="$(cd "$(dirname "$0")/../.." && pwd)"
work=$(mktemp -d /tmp/hd_sweeps_test.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAILED: $*"; exit 1; }
run() { HD_BINARY=$hd_binary HD_RUNS_DIR=$work HD_BUDGET=tiny "$root/scripts/experiment.sh" "$@" >"$work/log" 2>&1 ||
  { tail -n 5 "$work/log"; fail "experiment.sh $* exited non-zero"; }; }
has() { grep -qF -- "$2" "$1" || fail "$1 has no '$2'"; }

run guidance_sweep 0
out=$work/guidance_sweep_tiny
for row in "| A (flat) | animal | 1 |" "| A (flat), w = 1.5 | vehicle | 1 |" "| A (flat), w = 6 | animal | 1 |" \
           "| B (hierarchical), w = 6 | animal | 1 |" "| B (hierarchical), w = 1.5, prior w = 1.5 | vehicle | 1 |"; do
  has "$out/summary.md" "$row"
done
has "$out/summary.md" "17 metrics files" # A: 6 weights; B: the same 6, and 5 with its prior guided too
has "$out/seed0/evaluation/model_b_w3_prior/metrics.json" '"prior_guidance": 3.0'
has "$out/seed0/evaluation/model_b_w3_prior/metrics.json" '"prior_condition_dropout": 0.1'
has "$out/seed0/evaluation/model_a_w3/metrics.json" '"condition_dropout": 0.1'
for png in summary_quality_diversity.png summary_imbalance.png; do [ -s "$out/$png" ] || fail "no $out/$png"; done

run imbalance 0
out=$work/imbalance_tiny
has "$out/seed0/p0.9/evaluation/model_a_w3/metrics.json" '"dog": 0.9'
has "$out/seed0/p0.7/evaluation/model_b_w1/metrics.json" '"car": 0.7'
has "$out/summary.md" "| B (hierarchical), w = 3, prior w = 3, p_data dog=0.9,car=0.9 | animal | 1 |"
has "$out/summary.md" "| A (flat), p_data dog=0.7,car=0.7 | vehicle | 1 |"
[ -s "$out/summary_imbalance.png" ] || fail "no $out/summary_imbalance.png"
# p = 0.5 was copied from guidance_sweep (run above); trained afresh it must give the same figures.
has "$work/log" "model_a (p0.5) is guidance_sweep's: copied"
has "$work/log" "model_b_w3_prior (p0.5) evaluated by guidance_sweep: copied"
HD_BINARY=$hd_binary HD_RUNS_DIR=$work/fresh HD_BUDGET=tiny "$root/scripts/experiment.sh" --task 0 imbalance 0 >"$work/fresh.log" 2>&1 ||
  { tail -n 5 "$work/fresh.log"; fail "experiment.sh --task 0 imbalance 0 exited non-zero"; }
has "$work/fresh.log" "training model_a (flat), p0.5"
for w in w1 w3; do
  python3 - "$out/seed0/p0.5/evaluation/model_a_$w/metrics.json" "$work/fresh/imbalance_tiny/seed0/p0.5/evaluation/model_a_$w/metrics.json" <<'PY' ||
import json, sys
copied, fresh = (json.load(open(path)) for path in sys.argv[1:])
for run in copied, fresh:
    del run["classifier"]["cache"], run["checkpoint"], run["trained_seconds"]  # paths, wall time
sys.exit(0 if copied == fresh else 1)
PY
    fail "imbalance p0.5 trained afresh differs from guidance_sweep's ($w)"
done

run learning_curve 0
out=$work/learning_curve_tiny
[ -f "$out/seed0/s32/model_b_epoch1.safetensors" ] || fail "no snapshot of model B at epoch 1"
has "$out/seed0/s32/evaluation/model_b_epoch1/metrics.json" '"trained_steps": 2'
has "$out/seed0/s16/evaluation/model_a/metrics.json" '"image_size": 16'
has "$out/summary.md" "| A (flat), 16×16, 4 steps | animal | 1 |"
has "$out/summary.md" "| B (hierarchical), 32×32, 2 steps | vehicle | 1 |"
[ -f "$out/mode_classifier_s16.safetensors" ] && [ -f "$out/mode_classifier_s32.safetensors" ] ||
  fail "no evaluation classifier per image size"
[ -s "$out/summary_learning_curve.png" ] || fail "no $out/summary_learning_curve.png"
echo "PASSED: guidance_sweep (17 evaluations), imbalance (15, its p = 0.5 copied from guidance_sweep and equal to a fresh run) and learning_curve (8) at the tiny budget, with their summaries and plots"
