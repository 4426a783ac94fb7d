"""Producing predictions: a model through `Summarizer.summarize_many`, or a lead baseline.

Model runs are slow, so they write each article's row to per_article.jsonl as soon as it is
scored, and `--resume` keeps the rows already there and generates only the rest. run.json
records the model and settings a folder was started with; resuming with others is refused,
so one folder never mixes two configurations.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from summarizer.inputs import InputError, clean_text
from summarizer.settings import GenerationSettings

from .baselines import lead
from .data import EvalData, Example
from .report import PER_ARTICLE, read_jsonl, write_json, write_jsonl
from .scoring import score_rows

RUN_FILE = "run.json"


@dataclass
class ModelRun:
    model: str | None  # what the user asked for (None: the default model)
    settings: GenerationSettings
    device: str = "auto"
    dtype: str = "auto"
    batch_size: int = 8

    def config(self) -> dict[str, Any]:
        """What must match for `--resume` to continue a folder."""
        return {"model": self.model, "settings": self.settings.to_dict()}


def baseline_predictions(data: EvalData, name: str) -> list[str]:
    missing = [e.line for e in data.examples if not e.article]
    if len(missing) == len(data.examples):
        raise InputError(f"{name} needs article text, and no row has any")
    return [lead(e.article or "", e.reference, name) for e in data.examples]


def _load_done(out_dir: Path, data: EvalData, run: ModelRun, system: str) -> dict[str, dict[str, Any]]:
    """Rows a previous run of this folder finished (only those of articles still evaluated)."""
    path = out_dir / PER_ARTICLE
    if not path.exists():
        return {}
    run_file = out_dir / RUN_FILE
    if run_file.exists():
        started = json.loads(run_file.read_text(encoding="utf-8"))
        if started.get("config") != run.config():
            raise InputError(f"{out_dir} was started with {started.get('config')}; resume with the same "
                             f"--model and generation flags, or use another --output-dir")
    rows, bad = read_jsonl(path)
    wanted = {e.id for e in data.examples}
    done = {str(r["id"]): r for r in rows if str(r.get("id")) in wanted and r.get("system") == system}
    if bad:
        print(f"note: {len(bad)} incomplete line(s) in {path} (interrupted write); those articles are redone",
              file=sys.stderr)
    write_jsonl(path, done.values())  # drop half-written lines before appending
    return done


def _summary_extra(summary) -> dict[str, Any]:
    return {"bullets": summary.bullets, "chunks": summary.chunks, "input_tokens": summary.input_tokens,
            "output_tokens": summary.output_tokens, "seconds": summary.seconds,
            **({"generation_notes": summary.notes} if summary.notes else {})}


def model_rows(data: EvalData, out_dir: Path, run: ModelRun, system: str,
               resume: bool = False) -> tuple[list[dict[str, Any]], str]:
    """Generate, score and save each article's row as it goes; all rows in data order + model name."""
    from tqdm.auto import tqdm

    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / PER_ARTICLE
    done = _load_done(out_dir, data, run, system) if resume else {}
    if not resume and path.exists():
        path.unlink()
    pending = [e for e in data.examples if e.id not in done]
    model_name = next((r.get("model") for r in done.values() if r.get("model")), run.model or "default")
    if pending:
        from summarizer.summarize import Summarizer

        summarizer = Summarizer.from_pretrained(run.model, device=run.device, dtype=run.dtype,
                                                settings=run.settings)
        model_name = summarizer.name
        write_json(out_dir / RUN_FILE, {"system": system, "config": run.config(), "model_name": model_name,
                                        "data": data.source,
                                        "started": datetime.now(timezone.utc).isoformat(timespec="seconds")})
        with path.open("a", encoding="utf-8") as f, \
                tqdm(total=len(data.examples), initial=len(done), unit="article", desc=system,
                     file=sys.stderr, dynamic_ncols=True) as bar:
            for start in range(0, len(pending), run.batch_size):
                batch = pending[start:start + run.batch_size]
                for row in _generate_batch(summarizer, batch, run, system, model_name):
                    f.write(json.dumps(row, ensure_ascii=False) + "\n")
                    f.flush()
                    done[row["id"]] = row
                bar.update(len(batch))
    return [done[e.id] for e in data.examples], model_name


def _generate_batch(summarizer, batch: list[Example], run: ModelRun, system: str,
                    model_name: str) -> list[dict[str, Any]]:
    """Rows of one batch; an article the model cannot take gets an empty prediction and its reason."""
    usable: list[Example] = []
    refused: dict[str, str] = {}
    for e in batch:
        try:
            clean_text(e.article or "", run.settings.max_input_chars)
            usable.append(e)
        except InputError as err:
            refused[e.id] = str(err)
    summaries = summarizer.summarize_many([e.article for e in usable], run.settings,
                                          batch_size=run.batch_size) if usable else []
    by_id = {e.id: s for e, s in zip(usable, summaries)}
    preds = ["\n".join(by_id[e.id].bullets) if e.id in by_id else "" for e in batch]
    extra = [{"model": model_name, **(_summary_extra(by_id[e.id]) if e.id in by_id
                                      else {"error": refused[e.id]})} for e in batch]
    return score_rows(batch, preds, system, extra)
