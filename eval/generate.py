"""Producing predictions: a model through `Summarizer.summarize_many`, or a lead baseline.

Model runs are slow, so they write each article's row to per_article.jsonl as soon as it is
scored (through `summarizer.journal.Journal`, like batch jobs), and `--resume` keeps the rows
already there and generates only the rest. The journal's sidecar records the model and
settings a folder was started with; resuming with others is refused, so one folder never
mixes two configurations. run.json says what the folder holds, for people.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from summarizer.batch import text_hash
from summarizer.inputs import InputError
from summarizer.settings import GenerationSettings

from .baselines import lead
from .data import EvalData, Example
from .report import PER_ARTICLE, write_json
from .scoring import score_rows

RUN_FILE = "run.json"


@dataclass
class ModelRun:
    model: str | None  # what the user asked for (None: the default model)
    settings: GenerationSettings
    device: str = "auto"
    dtype: str = "auto"
    engine: str = "transformers"
    batch_size: int = 8

    def config(self) -> dict[str, Any]:
        """What must match for `--resume` to continue a folder."""
        from summarizer.names import model_fingerprint

        return {"model": self.model, "weights": model_fingerprint(self.model), "engine": self.engine,
                "dtype": self.dtype, "settings": self.settings.to_dict()}


def baseline_predictions(data: EvalData, name: str) -> list[str]:
    missing = [e.line for e in data.examples if not e.article]
    if len(missing) == len(data.examples):
        raise InputError(f"{name} needs article text, and no row has any")
    return [lead(e.article or "", e.reference, name) for e in data.examples]


def _summary_extra(summary) -> dict[str, Any]:
    if summary.error:
        return {"error": summary.error}
    return {"bullets": summary.bullets, "chunks": summary.chunks, "input_tokens": summary.input_tokens,
            "output_tokens": summary.output_tokens, "seconds": summary.seconds,
            **({"generation_notes": summary.notes} if summary.notes else {})}


def model_rows(data: EvalData, out_dir: Path, run: ModelRun, system: str,
               resume: bool = False) -> tuple[list[dict[str, Any]], str]:
    """Generate, score and save each article's row as it goes; all rows in data order + model name.

    Rows go through the same resumable journal as `summarizer batch`: `--resume` continues only
    a folder this tool started with the same model and settings."""
    from tqdm.auto import tqdm

    from summarizer.journal import Journal
    from summarizer.pipeline import Summarizer

    def load() -> Summarizer:
        return Summarizer.from_pretrained(run.model, device=run.device, dtype=run.dtype, settings=run.settings,
                                          engine=run.engine)

    # A fresh run replaces earlier results only once it has its first batch of new ones: a model
    # that does not load, or fails or is stopped on the first batch, costs nothing already saved
    # and leaves no empty files behind. A resumed run never truncates, so it opens the journal first.
    path, header = out_dir / PER_ARTICLE, {"kind": "key-developments eval", "system": system, **run.config()}
    resume = resume and path.exists()
    journal = Journal(path, header, key="id") if resume else None
    summarizer = None
    try:
        if journal:
            _check_same_articles(journal.done, data, path)
        done = {e.id: journal.done[e.id] for e in data.examples if e.id in journal.done} if journal else {}
        pending = [e for e in data.examples if e.id not in done]
        model_name = next((r.get("model") for r in done.values() if r.get("model")), run.model or "default")
        if pending:
            summarizer = load()
            model_name = summarizer.name
            with tqdm(total=len(data.examples), initial=len(done), unit="article", desc=system,
                      file=sys.stderr, dynamic_ncols=True) as bar:
                for start in range(0, len(pending), run.batch_size):
                    batch = pending[start:start + run.batch_size]
                    rows = _generate_batch(summarizer, batch, run, system, model_name)
                    if journal is None:
                        out_dir.mkdir(parents=True, exist_ok=True)
                        journal = Journal(path, header, key="id", overwrite=True)
                        write_json(out_dir / RUN_FILE, {
                            "system": system, "config": run.config(), "model_name": model_name, "data": data.source,
                            "started": datetime.now(timezone.utc).isoformat(timespec="seconds")})
                    journal.write(rows)
                    done.update((r["id"], r) for r in rows)
                    bar.update(len(batch))
    finally:
        if journal is not None:
            journal.close()
    return [done[e.id] for e in data.examples], model_name


def _check_same_articles(done: dict[str, dict], data: EvalData, path: Path) -> None:
    """A resumed run may grow (a larger --limit) but never takes rows of other articles or
    references for this data's, nor drops finished rows the data no longer has."""
    by_id = {e.id: e for e in data.examples}
    other = [i for i in done if i not in by_id]
    changed = [i for i, r in done.items() if i in by_id and (r.get("reference") != by_id[i].reference or (
        "text_sha1" in r and r["text_sha1"] != text_hash(by_id[i].article or "")))]
    if other or changed:
        what = (f"{len(changed)} row(s) whose article or reference differs (ids {_ids(changed)})" if changed
                else f"{len(other)} row(s) of articles not in this data (ids {_ids(other)})")
        raise InputError(f"{path} holds {what}; rerun with the same data to resume, or pass --overwrite "
                         "to start over")


def _ids(ids: list[str], n: int = 3) -> str:
    return ", ".join(repr(i) for i in ids[:n]) + (f" and {len(ids) - n} more" if len(ids) > n else "")


def _generate_batch(summarizer, batch: list[Example], run: ModelRun, system: str,
                    model_name: str) -> list[dict[str, Any]]:
    """Rows of one batch; an article the model cannot take gets an empty prediction and its reason."""
    summaries = summarizer.summarize_many([e.article or "" for e in batch], run.settings, batch_size=run.batch_size)
    preds = ["\n".join(s.bullets) for s in summaries]
    extra = [{"model": model_name, "text_sha1": text_hash(e.article or ""), **_summary_extra(s)}
             for e, s in zip(batch, summaries)]
    return score_rows(batch, preds, system, extra)
