#!/usr/bin/env bash
# release.sh [OUT_DIR] — build the student release, hdiff-student.tar.gz, and check it (instructor only).
#
# The release is this tree without what students must not see or do not need:
#   solutions/ (reference Parts and their mutants), tests/hidden/ (instructor tests),
#   tests/grader/ (the grader's tests: they grade the reference solutions),
#   scripts/release.sh, scripts/mutation_check.sh, scripts/gradescope_bundle.sh,
#   scripts/gradescope/, and every build folder or generated output.
# Before packing, each homework/ file must still be a stub: between "// BEGIN PART N" and
# "// END PART N" only the `throw NotImplemented("Part N: …")` line (the marker of
# STYLE.md point 6).
# After packing, the archive is checked in a temporary folder, as a student would use it:
#   extract -> the release's own README test command, scripts/test.sh (it configures —
#   homework/CMakeLists.txt picks homework/, since solutions/ is absent — builds, passes
#   the framework tests and reports 0 of 5 Parts) -> every Part test fails with its
#   Part's NotImplemented message -> `hd grade` scores 0/100 with a reason per Part.
# Exits non-zero on any deviation. OUT_DIR defaults to <repo>/dist. With --no-check it
# only packs (scripts/gradescope_bundle.sh starts from the packed tree).
set -euo pipefail
check_archive=1
if [ "${1:-}" = "--no-check" ]; then check_archive=0; shift; fi
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$(mkdir -p "${1:-$root/dist}" && cd "${1:-$root/dist}" && pwd)"
archive="$out/hdiff-student.tar.gz"
jobs=$(nproc)

fail() { echo "release: FAILED: $*" >&2; exit 1; }

echo "== 1. the student files are stubs"
declare -A part_of=([1]=image_denoiser.cpp [2]=latent_prior.cpp [3]=metrics.cpp [4]=metrics.cpp [5]=metrics.cpp)
for part in 1 2 3 4 5; do
  file="$root/homework/${part_of[$part]}"
  body=$(awk -v b="// BEGIN PART $part" -v e="// END PART $part" \
    'index($0, e) { inside = 0 } inside { print } index($0, b) { inside = 1 }' "$file" | sed -e '/^[[:space:]]*$/d')
  [ -n "$body" ] || fail "homework/${part_of[$part]}: no '// BEGIN PART $part' … '// END PART $part' block"
  [ "$(printf '%s\n' "$body" | wc -l)" -eq 1 ] && printf '%s' "$body" | grep -q "throw NotImplemented(\"Part $part: " ||
    fail "homework/${part_of[$part]}: the Part $part block holds more than its NotImplemented stub:
$body"
  echo "  Part $part: stub ok (homework/${part_of[$part]})"
done

echo "== 2. packing $archive"
excludes=(
  --exclude=./solutions --exclude=./tests/hidden --exclude=./tests/grader
  --exclude=./scripts/release.sh --exclude=./scripts/mutation_check.sh
  --exclude=./scripts/gradescope_bundle.sh --exclude=./scripts/gradescope
  --exclude='./build' --exclude='./build-*' --exclude=./dist --exclude=./.git
  --exclude=./checkpoints --exclude=./evaluation --exclude=./runs
  --exclude='*.tar.gz' --exclude='*.zip' --exclude=__pycache__
)
tmp_archive="$archive.tmp$$"
# Only files git tracks (as they are in the working tree): whatever else lies around — a
# demo report with trained checkpoints, scratch files — never ships. Outside a git
# checkout (an unpacked tarball), the whole tree minus the excludes.
if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git -C "$root" ls-files -z | sed -z 's,^,./,' |
    tar -C "$root" "${excludes[@]}" --transform 's,^\./,hdiff-student/,' --null -T - -czf "$tmp_archive"
else
  tar -C "$root" "${excludes[@]}" --transform 's,^\./,hdiff-student/,' -czf "$tmp_archive" .
fi
mv "$tmp_archive" "$archive"
listing=$(tar -tzf "$archive")
for forbidden in hdiff-student/solutions/ hdiff-student/tests/hidden/ hdiff-student/scripts/mutation_check.sh \
  hdiff-student/scripts/gradescope_bundle.sh hdiff-student/scripts/release.sh; do
  ! grep -q "^$forbidden" <<<"$listing" || fail "the archive contains $forbidden"
done
! grep -qE '(^|/)build(-[^/]*)?/CMakeCache.txt$' <<<"$listing" || fail "the archive contains a build folder"
echo "  $(wc -l <<<"$listing") entries, $(du -h "$archive" | cut -f1)"

if [ $check_archive -eq 0 ]; then echo "== packed (not checked): $archive"; exit 0; fi

check="$(mktemp -d)"
# mktemp makes the folder 0700; `hd grade` run as root executes the tests as its sandbox
# user, which must be able to reach them (as in /autograder on Gradescope).
chmod 755 "$check"
trap 'rm -rf "$check"' EXIT
echo "== 3. checking it in $check"
tar -C "$check" -xzf "$archive"
tree="$check/hdiff-student"
# Exactly what the release's README tells a student to run.
(cd "$tree" && scripts/test.sh) >"$check/test.log" 2>&1 || { tail -30 "$check/test.log"; fail "the release's scripts/test.sh"; }
grep -qx "HD_PARTS_DIR:PATH=$tree/homework" "$tree/build/CMakeCache.txt" ||
  fail "the release does not build the Parts from homework/ ($(grep 'HD_PARTS_DIR' "$tree/build/CMakeCache.txt"))"
echo "  scripts/test.sh (the README's test command) passes in the release; it printed:"
sed -n '/^== framework tests/,$p' "$check/test.log" | grep -E '^(==|  [✓✗]|[0-9]+% tests passed)' | sed 's/^/    /'
grep -q "0 of 5 Parts pass" "$check/test.log" || fail "the release's test command does not report 0 of 5 Parts on the stubs"
# The framework suites are a few hundred tests: a filter that matches a handful is a broken filter.
grep -qE "100% tests passed, 0 tests failed out of [0-9]{3,}" "$check/test.log" ||
  fail "the release's framework tests did not run in full ($(grep -m1 'tests passed' "$check/test.log"))"

for part in 1 2 3 4 5; do
  log="$check/part$part.log"
  if "$tree/build/tests/hd_tests" "[part$part]" >"$log" 2>&1; then fail "the Part $part tests pass on the stubs"; fi
  # (Catch2 exits with the number of tests it listed, hence the `|| true`.)
  total=$({ "$tree/build/tests/hd_tests" "[part$part]" --list-test-names-only || true; } | grep -c .)
  failed=$(grep -oE 'test cases: *[0-9]+ \| *[0-9]+ failed' "$log" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+' || true)
  [ "$failed" = "$total" ] || fail "Part $part: ${failed:-?} of $total tests fail on the stub (all must)"
  grep -q "not implemented yet: Part $part: " "$log" || fail "Part $part: the NotImplemented message is not shown"
  echo "  Part $part: all $total tests fail with \"$(grep -m1 -o "not implemented yet: Part $part: .*" "$log")\""
done

(cd "$check" && "$tree/build/apps/hd" grade --output "$check/results.json" >"$check/grade.log" 2>&1) ||
  { tail -20 "$check/grade.log"; fail "hd grade"; }
sed -n '/^Progress tracker/,$p' "$check/grade.log" | sed 's/^/  /'
python3 - "$check/results.json" <<'EOF' || fail "hd grade's results.json is not 0/100 with reasons"
import json, sys
report = json.load(open(sys.argv[1]))
assert report["score"] == 0, report["score"]
assert abs(sum(t["max_score"] for t in report["tests"]) - 100) < 1e-6
assert all(t["status"] == "failed" and "not implemented yet" in t["output"] for t in report["tests"])
for part in range(1, 6):
    assert f"Part {part}: " in report["output"] and "not implemented yet" in report["output"]
EOF
echo "== release ok: $archive"
