#!/usr/bin/env python3
"""The markdown pieces of scripts/gpu_check.sh's report (standard library only).

  gpu_check_report.py detail  KIND LOG JSON     one line for the summary table
  gpu_check_report.py section KIND LOG JSON     the step's section: failures first, then the figures
  gpu_check_report.py compare MODEL_JSON TORCH_LOG    ours vs PyTorch eager on the same GPU

KIND is the step kind of gpu_check.sh (env, gtest, sanitizer, bench, torch); JSON is Google
Benchmark's --benchmark_out file (bench steps; any path otherwise).
"""
import json
import re
import sys

TAIL = 40


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read().splitlines()
    except OSError:
        return []


def gtest_counts(lines):
    counts = {}
    for line in lines:
        m = re.match(r"\[\s+(PASSED|FAILED|SKIPPED)\s+\] (\d+) tests?", line)
        if m:
            counts[m.group(1).lower()] = int(m.group(2))
    return counts


def failed_tests(lines):
    return sorted({m.group(1) for line in lines for m in [re.match(r"\[\s+FAILED\s+\] (\S+\.\S+)", line)] if m})


def sanitizer_summary(lines):
    return next((line.strip("= ") for line in lines if "ERROR SUMMARY" in line), "no ERROR SUMMARY line")


def bench_rows(path):
    try:
        with open(path) as f:
            return json.load(f).get("benchmarks", [])
    except (OSError, ValueError):
        return []


def row_name(row):  # without Google Benchmark's suffixes ("/iterations:5", "/manual_time")
    return re.sub(r"/iterations:\d+", "", row["name"]).replace("/manual_time", "")


def fmt(v, digits=3):
    return "" if v is None else f"{v:.{digits}g}" if isinstance(v, float) else str(v)


def detail(kind, log, js):
    lines = read(log)
    if kind == "env":
        return next((l for l in lines if "torch" in l and "cuda" in l), "")
    if kind in ("gtest", "sanitizer"):
        c = gtest_counts(lines)
        s = f"{c.get('passed', 0)} passed, {c.get('failed', 0)} failed, {c.get('skipped', 0)} skipped"
        return (sanitizer_summary(lines) + "; " + s) if kind == "sanitizer" else s
    if kind == "bench":
        rows = bench_rows(js)
        errors = sum(1 for r in rows if r.get("error_occurred"))
        return f"{len(rows)} rows, {errors} with errors"
    if kind == "torch":
        return next((l for l in lines if "yolov5s 1024 b1 fp32" in l), lines[-1] if lines else "")
    return ""


def section(kind, log, js):
    lines = read(log)
    out = []
    if kind in ("gtest", "sanitizer"):
        if kind == "sanitizer":
            out.append(f"**{sanitizer_summary(lines)}**\n")
            errors = [l for l in lines if l.startswith("=========")]
            if errors:
                out += ["Sanitizer output (first 150 lines):", "```", *errors[:150], "```"]
        failed = failed_tests(lines)
        if failed:
            out.append("Failed: " + ", ".join(f"`{t}`" for t in failed))
            # each failing test's own output, up to 60 lines
            for t in failed:
                try:
                    begin = next(i for i, l in enumerate(lines) if l.startswith("[ RUN      ] " + t))
                except StopIteration:
                    continue
                end = next((i for i in range(begin, len(lines)) if lines[i].startswith("[  FAILED  ] " + t)), begin)
                out += ["```", *lines[begin:end + 1][:60], "```"]
        # why tests skipped: the message under each "Skipped" line, once each
        reasons = sorted({lines[i + 1] for i, l in enumerate(lines[:-1]) if l.endswith(": Skipped")})
        if reasons:
            out += ["Skip reasons:", "```", *reasons[:10], "```"]
        out += ["Last lines:", "```", *lines[-TAIL:], "```"]
    elif kind == "bench":
        rows = bench_rows(js)
        keys = ["GFLOP/s", "pct_peak", "x_cudnn", "GB/s", "images/s"]
        used = [k for k in keys if any(k in r for r in rows)]
        out.append("| row | time | " + " | ".join(used) + " | label |")
        out.append("|---|---|" + "---|" * len(used) + "---|")
        for r in rows:
            if r.get("error_occurred"):
                out.append(f"| {row_name(r)} | error: {r.get('error_message', '')} |" + " |" * len(used) + " |")
                continue
            t = f"{r.get('real_time', 0):.4g} {r.get('time_unit', '')}"
            out.append(f"| {row_name(r)} | {t} | " + " | ".join(fmt(r.get(k)) for k in used) + f" | {r.get('label', '')} |")
        if not rows:
            out += ["No JSON rows; the log's end:", "```", *lines[-TAIL:], "```"]
    else:  # env, torch: the log itself
        out += ["```", *lines[:120], "```"]
    print("\n".join(out))


def compare(model_json, torch_log):
    ours = {row_name(r): r for r in bench_rows(model_json) if not r.get("error_occurred")}
    torch_ms, torch_ips = {}, {}
    for line in read(torch_log):
        m = re.match(r"torch eager (inference|training|training-step) (\S+) (\d+) b(\d+) (\S+): median ([\d.]+) ms "
                     r"\(([\d.]+) images/s\)", line)
        if m:
            key = (m.group(1), m.group(2), int(m.group(3)), m.group(5))
            torch_ms[key], torch_ips[key] = float(m.group(6)), float(m.group(7))
    out = ["## yolopick vs PyTorch eager on this GPU", "",
           "Inference, batch 1 (ms; ratio = PyTorch FP32 eager / ours, > 1 means ours is faster):", "",
           "| model | size | ours eager | ours graph | torch FP32 | torch TF32 | torch FP16 | ratio eager | ratio graph |",
           "|---|---|---|---|---|---|---|---|---|"]
    for name in ("yolov5n", "yolov5s"):
        for size in (640, 1024):
            e = ours.get(f"model/{name}/{size}/b1/eager")
            g = ours.get(f"model/{name}/{size}/b1/graph")
            tf = torch_ms.get(("inference", name, size, "fp32"))
            cells = [e["real_time"] if e else None, g["real_time"] if g else None, tf,
                     torch_ms.get(("inference", name, size, "tf32")), torch_ms.get(("inference", name, size, "fp16-autocast"))]
            ratio_e = tf / e["real_time"] if e and tf else None
            ratio_g = tf / g["real_time"] if g and tf else None
            out.append(f"| {name} | {size} | " + " | ".join(fmt(c, 4) for c in cells) + f" | {fmt(ratio_e)} | {fmt(ratio_g)} |")
    t = ours.get("model/yolov5n/640/b16/train_fwd_bwd")
    out += ["", "Training forward + backward, yolov5n 640 batch 16 (images/s; no loss or optimizer on either side):", "",
            "| ours FP32 | torch FP32 | torch AMP | ours / torch AMP |", "|---|---|---|---|"]
    ours_ips = t.get("images/s") if t else None
    amp = torch_ips.get(("training", "yolov5n", 640, "amp-fp16"))
    out.append(f"| {fmt(ours_ips, 4)} | {fmt(torch_ips.get(('training', 'yolov5n', 640, 'fp32')), 4)} | {fmt(amp, 4)} | "
               f"{fmt(ours_ips / amp if ours_ips and amp else None)} |")
    step, step2 = ours.get("model/yolov5n/640/b16/train_step"), ours.get("model/yolov5n/640/b16/train_step_nc2")
    out += ["", "Training step, yolov5n 640 batch 16, 80 classes (images/s; the loop's whole iteration: forward, loss, "
            "backward, clipping, SGD, EMA; ours computes the loss on the host, PyTorch on the GPU; the nc2 column is "
            "ours with the picker's 2 classes):", "",
            "| ours FP32 | ours FP32, nc 2 | torch FP32 | torch AMP | ours / torch AMP |", "|---|---|---|---|---|"]
    ours_step = step.get("images/s") if step else None
    amp_step = torch_ips.get(("training-step", "yolov5n", 640, "amp-fp16"))
    out.append(f"| {fmt(ours_step, 4)} | {fmt(step2.get('images/s') if step2 else None, 4)} | "
               f"{fmt(torch_ips.get(('training-step', 'yolov5n', 640, 'fp32')), 4)} | {fmt(amp_step, 4)} | "
               f"{fmt(ours_step / amp_step if ours_step and amp_step else None)} |")
    print("\n".join(out))


def main():
    cmd = sys.argv[1]
    if cmd == "detail":
        print(detail(*sys.argv[2:5]))
    elif cmd == "section":
        section(*sys.argv[2:5])
    elif cmd == "compare":
        compare(*sys.argv[2:4])
    else:
        sys.exit(f"gpu_check_report.py: unknown command {cmd}")


if __name__ == "__main__":
    main()
