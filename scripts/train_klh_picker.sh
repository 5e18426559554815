#!/usr/bin/env bash
# The recipe of the bundled KLH picker (models/klh_yolov5n.safetensors), see docs/results.md:
# COCO yolov5n -> two classes (0 = top, 1 = side) on simulated KLH micrographs, CPU only.
#   WORK (default runs/klh_sim): data and run folder.   EPOCHS (default 80).   YOLOPICK (the binary).
#   YOLOPICK_SHARED (default ../shared): where weights/yolov5n.pt is.
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${WORK:-runs/klh_sim}
EPOCHS=${EPOCHS:-80}
YOLOPICK=${YOLOPICK:-build/apps/yolopick}
SHARED=${YOLOPICK_SHARED:-../shared}
[ -x "$YOLOPICK" ] || { cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null; cmake --build build --target yolopick; }

# Training data: 16 imaging conditions x 4 micrographs, so the picker learns KLH and not one defocus, dose,
# contrast, particle density or size (the pixel size moves the particles' size in pixels by -10..+15 %).
# Validation: one micrograph per condition from other seeds.
#            defocus(um) dose(e/A^2) particles side-fraction pixel(A) phase(rad)
conditions=("1.5 2.0 20 0.5 2.2 0.22" "2.5 2.0 30 0.5 2.2 0.22" "3.5 2.0 25 0.5 2.2 0.22" "2.5 1.2 30 0.5 2.2 0.22"
            "2.5 3.0 35 0.6 2.2 0.22" "2.0 1.6 15 0.4 2.2 0.22" "3.0 2.5 40 0.5 2.2 0.22" "2.5 2.0 25 0.7 2.2 0.22"
            "2.0 2.0 25 0.5 2.0 0.30" "3.0 1.5 30 0.5 2.4 0.30" "2.5 2.5 20 0.6 2.5 0.35" "1.5 1.2 30 0.4 2.3 0.18"
            "3.5 3.0 35 0.5 2.1 0.16" "2.0 1.0 25 0.5 2.2 0.40" "3.0 2.0 40 0.6 2.4 0.25" "2.5 1.8 20 0.3 2.0 0.28")
rm -rf "$WORK/data"
for i in "${!conditions[@]}"; do
  read -r defocus dose particles side apix phase <<<"${conditions[$i]}"
  for split in train val; do
    n=4; seed=$((100 + i)); [ "$split" = val ] && { n=1; seed=$((200 + i)); }
    "$YOLOPICK" simulate --n "$n" --seed "$seed" --defocus "$defocus" --dose "$dose" --particles "$particles" \
      --side-fraction "$side" --apix "$apix" --phase "$phase" --format png -o "$WORK/data/$split/c$i" >/dev/null
  done
done
folders() { local list=""; for i in "${!conditions[@]}"; do list+="${list:+, }$1/c$i"; done; echo "[$list]"; }
cat >"$WORK/data/data.yaml" <<EOF
train: $(folders train)
val: $(folders val)
nc: 2
names: [top, side]
EOF

# 640 px (2048 -> 640: a top view is ~50 px), the study's chain (db15 wavelet, Wiener 9x9, CLAHE 4x4),
# batch 4 as the study, an optimizer step every 8 images (YOLOv5's nominal 64 would step once an epoch).
"$YOLOPICK" train --data "$WORK/data/data.yaml" --model "$SHARED/weights/yolov5n.pt" --imgsz 640 \
  --chain default --batch 4 --nominal-batch 8 --epochs "$EPOCHS" --patience 30 --seed 1 --out "$WORK/run"

mkdir -p models
"$YOLOPICK" import "$WORK/run/best.safetensors" --fp16 -o models/klh_yolov5n.safetensors
