#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang -fsanitize=fuzzer,address,undefined and runs
# each for SECONDS (default 300), nice'd, on a scratch copy of its committed corpus; new coverage is
# merged back (minimised) into tests/fuzz/corpus/<target>/. Stops at the first crash and leaves the
# reproducer (crash-*) in the scratch folder it prints.
#   scripts/run_fuzzers.sh [SECONDS] [TARGET...]      e.g. scripts/run_fuzzers.sh 60 fuzz_mrc
# Environment: BUILD_DIR (default build-fuzz), JOBS (default 2).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${1:-300}"
shift || true
build="${BUILD_DIR:-$root/build-fuzz}"
jobs="${JOBS:-2}"
if [ $# -gt 0 ]; then
  targets=("$@")
else
  targets=()
  for f in "$root"/tests/fuzz/fuzz_*.cpp; do targets+=("$(basename "$f" .cpp)"); done
fi
flags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g"
CC=clang CXX=clang++ cmake -G Ninja -S "$root" -B "$build" -DYOLOPICK_FUZZ=ON -DYOLOPICK_CUDA=OFF \
  -DYOLOPICK_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS=$flags" >/dev/null
nice -n 10 ninja -C "$build" -j"$jobs" "${targets[@]}"
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=0
for t in "${targets[@]}"; do
  corpus="$root/tests/fuzz/corpus/$t"
  scratch="$build/fuzz-work/$t"
  mkdir -p "$corpus" "$scratch/corpus"
  cp -n "$corpus"/* "$scratch/corpus/" 2>/dev/null || true
  echo "== $t: ${seconds}s (scratch $scratch)"
  start=$(date +%s)
  (cd "$scratch" && nice -n 10 "$build/tests/fuzz/$t" -max_total_time="$seconds" -rss_limit_mb=2560 \
     -malloc_limit_mb=2048 -timeout=10 -print_final_stats=1 corpus) 2>&1 | tail -n 25
  echo "== $t ran $(( $(date +%s) - start ))s"
  # Keep the committed corpus small: merge only inputs that add coverage.
  (cd "$scratch" && "$build/tests/fuzz/$t" -merge=1 "$corpus" corpus >/dev/null 2>&1)
  echo "== $t corpus: $(ls "$corpus" | wc -l) files, $(du -sh "$corpus" | cut -f1)"
done
