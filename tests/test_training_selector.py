"""The trainers of the default model: they learn from data they are given, write loadable
folders, refuse bad arguments, and import no torch."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

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
                           "--words-grid", "0,20", "--thresholds", "0.3,0.6", "--ceiling", "40", "--cv", "3"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    planner = metrics["planner"]
    assert planner["holdout"]["mean"][1] > planner["holdout_lead3"][1]  # it beats Lead-3 on the held-out rows
    assert planner["cv_docs"] == 50 and len(planner["cv_grid"]) == 4  # every training row, scored out of fold
    assert planner["cv"]["mean"][1] > planner["cv_lead3"][1]
    assert metrics["compressor"]["train_pairs"] >= 40
    model = ExtractiveModel.load(out)
    assert model.compressor is not None
    assert model.config.ceiling == 40 and model.word_ceiling(6) == 80  # scales with the bullets asked
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
    for train in (train_selector, train_compressor):  # refused before any training, not after it
        assert train(["--train", str(data), "--output-dir", str(data)]) == 2
        assert f"--output-dir {data} is a file" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        train_selector(["--train", str(data), "--output-dir", str(tmp_path), "--ceiling", "-1"])
    assert "--ceiling must be 0 or more" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        train_selector(["--train", str(data), "--output-dir", str(tmp_path), "--cv", "1"])
    assert "--cv must be 0 (none) or 2 or more" in capsys.readouterr().err


def test_the_best_policy_inside_the_length_wanted_is_chosen():
    from training.selector import choose_policy

    gains = {(65, 0.7): 13.3, (60, 0.7): 12.6, (55, 0.7): 11.0}
    longest = {(65, 0.7): 60.7, (60, 0.7): 59.6, (55, 0.7): 57.0}
    assert choose_policy(gains, longest, 60) == (60, 0.7)  # the best gain runs long
    assert choose_policy(gains, longest, 70) == (65, 0.7)
    assert choose_policy(gains, longest, 50) == (55, 0.7)  # none fits: the shortest


def test_trainers_import_no_torch():
    code = "import sys, training.selector, training.compressor, summarizer.extractive; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"


def test_an_ensemble_of_nets_is_stored_as_one_net_with_their_mean_logit():
    """The planner averages E nets' logits; stored as one wider net, it must score exactly that."""
    from sklearn.neural_network import MLPClassifier

    from summarizer.extractive import FEATURES, ExtractiveConfig
    from training.selector import Prepared, fit

    rng = np.random.default_rng(1)
    x = rng.normal(size=(3000, len(FEATURES))).astype(np.float32)
    y = (x[:, 0] + 0.5 * x[:, 3] - x[:, 7] > 0).astype(np.float32)
    mean, scale, layers = fit([Prepared(None, [], x, y)], hidden=8, ensemble=3)
    model = ExtractiveModel(ExtractiveConfig(list(FEATURES), mean, scale, layers))
    assert np.asarray(layers[0]["weight"]).shape == (24, len(FEATURES))

    z = (x - np.asarray(mean)) / np.asarray(scale)
    logits = [MLPClassifier((8,), alpha=1e-2, max_iter=500, early_stopping=True, random_state=seed)
              .fit(z, y).predict_proba(z)[:, 1] for seed in range(3)]
    probs = np.asarray(logits, dtype=np.float64)
    sure = ((probs > 1e-9) & (probs < 1 - 1e-9)).all(0)  # where the logit survives float rounding
    expected = np.mean(np.log(probs[:, sure] / (1 - probs[:, sure])), axis=0)
    assert sure.mean() > 0.9
    np.testing.assert_allclose(model.scores(x)[sure], expected, atol=1e-3)
    assert ((model.scores(x) > 0) == (y > 0)).mean() > 0.9  # and it learned the rule


def test_oracle_labels_only_sentences_the_planner_may_pick():
    """A question or the page's own boilerplate may share words with the reference, but inference
    never picks it, so it is no positive example."""
    from training.data import Doc
    from training.selector import prepare

    ref = ["Will the council replace the Harbor Bridge?", "The council votes 7-2 to replace the Harbor Bridge."]
    sents = ["Will the council replace the old Harbor Bridge this year?",
             "The council voted 7-2 on Tuesday to replace the Harbor Bridge.",
             "Work on the new bridge starts in April and takes two years."]
    p = prepare([Doc("d", "Bridge", sents, ref)])[0]
    assert p.y.tolist() == [0.0, 1.0, 0.0]
