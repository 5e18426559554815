#!/usr/bin/env python3
"""yolopick against ONNX Runtime and PyTorch eager, alternated in one run, with the ratio table.

Each round runs, for every network and channel count, our bench_model, then model_onnx.py, then
model_torch.py (each reports the median of --repeats forwards per size), all with --threads threads; then
the training step (bench_train against model_torch.py --train). The table holds the median over the rounds
of those per-round medians, and the ratios ours / peer (below 1: ours is faster). Alternating within one
run is what makes the ratios fair on a shared machine, where a lone time measures the neighbours' load.

    python3 bench/compare/compare.py --build build --rounds 3 --threads 2 \\
        --model yolov5n=/tmp/y5n.safetensors --model yolov5s=/tmp/y5s.safetensors
    # /tmp/y5n.safetensors: build/apps/yolopick import ../shared/weights/yolov5n.pt -o /tmp/y5n.safetensors
    # /tmp/y5s.safetensors: build/bench/bench_model --save-model yolov5s /tmp/y5s.safetensors
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def run(cmd, env=None):
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{out.stdout}\n{out.stderr}")
    return out.stdout


def peer_medians(output):  # "... rgb 640: median 18.9 ms" -> {640: 18.9}
    return {int(m.group(1)): float(m.group(2)) for m in re.finditer(r" (\d+)(?: batch \d+)?: median ([\d.]+) ms", output)}


def ours_medians(bench, env, pattern, repeats):
    out = run([bench, f"--benchmark_filter={pattern}", "--benchmark_min_time=0.01",
               f"--benchmark_repetitions={repeats}", "--benchmark_report_aggregates_only=true",
               "--benchmark_format=json"], env)
    res = {}
    for b in json.loads(out)["benchmarks"]:
        if b.get("aggregate_name") == "median":
            size = int(re.search(r"_(\d+)_", b["run_name"] + "_").group(1))
            res[size] = b["real_time"]  # ms (the benchmarks' unit)
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--model", action="append", required=True, help="NAME=FILE (a yolopick model file)")
    ap.add_argument("--sizes", type=int, nargs="+", default=[640, 1024])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--no-train", action="store_true")
    a = ap.parse_args()
    env = dict(os.environ, OMP_NUM_THREADS=str(a.threads))
    py = sys.executable
    sizes = " ".join(map(str, a.sizes))
    results = {}  # (row label, engine) -> [per-round medians]
    for r in range(a.rounds):
        for spec in a.model:
            name, path = spec.split("=", 1)
            for gray in (False, True):
                kind = "gray" if gray else "rgb"
                flag = ["--gray"] if gray else []
                pattern = f"^BM_ModelFile/file_({'|'.join(map(str, a.sizes))})_{kind}/"
                ours = ours_medians(os.path.join(a.build, "bench", "bench_model"), dict(env, YP_MODEL_FILE=path),
                                    pattern, a.repeats)
                common = [path, "--sizes", *map(str, a.sizes), "--threads", str(a.threads), "--repeats", str(a.repeats)]
                onnx = peer_medians(run([py, os.path.join(HERE, "model_onnx.py"), *common, *flag], env))
                torch = peer_medians(run([py, os.path.join(HERE, "model_torch.py"), *common, *flag], env))
                for size in a.sizes:
                    row = f"{name} {size}² {kind}"
                    for engine, res in (("yolopick", ours), ("ORT", onnx), ("PyTorch", torch)):
                        results.setdefault((row, engine), []).append(res[size])
                print(f"round {r + 1}: {name} {kind} " + ", ".join(
                    f"{s}: ours {ours[s]:.1f} / ORT {onnx[s]:.1f} / torch {torch[s]:.1f} ms" for s in a.sizes), flush=True)
        if not a.no_train:
            ours = ours_medians(os.path.join(a.build, "bench", "bench_train"), env, "yolov5n_640_b4/", max(3, a.repeats // 3))
            torch = peer_medians(run([py, os.path.join(HERE, "model_torch.py"), "yolov5n", "--train", "--sizes", "640",
                                      "--batch", "4", "--threads", str(a.threads), "--repeats", str(max(3, a.repeats // 3))], env))
            results.setdefault(("train step yolov5n 640² batch 4", "yolopick"), []).append(ours[640])
            results.setdefault(("train step yolov5n 640² batch 4", "PyTorch"), []).append(torch[640])
            print(f"round {r + 1}: train step: ours {ours[640]:.1f} / torch {torch[640]:.1f} ms", flush=True)
    rows = list(dict.fromkeys(row for row, _ in results))
    print(f"\n{a.threads} threads, {a.rounds} alternated rounds, medians of per-round medians ({a.repeats} forwards each)\n")
    print("| run | yolopick ms | ONNX Runtime ms | PyTorch eager ms | yolopick / ORT | yolopick / PyTorch |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        med = {e: statistics.median(results[(row, e)]) for e in ("yolopick", "ORT", "PyTorch") if (row, e) in results}
        ort_txt = f"{med['ORT']:.1f}" if "ORT" in med else "—"
        ratio_ort = f"{med['yolopick'] / med['ORT']:.2f}" if "ORT" in med else "—"
        print(f"| {row} | {med['yolopick']:.1f} | {ort_txt} | {med['PyTorch']:.1f} | {ratio_ort} | "
              f"{med['yolopick'] / med['PyTorch']:.2f} |")


if __name__ == "__main__":
    main()
