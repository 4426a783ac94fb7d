"""The built package (not the checkout) carries the default model: a non-editable install,
used from another working directory, summarizes a report with the extractive default."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow  # builds a wheel: about a minute
def test_wheel_install_summarizes_with_the_shipped_default(tmp_path):
    wheels, site = tmp_path / "wheels", tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(ROOT)],
                   check=True, capture_output=True)
    (wheel,) = wheels.glob("key_developments-*.whl")
    subprocess.run([*pip, "install", "--no-deps", "--target", str(site), str(wheel)], check=True, capture_output=True)
    report = (ROOT / "examples" / "harbor_bridge.txt").read_text(encoding="utf-8")
    code = ("import json, sys, summarizer; from summarizer import Summarizer; s = Summarizer.from_pretrained(); "
            "r = s.summarize(sys.stdin.read()); "
            "print(json.dumps({'file': summarizer.__file__, 'name': s.name, 'bullets': r.bullets}))")
    env = {**os.environ, "PYTHONPATH": str(site), "HF_HUB_OFFLINE": "1"}
    res = subprocess.run([sys.executable, "-c", code], input=report, capture_output=True, text=True,
                         cwd=tmp_path, env=env, timeout=300)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["file"].startswith(str(site))  # the installed copy, not the checkout
    assert "extractive" in out["name"] and out["bullets"]
