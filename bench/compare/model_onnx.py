#!/usr/bin/env python3
"""ONNX Runtime peer of bench/bench_model.cpp: the same YOLOv5 network and weights, exported to ONNX and run
by ONNX Runtime's CPU provider with the same number of threads.

The network is model_torch.py's plain PyTorch definition (built from the yaml stored in our model file, the
file's weights, BatchNorm folded, gray stem folded with --gray), exported with torch.onnx.export at a fixed
input size and run under ORT's full graph optimisation (its own conv fusions and NCHWc layout), one
intra-op thread pool of --threads threads, sequential execution. The forward is the same as ours: the conv
stack and the Detect decode.

    pip install onnxruntime onnx torch numpy pyyaml
    python3 bench/compare/model_onnx.py /tmp/y5n.safetensors --sizes 640 1024 --threads 2 [--gray]

With --golden DIR (../shared/golden/yolov5n_coco) and the RGB yolov5n file it first checks that the exported
graph reproduces the golden raw outputs, so the timing is of the right network.
"""
import argparse
import json
import os
import re
import tempfile
import time

import numpy as np
import onnxruntime as ort
import torch

import model_torch


class Exported(torch.nn.Module):  # flat outputs: the decoded predictions, then the raw level outputs
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        raw, z = self.model(x)
        return (z, *raw)


def session(model, ch, h, w, threads, folder, profile=False):
    path = os.path.join(folder, f"model_{ch}x{h}x{w}.onnx")
    with torch.inference_mode(False), torch.no_grad():
        torch.onnx.export(Exported(model), torch.rand(1, ch, h, w), path, opset_version=17, dynamo=False,
                          input_names=["images"])
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if profile:
        so.enable_profiling = True
        so.profile_file_prefix = os.path.join(folder, "profile")
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def print_layer_times(sess, x, repeats):
    """Per model.N: the sum of its ORT nodes' kernel times per run, median over the runs. The exported node
    names carry the module path (/model/model.2/cv1/conv/Conv); nodes ORT fused keep the first one's name."""
    for _ in range(repeats):
        sess.run(None, {"images": x})
    with open(sess.end_profiling()) as f:
        events = json.load(f)
    per_run = {}  # layer -> {run index: microseconds}
    run = -1
    for e in events:
        if e.get("cat") == "Session" and e.get("name") == "model_run":
            run += 1
        if e.get("cat") != "Node" or not e.get("name", "").endswith("_kernel_time"):
            continue
        m = re.search(r"model\.(\d+)", e["name"])
        layer = int(m.group(1)) if m else -1
        per_run.setdefault(layer, {}).setdefault(run, 0)
        per_run[layer][run] += e["dur"]
    for layer in sorted(per_run):
        label = f"model.{layer:<3d}" if layer >= 0 else "other    "
        print(f"  {label} {np.median(list(per_run[layer].values())) / 1e3:8.3f} ms")


def main():
    ap = argparse.ArgumentParser()
    model_torch.add_common_arguments(ap)
    ap.add_argument("--layers", action="store_true",
                    help="also print the median ms of every layer (model.N), from ORT's profiler (separate runs)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    model, ch = model_torch.load(a.model, a.gray)
    model.fuse()
    print(f"onnxruntime {ort.__version__} (CPU provider), {a.threads} intra-op threads")
    with tempfile.TemporaryDirectory() as folder:
        if a.golden:
            sess = session(model, 3, 640, 480, a.threads, folder)
            model_torch.check_golden(a.golden, lambda x: sess.run(None, {"images": x})[1:], "onnx")
        for size in a.sizes:
            sess = session(model, ch, size, size, a.threads, folder)
            x = np.random.default_rng(0).random((1, ch, size, size), dtype=np.float32)
            for _ in range(2):
                sess.run(None, {"images": x})
            times = []
            for _ in range(a.repeats):
                t0 = time.perf_counter()
                sess.run(None, {"images": x})
                times.append(time.perf_counter() - t0)
            print(f"{a.model} {'gray' if ch == 1 else 'rgb'} {size}: median {np.median(times) * 1e3:.1f} ms, "
                  f"min {np.min(times) * 1e3:.1f} ms over {a.repeats}")
            if a.layers:
                print_layer_times(session(model, ch, size, size, a.threads, folder, profile=True), x, a.repeats)


if __name__ == "__main__":
    main()
