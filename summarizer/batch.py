"""`summarizer batch`: summarize every article of a file, folder or dataset into a table.

Design, and why:
- Results go through a `Journal` (summarizer/journal.py): one JSONL row per input row, durable
  per batch, so a killed job loses at most the batch in flight. For JSONL output the journal is
  the output; CSV and Parquet cannot be appended to safely, so they keep a journal beside them
  (`OUTPUT.journal.jsonl`) and are rewritten from it when the job ends.
- Rows are keyed by their line (or row) in the input and checked against their id, so a rerun
  skips exactly the rows already written (rows appended to the input are picked up; a changed
  input is refused). Ids the job makes up for rows without one (`line-N`, `row-N`) never take an
  id that occurs in the input: the input's ids are read first.
- Batches are planned from all valid rows, done or not (sorted by length inside a window), and
  a resumed run only drops the batches already written: every article is generated in the same
  batch, with the same padding, as in an uninterrupted run, so the results are identical.
- A bad row (unreadable line, missing, empty or non-string text, duplicate id) becomes an
  output row with `error` starting with its line; the job goes on and exits 1 at the end unless
  --allow-failures. On out-of-memory a batch is halved and retried; an article that fails even
  alone is recorded as failed, not lost.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

from .inputs import InputError
from .journal import Journal, table_format, write_table
from .names import model_fingerprint, resolve_model
from .records import ID_FIELDS, TEXT_FIELDS, get_field, json_kind, pick_column, read_records
from .settings import GenerationSettings

if TYPE_CHECKING:
    from .pipeline import Summarizer, Summary

COLUMNS = ["id", "line", "text_sha1", "bullets", "markdown", "support", "warnings", "model", "chunks", "input_tokens",
           "output_tokens", "notes", "error"]
LIST_COLUMNS = {"bullets", "support", "warnings", "notes"}
DEFAULT_WINDOW = {"local": 10_000, "ray": 100_000}
ABORT_AFTER = 32  # this many articles failing to generate in a row means the job itself is broken
GENERATION_FAILED = "generation failed"


@dataclass
class BatchConfig:
    input: str
    output: Path
    model: str | None = None
    engine: str = "transformers"  # transformers | ct2: how generators run
    device: str = "auto"
    dtype: str = "auto"
    settings: GenerationSettings = field(default_factory=GenerationSettings)
    batch_size: int = 8
    text_field: str | None = None
    id_field: str | None = None
    overwrite: bool = False
    allow_failures: bool = False
    retry_failed: bool = False
    window: int | None = None  # valid rows sorted by length together (None: per runner)
    progress: bool = True
    threads: int | None = None  # torch CPU threads (None: torch's default, all cores)
    runner: str = "local"  # local | ray
    ray_address: str | None = None
    num_workers: int | None = None  # Ray actors (None: one per GPU, else one per CPU)
    gpus_per_worker: float | None = None  # None: 1 when the cluster has GPUs, else 0
    cpus_per_worker: float = 1.0


@dataclass
class Item:
    """A row ready for the model."""
    id: str
    line: int
    text: str
    unit: str = "line"  # "line" (JSONL/CSV) or "row" (Parquet, folders, datasets): how errors name it


@dataclass
class JobReport:
    done: int = 0  # summarized by this run
    failed: int = 0  # failed in this run (bad input or generation)
    skipped: int = 0  # already in the output
    failed_before: int = 0  # failed rows kept from earlier runs
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    output: str = ""

    @property
    def rate(self) -> float:
        return self.done / self.seconds if self.seconds > 0 else 0.0

    def describe(self) -> str:
        before = f" (+{self.failed_before} from earlier runs)" if self.failed_before else ""
        return (f"batch: {self.done} done, {self.failed} failed{before}, {self.skipped} skipped "
                f"(already in the output) in {self.seconds:.1f} s, {self.rate:.2f} articles/s -> {self.output}")


def result_row(item: Item, model: str, summary: "Summary | None" = None, error: str | None = None) -> dict:
    error = error or (summary.error if summary else None)
    ok = summary is not None and not error
    return {"id": item.id, "line": item.line, "text_sha1": text_hash(item.text),
            "bullets": list(summary.bullets) if ok else [],
            "markdown": summary.markdown if ok else "",
            "support": [s.score for s in summary.support] if ok else [],
            "warnings": [f"bullet {i}: {', '.join(s.unsupported) or 'weakly supported'}"
                         for i, s in enumerate(summary.support, 1) if s.warn] if ok else [],
            "model": model,
            "chunks": summary.chunks if ok else 0,
            "input_tokens": summary.input_tokens if ok else 0,
            "output_tokens": summary.output_tokens if ok else 0,
            "notes": list(summary.notes) if ok else [],
            "error": _where(item, error) if error else None}


def text_hash(text: str) -> str:
    """A short fingerprint of a row's text: a resume checks it, so an edited or shifted row is
    never paired with the summary of the text that stood there before."""
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _where(item: Item, error: str) -> str:
    """Every error starts with its line (or row), as the README promises."""
    prefix = f"{item.unit} {item.line}"
    return error if error.startswith(prefix + ":") else f"{prefix}: {error}"


def error_row(line: int, rid: str, error: str, unit: str = "line") -> dict:
    return result_row(Item(rid, line, "", unit), "", error=error)


# ---- input -------------------------------------------------------------------------------
def journal_path(output: Path) -> Path:
    return output if table_format(output) == "jsonl" else output.with_name(output.name + ".journal.jsonl")


def count_rows(source: str) -> int | None:
    """Rows in the input when that is cheap to know (for the progress bar's ETA)."""
    from .records import REPORT_SUFFIXES

    p = Path(source)
    try:
        if p.is_dir():
            return sum(1 for f in p.iterdir() if f.is_file() and f.suffix.lower() in REPORT_SUFFIXES)
        if p.is_file() and p.suffix.lower() in {".jsonl", ".ndjson", ".json"}:
            with p.open("rb") as f:
                return sum(1 for line in f if line.strip())
        if p.is_file() and p.suffix.lower() == ".parquet":
            import pyarrow.parquet as pq
            return pq.ParquetFile(p).metadata.num_rows
    except Exception:  # only a progress-bar nicety: never fail the job over it
        return None
    return None


def open_rows(source: str, text_field: str | None, id_field: str | None) -> Iterator[Item | dict]:
    """Items to summarize and error rows, in input order.

    The columns are picked here, eagerly, so a wrong --text-field fails before the model loads.
    """
    records = read_records(source)
    head, readable = [], 0  # the first rows, to see which columns the data has
    for rec in records:
        head.append(rec)
        readable += rec.error is None
        if readable >= 50:
            break
    if not head:
        raise InputError(f"{source} holds no rows")
    columns = list(dict.fromkeys(k for r in head if r.error is None for k in r.data))
    if columns:
        text_col = pick_column(columns, text_field, TEXT_FIELDS, "text")
        id_col = (pick_column(columns, id_field, ID_FIELDS, "id") if id_field
                  else next((c for c in ID_FIELDS if c in columns), None))
    else:  # every row is unreadable: each becomes an error row, the columns do not matter
        text_col, id_col = text_field or TEXT_FIELDS[0], id_field
    by_line = Path(source).suffix.lower() in {".jsonl", ".ndjson", ".json", ".csv", ".tsv"}
    taken = _input_ids(read_records(source), id_col) if id_col else set()
    return _rows(chain(head, records), text_col, id_col, "line" if by_line else "row", taken)


def _input_ids(records, id_col: str) -> set[str]:
    """Every id the input gives itself (a first pass over the rows, cheap next to summarizing)."""
    ids = set()
    for rec in records:
        if rec.error is None:
            try:
                value = get_field(rec.data, id_col)
            except KeyError:
                continue
            if isinstance(value, (str, int)) and not isinstance(value, bool) and value != "":
                ids.add(str(value))
    return ids


def _made_up_id(base: str, taken: set[str]) -> str:
    rid, k = base, 1
    while rid in taken:
        k += 1
        rid = f"{base}~{k}"
    taken.add(rid)
    return rid


def _rows(records, text_col: str, id_col: str | None, unit: str, taken: set[str]) -> Iterator[Item | dict]:
    first: dict[str, int] = {}  # input id -> the line that claimed it
    for rec in records:
        n = rec.line
        rid, problem = _row_id(rec, id_col)
        if rid is None:
            rid = rec.source_id or _made_up_id(f"{unit}-{n}", taken)
        if rec.error or problem:
            yield error_row(n, rid, rec.error or problem, unit)
            continue
        if rid in first:
            yield error_row(n, rid, f"duplicate id {rid!r} (first on {unit} {first[rid]})", unit)
            continue
        first[rid] = n
        try:
            text = get_field(rec.data, text_col)
        except KeyError:
            yield error_row(n, rid, f"no {text_col!r} field" + (f": {rec.short}" if rec.short else ""), unit)
            continue
        if not isinstance(text, str):
            yield error_row(n, rid, f"{text_col!r} is {json_kind(text)}, not text", unit)
            continue
        yield Item(rid, n, text, unit)


def _row_id(rec, id_col: str | None) -> tuple[str | None, str | None]:
    """The row's own id as text (None when it has none); plus a problem, if any. An unreadable row
    keeps the id it still shows (a CSV row with a field too many), so its error row names it."""
    if not id_col or (rec.error and not rec.data):
        return None, None
    try:
        value = get_field(rec.data, id_col)
    except KeyError:
        value = None
    if value is None or value == "":
        return None, None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None, None if rec.error else f"id {id_col!r} is {json_kind(value)}, not text or a whole number"
    try:
        str(value).encode("utf-8")
    except UnicodeEncodeError:  # '"\ud800"' in JSON: no output file can hold it
        return None, f"id {id_col!r} is not valid Unicode (a lone surrogate)"
    return str(value), None


def windows(rows: Iterable[Item | dict], size: int) -> Iterator[tuple[list[dict], list[Item]]]:
    """(error rows, items) for each window of `size` items."""
    errors: list[dict] = []
    items: list[Item] = []
    for r in rows:
        if isinstance(r, Item):
            items.append(r)
            if len(items) >= size:
                yield errors, items
                errors, items = [], []
        else:
            errors.append(r)
    if errors or items:
        yield errors, items


def plan_batches(items: list[Item], batch_size: int) -> list[list[Item]]:
    """Longest first, so each batch pads its articles to similar lengths; ties by line."""
    order = sorted(items, key=lambda it: (-len(it.text), it.line))
    return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]


# ---- generation --------------------------------------------------------------------------
def summarize_batch(summarizer: "Summarizer", items: list[Item], settings: GenerationSettings) -> list[dict]:
    """Result rows for one batch. A batch that fails (out of memory above all) is halved and each
    half retried; an article that fails alone is recorded with the error. Texts that cannot be
    summarized come back from the pipeline as per-row errors and never fail the batch."""
    try:
        summaries = summarizer.summarize_many([it.text for it in items], settings, batch_size=len(items))
        return [result_row(it, summarizer.name, s) for it, s in zip(items, summaries)]
    except Exception as e:
        from .devices import is_out_of_memory

        if is_out_of_memory(e):
            _free_gpu_memory()
        if len(items) > 1:
            half = (len(items) + 1) // 2
            return (summarize_batch(summarizer, items[:half], settings)
                    + summarize_batch(summarizer, items[half:], settings))
        if is_out_of_memory(e):
            msg = f"{GENERATION_FAILED}: out of memory even alone; lower --max-input-tokens or use a larger GPU"
        else:
            msg = f"{GENERATION_FAILED}: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
        return [result_row(items[0], summarizer.name, error=msg)]


def summarize_rows(summarizer: "Summarizer", rows: list[dict], settings: GenerationSettings) -> list[dict]:
    """`summarize_batch` for items sent as plain dicts (to Ray actors)."""
    return summarize_batch(summarizer, [Item(**d) for d in rows], settings)


def _free_gpu_memory() -> None:
    import gc

    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


Engine = Callable[[list[list[Item]]], Iterator[list[dict]]]


def local_engine(summarizer: "Summarizer", settings: GenerationSettings) -> Engine:
    def run(batches: list[list[Item]]) -> Iterator[list[dict]]:
        for b in batches:
            yield summarize_batch(summarizer, b, settings)
    return run


# ---- the job -----------------------------------------------------------------------------
def job_fingerprint(cfg: BatchConfig) -> dict:
    """What must match for a rerun to resume an output: the input, its columns, the model, how it
    runs (engine, dtype: int8 writes other words than float32) and the settings. (Rows are checked
    one by one against their ids as the job goes.) The device may change: a job started on a CPU
    can finish on a GPU."""
    src = Path(cfg.input)
    return {"kind": "key-developments batch",
            "input": str(src.resolve()) if src.exists() else cfg.input,
            "text_field": cfg.text_field, "id_field": cfg.id_field,
            "model": cfg.model, "weights": model_fingerprint(cfg.model), "engine": cfg.engine, "dtype": cfg.dtype,
            "settings": cfg.settings.to_dict()}


def check_config(cfg: BatchConfig) -> None:
    for name, value, low in [("batch-size", cfg.batch_size, 1), ("threads", cfg.threads, 1),
                             ("window", cfg.window, 1), ("num-workers", cfg.num_workers, 1)]:
        if value is not None and value < low:
            raise InputError(f"--{name} must be at least {low}, got {value}")
    if cfg.runner not in DEFAULT_WINDOW:
        raise InputError(f"unknown runner {cfg.runner!r}; use local or ray")
    output, src = Path(cfg.output), Path(cfg.input)
    table_format(output)
    if output.is_dir():
        raise InputError(f"output {output} is a folder; name a .jsonl, .csv or .parquet file")
    for p in {output, journal_path(output)}:
        if src.exists() and p.exists() and (os.path.samefile(src, p) or src.resolve() == p.resolve()):
            raise InputError("the output would overwrite the input; pick another output file")


def run_job(cfg: BatchConfig, summarizer: "Summarizer | None" = None) -> JobReport:
    """Summarize every row of cfg.input into cfg.output, resuming what is already there."""
    check_config(cfg)
    output = Path(cfg.output)
    rows = open_rows(cfg.input, cfg.text_field, cfg.id_field)
    if output.exists() and journal_path(output) != output and not journal_path(output).exists() and not cfg.overwrite:
        raise InputError(f"{output} already exists and was not written by this tool (no "
                         f"{journal_path(output).name} beside it); pick another output, or pass --overwrite")
    if cfg.overwrite and summarizer is None and cfg.runner == "local":
        summarizer = _load(cfg)  # before the journal starts over: a model that does not load costs no results
    elif cfg.overwrite and cfg.runner == "ray":  # the actors load the model; here Ray and its path must be there
        from .batch_ray import require_ray
        require_ray()
        path, _ = resolve_model(cfg.model)
        if path.startswith((".", "/")) and not Path(path).exists():
            raise InputError(f"model path not found: {path}")
    journal = Journal(journal_path(output), job_fingerprint(cfg), key="line", overwrite=cfg.overwrite)
    report = JobReport(output=str(output))
    try:
        if cfg.retry_failed:
            journal.drop(lambda r: not r.get("error"))
        if journal.done:
            print(f"resuming: {len(journal.done)} row(s) already in {journal.path}", file=sys.stderr)
        failed_before = sum(1 for r in journal.done.values() if r.get("error"))
        _process(cfg, rows, journal, report, summarizer)
    finally:
        journal.close()
    report.failed_before = failed_before
    if table_format(output) != "jsonl":
        write_table(output, sorted(journal.done.values(), key=lambda r: r["line"]), COLUMNS, LIST_COLUMNS)
    return report


def _engine(cfg: BatchConfig, summarizer: "Summarizer | None") -> tuple[Engine, Callable[[], None]]:
    if cfg.runner == "ray":
        from .batch_ray import ray_engine
        return ray_engine(cfg, summarize_rows)
    if cfg.threads:
        import torch
        torch.set_num_threads(cfg.threads)
    summarizer = summarizer or _load(cfg)
    print(f"batch: {summarizer.backend.describe()}, batch size {cfg.batch_size}", file=sys.stderr)
    return local_engine(summarizer, cfg.settings), lambda: None


def _load(cfg: BatchConfig) -> "Summarizer":
    from .pipeline import Summarizer
    return Summarizer.from_pretrained(cfg.model, device=cfg.device, dtype=cfg.dtype, settings=cfg.settings,
                                      engine=cfg.engine)


def _same_ids(rows: Iterable[Item | dict], journal: Journal) -> Iterator[Item | dict]:
    """Rows as they come, after checking that a row already written has the same id and text now:
    a resume must never pair one row's result with another row (made-up ids like "line-3" match
    whatever stands on line 3, so the text decides). Rows for lines the input no longer has are
    reported at the end: a shortened input must not pass for a finished job."""
    seen: set[int] = set()
    for r in rows:
        line, rid = (r.line, r.id) if isinstance(r, Item) else (r["line"], r["id"])
        seen.add(line)
        before = journal.done.get(line)
        if before is None:
            yield r
            continue
        if before["id"] != rid:
            raise InputError(f"{journal.path} holds id {before['id']!r} for line {line}, but the input now has "
                             f"{rid!r} there: the input changed; pass --overwrite to start over")
        if isinstance(r, Item) and before.get("text_sha1") and before["text_sha1"] != text_hash(r.text):
            raise InputError(f"{journal.path} holds the summary of another text for line {line} (id {rid!r}): "
                             "the input changed; pass --overwrite to start over")
        yield r
    gone = sorted(line for line in journal.done if line not in seen)
    if gone:
        raise InputError(f"{journal.path} holds rows for {len(gone)} line(s) the input no longer has (from line "
                         f"{gone[0]}): the input changed; pass --overwrite to start over")


def _process(cfg: BatchConfig, rows, journal: Journal, report: JobReport, summarizer: "Summarizer | None") -> None:
    from tqdm.auto import tqdm

    engine, finish = _engine(cfg, summarizer)
    bar = tqdm(total=count_rows(cfg.input), unit="article", desc="batch", disable=not cfg.progress,
               file=sys.stderr, dynamic_ncols=True)
    t0 = time.perf_counter()
    streak = 0
    models = {r["model"] for r in journal.done.values() if r.get("model")}
    try:
        for errors, items in windows(_same_ids(rows, journal), cfg.window or DEFAULT_WINDOW[cfg.runner]):
            new_errors = [r for r in errors if r["line"] not in journal.done]
            journal.write(new_errors)
            report.failed += len(new_errors)
            report.errors += [r["error"] for r in new_errors]
            todo = [left for b in plan_batches(items, cfg.batch_size)
                    if (left := [it for it in b if it.line not in journal.done])]
            skipped = len(errors) - len(new_errors) + len(items) - sum(map(len, todo))
            report.skipped += skipped
            if bar.total is not None:
                bar.total -= skipped
            bar.update(len(new_errors))
            for out in engine(todo):
                new = {r["model"] for r in out if r["model"]} - models
                if models and new:
                    print(f"warning: {journal.path} holds rows from {', '.join(sorted(models))}; "
                          f"new rows come from {', '.join(sorted(new))}", file=sys.stderr)
                models |= new
                journal.write(out)
                for r in out:
                    if r["error"]:
                        report.failed += 1
                        report.errors.append(r["error"])
                        streak += GENERATION_FAILED in r["error"]
                    else:
                        report.done += 1
                        streak = 0
                bar.update(len(out))
                if streak >= ABORT_AFTER:
                    raise RuntimeError(f"stopping: the last {streak} articles all failed to generate "
                                       f"({out[-1]['error']})")
    finally:
        report.seconds = time.perf_counter() - t0
        bar.close()
        finish()
