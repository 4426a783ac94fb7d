"""Chunking speed: the old chunker (baseline, copied below) against summarizer.chunking.

The old chunker re-tokenized the rest of an over-long sentence at every cut, so text
without a sentence break took quadratic time (25k/50k/100k characters: 1.7/5.5/22.8 s).
Both run here in the same process, on one core (the tokenizer's thread pool is off), on:

- "no-break": "word" repeated, no space and no sentence end, at 25k/50k/100k/1M characters;
- "sentences": the example reports repeated to 200k characters (many ordinary sentences).

The old chunker is skipped on no-break text above --old-max-chars (1M characters would
take many minutes). Speedup is the ratio of CPU seconds (the machine may be shared).

    python benchmarks/bench_chunking.py [--tokenizer smollm2|tiny|PATH] [--budget 1024]

Prints a table (wall and CPU seconds; peak RSS so far) and, last, one JSON line.
"""

from __future__ import annotations

import os

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")  # one core: no batch-encoding threads
os.environ.setdefault("RAYON_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse
import json
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from summarizer.chunking import chunk_text, sentence_spans, token_counter  # noqa: E402


# ---- baseline: the chunker before it was made linear (kept verbatim, do not "fix") --------------
def old_cut_long(piece: str, tokenizer, budget: int, count) -> list[str]:
    """Cut one over-long piece at token boundaries into parts that each fit."""
    parts: list[str] = []
    rest = piece
    while rest:
        if count([rest])[0] <= budget:
            parts.append(rest)
            break
        offsets = tokenizer(rest, add_special_tokens=False, return_offsets_mapping=True,
                            verbose=False)["offset_mapping"]
        take = budget
        while True:
            cut = offsets[take][0] if take < len(offsets) else len(rest)
            cut = max(cut, 1)
            if count([rest[:cut]])[0] <= budget or take <= 1:
                break
            take = max(1, take - max(1, budget // 8))
        parts.append(rest[:cut])
        rest = rest[cut:]
    return parts


def old_chunk_text(text: str, tokenizer, budget: int) -> list[str]:
    """Split `text` into consecutive chunks of at most `budget` tokens each."""
    if budget < 1:
        raise ValueError(f"chunk budget must be positive, got {budget}")
    count = token_counter(tokenizer)
    if not text:
        return []
    if count([text])[0] <= budget:
        return [text]
    pieces = [text[a:b] for a, b in sentence_spans(text)]
    sizes = count(pieces)
    units: list[tuple[str, int]] = []
    for piece, n in zip(pieces, sizes):
        if n <= budget:
            units.append((piece, n))
        else:
            parts = old_cut_long(piece, tokenizer, budget, count)
            units += list(zip(parts, count(parts)))

    chunks: list[str] = []
    current: list[str] = []
    used = 0
    for piece, n in units:
        if current and used + n > budget:
            chunks.append("".join(current))
            current, used = [], 0
        current.append(piece)
        used += n
    if current:
        chunks.append("".join(current))
    return old_enforce_budget(chunks, tokenizer, budget, count)


def old_enforce_budget(chunks: list[str], tokenizer, budget: int, count) -> list[str]:
    """Token counts of joined pieces can differ from their sum; re-split any chunk that overflows."""
    out: list[str] = []
    for chunk, n in zip(chunks, count(chunks)):
        if n <= budget:
            out.append(chunk)
            continue
        spans = sentence_spans(chunk)
        if len(spans) <= 1:
            out += old_cut_long(chunk, tokenizer, budget, count)
            continue
        mid = spans[len(spans) // 2][0]
        out += old_enforce_budget([chunk[:mid], chunk[mid:]], tokenizer, budget, count)
    return out
# ---- end of baseline ---------------------------------------------------------------------------


def load_tokenizer(name: str):
    """SmolLM2's tokenizer (the converted default model if cached, else read from its GGUF),
    the tiny test tokenizer, or any local tokenizer folder."""
    from transformers import AutoTokenizer

    if name == "tiny":
        sys.path.insert(0, str(ROOT / "tests"))
        from conftest import build_tokenizer
        return build_tokenizer(max_length=512)
    if name == "smollm2":
        from summarizer.cache import cache_dir
        from summarizer.names import DEFAULT_NAME, _gguf_file
        converted = cache_dir() / DEFAULT_NAME
        if (converted / "tokenizer.json").exists():
            return AutoTokenizer.from_pretrained(converted)
        gguf = _gguf_file()
        return AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    return AutoTokenizer.from_pretrained(name)


def timed(fn, *args) -> tuple[list[str], float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn(*args)
    return out, time.perf_counter() - wall, time.process_time() - cpu


def max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokenizer", default="smollm2", help="smollm2, tiny, or a tokenizer folder")
    ap.add_argument("--budget", type=int, default=1024)
    ap.add_argument("--sizes", default="25000,50000,100000,1000000")
    ap.add_argument("--old-max-chars", type=int, default=100_000)
    args = ap.parse_args()

    from transformers.utils import logging as hf_logging
    hf_logging.set_verbosity_error()
    tok = load_tokenizer(args.tokenizer)
    count = token_counter(tok)
    reports = "\n\n".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "examples").glob("*.*")))
    cases = [("no-break", "word" * (int(n) // 4)) for n in args.sizes.split(",")]
    cases.append(("sentences", ((reports + "\n\n") * (200_000 // len(reports) + 1))[:200_000]))

    print(f"tokenizer {args.tokenizer} ({type(tok).__name__}), budget {args.budget}, one core, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'case':<10} {'chars':>9} {'chunks':>6} {'old wall':>9} {'old cpu':>8} {'new wall':>9} "
          f"{'new cpu':>8} {'speedup':>8} {'rss MiB':>8}")
    chunk_text(reports, tok, 64)  # warm-up: first calls into the tokenizer are slower
    old_chunk_text(reports, tok, 64)
    rows = []
    for name, text in cases:
        new, new_wall, new_cpu = timed(chunk_text, text, tok, args.budget)
        assert "".join(new) == text and max(count(new)) <= args.budget
        row = {"case": name, "chars": len(text), "chunks": len(new), "new_s": round(new_wall, 3),
               "new_cpu_s": round(new_cpu, 3), "old_s": None, "old_cpu_s": None, "speedup": None}
        if name == "sentences" or len(text) <= args.old_max_chars:
            old, old_wall, old_cpu = timed(old_chunk_text, text, tok, args.budget)
            assert "".join(old) == text
            row.update(old_s=round(old_wall, 3), old_cpu_s=round(old_cpu, 3), old_chunks=len(old),
                       speedup=round(old_cpu / new_cpu, 1))
        row["max_rss_mib"] = round(max_rss_mib(), 1)
        rows.append(row)
        fmt = lambda v, w: f"{v:>{w}.2f}" if v is not None else f"{'skipped':>{w}}"  # noqa: E731
        print(f"{name:<10} {len(text):>9} {len(new):>6} {fmt(row['old_s'], 9)} {fmt(row['old_cpu_s'], 8)} "
              f"{new_wall:>9.2f} {new_cpu:>8.2f} {fmt(row['speedup'], 8)} {row['max_rss_mib']:>8.0f}",
              flush=True)
    if any(r["old_s"] is None for r in rows):
        print(f"old chunker skipped above {args.old_max_chars} characters: it is quadratic "
              "(about 4x per doubling), so 1M characters would take many minutes")
    biggest = max((r for r in rows if r["case"] == "no-break"), key=lambda r: r["chars"])
    print(json.dumps({"bench": "chunking", "tokenizer": args.tokenizer, "budget": args.budget,
                      "chars": biggest["chars"], "new_s": biggest["new_s"],
                      "new_cpu_s": biggest["new_cpu_s"], "max_rss_mib": round(max_rss_mib(), 1),
                      "load_avg": round(os.getloadavg()[0], 1), "cases": rows}))


if __name__ == "__main__":
    main()
