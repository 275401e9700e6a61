#!/bin/bash
# compare.sh — hdiff against Debian's PyTorch 1.13 on the homework's models, in one run.
#
# Runs, ROUNDS times and interleaved (so a load spike hits all three alike):
#   hdiff          build/bench/hd_bench_models --csv
#   torch default  /usr/bin/python3 bench/torch_models.py, as installed (reference BLAS),
#                  torch.set_num_threads(THREADS)
#   torch tuned    the same with Debian's OpenBLAS (libopenblas0-openmp) first on
#                  LD_LIBRARY_PATH and glibc malloc tunables that stop mmap/trim churn
# then prints, per step, the median over rounds of each, the speed-ups
# (torch ms / hdiff ms: above 1 means hdiff is faster) and page faults per step.
#
# Usage: bench/compare.sh [BUILD_DIR]      (default: build)
#   env: THREADS (2), ROUNDS (3), REPS (7), SECTIONS ("prior unet16 unet32"),
#        PEAK (GFLOP/s for the %peak column; default: hd_bench_kernels peak).
#   Any OMP_* / GOMP_* variables set by the caller (e.g. OMP_WAIT_POLICY=passive)
#   apply to hdiff and both PyTorch runs alike.
# Run it on a quiet machine: it prints the load average before and after.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
threads=${THREADS:-2}
rounds=${ROUNDS:-3}
reps=${REPS:-7}
sections=${SECTIONS:-prior unet16 unet32}
openblas=/usr/lib/x86_64-linux-gnu/openblas-openmp
tunables=glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=17179869184

[[ -x $build/bench/hd_bench_models ]] || { echo "no $build/bench/hd_bench_models (build it first)" >&2; exit 1; }
[[ -e $openblas/libblas.so.3 ]] || echo "warning: $openblas missing (apt-get install -y libopenblas0-openmp); 'tuned' = default BLAS" >&2

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "load before: $(uptime)"
# The FMA peak, measured unless PEAK is given (a loaded machine measures it low).
peak=${PEAK:-$(OMP_NUM_THREADS=$threads "$build/bench/hd_bench_kernels" peak 2>/dev/null |
       sed -n 's/.*peak used for % below: \([0-9.]*\).*/\1/p')}
echo "FMA peak, $threads threads: ${peak:-?} GFLOP/s${PEAK:+ (given)}"
echo "OpenMP environment: $(env | grep -E '^(OMP_|GOMP_)' | grep -v OMP_NUM_THREADS | tr '\n' ' ')"

for ((r = 1; r <= rounds; ++r)); do
  echo "round $r/$rounds ..."
  OMP_NUM_THREADS=$threads "$build/bench/hd_bench_models" --csv --reps "$reps" --peak "${peak:-0}" $sections \
    | tail -n +2 | sed 's/^/hdiff,/' >> "$out/rows.csv"
  OMP_NUM_THREADS=$threads /usr/bin/python3 "$here/torch_models.py" --threads "$threads" --reps "$reps" \
    --label default $sections | grep -v '^#' >> "$out/rows.csv"
  OMP_NUM_THREADS=$threads LD_LIBRARY_PATH=$openblas${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} GLIBC_TUNABLES=$tunables \
    /usr/bin/python3 "$here/torch_models.py" --threads "$threads" --reps "$reps" \
    --label tuned $sections | grep -v '^#' >> "$out/rows.csv"
done
echo "load after:  $(uptime)"

/usr/bin/python3 - "$out/rows.csv" "$threads" "$rounds" <<'EOF'
import collections, statistics, sys
path, threads, rounds = sys.argv[1], sys.argv[2], sys.argv[3]
ms, faults, gflops, peak_pct, items = (collections.defaultdict(list) for _ in range(5))
order = []
for line in open(path):
    f = line.strip().split(",")
    if f[0] == "hdiff":  # hdiff,name,ms,items/s,gflops,%peak,faults,rss
        key = ("hdiff", f[1])
        gflops[f[1]].append(float(f[4])); peak_pct[f[1]].append(float(f[5]))
        fault = float(f[6])
    else:                # label,name,ms,items/s,faults
        key = (f[0], f[1]); fault = float(f[4])
    if f[1] not in order: order.append(f[1])
    ms[key].append(float(f[2])); faults[key].append(fault)
med = lambda v: statistics.median(v) if v else float("nan")
print(f"\n{threads} threads, median of {rounds} rounds; speed-up = torch ms / hdiff ms (> 1: hdiff faster)")
head = (f"{'step':<22} {'hdiff ms':>9} {'GFLOP/s':>8} {'%peak':>6} {'default':>9} {'tuned':>9} "
        f"{'vs dflt':>8} {'vs tuned':>8} {'flt/step h':>10} {'flt dflt':>9} {'flt tuned':>9}")
print(head); print("-" * len(head))
for name in order:
    h, d, t = med(ms[("hdiff", name)]), med(ms[("default", name)]), med(ms[("tuned", name)])
    print(f"{name:<22} {h:9.2f} {med(gflops[name]):8.1f} {med(peak_pct[name]):5.1f}% {d:9.2f} {t:9.2f} "
          f"{d / h:7.2f}x {t / h:7.2f}x {med(faults[('hdiff', name)]):10.0f} "
          f"{med(faults[('default', name)]):9.0f} {med(faults[('tuned', name)]):9.0f}")
print("\nall rounds (ms):")
for name in order:
    print(f"  {name:<22} " + "  ".join(f"{lab} " + " ".join(f"{v:.1f}" for v in ms[(lab, name)])
                                        for lab in ("hdiff", "default", "tuned")))
EOF
