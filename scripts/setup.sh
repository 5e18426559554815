#!/usr/bin/env bash
# Installs the Debian packages yolopick builds against, and nothing else.
# Idempotent: when every package is present it does no network access and changes nothing.
#   Eigen 3.4 (GEMM for the CPU ops), stb (PNG/JPEG/BMP/TGA in imgproc),
#   GoogleTest (tests/), Google Benchmark (bench/), cmake + ninja (the build),
#   clang (libFuzzer targets under tests/fuzz, optional).
# The CUDA toolkit and cuDNN are not installed here: the build finds them at /usr/local/cuda when present.
set -euo pipefail

packages=(cmake ninja-build g++ libeigen3-dev libstb-dev libgtest-dev libgmock-dev libbenchmark-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all packages present (${packages[*]})"
  exit 0
fi
echo "setup: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
