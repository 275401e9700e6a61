#!/usr/bin/env bash
# experiment.sh [--slurm] SETTING [SEEDS…] — the README's experiment tables: train models
# A and B once per seed, evaluate each with many samples, and summarise the mean and spread
# over the seeds.
#
#   SETTING  demo     the demo's defaults: 32×32, 32 epochs of 6,400 images (6,400 steps)
#            handout  the handout's command: 64×64, `hd train --epochs 50` (50 epochs of
#                     hd train's default 1,024 images: 1,600 steps)
#            guidance model A only, at the demo's budget, trained with condition dropout 0.1
#                     (classifier-free guidance), sampled with guidance weights 1, 2 and 4
#            tiny     seconds-long runs of tiny models (what the tests submit)
#   SEEDS    training seeds (default: 0 1 2)
#
# The work is a list of tasks, one per (seed, model): a task trains its model (unless its
# checkpoint exists) and evaluates it at each guidance weight of the setting. Run locally,
# the tasks run one after another, then the summary. With --slurm they are submitted to a
# Slurm cluster instead: task 0 first (it trains the setting's evaluation classifier,
# which every later task reads from its cache — one classifier, whatever the node), then
# the other tasks as a job array, then the summary as a job that waits for all of them.
# Every path is under runs/<setting>/ of this tree (or $HD_RUNS_DIR), which the nodes must share. sbatch
# takes the cluster's own settings from SBATCH_* variables (SBATCH_PARTITION,
# SBATCH_TIMELIMIT, …); HD_SLURM_CPUS sets the cores per task (default 2).
#
#   experiment.sh --task K SETTING [SEEDS…]       one task (what each Slurm job runs)
#   experiment.sh --summarize SETTING [SEEDS…]    the summary of tasks already run
#
# Writes runs/<setting>/seed<s>/{model_a,model_b}.safetensors, their evaluations
# (256 samples per z2) and runs/<setting>/summary.md. Expects a built tree
# (scripts/demo.sh or scripts/test.sh builds one).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
hd="${HD_BINARY:-$root/build/apps/hd}"     # the tests point these at their own build and folder
runs="${HD_RUNS_DIR:-$root/runs}"
self="$root/scripts/experiment.sh"

mode=local task=""
case "${1:-}" in
  --slurm) mode=slurm; shift ;;
  --task) mode=task; task="${2:-}"; shift 2 || true ;;
  --summarize) mode=summarize; shift ;;
esac
[ -x "$hd" ] || { echo "experiment.sh: build first (scripts/demo.sh or scripts/test.sh)" >&2; exit 2; }

setting="${1:-}"
models=(flat hierarchical)
weights=(1)
samples=256
evaluate_flags=()
case "$setting" in
  demo) train_flags=(--image_size 32 --epochs 32 --epoch_size 6400) ;;
  handout) train_flags=(--image_size 64 --epochs 50) ;;
  guidance) train_flags=(--image_size 32 --epochs 32 --epoch_size 6400 --cond_dropout 0.1); models=(flat); weights=(1 2 4) ;;
  tiny)
    train_flags=(--image_size 16 --base_channels 8 --embedding_dim 16 --timesteps 50 --epochs 1 --epoch_size 32 --batch_size 16)
    samples=3
    evaluate_flags=(--ddim_steps 3 --classifier_steps 5) ;;
  *) echo "experiment.sh: unknown setting '${setting}' (valid: demo, handout, guidance, tiny)" >&2; exit 2 ;;
esac
shift
seeds=("$@")
[ ${#seeds[@]} -gt 0 ] || seeds=(0 1 2)
for seed in "${seeds[@]}"; do
  [[ $seed =~ ^[0-9]+$ ]] || { echo "experiment.sh: seed '$seed' is not a whole number" >&2; exit 2; }
done
tasks=$((${#seeds[@]} * ${#models[@]}))
export GOMP_SPINCOUNT="${GOMP_SPINCOUNT:-10000}"
out="$runs/$setting"
mkdir -p "$out"

# Evaluations and summaries are named by guidance weight only when a setting has several.
suffix() { [ ${#weights[@]} -gt 1 ] && echo "_w$1" || true; }
checkpoint_name() { [ "$1" = flat ] && echo model_a || echo model_b; }

run_task() {
  local k=$1
  [[ $k =~ ^[0-9]+$ ]] && [ "$k" -lt "$tasks" ] ||
    { echo "experiment.sh: task '$k' does not exist (valid: 0 … $((tasks - 1)))" >&2; exit 2; }
  local seed=${seeds[$((k / ${#models[@]}))]} model=${models[$((k % ${#models[@]}))]}
  local name checkpoint
  name=$(checkpoint_name "$model")
  checkpoint="$out/seed$seed/$name.safetensors"
  if [ ! -f "$checkpoint" ]; then
    echo "== task $k: seed $seed, training $name ($model)"
    "$hd" train --model "$model" "${train_flags[@]}" --seed "$seed" --output "$checkpoint" --quiet
  fi
  for w in "${weights[@]}"; do
    echo "== task $k: seed $seed, evaluating $name (guidance weight $w)"
    # One evaluation classifier for every run of a setting (trained once, then cached).
    "$hd" evaluate --model_path "$checkpoint" --num_samples "$samples" --quiet --guidance "$w" "${evaluate_flags[@]}" \
      --classifier_cache "$out/mode_classifier.safetensors" --output_dir "$out/seed$seed/evaluation/$name$(suffix "$w")"
  done
}

summarize() {
  for w in "${weights[@]}"; do
    local files=() summary
    for seed in "${seeds[@]}"; do
      for model in "${models[@]}"; do
        files+=("$out/seed$seed/evaluation/$(checkpoint_name "$model")$(suffix "$w")/metrics.json")
      done
    done
    summary="$out/summary$(suffix "$w").md"
    "$hd" summarize "${files[@]}" --output "$summary"
    echo "== wrote $summary"
  done
}

case $mode in
  task) run_task "$task" ;;
  summarize) summarize ;;
  local)
    for ((k = 0; k < tasks; k++)); do run_task $k; done
    summarize ;;
  slurm)
    command -v sbatch >/dev/null || { echo "experiment.sh: --slurm needs sbatch (Debian: slurm-client)" >&2; exit 2; }
    logs="$out/slurm"
    mkdir -p "$logs"
    cpus=${HD_SLURM_CPUS:-2}
    array=""
    submit() { sbatch --parsable --cpus-per-task="$cpus" --job-name="hd-$setting" "$@"; }
    # OMP_NUM_THREADS follows the cores Slurm gave the task.
    run='export OMP_NUM_THREADS=${SLURM_CPUS_PER_TASK:-1};'
    first=$(submit --output="$logs/task_0.log" --wrap "$run exec '$self' --task 0 $setting ${seeds[*]}")
    dependency=afterok:$first
    if [ "$tasks" -gt 1 ]; then
      array=$(submit --dependency="$dependency" --array=1-$((tasks - 1)) --output="$logs/task_%a.log" \
        --wrap "$run exec '$self' --task \$SLURM_ARRAY_TASK_ID $setting ${seeds[*]}")
      dependency=afterok:$array
    fi
    summary=$(submit --dependency="$dependency" --output="$logs/summary.log" --wrap "exec '$self' --summarize $setting ${seeds[*]}")
    echo "experiment.sh: submitted $tasks tasks (jobs $first${array:+, array $array}) and the summary (job $summary)"
    echo "  logs in $logs; the summary lands in $out/summary$(suffix "${weights[0]}").md; watch with: squeue -j $summary"
    ;;
esac
