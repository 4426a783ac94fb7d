"""Scoring speed: 1,000 prediction/reference pairs, ours against plain rouge_score.

Pairs: the lead-3 of each article of ../shared/data/cnndm_validation_1000.jsonl against its
highlights (real news lengths: ~70-word predictions, ~35-word references). Without ../shared
the script builds pairs from the example reports instead and says so.

Baseline: `rouge_score.rouge_scorer.RougeScorer(["rouge1","rouge2","rougeL","rougeLsum"],
use_stemmer=True)` in one process, on the same sentence-split texts. Ours: `eval.rouge.score_all`
(same numbers, checked here pair by pair), timed from a cold stem cache, and the full
per-article rows the CLI writes (ROUGE + faithfulness proxies + lengths).

    python benchmarks/bench_rouge.py [--pairs 1000] [--repeats 3]

Prints a table and, last, one JSON line.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared" / "data" / "cnndm_validation_1000.jsonl"


def load_pairs(n: int) -> tuple[list[str], list[str], list[str], str]:
    """(predictions, references, articles, description)."""
    from eval.rouge import sentence_lines

    if SHARED.exists():
        rows = [json.loads(line) for line in SHARED.open(encoding="utf-8")]
        desc = f"lead-3 vs highlights, {SHARED.name}"
    else:
        from summarizer.reports import parse_report

        rows = []
        for p in sorted((ROOT / "examples").glob("*.*")):
            rep = parse_report(p.read_text(encoding="utf-8"))
            rows.append({"article": rep.text, "highlights": rep.reference or rep.text[:300]})
        desc = "lead-3 vs Key Developments of examples/ (../shared absent), repeated"
    rows = [rows[i % len(rows)] for i in range(n)]
    preds = ["\n".join(sentence_lines(r["article"])[:3]) for r in rows]
    return preds, [r["highlights"] for r in rows], [r["article"] for r in rows], desc


def best_of(fn, repeats: int, reset=None) -> float:
    times = []
    for _ in range(repeats):
        if reset:
            reset()
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    from rouge_score import rouge_scorer

    import eval.rouge as er
    from eval.data import Example
    from eval.rouge import ROUGE_TYPES, lsum_text, score_all
    from eval.scoring import score_rows

    preds, refs, articles, desc = load_pairs(args.pairs)

    def cold() -> None:  # forget cached stems so each repeat pays for stemming again
        er._STEMMER = None
        er._sentence_lines.cache_clear()

    # Baseline: plain rouge_score, one process, same sentence-split inputs.
    scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)
    p_split, r_split = [lsum_text(p) for p in preds], [lsum_text(r) for r in refs]
    baseline_out: list = []
    ours_out: list = []

    def run_baseline() -> None:
        baseline_out[:] = [scorer.score(r, p) for p, r in zip(p_split, r_split)]

    def run_ours() -> None:
        ours_out[:] = score_all(preds, refs)

    base = best_of(run_baseline, args.repeats)
    ours = best_of(run_ours, args.repeats, cold)
    mismatches = sum(1 for a, b in zip(baseline_out, ours_out) for t in ROUGE_TYPES
                     if abs(a[t].fmeasure - b[t].fmeasure) > 1e-12)

    examples = [Example(str(i), r, a, i) for i, (r, a) in enumerate(zip(refs, articles))]
    full = best_of(lambda: score_rows(examples, preds, "bench"), args.repeats, cold)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"pairs: {args.pairs} ({desc}); best of {args.repeats}")
    print(f"{'scorer':<46} {'seconds':>8} {'pairs/s':>8}")
    print(f"{'rouge_score RougeScorer, 1 process (baseline)':<46} {base:>8.3f} {args.pairs / base:>8.0f}")
    print(f"{'eval.rouge.score_all, 1 process, cold cache':<46} {ours:>8.3f} {args.pairs / ours:>8.0f}")
    print(f"{'eval.scoring.score_rows (ROUGE+proxies+lengths)':<46} {full:>8.3f} {args.pairs / full:>8.0f}")
    verdict = "met" if ours * 1000 / args.pairs <= 2 else "MISSED"
    print(f"speed-up over rouge_score: {base / ours:.2f}x; pairs whose F1 differs from rouge_score: {mismatches}; "
          f"peak RSS {peak_mb:.0f} MB; budget 2 s for 1,000 pairs: {verdict}")
    print(json.dumps({"pairs": args.pairs, "baseline_rouge_score_s": round(base, 3), "ours_s": round(ours, 3),
                      "ours_full_rows_s": round(full, 3), "speedup": round(base / ours, 2),
                      "mismatches": mismatches, "peak_rss_mb": round(peak_mb)}))


if __name__ == "__main__":
    main()
