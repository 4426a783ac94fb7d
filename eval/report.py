"""Writing results: per-article JSON lines, metrics.json, a printed table, a markdown report
and a PNG chart of the systems with their confidence intervals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable

from summarizer.journal import replacing

from .rouge import ROUGE_TYPES

LABELS = {"rouge1": "ROUGE-1", "rouge2": "ROUGE-2", "rougeL": "ROUGE-L", "rougeLsum": "ROUGE-Lsum"}
PER_ARTICLE = "per_article.jsonl"
METRICS = "metrics.json"


# ---- files ---------------------------------------------------------------------------------
def write_json(path: Path, obj: Any) -> None:
    """Write through a temporary file so an interrupted run never leaves half a JSON file."""
    with replacing(path) as tmp:
        tmp.write_text(json.dumps(obj, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    with replacing(path) as tmp, tmp.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def read_jsonl(path: Path) -> tuple[list[dict[str, Any]], list[int]]:
    """Rows of a JSON-lines file and the numbers of lines that are not complete JSON objects
    (an interrupted write leaves at most one such line at the end)."""
    rows: list[dict[str, Any]] = []
    bad: list[int] = []
    with path.open(encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                bad.append(n)
                continue
            if isinstance(row, dict):
                rows.append(row)
            else:
                bad.append(n)
    return rows, bad


# ---- text ----------------------------------------------------------------------------------
def _ci(m: dict[str, Any]) -> str:
    lo, hi = m["ci95"]
    return f"{m['f1']:.2f} [{lo:.2f}, {hi:.2f}]"


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{v:.1f}"


def _num(v) -> str:
    return "-" if v is None else f"{v:.3f}"


def format_table(systems: list[dict[str, Any]]) -> str:
    """The printed table: F1 x 100 with 95% CIs, then proxies and lengths."""
    w = max([len("system")] + [len(s["system"]) for s in systems])
    head = f"{'system':<{w}}  {'n':>5}  " + "  ".join(f"{LABELS[t]:<21}" for t in ROUGE_TYPES)
    lines = ["ROUGE F1 x 100, mean over articles [95% bootstrap CI]; Porter stemming; "
             "ROUGE-Lsum with one sentence/bullet per line", head.rstrip(), "-" * len(head.rstrip())]
    for s in systems:
        cells = "  ".join(f"{_ci(s[t]):<21}" for t in ROUGE_TYPES)
        lines.append(f"{s['system']:<{w}}  {s['n']:>5}  {cells}".rstrip())
    lines.append("")
    head2 = (f"{'system':<{w}}  {'numbers in src %':>16}  {'names in src %':>14}  {'novel 2-grams %':>15}  "
             f"{'words pred/ref':>14}  {'bullets pred/ref':>16}  {'empty pred/ref':>14}  {'support':>7}  "
             f"{'support~human':>13}")
    lines += [head2, "-" * len(head2)]
    for s in systems:
        f = s.get("faithfulness") or {}
        ln = s.get("lengths") or {}
        sup = s.get("support") or {}
        get = lambda k: (f.get(k) or {}).get("mean")  # noqa: E731
        lines.append(
            f"{s['system']:<{w}}  {_pct(get('numbers_in_source')):>16}  {_pct(get('names_in_source')):>14}  "
            f"{_pct(get('novel_2gram')):>15}  "
            f"{ln.get('prediction_words', 0):>6.1f}/{ln.get('reference_words', 0):<7.1f}  "
            f"{ln.get('prediction_bullets', 0):>7.1f}/{ln.get('reference_bullets', 0):<8.1f}  "
            f"{s['empty_predictions']:>6}/{s['empty_references']:<7}  {_num(sup.get('mean')):>7}  "
            f"{_num((sup.get('human') or {}).get('spearman')):>13}")
    return "\n".join(lines)


def markdown_report(systems: list[dict[str, Any]], chart: str | None = None) -> str:
    first = systems[0]
    data = first["data"]
    out = [f"# ROUGE evaluation: {', '.join(s['system'] for s in systems)}", "",
           f"- Data: `{data['source']}` ({data['rows']} articles, reference column `{data['reference_field']}`, "
           f"sha256 `{data['sha256'][:16]}`)",
           f"- Metric: {first['rouge_variant']}.",
           "- Plain ROUGE-L ignores line breaks and reads about 10 points below ROUGE-Lsum; "
           "compare like with like.",
           f"- Intervals: 95% percentile bootstrap over articles ({first['bootstrap']['resamples']} "
           f"resamples, seed {first['bootstrap']['seed']}).", "",
           "## ROUGE (F1 x 100)", "",
           "| system | n | " + " | ".join(LABELS[t] for t in ROUGE_TYPES) + " |",
           "| --- | ---: | " + " | ".join("---" for _ in ROUGE_TYPES) + " |"]
    for s in systems:
        out.append(f"| {s['system']} | {s['n']} | " + " | ".join(_ci(s[t]) for t in ROUGE_TYPES) + " |")
    out += ["", "Precision / recall (x 100):", "",
            "| system | " + " | ".join(LABELS[t] for t in ROUGE_TYPES) + " |",
            "| --- | " + " | ".join("---" for _ in ROUGE_TYPES) + " |"]
    for s in systems:
        out.append(f"| {s['system']} | " + " | ".join(f"{s[t]['precision']:.2f} / {s[t]['recall']:.2f}"
                                                      for t in ROUGE_TYPES) + " |")
    if chart:
        out += ["", f"![ROUGE with 95% CIs]({chart})"]
    out += ["", "## Faithfulness proxies and lengths", "",
            "Numbers and names in the prediction found in the article (higher is safer); novel n-grams: "
            "share of the prediction's n-grams not in the article (higher is more abstractive or invented).", "",
            "| system | numbers in source % | names in source % | novel 1/2/3-grams % | words pred / ref "
            "| bullets pred / ref | empty pred / ref |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for s in systems:
        f = s.get("faithfulness") or {}
        ln = s.get("lengths") or {}
        get = lambda k: (f.get(k) or {}).get("mean")  # noqa: E731
        novel = "/".join(_pct(get(f"novel_{n}gram")) for n in (1, 2, 3))
        out.append(f"| {s['system']} | {_pct(get('numbers_in_source'))} | {_pct(get('names_in_source'))} | "
                   f"{novel} | {ln.get('prediction_words', 0):.1f} / {ln.get('reference_words', 0):.1f} | "
                   f"{ln.get('prediction_bullets', 0):.1f} / {ln.get('reference_bullets', 0):.1f} | "
                   f"{s['empty_predictions']} / {s['empty_references']} |")
    out += ["", "## How each system was produced", ""]
    for s in systems:
        line = f"- **{s['system']}**: {s['source']}"
        if s.get("model"):
            line += f"; model `{s['model']}`"
        if s.get("generation"):
            line += "; settings " + ", ".join(f"{k}={v}" for k, v in s["generation"].items() if v is not None)
        out.append(line)
        out += [f"  - note: {n}" for n in s.get("notes", [])]
    return "\n".join(out) + "\n"


# ---- chart ---------------------------------------------------------------------------------
def write_chart(path: Path, systems: list[dict[str, Any]]) -> None:
    """Grouped bars: one group per ROUGE type, one bar per system, 95% CI whiskers."""
    import matplotlib

    matplotlib.use("Agg")  # files only; never needs a display
    import matplotlib.pyplot as plt

    n = len(systems)
    width = 0.8 / max(1, n)
    fig, ax = plt.subplots(figsize=(max(6.0, 2.0 + 0.55 * len(ROUGE_TYPES) * n), 4.6 + 0.25 * ((n - 1) // 4)))
    for i, s in enumerate(systems):
        xs = [k + (i - (n - 1) / 2) * width for k in range(len(ROUGE_TYPES))]
        f1 = [s[t]["f1"] for t in ROUGE_TYPES]
        err = [[s[t]["f1"] - s[t]["ci95"][0] for t in ROUGE_TYPES],
               [s[t]["ci95"][1] - s[t]["f1"] for t in ROUGE_TYPES]]
        ax.bar(xs, f1, width=width * 0.95, yerr=err, capsize=3, label=f"{s['system']} (n={s['n']})")
    ax.set_xticks(range(len(ROUGE_TYPES)), [LABELS[t] for t in ROUGE_TYPES])
    ax.set_ylabel("F1 x 100 (95% bootstrap CI)")
    ax.set_title("ROUGE (Porter stemming; Lsum: one sentence per line)")
    top = max(s[t]["ci95"][1] for s in systems for t in ROUGE_TYPES)
    ax.set_ylim(0, max(1.0, top * 1.08))
    ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=min(n, 4), frameon=False)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
