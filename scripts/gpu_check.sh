#!/usr/bin/env bash
# gpu_check.sh: the CUDA backend's whole check, prepared on a machine without a GPU and run in one
# call on a lent one (docs/cuda.md, "Running the check on a GPU").
#
#   bash scripts/gpu_check.sh prepare [--build DIR]
#       Here. Builds test_cuda and bench_cuda_kernels with CUDA on (sm_90 SASS + compute_90 PTX,
#       -lineinfo so that sanitizer reports name source lines) in DIR (default build-gpu) and packs
#       DIR/bundle: bin/ (the two programs, RUNPATH $ORIGIN/../lib), lib/ (the shared libraries they need that a CUDA machine may lack: the CUDA runtime, libgomp,
#       Google Benchmark; not glibc, libstdc++, the driver or cuDNN, which the GPU machine provides)
#       and MANIFEST (commit, options, checksums). A few MB: carry it to the GPU machine as one path.
#   bash scripts/gpu_check.sh run [--quick] [--bundle DIR] [--out DIR]
#       On the GPU machine, from the repository root (bench/compare and yolo/configs are read from
#       the tree). Writes DIR/report.md (default $OUT, else gpu-check-out), rewritten after every
#       step so that a report exists whatever stops the run. --quick: the correctness tests only.
#   bash scripts/gpu_check.sh --dry-run [--bundle DIR | --build DIR]
#       Here (ctest runs it). Prints every step's command line and timeout and checks that every
#       program, library, gtest filter, benchmark filter and Python file a step needs is there.
#
# Steps, in order (correctness, then the figures, then the sanitizers): each has its own timeout and
# the whole run stops starting steps once the budget (YP_GPU_CHECK_BUDGET_S, default 460 s) is spent,
# so one hung step cannot eat the loan. Expected times on an H200 are in docs/cuda.md.
set -uo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)

MODE=""
QUICK=0
BUILD_DIR=build-gpu
BUNDLE=""
OUT_DIR="${OUT:-gpu-check-out}"
while [ $# -gt 0 ]; do
  case "$1" in
    prepare|run) MODE=$1 ;;
    --dry-run) MODE=dry-run ;;
    --quick) QUICK=1 ;;
    --build) BUILD_DIR=$2; shift ;;
    --bundle) BUNDLE=$2; shift ;;
    --out) OUT_DIR=$2; shift ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "gpu_check.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$MODE" ] || { echo "gpu_check.sh: say prepare, run or --dry-run (see --help)" >&2; exit 2; }

BUDGET_S=${YP_GPU_CHECK_BUDGET_S:-460}

# --- where the programs are: a bundle (bin/) or a build folder (its own layout) ----------------------
if [ -z "$BUNDLE" ] && [ "$MODE" = run ]; then BUNDLE=$BUILD_DIR/bundle; fi
if [ -n "$BUNDLE" ]; then
  TEST_BIN=$BUNDLE/bin/test_cuda
  BENCH_BIN=$BUNDLE/bin/bench_cuda_kernels
else
  TEST_BIN=$BUILD_DIR/tests/cuda/test_cuda
  BENCH_BIN=$BUILD_DIR/bench/bench_cuda_kernels
fi

# --- the steps ----------------------------------------------------------------------------------------
# Each: name | timeout (s) | quick (1: also in --quick) | kind | arguments. Kinds: gtest (test_cuda
# with the arguments), sanitizer (compute-sanitizer TOOL over test_cuda), bench (bench_cuda_kernels),
# torch (python3 bench/compare/model_torch_gpu.py), env (the machine and the libraries).
# Sanitizer runs leave out the tests on GB-sized arrays (the >2^31-element ones and the grid-stride
# one: minutes under instrumentation) and cuDNN (its own kernels, thousands of launches in cudnnFind); racecheck and synccheck only matter for kernels that
# use shared memory and __syncthreads.
# The *Harness tests check the tests' CPU halves (CPU twins that must agree to the bit); they ran where the
# bundle was built, so the GPU run leaves them out. The training step and run (CudaTrainStep, CudaTrainer:
# whole networks on both devices, two epochs) are the model step's, and too slow for the sanitizers; the
# kernels they use have their own small tests, which the sanitizers do run.
SANITIZER_FILTER='-CudaLargeIndex.*:CudaConv2dCudnn.*:CudaElementwiseEdges.GridStride*:CudaTrainStep.*:CudaTrainer.*:*Harness.*'
SHARED_MEMORY_FILTER='CudaConv2d.*:CudaConv2dBackward.*:CudaBatchNorm2d.*:CudaBce*:CudaGraph.*'
KERNEL_BENCH_FILTER='^s/b1/[^/]+/(k3|k4|k5|engine|fused_silu|k6_tf32|k6_f16|cudnn_fma|cudnn_tf32|hand_data|hand_weight)/|^s/b1/(silu|bn_train|maxpool5|upsample2)/|^train/'
STEPS=(
  "env|20|1|env|"
  "tests|120|1|gtest|--gtest_filter=-CudaModel.*:CudaLargeIndex.*:CudaTrainStep.*:CudaTrainer.*:*Harness.*"
  "model|120|1|gtest|--gtest_filter=CudaModel.*:CudaTensorOps.*:CudaTrainStep.*:CudaTrainer.*"
  "large_index|90|1|gtest|--gtest_filter=CudaLargeIndex.*"
  "bench_kernels|110|0|bench|--benchmark_filter=$KERNEL_BENCH_FILTER --benchmark_min_time=0.02"
  "bench_model|100|0|bench|--benchmark_filter=^model/ --benchmark_min_time=0.2"
  "torch_peer|110|0|torch|--repeats 20"
  "memcheck|100|0|sanitizer|memcheck --gtest_filter=$SANITIZER_FILTER"
  "racecheck|80|0|sanitizer|racecheck --gtest_filter=$SHARED_MEMORY_FILTER"
  "synccheck|50|0|sanitizer|synccheck --gtest_filter=$SHARED_MEMORY_FILTER"
)

find_sanitizer() {
  command -v compute-sanitizer 2>/dev/null && return
  for p in /usr/local/cuda/bin/compute-sanitizer /usr/local/cuda/compute-sanitizer/compute-sanitizer \
           /opt/nvidia/compute-sanitizer/compute-sanitizer; do
    [ -x "$p" ] && { echo "$p"; return; }
  done
  echo compute-sanitizer
}
SANITIZER=$(find_sanitizer)

# The command line of a step, one word per line (so filters with '|' and '*' survive untouched).
step_command() {
  local kind=$1 args=$2
  local -
  set -f  # filters hold '*': they must reach gtest and Google Benchmark, not the shell's globbing
  case "$kind" in
    env) echo "(nvidia-smi; ldd of both programs; cuDNN and compute-sanitizer versions; torch)" ;;
    gtest) printf '%s\n' "$TEST_BIN" $args ;;
    bench) printf '%s\n' "$BENCH_BIN" $args ;;
    torch) printf '%s\n' python3 bench/compare/model_torch_gpu.py $args ;;
    sanitizer)
      # shellcheck disable=SC2086
      set -- $args
      printf '%s\n' "$SANITIZER" --tool "$1" --error-exitcode 3 --print-limit 30 --launch-timeout 120 "$TEST_BIN" "${@:2}"
      ;;
  esac
}

# ======================================================================================================
prepare() {
  echo "== configure and build $BUILD_DIR (CUDA on, sm_90 + PTX) =="
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DYOLOPICK_CUDA=ON -DYOLOPICK_CUDA_ARCHS=90 \
    -DYOLOPICK_BENCH=ON -DYOLOPICK_CUDA_LINEINFO=ON '-DCMAKE_BUILD_RPATH=$ORIGIN/../lib' || exit 1
  cmake --build "$BUILD_DIR" -j "${JOBS:-$(nproc)}" --target test_cuda bench_cuda_kernels || exit 1
  local bundle=$BUILD_DIR/bundle
  rm -rf "$bundle.tmp" && mkdir -p "$bundle.tmp/bin" "$bundle.tmp/lib"
  cp "$BUILD_DIR/tests/cuda/test_cuda" "$BUILD_DIR/bench/bench_cuda_kernels" "$bundle.tmp/bin/"
  # Shared libraries a bare CUDA machine may lack. Left out: glibc's, libstdc++/libgcc_s (the GPU
  # image's are newer, and an older copy first on the path would break compute-sanitizer's injected
  # libraries), the driver (libcuda) and cuDNN (600 MB; the GPU image has it with PyTorch).
  ldd "$bundle.tmp/bin/"* | awk '/=> \// {print $1" "$3}' | sort -u | while read -r name path; do
    case "$name" in
      libc.so*|libm.so*|libdl.so*|libpthread.so*|librt.so*|ld-linux*|libstdc++*|libgcc_s*|libcuda.so*|libcudnn*) ;;
      *) cp -L "$path" "$bundle.tmp/lib/$name" ;;
    esac
  done
  {
    echo "commit:   $(git rev-parse HEAD 2>/dev/null || echo unknown)$([ -z "$(git status --porcelain 2>/dev/null)" ] || echo " (dirty)")"
    echo "nvcc:     $(/usr/local/cuda/bin/nvcc --version 2>/dev/null | tail -1)"
    echo "cxx:      $(c++ --version | head -1)"
    echo "options:  Release, YOLOPICK_CUDA=ON, YOLOPICK_CUDA_ARCHS=90 (sm_90 SASS + compute_90 PTX), YOLOPICK_CUDA_LINEINFO=ON"
    echo "needs:    $(ldd "$bundle.tmp/bin/test_cuda" | awk '/libcudnn|libcuda\.so/ {print $1}' | tr '\n' ' ')(from the GPU machine)"
    echo "files:"
    (cd "$bundle.tmp" && sha256sum bin/* lib/*)
  } > "$bundle.tmp/MANIFEST"
  rm -rf "$bundle" && mv "$bundle.tmp" "$bundle"
  echo "== $bundle: $(du -sh "$bundle" | cut -f1) =="
  cat "$bundle/MANIFEST"
  echo "On the GPU machine, from the repository root, with $bundle carried along:"
  echo "  bash scripts/gpu_check.sh run --bundle $bundle --out \$OUT"
}

# ======================================================================================================
dry_run() {
  local failures=0 total_timeout=0
  local -
  set -f
  fail() { echo "  FAIL: $*"; failures=$((failures + 1)); }
  echo "== programs =="
  for bin in "$TEST_BIN" "$BENCH_BIN"; do
    if [ -x "$bin" ]; then
      echo "  ok   $bin ($(du -h "$bin" | cut -f1))"
      local missing
      missing=$(ldd "$bin" 2>&1 | grep "not found" || true)
      [ -z "$missing" ] || fail "$bin: libraries not found here: $missing"
    else
      fail "$bin is missing (bash scripts/gpu_check.sh prepare)"
    fi
  done
  if [ -n "$BUNDLE" ]; then
    [ -f "$BUNDLE/MANIFEST" ] || fail "$BUNDLE/MANIFEST is missing"
    local kb
    kb=$(du -sk "$BUNDLE" | cut -f1)
    [ "$kb" -lt $((60 * 1024)) ] || fail "$BUNDLE is ${kb} KB; the GPU machine takes 64 MiB of carried paths in all"
  fi
  echo "== python =="
  for f in bench/compare/model_torch_gpu.py bench/compare/model_torch.py scripts/gpu_check_report.py; do
    if ! command -v python3 > /dev/null; then echo "  (python3 not here: $f not checked)"; continue; fi
    python3 -c 'import ast, sys; ast.parse(open(sys.argv[1]).read(), sys.argv[1])' "$f" &&
      echo "  ok   $f parses" || fail "$f does not parse"
  done
  for cfg in yolov5n yolov5s; do [ -f "yolo/configs/$cfg.yaml" ] || fail "yolo/configs/$cfg.yaml is missing"; done
  echo "== compute-sanitizer: $SANITIZER ($(command -v "$SANITIZER" >/dev/null && echo found || echo 'not here; expected on the GPU machine')) =="
  echo "== steps (budget ${BUDGET_S} s) =="
  local step name timeout quick kind args
  for step in "${STEPS[@]}"; do
    IFS='|' read -r name timeout quick kind args <<< "${step}"
    # the filters hold '|': re-read everything after the fourth field
    args=${step#*|*|*|*|}
    total_timeout=$((total_timeout + timeout))
    printf '  %-14s timeout %4ss%s\n' "$name" "$timeout" "$([ "$quick" = 1 ] && echo ', also in --quick')"
    local words=()
    mapfile -t words < <(step_command "$kind" "$args")
    if [ "$kind" = env ]; then echo "      ${words[*]}"; else echo "      $(printf '%q ' "${words[@]}")"; fi
    case "$kind" in
      gtest|sanitizer)
        local filter n
        filter=$(printf '%s\n' $args | sed -n 's/^--gtest_filter=//p')
        n=$("$TEST_BIN" --gtest_list_tests "--gtest_filter=$filter" 2>/dev/null | grep -c '^  ')
        [ "$n" -gt 0 ] && echo "      -> $n tests" || fail "$name: gtest filter '$filter' selects no test"
        ;;
      bench)
        local filter n
        filter=$(printf '%s\n' $args | sed -n 's/^--benchmark_filter=//p')
        n=$("$BENCH_BIN" --benchmark_list_tests "--benchmark_filter=$filter" 2>/dev/null | grep -c .)
        [ "$n" -gt 0 ] && echo "      -> $n rows" || fail "$name: benchmark filter '$filter' selects no row"
        ;;
    esac
  done
  echo "== worst case: every step at its timeout = ${total_timeout} s; the run stops starting steps after ${BUDGET_S} s =="
  if [ "$failures" -gt 0 ]; then
    echo "gpu_check dry run: $failures problem(s)"
    return 1
  fi
  echo "gpu_check dry run: ok"
}

# ======================================================================================================
# run: the report is rebuilt from its parts after every step (temp file, then rename).
run() {
  mkdir -p "$OUT_DIR" || exit 1
  local work
  work=$(mktemp -d)
  local report=$OUT_DIR/report.md start
  start=$(date +%s)
  : > "$work/summary"
  : > "$work/body"
  [ -f "${BUNDLE}/MANIFEST" ] && cp "$BUNDLE/MANIFEST" "$work/manifest" || echo "(no MANIFEST in $BUNDLE)" > "$work/manifest"

  # cuDNN: the bundle links libcudnn.so.9 but does not carry it; find the GPU machine's.
  local cudnn_dir=""
  if ! ldd "$TEST_BIN" 2>/dev/null | grep -q "libcudnn.so.9 => /"; then
    for d in /usr/local/cuda/lib64 /usr/lib/x86_64-linux-gnu \
             "$(python3 -c 'import nvidia.cudnn, os; print(os.path.join(list(nvidia.cudnn.__path__)[0], "lib"))' 2>/dev/null)" \
             "$(python3 -c 'import torch, os; print(os.path.join(os.path.dirname(torch.__file__), "lib"))' 2>/dev/null)"; do
      [ -n "$d" ] && [ -e "$d/libcudnn.so.9" ] && { cudnn_dir=$d; break; }
    done
  fi
  [ -n "$cudnn_dir" ] && export LD_LIBRARY_PATH="$cudnn_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

  write_report() {
    {
      echo "# gpu_check report"
      echo
      echo "- mode: $([ "$QUICK" = 1 ] && echo quick || echo full), started $(date -u -d "@$start" '+%Y-%m-%d %H:%M:%S UTC'), $(( $(date +%s) - start )) s so far, budget ${BUDGET_S} s"
      echo "- device: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -1 || echo 'nvidia-smi failed')"
      echo "- cuDNN from: ${cudnn_dir:-the default library path}"
      echo
      echo '```'
      cat "$work/manifest"
      echo '```'
      echo
      echo "| step | result | seconds | timeout | detail |"
      echo "|---|---|---|---|---|"
      cat "$work/summary"
      echo
      cat "$work/body"
    } > "$report.tmp" && mv "$report.tmp" "$report"
  }

  local step name timeout quick kind args
  for step in "${STEPS[@]}"; do
    IFS='|' read -r name timeout quick kind args <<< "${step}"
    args=${step#*|*|*|*|}
    [ "$QUICK" = 1 ] && [ "$quick" != 1 ] && continue
    local left=$((BUDGET_S - ($(date +%s) - start)))
    if [ "$left" -lt 15 ]; then
      echo "| $name | not run | 0 | $timeout | budget spent |" >> "$work/summary"
      write_report
      continue
    fi
    [ "$timeout" -gt "$left" ] && timeout=$left
    echo "== $name (timeout ${timeout} s) =="
    local log=$work/$name.log t0 rc
    t0=$(date +%s)
    if [ "$kind" = env ]; then
      timeout -k 5 "$timeout" bash -c 'T=$1 B=$2 S=$3
        status=0
        nvidia-smi -L || { echo "nvidia-smi sees no GPU: the GPU steps below will skip"; status=1; }
        nvidia-smi
        for b in "$T" "$B"; do echo "--- ldd $b"; ldd "$b"; done
        ldd "$T" "$B" | grep "not found" && { echo "libraries missing: the programs cannot start"; status=1; }
        echo "--- compute-sanitizer: $("$S" --version 2>&1 | tail -1)"
        python3 -c "import torch; print(\"torch\", torch.__version__, \"cuda\", torch.version.cuda, \"cudnn\", torch.backends.cudnn.version(), torch.cuda.get_device_name(0))" 2>&1 | tail -1
        "$T" --gtest_list_tests | grep -c "^  " | sed "s/^/test_cuda tests: /"
        exit $status
      ' env_step "$TEST_BIN" "$BENCH_BIN" "$SANITIZER" > "$log" 2>&1
      rc=$?
    else
      local cmd=()
      mapfile -t cmd < <(step_command "$kind" "$args")
      case "$kind" in
        bench) cmd+=("--benchmark_out=$work/$name.json" --benchmark_out_format=json) ;;
        gtest) cmd+=("--gtest_output=xml:$work/$name.xml") ;;
      esac
      { printf '%q ' "${cmd[@]}"; echo; } > "$work/$name.cmd"
      if [ "$kind" = sanitizer ]; then
        YOLOPICK_CUDA_NO_CACHE=1 timeout -k 10 "$timeout" "${cmd[@]}" > "$log" 2>&1
      else
        PYTHONUNBUFFERED=1 timeout -k 10 "$timeout" "${cmd[@]}" > "$log" 2>&1
      fi
      rc=$?
    fi
    local secs=$(( $(date +%s) - t0 )) result detail
    case $rc in
      0) result=ok
         # a GPU step whose tests all skipped ran nothing: say so in the summary
         if [ "$kind" = gtest ] && grep -q '^\[  SKIPPED \]' "$log" && ! grep -q '^\[  PASSED  \] [1-9]' "$log"; then
           result="**ALL SKIPPED**"
         fi ;;
      124|137) result="**TIMEOUT**" ;;
      *) result="**FAILED** (exit $rc)" ;;
    esac
    detail=$(python3 scripts/gpu_check_report.py detail "$kind" "$log" "$work/$name.json" 2>/dev/null | head -1)
    echo "| $name | $result | $secs | $timeout | ${detail:-} |" >> "$work/summary"
    {
      echo "## $name: $result in $secs s"
      echo
      [ -f "$work/$name.cmd" ] && { echo '```'; cat "$work/$name.cmd"; echo '```'; echo; }
      python3 scripts/gpu_check_report.py section "$kind" "$log" "$work/$name.json" 2>&1 ||
        { echo '```'; tail -n 80 "$log"; echo '```'; }
      echo
    } >> "$work/body"
    write_report
    echo "   $result in $secs s"
  done
  python3 scripts/gpu_check_report.py compare "$work/bench_model.json" "$work/torch_peer.log" >> "$work/body" 2>/dev/null
  write_report
  echo "report: $report"
  # Non-zero when any step failed, so a caller sees it without reading the report.
  local status=0
  grep -qE '\*\*(FAILED|TIMEOUT|ALL SKIPPED)' "$work/summary" && status=1
  rm -rf "$work"
  return $status
}

case "$MODE" in
  prepare) prepare ;;
  dry-run) dry_run ;;
  run) run ;;
esac
