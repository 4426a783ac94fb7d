"""One system's outputs -> per-article rows -> the metrics of the system.

A row holds everything needed to recompute the metrics (and to compare two runs later):
id, prediction, reference, ROUGE precision/recall/F1 x 100, faithfulness proxies, lengths.
Empty predictions or references are scored 0 like any other article and counted.
"""

from __future__ import annotations

import platform
from datetime import datetime, timezone
from importlib import metadata
from typing import Any

from . import faithfulness, lengths
from .data import EvalData, Example
from .rouge import ROUGE_TYPES, VARIANT, aggregate, as_percent, score_all, sentence_lines


def score_rows(examples: list[Example], predictions: list[str], system: str,
               extra: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Per-article rows for `predictions` (same order as `examples`)."""
    scores = score_all(predictions, [e.reference for e in examples])
    rows = []
    for i, (e, pred, s) in enumerate(zip(examples, predictions, scores)):
        row: dict[str, Any] = {"id": e.id, "system": system, "prediction": pred, "reference": e.reference,
                               "scores": as_percent(s)}
        if e.article is not None:
            row["faithfulness"] = faithfulness.article_proxies(pred, e.article)
            row["support"] = _support(pred, e.article)
        row["lengths"] = lengths.article_lengths(pred, e.reference)
        if not pred.strip():
            row["empty_prediction"] = True
        if not e.reference.strip():
            row["empty_reference"] = True
        if extra:
            row.update(extra[i])
        rows.append(row)
    return rows


def _support(prediction: str, article: str) -> float | None:
    """Mean support of the prediction's bullets (sentences) by the article, as the UI scores them."""
    from summarizer.support import score_bullets

    bullets = sentence_lines(prediction)
    return round(sum(s.score for s in score_bullets(bullets, article)) / len(bullets), 4) if bullets else None


def support_metrics(rows: list[dict[str, Any]], data: EvalData, human_field: str | None) -> dict[str, Any] | None:
    """A system's mean support and, when the data holds human scores, their Spearman correlation."""
    have = [(r["support"], e) for r, e in zip(rows, data.examples) if r.get("support") is not None]
    if not have:
        return None
    out: dict[str, Any] = {"mean": round(sum(v for v, _ in have) / len(have), 4), "n": len(have)}
    if human_field:
        from scipy.stats import spearmanr

        from summarizer.records import get_field

        pairs = []
        for v, e in have:
            try:
                h = get_field(e.row, human_field)
            except KeyError:
                continue
            if isinstance(h, (int, float)) and not isinstance(h, bool):
                pairs.append((v, float(h)))
        rho = spearmanr(*zip(*pairs)).statistic if len(pairs) > 2 else None
        out["human"] = {"field": human_field, "n": len(pairs),
                        "spearman": None if rho is None or rho != rho else round(float(rho), 4)}
    return out


def _version(pkg: str) -> str | None:
    try:
        return metadata.version(pkg)
    except metadata.PackageNotFoundError:
        return None


def system_metrics(rows: list[dict[str, Any]], data: EvalData, system: str, source: str,
                   model: str | None = None, generation: dict[str, Any] | None = None,
                   bootstrap: int = 1000, seed: int = 0, notes: list[str] | None = None,
                   human_field: str | None = None) -> dict[str, Any]:
    """metrics.json of one system: ROUGE with CIs, proxies, lengths, and how it was made."""
    rouge = aggregate([r["scores"] for r in rows], bootstrap=bootstrap, seed=seed)
    faith_rows = [r["faithfulness"] for r in rows if "faithfulness" in r]
    empty_pred = [r["id"] for r in rows if r.get("empty_prediction")]
    empty_ref = [r["id"] for r in rows if r.get("empty_reference")]
    notes = list(notes or [])
    if empty_pred:
        notes.append(f"{len(empty_pred)} empty prediction(s) scored 0 and counted")
    if empty_ref:
        notes.append(f"{len(empty_ref)} empty reference(s) scored 0 and counted")
    if data.skipped:
        notes.append(f"{len(data.skipped)} unreadable row(s) left out (--skip-bad-rows)")
    if data.article_field is None:
        notes.append("no article column: faithfulness proxies not computed")
    return {
        "system": system,
        "source": source,  # where the predictions came from: a field, a file, a baseline, a model
        "model": model,
        "n": len(rows),
        **{t: rouge[t] for t in ROUGE_TYPES},
        "rouge_variant": VARIANT,
        "bootstrap": {"resamples": bootstrap, "seed": seed, "unit": "article", "interval": "percentile 95%"},
        "faithfulness": faithfulness.overall(faith_rows) if faith_rows else None,
        "support": support_metrics(rows, data, human_field),
        "lengths": lengths.overall(r["lengths"] for r in rows),
        "empty_predictions": len(empty_pred),
        "empty_references": len(empty_ref),
        "empty_prediction_ids": empty_pred[:50],
        "empty_reference_ids": empty_ref[:50],
        "generation": generation,
        "data": {"source": data.source, "sha256": data.sha256(), "rows": len(data.examples),
                 "article_field": data.article_field, "reference_field": data.reference_field,
                 "id_field": data.id_field, "skipped_rows": len(data.skipped)},
        "notes": notes,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "versions": {"python": platform.python_version(), "rouge_score": _version("rouge-score"),
                     "nltk": _version("nltk"), "key-developments": _version("key-developments")},
    }
