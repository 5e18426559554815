#!/usr/bin/env python3
"""Draws docs/img/scale_two_scales.png: the same beta-galactosidase particles as the network sees them at two scales.

A documentation helper, not part of the product (needs numpy and Pillow: pip install numpy pillow).
The micrograph is EMPIAR-10017's Falcon_2012_06_12-14_33_35_0 (4096 px at 1.77 A/px, CryoSegNet's JPEG, the one with a
CSV of particle centres: ../shared/data/empiar10017_bgal_cryosegnet). The same 640 x 640-px field (1133 A) is shown

  left   as a model without a scale sees it: the whole micrograph fitted into a 640-px input (4096 / 640 = 6.4x down,
         11.3 A/px): the field is 100 network pixels, a particle (190 A) 17 px
  right  as a model trained at 3.54 A/px (2x binned) sees it in its 640-px tiles: the field is 320 network pixels,
         a particle 54 px

both drawn 480 px wide with nearest-neighbour enlargement, so each network pixel shows as a block. Green circles are
the labelled particles (diameter 108 px of the micrograph). The resampling is Pillow's antialiased bicubic, close to
yolopick's (imgproc/resize.h); the exact network input is what `yolopick pick` makes (yolo/input_pipeline.h).

usage: scripts/figure_scale.py [--shared ../shared] [--out docs/img]
"""
import argparse
import csv
import os

import numpy as np
from PIL import Image, ImageDraw, ImageFont

NAME = "Falcon_2012_06_12-14_33_35_0"
APIX = 1.77      # A/px of the micrograph
DIAMETER = 108   # px of the micrograph (190 A)
FIELD = 640      # px of the micrograph shown
SHOW = 480       # px on the page per panel


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "docs", "img"))
    a = ap.parse_args()
    root = os.path.join(a.shared, "data", "empiar10017_bgal_cryosegnet")
    mic = Image.open(os.path.join(root, "images", NAME + ".jpg")).convert("L")
    with open(os.path.join(root, "csv_files", NAME + ".csv")) as f:
        centres = [(float(r["X-Coordinate"]), float(r["Y-Coordinate"])) for r in csv.DictReader(f)]
    x0, y0 = 1700, 1500  # a crowded, clean field away from the border stripes
    font = ImageFont.load_default(size=15)
    panels = []
    for down, title in [(4096 / 640, "no scale: the whole micrograph in 640 px (%.1f A/px)" % (APIX * 4096 / 640)),
                        (2.0, "scale 3.54 A/px (2x binned), 640-px tiles")]:
        # The whole micrograph resampled (as the pipeline does: the picture first, then the field is cut out).
        w = int(round(4096 / down))
        small = mic.resize((w, w), Image.BICUBIC)
        fx0, fy0, fn = int(round(x0 / down)), int(round(y0 / down)), int(round(FIELD / down))
        field = small.crop((fx0, fy0, fx0 + fn, fy0 + fn))
        a8 = np.asarray(field).astype(np.float64)
        lo, hi = np.percentile(a8, [0.5, 99.5])
        field = Image.fromarray(np.clip((a8 - lo) / max(hi - lo, 1e-9) * 255, 0, 255).astype(np.uint8))
        shown = field.resize((SHOW, SHOW), Image.NEAREST).convert("RGB")
        d = ImageDraw.Draw(shown)
        k = SHOW / FIELD  # page px per micrograph px
        r = DIAMETER / 2 * k
        for cx, cy in centres:
            if x0 <= cx < x0 + FIELD and y0 <= cy < y0 + FIELD:
                px, py = (cx - x0) * k, (cy - y0) * k
                d.ellipse((px - r, py - r, px + r, py + r), outline=(0, 200, 0), width=2)
        canvas = Image.new("RGB", (SHOW, SHOW + 44), (255, 255, 255))
        canvas.paste(shown, (0, 44))
        t = ImageDraw.Draw(canvas)
        t.text((4, 3), title, fill=(0, 0, 0), font=font)
        t.text((4, 23), "this field: %d network px; a particle: %.0f px" % (fn, DIAMETER / down), fill=(0, 0, 0),
               font=font)
        panels.append(canvas)
    out = Image.new("RGB", (2 * SHOW + 12, SHOW + 44), (255, 255, 255))
    out.paste(panels[0], (0, 0))
    out.paste(panels[1], (SHOW + 12, 0))
    os.makedirs(a.out, exist_ok=True)
    path = os.path.join(a.out, "scale_two_scales.png")
    out.save(path, optimize=True)
    print("wrote", path)


if __name__ == "__main__":
    main()
