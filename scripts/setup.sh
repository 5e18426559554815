#!/usr/bin/env bash
# Installs the Debian packages yolopick builds against, and nothing else.
# Idempotent: when every package is present it does no network access and changes nothing.
#   Eigen 3.4 (GEMM for the CPU ops), stb (PNG/JPEG/BMP/TGA in imgproc),
#   GoogleTest (tests/), Google Benchmark (bench/), cmake + ninja (the build),
#   cpp-httplib (the `yolopick review` server), clang (libFuzzer targets under tests/fuzz, optional).
# For the browser test of the review page only: chromium, chromium-driver, python3-selenium. They are
# installed when they can be; where they cannot, the build goes on and that one test reports "skipped".
# The CUDA toolkit and cuDNN are not installed here: the build finds them at /usr/local/cuda when present.
set -euo pipefail

packages=(cmake ninja-build g++ pkg-config libeigen3-dev libstb-dev libgtest-dev libgmock-dev libbenchmark-dev
          libcpp-httplib-dev libtiff-dev)
browser_test_packages=(chromium chromium-driver python3-selenium)

missing_of() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
  done
}
mapfile -t missing < <(missing_of "${packages[@]}")
mapfile -t missing_browser < <(missing_of "${browser_test_packages[@]}")
if [ ${#missing[@]} -eq 0 ] && [ ${#missing_browser[@]} -eq 0 ]; then
  echo "setup: all packages present (${packages[*]} ${browser_test_packages[*]})"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if [ ${#missing_browser[@]} -gt 0 ]; then
  echo "setup: installing ${missing_browser[*]} (for the review page's browser test)"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing_browser[@]}" ||
    echo "setup: could not install ${missing_browser[*]}: the review page's browser test will be skipped"
fi
