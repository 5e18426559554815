#!/usr/bin/env bash
# The recipe of the bundled KLH picker (models/klh_yolov5n.safetensors), see docs/results.md "The bundled KLH picker":
# the simulated-only picker of commit c349f4a (its recipe: that commit's version of this script, COCO yolov5n, 80
# epochs on 64 simulated micrographs) fine-tuned on simulated micrographs with hard negatives mixed with the two
# hand-labelled real micrographs (../shared/data/klh_nramm_png/labels: KLH_002, KLH_004), their excluded.txt as hard
# negatives and uncertain.txt as ignore regions in the loss (docs/training.md). CPU only.
#   MODE    final (default): leave-one-out (below), then train on sim + KLH_002 + KLH_004, write
#           models/klh_yolov5n.safetensors and store the leave-one-out best-F1 thresholds in it (pick's default)
#           loo: only the leave-one-out: two runs (sim + KLH_002 -> score KLH_004, sim + KLH_004 -> score KLH_002)
#           with `yolopick evaluate` (IoU >= 0.5, one-to-one, excluded/uncertain honoured), then both pooled
#           (WORK/loo_pooled/eval); models/ is not touched
#   WORK (default runs/klh_real)   EPOCHS (default 12)   REPEAT (default 16: draws of the real micrographs per epoch,
#   shared among them; with the 64 simulated ones the real share of an epoch is 16 / 80 = 20 %)
#   TRAIN_ARGS (extra `yolopick train` flags, e.g. --no-markers for the ablation in docs/results.md)
#   YOLOPICK (the binary)   YOLOPICK_SHARED (default ../shared)
# The four other real KLH images are kept aside: never trained on here (pick them and look).
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=${MODE:-final}
WORK=${WORK:-runs/klh_real}
EPOCHS=${EPOCHS:-12}
REPEAT=${REPEAT:-16}
TRAIN_ARGS=${TRAIN_ARGS:-}
YOLOPICK=${YOLOPICK:-build/apps/yolopick}
SHARED=${YOLOPICK_SHARED:-../shared}
KLH=$SHARED/data/klh_nramm_png
START_COMMIT=c349f4a
[ -x "$YOLOPICK" ] || { cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null; cmake --build build --target yolopick; }
mkdir -p "$WORK"
# The start: the simulated-only picker as committed (fp16; the training runs in float32 from it).
[ -f "$WORK/start.safetensors" ] || git show "$START_COMMIT:models/klh_yolov5n.safetensors" >"$WORK/start.safetensors"

# Simulated micrographs with hard negatives (scripts/klh_sim_set.sh, shared with scripts/experiment_sim_hardneg.sh).
source scripts/klh_sim_set.sh
SIM=$WORK/sim
klh_sim_set "$SIM"

# A data set of real micrographs: links to the images and to their labels, excluded and uncertain files (the loader
# finds NAME.txt, NAME.excluded.txt and NAME.uncertain.txt in labels/ beside images/).
real_set() {  # real_set DIR NAME...
  local dir=$1; shift
  rm -rf "$dir"; mkdir -p "$dir/images" "$dir/labels"
  for name in "$@"; do
    ln -s "$(realpath "$KLH/processed_deepcryopicker/$name.png")" "$dir/images/$name.png"
    for f in txt excluded.txt uncertain.txt; do ln -s "$(realpath "$KLH/labels/$name.$f")" "$dir/labels/$name.$f"; done
  done
  printf "train: images\nval: images\nnc: 2\nnames: [top, side]\n" >"$dir/data.yaml"
}

# Fine-tuning: the start's input pipeline (640 px letterbox, the study's chain) is kept, so pick does what training
# saw; the simulated set is given first, so validation (and best.safetensors) is on the simulated validation set,
# never on a real micrograph.
train_run() {  # train_run OUT NAME...
  local out=$1; shift
  local repeat=$((REPEAT / $#))
  real_set "$out/real" "$@"
  [ -f "$out/run/best.safetensors" ] || "$YOLOPICK" train --data "$SIM/data.yaml" --data "$out/real/data.yaml" \
    --data-repeat "1,$repeat" --model "$WORK/start.safetensors" --lr0 0.003 --imgsz 640 --batch 4 --nominal-batch 8 \
    --epochs "$EPOCHS" --patience 30 --seed 1 $TRAIN_ARGS --out "$out/run"
}

# Scoring on one real micrograph: default pick settings; the .cbox keeps every pick >= 0.01, so evaluate reports the
# default threshold (0.25) and the best-F1 threshold from one pick run.
score() {  # score MODEL NAME OUT
  local model=$1 name=$2 out=$3
  rm -rf "$out"; mkdir -p "$out/truth"
  for f in txt excluded.txt uncertain.txt; do ln -s "$(realpath "$KLH/labels/$name.$f")" "$out/truth/$name.$f"; done
  "$YOLOPICK" pick --model "$model" --input "$KLH/processed_deepcryopicker/$name.png" -o "$out/picks" --quiet
  "$YOLOPICK" evaluate --pred "$out/picks" --pred-format cbox --truth "$out/truth" --size 2048x2048 --names top,side \
    --images "$KLH/processed_deepcryopicker" -o "$out/eval" | tee "$out/evaluate.txt"
}

# Leave-one-out: each labelled real micrograph picked by the model trained without it, then both pooled in one
# evaluation (their best-F1 threshold per class is the bundled model's operating point: the final model has seen
# both, so thresholds measured on them with it would be optimistic).
leave_one_out() {
  for held in KLH_002 KLH_004; do
    train_on=KLH_004; [ "$held" = KLH_004 ] && train_on=KLH_002
    train_run "$WORK/loo_$held" "$train_on"
    score "$WORK/loo_$held/run/best.safetensors" "$held" "$WORK/loo_$held/score"
  done
  local pooled=$WORK/loo_pooled
  rm -rf "$pooled"; mkdir -p "$pooled/picks" "$pooled/truth"
  for held in KLH_002 KLH_004; do
    cp "$WORK/loo_$held/score/picks/$held.cbox" "$pooled/picks/"
    for f in txt excluded.txt uncertain.txt; do ln -s "$(realpath "$KLH/labels/$held.$f")" "$pooled/truth/$held.$f"; done
  done
  "$YOLOPICK" evaluate --pred "$pooled/picks" --pred-format cbox --truth "$pooled/truth" --size 2048x2048 \
    --names top,side -o "$pooled/eval" | tee "$pooled/evaluate.txt"
}
best_threshold() {  # best_threshold CLASS: the pooled evaluation's best-F1 threshold (summary.csv column 10)
  awk -F, -v c="$1" '$1 == c { print $10 }' "$WORK/loo_pooled/eval/summary.csv"
}

leave_one_out
if [ "$MODE" = final ]; then
  train_run "$WORK/final" KLH_002 KLH_004
  mkdir -p models
  "$YOLOPICK" import "$WORK/final/run/best.safetensors" --fp16 -o models/klh_yolov5n.safetensors
  "$YOLOPICK" calibrate -m models/klh_yolov5n.safetensors --thresholds "$(best_threshold top),$(best_threshold side)" \
    --how "best F1 per class pooled over the leave-one-out held-out micrographs KLH_002 and KLH_004 (each picked by the model trained without it), one-to-one iou:0.5 (scripts/train_klh_picker.sh)"
fi
