#!/usr/bin/env bash
# Installs every Debian package hdiff needs to build and run; with --tests also what the
# tests alone need (a one-node Slurm cluster for scripts/experiment.sh --slurm). Safe to
# re-run. Needs root (apt-get); on a machine where everything is present it changes nothing.
set -euo pipefail

packages=(
  cmake ninja-build g++ make pkg-config  # the build
  libomp-dev                          # OpenMP (g++ brings libgomp; this keeps clang builds working too)
  catch2                              # tests (v2)
  libfmt-dev                          # formatting
  libstb-dev                          # PNG writing (stb_image_write)
  nlohmann-json3-dev                  # safetensors headers, JSON reports
  libcli11-dev                        # the `hd` command line
  python3                             # the checkpoint interoperability test (standard library only)
  clang-14 libclang-rt-14-dev         # libFuzzer for the checkpoint-loader fuzz run
)
if [ "${1:-}" = "--tests" ]; then
  packages+=(slurm-wlm munge)         # the Slurm test of scripts/experiment.sh --slurm
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "setup: missing packages (${missing[*]}); run this script as root, or: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
