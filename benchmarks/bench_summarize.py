"""Default-model latency on seed-sized reports, and load time of the cached conversion.

Baseline for loading: transformers reading the GGUF file directly (dequantizing every time),
against our cached safetensors copy. Baseline for summarizing: none needed beyond p50/p95 here;
batch throughput is compared in bench_batch.py.

    python benchmarks/bench_summarize.py [--repeats 3]
    python benchmarks/bench_summarize.py --extractive summarizer/default_model [--repeats 20]

`--extractive DIR` times the extractive default alone: its load (in a fresh process, imports
included) and its bullets for each example report and the seed report.

Prints a table and, last, one JSON line.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--model", default=None)
    ap.add_argument("--extractive", metavar="DIR", help="time the extractive model in DIR alone")
    args = ap.parse_args()
    if args.extractive:
        return bench_extractive(args.extractive, args.repeats)

    from transformers import AutoModelForCausalLM
    from transformers.utils import logging as hf_logging

    from summarizer import Summarizer
    from summarizer.names import _gguf_file, default_model_dir

    hf_logging.disable_progress_bar()
    default_model_dir()  # make sure the conversion exists before timing
    gguf = _gguf_file()
    t = time.perf_counter()
    AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    gguf_load = time.perf_counter() - t
    t = time.perf_counter()
    summ = Summarizer.from_pretrained(args.model)
    cached_load = time.perf_counter() - t

    reports = [p.read_text() for p in sorted((ROOT / "examples").glob("*.*"))]
    shared = ROOT.parent / "shared" / "format" / "report_example.txt"
    if shared.exists():
        reports.append(shared.read_text())
    summ.summarize(reports[0])  # warm-up
    times, words = [], []
    for _ in range(args.repeats):
        for r in reports:
            t = time.perf_counter()
            out = summ.summarize(r)
            times.append(time.perf_counter() - t)
            words.append(len(r.split()))
    times.sort()
    p50 = statistics.median(times)
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"model: {summ.name}")
    print(f"load: gguf {gguf_load:.2f} s, cached {cached_load:.2f} s, ratio {gguf_load / cached_load:.1f}x")
    print(f"summarize: {len(times)} runs on reports of {min(words)}-{max(words)} words: "
          f"p50 {p50:.2f} s, p95 {p95:.2f} s; last output {out.output_tokens} tokens")
    print(f"peak RSS {peak_mb:.0f} MiB")
    print(json.dumps({"gguf_load_s": round(gguf_load, 2), "cached_load_s": round(cached_load, 2),
                      "load_speedup": round(gguf_load / cached_load, 1), "p50_s": round(p50, 2),
                      "p95_s": round(p95, 2), "peak_rss_mib": round(peak_mb)}))


def _reports() -> list[str]:
    reports = [p.read_text() for p in sorted((ROOT / "examples").glob("*.*"))]
    shared = ROOT.parent / "shared" / "format" / "report_example.txt"
    return reports + ([shared.read_text()] if shared.exists() else [])


def bench_extractive(folder: str, repeats: int) -> None:
    import subprocess
    import sys

    code = ("import time; t = time.perf_counter(); from summarizer.extractive import ExtractiveModel; "
            f"m = ExtractiveModel.load({folder!r}); print(time.perf_counter() - t)")
    loads = sorted(float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                                        cwd=ROOT).stdout) for _ in range(3))
    from summarizer.extractive import ExtractiveModel
    from summarizer.reports import parse_report

    model = ExtractiveModel.load(folder)
    reports = [parse_report(r) for r in _reports()]
    model.key_points(reports[0])  # warm-up
    times = {i: [] for i in range(len(reports))}
    for _ in range(repeats):
        for i, r in enumerate(reports):
            t = time.perf_counter()
            model.key_points(r)
            times[i].append(time.perf_counter() - t)
    seed = statistics.median(times[len(reports) - 1])
    every = sorted(t for ts in times.values() for t in ts)
    p50, p95 = statistics.median(every), every[min(len(every) - 1, round(0.95 * (len(every) - 1)))]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"model: {model.name} ({'with' if model.compressor else 'without'} compressor)")
    print(f"load (fresh process, imports included): median {loads[1]:.2f} s of 3")
    print(f"bullets: {len(every)} runs over {len(reports)} reports: p50 {p50:.3f} s, p95 {p95:.3f} s; "
          f"last report (seed if present) p50 {seed:.3f} s")
    print(f"peak RSS {peak_mb:.0f} MiB")
    print(json.dumps({"load_s": round(loads[1], 2), "p50_s": round(p50, 3), "p95_s": round(p95, 3),
                      "seed_p50_s": round(seed, 3), "peak_rss_mib": round(peak_mb)}))


if __name__ == "__main__":
    main()
