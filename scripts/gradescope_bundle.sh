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
#                   Debian/Ubuntu packages through hdiff/scripts/setup.sh (and Catch2 v2, see
#                   below), creates the unprivileged user `hdgrade` that student code runs
#                   as, makes hidden-tests/ readable by root only and the hdiff tree readable
#                   (not writable) by everyone, builds `hd`, and warms the grading build
#                   with the stubs, so that each submission only recompiles its three files.
#   run_autograder  run per submission: finds image_denoiser.cpp, latent_prior.cpp and
#                   metrics.cpp anywhere in /autograder/submission (students upload either
#                   the three files or a zip of homework/), copies them into one folder and
#                   runs `hd grade` as root, which writes /autograder/results/results.json
#                   (a root-owned folder) once every process of user hdgrade is gone.
# Trust: `hd grade` runs each test as user hdgrade (grader/grade.h has the whole model);
# that user can read neither hidden-tests/ nor /autograder/results, and no solutions/ is
# in the zip.
# Base image: Ubuntu 24.04 (hdiff needs CMake >= 3.25; 22.04 has 3.22). 24.04's `catch2`
# package is Catch2 v3, while the tests are written for v2 (catch2/catch.hpp): set-up
# then installs the `catch2` 2.13 package of Ubuntu 22.04 (header-only, architecture
# "all", no dependencies) from the jammy archive, pinned to that one package. Nothing is
# vendored in the zip. (Not tested on Gradescope: this script was written on Debian 12,
# whose catch2 is 2.13.)
# CPU: the grading build targets x86-64-v3 (AVX2, FMA, BMI2), not the image builder's
# CPU; see `hd grade --march`. `hd` itself is built for any x86-64.
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
# Catch2 v2: Ubuntu 24.04 ships v3 (see the bundle script's header).
catch2_version=$(dpkg-query -W -f='${Version}' catch2 2>/dev/null || true)
if [ "${catch2_version%%.*}" != "2" ]; then
  echo "deb http://archive.ubuntu.com/ubuntu jammy universe" >/etc/apt/sources.list.d/jammy-catch2.list
  printf 'Package: *\nPin: release n=jammy\nPin-Priority: 100\n\nPackage: catch2\nPin: release n=jammy\nPin-Priority: 1001\n' \
    >/etc/apt/preferences.d/catch2-v2
  apt-get update && apt-get install -y --allow-downgrades catch2
fi
# The user student code runs as; hd grade would create it too, but the image should have it.
id hdgrade >/dev/null 2>&1 || useradd --system --user-group --no-create-home --shell /usr/sbin/nologin hdgrade
chown -R root:root hdiff hidden-tests
chmod -R go-w hdiff && chmod -R go+rX hdiff
chmod -R go-rwx hidden-tests
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
chown root:root /autograder/results && chmod 755 /autograder/results # not writable by hdgrade
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
