#!/usr/bin/env bash
# fuzz_checkpoints.sh — build and run the libFuzzer target over the safetensors loader
# (tests/fuzz/fuzz_safetensors.cpp) with AddressSanitizer and UBSan.
#
#   scripts/fuzz_checkpoints.sh            a short time-boxed run (~20 s), for CI
#   scripts/fuzz_checkpoints.sh 200000     exactly that many executions (the long run)
#
# Needs Debian's clang-14 with libclang-rt-14-dev (libFuzzer), fmt and nlohmann-json.
# Builds into build-fuzz/ (object files are reused while their sources are unchanged),
# writes a seed corpus of valid checkpoints from our own saver into build-fuzz/seeds/,
# keeps what the fuzzer discovers in build-fuzz/corpus/, and any crashing input in
# build-fuzz/artifacts/. Exits non-zero on a crash, leak or sanitizer report.
# It does not build the Catch2 tests; their portable mutation loop runs with the rest.
set -euo pipefail

runs="${1:-}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/build-fuzz"
cxx="${CXX_FUZZ:-clang++-14}"
mkdir -p "$out/obj" "$out/seeds" "$out/corpus" "$out/artifacts"

common=(-std=c++20 -O1 -g -fno-omit-frame-pointer -fopenmp -Wno-pass-failed -I"$root"
        -fsanitize=address,undefined -fno-sanitize-recover=undefined)
# Only the code under test gets coverage instrumentation; the tensor library is just
# sanitized, which keeps the fuzzer's feedback about the parser.
covered=(-fsanitize=fuzzer-no-link)

# compile SOURCE OBJECT [extra flags…], skipped when OBJECT is newer than SOURCE and the headers.
compile() {
    local source="$1" object="$2"; shift 2
    if [[ -f "$object" && "$object" -nt "$source" && "$object" -nt "$root/autograd/tensor.h" \
          && "$object" -nt "$root/nn/safetensors.h" ]]; then
        return
    fi
    echo "compiling ${source#$root/}"
    "$cxx" "${common[@]}" "$@" -c "$source" -o "$object"
}

objects=()
for source in "$root"/autograd/*.cpp "$root"/autograd/kernels/*.cpp; do
    object="$out/obj/$(basename "$(dirname "$source")")_$(basename "${source%.cpp}").o"
    compile "$source" "$object" &
    objects+=("$object")
done
wait
compile "$root/nn/safetensors.cpp" "$out/obj/safetensors.o" "${covered[@]}"
compile "$root/nn/files.cpp" "$out/obj/files.o"  # the safe writer and bounded reader the loader uses
compile "$root/tests/fuzz/fuzz_safetensors.cpp" "$out/obj/fuzz_safetensors.o" "${covered[@]}"
compile "$root/tests/fuzz/make_seed_corpus.cpp" "$out/obj/make_seed_corpus.o"

libs=(-fopenmp -lfmt)
"$cxx" "${common[@]}" -fsanitize=fuzzer "$out/obj/fuzz_safetensors.o" "$out/obj/safetensors.o" \
    "$out/obj/files.o" "${objects[@]}" "${libs[@]}" -o "$out/fuzz_safetensors"
"$cxx" "${common[@]}" "${covered[@]}" "$out/obj/make_seed_corpus.o" "$out/obj/safetensors.o" \
    "$out/obj/files.o" "${objects[@]}" "${libs[@]}" -o "$out/make_seed_corpus"

rm -f "$out"/seeds/*
"$out/make_seed_corpus" "$out/seeds"

if [[ -n "$runs" ]]; then
    limit=(-runs="$runs")
else
    limit=(-max_total_time=20)
fi
echo "running: $out/fuzz_safetensors ${limit[*]} (corpus build-fuzz/corpus, seeds build-fuzz/seeds)"
"$out/fuzz_safetensors" "${limit[@]}" -dict="$root/tests/fuzz/safetensors.dict" \
    -max_len=8192 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$out/artifacts/" "$out/corpus" "$out/seeds"
