"""`summarizer batch`: summarize every article of a file, folder or dataset into a table.

    python -m summarizer batch articles.jsonl -o summaries.jsonl --batch-size 16

Design, and why:
- Results go to a JSONL journal, one row per article, written and flushed (fsync) once per
  batch: a killed job loses at most the batch in flight. For JSONL output the journal *is*
  the output; CSV and Parquet cannot be appended to safely, so they get a journal beside
  them (`OUTPUT.partial.jsonl`) that becomes the final file when the job ends.
- Rerunning with the same OUTPUT resumes: ids already in it are skipped, so no article is
  summarized or written twice. A torn last line (a kill in the middle of a write) is cut off.
- Batches are planned from *all* valid rows, done or not (sorted by length inside a window
  of rows), and a resumed run only drops the batches already written. So every article is
  generated in the same batch, with the same padding, as in an uninterrupted run, and a
  kill-and-resume job writes exactly the results an uninterrupted one would.
- A bad row (unreadable line, missing, empty or non-string text, duplicate id) becomes an
  output row with `error` and its `line`; the job goes on and exits 1 at the end unless
  --allow-failures. On CUDA out-of-memory a batch is halved and retried; an article that
  fails even alone is recorded as failed, not lost.
- `--engine ray` sends the same planned batches through Ray Data (`map_batches` on an actor
  pool, one Summarizer per actor, GPUs per actor when the cluster has them); the driver
  still reads, plans and writes, so resume and error rows work the same way.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

from .cli import EXIT_FAIL, EXIT_OK, add_generation_args, settings_from_args
from .inputs import InputError, clean_text
from .settings import GenerationSettings

if TYPE_CHECKING:
    from .summarize import Summarizer

TEXT_FIELDS = ["article", "text", "document", "content", "body", "report", "story"]
ID_FIELDS = ["id", "uid", "guid", "doc_id", "article_id", "key"]
COLUMNS = ["id", "line", "bullets", "markdown", "model", "chunks", "input_tokens",
           "output_tokens", "notes", "error"]
DEFAULT_WINDOW = {"local": 10_000, "ray": 100_000}
ABORT_AFTER = 32  # this many articles failing to generate in a row means the job itself is broken
GENERATION_FAILED = "generation failed"
MAX_ERRORS_SHOWN = 10


@dataclass
class BatchConfig:
    input: str
    output: Path
    model: str | None = None
    device: str = "auto"
    dtype: str = "auto"
    settings: GenerationSettings = field(default_factory=GenerationSettings)
    batch_size: int = 8
    text_field: str | None = None
    id_field: str | None = None
    overwrite: bool = False
    allow_failures: bool = False
    retry_failed: bool = False
    window: int | None = None  # valid rows sorted by length together (None: per engine)
    progress: bool = True
    threads: int | None = None  # torch CPU threads (None: torch's default, all cores)
    engine: str = "local"  # local | ray
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


# ---- output ------------------------------------------------------------------------------
def output_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in {".jsonl", ".ndjson", ".json"}:
        return "jsonl"
    if suffix in {".csv", ".parquet"}:
        return suffix[1:]
    raise InputError(f"output {path.name}: use a .jsonl, .csv or .parquet file name")


def journal_path(output: Path) -> Path:
    return output if output_format(output) == "jsonl" else output.with_name(output.name + ".partial.jsonl")


class Journal:
    """Append-only JSONL of result rows; knows which ids are already written."""

    def __init__(self, path: Path):
        self.path = path
        self.ids: set[str] = set()
        self.failed_ids: set[str] = set()
        self.models: set[str] = set()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._f = path.open("a", encoding="utf-8")
        self._lock()  # before any repair: never cut a line another job is writing
        for row in self._load_and_repair():
            self._remember(row)

    def _load_and_repair(self) -> list[dict]:
        """Rows already written; a torn last line from a killed write is cut off."""
        data = self.path.read_bytes()
        good = data.rfind(b"\n") + 1  # everything after the last newline is a torn write
        rows = []
        for n, raw in enumerate(data[:good].splitlines(), 1):
            if not raw.strip():
                continue
            try:
                row = json.loads(raw)
            except json.JSONDecodeError:
                row = None
            if not isinstance(row, dict) or "id" not in row:
                raise InputError(f"{self.path} line {n} is not a result row; pick another output "
                                 "or pass --overwrite to start over")
            rows.append(row)
        if good < len(data):
            with self.path.open("r+b") as f:
                f.truncate(good)
        return rows

    def _lock(self) -> None:
        try:
            import fcntl
        except ImportError:  # Windows: no advisory locks; one job per output is on the user
            return
        try:
            fcntl.flock(self._f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._f.close()
            raise InputError(f"another batch job is writing {self.path}") from None

    def _remember(self, row: dict) -> None:
        self.ids.add(row["id"])
        if row.get("error"):
            self.failed_ids.add(row["id"])
        if row.get("model"):
            self.models.add(row["model"])

    def write(self, rows: list[dict]) -> None:
        """Append rows and make them durable before going on."""
        if not rows:
            return
        self._f.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
        self._f.flush()
        os.fsync(self._f.fileno())
        for row in rows:
            self._remember(row)

    def rows(self) -> list[dict]:
        self._f.flush()
        with self.path.open(encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]

    def close(self) -> None:
        self._f.close()


def _rewrite_jsonl(path: Path, rows: list[dict]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def read_table(path: Path) -> list[dict]:
    """Result rows of a finished JSONL/CSV/Parquet output (used to resume into it)."""
    fmt = output_format(path)
    if fmt == "jsonl":
        with path.open(encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]
    if fmt == "parquet":
        import pyarrow.parquet as pq
        return pq.read_table(path).to_pylist()
    import csv
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        for k in ("bullets", "notes"):
            r[k] = json.loads(r[k]) if r.get(k) else []
        for k in ("line", "chunks", "input_tokens", "output_tokens"):
            r[k] = int(r[k]) if r.get(k) else 0
        r["error"] = r.get("error") or None
    return rows


def write_table(path: Path, rows: list[dict]) -> None:
    """Write the final CSV/Parquet atomically (a kill leaves the old file or the new one)."""
    rows = sorted(rows, key=lambda r: (r["line"], r["id"]))
    tmp = path.with_name(path.name + ".tmp")
    if output_format(path) == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq
        schema = pa.schema([("id", pa.string()), ("line", pa.int64()), ("bullets", pa.list_(pa.string())),
                            ("markdown", pa.string()), ("model", pa.string()), ("chunks", pa.int64()),
                            ("input_tokens", pa.int64()), ("output_tokens", pa.int64()),
                            ("notes", pa.list_(pa.string())), ("error", pa.string())])
        pq.write_table(pa.Table.from_pylist([{k: r.get(k) for k in COLUMNS} for r in rows], schema), tmp)
    else:
        import csv
        with tmp.open("w", encoding="utf-8", newline="") as f:
            w = csv.DictWriter(f, fieldnames=COLUMNS, extrasaction="ignore")
            w.writeheader()
            for r in rows:  # lists as JSON text, so the file reads back exactly
                w.writerow({**r, "bullets": json.dumps(r["bullets"], ensure_ascii=False),
                            "notes": json.dumps(r["notes"], ensure_ascii=False), "error": r["error"] or ""})
    os.replace(tmp, path)


def result_row(item: Item, model: str, summary=None, error: str | None = None) -> dict:
    return {"id": item.id, "line": item.line,
            "bullets": list(summary.bullets) if summary else [],
            "markdown": summary.markdown if summary else "",
            "model": model,
            "chunks": summary.chunks if summary else 0,
            "input_tokens": summary.input_tokens if summary else 0,
            "output_tokens": summary.output_tokens if summary else 0,
            "notes": list(summary.notes) if summary else [],
            "error": error}


# ---- input -------------------------------------------------------------------------------
def count_rows(source: str) -> int | None:
    """Rows in the input when that is cheap to know (for the progress bar's ETA)."""
    from .records import REPORT_SUFFIXES

    p = Path(source)
    try:
        if p.is_dir():
            return sum(1 for f in p.iterdir() if f.is_file() and f.suffix.lower() in REPORT_SUFFIXES)
        if p.suffix.lower() in {".jsonl", ".ndjson", ".json"}:
            with p.open("rb") as f:
                return sum(1 for line in f if line.strip())
        if p.suffix.lower() == ".parquet":
            import pyarrow.parquet as pq
            return pq.ParquetFile(p).metadata.num_rows
    except Exception:  # only a progress-bar nicety: never fail the job over it
        return None
    return None


def open_rows(source: str, text_field: str | None, id_field: str | None,
              max_chars: int) -> Iterator[Item | dict]:
    """Items to summarize and error rows, in input order.

    The columns are picked here, eagerly, so a wrong --text-field fails before the model loads.
    Ids are claimed in input order: a later row with a taken id is recorded as a duplicate
    under `ID@line-N` (`ID@row-N` for Parquet and datasets), which keeps ids unique.
    """
    from .records import pick_column, read_records

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
    return _rows(chain(head, records), text_col, id_col, max_chars, "line" if by_line else "row")


def _rows(records, text_col, id_col, max_chars, unit) -> Iterator[Item | dict]:
    from .records import get_field

    first: dict[str, int] = {}  # id -> the line that claimed it
    for rec in records:
        n, where = rec.line, f"{unit} {rec.line}"
        rid, problem = _row_id(rec, id_col, f"{unit}-{n}", where)
        if rid in first:
            yield _error_row(f"{rid}@{unit}-{n}", n,
                             f"{where}: duplicate id {rid!r} (first on {unit} {first[rid]})")
            continue
        first[rid] = n
        if rec.error or problem:
            yield _error_row(rid, n, rec.error or problem)
            continue
        try:
            text = get_field(rec.data, text_col)
        except KeyError:
            yield _error_row(rid, n, f"{where}: no {text_col!r} field")
            continue
        if not isinstance(text, str):
            what = "null" if text is None else type(text).__name__
            yield _error_row(rid, n, f"{where}: {text_col!r} is {what}, not text")
            continue
        try:
            clean_text(text, max_chars)
        except InputError as e:
            yield _error_row(rid, n, f"{where}: {e}")
            continue
        yield Item(rid, n, text)


def _row_id(rec, id_col: str | None, fallback: str, where: str) -> tuple[str, str | None]:
    """The row's id as text, or a stable one from its position; plus a problem, if any."""
    from .records import get_field

    if rec.error or not id_col:
        return rec.source_id or fallback, None
    try:
        value = get_field(rec.data, id_col)
    except KeyError:
        value = None
    if value is None or value == "":
        return rec.source_id or fallback, None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return fallback, f"{where}: id {id_col!r} is {type(value).__name__}, not text or a number"
    return str(value), None


def _error_row(rid: str, line: int, error: str) -> dict:
    return {"id": rid, "line": line, "bullets": [], "markdown": "", "model": "", "chunks": 0,
            "input_tokens": 0, "output_tokens": 0, "notes": [], "error": error}


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
def is_out_of_memory(err: BaseException) -> bool:
    import torch

    oom = getattr(torch, "OutOfMemoryError", None) or torch.cuda.OutOfMemoryError
    return isinstance(err, oom) or (isinstance(err, RuntimeError) and "out of memory" in str(err).lower())


def summarize_batch(summarizer: "Summarizer", items: list[Item], settings: GenerationSettings) -> list[dict]:
    """Result rows for one batch. A batch that fails (CUDA out of memory above all) is halved
    and each half retried; an article that fails alone is recorded with the error."""
    try:
        summaries = summarizer.summarize_many([it.text for it in items], settings, batch_size=len(items))
        return [result_row(it, summarizer.name, s) for it, s in zip(items, summaries)]
    except Exception as e:
        if is_out_of_memory(e):
            _free_gpu_memory()
        if len(items) > 1:  # texts are checked before anything is generated: finding a bad one is cheap
            half = (len(items) + 1) // 2
            return (summarize_batch(summarizer, items[:half], settings)
                    + summarize_batch(summarizer, items[half:], settings))
        if isinstance(e, InputError):  # a check inside the library that the reader does not make
            msg = str(e)
        elif is_out_of_memory(e):
            msg = f"{GENERATION_FAILED}: out of memory even alone; lower --max-input-tokens or use a larger GPU"
        else:
            msg = f"{GENERATION_FAILED}: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
        return [result_row(items[0], summarizer.name, error=f"line {items[0].line}: {msg}")]


def _free_gpu_memory() -> None:
    import gc

    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def local_engine(summarizer: "Summarizer", settings: GenerationSettings
                 ) -> Callable[[list[list[Item]]], Iterator[list[dict]]]:
    def run(batches: list[list[Item]]) -> Iterator[list[dict]]:
        for b in batches:
            yield summarize_batch(summarizer, b, settings)
    return run


# ---- the job -----------------------------------------------------------------------------
def run_job(cfg: BatchConfig, summarizer: "Summarizer | None" = None) -> JobReport:
    """Summarize every row of cfg.input into cfg.output, resuming what is already there."""
    if cfg.batch_size < 1:
        raise InputError(f"--batch-size must be at least 1, got {cfg.batch_size}")
    if cfg.engine not in DEFAULT_WINDOW:
        raise InputError(f"unknown engine {cfg.engine!r}; use local or ray")
    if cfg.threads is not None and cfg.threads < 1:
        raise InputError(f"--threads must be at least 1, got {cfg.threads}")
    window = cfg.window or DEFAULT_WINDOW[cfg.engine]
    if window < 1:
        raise InputError(f"--window must be at least 1, got {window}")
    output = Path(cfg.output)
    fmt = output_format(output)
    if Path(cfg.input).exists() and Path(cfg.input).resolve() == output.resolve():
        raise InputError("the output would overwrite the input; pick another output file")
    jpath = journal_path(output)
    rows = open_rows(cfg.input, cfg.text_field, cfg.id_field, cfg.settings.max_input_chars)
    if cfg.overwrite:  # only once the input is known to be readable
        for p in {output, jpath}:
            p.unlink(missing_ok=True)
    seed = None
    if fmt != "jsonl" and output.exists() and not jpath.exists():
        try:
            seed = read_table(output)
        except Exception:  # csv/json/pyarrow each raise their own types
            seed = None
        if seed is None or not all({"id", "line", "error"} <= r.keys() for r in seed):
            raise InputError(f"{output} is not a batch result file; pick another output "
                             "or pass --overwrite to replace it")
    journal = Journal(jpath)
    report = JobReport(output=str(output))
    try:
        if seed:  # a finished CSV/Parquet we resume into: its rows become the journal's start
            journal.write(seed)
        if cfg.retry_failed and journal.failed_ids:
            kept = [r for r in journal.rows() if not r.get("error")]
            journal.close()
            _rewrite_jsonl(jpath, kept)
            journal = Journal(jpath)
        if journal.ids:
            print(f"resuming: {len(journal.ids)} row(s) already in {jpath}", file=sys.stderr)
        _process(cfg, rows, window, journal, report, summarizer)
    finally:
        journal.close()
    report.failed_before = len(journal.failed_ids) - report.failed
    if fmt != "jsonl":
        write_table(output, read_table(jpath))
        jpath.unlink()
    return report


def _process(cfg: BatchConfig, rows, window: int, journal: Journal, report: JobReport,
             summarizer: "Summarizer | None") -> None:
    from tqdm.auto import tqdm

    finish: Callable[[], None] = lambda: None
    if cfg.engine == "ray":
        engine, finish = ray_engine(cfg)
    else:
        if cfg.threads:
            import torch
            torch.set_num_threads(cfg.threads)
        if summarizer is None:
            from .summarize import Summarizer
            summarizer = Summarizer.from_pretrained(cfg.model, device=cfg.device, dtype=cfg.dtype,
                                                    settings=cfg.settings)
        lm = summarizer.loaded  # None for the extractive selector: it generates nothing
        where = f"on {lm.device} ({next(lm.model.parameters()).dtype})" if lm else "(extractive, CPU)"
        print(f"batch: {summarizer.name} {where}, batch size {cfg.batch_size}", file=sys.stderr)
        engine = local_engine(summarizer, cfg.settings)

    bar = tqdm(total=count_rows(cfg.input), unit="article", desc="batch", disable=not cfg.progress,
               file=sys.stderr, dynamic_ncols=True)
    t0 = time.perf_counter()
    streak = 0
    try:
        for errors, items in windows(rows, window):
            new_errors = [r for r in errors if r["id"] not in journal.ids]
            journal.write(new_errors)
            report.failed += len(new_errors)
            report.errors += [r["error"] for r in new_errors]
            todo = []
            for b in plan_batches(items, cfg.batch_size):
                left = [it for it in b if it.id not in journal.ids]
                if left:
                    todo.append(left)
            skipped = len(errors) - len(new_errors) + len(items) - sum(map(len, todo))
            report.skipped += skipped
            if bar.total is not None:
                bar.total -= skipped
            bar.update(len(new_errors))
            for out in engine(todo):
                _warn_mixed_models(journal, out)
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


def _warn_mixed_models(journal: Journal, rows: list[dict]) -> None:
    new = {r["model"] for r in rows if r["model"]} - journal.models
    if journal.models and new:
        print(f"warning: {journal.path} holds rows from {', '.join(sorted(journal.models))}; "
              f"new rows come from {', '.join(sorted(new))}", file=sys.stderr)


# ---- Ray Data ----------------------------------------------------------------------------
class RayWorker:
    """One Summarizer per Ray actor; each input row is one planned batch (JSON), so batches
    on the cluster are exactly the batches the local engine would run."""

    def __init__(self, model: str | None, device: str, dtype: str, settings: dict, threads: int | None):
        import torch

        from .summarize import Summarizer

        if threads:
            torch.set_num_threads(threads)

        self.settings = GenerationSettings(**settings)
        self.summarizer = Summarizer.from_pretrained(model, device=device, dtype=dtype, settings=self.settings)

    def __call__(self, batch: dict) -> dict:
        out = []
        for payload in batch["batch"]:
            items = [Item(**d) for d in json.loads(payload)]
            out.append(json.dumps(summarize_batch(self.summarizer, items, self.settings), ensure_ascii=False))
        return {"rows": out}


def ray_engine(cfg: BatchConfig):
    """(engine, finish) for Ray Data; connects to RAY_ADDRESS / --ray-address,
    or starts a local Ray instance."""
    try:
        import ray
    except ImportError:
        raise InputError("--engine ray needs Ray Data: pip install 'ray[data]' "
                         "(or the project's [ray] extra)") from None
    started = not ray.is_initialized()
    if started:
        ray.init(address=cfg.ray_address, log_to_driver=False, configure_logging=False)
    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = False  # our own bar counts articles
    resources = ray.cluster_resources()
    gpus = cfg.gpus_per_worker if cfg.gpus_per_worker is not None else (1.0 if resources.get("GPU") else 0.0)
    if cfg.num_workers:
        workers = cfg.num_workers
    elif gpus:
        workers = max(1, int(resources.get("GPU", 0) // gpus))
    else:
        workers = max(1, int(resources.get("CPU", 1) // cfg.cpus_per_worker))
    device = cfg.device if cfg.device != "auto" or gpus else "cpu"
    print(f"batch: Ray Data with {workers} worker(s), {gpus:g} GPU and {cfg.cpus_per_worker:g} CPU each, "
          f"batch size {cfg.batch_size}", file=sys.stderr)

    def run(batches: list[list[Item]]) -> Iterator[list[dict]]:
        if not batches:
            return
        payloads = [{"batch": json.dumps([it.__dict__ for it in b], ensure_ascii=False)} for b in batches]
        # One planned batch per block: results stream back (and are flushed) batch by batch.
        ds = ray.data.from_items(payloads, override_num_blocks=len(payloads))
        ds = ds.map_batches(RayWorker, batch_size=1, batch_format="numpy",
                            compute=ray.data.ActorPoolStrategy(size=min(workers, len(payloads))),
                            fn_constructor_kwargs={"model": cfg.model, "device": device, "dtype": cfg.dtype,
                                                   "settings": cfg.settings.to_dict(),
                                                   "threads": cfg.threads or max(1, int(cfg.cpus_per_worker))},
                            num_gpus=gpus, num_cpus=cfg.cpus_per_worker)
        for out in ds.iter_batches(batch_size=None, batch_format="numpy"):
            for payload in out["rows"]:
                yield json.loads(payload)

    def finish() -> None:
        if started:
            ray.shutdown()

    return run, finish


# ---- command line ------------------------------------------------------------------------
def add_batch_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "batch", help="summarize many articles (JSONL/CSV/Parquet, a folder, or a hub dataset)",
        description="Summarize every row of INPUT into OUTPUT (JSONL, or CSV/Parquet by extension). "
                    "Rerunning with the same OUTPUT resumes where the last run stopped.")
    p.add_argument("input", nargs="+", metavar="INPUT",
                   help="a .jsonl/.csv/.tsv/.parquet file, a folder of .txt/.md reports, "
                        "or a hub dataset as NAME [CONFIG] SPLIT")
    p.add_argument("-o", "--output", required=True, help="result file: .jsonl (default), .csv or .parquet")
    p.add_argument("--batch-size", type=int, default=8, help="articles per generate() call (default 8)")
    p.add_argument("--text-field", default=None,
                   help=f"column with the article text (default: first of {', '.join(TEXT_FIELDS)})")
    p.add_argument("--id-field", default=None,
                   help=f"column with the row id (default: first of {', '.join(ID_FIELDS)}; "
                        "else line-N / row-N, or the file name for folders)")
    p.add_argument("--overwrite", action="store_true", help="start over instead of resuming OUTPUT")
    p.add_argument("--retry-failed", action="store_true", help="when resuming, try failed rows again")
    p.add_argument("--allow-failures", action="store_true", help="exit 0 even if some rows failed")
    p.add_argument("--window", type=int, default=None,
                   help="rows sorted by length together (default 10000; 100000 with --engine ray)")
    p.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar")
    p.add_argument("--threads", type=int, default=None,
                   help="CPU threads for torch (default: all cores; fewer is faster on a busy machine)")
    r = p.add_argument_group("cluster (Ray Data)")
    r.add_argument("--engine", choices=["local", "ray"], default="local",
                   help="local: this process (default); ray: an actor pool on a Ray cluster")
    r.add_argument("--ray-address", default=None, help="Ray cluster address (default: RAY_ADDRESS, else local)")
    r.add_argument("--num-workers", type=int, default=None, help="actors (default: one per GPU, else per CPU)")
    r.add_argument("--gpus-per-worker", type=float, default=None, help="default 1 when the cluster has GPUs")
    r.add_argument("--cpus-per-worker", type=float, default=1.0)
    add_generation_args(p)
    p.set_defaults(func=cmd_batch)


def cmd_batch(args: argparse.Namespace) -> int:
    cfg = BatchConfig(
        input=" ".join(args.input), output=Path(args.output), model=args.model, device=args.device,
        dtype=args.dtype, settings=settings_from_args(args), batch_size=args.batch_size,
        text_field=args.text_field, id_field=args.id_field, overwrite=args.overwrite,
        allow_failures=args.allow_failures, retry_failed=args.retry_failed, window=args.window,
        progress=args.progress, threads=args.threads, engine=args.engine, ray_address=args.ray_address,
        num_workers=args.num_workers, gpus_per_worker=args.gpus_per_worker,
        cpus_per_worker=args.cpus_per_worker)
    report = run_job(cfg)
    print(report.describe(), file=sys.stderr)
    for err in report.errors[:MAX_ERRORS_SHOWN]:
        print(f"  failed: {err}", file=sys.stderr)
    if len(report.errors) > MAX_ERRORS_SHOWN:
        print(f"  ... and {len(report.errors) - MAX_ERRORS_SHOWN} more (see the error column of the output)",
              file=sys.stderr)
    failed = report.failed + report.failed_before
    if failed and not cfg.allow_failures:
        print(f"error: {failed} row(s) failed (pass --allow-failures to exit 0 anyway)", file=sys.stderr)
        return EXIT_FAIL
    return EXIT_OK
