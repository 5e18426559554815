#!/usr/bin/env bash
# Sets up, builds and runs the main job on built-in data.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DYOLOPICK_BENCH=OFF ${CMAKE_ARGS:-}
cmake --build "$BUILD_DIR" -j "$(nproc)" --target yolopick
"$BUILD_DIR"/apps/yolopick info
