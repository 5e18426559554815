#!/usr/bin/env python3
"""The study's pre-processing chain in SciPy / scikit-image / PyWavelets, timed next to ours.

Same input as bench/bench_imgproc.cpp's BM_Chain (a 2048^2 float32 synthetic micrograph), same steps
and parameters: bicubic resize with antialiasing to 1024^2 (skimage.transform.resize, order 3), db15
2-level wavedec2/waverec2 with the details zeroed (pywt, mode 'symmetric'), 9x9 wiener
(scipy.signal.wiener), CLAHE 4x4 tiles, clip 0.01, 256 bins (skimage.exposure.equalize_adapthist with
kernel_size = 1024/4), percentile normalisation 0.1/99.9 (numpy).

  python3 bench/compare/preprocess_python.py [--ours build/bench/bench_imgproc] [--repeats 5]

With --ours it also runs our BM_Chain in the same session and prints the speed ratio. Threads: the
Python libraries here are single-threaded for these calls (NumPy's BLAS is not involved); ours uses
OpenMP's default (every core) - the ratio is per machine, as the issue asks, not per core.
"""
import argparse
import json
import subprocess
import time

import numpy as np
import pywt
import scipy.signal
from skimage import exposure, transform


def synthetic_micrograph(n, seed=1234):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:n, 0:n].astype(np.float32)
    return (1 + 0.3 * np.sin(0.01 * x) * np.cos(0.013 * y) + rng.normal(0, 0.2, (n, n))).astype(np.float32)


def chain(img, size=1024):
    t = {}
    t0 = time.perf_counter()
    a = transform.resize(img, (size, size), order=3, anti_aliasing=True, mode="symmetric").astype(np.float32)
    t["resize"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    coeffs = pywt.wavedec2(a, "db15", mode="symmetric", level=2)
    coeffs = [coeffs[0]] + [tuple(np.zeros_like(d) for d in level) for level in coeffs[1:]]
    a = pywt.waverec2(coeffs, "db15", mode="symmetric")[:size, :size].astype(np.float32)
    t["wavelet"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    a = scipy.signal.wiener(a, (9, 9)).astype(np.float32)
    t["wiener"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    a01 = (a - a.min()) / (a.max() - a.min())
    a = exposure.equalize_adapthist(a01, kernel_size=size // 4, clip_limit=0.01, nbins=256).astype(np.float32)
    t["clahe"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    lo, hi = np.percentile(a, [0.1, 99.9])
    a = np.clip((a - lo) / (hi - lo), 0, 1)
    t["normalize"] = time.perf_counter() - t0
    return a, t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ours", help="path to bench_imgproc, to time our chain in the same run")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    img = synthetic_micrograph(2048)
    chain(img)  # warm-up (imports, FFT plans, page faults)
    totals, steps = [], []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        _, t = chain(img)
        totals.append(time.perf_counter() - t0)
        steps.append(t)
    median = float(np.median(totals))
    print(f"python chain 2048^2 -> 1024^2: median {median * 1e3:.1f} ms over {args.repeats} runs")
    for k in steps[0]:
        print(f"  {k:10s} {np.median([s[k] for s in steps]) * 1e3:8.1f} ms")
    if args.ours:
        out = subprocess.run([args.ours, "--benchmark_filter=BM_Chain", "--benchmark_format=json",
                              "--benchmark_repetitions=5", "--benchmark_report_aggregates_only=true"],
                             check=True, capture_output=True, text=True).stdout
        rows = json.loads(out)["benchmarks"]
        ours = next(r for r in rows if r.get("aggregate_name") == "median")
        ours_ms = ours["real_time"] if ours["time_unit"] == "ms" else ours["real_time"] / 1e6
        print(f"ours   chain 2048^2 -> 1024^2: median {ours_ms:.1f} ms")
        print(f"speed-up: {median * 1e3 / ours_ms:.1f}x")


if __name__ == "__main__":
    main()
