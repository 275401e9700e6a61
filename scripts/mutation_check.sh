#!/usr/bin/env bash
# mutation_check.sh — do the public Part tests catch realistic wrong answers? (instructor only)
#
# Every file in solutions/mutants/ is a complete copy of one Part's reference file with one
# plausible bug; its name says which Part it breaks (part3_total_four.cpp -> Part 3, which
# lives in metrics.cpp). For each mutant this script swaps it for the reference file in a
# parts folder, rebuilds hd_tests against it (one build dir reused, so only that file
# recompiles) and runs the Part's public tests. A mutant is KILLED when they fail.
#
# Two controls run first: the reference solutions must pass every Part, and the stubs of
# homework/ must fail every Part with the NotImplemented message.
#
#   scripts/mutation_check.sh                   all mutants
#   scripts/mutation_check.sh part3_total_four  only the named ones
# Environment: HD_MUTATION_DIR (default <repo>/build-mutation), HD_MUTATION_TIMEOUT (120 s).
# Exit status: 0 when every mutant is killed and both controls hold, 1 otherwise.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="${HD_MUTATION_DIR:-$root/build-mutation}"
timeout_seconds="${HD_MUTATION_TIMEOUT:-120}"
parts="$work/parts"
build="$work/build"
mkdir -p "$parts" "$build"

file_of_part() {
  case "$1" in
    1) echo image_denoiser.cpp ;;
    2) echo latent_prior.cpp ;;
    3 | 4 | 5) echo metrics.cpp ;;
    *) echo "mutation_check: no Part $1" >&2; exit 2 ;;
  esac
}

# Copies $1 to $2 only when they differ, so ninja recompiles only what really changed.
place() { cmp -s "$1" "$2" || cp "$1" "$2"; }

# Puts the three files of folder $1 into the parts folder.
use_folder() { for f in image_denoiser.cpp latent_prior.cpp metrics.cpp; do place "$1/$f" "$parts/$f"; done; }

mutants=()
if [ $# -gt 0 ]; then
  for name in "$@"; do mutants+=("$root/solutions/mutants/${name%.patch}.patch"); done
else
  mutants=("$root"/solutions/mutants/part*.patch)
fi

# Applies every patch before anything is built, so a stale one is reported at once. The
# patched copies wait in $patched/<name>.cpp.
patched="$work/mutants"
rm -rf "$patched"
mkdir -p "$patched"
echo "== the ${#mutants[@]} mutant patches apply to the reference files"
for mutant in "${mutants[@]}"; do
  name=$(basename "$mutant" .patch)
  [ -f "$mutant" ] || { echo "mutation_check: no mutant $mutant" >&2; exit 2; }
  file=$(file_of_part "${name:4:1}")
  target=$(sed -n '2s/^--- //p' "$mutant")
  [ "$target" = "solutions/$file" ] ||
    { echo "mutation_check: $name breaks Part ${name:4:1}, so its line 2 must be '--- solutions/$file', not '$(sed -n 2p "$mutant")'" >&2; exit 2; }
  # -F0: no fuzz, every context line must match; -r -: no .rej files; an offset is fine.
  if ! output=$(patch --batch --silent -F0 -r - --no-backup-if-mismatch -o "$patched/$name.cpp" "$root/$target" <"$mutant" 2>&1); then
    echo "mutation_check: FAILED: $mutant no longer applies to $target:" >&2
    printf '%s\n' "$output" >&2
    echo "update the patch to the current $target (see the header of this script)" >&2
    exit 2
  fi
  cmp -s "$patched/$name.cpp" "$root/$target" && { echo "mutation_check: $mutant changes nothing" >&2; exit 2; }
done
echo "  all apply"

use_folder "$root/solutions"
if [ ! -f "$build/build.ninja" ]; then
  echo "== configuring $build (first run builds the whole framework once)"
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DHD_PARTS_DIR="$parts" >/dev/null
fi

build_tests() { ninja -C "$build" hd_tests >"$work/build.log" 2>&1; }

# Runs Part $1's public tests; prints "passed", "failed" or "timeout"; the log goes to $2.
run_part() {
  local status=0
  timeout --kill-after=5 "$timeout_seconds" "$build/tests/hd_tests" "[part$1]" --abort >"$2" 2>&1 || status=$?
  if [ $status -eq 0 ]; then echo passed; elif [ $status -ge 124 ] && [ $status -le 137 ] && [ $status -ne 126 ]; then
    echo timeout; else echo failed; fi
}

failures=0
logs="$work/logs"
mkdir -p "$logs"

echo "== control: the reference solutions pass every Part"
build_tests || { echo "the reference solutions do not build; see $work/build.log" >&2; exit 1; }
for part in 1 2 3 4 5; do
  result=$(run_part $part "$logs/solution_part$part.log")
  printf '  Part %s  %s\n' "$part" "$result"
  [ "$result" = passed ] || failures=$((failures + 1))
done

echo "== control: the stubs fail every Part with their NotImplemented message"
use_folder "$root/homework"
build_tests || { echo "the stubs do not build; see $work/build.log" >&2; exit 1; }
for part in 1 2 3 4 5; do
  log="$logs/stub_part$part.log"
  result=failed
  # No --abort here: every test must fail, each with the message.
  "$build/tests/hd_tests" "[part$part]" >"$log" 2>&1 && result=passed
  total=$("$build/tests/hd_tests" "[part$part]" --list-test-names-only | grep -c . || true)
  failed=$(grep -oE 'test cases: *[0-9]+ \| *[0-9]+ failed' "$log" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+' || echo 0)
  messages=$(grep -c "not implemented yet: Part $part" "$log" || true)
  verdict=ok
  if [ "$result" = passed ] || [ "$failed" != "$total" ] || [ "$messages" -lt "$total" ]; then
    verdict=WRONG
    failures=$((failures + 1))
  fi
  printf '  Part %s  %s of %s tests failed, message seen %s times  %s\n' "$part" "$failed" "$total" "$messages" "$verdict"
done
use_folder "$root/solutions"

echo "== mutants (each must be killed by its Part's public tests)"
printf '%-36s %-5s %-10s %s\n' mutant Part result "what it gets wrong"
killed=0
for mutant in "${mutants[@]}"; do
  name=$(basename "$mutant" .patch)
  part=${name:4:1}
  file=$(file_of_part "$part")
  what=$(head -1 "$mutant")
  use_folder "$root/solutions"
  place "$patched/$name.cpp" "$parts/$file"
  if ! build_tests; then
    result="NO-BUILD"
    cp "$work/build.log" "$logs/$name.build.log"
    failures=$((failures + 1))
  else
    case $(run_part "$part" "$logs/$name.log") in
      passed) result=SURVIVED; failures=$((failures + 1)) ;;
      timeout) result="killed(timeout)"; killed=$((killed + 1)) ;;
      *) result=killed; killed=$((killed + 1)) ;;
    esac
  fi
  printf '%-36s %-5s %-10s %s\n' "$name" "$part" "$result" "$what"
done
use_folder "$root/solutions"

echo "== $killed of ${#mutants[@]} mutants killed; logs in $logs"
[ $failures -eq 0 ]
