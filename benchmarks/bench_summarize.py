"""Default-model latency on seed-sized reports, and load time of the cached conversion.

Baseline for loading: transformers reading the GGUF file directly (dequantizing every time),
against our cached safetensors copy. Baseline for summarizing: none needed beyond p50/p95 here;
batch throughput is compared in bench_batch.py.

    python benchmarks/bench_summarize.py [--repeats 3]

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
    args = ap.parse_args()

    from transformers import AutoModelForCausalLM
    from transformers.utils import logging as hf_logging

    from summarizer import Summarizer
    from summarizer.models import _gguf_file, default_model_dir

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


if __name__ == "__main__":
    main()
