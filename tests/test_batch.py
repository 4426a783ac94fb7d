"""`summarizer batch`: resume after kills, bad rows, output formats, OOM halving, Ray Data.

The model is `lively_model` (conftest): a tiny random Llama whose output depends on its input.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import types
from pathlib import Path

import pytest
import torch

from summarizer import InputError
from summarizer.backends.transformers import TransformersBackend
from summarizer.batch import Item, plan_batches
from summarizer.journal import Journal, sidecar
from summarizer.cli import main

ROOT = Path(__file__).resolve().parent.parent
GEN = ["--max-new-tokens", "16", "--no-progress"]


def make_articles(n: int, seed: int = 0) -> list[dict]:
    """Short articles of varied length (so batches pad) cut from an example report."""
    rng = random.Random(seed)
    words = (ROOT / "examples" / "harbor_bridge.txt").read_text(encoding="utf-8").split()
    rows = []
    for i in range(n):
        k = rng.randint(5, 40)
        s = rng.randint(0, len(words) - k)
        rows.append({"id": f"a{i:02d}", "article": " ".join(words[s:s + k])})
    return rows


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows),
                    encoding="utf-8")
    return path


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def read_table(path: Path) -> list[dict]:
    """A finished CSV/Parquet output, with lists and numbers as they were written."""
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq
        return pq.read_table(path).to_pylist()
    import csv
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        for k in ("bullets", "support", "warnings", "notes"):
            r[k] = json.loads(r[k])
        for k in ("line", "chunks", "input_tokens", "output_tokens"):
            r[k] = int(r[k])
        r["error"] = r["error"] or None
    return rows


def by_line(rows: list[dict]) -> dict[int, dict]:
    out = {r["line"]: r for r in rows}
    assert len(out) == len(rows), "duplicate lines in the output"
    return out


def by_id(rows: list[dict]) -> dict[str, dict]:
    out = {r["id"]: r for r in rows}
    assert len(out) == len(rows), "duplicate ids in the output"
    return out


def run_batch(*args) -> int:
    return main(["batch", *map(str, args)])


# ---- resume ------------------------------------------------------------------------------
@pytest.mark.slow  # four fresh processes (imports dominate: 20-40 s on a busy 2-core machine)
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_killed_three_times_then_resume_equals_uninterrupted_run(lively_model, tmp_path, sig):
    src = write_jsonl(tmp_path / "in.jsonl", make_articles(60))
    common = ["--model", lively_model, "--batch-size", "2", *GEN]
    assert run_batch(src, "-o", tmp_path / "ref.jsonl", *common) == 0
    reference = by_id(read_jsonl(tmp_path / "ref.jsonl"))
    assert len(reference) == 60 and len({tuple(r["bullets"]) for r in reference.values()}) > 30

    out = tmp_path / "out.jsonl"
    cmd = [sys.executable, "-m", "summarizer", "batch", str(src), "-o", str(out), *map(str, common)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    seed = random.randrange(1_000_000)
    rng = random.Random(seed)
    kills = []
    for _ in range(3):
        done = len(read_jsonl(out)) if out.exists() else 0
        target = rng.randint(done + 1, min(done + 20, 54))  # rows written before the kill
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline:
            if out.exists() and out.read_bytes().count(b"\n") >= target:
                break
            time.sleep(0.005)
        time.sleep(rng.uniform(0, 0.05))  # land anywhere in the next batch, or in a write
        assert proc.poll() is None, f"seed {seed}: the job ended before kill {len(kills) + 1}: " \
                                    f"{proc.stderr.read().decode()[-500:]}"
        proc.send_signal(sig)
        code = proc.wait()
        err = proc.stderr.read().decode()
        proc.stderr.close()
        if sig == signal.SIGTERM:  # a polite stop says so and exits as a terminated process
            assert code == 143 and err.strip().splitlines()[-1] == "interrupted (terminated)", err[-500:]
        kills.append(out.read_bytes().count(b"\n"))
    assert kills[-1] < 60, f"seed {seed}: rows at the kills: {kills}"
    print(f"seed {seed}: rows in the output at the kills: {kills}")

    final = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert final.returncode == 0, final.stderr
    assert "resuming:" in final.stderr
    rows = read_jsonl(out)
    assert len(rows) == 60, f"seed {seed}, rows at the kills {kills}: {len(rows)} rows"
    assert by_id(rows) == reference, f"seed {seed}, rows at the kills {kills}"


def test_torn_last_line_is_cut_and_the_row_redone(lively_model, tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", make_articles(6))
    ref = tmp_path / "ref.jsonl"
    assert run_batch(src, "-o", ref, "--model", lively_model, "--batch-size", "1", *GEN) == 0
    lines = ref.read_text(encoding="utf-8").splitlines(keepends=True)
    out = tmp_path / "out.jsonl"
    out.write_text("".join(lines[:3]) + lines[3][:25], encoding="utf-8")  # killed mid-write
    (tmp_path / "out.jsonl.job.json").write_bytes((tmp_path / "ref.jsonl.job.json").read_bytes())
    assert run_batch(src, "-o", out, "--model", lively_model, "--batch-size", "1", *GEN) == 0
    assert by_id(read_jsonl(out)) == by_id(read_jsonl(ref))


def test_rerun_skips_done_rows_and_overwrite_starts_over(lively_model, tmp_path, capsys):
    src = write_jsonl(tmp_path / "in.jsonl", make_articles(5))
    out = tmp_path / "out.jsonl"
    args = [src, "-o", out, "--model", lively_model, *GEN]
    assert run_batch(*args) == 0
    first = out.read_text(encoding="utf-8")
    capsys.readouterr()
    assert run_batch(*args) == 0
    assert "0 done, 0 failed, 5 skipped" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == first
    write_jsonl(src, make_articles(8))  # new rows appended to the input: only they are done
    assert run_batch(*args) == 0
    assert "3 done, 0 failed, 5 skipped" in capsys.readouterr().err
    assert len(by_id(read_jsonl(out))) == 8
    write_jsonl(src, make_articles(6))  # rows taken out of the input: not a finished job
    assert run_batch(*args) == 2
    assert "holds rows for 2 line(s) the input no longer has (from line 7)" in capsys.readouterr().err
    assert run_batch(*args, "--overwrite") == 0
    assert "6 done" in capsys.readouterr().err


def test_batches_do_not_depend_on_what_is_already_done():
    items = [Item(f"r{i}", i, "x" * (i * 7 % 23 + 1)) for i in range(1, 30)]
    plan = plan_batches(items, 4)
    assert [len(b) for b in plan] == [4] * 7 + [1]
    lengths = [len(it.text) for b in plan for it in b]
    assert lengths == sorted(lengths, reverse=True)
    assert plan_batches(list(reversed(items)), 4) == plan  # input order within a window is irrelevant


# ---- bad rows ----------------------------------------------------------------------------
def test_a_csv_row_with_a_field_too_many_or_few_fails_under_its_own_id(lively_model, tmp_path, capsys):
    """A stray quote or comma splits a row; its error row names the row's id, not a made-up one."""
    src = tmp_path / "in.csv"
    src.write_text('id,article\nA1,"The council approved the plan. It costs 5 million dollars. Work starts soon."\n'
                   'A2,The mayor said "it is good, and we agree. Everyone came. It was a fine day.\n'
                   'A3\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert run_batch(src, "-o", out, "--model", lively_model, *GEN) == 1
    rows = by_line(read_jsonl(out))
    assert rows[2]["id"] == "A1" and not rows[2]["error"]
    assert rows[3]["id"] == "A2" and "1 field(s) more than the header has" in rows[3]["error"]
    # a row with a field too few is no null text: it says what it lacks
    assert rows[4]["id"] == "A3" and rows[4]["error"] == ("line 4: no 'article' field: the row has 1 of the "
                                                          "header's 2 fields (a line break in unquoted text?)")
    assert "line 3" in capsys.readouterr().err


def test_bad_rows_are_recorded_with_line_and_the_job_goes_on(lively_model, tmp_path, capsys):
    good = make_articles(4)
    lines = [
        good[0],                                       # 1
        {"id": "m1", "title": "no text here"},         # 2 missing text
        {"id": "e1", "article": "   \n "},             # 3 empty text
        {"id": "n1", "article": 42},                   # 4 non-string text
        '{"id": "bad", "article": "unterminated',      # 5 malformed JSON
        good[1],                                       # 6
        {"id": good[0]["id"], "article": "Another article that reuses an id."},  # 7 duplicate id
        {"article": good[2]["article"]},               # 8 no id: gets line-8
        "[1, 2, 3]",                                   # 9 not an object
        good[3],                                       # 10
        {"id": "kd", "article": "Key Developments\n- The council voted.\n- The bridge opened."},  # 11
        '{"id": 1' + "7" * 5000 + ', "article": "A number past the digit limit."}',  # 12
        '{"id": "bad\\ud800id", "article": "An id no output file can hold."}',  # 13 a lone surrogate
    ]
    src = write_jsonl(tmp_path / "in.jsonl", lines)
    out = tmp_path / "out.jsonl"
    code = run_batch(src, "-o", out, "--model", lively_model, *GEN)
    err = capsys.readouterr().err
    assert code == 1
    assert "4 done, 9 failed" in err and "--allow-failures" in err
    assert "Traceback" not in err
    rows = by_line(read_jsonl(out))
    assert len(rows) == 13
    failed = {r["line"]: r["error"] for r in rows.values() if r["error"]}
    assert sorted(failed) == [2, 3, 4, 5, 7, 9, 11, 12, 13]
    assert "no 'article' field" in failed[2]
    assert "empty" in failed[3]
    assert "'article' is a number, not text" in failed[4]
    assert "malformed JSON" in failed[5]
    assert "duplicate id 'a00' (first on line 1)" in failed[7]
    assert "expected a JSON object" in failed[9]
    assert "malformed JSON" in failed[12] and "not valid Unicode" in failed[13]
    # The library refuses this one while summarizing; halving the batch isolates it.
    assert "holds only its Key Developments" in failed[11] and "generation failed" not in failed[11]
    assert all(msg.startswith(f"line {n}:") for n, msg in failed.items())
    assert rows[7]["id"] == rows[1]["id"] == "a00" and not rows[1]["error"]  # the duplicate keeps its own id
    assert rows[8]["id"] == "line-8" and rows[8]["bullets"] and not rows[8]["error"]

    # Resuming changes nothing; the failures still count unless allowed.
    assert run_batch(src, "-o", out, "--model", lively_model, *GEN) == 1
    assert "9 from earlier runs" in capsys.readouterr().err
    assert run_batch(src, "-o", out, "--model", lively_model, "--allow-failures", *GEN) == 0
    assert len(read_jsonl(out)) == 13
    capsys.readouterr()
    assert run_batch(src, "-o", out, "--model", lively_model, "--retry-failed", "--allow-failures", *GEN) == 0
    assert "0 done, 9 failed, 4 skipped" in capsys.readouterr().err  # only the failed rows again
    assert by_line(read_jsonl(out)).keys() == rows.keys()


def test_usage_errors_are_one_line_and_exit_2(lively_model, tmp_path, capsys):
    src = write_jsonl(tmp_path / "in.jsonl", make_articles(2))
    cases = [
        ([src, "-o", tmp_path / "o.jsonl", "--text-field", "body"], "no text column 'body'"),
        ([src, "-o", tmp_path / "o.txt"], "use a .jsonl, .csv or .parquet"),
        ([src, "-o", src], "overwrite the input"),
        ([tmp_path / "missing.jsonl", "-o", tmp_path / "o.jsonl"], "input not found"),
        ([src, "-o", tmp_path / "o.jsonl", "--batch-size", "0"], "--batch-size must be at least 1"),
    ]
    for args, msg in cases:
        assert run_batch(*args, "--model", lively_model, *GEN) == 2, msg
        err = capsys.readouterr().err
        assert msg in err and len(err.strip().splitlines()) == 1, err
    # A file this tool did not write is never resumed into, even when it looks like results.
    for name, content in [("notours.jsonl", '{"id": "a00", "line": 1, "error": null}\n{"id": "x"'),
                          ("notours.csv", "name,score\nann,3\n")]:
        (tmp_path / name).write_text(content, encoding="utf-8")
        assert run_batch(src, "-o", tmp_path / name, "--model", lively_model, "--allow-failures", *GEN) == 2
        assert "was not written by this tool" in capsys.readouterr().err
        assert (tmp_path / name).read_text(encoding="utf-8") == content


# ---- inputs and output formats ------------------------------------------------------------
def test_folder_of_reports_uses_file_names_as_ids(tiny_seq2seq, tmp_path):
    out = tmp_path / "out.jsonl"
    assert run_batch(ROOT / "examples", "-o", out, "--model", tiny_seq2seq, *GEN) == 0
    rows = by_id(read_jsonl(out))
    assert set(rows) == {p.name for p in (ROOT / "examples").iterdir() if p.is_file()}
    assert all(r["model"] == str(tiny_seq2seq) and r["error"] is None for r in rows.values())


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_csv_and_parquet_outputs_resume_into_a_finished_file(lively_model, tmp_path, fmt):
    arts = make_articles(9)
    arts[4]["article"] = ""  # one bad row travels through the format too
    src = write_jsonl(tmp_path / "in.jsonl", arts[:5])
    out = tmp_path / f"out.{fmt}"
    args = ["-o", out, "--model", lively_model, "--allow-failures", "--batch-size", "1", *GEN]
    assert run_batch(src, *args) == 0
    first = by_id(read_table(out))
    write_jsonl(src, arts)
    assert run_batch(src, *args) == 0
    rows = read_table(out)
    assert [r["line"] for r in rows] == list(range(1, 10))  # final tables are in input order
    assert {k: v for k, v in by_id(rows).items() if k in first} == first
    assert (tmp_path / f"out.{fmt}.journal.jsonl").exists()  # kept: a rerun resumes from it
    assert run_batch(src, "-o", tmp_path / "all.jsonl", *args[2:]) == 0
    assert by_id(rows) == by_id(read_jsonl(tmp_path / "all.jsonl"))


def test_a_parquet_output_where_every_row_failed_has_the_types_of_a_good_one(lively_model, tmp_path):
    import pyarrow.parquet as pq

    args = ["--model", lively_model, "--allow-failures", *GEN]
    good = write_jsonl(tmp_path / "good.jsonl", make_articles(2))
    bad = write_jsonl(tmp_path / "bad.jsonl", [{"id": "x1", "article": ""}, {"id": "x2", "article": " "}])
    assert run_batch(good, "-o", tmp_path / "good.parquet", *args) == 0
    assert run_batch(bad, "-o", tmp_path / "bad.parquet", *args) == 0
    # was list<null> and null: such a file would not concatenate with the others of a job
    assert pq.read_schema(tmp_path / "bad.parquet") == pq.read_schema(tmp_path / "good.parquet")


def test_interrupted_csv_job_keeps_its_journal_and_resumes(lively_model, tmp_path, monkeypatch):
    import summarizer.batch as batch

    src = write_jsonl(tmp_path / "in.jsonl", make_articles(8))
    out = tmp_path / "out.csv"
    real, calls = batch.summarize_batch, []

    def interrupted(*a, **k):  # Ctrl-C while the third batch is generating
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(batch, "summarize_batch", interrupted)
    assert run_batch(src, "-o", out, "--model", lively_model, "--batch-size", "2", *GEN) == 130
    journal = tmp_path / "out.csv.journal.jsonl"
    assert len(read_jsonl(journal)) == 4 and not out.exists()
    monkeypatch.setattr(batch, "summarize_batch", real)
    assert run_batch(src, "-o", out, "--model", lively_model, "--batch-size", "2", *GEN) == 0
    assert len(read_jsonl(journal)) == 8
    assert run_batch(src, "-o", tmp_path / "ref.jsonl", "--model", lively_model, "--batch-size", "2", *GEN) == 0
    assert by_id(read_table(out)) == by_id(read_jsonl(tmp_path / "ref.jsonl"))


def test_journal_refuses_a_second_writer(tmp_path):
    job = {"kind": "test"}
    first = Journal(tmp_path / "out.jsonl", job, key="id")
    try:
        with pytest.raises(InputError, match="another job"):
            Journal(tmp_path / "out.jsonl", job, key="id")
    finally:
        first.close()


def test_a_refused_writer_leaves_the_running_jobs_rows_and_settings(tmp_path):
    """Neither --overwrite nor other settings may touch an output another job holds."""
    out = tmp_path / "out.jsonl"
    first = Journal(out, {"kind": "test", "bullets": 3}, key="id")
    try:
        first.write([{"id": "a", "x": 1}])
        for overwrite in (True, False):
            with pytest.raises(InputError, match="another job"):
                Journal(out, {"kind": "test", "bullets": 5}, key="id", overwrite=overwrite)
        first.write([{"id": "b", "x": 2}])
    finally:
        first.close()
    assert [r["id"] for r in read_jsonl(out)] == ["a", "b"]
    assert json.loads(sidecar(out).read_text())["bullets"] == 3
    again = Journal(out, {"kind": "test", "bullets": 3}, key="id")  # the first job resumes
    assert set(again.done) == {"a", "b"}
    again.close()


def test_journal_resumes_only_its_own_job(tmp_path):
    j = Journal(tmp_path / "out.jsonl", {"kind": "test", "settings": 1}, key="id")
    j.write([{"id": "a", "x": 1}])
    j.close()
    with pytest.raises(InputError, match="another settings"):
        Journal(tmp_path / "out.jsonl", {"kind": "test", "settings": 2}, key="id")
    with pytest.raises(InputError, match="not 'other'"):
        Journal(tmp_path / "out.jsonl", {"kind": "other", "settings": 1}, key="id")
    again = Journal(tmp_path / "out.jsonl", {"kind": "test", "settings": 1}, key="id")
    assert again.done == {"a": {"id": "a", "x": 1}}
    again.close()


def test_made_up_ids_never_take_an_input_id(lively_model, tmp_path):
    """Rows without an id get line-N, unless the input uses that id itself; nothing is skipped."""
    arts = make_articles(4)
    rows = [{"id": "line-2", "article": arts[0]["article"]}, {"article": arts[1]["article"]},
            {"id": "a@line-4", "article": arts[2]["article"]}, {"id": "a", "article": arts[3]["article"]},
            {"id": "a", "article": arts[3]["article"]}]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    out = tmp_path / "out.jsonl"
    assert run_batch(src, "-o", out, "--model", lively_model, "--allow-failures", *GEN) == 0
    got = by_line(read_jsonl(out))
    assert [got[n]["id"] for n in range(1, 6)] == ["line-2", "line-2~2", "a@line-4", "a", "a"]
    assert [bool(got[n]["bullets"]) for n in range(1, 6)] == [True, True, True, True, False]
    assert "duplicate id 'a'" in got[5]["error"]
    assert run_batch(src, "-o", out, "--model", lively_model, "--allow-failures", *GEN) == 0  # resume: nothing new
    assert len(read_jsonl(out)) == 5


def test_a_changed_input_is_not_resumed(lively_model, tmp_path, capsys):
    arts = make_articles(4)
    src = write_jsonl(tmp_path / "in.jsonl", arts)
    out = tmp_path / "out.jsonl"
    assert run_batch(src, "-o", out, "--model", lively_model, *GEN) == 0
    write_jsonl(src, list(reversed(arts)))
    assert run_batch(src, "-o", out, "--model", lively_model, *GEN) == 2
    assert "the input changed" in capsys.readouterr().err
    assert run_batch(src, "-o", src.with_name("in.jsonl"), "--model", lively_model, *GEN) == 2
    assert "overwrite the input" in capsys.readouterr().err


@pytest.mark.parametrize("where, message", [
    ("afile/out.jsonl", "afile is a file, not a folder"),
    ("taken.jsonl", "taken.jsonl.job.json is a folder"),
    ("/proc/out.jsonl", "cannot write /proc/out.jsonl"),
])
def test_an_output_that_cannot_be_written_is_a_usage_error(lively_model, tmp_path, capsys, where, message):
    (tmp_path / "afile").write_text("x")
    (tmp_path / "taken.jsonl.job.json").mkdir()
    src = write_jsonl(tmp_path / "in.jsonl", make_articles(2))
    assert run_batch(src, "-o", tmp_path / where, "--model", lively_model, *GEN) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1, err


@pytest.mark.parametrize("change", ["insert a row first", "edit a row"])
def test_rows_without_ids_are_checked_by_their_text(lively_model, tmp_path, capsys, change):
    """Made-up ids ("line-1") match whatever stands on that line: the text hash catches a row put
    in front or edited, where the old summary would otherwise stay beside another text."""
    arts = [{"article": a["article"]} for a in make_articles(4)]
    src = write_jsonl(tmp_path / "in.jsonl", arts)
    out = tmp_path / "out.jsonl"
    assert run_batch(src, "-o", out, "--model", lively_model, *GEN) == 0
    before = out.read_bytes()
    if change == "insert a row first":
        write_jsonl(src, [{"article": "A new first report about the harbour bridge and its cost."}] + arts)
    else:
        write_jsonl(src, arts[:2] + [{"article": arts[2]["article"] + " One more sentence."}] + arts[3:])
    assert run_batch(src, "-o", out, "--model", lively_model, *GEN) == 2
    assert "holds the summary of another text" in capsys.readouterr().err
    assert out.read_bytes() == before  # nothing appended or changed


def test_a_retrained_model_does_not_resume_a_job(lively_model, tmp_path, capsys):
    import shutil

    model = tmp_path / "model"
    shutil.copytree(lively_model, model)
    src = write_jsonl(tmp_path / "in.jsonl", make_articles(3))
    out = tmp_path / "out.jsonl"
    assert run_batch(src, "-o", out, "--model", model, *GEN) == 0
    weights = model / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-4:] = bytes(4)  # retrained: same name, same size, other numbers
    weights.write_bytes(bytes(data))
    assert run_batch(src, "-o", out, "--model", model, *GEN) == 2
    assert "another weights" in capsys.readouterr().err


# ---- out of memory -----------------------------------------------------------------------
def test_cuda_out_of_memory_halves_the_batch(lively_model, tmp_path, monkeypatch, capsys):
    """No GPU here, so the out-of-memory error is raised by a wrapper around the real
    generate(): batches over 2 articles, and any batch holding the longest article, 'run out'."""
    arts = make_articles(12)
    longest_row = max(arts, key=lambda a: len(a["article"]))
    longest = longest_row["article"]
    src = write_jsonl(tmp_path / "in.jsonl", arts)
    assert run_batch(src, "-o", tmp_path / "ref.jsonl", "--model", lively_model, "--batch-size", "2", *GEN) == 0

    real, sizes = TransformersBackend.generate, []

    def generate(self, texts, settings, on_text=None):
        sizes.append(len(texts))
        if len(texts) > 2 or any(t.strip() == longest.strip() for t in texts):
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return real(self, texts, settings, on_text)

    monkeypatch.setattr(TransformersBackend, "generate", generate)
    out = tmp_path / "out.jsonl"
    assert run_batch(src, "-o", out, "--model", lively_model, "--batch-size", "8", *GEN) == 1
    assert "11 done, 1 failed" in capsys.readouterr().err
    assert 8 in sizes and 4 in sizes and 1 in sizes
    rows, ref = by_id(read_jsonl(out)), by_id(read_jsonl(tmp_path / "ref.jsonl"))
    bad = [r for r in rows.values() if r["error"]]
    assert len(bad) == 1 and "out of memory even alone" in bad[0]["error"]
    assert bad[0]["id"] == longest_row["id"]
    # Halving 8 -> 4 -> 2 gives the same batches as --batch-size 2, hence the same results
    # (except the longest article's partner, which ran alone once its batch was split to 1).
    same = [k for k in rows if not rows[k]["error"] and rows[k] == ref[k]]
    assert len(same) >= 10


# ---- Ray Data ----------------------------------------------------------------------------
@pytest.mark.slow  # starts a local Ray instance: 20-30 s here
def test_ray_engine_matches_the_local_engine(lively_model, tmp_path, capsys):
    ray = pytest.importorskip("ray", reason="Ray is not installed: pip install 'ray[data]'")
    src = write_jsonl(tmp_path / "in.jsonl", make_articles(10) + ['{"broken'])
    common = ["--model", lively_model, "--batch-size", "3", "--allow-failures", *GEN]
    assert run_batch(src, "-o", tmp_path / "local.jsonl", *common) == 0
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        assert run_batch(src, "-o", tmp_path / "ray.jsonl", "--engine", "ray", "--num-workers", "2", *common) == 0
        assert "Ray Data with 2 worker(s)" in capsys.readouterr().err
        # Resume works the same way: a second run finds everything done.
        assert run_batch(src, "-o", tmp_path / "ray.jsonl", "--engine", "ray", *common) == 0
        assert "0 done, 0 failed (+1 from earlier runs), 11 skipped" in capsys.readouterr().err
    finally:
        ray.shutdown()
    assert by_id(read_jsonl(tmp_path / "ray.jsonl")) == by_id(read_jsonl(tmp_path / "local.jsonl"))


def test_a_job_resumes_only_with_the_same_dtype(lively_model, tmp_path, capsys, monkeypatch):
    """int8 writes other words than float32: one output must not mix them (the device may change)."""
    monkeypatch.setenv("KD_CACHE", str(tmp_path / "cache"))  # the conversions stay out of ~/.cache
    arts = make_articles(3)
    src = write_jsonl(tmp_path / "in.jsonl", arts[:2])
    out = tmp_path / "out.jsonl"
    ct2 = ["--model", lively_model, "--engine", "ct2", *GEN]
    assert run_batch(src, "-o", out, *ct2, "--dtype", "float32") == 0
    write_jsonl(src, arts)
    assert run_batch(src, "-o", out, *ct2, "--dtype", "int8") == 2
    assert "another dtype" in capsys.readouterr().err
    assert len(read_jsonl(out)) == 2
    assert run_batch(src, "-o", out, *ct2, "--dtype", "float32", "--device", "cpu") == 0
    assert len(read_jsonl(out)) == 3


def test_overwrite_with_a_model_that_does_not_load_keeps_the_last_results(lively_model, tmp_path, capsys):
    src = write_jsonl(tmp_path / "in.jsonl", make_articles(3))
    out = tmp_path / "out.jsonl"
    assert run_batch(src, "-o", out, "--model", lively_model, *GEN) == 0
    before = out.read_text(encoding="utf-8")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text("{}", encoding="utf-8")
    capsys.readouterr()
    assert run_batch(src, "-o", out, "--model", broken, "--overwrite", *GEN) == 2
    assert "cannot load" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == before


def test_overwrite_on_ray_without_ray_or_its_model_keeps_the_last_results(lively_model, tmp_path, capsys,
                                                                          monkeypatch):
    src = write_jsonl(tmp_path / "in.jsonl", make_articles(3))
    out = tmp_path / "out.jsonl"
    assert run_batch(src, "-o", out, "--model", lively_model, *GEN) == 0
    before = out.read_text(encoding="utf-8")
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray fails as when it is not installed
    capsys.readouterr()
    assert run_batch(src, "-o", out, "--model", lively_model, "--overwrite", "--runner", "ray", *GEN) == 2
    assert "needs Ray Data" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == before
    monkeypatch.setitem(sys.modules, "ray", types.ModuleType("ray"))
    assert run_batch(src, "-o", out, "--model", tmp_path / "gone", "--overwrite", "--runner", "ray", *GEN) == 2
    assert "model path not found" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == before


def test_a_final_table_stopped_while_written_leaves_the_old_file_and_no_half_one(tmp_path, monkeypatch):
    import summarizer.journal as journal

    out = tmp_path / "out.csv"
    journal.write_table(out, [{"id": "a", "bullets": ["x"]}], ["id", "bullets"], {"bullets"})
    before = out.read_bytes()

    def stopped(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(journal.csv, "DictWriter", stopped)  # Ctrl-C or SIGTERM in the middle of the write
    with pytest.raises(KeyboardInterrupt):
        journal.write_table(out, [{"id": "b", "bullets": ["y"]}], ["id", "bullets"], {"bullets"})
    assert out.read_bytes() == before and not list(tmp_path.glob("*.tmp"))
