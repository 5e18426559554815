#!/usr/bin/env bash
# The main job on built-in data: installs what is missing, builds yolopick, simulates a few KLH micrographs
# with exact labels, picks them with the bundled model (models/klh_yolov5n.safetensors) and scores the picks.
#   DEMO_DIR (default runs/demo): where everything goes.   N (default 4): micrographs.   BUILD_DIR (build).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
BUILD_DIR=${BUILD_DIR:-build}
DEMO_DIR=${DEMO_DIR:-runs/demo}
N=${N:-4}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DYOLOPICK_BENCH=OFF ${CMAKE_ARGS:-} >/dev/null
cmake --build "$BUILD_DIR" -j "$(nproc)" --target yolopick
yolopick="$BUILD_DIR/apps/yolopick"
"$yolopick" info
rm -rf "$DEMO_DIR"

echo; echo "== 1. simulate $N KLH micrographs (2048 px, 2.2 A/px; seed 2026: not in the training set)"
"$yolopick" simulate --n "$N" --seed 2026 -o "$DEMO_DIR/micrographs"

echo; echo "== 2. pick them with the bundled model"
"$yolopick" pick --model models/klh_yolov5n.safetensors --input "$DEMO_DIR/micrographs" -o "$DEMO_DIR/picks"

echo; echo "== 3. score the picks against the simulator's labels (one-to-one, IoU >= 0.5; a pick on an object not to"
echo "      pick, listed in NAME.excluded.txt, is a hard-negative false positive)"
"$yolopick" evaluate --pred "$DEMO_DIR/picks" --truth "$DEMO_DIR/micrographs" --truth-format txt \
  --match iou:0.5 --names top,side --images "$DEMO_DIR/micrographs" -o "$DEMO_DIR/evaluation"

echo
echo "Outputs in $DEMO_DIR:"
echo "  picks/       per micrograph: _autopick.star (RELION), .box (EMAN), .cbox (crYOLO, every pick with its"
echo "               confidence), .csv, .txt (YOLO), .png (annotated); autopick.star (RELION 4 index), particles.star"
echo "  micrographs/ NAME.mrc (2.2 A/px in the header), NAME.txt/.star (particles to pick), NAME.excluded.txt/.uncertain.txt"
echo "  evaluation/  summary.csv, micrographs.csv, thresholds.csv, pr_curve.csv, metrics.json, pr_curve.png,"
echo "               NAME_eval.png (each pick coloured by what it counts as)"
