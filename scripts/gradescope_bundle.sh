#!/usr/bin/env bash
# gradescope_bundle.sh [OUT_DIR] — write gradescope-autograder.zip (instructor only).
#
# What goes in, and why:
#   hdiff/          the STUDENT release tree (scripts/release.sh --no-check): the framework,
#                   the homework stubs and the public Part tests. No solutions/: the
#                   autograder never needs them — it grades the submitted files against
#                   the tests — and a submission runs code in this container, so anything
#                   inside it could be read by a submission.
#   hidden-tests/   the instructor tests (tests/hidden), kept outside the tree and passed
#                   to `hd grade --hidden-tests`.
#   setup.sh        run once when Gradescope builds the image (as root): installs the
#                   Debian/Ubuntu packages through hdiff/scripts/setup.sh, builds `hd`, and
#                   warms the grading build with the stubs, so that each submission only
#                   recompiles its three files.
#   run_autograder  run per submission: finds image_denoiser.cpp, latent_prior.cpp and
#                   metrics.cpp anywhere in /autograder/submission (students upload either
#                   the three files or a zip of homework/), copies them into one folder and
#                   runs `hd grade`, which writes /autograder/results/results.json.
# Choose Gradescope's Ubuntu 24.04 base image: hdiff needs CMake ≥ 3.25 (22.04 has 3.22).
# The grading build targets x86-64-v3 (AVX2), not the image builder's CPU; see `hd grade --march`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$(mkdir -p "${1:-$root/dist}" && cd "${1:-$root/dist}" && pwd)"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT

"$root/scripts/release.sh" --no-check "$stage/release" >/dev/null
mkdir -p "$stage/zip"
tar -C "$stage/zip" -xzf "$stage/release/hdiff-student.tar.gz"
mv "$stage/zip/hdiff-student" "$stage/zip/hdiff"
cp -r "$root/tests/hidden" "$stage/zip/hidden-tests"

cat >"$stage/zip/setup.sh" <<'EOF'
#!/usr/bin/env bash
# Gradescope: runs once, as root, when the autograder image is built.
set -euo pipefail
cd /autograder/source
bash hdiff/scripts/setup.sh
# `hd` itself only grades, so it is built for any x86-64 CPU.
cmake -S hdiff -B hdiff/build -G Ninja -DCMAKE_BUILD_TYPE=Release -DHD_NATIVE=OFF -DHD_BUILD_TESTS=OFF
cmake --build hdiff/build --target hd -j "$(nproc)"
# Warm the grading build with the stubs (scores 0): later runs recompile three files only.
hdiff/build/apps/hd grade --source-dir hdiff --hidden-tests hidden-tests --output /tmp/warm-up-results.json
EOF

cat >"$stage/zip/run_autograder" <<'EOF'
#!/usr/bin/env bash
# Gradescope: runs once per submission, from /autograder.
set -uo pipefail
cd /autograder/source
results=/autograder/results/results.json
mkdir -p /autograder/results
submitted=/autograder/work/submission
rm -rf "$submitted" && mkdir -p "$submitted"
for file in image_denoiser.cpp latent_prior.cpp metrics.cpp; do
  # Prefer homework/<file>; else the shallowest copy anywhere in the upload.
  found=$(find /autograder/submission -path "*/homework/$file" -type f | head -1)
  [ -n "$found" ] || found=$(find /autograder/submission -name "$file" -type f -printf '%d %p\n' | sort -n | head -1 | cut -d' ' -f2-)
  if [ -n "$found" ]; then cp "$found" "$submitted/$file"; echo "using $found"; else echo "no $file in the submission"; fi
done
hdiff/build/apps/hd grade --source-dir hdiff --submission "$submitted" --hidden-tests hidden-tests --output "$results"
status=$?
if [ $status -ne 0 ] || [ ! -s "$results" ]; then
  # The grader itself failed: say so instead of leaving Gradescope without a result.
  python3 - "$results" "$status" <<'PY'
import json, sys
json.dump({"score": 0, "output": f"The autograder failed (exit status {sys.argv[2]}); please tell your instructor.",
           "tests": []}, open(sys.argv[1], "w"))
PY
fi
EOF
chmod +x "$stage/zip/setup.sh" "$stage/zip/run_autograder"

zip_path="$out/gradescope-autograder.zip"
rm -f "$zip_path.tmp"
(cd "$stage/zip" && zip -qr -X "$zip_path.tmp" setup.sh run_autograder hdiff hidden-tests)
mv "$zip_path.tmp" "$zip_path"
! unzip -l "$zip_path" | grep -qE ' hdiff/solutions/' || { echo "gradescope_bundle: solutions/ leaked into the zip" >&2; exit 1; }
echo "gradescope_bundle: wrote $zip_path ($(du -h "$zip_path" | cut -f1); $(unzip -l "$zip_path" | tail -1 | awk '{print $2}') files)"
