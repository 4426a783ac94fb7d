"""ROUGE for the evaluations during training.

The project's scorer is `eval.rouge.score_pairs`; this module uses it when it is importable
and otherwise falls back to the same computation on `rouge_score` (Porter stemming, F1 x 100,
summary-level ROUGE-Lsum with one bullet per line), so training never depends on [eval].
"""

from __future__ import annotations

KEYS = ("rouge1", "rouge2", "rougeL", "rougeLsum")


def _fallback_score_pairs(predictions: list[str], references: list[str]) -> dict[str, float]:
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(list(KEYS), use_stemmer=True)
    totals = dict.fromkeys(KEYS, 0.0)
    for pred, ref in zip(predictions, references):
        scores = scorer.score(ref, pred)  # rouge_score takes (target, prediction)
        for k in KEYS:
            totals[k] += scores[k].fmeasure
    n = max(1, len(predictions))
    return {k: 100.0 * v / n for k, v in totals.items()}


def score_pairs(predictions: list[str], references: list[str]) -> dict[str, float]:
    """Mean ROUGE F1 x 100 per metric; bullets are newline-separated on both sides."""
    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predictions for {len(references)} references")
    try:
        from eval.rouge import score_pairs as project_score_pairs
    except ImportError:
        project_score_pairs = _fallback_score_pairs
    scores = project_score_pairs(predictions, references)
    return {k: float(scores[k]) for k in KEYS}
