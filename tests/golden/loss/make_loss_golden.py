#!/usr/bin/env python3
"""Golden values for yolo/loss.cpp from an independent NumPy transcription of YOLOv5 v7.0's
utils/loss.py (ComputeLoss, build_targets) and utils/metrics.py (bbox_iou, CIoU).

It is written the way the PyTorch original is (vectorised masks, repeat/stack, fancy indexing with
last-write-wins), not the way the C++ is (loops), so the two share formulas but not structure.

Writes loss_case.bin: a flat little-endian float64 file:
  header [nl, N, na, nc, image_size, n_targets, H0, W0, H1, W1, ...]
  anchors (nl*na*2, grid units), targets (n_targets*6: img, cls, cx, cy, w, h),
  predictions per level (N*na*H*W*(5+nc)), then [lbox, lobj, lcls, total]
Run: python3 tests/golden/loss/make_loss_golden.py   (needs numpy)
"""
import math
import os

import numpy as np


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def bce_mean(z, t):
    return np.mean(np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z))))


def bbox_ciou(box1, box2, eps=1e-7):
    (x1, y1, w1, h1), (x2, y2, w2, h2) = box1.T, box2.T
    b1_x1, b1_x2, b1_y1, b1_y2 = x1 - w1 / 2, x1 + w1 / 2, y1 - h1 / 2, y1 + h1 / 2
    b2_x1, b2_x2, b2_y1, b2_y2 = x2 - w2 / 2, x2 + w2 / 2, y2 - h2 / 2, y2 + h2 / 2
    inter = np.clip(np.minimum(b1_x2, b2_x2) - np.maximum(b1_x1, b2_x1), 0, None) * \
        np.clip(np.minimum(b1_y2, b2_y2) - np.maximum(b1_y1, b2_y1), 0, None)
    union = w1 * h1 + w2 * h2 - inter + eps
    iou = inter / union
    cw = np.maximum(b1_x2, b2_x2) - np.minimum(b1_x1, b2_x1)
    ch = np.maximum(b1_y2, b2_y2) - np.minimum(b1_y1, b2_y1)
    c2 = cw ** 2 + ch ** 2 + eps
    rho2 = ((b2_x1 + b2_x2 - b1_x1 - b1_x2) ** 2 + (b2_y1 + b2_y2 - b1_y1 - b1_y2) ** 2) / 4
    v = (4 / math.pi ** 2) * (np.arctan(w2 / h2) - np.arctan(w1 / h1)) ** 2
    alpha = v / (v - iou + (1 + eps))
    return iou - (rho2 / c2 + v * alpha)


def build_targets(p, targets, anchors, anchor_t=4.0):
    na, nt = anchors.shape[1], targets.shape[0]
    tcls, tbox, indices, anch = [], [], [], []
    gain = np.ones(7)
    ai = np.tile(np.arange(na, dtype=float).reshape(na, 1), (1, nt))
    t_all = np.concatenate((np.tile(targets[None], (na, 1, 1)), ai[..., None]), 2)  # (na, nt, 7)
    g = 0.5
    off = np.array([[0, 0], [1, 0], [0, 1], [-1, 0], [0, -1]], dtype=float) * g
    for i, pi in enumerate(p):
        shape = pi.shape
        gain[2:6] = np.array(shape)[[3, 2, 3, 2]]
        t = t_all * gain
        r = t[..., 4:6] / anchors[i][:, None]
        j = np.maximum(r, 1 / r).max(2) < anchor_t
        t = t[j]
        gxy = t[:, 2:4]
        gxi = gain[[2, 3]] - gxy
        j, k = ((gxy % 1 < g) & (gxy > 1)).T
        l, m = ((gxi % 1 < g) & (gxi > 1)).T
        j = np.stack((np.ones_like(j), j, k, l, m))
        t = np.tile(t[None], (5, 1, 1))[j]
        offsets = (np.zeros_like(gxy)[None] + off[:, None])[j]
        b, c = t[:, 0].astype(np.int64), t[:, 1].astype(np.int64)
        gxy, gwh, a = t[:, 2:4], t[:, 4:6], t[:, 6].astype(np.int64)
        gij = np.trunc(gxy - offsets).astype(np.int64)
        gi, gj = gij.T
        indices.append((b, a, np.clip(gj, 0, shape[2] - 1), np.clip(gi, 0, shape[3] - 1)))
        tbox.append(np.concatenate((gxy - gij, gwh), 1))
        anch.append(anchors[i][a])
        tcls.append(c)
    return tcls, tbox, indices, anch


def compute_loss(p, targets, anchors, nc, imgsz, box=0.05, obj=1.0, cls=0.5, eps_ls=0.0):
    nl = len(p)
    box *= 3 / nl
    cls *= nc / 80 * 3 / nl
    obj *= (imgsz / 640) ** 2 * 3 / nl
    balance = [4.0, 1.0, 0.4]
    cp, cn = 1.0 - 0.5 * eps_ls, 0.5 * eps_ls
    lcls = lbox = lobj = 0.0
    tcls, tbox, indices, anch = build_targets(p, targets, anchors)
    for i, pi in enumerate(p):
        b, a, gj, gi = indices[i]
        tobj = np.zeros(pi.shape[:4])
        n = b.shape[0]
        if n:
            ps = pi[b, a, gj, gi]
            pxy = sigmoid(ps[:, 0:2]) * 2 - 0.5
            pwh = (sigmoid(ps[:, 2:4]) * 2) ** 2 * anch[i]
            iou = bbox_ciou(np.concatenate((pxy, pwh), 1), tbox[i])
            lbox += (1.0 - iou).mean()
            tobj[b, a, gj, gi] = np.clip(iou, 0, None)  # numpy fancy assignment: last write wins
            if nc > 1:
                t = np.full_like(ps[:, 5:], cn)
                t[np.arange(n), tcls[i]] = cp
                lcls += bce_mean(ps[:, 5:], t)
        lobj += bce_mean(pi[..., 4], tobj) * balance[i]
    lbox *= box
    lobj *= obj
    lcls *= cls
    bs = p[0].shape[0]
    return lbox, lobj, lcls, (lbox + lobj + lcls) * bs


def main():
    rng = np.random.default_rng(7)
    N, na, nc, imgsz = 2, 3, 3, 128
    strides = [8, 16, 32]
    anchors_px = np.array([[10, 13, 16, 30, 33, 23], [30, 61, 62, 45, 59, 119], [116, 90, 156, 198, 373, 326]], float)
    anchors = anchors_px.reshape(3, 3, 2) / np.array(strides, float)[:, None, None]
    p = [rng.normal(0, 1.5, size=(N, na, imgsz // s, imgsz // s, 5 + nc)) for s in strides]
    targets = []
    for img in range(N):
        for _ in range(6):
            w, h = rng.uniform(0.05, 0.6, size=2)
            cx, cy = rng.uniform(w / 2, 1 - w / 2), rng.uniform(h / 2, 1 - h / 2)
            targets.append([img, rng.integers(0, nc), cx, cy, w, h])
    targets.append(targets[0][:])  # a duplicate target: two positives in one cell
    targets = np.array(targets, float)
    lbox, lobj, lcls, total = compute_loss(p, targets, anchors, nc, imgsz)
    header = [3, N, na, nc, imgsz, len(targets)] + [v for s in strides for v in (imgsz // s, imgsz // s)]
    blob = np.concatenate([np.array(header, float), anchors.ravel(), targets.ravel()] + [x.ravel() for x in p] +
                          [np.array([lbox, lobj, lcls, total])])
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "loss_case.bin")
    blob.astype("<f8").tofile(out)
    print(f"wrote {out}: lbox {lbox:.10f} lobj {lobj:.10f} lcls {lcls:.10f} total {total:.10f}")


if __name__ == "__main__":
    main()
