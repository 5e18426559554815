#!/usr/bin/env python3
"""Draws docs/img/picking_sim_vs_real_*.png: simulated and real KLH micrographs side by side.

A documentation helper, not part of the product (needs numpy and Pillow: pip install numpy pillow).
It simulates with the yolopick binary (fixed seeds, so the figure is reproducible), then cuts crops:

  picking_sim_vs_real_full.png   whole micrographs, real | simulated, raw look (top) and processed look (bottom)
  picking_sim_vs_real_crop.png   320-px crops of rings, side views and objects not to pick, real | simulated

Real crops come from ../shared/data/klh_nramm_png: the raw far-from-focus image 01nov26b.008.001.001.002 and the
labelled processed images KLH_002 and KLH_004 (positions from their labels). Every crop is contrast-stretched
to its own 0.5/99.5 percentiles, as a viewer would show it.

usage: scripts/figure_sim_vs_real.py [--yolopick build/apps/yolopick] [--shared ../shared] [--out docs/img]
"""
import argparse
import csv
import os
import subprocess
import tempfile

import numpy as np
from PIL import Image, ImageDraw

CROP = 320      # px at 2048 (2.2 A/px): a particle and its surroundings
SHOW = 200      # px on the page per crop
FULL = 480      # px on the page per whole micrograph


def load(path):
    return np.asarray(Image.open(path).convert("L")).astype(np.float64)


def stretch(a):
    lo, hi = np.percentile(a, [0.5, 99.5])
    return np.clip((a - lo) / max(hi - lo, 1e-9) * 255, 0, 255).astype(np.uint8)


def crop(a, x, y, size=CROP):
    x0 = int(round(min(max(x - size / 2, 0), a.shape[1] - size)))
    y0 = int(round(min(max(y - size / 2, 0), a.shape[0] - size)))
    return Image.fromarray(stretch(a[y0:y0 + size, x0:x0 + size])).resize((SHOW, SHOW), Image.LANCZOS)


def yolo_boxes(path, n=2048):
    out = []
    for line in open(path):
        t = line.split()
        if len(t) >= 5:
            out.append((int(t[0]), float(t[1]) * n - 0.5, float(t[2]) * n - 0.5))
    return out


def marks(path):
    out = []
    for line in open(path):
        t = line.split(maxsplit=2)
        if len(t) >= 2:
            out.append((float(t[0]), float(t[1]), t[2].strip() if len(t) > 2 else ""))
    return out


def sim_objects(labels_csv):
    with open(labels_csv) as f:
        return list(csv.DictReader(f))


def first(objs, pred):
    """The first object satisfying pred whose crop stays inside the image."""
    for o in objs:
        x, y = float(o["x"]), float(o["y"])
        if pred(o) and CROP / 2 <= x <= 2048 - CROP / 2 and CROP / 2 <= y <= 2048 - CROP / 2:
            return x, y
    raise SystemExit("no object for a crop; change the seed")


def row(tiles, gap=6):
    w = sum(t.width for t in tiles) + gap * (len(tiles) - 1)
    out = Image.new("L", (w, max(t.height for t in tiles)), 255)
    x = 0
    for t in tiles:
        out.paste(t, (x, 0))
        x += t.width + gap
    return out


def titled(img, text):
    out = Image.new("L", (img.width, img.height + 18), 255)
    out.paste(img, (0, 18))
    ImageDraw.Draw(out).text((2, 3), text, fill=0)
    return out


def stack(images, gap=10):
    w = max(i.width for i in images)
    out = Image.new("L", (w, sum(i.height for i in images) + gap * (len(images) - 1)), 255)
    y = 0
    for i in images:
        out.paste(i, (0, y))
        y += i.height + gap
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--yolopick", default="build/apps/yolopick")
    ap.add_argument("--shared", default=os.environ.get("YOLOPICK_SHARED", "../shared"))
    ap.add_argument("--out", default="docs/img")
    args = ap.parse_args()
    klh = os.path.join(args.shared, "data/klh_nramm_png")
    raw = load(os.path.join(klh, "01nov26b.008.001.001.002.png"))
    proc = {n: load(os.path.join(klh, "processed_deepcryopicker", n + ".png")) for n in ("KLH_002", "KLH_004")}
    labels = {n: yolo_boxes(os.path.join(klh, "labels", n + ".txt")) for n in proc}
    excluded = {n: marks(os.path.join(klh, "labels", n + ".excluded.txt")) for n in proc}

    with tempfile.TemporaryDirectory() as tmp:
        sims = {}
        for look, seed, extra in (("raw", 21, []), ("processed", 22, ["--processed", "1"])):
            d = os.path.join(tmp, look)
            subprocess.run([args.yolopick, "simulate", "--n", "1", "--seed", str(seed), "--particles", "30", "--format", "png", "-o", d] + extra,
                           check=True, stdout=subprocess.DEVNULL)
            sims[look] = (load(os.path.join(d, "sim_00000.png")), sim_objects(os.path.join(d, "sim_00000_labels.csv")))

    def sim_crops(look):
        a, objs = sims[look]
        clean = lambda cls: (lambda o: o["rule"] == "pick" and o["class"] == cls and float(o["cut_fraction"]) == 0)
        picks = [first(objs, clean("0")), first(objs, clean("1")),
                 first(objs, lambda o: o["kind"] in ("stacked", "elongated")),
                 first(objs, lambda o: o["kind"] in ("aggregate", "overlapping", "broken", "under_debris"))]
        return [crop(a, x, y) for x, y in picks]

    # Real crops: raw image positions chosen by eye (a ring, a side view, the stacked side views at the left,
    # the aggregate of side views); processed ones from the labels (a ring, a side view, excluded objects).
    raw_crops = [crop(raw, 717, 328), crop(raw, 844, 1341), crop(raw, 317, 1352), crop(raw, 235, 1167)]
    ring2 = next((x, y) for c, x, y in labels["KLH_002"] if c == 0 and 200 < x < 1848 and 200 < y < 1848)
    side4 = next((x, y) for c, x, y in labels["KLH_004"] if c == 1 and 200 < x < 1848 and 200 < y < 1848)
    tube2 = next((x, y) for x, y, note in excluded["KLH_002"] if "tube" in note)
    tube4 = next((x, y) for x, y, note in excluded["KLH_004"] if "1.7x" in note)
    proc_crops = [crop(proc["KLH_002"], *ring2), crop(proc["KLH_004"], *side4), crop(proc["KLH_002"], *tube2),
                  crop(proc["KLH_004"], *tube4)]
    header = "ring | side view | long side view / tube | not to pick"
    crops = stack([
        titled(row(raw_crops), "REAL raw 01nov26b.008.001.001.002: " + header),
        titled(row(sim_crops("raw")), "SIMULATED raw look (yolopick simulate --seed 21)"),
        titled(row(proc_crops), "REAL processed KLH_002 / KLH_004: " + header),
        titled(row(sim_crops("processed")), "SIMULATED processed look (--processed 1 --seed 22)"),
    ])
    full = lambda a: Image.fromarray(stretch(a)).resize((FULL, FULL), Image.LANCZOS)
    whole = stack([
        titled(row([full(raw), full(sims["raw"][0])]), "raw look: real 01nov26b.008.001.001.002 | simulated"),
        titled(row([full(proc["KLH_002"]), full(sims["processed"][0])]), "processed look: real KLH_002 | simulated"),
    ])
    os.makedirs(args.out, exist_ok=True)
    crops.save(os.path.join(args.out, "picking_sim_vs_real_crop.png"), optimize=True)
    whole.save(os.path.join(args.out, "picking_sim_vs_real_full.png"), optimize=True)
    print("wrote", os.path.join(args.out, "picking_sim_vs_real_{crop,full}.png"))


if __name__ == "__main__":
    main()
