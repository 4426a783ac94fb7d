import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from summarizer.cli import main


def run_cli(*args, stdin: bytes | None = None):
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "summarizer", *args], input=stdin, capture_output=True, env=env,
                          timeout=300)


def test_summarize_file_json(lively_model, tmp_path, example_reports):
    p = tmp_path / "r.txt"
    p.write_text(example_reports["harbor_bridge.txt"])
    res = run_cli("summarize", str(p), "--model", str(lively_model), "--format", "json", "--max-new-tokens", "16")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["bullets"] and all(isinstance(b, str) and b.strip() for b in out["bullets"])
    assert out["chunks"] >= 1 and out["model"] == str(lively_model) and out["error"] is None
    assert [ln for ln in out["markdown"].splitlines()[1:] if ln] == [f"- {b}" for b in out["bullets"]]
    assert out["reference"][0].startswith("The council approved a $62 million plan")  # the report's own bullets
    assert "Traceback" not in res.stderr.decode()


def test_stdin_and_markdown(capsys, monkeypatch, example_reports):
    """The default model from stdin: real bullets, each a shortened sentence of the report."""
    import io
    text = example_reports["clinic_vaccines.txt"]
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    assert main(["summarize", "-", "--format", "md"]) == 0
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln]
    assert lines[0] == "## Key Developments" and len(lines) >= 3
    body = " ".join(text.split())
    for line in lines[1:]:
        assert line.startswith("- ")
        words = line[2:].rstrip(".").split()
        assert " ".join(words[:3]) in body  # its opening words come from the report


@pytest.mark.parametrize("text, reason", [
    ("。！？ … 🙂🙂 —— 1234", "no words to summarize"),
    ("今天北京下了一场大雨，许多道路被淹没。市政府宣布启动紧急应对措施，并派出救援人员。", "without spaces between words"),
])
def test_no_bullets_is_a_failure_with_a_reason(capsys, monkeypatch, text, reason):
    import io
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    assert main(["summarize", "-"]) == 1
    out, err = capsys.readouterr()
    assert "no bullets" in err and reason in err and out == ""


@pytest.mark.parametrize("args,stdin,msg", [
    (["summarize", "missing.txt"], None, "file not found"),
    (["summarize", "-"], b"   \n", "empty"),
    (["summarize", "-"], "caf\xe9".encode("latin-1"), "not valid UTF-8"),
    (["summarize", "-"], b"\x00\x01\x02binary", "binary"),
    (["summarize", "-", "--bullets", "0"], b"Text.", "bullets must be"),
    (["summarize", "-", "--min-new-tokens", "50", "--max-new-tokens", "5"], b"Text.", "must not exceed"),
    (["summarize", "-", "--max-chars", "10"], b"A text longer than ten characters.", "limit is 10"),
    (["summarize", "-", "--model", "./nowhere"], b"Text.", "model path not found"),
    (["summarize", "-", "--format", "xml"], b"Text.", "invalid choice"),
])
def test_bad_input_exit_2_one_line(args, stdin, msg, capsys, monkeypatch, tmp_path):
    import io
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin or b"")))
    try:
        code = main(args)
    except SystemExit as e:  # argparse's own usage errors
        code = e.code
    err = capsys.readouterr().err
    assert code == 2, err
    assert msg in err and len(err.strip().splitlines()) <= 2


def _interrupt(cmd: list[str], cwd, ready, env=None):
    """Start a command, wait until ready() is true, send SIGINT; its exit code and stderr."""
    import signal
    import time

    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=cwd,
                            env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})})
    deadline = time.time() + 120
    while not ready():
        assert proc.poll() is None, f"finished before the interrupt: {proc.stderr.read().decode()[-800:]}"
        assert time.time() < deadline
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    return proc.returncode, err.decode()


@pytest.mark.parametrize("module, args", [
    ("summarizer", ["summarize", "-"]),
    ("eval", ["--data", "FIFO", "--model", "lead-3"]),
    ("finetune", ["--train", "FIFO", "--valid", "FIFO", "--output-dir", "out"]),
])
def test_ctrl_c_during_the_imports_exits_130_without_traceback(module, args, tmp_path):
    """The imports (torch, transformers) take seconds: Ctrl-C lands there at 0.5 s on any machine.
    CPython marks a KeyboardInterrupt raised inside a string exec (dataclasses run those while
    importing) as unhandled and `python -m` then dies of SIGINT (exit -2) unless run_main clears it."""
    import time

    fifo = tmp_path / "fifo.jsonl"
    os.mkfifo(fifo)  # refused once the imports are done, so an interrupt after them fails the test
    t0 = time.time()
    code, err = _interrupt([sys.executable, "-m", module, *[str(fifo) if a == "FIFO" else a for a in args]],
                           tmp_path, lambda: time.time() - t0 > 0.5)
    assert code == 130, err[-800:]
    assert "Traceback" not in err and err.strip().splitlines()[-1] == "interrupted", err[-800:]


def test_a_ctrl_c_that_a_library_turns_into_another_error_is_still_an_interrupt(capsys):
    """Ctrl-C inside numpy's lazy import made transformers raise "ModuleNotFoundError: Could not
    import module 'PreTrainedModel'" (exit 1); after a Ctrl-C any failure means interrupted."""
    import signal

    from summarizer.cli import run_main

    def importing() -> int:
        try:
            signal.raise_signal(signal.SIGINT)
        except KeyboardInterrupt as e:
            raise ModuleNotFoundError("Could not import module 'PreTrainedModel'") from e
        return 0

    def failing_after_an_interrupt() -> int:  # a command that caught the Ctrl-C and reported a failure
        try:
            signal.raise_signal(signal.SIGINT)
        except KeyboardInterrupt:
            return 1
        return 0

    assert run_main(importing) == 130 and run_main(failing_after_an_interrupt) == 130
    assert capsys.readouterr().err.splitlines() == ["interrupted", "interrupted"]
    assert run_main(lambda: 1 / 0) == 1  # without a Ctrl-C a failure stays one
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back


def test_sigterm_is_a_stop_that_says_so_and_exits_143(capsys):
    import signal

    from summarizer.cli import run_main

    def stopped() -> int:
        signal.raise_signal(signal.SIGTERM)
        return 0

    assert run_main(stopped) == 143
    assert capsys.readouterr().err.splitlines() == ["interrupted (terminated)"]
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # put back


def test_after_ctrl_c_the_process_does_not_wait_for_worker_threads(tmp_path):
    """CTranslate2 finishes a running batch before the interpreter may exit; exit_process leaves
    at once after an interrupt (a thread sleeping a minute stands in for that batch)."""
    script = ("import threading, time\n"
              "from summarizer.backends import ct2\n"
              "from summarizer.cli import exit_process\n"
              "threading.Thread(target=time.sleep, args=(60,)).start()\n"
              "ct2._INTERRUPTED.append((None, []))  # what _wait records when Ctrl-C lands mid-batch\n"
              "print('bye', flush=True)\n"
              "exit_process(130)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    assert done.returncode == 130 and done.stdout == "bye\n", done.stderr


def test_ctrl_c_mid_job_exits_130_and_says_how_to_resume(tiny_seq2seq, tmp_path, example_reports):
    """eval and finetune, interrupted once they have written work: 130, a resume hint, no traceback."""
    rows = [{"id": str(i), "article": text, "highlights": "A bullet."}
            for i, text in enumerate(list(example_reports.values()) * 40)]
    data = tmp_path / "rows.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))

    run = tmp_path / "run"
    per_article = lambda: (run / "per_article.jsonl").exists() and (run / "per_article.jsonl").stat().st_size > 0  # noqa: E731
    code, err = _interrupt([sys.executable, "-m", "eval", "--data", str(data), "--model", str(tiny_seq2seq),
                            "--output-dir", str(run), "--max-new-tokens", "16"], tmp_path, per_article)
    assert code == 130 and "--resume" in err and "Traceback" not in err, err[-800:]

    out = tmp_path / "ft"
    code, err = _interrupt([sys.executable, "-m", "finetune", "--train", str(data), "--valid", str(data),
                            "--output-dir", str(out), "--model", str(tiny_seq2seq), "--batch-size", "2",
                            "--max-source-length", "64", "--max-target-length", "16", "--eval-samples", "1",
                            "--logging-steps", "1"], tmp_path, lambda: (out / "train_log.jsonl").exists(),
                           env={"FINETUNE_STEP_DELAY": "0.5"})
    assert code == 130 and "--resume" in err and "Traceback" not in err, err[-800:]


def test_the_default_model_never_imports_torch(tmp_path, example_reports):
    """The default model is numpy only: `summarizer summarize` with it must not pay torch's and
    transformers' import (about 4 of its 5 seconds before); a device typo is still refused."""
    report = tmp_path / "report.txt"
    report.write_text(example_reports["harbor_bridge.txt"], encoding="utf-8")
    script = ("import runpy, sys\n"
              f"sys.argv = ['summarizer', 'summarize', {str(report)!r}, '--device', 'cpu']\n"
              "try:\n"
              "    runpy.run_module('summarizer', run_name='__main__')\n"
              "except SystemExit as e:\n"
              "    print('exit', e.code, 'torch' in sys.modules, 'transformers' in sys.modules)\n")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env)
    assert done.stdout.startswith("## Key Developments") and done.stdout.splitlines()[-1] == "exit 0 False False", \
        done.stdout[-500:] + done.stderr[-500:]
    typo = subprocess.run([sys.executable, "-m", "summarizer", "summarize", str(report), "--device", "gpu"],
                          capture_output=True, text=True, timeout=120, env=env)
    assert typo.returncode == 2 and "unknown device 'gpu'" in typo.stderr
