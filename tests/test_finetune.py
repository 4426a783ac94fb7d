"""finetune: target layout round trip, real training runs on the tiny models, resume, bad input.

Training data is written here from the project's own example reports.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from finetune.__main__ import main
from finetune.data import IGNORE_INDEX, ExampleBuilder, Pair, bullets_from_reference, read_pairs
from summarizer import Summarizer, clean_bullets, load_model, parse_report
from summarizer.backends.transformers import TransformersBackend

ROOT = Path(__file__).resolve().parent.parent


# ---- data written from the example reports -------------------------------------------------
@pytest.fixture(scope="module")
def report_rows(example_reports) -> list[dict]:
    rows = []
    for name, text in example_reports.items():
        rep = parse_report(text)
        rows.append({"id": name, "article": rep.text, "highlights": "\n".join(rep.key_developments)})
    return rows


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def train_file(tmp_path, report_rows) -> Path:
    return write_jsonl(tmp_path / "train.jsonl", report_rows)


def small_run_args(model: Path, train: Path, out: Path, *extra: str) -> list[str]:
    """Settings that make a tiny model learn visibly in a few seconds."""
    return ["--train", str(train), "--valid", str(train), "--output-dir", str(out), "--model", str(model),
            "--batch-size", "2", "--learning-rate", "1e-2", "--max-source-length", "96",
            "--max-target-length", "100", "--eval-samples", "1", "--logging-steps", "1", *extra]


def logged(out: Path, key: str) -> list[float]:
    return [e[key] for e in map(json.loads, (out / "train_log.jsonl").read_text().splitlines()) if key in e]


def example_loss(model_dir: str, pair: Pair) -> float:
    """Loss of one training example under the model summarizer loads from a folder."""
    loaded = load_model(model_dir)
    ex = ExampleBuilder(loaded, 4, 96, 100).encode(pair)
    batch = {k: torch.tensor([v]) for k, v in ex.items()}
    with torch.no_grad():
        return loaded.model(**batch).loss.item()


def error_line(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = [l for l in err.splitlines() if l.startswith("finetune: error:")]
    assert len(lines) == 1, err
    return lines[0]


# ---- layout -----------------------------------------------------------------------------------
@pytest.mark.parametrize("family", ["seq2seq", "causal"])
def test_target_round_trip(family, tiny_seq2seq, tiny_causal, example_reports):
    """format_target -> tokenize -> decode -> clean_bullets gives back the same bullets."""
    loaded = load_model(str(tiny_seq2seq if family == "seq2seq" else tiny_causal))
    builder = ExampleBuilder(loaded, bullets=4, max_source_length=96, max_target_length=1024)
    checked = 0
    for text in example_reports.values():
        bullets = parse_report(text).key_developments
        decoded = builder.decode_target(builder.target_ids(bullets))  # the ids training uses as labels
        assert clean_bullets(decoded, by_sentence=family == "seq2seq") == bullets
        checked += 1
    assert checked == 3


def test_round_trip_with_the_default_models_tokenizer(example_reports):
    """The same round trip with a real tokenizer and chat template (SmolLM2), when it is installed."""
    from summarizer.models import ModelLoadError
    from finetune.train import default_base

    try:
        loaded = load_model(default_base())
    except ModelLoadError as e:
        pytest.skip(f"default model unavailable: {e}")
    builder = ExampleBuilder(loaded, bullets=4, max_source_length=256, max_target_length=1024)
    assert builder.end_ids == [loaded.tokenizer.convert_tokens_to_ids("<|im_end|>")]
    for text in example_reports.values():
        bullets = parse_report(text).key_developments
        assert clean_bullets(builder.decode_target(builder.target_ids(bullets))) == bullets


def test_causal_examples_use_the_inference_prompt_and_mask_it(tiny_causal, report_rows):
    loaded = load_model(str(tiny_causal))
    builder = ExampleBuilder(loaded, bullets=4, max_source_length=96, max_target_length=1024)
    row = report_rows[0]
    ex = builder.encode(Pair(row["article"], bullets_from_reference(row["highlights"]), 1))
    source, _ = builder.source_text(row["article"])
    prompt = TransformersBackend(loaded)._prompt_ids(source, 4)  # exactly what inference feeds the model
    assert ex["input_ids"][:len(prompt)] == prompt
    assert ex["labels"][:len(prompt)] == [IGNORE_INDEX] * len(prompt)
    answer = ex["labels"][len(prompt):]
    assert IGNORE_INDEX not in answer and answer == ex["input_ids"][len(prompt):]
    assert answer[-1] in {loaded.model.generation_config.eos_token_id}  # the model learns to stop


def test_source_is_the_first_chunk_summarizer_reads(tiny_seq2seq, example_reports):
    loaded = load_model(str(tiny_seq2seq))
    builder = ExampleBuilder(loaded, bullets=4, max_source_length=40, max_target_length=100)
    text = parse_report(example_reports["harbor_bridge.txt"]).text
    source, cut = builder.source_text(text)
    assert cut and text.startswith(source)
    assert len(loaded.tokenizer(source, add_special_tokens=False)["input_ids"]) <= builder.source_budget


def test_reference_forms():
    assert bullets_from_reference(["One.", " Two. "]) == ["One.", "Two."]
    assert bullets_from_reference("- One happened.\n\n2. Two happened.\n") == ["One happened.", "Two happened."]
    assert bullets_from_reference("First sentence here. Second one there.") == ["First sentence here.",
                                                                                 "Second one there."]
    assert bullets_from_reference("") == [] and bullets_from_reference(None) == []


def test_rouge_fallback_agrees_with_the_project_scorer():
    from finetune.scoring import _fallback_score_pairs, score_pairs

    preds = ["The council approved the plan.\nWork starts in April.", "Nothing matches here."]
    refs = ["The council approved a plan to replace the bridge.\nConstruction starts in April.",
            "Farmers signed a lease."]
    ours, fallback = score_pairs(preds, refs), _fallback_score_pairs(preds, refs)
    assert ours.keys() == fallback.keys() == {"rouge1", "rouge2", "rougeL", "rougeLsum"}
    for k in ours:
        assert ours[k] == pytest.approx(fallback[k], abs=1e-6)
    assert 0 < ours["rouge2"] < ours["rouge1"] < 100


def test_report_folder_is_training_data():
    pairs, notes = read_pairs(str(ROOT / "examples"), None, None)
    assert notes.used == 3 and all(len(p.bullets) >= 3 for p in pairs)
    assert all("Key Developments" not in p.article for p in pairs)


# ---- training runs ----------------------------------------------------------------------------
@pytest.mark.parametrize("family", ["seq2seq", "causal"])
def test_thirty_steps_lower_the_loss_and_the_folder_loads(family, tiny_seq2seq, tiny_causal, train_file,
                                                          report_rows, example_reports, tmp_path, capsys):
    model = tiny_seq2seq if family == "seq2seq" else tiny_causal
    out = tmp_path / "out"
    rc = main(small_run_args(model, train_file, out, "--max-steps", "30", "--eval-steps", "15",
                             "--batch-size", "3", "--learning-rate", "2e-2"))
    assert rc == 0, capsys.readouterr().err
    assert "finetune: done: 30 steps" in capsys.readouterr().out

    losses = logged(out, "loss")
    assert len(losses) == 30 and losses[-1] < 0.4 * losses[0], losses
    assert len(logged(out, "eval_rougeLsum")) == 2 and len(logged(out, "eval_loss")) == 2

    # The folder is a model summarizer loads and runs, and it holds the trained weights.
    s = Summarizer.from_pretrained(str(out))
    assert s.backend.loaded.family == family
    result = s.summarize(example_reports["harbor_bridge.txt"], max_new_tokens=12)
    assert result.output_tokens > 0 and isinstance(result.bullets, list)
    pair = Pair(report_rows[0]["article"], bullets_from_reference(report_rows[0]["highlights"]), 1)
    assert example_loss(str(out), pair) < 0.8 * example_loss(str(model), pair)

    card = (out / "README.md").read_text()
    assert f"base_model: {model}" in card and "ROUGE-Lsum" in card and "training_curves.png" in card
    assert (out / "training_curves.png").read_bytes()[:4] == b"\x89PNG"
    saved = json.loads((out / "config.json").read_text())
    base = json.loads((model / "config.json").read_text())
    assert saved["eos_token_id"] == base["eos_token_id"]  # the stop token is the model's own
    results = json.loads((out / "train_results.json").read_text())
    assert results["steps"] == 30 and set(results["best_scores"]) == {"rouge1", "rouge2", "rougeL", "rougeLsum"}
    assert not list(out.glob("checkpoint-*"))  # removed after success


@pytest.mark.parametrize("family", ["seq2seq", "causal"])
def test_lora_adapter_loads_through_summarizer(family, tiny_seq2seq, tiny_causal, train_file, tmp_path,
                                               example_reports):
    model = tiny_seq2seq if family == "seq2seq" else tiny_causal
    out = tmp_path / "adapter"
    assert main(small_run_args(model, train_file, out, "--lora", "--learning-rate", "3e-2", "--max-steps", "12",
                               "--batch-size", "3", "--eval-steps", "0")) == 0
    config = json.loads((out / "adapter_config.json").read_text())
    assert config["base_model_name_or_path"] == str(model.resolve())
    assert not (out / "model.safetensors").exists() and (out / "adapter_model.safetensors").exists()
    losses = logged(out, "loss")
    assert losses[-1] < losses[0]
    s = Summarizer.from_pretrained(str(out))  # loads the base, attaches the adapter, merges
    assert type(s.backend.loaded.model).__name__.endswith(("ForConditionalGeneration", "ForCausalLM"))
    assert s.summarize(example_reports["solar_farm.md"], max_new_tokens=8).output_tokens > 0


def test_kill_and_resume_matches_an_uninterrupted_run(tiny_seq2seq, train_file, tmp_path):
    """SIGKILL a real run after its first checkpoint; --resume ends where a clean run ends."""
    from safetensors.torch import load_file

    args = small_run_args(tiny_seq2seq, train_file, tmp_path / "x", "--max-steps", "12", "--eval-steps", "3",
                          "--logging-steps", "2")  # 2 batches an epoch: checkpoint-3 is mid-epoch
    killed, clean = tmp_path / "killed", tmp_path / "clean"
    with_dir = lambda d: [a if a != str(tmp_path / "x") else str(d) for a in args]  # noqa: E731

    env = {**os.environ, "FINETUNE_STEP_DELAY": "0.5", "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "finetune", *with_dir(killed)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while not (killed / "checkpoint-3" / "trainer_state.json").exists():
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        assert time.time() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (killed / "model.safetensors").exists()  # it really was cut short

    assert main(with_dir(killed)) == 2  # an unfinished run is not silently restarted
    assert main(with_dir(killed) + ["--resume"]) == 0
    assert main(with_dir(clean)) == 0

    a, b = load_file(killed / "model.safetensors"), load_file(clean / "model.safetensors")
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-5, atol=1e-6)
    ra, rb = (json.loads((d / "train_results.json").read_text()) for d in (killed, clean))
    assert ra["steps"] == rb["steps"] == 12 and ra["resumed_from_step"] >= 3
    assert ra["best_step"] == rb["best_step"] and ra["best_scores"] == rb["best_scores"]
    steps = [e["step"] for e in map(json.loads, (killed / "train_log.jsonl").read_text().splitlines())
             if "loss" in e]
    assert steps == sorted(set(steps))  # the log has each step once, across the kill


# ---- bad input -------------------------------------------------------------------------------
def test_missing_columns_name_the_ones_that_exist(tmp_path, tiny_seq2seq, capsys):
    data = write_jsonl(tmp_path / "d.jsonl", [{"words": "Text.", "summary": "One."}])
    assert main(["--train", str(data), "--output-dir", str(tmp_path / "o"), "--model", str(tiny_seq2seq)]) == 2
    line = error_line(capsys)
    assert "no article column" in line and "words, summary" in line
    assert main(["--train", str(data), "--output-dir", str(tmp_path / "o"), "--article-column", "words",
                 "--reference-column", "nope"]) == 2
    assert "no reference column 'nope'" in error_line(capsys)


def test_empty_column_and_empty_file(tmp_path, capsys):
    data = write_jsonl(tmp_path / "d.jsonl", [{"article": "Text one.", "highlights": ""},
                                              {"article": "Text two.", "highlights": "  "}])
    assert main(["--train", str(data), "--output-dir", str(tmp_path / "o")]) == 2
    assert "column 'highlights' is empty in every row" in error_line(capsys)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    assert main(["--train", str(empty), "--output-dir", str(tmp_path / "o")]) == 2
    assert "empty.jsonl is empty" in error_line(capsys)
    assert main(["--train", str(tmp_path / "nope.jsonl"), "--output-dir", str(tmp_path / "o")]) == 2
    assert "input not found" in error_line(capsys)


def test_malformed_lines_are_named(tmp_path, report_rows, capsys):
    rows = [report_rows[0], "{not json", report_rows[1], '["a list"]', {"article": "", "highlights": "x"}]
    data = write_jsonl(tmp_path / "d.jsonl", rows)
    assert main(["--train", str(data), "--output-dir", str(tmp_path / "o")]) == 2
    line = error_line(capsys)
    assert "3 bad row(s)" in line and "line 2: malformed JSON" in line and "line 4" in line and "line 5" in line
    assert "--skip-bad-rows" in line


def test_long_targets_are_cut_and_counted_and_overwrite_replaces(tmp_path, tiny_causal, report_rows, capsys,
                                                                 caplog):
    rows = [*report_rows, {"article": report_rows[0]["article"], "highlights": "word " * 60}]
    data = write_jsonl(tmp_path / "d.jsonl", [*rows, "{broken"])
    out = tmp_path / "out"
    out.mkdir()
    (out / "adapter_config.json").write_text("{}")  # a stale model from an earlier run
    base = ["--train", str(data), "--output-dir", str(out), "--model", str(tiny_causal), "--max-steps", "2",
            "--batch-size", "2", "--max-source-length", "64", "--max-target-length", "60", "--skip-bad-rows"]
    assert main(base) == 2
    assert "already holds a model; pass --overwrite" in error_line(capsys)
    assert main(base + ["--overwrite"]) == 0
    err = caplog.text
    assert "4 of 4 targets were longer than 60 tokens: 3 lost trailing bullets, 1 were cut" in err
    assert "skipped 1 bad row(s), e.g. line 5: malformed JSON" in err
    notes = json.loads((out / "train_log.jsonl").read_text().splitlines()[0])
    assert (notes["targets_shortened"], notes["targets_cut"], notes["bad_rows"]) == (3, 1, 1)
    assert not (out / "adapter_config.json").exists() and (out / "model.safetensors").exists()
    assert "lost trailing bullets" in (out / "README.md").read_text()


def test_output_dir_with_checkpoints_needs_resume_or_overwrite(tmp_path, train_file, capsys):
    out = tmp_path / "out"
    (out / "checkpoint-4").mkdir(parents=True)
    assert main(["--train", str(train_file), "--output-dir", str(out)]) == 2
    assert "unfinished run; pass --resume" in error_line(capsys)
    assert main(["--train", str(train_file), "--output-dir", str(out), "--resume", "--overwrite"]) == 2
    assert "exclude each other" in error_line(capsys)


def test_init_that_cannot_load(tmp_path, train_file, tiny_causal, capsys):
    assert main(["--train", str(train_file), "--output-dir", str(tmp_path / "o"), "--model", "./no/such"]) == 2
    assert "model path not found: ./no/such" in error_line(capsys)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text("{not json")
    assert main(["--train", str(train_file), "--output-dir", str(tmp_path / "o"), "--model", str(broken)]) == 2
    assert "cannot load" in error_line(capsys)
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": str(tiny_causal)}))
    assert main(["--train", str(train_file), "--output-dir", str(tmp_path / "o"), "--model", str(adapter),
                 "--lora"]) == 2
    assert "is a LoRA adapter" in error_line(capsys)


def test_bad_arguments(tmp_path, train_file, capsys):
    assert main(["--train", str(train_file), "--output-dir", str(tmp_path), "--learning-rate", "-1"]) == 2
    assert "--learning-rate must be positive" in error_line(capsys)
    assert main(["--train", str(train_file), "--output-dir", str(tmp_path), "--eval-steps", "3",
                 "--valid", str(train_file), "--save-steps", "5"]) == 2
    assert "multiple of --eval-steps" in error_line(capsys)
    assert main(["--train", str(train_file), "--output-dir", str(tmp_path), "--lr-scheduler", "wobbly"]) == 2
    assert "--lr-scheduler 'wobbly' is not one of linear, cosine" in error_line(capsys)
    if not torch.cuda.is_available():
        assert main(["--train", str(train_file), "--output-dir", str(tmp_path), "--precision", "fp16"]) == 2
        assert "fp16 needs a CUDA GPU" in error_line(capsys)
    with pytest.raises(SystemExit) as e:
        main(["--train", str(train_file), "--output-dir", str(tmp_path), "--no-such-flag"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unrecognized arguments: --no-such-flag" in err


# ---- columns from many rows, types checked, unwritable folders, memory ----------------------------
def test_columns_come_from_many_rows_not_the_first(tmp_path, report_rows, capsys):
    first = {"id": "x", "article": report_rows[0]["article"]}  # no reference in the first row
    data = write_jsonl(tmp_path / "d.jsonl", [first, *report_rows])
    pairs, notes = read_pairs(str(data), None, None, skip_bad_rows=True)
    assert notes.used == len(report_rows) and notes.bad_rows == ["line 1: no 'highlights' field"]
    assert main(["--train", str(data), "--output-dir", str(tmp_path / "o")]) == 2
    line = error_line(capsys)
    assert "1 bad row(s): line 1: no 'highlights' field" in line and "does not exist" not in line


@pytest.mark.parametrize("row, problem", [
    ({"article": 12345, "highlights": "One."}, "line 1: 'article' is a number, not text"),
    ({"article": True, "highlights": "One."}, "line 1: 'article' is a boolean, not text"),
    ({"article": {"t": "x"}, "highlights": "One."}, "line 1: 'article' is an object, not text"),
    ({"article": ["a", "b"], "highlights": "One."}, "line 1: 'article' is a list, not text"),
    ({"article": "Text.", "highlights": {"a": "b"}}, "line 1: 'highlights': expected text or a list of strings, got an object"),
    ({"article": "Text.", "highlights": 7}, "line 1: 'highlights': expected text or a list of strings, got a number"),
    ({"article": "Text.", "highlights": ["ok", 3]}, "line 1: 'highlights': expected a list of strings, got a list holding a number"),
    ({"article": "Text.", "highlights": [["nested"]]}, "expected a list of strings, got a list holding a list"),
])
def test_wrong_types_are_bad_rows_not_training_data(tmp_path, report_rows, row, problem, capsys):
    data = write_jsonl(tmp_path / "d.jsonl", [row, *report_rows])
    pairs, notes = read_pairs(str(data), None, None, skip_bad_rows=True)
    assert notes.bad_rows == [problem] or problem in notes.bad_rows[0]
    assert notes.used == len(report_rows) and all(isinstance(p.article, str) for p in pairs)
    assert main(["--train", str(data), "--output-dir", str(tmp_path / "o")]) == 2
    assert "1 bad row(s)" in error_line(capsys)


def test_list_references_are_one_bullet_per_item(tmp_path):
    data = write_jsonl(tmp_path / "d.jsonl", [{"article": "The council voted.", "summary": ["First.", " Second. "]},
                                              {"article": "Costs rose.", "summary": "- One.\n- Two."}])
    pairs, _ = read_pairs(str(data), None, None)
    assert [p.bullets for p in pairs] == [["First.", "Second."], ["One.", "Two."]]


def test_csv_training_data_keeps_odd_characters_in_their_field(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text('article,highlights\nOne part\fsecond part\u2028third.,"A.\nB."\nNext article.,C.\n',
                    encoding="utf-8")
    pairs, notes = read_pairs(str(data), None, None)
    assert notes.rows == 2 and [p.line for p in pairs] == [2, 4]
    assert pairs[0].article == "One part\fsecond part\u2028third." and pairs[0].bullets == ["A.", "B."]


def test_unwritable_output_folder_is_one_line(tmp_path, train_file, capsys, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["--train", str(train_file), "--output-dir", str(blocker / "out")]) == 2
    assert "is a file, not a folder" in error_line(capsys)

    import errno
    import tempfile

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(tempfile, "mkdtemp", read_only)
    assert main(["--train", str(train_file), "--output-dir", str(tmp_path / "ro" / "out")]) == 2
    line = error_line(capsys)
    assert "cannot write to --output-dir" in line and "Read-only file system" in line


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="permissions do not bind root")
def test_read_only_output_folder(tmp_path, train_file, capsys):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        assert main(["--train", str(train_file), "--output-dir", str(ro / "out")]) == 2
        assert "Permission denied" in error_line(capsys)
    finally:
        ro.chmod(0o755)


@pytest.mark.parametrize("error, expected", [
    (RuntimeError("[enforce fail at alloc_cpu.cpp:127] err == 0. DefaultCPUAllocator: can't allocate memory: "
                  "you tried to allocate 10000000000000 bytes. Error code 12 (Cannot allocate memory)"), "out of memory"),
    (RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB"), "out of memory"),
    (torch.cuda.OutOfMemoryError("boom"), "out of memory"),
    (MemoryError(), "out of memory"),
    (OSError(28, "No space left on device", "/x/model.safetensors"), "No space left on device: /x/model.safetensors"),
    (ValueError("something else\nwith a second line"), "ValueError: something else (set KD_DEBUG=1"),
])
def test_failures_during_training_are_one_line(tmp_path, train_file, capsys, monkeypatch, error, expected):
    import finetune.train

    def fail(cfg):
        raise error

    monkeypatch.setattr(finetune.train, "run", fail)
    assert main(["--train", str(train_file), "--output-dir", str(tmp_path / "o")]) == 1
    assert expected in error_line(capsys)


def test_adapter_that_is_its_own_base_is_one_line(tmp_path, train_file, capsys):
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": str(adapter)}))
    assert main(["--train", str(train_file), "--output-dir", str(tmp_path / "o"), "--model", str(adapter)]) == 2
    assert "names itself as its base model" in error_line(capsys)
    (adapter / "adapter_config.json").write_text(json.dumps({"r": 8}))
    assert main(["--train", str(train_file), "--output-dir", str(tmp_path / "o"), "--model", str(adapter)]) == 2
    assert "does not name its base model" in error_line(capsys)
