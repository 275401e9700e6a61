#!/usr/bin/env bash
# experiment.sh [--slurm] SETTING [SEEDS…] — the README's experiment tables: train models
# A and B once per seed, evaluate each with many samples, and summarise the mean and spread
# over the seeds.
#
#   SETTING  demo     the demo's defaults: 32×32 (3-level UNet, no colour path), 32 epochs of 6,400 images (6,400 steps)
#            handout  the handout's command: `hd train --epochs 50` with every default
#                     (64×64, 50 epochs of 6,144 images: 9,600 steps)
#            guidance A and B at the demo's budget, trained with condition dropout 0.1 and
#                     sampled as guidance_sweep below: the demo's guidance sweep over
#                     seeds, and (at w = 1) whether dropout costs the demo's unguided models
#            guidance_sweep  A and B at the handout's budget (64×64, 50 epochs), trained with condition dropout
#                     0.1 (B: its decoder and its prior), sampled with guidance weight
#                     w = 1, 1.5, 2, 3, 4, 6 on A's denoiser and B's decoder, and B also
#                     with its prior guided by the same w
#            imbalance  A and B at the handout's budget with p(dog|animal) = p(car|vehicle)
#                     = 0.5, 0.7, 0.9 (one training each), trained with condition dropout
#                     0.1 as above, sampled unguided and at w = 3 (B also with its prior
#                     at w = 3); p = 0.5 is guidance_sweep's training and evaluations, so
#                     they are copied from runs/guidance_sweep/ when that has them
#            imbalance_demo  the same at the demo's budget (as guidance above), its p = 0.5
#                     copied from runs/guidance/ when that has it
#            learning_curve  A and B with `hd train --epochs 50` at 32×32 and at 64×64 (one
#                     training each), evaluated at epochs 10, 20, 30, 40 and 50 (hd train
#                     --snapshot_every 10 keeps those checkpoints): the summary's
#                     learning-curve plot, recognised share against training minutes
#            tiny     seconds-long runs of tiny models (what the tests submit)
#   SEEDS    training seeds (default: 0 1 2)
#
# HD_BUDGET=tiny runs any setting's tasks with the tiny setting's models, data and sample
# counts (into runs/<setting>_tiny/): a check of a sweep's plumbing in seconds, before a
# cluster spends hours on it.
#
# The work is a list of tasks, one per (seed, variant, model), where a variant is one
# training of the setting (imbalance: one per p_data; the others have one): a task trains
# its model (unless its checkpoint exists) and evaluates it once per sampling setting
# (guidance weights) of the setting. Run locally, the tasks run one after another, then
# the summary. With --slurm they are submitted to a
# Slurm cluster instead: task 0 first (it trains the setting's evaluation classifier,
# which every later task reads from its cache — one classifier, whatever the node and
# the p_data), then the other tasks as a job array, then the summary as a job that waits for all of them.
# Every path is under runs/<setting>/ of this tree (or $HD_RUNS_DIR), which the nodes must share. sbatch
# takes the cluster's own settings from SBATCH_* variables (SBATCH_PARTITION,
# SBATCH_TIMELIMIT, …); HD_SLURM_CPUS sets the cores per task (default 2).
#
#   experiment.sh --task K SETTING [SEEDS…]       one task (what each Slurm job runs)
#   experiment.sh --summarize SETTING [SEEDS…]    the summary of tasks already run
#
# Writes runs/<setting>/seed<s>/[<variant>/]{model_a,model_b}.safetensors, their
# evaluations (256 samples per z2; evaluation/<model>[_w<w>[_prior]]/ when a setting
# samples several ways), runs/<setting>/summary.md (`hd summarize`: one row per model,
# sampling setting, p_data and z2) and its plots summary_quality_diversity.png and
# summary_imbalance.png, summary_learning_curve.png (`hd summarize --plot`). Expects a built tree
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
variants=("")        # one training per variant: a folder name under seed<s>/ ("" = none)
variant_flags=("")   # its extra hd train flags
samples=256
evaluate_flags=()
demo_budget=(--image_size 32 --no-colour_path --epochs 32 --epoch_size 6400)  # hd demo: 3-level UNet, no colour path
handout_budget=(--image_size 64 --epochs 50)  # `hd train --epochs 50` with every default
dropout=""           # condition dropout of A's denoiser and B's decoder (B's prior gets the same); "" = none
snapshots=()         # epochs whose snapshot is evaluated too (hd train --snapshot_every)
classifier_per_variant=""  # set when variants differ in image size: one evaluation classifier per size
balanced_run=""      # imbalance settings: the guidance setting whose training is this one's p = 0.5
# Sampling settings, "suffix:flags" — the suffix names the evaluation folder; flat_/b_ per model.
flat_sampling=(":")
b_sampling=(":")
sweep() { # sweep W… -> the sampling settings of a guidance sweep over the weights W
  flat_sampling=() b_sampling=()
  for w in "$@"; do
    flat_sampling+=("_w$w:--guidance $w")
    b_sampling+=("_w$w:--guidance $w")
    [ "$w" = 1 ] || b_sampling+=("_w${w}_prior:--guidance $w --prior_guidance $w")
  done
}
case "$setting" in
  demo) budget=("${demo_budget[@]}") ;;
  handout) budget=("${handout_budget[@]}") ;;
  guidance) budget=("${demo_budget[@]}"); dropout=0.1; sweep 1 1.5 2 3 4 6 ;;
  guidance_sweep) budget=("${handout_budget[@]}"); dropout=0.1; sweep 1 1.5 2 3 4 6 ;;
  imbalance | imbalance_demo)
    if [ "$setting" = imbalance ]; then budget=("${handout_budget[@]}") balanced_run=guidance_sweep
    else budget=("${demo_budget[@]}") balanced_run=guidance; fi
    dropout=0.1; sweep 1 3
    variants=(p0.5 p0.7 p0.9)
    variant_flags=("--p_data dog=0.5,car=0.5" "--p_data dog=0.7,car=0.7" "--p_data dog=0.9,car=0.9") ;;
  learning_curve)
    budget=(--epochs 50 --snapshot_every 10); snapshots=(10 20 30 40); classifier_per_variant=1
    variants=(s32 s64)
    variant_flags=("--image_size 32" "--image_size 64") ;;
  tiny) budget=() ;;
  *) echo "experiment.sh: unknown setting '${setting}' (valid: demo, handout, guidance, guidance_sweep, imbalance, imbalance_demo, learning_curve, tiny)" >&2
     exit 2 ;;
esac
if [ "$setting" = tiny ] || [ "${HD_BUDGET:-}" = tiny ]; then
  budget=(--base_channels 8 --embedding_dim 16 --timesteps 50 --epoch_size 32 --batch_size 16)
  if [ ${#snapshots[@]} -gt 0 ]; then budget+=(--epochs 2 --snapshot_every 1); snapshots=(1); else budget+=(--epochs 1); fi
  # The image size: 16, or the setting's two sizes brought down to 16 and 32.
  if [ -n "$classifier_per_variant" ]; then
    variants=(s16 s32); variant_flags=("--image_size 16" "--image_size 32")
  else
    budget+=(--image_size 16)
  fi
  samples=3
  evaluate_flags=(--ddim_steps 3 --classifier_steps 5)
elif [ -n "${HD_BUDGET:-}" ]; then
  echo "experiment.sh: unknown HD_BUDGET '${HD_BUDGET}' (valid: tiny, or unset for the setting's own)" >&2; exit 2
fi
shift
seeds=("$@")
[ ${#seeds[@]} -gt 0 ] || seeds=(0 1 2)
for seed in "${seeds[@]}"; do
  [[ $seed =~ ^[0-9]+$ ]] || { echo "experiment.sh: seed '$seed' is not a whole number" >&2; exit 2; }
done
per_seed=$((${#variants[@]} * ${#models[@]}))
tasks=$((${#seeds[@]} * per_seed))
export GOMP_SPINCOUNT="${GOMP_SPINCOUNT:-10000}"
out="$runs/$setting"
# A sweep's tiny rehearsal never mixes with its real runs.
[ "${HD_BUDGET:-}" != tiny ] || [ "$setting" = tiny ] || out="${out}_tiny"
mkdir -p "$out"

checkpoint_name() { [ "$1" = flat ] && echo model_a || echo model_b; }
# The sampling settings of a model, one "suffix:flags" per line.
samplings() { if [ "$1" = flat ]; then printf '%s\n' "${flat_sampling[@]}"; else printf '%s\n' "${b_sampling[@]}"; fi; }
# The folder of a seed's variant.
folder() { echo "$out/seed$1${2:+/$2}"; }
# The checkpoints a task evaluates, "suffix:path" per line: the trained one and its snapshots.
checkpoints() { # DIR NAME
  echo ":$1/$2.safetensors"
  local epoch
  for epoch in ${snapshots[@]+"${snapshots[@]}"}; do echo "_epoch$epoch:$1/$2_epoch$epoch.safetensors"; done
}

run_task() {
  local k=$1
  [[ $k =~ ^[0-9]+$ ]] && [ "$k" -lt "$tasks" ] ||
    { echo "experiment.sh: task '$k' does not exist (valid: 0 … $((tasks - 1)))" >&2; exit 2; }
  local seed=${seeds[$((k / per_seed))]} v=$(((k % per_seed) / ${#models[@]})) model=${models[$((k % ${#models[@]}))]}
  local name dir checkpoint extra sampling suffix flags
  name=$(checkpoint_name "$model")
  dir=$(folder "$seed" "${variants[$v]}")
  checkpoint="$dir/$name.safetensors"
  read -r -a extra <<<"${variant_flags[$v]}"
  if [ -n "$dropout" ]; then
    extra+=(--cond_dropout "$dropout")
    [ "$model" = flat ] || extra+=(--prior_cond_dropout "$dropout") # model A has no prior
  fi
  # An imbalance sweep at p = 0.5 is its guidance setting's training (same flags, same data
  # stream: p_data 0.5 is the default) and its w = 1 and w = 3 evaluations: taken from there
  # when they exist.
  local same_as=""
  [ -z "$balanced_run" ] || [ "${variants[$v]}" != p0.5 ] || same_as="$runs/$balanced_run${out#"$runs/$setting"}/seed$seed"
  if [ ! -f "$checkpoint" ] && [ -n "$same_as" ] && [ -f "$same_as/$name.safetensors" ]; then
    echo "== task $k: seed $seed, $name (p0.5) is $balanced_run's: copied from $same_as"
    mkdir -p "$dir"
    cp "$same_as/$name.safetensors" "$checkpoint.partial"
    mv "$checkpoint.partial" "$checkpoint"
  fi
  if [ ! -f "$checkpoint" ]; then
    echo "== task $k: seed $seed, training $name ($model)${variants[$v]:+, ${variants[$v]}}"
    "$hd" train --model "$model" ${budget[@]+"${budget[@]}"} ${extra[@]+"${extra[@]}"} --seed "$seed" \
      --output "$checkpoint" --quiet
  fi
  # One evaluation classifier for every run of a setting (trained once, then cached), or
  # one per image size.
  local classifier="$out/mode_classifier${classifier_per_variant:+_${variants[$v]}}.safetensors" evaluated path target
  while IFS= read -r evaluated; do
    path=${evaluated#*:}
    while IFS= read -r sampling; do
      suffix=${sampling%%:*}
      read -r -a flags <<<"${sampling#*:}"
      target="$dir/evaluation/$name$suffix${evaluated%%:*}"
      if [ -n "$same_as" ] && [ -f "$same_as/evaluation/$name$suffix/metrics.json" ] && [ ! -f "$target/metrics.json" ]; then
        echo "== task $k: seed $seed, $name$suffix (p0.5) evaluated by $balanced_run: copied"
        mkdir -p "$dir/evaluation"
        rm -rf "$target.partial" "$target"
        cp -r "$same_as/evaluation/$name$suffix" "$target.partial"
        mv "$target.partial" "$target"
        continue
      fi
      echo "== task $k: seed $seed, evaluating $(basename "$path")${variants[$v]:+ (${variants[$v]})} ${flags[*]:-unguided}"
      "$hd" evaluate --model_path "$path" --num_samples "$samples" --quiet ${flags[@]+"${flags[@]}"} \
        ${evaluate_flags[@]+"${evaluate_flags[@]}"} --classifier_cache "$classifier" \
        --output_dir "$target"
    done < <(samplings "$model")
  done < <(checkpoints "$dir" "$name")
}

# One table over every evaluation of the setting (hd summarize groups them by model,
# guidance and p_data) and its two plots.
summarize() {
  local files=() seed v model sampling evaluated
  for seed in "${seeds[@]}"; do
    for v in "${!variants[@]}"; do
      for model in "${models[@]}"; do
        while IFS= read -r evaluated; do
          while IFS= read -r sampling; do
            files+=("$(folder "$seed" "${variants[$v]}")/evaluation/$(checkpoint_name "$model")${sampling%%:*}${evaluated%%:*}/metrics.json")
          done < <(samplings "$model")
        done < <(checkpoints "$(folder "$seed" "${variants[$v]}")" "$(checkpoint_name "$model")")
      done
    done
  done
  "$hd" summarize "${files[@]}" --output "$out/summary.md" --plot "$out/summary"
  echo "== wrote $out/summary.md"
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
    echo "  logs in $logs; the summary lands in $out/summary.md; watch with: squeue -j $summary"
    ;;
esac
