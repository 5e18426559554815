#!/usr/bin/env bash
# check_reproducible_build.sh: builds the current commit twice - two clean clones at different paths
# and depths, one with its build folder inside the clone and one outside, one after the other - and
# compares the binaries byte for byte (docs/reproducibility.md).
#
#   bash scripts/check_reproducible_build.sh [--cuda on|off] [--target T]... [--keep]
#
# Defaults: the configuration of issue 19 (Release, YOLOPICK_CUDA=OFF, target yolopick).
# --cuda on   builds the CUDA backend too (nvcc at /usr/local/cuda) and compares its archive.
# --target T  the targets to build (repeatable; default yolopick).
# --keep      leaves the clones and builds in the temporary folder it prints.
# JOBS        parallel jobs (default: all cores).
# Compared: every target's file, every static archive, every executable in the build folders. Each
# binary is also searched for the clones' absolute paths. Exit 0 when all are identical.
# Only committed sources are checked (the clones are of HEAD); uncommitted changes are not.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)

CUDA=OFF
TARGETS=()
KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --cuda) case "$2" in on|ON) CUDA=ON ;; off|OFF) CUDA=OFF ;; *) echo "--cuda on|off" >&2; exit 2 ;; esac; shift ;;
    --target) TARGETS+=("$2"); shift ;;
    --keep) KEEP=1 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "check_reproducible_build.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(yolopick)
JOBS=${JOBS:-$(nproc)}

COMMIT=$(git rev-parse HEAD)
[ -z "$(git status --porcelain)" ] || echo "note: the working tree has uncommitted changes; checking commit ${COMMIT:0:12} only"
WORK=$(mktemp -d /tmp/yp-repro.XXXXXX)
[ "$KEEP" = 1 ] || trap 'rm -rf "$WORK"' EXIT
SRC_A=$WORK/a/src
SRC_B=$WORK/second-clone/at/another/depth/yolopick
BUILD_A=$SRC_A/build
BUILD_B=$WORK/elsewhere/build-b

build() {  # src build log-name
  git clone --quiet --no-local "$REPO" "$1"
  git -C "$1" checkout --quiet --detach "$COMMIT"
  local t0=$(date +%s) log=$WORK/logs/$3  # outside the clones: a stray file there would make the tree dirty
  cmake -S "$1" -B "$2" -G Ninja -DCMAKE_BUILD_TYPE=Release -DYOLOPICK_CUDA=$CUDA -DYOLOPICK_BENCH=OFF \
    -DBUILD_TESTING=OFF > "$log.configure" 2>&1 || { cat "$log.configure"; exit 1; }
  cmake --build "$2" -j "$JOBS" --target "${TARGETS[@]}" > "$log.build" 2>&1 || { tail -40 "$log.build"; exit 1; }
  echo "  built $2 in $(( $(date +%s) - t0 )) s"
}

echo "== commit ${COMMIT:0:12}, CUDA $CUDA, targets ${TARGETS[*]}, in $WORK =="
mkdir -p "$(dirname "$BUILD_B")" "$WORK/logs"
build "$SRC_A" "$BUILD_A" a
build "$SRC_B" "$BUILD_B" b

# The binaries: executables and static archives, by their path inside the build folder.
binaries() {
  (cd "$1" && find . -type f \( -name '*.a' -o -perm -u+x \) ! -path './CMakeFiles/*' ! -name '*.sh' \
     ! -name '*.cmake' -exec sh -c 'head -c 4 "$1" | grep -q "ELF\|!<ar" ' _ {} \; -print | sort)
}
LIST_A=$(binaries "$BUILD_A")
LIST_B=$(binaries "$BUILD_B")
if [ "$LIST_A" != "$LIST_B" ]; then
  echo "FAIL: the two builds made different sets of files"
  diff <(echo "$LIST_A") <(echo "$LIST_B") || true
  exit 1
fi

differ=0
for f in $LIST_A; do
  a=$BUILD_A/$f b=$BUILD_B/$f
  leaks=$(strings -a "$a" | grep -c -e "$WORK" || true)
  if cmp -s "$a" "$b" && [ "$leaks" = 0 ]; then
    printf '  same  %-50s %s\n' "$f" "$(sha256sum "$a" | cut -c1-16)"
  else
    differ=$((differ + 1))
    printf '  DIFF  %-50s (%s bytes differ, %s strings name the build paths)\n' "$f" \
      "$(cmp -l "$a" "$b" 2>/dev/null | wc -l)" "$leaks"
    diff <(strings -a "$a") <(strings -a "$b") | head -20 | sed 's/^/        /' || true
  fi
done
n=$(echo "$LIST_A" | wc -w)
if [ "$differ" -gt 0 ]; then
  echo "reproducible build: FAIL ($differ of $n binaries differ)"
  exit 1
fi
echo "reproducible build: PASS ($n binaries identical, no build path inside)"
