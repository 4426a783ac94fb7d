"""Result rows out: an append-only, resumable JSONL journal, and final CSV/Parquet tables.

Both long-running jobs (`summarizer batch` and `eval`'s model runs) write through `Journal`:
- each write is flushed and fsynced, so a kill loses at most the rows in flight;
- a torn last line (a kill during a write) is cut off when the journal is reopened;
- a sidecar `NAME.job.json` records what the job was (its kind and a fingerprint of its input and
  settings). A journal is resumed only when its sidecar matches, so a user's own data file is
  never taken for an earlier output, and a job is never resumed with other settings;
- rows are keyed by a field the job names (`line` for batch, `id` for eval), so a resume skips
  exactly the rows already written.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator

from .inputs import InputError

JOB_SUFFIX = ".job.json"


def sidecar(path: Path) -> Path:
    return path.with_name(path.name + JOB_SUFFIX)


def unwritable(path: Path, e: OSError) -> str:
    """One line on why an output cannot be written there (a file where a folder must be, ...)."""
    where = Path(e.filename) if e.filename else path
    if isinstance(e, (FileExistsError, NotADirectoryError)):
        blocker = next((p for p in [path, *path.parents] if p.exists() and not p.is_dir()), None)
        if blocker is not None and blocker != path:
            return f"cannot write {path}: {blocker} is a file, not a folder"
    if isinstance(e, IsADirectoryError):
        folder = next((Path(f) for f in (e.filename2, e.filename) if f and Path(f).is_dir()), where)
        return f"cannot write {path}: {folder} is a folder"
    return f"cannot write {path}: {e.strerror or e} ({where})"


class Journal:
    def __init__(self, path: Path, job: dict[str, Any], key: str, overwrite: bool = False):
        self.path, self.job, self.key = Path(path), job, key
        self.done: dict[Any, dict] = {}
        meta = sidecar(self.path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._f = self.path.open("a", encoding="utf-8")  # appends: nothing is changed before the lock
        except OSError as e:  # before any work: a usage error in one line, not a traceback
            raise InputError(unwritable(self.path, e)) from None
        # the lock comes first: a job refused here must not empty the output, nor rewrite the
        # record of the settings, of the job that is writing it
        self._lock()
        try:
            if overwrite:
                self._f.truncate(0)
            elif self.path.stat().st_size:
                self._check_resumable(meta)
            _write_json_atomic(meta, job)
        except OSError as e:
            self._f.close()
            raise InputError(unwritable(self.path, e)) from None
        except InputError:
            self._f.close()
            raise
        for row in self._load_and_repair():
            self.done[row[key]] = row

    def _check_resumable(self, meta: Path) -> None:
        what = f"{self.path} already exists and"
        if not meta.exists():
            raise InputError(f"{what} was not written by this tool (no {meta.name} beside it); "
                             "pick another output, or pass --overwrite to replace it")
        try:
            before = json.loads(meta.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise InputError(f"{meta} is unreadable; pass --overwrite to start over") from None
        if before.get("kind") != self.job.get("kind"):
            raise InputError(f"{what} holds {before.get('kind')!r} results, not {self.job.get('kind')!r}; "
                             "pick another output")
        changed = [k for k in self.job if k != "kind" and before.get(k) != self.job[k]]
        if changed:
            raise InputError(f"{what} was started with another {', '.join(changed)}; rerun with the same "
                             "input and settings to resume, or pass --overwrite to start over")

    def _load_and_repair(self) -> list[dict]:
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
            if not isinstance(row, dict) or self.key not in row:
                raise InputError(f"{self.path} line {n} is not a result row; pick another output "
                                 "or pass --overwrite to start over")
            rows.append(row)
        if good < len(data):
            print(f"note: cut an incomplete line at the end of {self.path} (an interrupted write)", file=sys.stderr)
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
            raise InputError(f"another job is writing {self.path}") from None

    def write(self, rows: list[dict]) -> None:
        """Append rows and make them durable before going on."""
        if not rows:
            return
        self._f.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
        self._f.flush()
        os.fsync(self._f.fileno())
        for row in rows:
            self.done[row[self.key]] = row

    def drop(self, keep) -> None:
        """Rewrite the journal with only the rows `keep(row)` accepts (e.g. to retry failures)."""
        kept = [r for r in self.done.values() if keep(r)]
        write_jsonl_atomic(self.path, kept)
        self._f.close()
        self._f = self.path.open("a", encoding="utf-8")
        self._lock()
        self.done = {r[self.key]: r for r in kept}

    def close(self) -> None:
        self._f.close()


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A temporary file beside `path` that takes its place when the block ends, and is removed when
    it fails or is stopped: a reader sees the old file or the new one, and no half file stays."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _write_json_atomic(path: Path, obj: Any) -> None:
    with replacing(path) as tmp:
        tmp.write_text(json.dumps(obj, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def write_jsonl_atomic(path: Path, rows: Iterable[dict]) -> None:
    with replacing(path) as tmp, tmp.open("w", encoding="utf-8") as f:
        f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        f.flush()
        os.fsync(f.fileno())


# ---- final tables ---------------------------------------------------------------------------
def table_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in {".jsonl", ".ndjson", ".json"}:
        return "jsonl"
    if suffix in {".csv", ".parquet"}:
        return suffix[1:]
    raise InputError(f"output {path.name}: use a .jsonl, .csv or .parquet file name")


def _typed(table):
    """Columns whose type the rows could not show (all null: a job where every row failed) as the
    types a good row gives them, so the file reads and concatenates like any other output."""
    import pyarrow as pa

    for i, f in enumerate(table.schema):
        if pa.types.is_null(f.type) or (pa.types.is_list(f.type) and pa.types.is_null(f.type.value_type)):
            inner = pa.float64() if f.name == "support" else pa.string()
            want = inner if pa.types.is_null(f.type) else pa.list_(inner)
            table = table.set_column(i, f.name, table.column(i).cast(want))
    return table


def write_table(path: Path, rows: list[dict], columns: list[str], list_columns: set[str]) -> None:
    """Write a CSV or Parquet file atomically (a kill leaves the old file or the new one).
    Lists are stored as lists in Parquet and as JSON text in CSV, so both read back exactly."""
    rows = [{k: r.get(k) for k in columns} for r in rows]
    with replacing(path) as tmp:
        if table_format(path) == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq
            pq.write_table(_typed(pa.Table.from_pylist(rows)), tmp)
        else:
            with tmp.open("w", encoding="utf-8", newline="") as f:
                w = csv.DictWriter(f, fieldnames=columns)
                w.writeheader()
                for r in rows:
                    w.writerow({k: json.dumps(v, ensure_ascii=False) if k in list_columns else ("" if v is None else v)
                                for k, v in r.items()})
