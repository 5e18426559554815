#!/usr/bin/env python3
"""Golden values for train/metrics.cpp from an independent NumPy transcription of YOLOv5 v7.0's
val.py process_batch and utils/metrics.py (box_iou, ap_per_class, compute_ap, smooth).

Written the way the originals are (vectorised, np.unique / argsort / np.interp / np.trapz), so the
C++ loops are checked against the numpy semantics rather than against themselves.

Writes metrics_case.txt (whitespace-separated, %.17g):
  n_images
  per image: n_labels n_dets, then n_labels rows "cls x1 y1 x2 y2", then n_dets rows "x1 y1 x2 y2 conf cls"
  per image: n_dets rows of 10 0/1 flags (process_batch result)
  mp mr map50 map
  nc, then nc rows "cls p r ap50 ap"
Run: python3 tests/golden/train/make_metrics_golden.py   (needs numpy)
"""
import os

import numpy as np


def box_iou(box1, box2, eps=1e-7):
    a1, a2 = box1[:, None, :2], box1[:, None, 2:]
    b1, b2 = box2[None, :, :2], box2[None, :, 2:]
    inter = np.clip(np.minimum(a2, b2) - np.maximum(a1, b1), 0, None).prod(2)
    return inter / ((a2 - a1).prod(2) + (b2 - b1).prod(2) - inter + eps)


def process_batch(detections, labels, iouv):
    correct = np.zeros((detections.shape[0], iouv.shape[0])).astype(bool)
    iou = box_iou(labels[:, 1:], detections[:, :4])
    correct_class = labels[:, 0:1] == detections[:, 5]
    for i in range(len(iouv)):
        x = np.where((iou >= iouv[i]) & correct_class)
        if x[0].shape[0]:
            matches = np.concatenate((np.stack(x, 1), iou[x[0], x[1]][:, None]), 1)
            if x[0].shape[0] > 1:
                matches = matches[matches[:, 2].argsort(kind="stable")[::-1]]
                matches = matches[np.unique(matches[:, 1], return_index=True)[1]]
                matches = matches[np.unique(matches[:, 0], return_index=True)[1]]
            correct[matches[:, 1].astype(int), i] = True
    return correct


def smooth(y, f=0.05):
    nf = round(len(y) * f * 2) // 2 + 1
    p = np.ones(nf // 2)
    yp = np.concatenate((p * y[0], y, p * y[-1]), 0)
    return np.convolve(yp, np.ones(nf) / nf, mode="valid")


def compute_ap(recall, precision):
    mrec = np.concatenate(([0.0], recall, [1.0]))
    mpre = np.concatenate(([1.0], precision, [0.0]))
    mpre = np.flip(np.maximum.accumulate(np.flip(mpre)))
    x = np.linspace(0, 1, 101)
    return np.trapezoid(np.interp(x, mrec, mpre), x)


def ap_per_class(tp, conf, pred_cls, target_cls, eps=1e-16):
    i = np.argsort(-conf, kind="stable")
    tp, conf, pred_cls = tp[i], conf[i], pred_cls[i]
    unique_classes, nt = np.unique(target_cls, return_counts=True)
    nc = unique_classes.shape[0]
    px = np.linspace(0, 1, 1000)
    ap, p, r = np.zeros((nc, tp.shape[1])), np.zeros((nc, 1000)), np.zeros((nc, 1000))
    for ci, c in enumerate(unique_classes):
        i = pred_cls == c
        n_l = nt[ci]
        n_p = i.sum()
        if n_p == 0 or n_l == 0:
            continue
        fpc = (1 - tp[i]).cumsum(0)
        tpc = tp[i].cumsum(0)
        recall = tpc / (n_l + eps)
        r[ci] = np.interp(-px, -conf[i], recall[:, 0], left=0)
        precision = tpc / (tpc + fpc)
        p[ci] = np.interp(-px, -conf[i], precision[:, 0], left=1)
        for j in range(tp.shape[1]):
            ap[ci, j] = compute_ap(recall[:, j], precision[:, j])
    f1 = 2 * p * r / (p + r + eps)
    i = smooth(f1.mean(0), 0.1).argmax()
    return p[:, i], r[:, i], ap, unique_classes.astype(int)


def main():
    rng = np.random.default_rng(7)
    iouv = np.linspace(0.5, 0.95, 10)
    n_images, nc = 6, 3
    images, stats = [], []
    for _ in range(n_images):
        nl = int(rng.integers(0, 9))
        xy = rng.uniform(0, 500, (nl, 2))
        wh = rng.uniform(20, 80, (nl, 2))
        labels = np.concatenate((rng.integers(0, nc, (nl, 1)).astype(float), xy, xy + wh), 1)
        dets = []
        for l in labels:  # detections near most labels, some duplicated, some with the wrong class
            for _ in range(int(rng.integers(0, 3))):
                jitter = rng.normal(0, 6, 4)
                cls = l[0] if rng.uniform() < 0.85 else float(rng.integers(0, nc))
                dets.append(np.concatenate((l[1:] + jitter, [rng.uniform(0.01, 1.0), cls])))
        for _ in range(int(rng.integers(0, 4))):  # false positives anywhere
            xy = rng.uniform(0, 500, 2)
            dets.append(np.concatenate((xy, xy + rng.uniform(20, 80, 2), [rng.uniform(0.01, 1.0), float(rng.integers(0, nc))])))
        # Detections are float32, as YOLOv5's predictions and yolo::Detection are; the metrics work in float64.
        dets = np.array(dets).reshape(-1, 6).astype(np.float32).astype(np.float64)
        correct = process_batch(dets, labels, iouv) if len(labels) else np.zeros((len(dets), 10), bool)
        images.append((labels, dets, correct))
        stats.append((correct, dets[:, 4], dets[:, 5], labels[:, 0]))
    tp, conf, pcls, tcls = [np.concatenate(x, 0) for x in zip(*stats)]
    p, r, ap, classes = ap_per_class(tp, conf, pcls, tcls)
    ap50, apm = ap[:, 0], ap.mean(1)

    out = [f"{n_images}"]
    fmt = lambda v: " ".join("%.17g" % x for x in v)
    for labels, dets, _ in images:
        out.append(f"{len(labels)} {len(dets)}")
        out += [fmt(l) for l in labels]
        out += [fmt(d) for d in dets]
    for _, _, correct in images:
        out += [" ".join(str(int(b)) for b in row) for row in correct]
    out.append(fmt([p.mean(), r.mean(), ap50.mean(), apm.mean()]))
    out.append(str(len(classes)))
    for k, c in enumerate(classes):
        out.append(fmt([c, p[k], r[k], ap50[k], apm[k]]))
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "metrics_case.txt")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
    print(f"wrote {path}: mAP50 {ap50.mean():.4f} mAP {apm.mean():.4f} P {p.mean():.4f} R {r.mean():.4f}")


if __name__ == "__main__":
    main()
