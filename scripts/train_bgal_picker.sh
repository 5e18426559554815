#!/usr/bin/env bash
# The bundled beta-galactosidase picker, models/bgal_yolov5n.safetensors: trained on all 15 labelled EMPIAR-10017
# micrographs at a physical scale, calibrated on its validation split, stored as float16 (docs/results.md, "The
# bundled beta-gal picker"). Rerunning it continues where it stopped: a finished training run is kept.
#   ../shared/data/empiar10017_bgal_cryosegnet: 4096 px at 1.77 A/px, particles 108 px (190 A); the 15 micrographs
#   with masks (the 5 without are kept aside: never trained on, calibrated on or scored here).
#   Split: validation 14_33_35 15_30_21 15_33_42 (3), training the other 12. The validation micrographs choose
#   the best epoch and the calibrated threshold, so figures on them are not held-out figures.
#   Recipe as scripts/train_bgal_scaled.sh: COCO yolov5n, gray stem, the network at 3.54 A/px (--bin 2: particles
#   54 px), 640-px crops, zoom +-25 %, batch 4, nominal batch 8, --max-det 1000; EPOCHS (default 20).
#   WORK (default runs/bgal_picker), OUT (default models/bgal_yolov5n.safetensors), YOLOPICK (the binary),
#   YOLOPICK_SHARED (../shared).
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${WORK:-runs/bgal_picker}
OUT=${OUT:-models/bgal_yolov5n.safetensors}
EPOCHS=${EPOCHS:-20}
YOLOPICK=${YOLOPICK:-build/apps/yolopick}
SHARED=${YOLOPICK_SHARED:-../shared}
DATA="$SHARED/data/empiar10017_bgal_cryosegnet"
[ -x "$YOLOPICK" ] || { cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null; cmake --build build --target yolopick; }
start=$(date +%s)

val_set="14_33_35 15_30_21 15_33_42"
if [ ! -f "$WORK/run/trained" ]; then
  rm -rf "$WORK/data" "$WORK/run"
  mkdir -p "$WORK/data/images/"{train,val}
  for mask in "$DATA"/masks/*_mask.jpg; do  # the micrographs with ground truth, and only those
    name=$(basename "$mask" _mask.jpg)
    stamp=${name#Falcon_2012_06_12-}; stamp=${stamp%_0}
    split=train
    [[ " $val_set " == *" $stamp "* ]] && split=val
    ln -s "$(realpath "$DATA/images/$name.jpg")" "$WORK/data/images/$split/$name.jpg"
  done
  for split in train val; do  # centres from the masks (train/mask_centres.h), 108-px boxes
    "$YOLOPICK" train labels --images "$WORK/data/images/$split" --masks "$DATA/masks" --box 108 \
      --out "$WORK/data/labels/$split"
  done
  printf "path: %s\ntrain: images/train\nval: images/val\nnc: 1\nnames: ['bgal']\n" "$(realpath "$WORK/data")" \
    >"$WORK/data/data.yaml"
  "$YOLOPICK" train --data "$WORK/data/data.yaml" --model "$SHARED/weights/yolov5n.pt" --imgsz 640 \
    --apix 1.77 --bin 2 --particle-diameter 190 --scale 0.25 --batch 4 --nominal-batch 8 --epochs "$EPOCHS" \
    --max-det 1000 --workers 1 --seed 0 --out "$WORK/run"
  touch "$WORK/run/trained"
fi

# The shipped file: float16, then calibrated in place on the validation micrographs, picked as `pick` picks them
# (the same JPEGs, --apix), one-to-one centre within one particle radius (54 px).
"$YOLOPICK" import "$WORK/run/best.safetensors" --fp16 -o "$OUT"
"$YOLOPICK" calibrate -m "$OUT" --data "$WORK/data/data.yaml" --split val --match dist:54 --apix 1.77
"$YOLOPICK" info "$OUT" | grep -E "^(input|scale|conf threshold|calibration):"

# The validation micrographs through `pick` with its default settings, scored per micrograph: its CSVs (the picks
# at the calibrated threshold, all kept: --conf 0), then its .cbox files (every pick >= 0.01: the whole curve).
rm -rf "$WORK/picks" "$WORK/evaluation" "$WORK/evaluation_curve"
"$YOLOPICK" pick --model "$OUT" --apix 1.77 --input "$WORK/data/images/val" -o "$WORK/picks" --quiet
"$YOLOPICK" evaluate --pred "$WORK/picks" --pred-format csv --conf 0 --truth "$WORK/data/labels/val" \
  --truth-format txt --size 4096x4096 --match dist:54 --images "$WORK/data/images/val" -o "$WORK/evaluation"
"$YOLOPICK" evaluate --pred "$WORK/picks" --pred-format cbox --truth "$WORK/data/labels/val" --truth-format txt \
  --size 4096x4096 --match dist:54 -o "$WORK/evaluation_curve"
echo "wall time $(( $(date +%s) - start )) s"
