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


def test_summarize_file_json(tiny_causal, tmp_path, example_reports):
    p = tmp_path / "r.txt"
    p.write_text(example_reports["harbor_bridge.txt"])
    res = run_cli("summarize", str(p), "--model", str(tiny_causal), "--format", "json", "--max-new-tokens", "16")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert isinstance(out["bullets"], list) and out["chunks"] >= 1 and out["model"]
    assert "Traceback" not in res.stderr.decode()


def test_stdin_and_markdown(tiny_seq2seq, capsys, monkeypatch):
    import io
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"The mayor resigned. She cited health.")))
    assert main(["summarize", "-", "--model", str(tiny_seq2seq), "--max-new-tokens", "8"]) == 0
    assert capsys.readouterr().out.startswith("## Key Developments")


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
