#!/usr/bin/env python3
"""PyTorch eager on the GPU: the peer of bench_cuda_kernels' model/ rows (the same networks, batch, sizes).

The network is bench/compare/model_torch.py's plain PyTorch YOLOv5 (written from the architecture
rules, checked there against the golden outputs), built from our yaml (yolo/configs/) with random
weights: timing needs no trained weights, and both sides run the same shapes. It prints one line per
row in the same units as bench_cuda_kernels (median ms per call, images/s):

  inference  batch 1, BN folded, torch.inference_mode(), conv stack + Detect decode; FP32 with TF32
             off (the plain-float yardstick the issue names), TF32 on, and FP16 autocast
  training   yolov5n 640 batch 16, forward + backward of the raw outputs with a fixed random seed
             gradient (no loss, no optimizer: the same work as our train_fwd_bwd row), FP32 and AMP
             (FP16 autocast)
  step       yolov5n 640 batch 16, 80 classes, YOLOv5 train.py's whole iteration (our train_step row):
             forward under autocast, ComputeLoss (model_torch.YoloLoss, on the GPU), the GradScaler's
             scaled backward, unscale + clip_grad_norm_(10), SGD-Nesterov over the three groups, the
             scaler's update, zero_grad, ModelEMA; 8 random boxes per image; FP32 and AMP (FP16 autocast)

cudnn.benchmark is on (our conv2d times its variants per shape too); every row is timed with CUDA
events after warm-up, median of --repeats calls.

  python3 bench/compare/model_torch_gpu.py [--repeats 20] [--quick]
"""
import argparse
import copy
import math
import os
import sys
import time

import numpy as np
import torch
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model_torch  # noqa: E402  (the network definition)

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def build(name, nc=80, ch=3):
    with open(os.path.join(REPO, "yolo", "configs", name + ".yaml")) as f:
        cfg = yaml.safe_load(f)
    torch.manual_seed(0)
    model = model_torch.Model(cfg, nc, ch)
    model.model[-1].stride = [8, 16, 32]
    return model


def median_ms(fn, repeats, warmup=3):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        stop.record()
        stop.synchronize()
        times.append(start.elapsed_time(stop))
    return float(np.median(times))


def set_tf32(on):
    torch.backends.cuda.matmul.allow_tf32 = on
    torch.backends.cudnn.allow_tf32 = on


def inference_rows(names_sizes, repeats):
    for name, size in names_sizes:
        model = build(name).fuse().cuda().eval()
        x = torch.rand(1, 3, size, size, device="cuda")
        for mode in ("fp32", "tf32", "fp16-autocast"):
            set_tf32(mode == "tf32")
            with torch.inference_mode(), torch.autocast("cuda", dtype=torch.float16, enabled=mode == "fp16-autocast"):
                ms = median_ms(lambda: model(x), repeats)
            print(f"torch eager inference {name} {size} b1 {mode}: median {ms:.3f} ms ({1e3 / ms:.1f} images/s)",
                  flush=True)
        del model


def training_rows(repeats):
    model = build("yolov5n").cuda().train()
    detect = model.model[-1]
    detect.forward = lambda xs: [m(x) for m, x in zip(detect.m, xs)]  # raw outputs only, as in training
    x = torch.rand(16, 3, 640, 640, device="cuda")
    with torch.no_grad():
        n = sum(r[0].numel() for r in model(x))
    seed = torch.rand(16, n, device="cuda") * 2 - 1
    set_tf32(False)
    for mode in ("fp32", "amp-fp16"):
        def step():
            with torch.autocast("cuda", dtype=torch.float16, enabled=mode == "amp-fp16"):
                raw = model(x)
            out = torch.cat([r.float().flatten(1) for r in raw], 1)
            out.backward(seed)
            model.zero_grad(set_to_none=True)

        ms = median_ms(step, repeats)
        print(f"torch eager training yolov5n 640 b16 {mode}: median {ms:.3f} ms ({16e3 / ms:.1f} images/s)",
              flush=True)


def training_step_rows(repeats):
    with open(os.path.join(REPO, "yolo", "configs", "yolov5n.yaml")) as f:
        cfg = yaml.safe_load(f)
    torch.manual_seed(0)
    model = model_torch.training_model(cfg).cuda()
    det = model.model[-1]
    opt = model_torch.yolov5_sgd(model)
    loss_fn = model_torch.YoloLoss(model, 640)
    images, targets = model_torch.random_batch(16, 640)
    x, targets = images.cuda(), targets.cuda()
    ema = copy.deepcopy(model).eval()  # utils/torch_utils.py ModelEMA
    for p in ema.parameters():
        p.requires_grad_(False)
    updates = [0]

    def ema_update():
        updates[0] += 1
        d = 0.9999 * (1 - math.exp(-updates[0] / 2000))
        msd = model.state_dict()
        with torch.no_grad():
            for k, v in ema.state_dict().items():
                if v.dtype.is_floating_point:
                    v *= d
                    v += (1 - d) * msd[k].detach()

    set_tf32(False)
    for mode in ("fp32", "amp-fp16"):
        amp = mode == "amp-fp16"
        scaler = torch.amp.GradScaler("cuda", enabled=amp)

        def step():
            with torch.autocast("cuda", dtype=torch.float16, enabled=amp):
                p = [r.view(r.shape[0], det.na, det.no, r.shape[2], r.shape[3]).permute(0, 1, 3, 4, 2).contiguous()
                     for r in model(x)]
                loss = loss_fn(p, targets)
            scaler.scale(loss).backward()
            scaler.unscale_(opt)
            torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=10.0)
            scaler.step(opt)
            scaler.update()
            opt.zero_grad()
            ema_update()

        ms = median_ms(step, repeats)
        print(f"torch eager training-step yolov5n 640 b16 {mode}: median {ms:.3f} ms ({16e3 / ms:.1f} images/s)",
              flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--quick", action="store_true", help="yolov5s 1024 inference and the training row only")
    a = ap.parse_args()
    if not torch.cuda.is_available():
        print("model_torch_gpu: skipped, torch sees no CUDA device")
        return
    torch.backends.cudnn.benchmark = True
    print(f"torch {torch.__version__}, cuda {torch.version.cuda}, cudnn {torch.backends.cudnn.version()}, "
          f"device {torch.cuda.get_device_name(0)}", flush=True)
    t0 = time.perf_counter()
    rows = [("yolov5s", 1024)] if a.quick else [("yolov5n", 640), ("yolov5n", 1024), ("yolov5s", 640),
                                                 ("yolov5s", 1024)]
    inference_rows(rows, a.repeats)
    training_rows(max(5, a.repeats // 2))
    training_step_rows(max(5, a.repeats // 2))
    print(f"model_torch_gpu: {time.perf_counter() - t0:.1f} s", flush=True)


if __name__ == "__main__":
    main()
