"""`python -m eval` end to end: scoring stored outputs, baselines, a tiny model with resume,
comparisons, and every kind of bad input (exit code 2, one clear line, no traceback)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from eval.cli import main
from eval.rouge import ROUGE_TYPES, sentence_lines

ROOT = Path(__file__).resolve().parent.parent

ROWS = [
    {"id": "a1", "article": "The council voted 7-2 to replace the Harbor Bridge. Work starts in April. "
                            "The bridge will close for 18 months. A ferry will run every 15 minutes.",
     "highlights": "Council votes 7-2 to replace Harbor Bridge.\nBridge closes for 18 months from April.",
     "systems": {"good": "The council voted 7-2 to replace the Harbor Bridge. The bridge closes for 18 months.",
                 "bad": "A storm hit the coast on Sunday."}},
    {"id": "a2", "article": "Mayor Ana Ruiz opened a solar farm on Monday. It will power 9,000 homes. "
                            "The project cost $40 million. Critics said the site harms wetlands.",
     "highlights": "Mayor Ana Ruiz opens solar farm.\nFarm will power 9,000 homes.",
     "systems": {"good": "Mayor Ana Ruiz opened a solar farm that will power 9,000 homes.",
                 "bad": "Prices of coffee rose by 3 percent."}},
    {"id": "a3", "article": "The clinic gave 1,200 vaccine doses in a week. Staff worked late shifts. "
                            "Officials plan a second clinic in May. Demand stayed high.",
     "highlights": "Clinic gives 1,200 doses in one week.\nA second clinic is planned for May.",
     "systems": {"good": "The clinic gave 1,200 vaccine doses in a week. A second clinic is planned in May.",
                 "bad": "The team lost the final 2-1."}},
    {"id": "a4", "article": "Rail workers went on strike on Friday. Trains were cancelled across the region. "
                            "Talks resume next week.",
     "highlights": "Rail workers strike, cancelling trains.\nTalks resume next week.",
     "systems": {"good": "Rail workers went on strike and trains were cancelled. Talks resume next week.",
                 "bad": "A new museum opened downtown."}},
]


def write_jsonl(path: Path, rows: list[dict], extra_lines: list[str] = ()) -> Path:
    lines = [json.dumps(r) for r in rows] + list(extra_lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_usage_error(code: int, err: str, *needles: str) -> None:
    assert code == 2, err
    assert "Traceback" not in err
    msg = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(msg) == 1, err
    for n in needles:
        assert n in msg[0], msg[0]


@pytest.fixture
def data(tmp_path) -> Path:
    return write_jsonl(tmp_path / "data.jsonl", ROWS)


# ---- scoring outputs that exist ------------------------------------------------------------
def test_prediction_field_single_system_writes_all_outputs(capsys, data, tmp_path):
    out = tmp_path / "run"
    code, stdout, err = run(capsys, "--data", data, "--prediction-field", "systems.good", "--output-dir", out)
    assert code == 0, err
    assert "ROUGE-Lsum" in stdout and "good" in stdout
    m = json.loads((out / "metrics.json").read_text())
    for t in ROUGE_TYPES:
        assert set(m[t]) == {"f1", "precision", "recall", "ci95"}
        assert m[t]["ci95"][0] <= m[t]["f1"] <= m[t]["ci95"][1]
    assert m["n"] == 4 and m["system"] == "good" and m["model"] is None
    assert len(m["data"]["sha256"]) == 64 and m["data"]["reference_field"] == "highlights"
    assert "Porter" in m["rouge_variant"] and "own line" in m["rouge_variant"]
    rows = [json.loads(line) for line in (out / "per_article.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == ["a1", "a2", "a3", "a4"]
    assert rows[0]["prediction"] == ROWS[0]["systems"]["good"]
    assert set(rows[0]["scores"]) == set(ROUGE_TYPES) and "faithfulness" in rows[0] and "lengths" in rows[0]
    mean = sum(r["scores"]["rouge1"]["f1"] for r in rows) / 4
    assert m["rouge1"]["f1"] == pytest.approx(mean, abs=1e-3)
    report = (out / "report.md").read_text()
    assert "ROUGE-Lsum" in report and "about 10 points" in report and "rouge.png" in report
    assert (out / "rouge.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_several_systems_side_by_side(capsys, data, tmp_path):
    out = tmp_path / "run"
    code, stdout, err = run(capsys, "--data", data, "--prediction-field", "systems.good", "systems.bad",
                            "--output-dir", out)
    assert code == 0, err
    good = json.loads((out / "good" / "metrics.json").read_text())
    bad = json.loads((out / "bad" / "metrics.json").read_text())
    assert good["rouge1"]["f1"] > 40 > bad["rouge1"]["f1"]
    assert good["faithfulness"]["numbers_in_source"]["mean"] == 100.0
    assert bad["faithfulness"]["numbers_in_source"]["mean"] < 50
    summary = json.loads((out / "summary.json").read_text())
    assert [s["system"] for s in summary["systems"]] == ["good", "bad"]
    assert (out / "rouge.png").exists() and (out / "report.md").exists()


def test_empty_references_and_predictions_are_scored_zero_and_counted(capsys, tmp_path):
    rows = [dict(ROWS[0]), dict(ROWS[1], highlights=""), dict(ROWS[2], systems={"good": ""})]
    data = write_jsonl(tmp_path / "d.jsonl", rows)
    code, _, err = run(capsys, "--data", data, "--prediction-field", "systems.good", "--output-dir", tmp_path / "o")
    assert code == 0, err
    m = json.loads((tmp_path / "o" / "metrics.json").read_text())
    assert m["n"] == 3 and m["empty_references"] == 1 and m["empty_predictions"] == 1
    assert m["empty_reference_ids"] == ["a2"] and m["empty_prediction_ids"] == ["a3"]
    per = [json.loads(line) for line in (tmp_path / "o" / "per_article.jsonl").read_text().splitlines()]
    assert per[1]["scores"]["rouge1"]["f1"] == 0 and per[2]["scores"]["rougeLsum"]["f1"] == 0
    assert "empty reference(s) scored 0" in err and "empty prediction(s) scored 0" in err


def test_predictions_file_joined_on_id(capsys, data, tmp_path):
    preds = write_jsonl(tmp_path / "preds.jsonl",
                        [{"id": r["id"], "prediction": r["systems"]["good"]} for r in reversed(ROWS)])
    code, _, err = run(capsys, "--data", data, "--predictions", preds, "--output-dir", tmp_path / "o")
    assert code == 0, err
    direct = tmp_path / "direct"
    run(capsys, "--data", data, "--prediction-field", "systems.good", "--output-dir", direct)
    a = json.loads((tmp_path / "o" / "metrics.json").read_text())
    b = json.loads((direct / "metrics.json").read_text())
    assert a["rougeLsum"]["f1"] == b["rougeLsum"]["f1"] and a["system"] == "preds"


def test_csv_with_custom_columns_and_bullet_lists(capsys, tmp_path):
    import csv

    path = tmp_path / "d.csv"
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["doc_key", "body", "gold", "mine"])
        for r in ROWS:
            w.writerow([r["id"], r["article"], r["highlights"], r["systems"]["good"]])
    code, _, err = run(capsys, "--data", path, "--article-field", "body", "--reference-field", "gold",
                       "--id-field", "doc_key", "--prediction-field", "mine", "--output-dir", tmp_path / "o")
    assert code == 0, err
    m = json.loads((tmp_path / "o" / "metrics.json").read_text())
    assert m["n"] == 4 and m["data"]["id_field"] == "doc_key"

    listed = write_jsonl(tmp_path / "l.jsonl", [{"id": "x", "article": "A b. C d.", "summary": ["C d.", "A b."],
                                                 "out": ["A b.", "C d."]}])
    code, _, err = run(capsys, "--data", listed, "--prediction-field", "out", "--output-dir", tmp_path / "l")
    assert code == 0, err
    assert json.loads((tmp_path / "l" / "metrics.json").read_text())["rougeLsum"]["f1"] == 100.0


def test_folder_of_reports_with_lead_baseline(capsys, tmp_path):
    out = tmp_path / "o"
    code, _, err = run(capsys, "--data", ROOT / "examples", "--model", "lead-3", "--output-dir", out)
    assert code == 0, err
    per = [json.loads(line) for line in (out / "per_article.jsonl").read_text().splitlines()]
    assert {r["id"] for r in per} == {p.name for p in (ROOT / "examples").iterdir()}
    for r in per:
        assert r["reference"] and len(sentence_lines(r["prediction"])) == 3
    m = json.loads((out / "metrics.json").read_text())
    assert m["generation"] == {"baseline": "lead-3"} and m["rouge1"]["f1"] > 10


def test_lead_k_matches_reference_length(capsys, data, tmp_path):
    code, _, err = run(capsys, "--data", data, "--model", "lead-k", "--output-dir", tmp_path / "o")
    assert code == 0, err
    per = [json.loads(line) for line in (tmp_path / "o" / "per_article.jsonl").read_text().splitlines()]
    assert [len(sentence_lines(r["prediction"])) for r in per] == [2, 2, 2, 2]
    assert per[0]["prediction"].splitlines()[0] == "The council voted 7-2 to replace the Harbor Bridge."


# ---- compare -------------------------------------------------------------------------------
def test_compare_two_runs(capsys, data, tmp_path):
    run(capsys, "--data", data, "--prediction-field", "systems.good", "--output-dir", tmp_path / "good")
    run(capsys, "--data", data, "--prediction-field", "systems.bad", "--output-dir", tmp_path / "bad")
    code, out, err = run(capsys, "--compare", tmp_path / "good", tmp_path / "bad", "--output-dir", tmp_path / "cmp")
    assert code == 0, err
    c = json.loads((tmp_path / "cmp" / "compare.json").read_text())
    assert c["n"] == 4 and c["a"]["system"] == "good"
    for t in ROUGE_TYPES:
        assert c[t]["diff"] > 0 and c[t]["ci95"][0] > 0 and c[t]["p_value"] < 0.05
    assert "ROUGE-Lsum" in out and "p" in out


def test_compare_refuses_runs_on_different_articles(capsys, data, tmp_path):
    run(capsys, "--data", data, "--prediction-field", "systems.good", "--output-dir", tmp_path / "a")
    run(capsys, "--data", data, "--prediction-field", "systems.bad", "--limit", "2", "--output-dir", tmp_path / "b")
    code, _, err = run(capsys, "--compare", tmp_path / "a", tmp_path / "b")
    assert_usage_error(code, err, "different articles", "'a3'")
    code, _, err = run(capsys, "--compare", tmp_path / "a", tmp_path / "missing")
    assert_usage_error(code, err, "per_article.jsonl")


# ---- bad input -----------------------------------------------------------------------------
def test_missing_columns_name_the_existing_ones(capsys, data, tmp_path):
    code, _, err = run(capsys, "--data", data, "--reference-field", "gold", "--prediction-field", "systems.good")
    assert_usage_error(code, err, "'gold'", "id, article, highlights, systems")
    code, _, err = run(capsys, "--data", data, "--prediction-field", "systems.nope")
    assert_usage_error(code, err, "systems.nope", "good, bad")
    no_ref = write_jsonl(tmp_path / "n.jsonl", [{"id": 1, "article": "x", "body": "y"}])
    code, _, err = run(capsys, "--data", no_ref, "--model", "lead-3")
    assert_usage_error(code, err, "highlights, summary, reference", "id, article, body")


def test_malformed_json_lines_are_reported_with_line_numbers(capsys, tmp_path):
    path = write_jsonl(tmp_path / "d.jsonl", ROWS[:2], extra_lines=['{"id": "a9", "article": ', "[1, 2]"])
    code, _, err = run(capsys, "--data", path, "--prediction-field", "systems.good")
    assert_usage_error(code, err, "2 row(s) cannot be read", "line 3", "line 4", "--skip-bad-rows")
    code, _, err = run(capsys, "--data", path, "--prediction-field", "systems.good", "--skip-bad-rows",
                       "--output-dir", tmp_path / "o")
    assert code == 0, err
    m = json.loads((tmp_path / "o" / "metrics.json").read_text())
    assert m["n"] == 2 and m["data"]["skipped_rows"] == 2 and "line 3" in err


def test_ids_that_do_not_join(capsys, data, tmp_path):
    some = write_jsonl(tmp_path / "p.jsonl", [{"id": "a1", "prediction": "x"}, {"id": "a2", "prediction": "y"}])
    code, _, err = run(capsys, "--data", data, "--predictions", some)
    assert_usage_error(code, err, "2 of 4 articles have no prediction", "'a3'")
    other = write_jsonl(tmp_path / "q.jsonl", [{"id": 17, "prediction": "x"}])
    code, _, err = run(capsys, "--data", data, "--predictions", other)
    assert_usage_error(code, err, "no ids join", "'a1'", "'17'")
    dup = write_jsonl(tmp_path / "dup.jsonl", [ROWS[0], ROWS[0]])
    code, _, err = run(capsys, "--data", dup, "--prediction-field", "systems.good")
    assert_usage_error(code, err, "'a1' on lines 1 and 2", "--id-field")


def test_other_usage_errors(capsys, data, tmp_path):
    code, _, err = run(capsys, "--data", tmp_path / "absent.jsonl", "--prediction-field", "x")
    assert_usage_error(code, err, "not found")
    out = tmp_path / "o"
    assert run(capsys, "--data", data, "--prediction-field", "systems.good", "--output-dir", out)[0] == 0
    code, _, err = run(capsys, "--data", data, "--prediction-field", "systems.good", "--output-dir", out)
    assert_usage_error(code, err, "exists", "--resume", "--overwrite")
    assert run(capsys, "--data", data, "--prediction-field", "systems.good", "--output-dir", out,
               "--overwrite")[0] == 0
    code, _, err = run(capsys, "--data", data, "--resume")
    assert_usage_error(code, err, "--output-dir")
    code, _, err = run(capsys, "--data", data, "--model", "lead-3", "--limit", "0")
    assert_usage_error(code, err, "--limit")
    a_file = write_jsonl(tmp_path / "not-a-folder", [])
    code, _, err = run(capsys, "--data", data, "--prediction-field", "systems.good", "--output-dir", a_file)
    assert_usage_error(code, err, "is a file")


def test_a_repeated_prediction_id_is_refused_not_silently_dropped(capsys, data, tmp_path):
    preds = [{"id": f"a{i}", "prediction": "x"} for i in range(1, 5)] + [{"id": "a2", "prediction": "y"}]
    code, _, err = run(capsys, "--data", data, "--predictions", write_jsonl(tmp_path / "p.jsonl", preds))
    assert_usage_error(code, err, "'a2' repeats line 2", "ambiguous")


def test_unpaired_surrogates_and_null_ids_are_row_errors_not_a_crash(capsys, tmp_path):
    # JSON's "\\ud800" escape gives text no file or scorer can take
    bad = [{**ROWS[0], "article": ROWS[0]["article"] + " \ud800"}, *ROWS[1:]]
    data = write_jsonl(tmp_path / "d.jsonl", bad)
    out = tmp_path / "o"
    code, _, err = run(capsys, "--data", data, "--prediction-field", "systems.good", "--output-dir", out)
    assert_usage_error(code, err, "line 1: article holds an unpaired surrogate (U+D800)", "--skip-bad-rows")
    assert not out.exists()
    assert run(capsys, "--data", data, "--prediction-field", "systems.good", "--output-dir", out,
               "--skip-bad-rows")[0] == 0
    assert json.loads((out / "metrics.json").read_text())["n"] == 3
    assert not list(out.glob("*.tmp"))
    field = write_jsonl(tmp_path / "f.jsonl", [{**ROWS[0], "systems": {"good": "x \ud800"}}, *ROWS[1:]])
    code, _, err = run(capsys, "--data", field, "--prediction-field", "systems.good", "--output-dir", tmp_path / "f")
    assert_usage_error(code, err, "line 1: prediction holds an unpaired surrogate")
    assert not (tmp_path / "f").exists()
    good = write_jsonl(tmp_path / "g.jsonl", ROWS)
    preds = [{"id": f"a{i}", "prediction": "x"} for i in range(1, 5)]
    for row, needle in (({"id": None, "prediction": "x"}, "line 5: id 'id' is null"),
                        ({"id": 1.5, "prediction": "x"}, "line 5: id 'id' is a decimal number 1.5"),
                        ({"id": "a9", "prediction": "x \ud800"}, "line 5: prediction holds an unpaired surrogate")):
        code, _, err = run(capsys, "--data", good, "--predictions", write_jsonl(tmp_path / "p.jsonl", preds + [row]))
        assert_usage_error(code, err, needle)


def test_module_entry_point_exits_2_without_traceback(tmp_path):
    path = write_jsonl(tmp_path / "d.jsonl", ROWS[:1], extra_lines=["{not json"])
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "eval", "--data", str(path), "--prediction-field", "systems.good"],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "line 2: malformed JSON" in proc.stderr
    assert proc.stderr.strip().count("\n") == 0  # one line


# ---- generation with a (tiny) model --------------------------------------------------------
GEN_FLAGS = ["--max-new-tokens", "8", "--bullets", "2", "--batch-size", "2", "--device", "cpu"]


def read_rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.mark.parametrize("fixture", ["tiny_seq2seq", "tiny_causal"])
def test_model_run_progress_and_resume(capsys, request, data, tmp_path, fixture):
    model = request.getfixturevalue(fixture)
    out = tmp_path / "o"
    code, stdout, err = run(capsys, "--data", data, "--model", model, "--limit", "3", "--output-dir", out, *GEN_FLAGS)
    assert code == 0, err
    assert "3/3" in err  # the progress bar reached the end
    rows = read_rows(out / "per_article.jsonl")
    assert [r["id"] for r in rows] == ["a1", "a2", "a3"]
    assert all(r["model"] and "bullets" in r and r["output_tokens"] >= 0 for r in rows)
    m = json.loads((out / "metrics.json").read_text())
    assert m["generation"]["max_new_tokens"] == 8 and m["model"] and m["n"] == 3

    # Simulate an interruption: a2 done (marked so a regeneration would show), a3 half-written.
    rows[1]["prediction"] = "kept from the first run"
    lines = [json.dumps(rows[0]), json.dumps(rows[1]), json.dumps(rows[2])[:40]]
    (out / "per_article.jsonl").write_text("\n".join(lines), encoding="utf-8")
    code, _, err = run(capsys, "--data", data, "--model", model, "--limit", "4", "--output-dir", out,
                       "--resume", *GEN_FLAGS)
    assert code == 0, err
    assert "incomplete line" in err and "2/4" in err  # resumed at 2 of 4
    rows = read_rows(out / "per_article.jsonl")
    assert [r["id"] for r in rows] == ["a1", "a2", "a3", "a4"]
    assert rows[1]["prediction"] == "kept from the first run"  # not regenerated
    assert json.loads((out / "metrics.json").read_text())["n"] == 4

    # other data: never taken for this data's rows, and finished rows are never dropped
    kept = (out / "per_article.jsonl").read_bytes()
    edited = write_jsonl(tmp_path / "edited.jsonl", [{**ROWS[0], "highlights": "Another reference."}, *ROWS[1:]])
    code, _, err = run(capsys, "--data", edited, "--model", model, "--output-dir", out, "--resume", *GEN_FLAGS)
    assert_usage_error(code, err, "1 row(s) whose article or reference differs (ids 'a1')", "--overwrite")
    code, _, err = run(capsys, "--data", data, "--model", model, "--limit", "2", "--output-dir", out, "--resume",
                       *GEN_FLAGS)
    assert_usage_error(code, err, "2 row(s) of articles not in this data (ids 'a3', 'a4')")
    assert (out / "per_article.jsonl").read_bytes() == kept

    code, _, err = run(capsys, "--data", data, "--model", model, "--output-dir", out, "--resume",
                       "--max-new-tokens", "9", "--batch-size", "2", "--device", "cpu")
    assert_usage_error(code, err, "was started with another settings", "same input and settings")
    code, _, err = run(capsys, "--data", data, "--model", model, "--output-dir", out, "--resume",
                       "--dtype", "bfloat16", *GEN_FLAGS)
    assert_usage_error(code, err, "was started with another dtype", "same input and settings")


@pytest.mark.parametrize("change, needle", [
    ({"article": 42}, "article: a number, not text"),
    ({"highlights": 123}, "reference: a number, not text"),
    ({"highlights": ["A bullet.", 7]}, "reference: a number, not text"),
    ({"id": [1]}, "id 'id' is a list, not text or a whole number"),
    ({"id": None}, "id 'id' is null, not text or a whole number"),
    ({"id": 1.5}, "id 'id' is a decimal number 1.5, not text or a whole number"),
])
def test_wrong_typed_fields_are_refused(capsys, tmp_path, change, needle):
    """A number is no article, and a list is no id (it would be scored as "[1]" or "None")."""
    data = write_jsonl(tmp_path / "d.jsonl", [ROWS[0], {**ROWS[1], **change}])
    code, _, err = run(capsys, "--data", data, "--model", "lead-3", "--output-dir", tmp_path / "o",
                       "--id-field", "id")
    assert_usage_error(code, err, "line 2", needle, "--skip-bad-rows")


def test_an_output_dir_that_cannot_be_made_fails_before_any_work(capsys, data, tmp_path):
    (tmp_path / "afile").write_text("x")
    code, _, err = run(capsys, "--data", data, "--model", "lead-3", "--output-dir", tmp_path / "afile" / "run")
    assert_usage_error(code, err, "afile is a file, not a folder")


def test_resume_never_mixes_two_systems(capsys, data, tmp_path, tiny_seq2seq):
    """A folder holding one system's run is never resumed by another, and a baseline written over
    a model run leaves nothing a later --resume could take for that model's rows."""
    out = tmp_path / "o"
    code, _, err = run(capsys, "--data", data, "--model", tiny_seq2seq, "--limit", "2", "--output-dir", out, *GEN_FLAGS)
    assert code == 0, err
    model_rows = read_rows(out / "per_article.jsonl")
    code, _, err = run(capsys, "--data", data, "--model", "lead-3", "--output-dir", out, "--resume")
    assert_usage_error(code, err, "holds a run of", "same --model")
    assert read_rows(out / "per_article.jsonl") == model_rows  # untouched

    code, _, err = run(capsys, "--data", data, "--model", "lead-3", "--output-dir", out, "--overwrite")
    assert code == 0, err
    code, _, err = run(capsys, "--data", data, "--model", tiny_seq2seq, "--limit", "2", "--output-dir", out,
                       "--resume", *GEN_FLAGS)
    assert_usage_error(code, err, "was not written by this tool")


def test_model_run_with_an_empty_article_keeps_going(capsys, tmp_path, tiny_seq2seq):
    rows = [ROWS[0], dict(ROWS[1], article="   ")]
    data = write_jsonl(tmp_path / "d.jsonl", rows)
    out = tmp_path / "o"
    code, _, err = run(capsys, "--data", data, "--model", tiny_seq2seq, "--output-dir", out, *GEN_FLAGS)
    assert code == 0, err
    per = read_rows(out / "per_article.jsonl")
    assert per[1]["prediction"] == "" and "empty" in per[1]["error"]
    m = json.loads((out / "metrics.json").read_text())
    assert "error" not in per[0]  # a random tiny model may still write nothing usable
    assert m["empty_predictions"] == 1 + (per[0]["prediction"].strip() == "") and m["n"] == 2
    assert any("could not take" in n for n in m["notes"])


def test_unloadable_model_is_a_usage_error(capsys, data, tmp_path):
    code, _, err = run(capsys, "--data", data, "--model", tmp_path / "no-such-model", "--output-dir", tmp_path / "o")
    assert code == 2 and "Traceback" not in err and "error:" in err


def test_a_failed_run_leaves_no_empty_folder(capsys, data, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the default output folder is runs/eval/SYSTEM-TIMESTAMP under the cwd
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text("{}", encoding="utf-8")
    for argv in (["--prediction-field", "systems.nope"], ["--model", broken]):
        code, _, err = run(capsys, "--data", data, *argv)
        assert code == 2 and "Traceback" not in err
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").rglob("*"))


def test_overwrite_with_a_model_that_does_not_load_keeps_the_last_results(capsys, data, tmp_path):
    out = tmp_path / "o"
    assert run(capsys, "--data", data, "--model", "lead-3", "--output-dir", out)[0] == 0
    before = (out / "per_article.jsonl").read_text(encoding="utf-8")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text("{}", encoding="utf-8")
    code, _, err = run(capsys, "--data", data, "--model", broken, "--output-dir", out, "--overwrite")
    assert code == 2 and "cannot load" in err
    assert (out / "per_article.jsonl").read_text(encoding="utf-8") == before


def test_a_model_that_fails_on_its_first_batch_costs_no_earlier_results(capsys, data, tmp_path, tiny_seq2seq,
                                                                         monkeypatch):
    import eval.generate

    out = tmp_path / "o"
    assert run(capsys, "--data", data, "--model", tiny_seq2seq, "--output-dir", out, *GEN_FLAGS)[0] == 0
    before = (out / "per_article.jsonl").read_text(encoding="utf-8")

    def fail(*args, **kwargs):
        raise MemoryError("out of memory on the first batch")

    monkeypatch.setattr(eval.generate, "_generate_batch", fail)
    code, _, err = run(capsys, "--data", data, "--model", tiny_seq2seq, "--output-dir", out, "--overwrite", *GEN_FLAGS)
    assert code != 0 and "Traceback" not in err
    assert (out / "per_article.jsonl").read_text(encoding="utf-8") == before
    fresh = tmp_path / "fresh" / "run"
    for extra in ([], ["--resume"]):  # a fresh folder is left empty and removed, --resume or not
        code, _, err = run(capsys, "--data", data, "--model", tiny_seq2seq, "--output-dir", fresh, *extra, *GEN_FLAGS)
        assert code != 0 and not fresh.exists()
