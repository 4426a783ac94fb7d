"""Kill `summarizer batch` and `python -m eval` at random moments, resume, and check nothing is lost.

    python scripts/fault_injection.py [--rows 300] [--kills 10] [--model MODEL] [--seed 0]

For each job: one uninterrupted reference run, then the same command killed with SIGKILL at a
random moment `--kills` times (start-up, reading, generating, writing) and finally run to the
end. Checks: exactly one row per input row (unique ids), no partial lines, and results identical
to the reference (timings aside). The rows are real articles from ../shared/data when present,
else the example reports cut into pieces. Prints one JSON line last.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "cnndm_validation_1000.jsonl"
VOLATILE = {"seconds"}  # per-row timings differ between runs by nature


def make_rows(n: int) -> list[dict]:
    if DATA.exists():
        with DATA.open(encoding="utf-8") as f:
            rows = [json.loads(line) for _, line in zip(range(n), f)]
        return [{"id": r["id"], "article": r["article"], "highlights": r["highlights"]} for r in rows]
    words = " ".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "examples").glob("*.*"))).split()
    rng = random.Random(0)
    out = []
    for i in range(n):
        k = rng.randint(40, 200)
        s = rng.randint(0, len(words) - k)
        out.append({"id": f"r{i:04d}", "article": " ".join(words[s:s + k]), "highlights": " ".join(words[s:s + 12])})
    return out


def read_rows(path: Path) -> tuple[list[dict], bool]:
    """Rows of a JSONL file, and whether every line is complete."""
    data = path.read_bytes() if path.exists() else b""
    whole = data.endswith(b"\n") or not data
    lines = data.splitlines() if whole else data.splitlines()[:-1]  # a torn last line is not a row
    return [json.loads(line) for line in lines if line.strip()], whole


def count_lines(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


def comparable(rows: list[dict]) -> dict[str, dict]:
    return {str(r["id"]): {k: v for k, v in r.items() if k not in VOLATILE} for r in rows}


def timed_run(cmd: list[str], out: Path, env: dict) -> tuple[float, float]:
    """(seconds to the first written row, seconds in all) of one uninterrupted run."""
    t0 = time.perf_counter()
    log = tempfile.TemporaryFile()  # a pipe nobody reads would block the job once it fills
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=log)
    first = None
    while proc.poll() is None:
        if first is None and out.exists() and out.stat().st_size > 0:
            first = time.perf_counter() - t0
        time.sleep(0.01)
    if proc.returncode != 0:
        log.seek(0)
        raise SystemExit(f"the reference run failed: {log.read().decode(errors='replace')[-500:]}")
    total = time.perf_counter() - t0
    return (first if first is not None else total), total


def kill_and_resume(cmd: list[str], out: Path, kills: int, rng: random.Random, env: dict,
                    reference: tuple[float, float], n: int) -> list:
    """Run `cmd` `kills` times and SIGKILL it: a fifth of the times during start-up (a random share
    of the reference run's time to its first row), the rest once the output holds a random number
    of rows past what it held (spread so that the kills cover the job), so each such kill lands
    while rows are written."""
    startup, _ = reference
    moments = []
    for k in range(kills):
        done = len(read_rows(out)[0])
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if rng.random() < 0.2 or done >= n - 1:
            wait, target = rng.uniform(0.05, 1.0) * startup, None
            try:
                proc.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                pass
        else:
            target = done + rng.randint(1, max(1, (n - 1 - done) // (kills - k)))  # spread over the job
            while proc.poll() is None and count_lines(out) < target:
                time.sleep(0.005)
        if proc.poll() is not None:
            moments.append(["finished before the kill", target])
            continue
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        rows, whole = read_rows(out)
        moments.append([len(rows), "start-up" if target is None else f"at {target} rows", "torn" if not whole else "whole"])
    return moments


def run_case(name: str, cmd: list[str], ref_cmd: list[str], out: Path, ref_out: Path, kills: int,
             rng: random.Random, env: dict, n: int) -> dict:
    reference = timed_run(ref_cmd, ref_out, env)
    moments = kill_and_resume(cmd, out, kills, rng, env, reference, n)
    final = subprocess.run(cmd, env=env, capture_output=True, text=True)
    rows, whole = read_rows(out)
    ref_rows, _ = read_rows(ref_out)
    ids = [str(r["id"]) for r in rows]
    result = {"job": name, "rows": len(rows), "unique_ids": len(set(ids)), "complete_lines": whole,
              "identical": comparable(rows) == comparable(ref_rows), "exit": final.returncode,
              "kills": moments, "reference_s": [round(v, 1) for v in reference]}
    if not result["identical"]:
        a, b = comparable(rows), comparable(ref_rows)
        first = next((k for k in b if a.get(k) != b[k]), None)
        if first is not None:
            result["first_difference"] = {"id": first, "fields": sorted(
                f for f in b[first] if (a.get(first) or {}).get(f) != b[first][f])}
    result["ok"] = (result["rows"] == result["unique_ids"] == n and whole and result["identical"]
                    and final.returncode == 0)
    print(json.dumps(result), file=sys.stderr)
    return result


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=300)
    p.add_argument("--kills", type=int, default=10)
    p.add_argument("--model", default=None, help="default: the offline default model")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    rng = random.Random(args.seed)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    model = ["--model", args.model] if args.model else []
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        src = d / "in.jsonl"
        src.write_text("".join(json.dumps(r) + "\n" for r in make_rows(args.rows)), encoding="utf-8")
        batch = [sys.executable, "-m", "summarizer", "batch", str(src), "--no-progress", "--batch-size", "4", *model]
        results = [run_case("batch", [*batch, "-o", str(d / "out.jsonl")], [*batch, "-o", str(d / "ref.jsonl")],
                            d / "out.jsonl", d / "ref.jsonl", args.kills, rng, env, args.rows)]
        ev = [sys.executable, "-m", "eval", "--data", str(src), "--bootstrap", "0", "--batch-size", "4", *model]
        results.append(run_case("eval", [*ev, "--output-dir", str(d / "ev"), "--resume"],
                                [*ev, "--output-dir", str(d / "ev-ref")], d / "ev" / "per_article.jsonl",
                                d / "ev-ref" / "per_article.jsonl", args.kills, rng, env, args.rows))
    print(json.dumps({"bench": "fault_injection", "rows": args.rows, "kills_per_job": args.kills,
                      "ok": all(r["ok"] for r in results),
                      **{r["job"]: {k: r[k] for k in ("rows", "unique_ids", "complete_lines", "identical", "exit")}
                         for r in results}}))
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
