#!/usr/bin/env bash
# Builds everything (library, program, tests, benchmarks; the CUDA backend when nvcc is found) and
# runs every test with ctest. GPU tests report "skipped" with the reason on machines without a GPU.
#   BUILD_DIR (default build-test), JOBS (default: all cores), YOLOPICK_SHARED (default ../shared).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
BUILD_DIR=${BUILD_DIR:-build-test}
JOBS=${JOBS:-$(nproc)}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release ${CMAKE_ARGS:-}
cmake --build "$BUILD_DIR" -j "$JOBS"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$JOBS"
