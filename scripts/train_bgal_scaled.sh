#!/usr/bin/env bash
# A beta-galactosidase picker trained at a physical scale, and scored through `pick` with its default settings on
# labelled micrographs it never saw (docs/training.md "Scale", docs/results.md). The proof of the scale feature, not
# a bundled model: nothing is written to models/.
#   EMPIAR-10017 (../shared/data/empiar10017_bgal_cryosegnet): 4096 px at 1.77 A/px, particles 108 px (190 A).
#   Trained at 3.54 A/px (--bin 2: particles 54 px at the network) on 640-px crops; validated on whole micrographs
#   tiled as pick tiles them.
#   Split (as docs/results.md): test 14_33_35 15_07_41 15_17_31 15_27_22; val 15_30_21 15_33_42; train the other 9.
#   WORK (default runs/bgal_scaled), EPOCHS (default 12), YOLOPICK (the binary), YOLOPICK_SHARED (../shared).
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${WORK:-runs/bgal_scaled}
EPOCHS=${EPOCHS:-12}
YOLOPICK=${YOLOPICK:-build/apps/yolopick}
SHARED=${YOLOPICK_SHARED:-../shared}
DATA="$SHARED/data/empiar10017_bgal_cryosegnet"
[ -x "$YOLOPICK" ] || { cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null; cmake --build build --target yolopick; }

test_set="14_33_35 15_07_41 15_17_31 15_27_22"
val_set="15_30_21 15_33_42"
rm -rf "$WORK/data"
mkdir -p "$WORK/data/images/"{train,val,test}
for mask in "$DATA"/masks/*_mask.jpg; do
  name=$(basename "$mask" _mask.jpg)
  stamp=${name#Falcon_2012_06_12-}; stamp=${stamp%_0}
  split=train
  [[ " $test_set " == *" $stamp "* ]] && split=test
  [[ " $val_set " == *" $stamp "* ]] && split=val
  ln -s "$(realpath "$DATA/images/$name.jpg")" "$WORK/data/images/$split/$name.jpg"
done
for split in train val test; do  # centres from the masks (train/mask_centres.h), 108-px boxes
  "$YOLOPICK" train labels --images "$WORK/data/images/$split" --masks "$DATA/masks" --box 108 \
    --out "$WORK/data/labels/$split"
done
printf "path: %s\ntrain: images/train\nval: images/val\ntest: images/test\nnc: 1\nnames: ['bgal']\n" \
  "$(realpath "$WORK/data")" >"$WORK/data/data.yaml"

# COCO yolov5n, one gray class; the micrographs (JPEG: no header) at 1.77 A/px, the network at 2x that; a particle
# of 190 A (54 px at the network: the tiles overlap by 81). Zoom +-25 % around the recorded scale (pick resamples
# exactly, so YOLOv5's +-50 % is more than needed); --max-det 1000 as a 4096-px micrograph holds ~600 particles.
rm -rf "$WORK/run"
"$YOLOPICK" train --data "$WORK/data/data.yaml" --model "$SHARED/weights/yolov5n.pt" --imgsz 640 \
  --apix 1.77 --bin 2 --particle-diameter 190 --scale 0.25 --batch 4 --nominal-batch 8 --epochs "$EPOCHS" \
  --max-det 1000 --workers 1 --seed 0 --out "$WORK/run"
"$YOLOPICK" info "$WORK/run/best.safetensors" | grep -E "^(input|scale):"

# pick with its default settings (the JPEGs need --apix), scored centre within one radius (54 px), one-to-one.
rm -rf "$WORK/picks" "$WORK/evaluation"
"$YOLOPICK" pick --model "$WORK/run/best.safetensors" --apix 1.77 --input "$WORK/data/images/test" \
  -o "$WORK/picks" --quiet
"$YOLOPICK" evaluate --pred "$WORK/picks" --truth "$WORK/data/labels/test" --truth-format txt --size 4096x4096 \
  --match dist:54 -o "$WORK/evaluation"
