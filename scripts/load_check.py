"""Load check for the web UI: N concurrent `/summarize` calls against a live `app.py`.

    python scripts/load_check.py                 # 20 calls, the default model, a fresh server
    python scripts/load_check.py --calls 20 --concurrency 2 --out load.json

Starts `python app.py` on a free port (its own process, so its memory is its own),
fires N gradio_client calls at once (one client per caller, like N browser tabs,
cycling through the example reports; the clock starts when all are connected), and reports: how many succeeded, latency
p50/p95/max, wall time, and the server's peak resident memory (VmHWM from /proc,
plus the peak seen by sampling). The baseline is the same reports summarized one
after another by the library in this process, without a server: the ratio
"server wall time / sequential library time" is the cost (or gain) of serving.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def peak_rss_mib(pid: int) -> float | None:
    """The kernel's high-water mark of the process's resident memory."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


class MemorySampler(threading.Thread):
    """Samples RSS of the server and its children every `every` seconds."""

    def __init__(self, pid: int, every: float = 0.2):
        super().__init__(daemon=True)
        import psutil

        self.proc, self.every, self.peak, self._done = psutil.Process(pid), every, 0, threading.Event()

    def rss(self) -> int:
        procs = [self.proc, *self.proc.children(recursive=True)]
        total = 0
        for p in procs:
            try:
                total += p.memory_info().rss
            except Exception:
                pass
        return total

    def run(self) -> None:
        while not self._done.is_set():
            try:
                self.peak = max(self.peak, self.rss())
            except Exception:
                return
            time.sleep(self.every)

    def stop(self) -> None:
        self._done.set()
        self.join()


def start_server(args, log_path: Path) -> tuple[subprocess.Popen, str]:
    import httpx

    port = free_port()
    cmd = [sys.executable, str(ROOT / "app.py"), "--port", str(port), "--concurrency", str(args.concurrency)]
    if args.model:
        cmd += ["--model", args.model]
    env = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1")
    log = open(log_path, "w")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + args.start_timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"app.py exited with {proc.returncode}; see {log_path}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.terminate()
    sys.exit(f"app.py did not answer within {args.start_timeout} s; see {log_path}")


def one_call(url: str, text: str, timeout: float, start: threading.Barrier | None = None) -> tuple[bool, float, str]:
    """One caller: connect, wait until every caller is connected, then time the call alone."""
    from gradio_client import Client

    try:
        # No read timeout: on a busy machine a heartbeat can arrive later than the default 20 s,
        # and a dropped heartbeat makes the server cancel the session's queued calls.
        client = Client(url, verbose=False, httpx_kwargs={"timeout": None})
    except Exception as e:
        if start:
            start.abort()
        return False, 0.0, f"connect failed: {type(e).__name__}: {e}"
    if start:
        start.wait()
    t0 = time.perf_counter()
    try:
        md, *_ = client.submit(text, api_name="/summarize").result(timeout=timeout)
        ok = md.startswith("## Key Developments")
        return ok, time.perf_counter() - t0, "" if ok else f"unexpected result: {md[:80]!r}"
    except Exception as e:  # a failed call is a result here, not a crash
        return False, time.perf_counter() - t0, f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"


def baseline(model: str | None, texts: list[str]) -> list[float]:
    """Seconds per report, summarized one after another by the library in this process."""
    from summarizer import Summarizer

    summ = Summarizer.from_pretrained(model)
    summ.summarize(texts[0])  # warm-up, like the server's first call
    times = []
    for t in texts:
        t0 = time.perf_counter()
        summ.summarize(t)
        times.append(time.perf_counter() - t0)
    return times


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--calls", type=int, default=20, help="concurrent API calls (default 20)")
    p.add_argument("--model", default=None, help="model for the server (default: the offline default model)")
    p.add_argument("--concurrency", type=int, default=1, help="the server's --concurrency (default 1)")
    p.add_argument("--baseline-calls", type=int, default=3,
                   help="reports for the sequential library baseline (0 to skip; default 3)")
    p.add_argument("--timeout", type=float, default=3600, help="seconds one call may take (default 3600)")
    p.add_argument("--start-timeout", type=float, default=300)
    p.add_argument("--out", type=Path, default=None, help="also write the figures as JSON here")
    p.add_argument("--log", type=Path, default=Path("/tmp/key-developments-load-check-server.log"))
    args = p.parse_args(argv)

    reports = [f.read_text(encoding="utf-8") for f in sorted((ROOT / "examples").glob("*.*"))]
    texts = [reports[i % len(reports)] for i in range(args.calls)]
    load_before = os.getloadavg()

    proc, url = start_server(args, args.log)
    try:
        idle = MemorySampler(proc.pid).rss()
        # One call first so the model is loaded and warm, as on a server that has been up a while.
        ok, warm, err = one_call(url, reports[0], args.timeout)
        if not ok:
            sys.exit(f"warm-up call failed: {err}")
        sampler = MemorySampler(proc.pid)
        sampler.start()
        start = threading.Barrier(args.calls + 1)
        with ThreadPoolExecutor(max_workers=args.calls) as pool:
            futures = [pool.submit(one_call, url, t, args.timeout, start) for t in texts]
            start.wait()  # every caller is connected: the clock starts now
            t0 = time.perf_counter()
            results = [f.result() for f in futures]
        wall = time.perf_counter() - t0
        sampler.stop()
        hwm = peak_rss_mib(proc.pid)
        exit_code = proc.poll()  # None: the server was still up after the last call
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()

    lat = [s for ok, s, _ in results if ok]
    errors = [f"after {s:.0f} s: {e}" for ok, s, e in results if not ok]
    figures = {
        "calls": args.calls, "succeeded": len(lat), "failed": len(errors), "errors": errors[:5],
        "server_exit_code_during_run": exit_code, "server_concurrency": args.concurrency, "model": args.model or "default",
        "latency_s": {"p50": round(statistics.median(lat), 2) if lat else None,
                      "p95": round(percentile(lat, 95), 2) if lat else None,
                      "max": round(max(lat), 2) if lat else None,
                      "min": round(min(lat), 2) if lat else None},
        "wall_s": round(wall, 2), "per_report_s": round(wall / args.calls, 3),
        "warm_up_call_s": round(warm, 2),
        "server_rss_idle_mib": round(idle / 2**20, 1),
        "server_rss_peak_sampled_mib": round(sampler.peak / 2**20, 1),
        "server_rss_peak_vmhwm_mib": round(hwm, 1) if hwm else None,
        "loadavg_before": [round(x, 2) for x in load_before], "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
    }
    if args.baseline_calls > 0:
        base = baseline(args.model, [reports[i % len(reports)] for i in range(args.baseline_calls)])
        per = statistics.mean(base)
        figures["baseline_sequential_library_s_per_report"] = round(per, 4)
        figures["ratio_server_per_report_vs_library"] = round((wall / args.calls) / per, 2)

    print(json.dumps(figures, indent=2))
    if args.out:
        args.out.write_text(json.dumps(figures, indent=2) + "\n")
    if errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
