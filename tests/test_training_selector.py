"""The trainers of the default model: they learn from data they are given, write loadable
folders, refuse bad arguments, and import no torch."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np

from summarizer.extractive import ExtractiveModel

from conftest import ROOT


def _synthetic_rows(n: int) -> list[dict]:
    """Articles whose highlight is the sentence carrying the figure, minus its trailing time phrase:
    a learnable signal for both the planner and the compressor."""
    rng = np.random.default_rng(0)
    subjects = ["The council", "The company", "The court", "The agency", "The ministry", "The club"]
    fillers = ["Residents gathered outside the hall on a cold evening in the town.",
               "The weather had been poor for most of the week in the region.",
               "Some people said they were not sure what to expect from the meeting.",
               "The building was renovated several years ago by a local firm.",
               "Local newspapers covered the meeting in detail for their readers.",
               "Nobody answered the phone at the office when reporters called."]
    rows = []
    for i in range(n):
        s = subjects[i % len(subjects)]
        core = f"{s} approved a plan worth {rng.integers(2, 90)} million dollars for {rng.integers(2, 40)} new schools"
        body = list(rng.permutation(fillers))
        body.insert(int(rng.integers(1, 5)), f"{core} on Tuesday.")
        rows.append({"id": str(i), "article": " ".join(body), "highlights": core + "."})
    return rows


def test_trainers_learn_and_write_a_loadable_model(tmp_path):
    from training.compressor import main as train_compressor
    from training.selector import main as train_selector

    data = tmp_path / "train.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in _synthetic_rows(60)) + "\n")
    out = tmp_path / "model"
    assert train_compressor(["--train", str(data), "--output-dir", str(out), "--holdout", "10", "--no-encoder"]) == 0
    assert train_selector(["--train", str(data), "--output-dir", str(out), "--holdout", "10",
                           "--words-grid", "0,20", "--thresholds", "0.3,0.6"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    planner = metrics["planner"]
    assert planner["holdout"]["mean"][1] > planner["holdout_lead3"][1]  # it beats Lead-3 on the held-out rows
    assert metrics["compressor"]["train_pairs"] >= 40
    model = ExtractiveModel.load(out)
    assert model.compressor is not None
    test = _synthetic_rows(70)[-1]
    assert model.key_points(test["article"], 1) == [test["highlights"]]  # picked, and "on Tuesday" deleted


def test_trainers_reject_bad_arguments(tmp_path, capsys):
    from training.compressor import main as train_compressor
    from training.selector import main as train_selector

    assert train_selector(["--train", str(tmp_path / "missing.jsonl"), "--output-dir", str(tmp_path)]) == 2
    assert "file not found" in capsys.readouterr().err
    assert train_compressor(["--train", str(tmp_path / "missing.jsonl"), "--output-dir", str(tmp_path)]) == 2
    data = tmp_path / "train.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in _synthetic_rows(5)) + "\n")
    assert train_selector(["--train", str(data), "--output-dir", str(tmp_path), "--holdout", "5"]) == 2
    assert "leaves no training rows" in capsys.readouterr().err


def test_trainers_import_no_torch():
    code = "import sys, training.selector, training.compressor, summarizer.extractive; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"
