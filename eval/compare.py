"""`--compare DIR_A DIR_B`: is A better than B on the same articles, beyond chance?

Reads both per_article.jsonl files, pairs articles by id, and runs a paired bootstrap on the
per-article F1 of each ROUGE type: mean difference A - B, its 95% CI and a two-sided p-value.
Both runs must cover the same articles against the same references; otherwise the difference
would mix systems with data, so that is an error, not a warning.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from summarizer.inputs import InputError

from .report import LABELS, PER_ARTICLE, read_jsonl
from .rouge import ROUGE_TYPES
from .stats import paired_bootstrap


def _run_rows(folder: str) -> tuple[str, dict[str, dict[str, Any]]]:
    d = Path(folder)
    path = d / PER_ARTICLE if d.is_dir() else d
    if not path.exists():
        inner = sorted(p.parent.name for p in d.glob(f"*/{PER_ARTICLE}")) if d.is_dir() else []
        hint = f" (it holds runs of several systems: pass one of {', '.join(str(d / n) for n in inner)})" \
            if inner else "; pass the --output-dir of an evaluation run"
        raise InputError(f"{folder} has no {PER_ARTICLE}{hint}")
    rows, bad = read_jsonl(path)
    if bad:
        raise InputError(f"{path}: line(s) {', '.join(map(str, bad[:5]))} are not complete JSON "
                         "(an interrupted run? finish it with --resume)")
    by_id: dict[str, dict[str, Any]] = {}
    for n, r in enumerate(rows, 1):
        if "id" not in r or "scores" not in r:
            raise InputError(f"{path}: row {n} has no id or scores; is this a per_article.jsonl of this tool?")
        by_id[str(r["id"])] = r
    name = next((r.get("system") for r in rows if r.get("system")), None) or d.name
    return name, by_id


def compare_runs(dir_a: str, dir_b: str, bootstrap: int = 1000, seed: int = 0) -> dict[str, Any]:
    name_a, a = _run_rows(dir_a)
    name_b, b = _run_rows(dir_b)
    only_a = [k for k in a if k not in b]
    only_b = [k for k in b if k not in a]
    if only_a or only_b:
        raise InputError(f"the runs cover different articles: {len(only_a)} id(s) only in {dir_a} "
                         f"({', '.join(map(repr, only_a[:3]))}), {len(only_b)} only in {dir_b} "
                         f"({', '.join(map(repr, only_b[:3]))}); evaluate both on the same data")
    ids = list(a)
    differ = [k for k in ids if a[k].get("reference") != b[k].get("reference")]
    if differ:
        raise InputError(f"{len(differ)} article(s) have different references in the two runs "
                         f"(e.g. id {differ[0]!r}); compare runs scored against the same references")
    result: dict[str, Any] = {"a": {"dir": str(dir_a), "system": name_a}, "b": {"dir": str(dir_b), "system": name_b},
                              "n": len(ids), "bootstrap": {"resamples": bootstrap, "seed": seed}}
    for t in ROUGE_TYPES:
        result[t] = paired_bootstrap([a[k]["scores"][t]["f1"] for k in ids],
                                     [b[k]["scores"][t]["f1"] for k in ids], n_resamples=bootstrap, seed=seed)
    return result


def format_comparison(c: dict[str, Any]) -> str:
    a, b = c["a"]["system"], c["b"]["system"]
    lines = [f"A = {a} ({c['a']['dir']}), B = {b} ({c['b']['dir']}); {c['n']} paired articles, "
             f"F1 x 100, paired bootstrap ({c['bootstrap']['resamples']} resamples)",
             f"{'metric':<11} {'A':>7} {'B':>7} {'A - B':>7}  {'95% CI':<17} {'p':>6}"]
    for t in ROUGE_TYPES:
        r = c[t]
        lo, hi = r["ci95"]
        lines.append(f"{LABELS[t]:<11} {r['mean_a']:>7.2f} {r['mean_b']:>7.2f} {r['diff']:>+7.2f}  "
                     f"[{lo:+.2f}, {hi:+.2f}]{'':<1} {r['p_value']:>6.3f}")
    return "\n".join(lines)

