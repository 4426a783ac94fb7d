"""Benchmark: articles/s of `summarizer batch` at several batch sizes against a hand-written
loop that calls model.generate() on one article at a time. Same model, same settings.

    python benchmarks/bench_batch.py                      # 100 articles, batch sizes 1 8 32
    python benchmarks/bench_batch.py --n 8 --batch-sizes 1 8 --threads 1 --loop-again
    python benchmarks/bench_batch.py --model default      # the shipped extractive selector

The model is SmolLM2-135M-Instruct (`--model smollm2`), the offline generator. The
repository's default model is an extractive selector with no generate(); with
`--model default` the loop calls the selector one article at a time instead.
Each configuration runs in its own process, so its peak memory (max RSS, and peak CUDA
memory on a GPU) is its own; the model load is timed apart and left out of articles/s.
Outputs are checked against the loop's: identical bullets, or ROUGE against the loop's
text >= 99 where padding changes floating-point results.
Articles come from ../shared/data/cnndm_validation_1000.jsonl, in file order, skipping
those longer than one model call reads (the loop does not chunk; `batch` would map-reduce).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "cnndm_validation_1000.jsonl"


def peak_memory() -> dict:
    import torch

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    out = {"peak_rss_mb": round(rss / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)}
    if torch.cuda.is_available():
        out["peak_cuda_mb"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    return out


def load(args):
    import torch

    from summarizer import Summarizer

    if args.threads:
        torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    s = Summarizer.from_pretrained(args.model, device=args.device)
    return s, time.perf_counter() - t0


def phase_loop(args) -> dict:
    """The baseline: one article, one prompt, one model.generate() call at a time."""
    import torch

    from summarizer import parse_report, prompts
    from summarizer.inputs import clean_text

    s, load_s = load(args)
    from summarizer.backends.transformers import TransformersBackend

    if not isinstance(s.backend, TransformersBackend):  # the extractive selector: no generate() to loop over
        return phase_loop_extractive(args, s, load_s)
    model, tok, settings = s.backend.loaded.model, s.backend.tokenizer, s.settings
    eos = model.generation_config.eos_token_id
    not_text = {tok.pad_token_id, *(eos if isinstance(eos, list) else [eos])}
    rows = [json.loads(line) for line in Path(args.input).read_text(encoding="utf-8").splitlines()]
    results, new_tokens = {}, []
    t0 = time.perf_counter()
    with torch.inference_mode():
        for row in rows:
            text = parse_report(clean_text(row["article"])).text  # the text `batch` gives the model
            prompt = tok.apply_chat_template(prompts.chat_messages(text, settings.bullets),
                                             tokenize=False, add_generation_prompt=True)
            enc = tok(prompt, return_tensors="pt", add_special_tokens=False).to(model.device)
            out = model.generate(**enc, **settings.generate_kwargs(model.generation_config))
            new = out[0, enc["input_ids"].shape[1]:].tolist()
            new_tokens.append(sum(t not in not_text for t in new))
            # The library's own post-processing (it drops a last bullet cut off at the token cap).
            results[row["id"]] = s.backend.bullets(tok.decode(new, skip_special_tokens=True), settings,
                                                   new_tokens[-1])
    seconds = time.perf_counter() - t0
    return {"name": "loop", "seconds": seconds, "load_s": load_s, "results": results,
            "new_tokens": new_tokens, **peak_memory()}


def phase_loop_extractive(args, s, load_s: float) -> dict:
    """The default model generates nothing: its loop calls the selector on one article at a time."""
    from summarizer import parse_report
    from summarizer.inputs import clean_text

    rows = [json.loads(line) for line in Path(args.input).read_text(encoding="utf-8").splitlines()]
    results, words = {}, []
    t0 = time.perf_counter()
    for row in rows:
        bullets = s.backend.model.key_points(parse_report(clean_text(row["article"])), s.settings.bullets)
        results[row["id"]] = bullets
        words.append(sum(len(b.split()) for b in bullets))
    return {"name": "loop", "seconds": time.perf_counter() - t0, "load_s": load_s, "results": results,
            "new_tokens": words, **peak_memory()}


def phase_batch(args) -> dict:
    from summarizer.batch import BatchConfig, run_job

    s, load_s = load(args)
    out = Path(args.workdir) / f"batch_{args.batch_size}.jsonl"
    cfg = BatchConfig(input=args.input, output=out, settings=s.settings, batch_size=args.batch_size,
                      overwrite=True, progress=False)
    t0 = time.perf_counter()
    report = run_job(cfg, summarizer=s)
    seconds = time.perf_counter() - t0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert report.failed == 0, report.errors
    return {"name": f"batch {args.batch_size}", "seconds": seconds, "load_s": load_s,
            "results": {r["id"]: r["bullets"] for r in rows},
            "new_tokens": [r["output_tokens"] for r in rows], **peak_memory()}


def padding_share(s, rows: list[dict], batch_size: int) -> float:
    """Share of prompt tokens that are padding when `batch` plans these rows (length-sorted)."""
    from summarizer import parse_report
    from summarizer.batch import Item, plan_batches

    from summarizer.backends.transformers import TransformersBackend

    if not isinstance(s.backend, TransformersBackend):  # the extractive selector pads nothing
        return 0.0
    items = [Item(r["id"], n, r["article"]) for n, r in enumerate(rows, 1)]
    real, padded = 0, 0
    for b in plan_batches(items, batch_size):
        sizes = [len(s.backend._prompt_ids(parse_report(it.text).text, s.settings.bullets)) for it in b]
        real += sum(sizes)
        padded += max(sizes) * len(sizes)
    return 1 - real / padded


def pick_articles(n: int, path: Path, model: str | None):
    from summarizer import Summarizer

    s = Summarizer.from_pretrained(model, device="cpu")
    from summarizer.backends.transformers import TransformersBackend

    generator = isinstance(s.backend, TransformersBackend)
    budget = s.backend.chunk_budget(s.settings) if generator else None  # the selector reads any length
    picked, skipped = [], 0
    with path.open(encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            if budget and s.backend.count([row["article"]])[0] > budget:
                skipped += 1
                continue
            picked.append({"id": row["id"], "article": row["article"]})
            if len(picked) == n:
                break
    print(f"{len(picked)} articles (skipped {skipped} longer than one call's {budget} tokens)"
          if budget else f"{len(picked)} articles", flush=True)
    return picked, s


def agreement(loop: dict, other: dict) -> dict:
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    same = sum(loop[k] == other.get(k) for k in loop)
    scores = {"rouge1": 0.0, "rouge2": 0.0, "rougeL": 0.0}
    for k, ref in loop.items():
        if ref == other.get(k):  # identical (ROUGE-2 of a one-word text would read 0)
            for m in scores:
                scores[m] += 1.0
            continue
        got = scorer.score("\n".join(ref), "\n".join(other.get(k, [])))
        for m in scores:
            scores[m] += got[m].fmeasure
    return {"identical": same, **{m: round(100 * v / len(loop), 2) for m, v in scores.items()}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100, help="articles (default 100)")
    ap.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 8, 32])
    ap.add_argument("--model", default="smollm2",
                    help="a generator (default: smollm2, the offline instruct LM; the extractive "
                         "default model has no generate() to loop over)")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--threads", type=int, default=None, help="torch threads for every run (default: all)")
    ap.add_argument("--loop-again", action="store_true",
                    help="run the loop a second time at the end (load drifts on shared machines); "
                         "the faster loop run is the baseline")
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    ap.add_argument("--phase", choices=["loop", "batch"], help=argparse.SUPPRESS)
    ap.add_argument("--batch-size", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--input", help=argparse.SUPPRESS)
    ap.add_argument("--workdir", help=argparse.SUPPRESS)
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    if args.phase:  # a child: run one configuration, print its figures as JSON
        result = phase_loop(args) if args.phase == "loop" else phase_batch(args)
        print("RESULT " + json.dumps(result))
        return

    if not args.data.exists():
        sys.exit(f"{args.data} is absent (the benchmark reads ../shared/data)")
    work = Path(tempfile.mkdtemp(prefix="bench_batch_"))
    src = work / "articles.jsonl"
    rows, s = pick_articles(args.n, args.data, args.model)
    src.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    pads = {b: padding_share(s, rows, b) for b in args.batch_sizes}
    cap = s.settings.token_range()[1]
    import torch
    where = torch.cuda.get_device_name(0) if args.device != "cpu" and torch.cuda.is_available() else "CPU"
    print(f"model {s.name} on {where}, torch threads {args.threads or torch.get_num_threads()} "
          f"of {os.cpu_count()} cores", flush=True)
    del s
    common = ["--input", str(src), "--workdir", str(work), "--device", args.device]
    common += ["--model", args.model]
    common += ["--threads", str(args.threads)] if args.threads else []
    runs = []
    plan = [("loop", None)] + [("batch", b) for b in args.batch_sizes] + [("loop", None)] * args.loop_again
    for phase, bs in plan:
        cmd = [sys.executable, __file__, "--phase", phase, *common] + (["--batch-size", str(bs)] if bs else [])
        proc = subprocess.run(cmd, capture_output=True, text=True)
        line = next((l for l in proc.stdout.splitlines() if l.startswith("RESULT ")), None)
        if proc.returncode or line is None:
            sys.exit(f"{phase} {bs or ''} failed: {proc.stderr.strip().splitlines()[-1:]}")
        r = json.loads(line[len("RESULT "):])
        r["articles_per_s"] = len(r["results"]) / r["seconds"]
        if phase == "loop" and runs:
            r["name"] = "loop again"
        runs.append(r)
        print(f"{r['name']:>10}: {r['seconds']:8.1f} s  {r['articles_per_s']:.3f} articles/s  "
              f"peak RSS {r['peak_rss_mb']:.0f} MB" + (f", CUDA {r['peak_cuda_mb']:.0f} MB" if "peak_cuda_mb" in r else "")
              + f"  (model load {r['load_s']:.1f} s)", flush=True)

    # The baseline is the faster loop run: on a shared machine, load drifts during a long run.
    loop = max((r for r in runs if r["name"].startswith("loop")), key=lambda r: r["articles_per_s"])
    print(f"\n{'run':>10} | articles/s | x loop | peak RSS MB | identical | ROUGE-1/2/L vs loop"
          f" | prompt padding | new tokens (mean, at the {cap} cap)")
    table = []
    for r in runs:
        agree = agreement(loop["results"], r["results"])
        speedup = r["articles_per_s"] / loop["articles_per_s"]
        ok = agree["identical"] == len(loop["results"]) or agree["rougeL"] >= 99
        bs = int(r["name"].split()[1]) if r["name"].startswith("batch") else 1
        pad = pads.get(bs, 0.0)
        mean_new = sum(r["new_tokens"]) / len(r["new_tokens"])
        at_cap = sum(n >= cap for n in r["new_tokens"])
        print(f"{r['name']:>10} | {r['articles_per_s']:10.3f} | {speedup:6.2f} | {r['peak_rss_mb']:11.0f} | "
              f"{agree['identical']:>4}/{len(loop['results'])} | {agree['rouge1']}/{agree['rouge2']}/{agree['rougeL']}"
              f" | {pad:.0%} | {mean_new:.0f}, {at_cap}/{len(r['new_tokens'])}" + ("" if ok else "  <- outputs differ"))
        table.append({k: v for k, v in r.items() if k not in ("results", "new_tokens")}
                     | {"speedup": speedup, **agree, "match": ok, "padding": pad, "mean_new_tokens": mean_new,
                        "at_cap": at_cap})
    if args.json:
        args.json.write_text(json.dumps({"n": len(loop["results"]), "threads": args.threads,
                                         "baseline": loop["name"], "runs": table},
                                        indent=2))


if __name__ == "__main__":
    main()
