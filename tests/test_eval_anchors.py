"""The anchor table of ../shared/data/README.md, reproduced from the published SummEval outputs.

Skips with a visible reason when ../shared is absent (fresh checkouts); CI has it.

Tolerance: every cell within 0.10 and the cells within 0.04 of the anchors on average. The
anchors cannot be met to 0.02 by any deterministic mean: plain ROUGE-L involves no sentence
splitting, yet T5's sits 0.09 from its anchor while T5's ROUGE-1 (same tokens) matches to 0.003.
That pattern, independent errors of about 0.05 per cell, is what the `evaluate` ROUGE default
produces (the median of a random bootstrap, a different number on every run). Sentence
splitting is checked separately: without it ROUGE-Lsum would sit 10 points lower; with the
plain sentence splitter on this tokenized text, 0.05-0.09 low on every system.
"""

from __future__ import annotations

import json

import pytest
from conftest import shared_data

from eval.cli import main
from eval.rouge import ROUGE_TYPES

ANCHORS = {  # ../shared/data/README.md, "Anchor ROUGE on summeval_cnndm_test_100.jsonl"
    "pegasus": (47.57, 24.23, 34.10, 44.30),
    "t5": (47.52, 23.41, 32.92, 44.04),
    "bart": (46.05, 23.06, 32.96, 42.85),
    "lead3": (42.07, 19.39, 26.89, 38.09),
    "gpt2_zeroshot": (30.40, 10.32, 20.99, 27.07),
}


@pytest.fixture(scope="module")
def anchor_run(tmp_path_factory):
    data = shared_data("summeval_cnndm_test_100.jsonl")
    out = tmp_path_factory.mktemp("anchors")
    fields = [f"systems.{s}" for s in ANCHORS]
    code = main(["--data", str(data), "--prediction-field", *fields, "--model", "lead-3",
                 "--output-dir", str(out), "--bootstrap", "200"])
    assert code == 0
    return {s: json.loads((out / s / "metrics.json").read_text()) for s in [*ANCHORS, "lead-3"]}


def test_published_outputs_reproduce_the_anchor_table(anchor_run):
    diffs = []
    for system, anchor in ANCHORS.items():
        m = anchor_run[system]
        assert m["n"] == 100 and m["empty_predictions"] == 0
        for t, expected in zip(ROUGE_TYPES, anchor):
            got = m[t]["f1"]
            diffs.append(abs(got - expected))
            assert got == pytest.approx(expected, abs=0.10), f"{system} {t}: {got:.2f} vs anchor {expected:.2f}"
    assert sum(diffs) / len(diffs) <= 0.04


def test_lead3_baseline_from_the_articles_lands_near_published_lead3(anchor_run):
    ours, published = anchor_run["lead-3"], ANCHORS["lead3"]
    for t, expected in zip(ROUGE_TYPES, published):
        assert ours[t]["f1"] == pytest.approx(expected, abs=0.5), t


def test_fast_scorer_equals_rouge_score_on_every_published_output():
    from eval.rouge import score_all

    rows = [json.loads(line) for line in shared_data("summeval_cnndm_test_100.jsonl").open()]
    refs = [r["reference"] for r in rows]
    for system in ("bart", "pegasus", "t5", "lead3"):
        preds = [r["systems"][system] for r in rows]
        ours = score_all(preds, refs)
        theirs = score_all(preds, refs, engine="rouge_score")
        for a, b in zip(ours, theirs):
            for t in ROUGE_TYPES:
                assert a[t].fmeasure == pytest.approx(b[t].fmeasure, abs=1e-12)


def test_lsum_needs_sentence_lines_on_this_data(anchor_run):
    from eval.rouge import score_all

    rows = [json.loads(line) for line in shared_data("summeval_cnndm_test_100.jsonl").open()]
    per = score_all([r["systems"]["bart"] for r in rows], [r["reference"] for r in rows], split=False)
    unsplit = 100 * sum(s["rougeLsum"].fmeasure for s in per) / len(per)
    assert unsplit < anchor_run["bart"]["rougeLsum"]["f1"] - 8  # one line each: Lsum collapses to rougeL
