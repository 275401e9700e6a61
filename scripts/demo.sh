#!/usr/bin/env bash
# The README's demo command: install, build, and run `hd demo` (train A and B, evaluate, report).
set -euo pipefail
# libgomp spin-waits for a long time by default; beside other work (ctest -j, a second
# process) that makes every parallel region crawl. 10000 costs nothing on an idle
# machine (bench/README.md).
export GOMP_SPINCOUNT="${GOMP_SPINCOUNT:-10000}"
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)"
if [ ! -x build/apps/hd ]; then
  echo "demo: the hd command line is not built yet (see README, Status)" >&2
  exit 1
fi
exec build/apps/hd demo "$@"
