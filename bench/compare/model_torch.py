#!/usr/bin/env python3
"""PyTorch eager peer of bench/bench_model.cpp: the same YOLOv5 network, the same weights, the same threads.

The network is a plain PyTorch definition written from the architecture rules (docs/model.md), built
from the yaml stored in one of our model files (yolopick import / save_model), with the weights read
from that file's safetensors data. BatchNorm is folded into the convs, as our inference does, and the
forward (conv stack + Detect decode) runs under torch.inference_mode(), batch 1.

    pip install torch numpy pyyaml
    ./build/apps/yolopick import ../shared/weights/yolov5n.pt -o /tmp/y5n.safetensors
    python3 bench/compare/model_torch.py /tmp/y5n.safetensors --sizes 640 1024 --threads 2 [--gray]
    # and the same file through our engine:
    YP_MODEL_FILE=/tmp/y5n.safetensors OMP_NUM_THREADS=2 ./build/bench/bench_model --benchmark_filter=file

With --golden DIR (../shared/golden/yolov5n_coco) and the RGB yolov5n file it first checks that this
definition reproduces the golden raw outputs, so the timing is of the right network.

--train times one training step instead, as bench/bench_train.cpp: the network in training mode (BN batch
statistics, not folded), YOLOv5 v7.0's loss (utils/loss.py ComputeLoss, written out below), backward,
clip_grad_norm_(10) and SGD with Nesterov momentum 0.937 over YOLOv5's three parameter groups; a random
batch of --batch images with 8 random boxes each, 80 classes:
    python3 bench/compare/model_torch.py yolov5n --train --sizes 640 --batch 4 --threads 2
(the model argument is then a built-in name: the yaml comes from yolo/configs/NAME.yaml).
"""
import argparse
import json
import math
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import yaml


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop("__metadata__", {})
    dtypes = {"F32": np.float32, "F16": np.float16, "F64": np.float64}
    tensors = {}
    for name, h in header.items():
        b, e = h["data_offsets"]
        a = np.frombuffer(data[b:e], dtype=dtypes[h["dtype"]]).reshape(h["shape"])
        tensors[name] = torch.from_numpy(a.astype(np.float32))
    return tensors, meta


class Conv(nn.Module):  # conv (no bias) -> BN(eps 1e-3) -> SiLU
    def __init__(self, c1, c2, k=1, s=1, p=None):
        super().__init__()
        self.conv = nn.Conv2d(c1, c2, k, s, k // 2 if p is None else p, bias=False)
        self.bn = nn.BatchNorm2d(c2, eps=1e-3, momentum=0.03)

    def forward(self, x):
        if hasattr(self, "fused"):
            return F.silu(self.fused(x))
        return F.silu(self.bn(self.conv(x)))

    def fuse(self):
        w, bn = self.conv.weight, self.bn
        scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
        fused = nn.Conv2d(self.conv.in_channels, self.conv.out_channels, self.conv.kernel_size, self.conv.stride,
                          self.conv.padding, bias=True)
        fused.weight.data = w * scale.view(-1, 1, 1, 1)
        fused.bias.data = bn.bias - bn.running_mean * scale
        self.fused = fused


class Bottleneck(nn.Module):
    def __init__(self, c1, c2, shortcut):
        super().__init__()
        self.cv1, self.cv2 = Conv(c1, c2, 1), Conv(c2, c2, 3)
        self.add = shortcut and c1 == c2

    def forward(self, x):
        y = self.cv2(self.cv1(x))
        return x + y if self.add else y


class C3(nn.Module):
    def __init__(self, c1, c2, n, shortcut=True):
        super().__init__()
        c_ = c2 // 2
        self.cv1, self.cv2, self.cv3 = Conv(c1, c_), Conv(c1, c_), Conv(2 * c_, c2)
        self.m = nn.Sequential(*[Bottleneck(c_, c_, shortcut) for _ in range(n)])

    def forward(self, x):
        return self.cv3(torch.cat((self.m(self.cv1(x)), self.cv2(x)), 1))


class SPPF(nn.Module):
    def __init__(self, c1, c2, k=5):
        super().__init__()
        self.cv1, self.cv2 = Conv(c1, c1 // 2), Conv(4 * (c1 // 2), c2)
        self.k = k

    def forward(self, x):
        a = self.cv1(x)
        y1 = F.max_pool2d(a, self.k, 1, self.k // 2)
        y2 = F.max_pool2d(y1, self.k, 1, self.k // 2)
        y3 = F.max_pool2d(y2, self.k, 1, self.k // 2)
        return self.cv2(torch.cat((a, y1, y2, y3), 1))


class Upsample(nn.Module):
    def forward(self, x):
        return F.interpolate(x, scale_factor=2, mode="nearest")


class Concat(nn.Module):
    def forward(self, xs):
        return torch.cat(xs, 1)


class Detect(nn.Module):
    def __init__(self, nc, anchors_px, ch):
        super().__init__()
        self.nc, self.no, self.nl, self.na = nc, nc + 5, len(anchors_px), len(anchors_px[0]) // 2
        self.register_buffer("anchors", torch.tensor(anchors_px, dtype=torch.float32).view(self.nl, self.na, 2))
        self.m = nn.ModuleList(nn.Conv2d(c, self.na * self.no, 1) for c in ch)
        self.stride = None

    def forward(self, xs):
        raw, z = [], []
        for i, x in enumerate(xs):
            r = self.m[i](x)
            raw.append(r)
            if self.training:
                continue
            bs, _, ny, nx = r.shape
            y = r.view(bs, self.na, self.no, ny, nx).permute(0, 1, 3, 4, 2).sigmoid()
            gy, gx = torch.meshgrid(torch.arange(ny, device=r.device), torch.arange(nx, device=r.device), indexing="ij")
            grid = torch.stack((gx, gy), 2).view(1, 1, ny, nx, 2).float()
            s = float(self.stride[i])
            anchor_px = (self.anchors[i] * s).view(1, self.na, 1, 1, 2)
            xy = (y[..., :2] * 2 - 0.5 + grid) * s
            wh = (y[..., 2:4] * 2) ** 2 * anchor_px
            z.append(torch.cat((xy, wh, y[..., 4:]), -1).view(bs, -1, self.no))
        return raw if self.training else (raw, torch.cat(z, 1))


class Model(nn.Module):
    def __init__(self, cfg, nc, ch):
        super().__init__()
        gd, gw = cfg["depth_multiple"], cfg["width_multiple"]
        layers, chs, self.froms = [], [], []
        for i, (f, n, m, args) in enumerate(cfg["backbone"] + cfg["head"]):
            n = max(round(n * gd), 1) if n > 1 else n
            c_in = lambda j: ch if (j == -1 and i == 0) else chs[j]
            if m in ("Conv", "C3", "SPPF"):
                c1, c2 = c_in(f), math.ceil(args[0] * gw / 8) * 8
                if m == "Conv":
                    k = args[1] if len(args) > 1 else 1
                    s = args[2] if len(args) > 2 else 1
                    p = args[3] if len(args) > 3 and args[3] not in (None, "None") else None
                    layer = Conv(c1, c2, k, s, p)
                elif m == "C3":
                    layer = C3(c1, c2, n, args[1] if len(args) > 1 else True)
                else:
                    layer = SPPF(c1, c2, args[1] if len(args) > 1 else 5)
            elif m in ("nn.Upsample", "Upsample"):
                layer, c2 = Upsample(), chs[f]
            elif m == "Concat":
                layer, c2 = Concat(), sum(chs[j] for j in f)
            elif m == "Detect":
                layer, c2 = Detect(nc, cfg["anchors"], [chs[j] for j in f]), 0
            else:
                raise ValueError(f"unknown module {m}")
            layers.append(layer)
            self.froms.append(f)
            chs.append(c2)
        self.model = nn.Sequential(*layers)
        self.layer_times = None  # {index: [seconds]} when --layers asks for the per-layer split

    def forward(self, x):
        outs = []
        for i, (f, layer) in enumerate(zip(self.froms, self.model)):
            if isinstance(f, list):
                x = [x if j == -1 else outs[j] for j in f]
            elif f != -1:
                x = outs[f]
            t0 = time.perf_counter() if self.layer_times is not None else 0
            x = layer(x)
            if self.layer_times is not None:
                self.layer_times.setdefault(i, []).append(time.perf_counter() - t0)
            outs.append(x)
        return x

    def fuse(self):
        for m in self.modules():
            if isinstance(m, Conv):
                m.fuse()
        return self


def load(path, gray):
    sd, meta = read_safetensors(path)
    cfg = yaml.safe_load(meta["yaml"])
    ch = int(meta["input_channels"])
    model = Model(cfg, int(meta["nc"]), ch)
    model.load_state_dict(sd, strict=True)  # anchors: grid units, as stored
    model.model[-1].stride = json.loads(meta["strides"])
    if gray and ch == 3:  # fold the RGB stem into one channel, as yolopick does
        stem = model.model[0].conv
        w = stem.weight.data.sum(1, keepdim=True)
        model.model[0].conv = nn.Conv2d(1, stem.out_channels, stem.kernel_size, stem.stride, stem.padding, bias=False)
        model.model[0].conv.weight.data = w
        ch = 1
    return model.eval(), ch


def bbox_ciou(b1, b2, eps=1e-7):  # boxes (n, 4) as x, y, w, h
    b1_x1, b1_x2 = b1[:, 0] - b1[:, 2] / 2, b1[:, 0] + b1[:, 2] / 2
    b1_y1, b1_y2 = b1[:, 1] - b1[:, 3] / 2, b1[:, 1] + b1[:, 3] / 2
    b2_x1, b2_x2 = b2[:, 0] - b2[:, 2] / 2, b2[:, 0] + b2[:, 2] / 2
    b2_y1, b2_y2 = b2[:, 1] - b2[:, 3] / 2, b2[:, 1] + b2[:, 3] / 2
    w1, h1, w2, h2 = b1[:, 2], b1[:, 3] + eps, b2[:, 2], b2[:, 3] + eps
    inter = (torch.min(b1_x2, b2_x2) - torch.max(b1_x1, b2_x1)).clamp(0) * \
            (torch.min(b1_y2, b2_y2) - torch.max(b1_y1, b2_y1)).clamp(0)
    union = w1 * h1 + w2 * h2 - inter + eps
    iou = inter / union
    cw = torch.max(b1_x2, b2_x2) - torch.min(b1_x1, b2_x1)
    ch = torch.max(b1_y2, b2_y2) - torch.min(b1_y1, b2_y1)
    c2 = cw ** 2 + ch ** 2 + eps
    rho2 = ((b2_x1 + b2_x2 - b1_x1 - b1_x2) ** 2 + (b2_y1 + b2_y2 - b1_y1 - b1_y2) ** 2) / 4
    v = (4 / math.pi ** 2) * (torch.atan(w2 / h2) - torch.atan(w1 / h1)).pow(2)
    with torch.no_grad():
        alpha = v / (v - iou + (1 + eps))
    return iou - (rho2 / c2 + v * alpha)


class YoloLoss:  # YOLOv5 v7.0 ComputeLoss with the default hyperparameters (hyp.scratch-low.yaml)
    def __init__(self, model, imgsz):
        det = model.model[-1]
        self.na, self.nl, self.nc = det.na, det.nl, det.nc
        self.anchors = det.anchors  # grid units
        self.balance = [4.0, 1.0, 0.4]
        self.box = 0.05 * 3 / self.nl
        self.cls = 0.5 * self.nc / 80 * 3 / self.nl
        self.obj = 1.0 * (imgsz / 640) ** 2 * 3 / self.nl
        self.bce = nn.BCEWithLogitsLoss()

    def __call__(self, p, targets):  # p: per level (bs, na, ny, nx, no); targets (n, 6) image, class, x, y, w, h
        dev = p[0].device  # on the predictions' device, as YOLOv5's ComputeLoss (targets must be there too)
        lcls, lbox, lobj = torch.zeros(1, device=dev), torch.zeros(1, device=dev), torch.zeros(1, device=dev)
        tcls, tbox, indices, anch = self.build_targets(p, targets)
        for i, pi in enumerate(p):
            b, a, gj, gi = indices[i]
            tobj = torch.zeros(pi.shape[:4], device=dev)
            if b.shape[0]:
                pxy, pwh, _, pcls = pi[b, a, gj, gi].split((2, 2, 1, self.nc), 1)
                pxy = pxy.sigmoid() * 2 - 0.5
                pwh = (pwh.sigmoid() * 2) ** 2 * anch[i]
                iou = bbox_ciou(torch.cat((pxy, pwh), 1), tbox[i])
                lbox += (1.0 - iou).mean()
                tobj[b, a, gj, gi] = iou.detach().clamp(0).type(tobj.dtype)
                t = torch.zeros_like(pcls)
                t[range(b.shape[0]), tcls[i]] = 1.0
                lcls += self.bce(pcls, t)
            lobj += self.bce(pi[..., 4], tobj) * self.balance[i]
        bs = p[0].shape[0]
        return (lbox * self.box + lobj * self.obj + lcls * self.cls) * bs

    def build_targets(self, p, targets):
        na, nt, dev = self.na, targets.shape[0], targets.device
        tcls, tbox, indices, anch = [], [], [], []
        gain = torch.ones(7, device=dev)
        ai = torch.arange(na, device=dev).float().view(na, 1).repeat(1, nt)
        targets = torch.cat((targets.repeat(na, 1, 1), ai[..., None]), 2)
        g = 0.5
        off = torch.tensor([[0, 0], [1, 0], [0, 1], [-1, 0], [0, -1]], device=dev).float() * g
        for i in range(self.nl):
            anchors, shape = self.anchors[i], p[i].shape
            gain[2:6] = torch.tensor(shape, device=dev)[[3, 2, 3, 2]]
            t = targets * gain
            if nt:
                r = t[..., 4:6] / anchors[:, None]
                j = torch.max(r, 1 / r).max(2)[0] < 4.0
                t = t[j]
                gxy = t[:, 2:4]
                gxi = gain[[2, 3]] - gxy
                j, k = ((gxy % 1 < g) & (gxy > 1)).T
                l, m = ((gxi % 1 < g) & (gxi > 1)).T
                j = torch.stack((torch.ones_like(j), j, k, l, m))
                t = t.repeat((5, 1, 1))[j]
                offsets = (torch.zeros_like(gxy)[None] + off[:, None])[j]
            else:
                t, offsets = targets[0], 0
            bc, gxy, gwh, a = t.chunk(4, 1)
            a, (b, c) = a.long().view(-1), bc.long().T
            gij = (gxy - offsets).long()
            gij[:, 0].clamp_(0, shape[3] - 1)
            gij[:, 1].clamp_(0, shape[2] - 1)
            gi, gj = gij.T
            indices.append((b, a, gj, gi))
            tbox.append(torch.cat((gxy - gij, gwh), 1))
            anch.append(anchors[a])
            tcls.append(c)
        return tcls, tbox, indices, anch


def yolov5_sgd(model):  # train.py smart_optimizer: BN weights, conv weights (decayed), biases; Nesterov 0.937
    g_bn, g_w, g_b = [], [], []
    for mod in model.modules():
        for pname, prm in mod.named_parameters(recurse=False):
            (g_b if pname == "bias" else g_bn if isinstance(mod, nn.BatchNorm2d) else g_w).append(prm)
    opt = torch.optim.SGD(g_bn, lr=0.01, momentum=0.937, nesterov=True)
    opt.add_param_group({"params": g_w, "weight_decay": 5e-4})
    opt.add_param_group({"params": g_b, "weight_decay": 0.0})
    return opt


def random_batch(batch, size, nc=80, seed=4):  # images and 8 random boxes per image, rows (image, class, x, y, w, h)
    gen = torch.Generator().manual_seed(seed)
    images = torch.rand(batch, 3, size, size, generator=gen)
    wh = torch.rand(batch * 8, 2, generator=gen) * 0.27 + 0.03
    xy = wh / 2 + torch.rand(batch * 8, 2, generator=gen) * (1 - wh)
    img = torch.arange(batch).repeat_interleave(8).float()[:, None]
    cls = torch.randint(0, nc, (batch * 8, 1), generator=gen).float()
    return images, torch.cat((img, cls, xy, wh), 1)


def training_model(cfg, nc=80):  # in training mode, anchors in grid units as the loss takes them
    model = Model(cfg, nc, 3)
    det = model.model[-1]
    det.stride = [8, 16, 32]
    det.anchors /= torch.tensor(det.stride, dtype=torch.float32).view(-1, 1, 1)
    return model.train()


def train_step_times(name, size, batch, repeats):
    import os
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "..", "yolo", "configs", f"{name}.yaml")) as f:
        cfg = yaml.safe_load(f)
    model = training_model(cfg)
    det = model.model[-1]
    opt = yolov5_sgd(model)
    loss_fn = YoloLoss(model, size)
    images, targets = random_batch(batch, size)

    def step():
        raw = model(images)
        p = [r.view(r.shape[0], det.na, det.no, r.shape[2], r.shape[3]).permute(0, 1, 3, 4, 2).contiguous()
             for r in raw]
        loss = loss_fn(p, targets)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), max_norm=10.0)
        opt.step()
        opt.zero_grad()

    for _ in range(2):
        step()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return times


def check_golden(golden, raw_outputs, label):
    """raw_outputs(x: numpy (1, 3, 640, 480)) -> the three raw level outputs; they must match the golden ones."""
    x = np.fromfile(f"{golden}/bus.input.f32", dtype=np.float32).reshape(1, 3, 640, 480)
    ref = np.fromfile(f"{golden}/bus.raw.f32", dtype=np.float32)
    ours = np.concatenate([np.asarray(r).ravel() for r in raw_outputs(x)])
    err = np.max(np.abs(ours - ref) / np.maximum(1, np.abs(ref)))
    print(f"golden raw outputs: max |{label} - ref| / max(1, |ref|) = {err:.2e} ({'ok' if err <= 1e-3 else 'MISMATCH'})")
    assert err <= 1e-3


def torch_raw_outputs(model):
    def run(x):
        with torch.inference_mode():
            raw, _ = model(torch.from_numpy(x))
        return [r.numpy() for r in raw]
    return run


def add_common_arguments(ap):  # shared with model_onnx.py
    ap.add_argument("model")
    ap.add_argument("--sizes", type=int, nargs="+", default=[640, 1024])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--gray", action="store_true")
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--golden", default=None)


def main():
    ap = argparse.ArgumentParser()
    add_common_arguments(ap)
    ap.add_argument("--layers", action="store_true", help="also print the median ms of every layer (model.N)")
    ap.add_argument("--train", action="store_true", help="time one training step (model = a built-in name)")
    ap.add_argument("--batch", type=int, default=4)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    if a.train:
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, mkldnn {torch.backends.mkldnn.is_available()}")
        for size in a.sizes:
            times = train_step_times(a.model, size, a.batch, a.repeats)
            print(f"{a.model} train step {size} batch {a.batch}: median {np.median(times) * 1e3:.1f} ms, "
                  f"min {np.min(times) * 1e3:.1f} ms over {a.repeats}")
        return
    model, ch = load(a.model, a.gray)
    if a.golden:
        check_golden(a.golden, torch_raw_outputs(model), "ours")
    model.fuse()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, mkldnn {torch.backends.mkldnn.is_available()}")
    for size in a.sizes:
        x = torch.rand(1, ch, size, size)
        with torch.inference_mode():
            for _ in range(2):
                model(x)
            times = []
            for _ in range(a.repeats):
                t0 = time.perf_counter()
                model(x)
                times.append(time.perf_counter() - t0)
        print(f"{a.model} {'gray' if ch == 1 else 'rgb'} {size}: median {np.median(times) * 1e3:.1f} ms, "
              f"min {np.min(times) * 1e3:.1f} ms over {a.repeats}")
        if a.layers:  # separate runs, so that the timing calls do not touch the numbers above
            model.layer_times = {}
            with torch.inference_mode():
                for _ in range(a.repeats):
                    model(x)
            for i, t in sorted(model.layer_times.items()):
                print(f"  model.{i:<3d} {type(model.model[i]).__name__:<12s} {np.median(t) * 1e3:8.3f} ms")
            model.layer_times = None


if __name__ == "__main__":
    main()
