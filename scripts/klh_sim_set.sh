# klh_sim_set.sh: sourced by scripts/train_klh_picker.sh and scripts/experiment_sim_hardneg.sh - the simulated KLH
# training set with hard negatives, made the same way for both.
#
# 16 imaging conditions spanning the six real KLH images as a whole (not any one of them): far-from-focus
# defocus, effective dose (3.5 matches the raw image's noise), contrast, particle density, pixel size (particle
# size -9..+10 %), debris, ice, filaments, and half of them with the DeepCryoPicker processed look that five of
# the six real images have. Every micrograph also has the default hard negatives (simulate --help).
#   defocus dose phase particles side apix processed debris ice filaments touching
klh_sim_conditions=("2.5 3.5 0.22 30 0.5 2.2 0 12 1 1 0.25"  "3.0 2.5 0.20 25 0.4 2.3 1 20 1 2 0.30"
                    "2.0 5.0 0.26 40 0.6 2.1 1 8 0 1 0.40"   "3.5 3.0 0.18 20 0.5 2.2 0 16 2 0 0.20"
                    "1.5 4.0 0.30 35 0.5 2.0 1 25 1 3 0.30"  "2.5 2.0 0.24 45 0.6 2.2 1 12 0 2 0.40"
                    "4.0 3.5 0.22 25 0.4 2.4 0 6 1 1 0.10"   "3.0 6.0 0.16 30 0.7 2.1 1 30 2 1 0.30"
                    "2.0 3.0 0.28 20 0.3 2.3 0 10 0 0 0.20"  "2.5 4.5 0.20 35 0.5 2.2 1 18 1 2 0.35"
                    "3.5 2.5 0.32 30 0.6 2.0 1 14 1 1 0.25"  "1.5 3.5 0.18 25 0.5 2.4 0 20 2 2 0.15"
                    "3.0 5.0 0.24 40 0.4 2.2 0 8 1 1 0.40"   "2.0 2.5 0.22 30 0.6 2.1 1 25 0 3 0.25"
                    "4.0 4.0 0.26 20 0.5 2.3 1 12 1 0 0.20"  "2.5 3.0 0.20 35 0.4 2.2 0 16 1 2 0.30")

# klh_sim_set DIR: 4 training + 1 validation micrograph per condition (PNG, seeds 300+i / 400+i) under DIR/train/cI
# and DIR/val/cI, and DIR/data.yaml over them; kept when DIR/data.yaml exists. Needs $YOLOPICK.
klh_sim_set() {
  local dir=$1 i split n seed defocus dose phase particles side apix processed debris ice filaments touching
  [ -f "$dir/data.yaml" ] && return 0
  rm -rf "$dir"; mkdir -p "$dir"
  for i in "${!klh_sim_conditions[@]}"; do
    read -r defocus dose phase particles side apix processed debris ice filaments touching <<<"${klh_sim_conditions[$i]}"
    for split in train val; do
      n=4; seed=$((300 + i)); [ "$split" = val ] && { n=1; seed=$((400 + i)); }
      "$YOLOPICK" simulate --n "$n" --seed "$seed" --defocus "$defocus" --dose "$dose" --phase "$phase" \
        --particles "$particles" --side-fraction "$side" --apix "$apix" --processed "$processed" --debris "$debris" \
        --ice "$ice" --filaments "$filaments" --touching "$touching" --format png -o "$dir/$split/c$i" >/dev/null
    done
  done
  local train_list="" val_list=""
  for i in "${!klh_sim_conditions[@]}"; do
    train_list+="${train_list:+, }train/c$i"; val_list+="${val_list:+, }val/c$i"
  done
  printf "train: [%s]\nval: [%s]\nnc: 2\nnames: [top, side]\n" "$train_list" "$val_list" >"$dir/data.yaml"
}
