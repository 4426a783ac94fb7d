import json
import os
import subprocess
import sys

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


@pytest.mark.parametrize("module, args", [
    ("summarizer", ["summarize", "-"]),  # waits on stdin after its imports
    ("eval", ["--data", "FIFO", "--model", "lead-3"]),  # blocks opening a FIFO nobody writes
    ("finetune", ["--train", "FIFO", "--valid", "FIFO", "--output-dir", "out"]),  # Ctrl-C lands in its imports
])
def test_ctrl_c_at_any_moment_exits_130_without_traceback(module, args, tmp_path):
    import signal
    import time

    fifo = tmp_path / "fifo.jsonl"
    os.mkfifo(fifo)
    cmd = [sys.executable, "-m", module, *[str(fifo) if a == "FIFO" else a for a in args]]
    for delay in (1.5, 4.0):  # during the heavy imports (torch, transformers), then later
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                cwd=tmp_path, env={**os.environ, "HF_HUB_OFFLINE": "1"})
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 130, (delay, err.decode()[-800:])
        assert b"Traceback" not in err, err.decode()[-800:]
