"""Reading rows of articles from files, folders and hub datasets.

One reader for batch jobs, evaluation and finetuning. A row that cannot be read
(malformed JSON line, undecodable file) becomes a `Record` with `error` set and
its line number, so callers can report it and go on instead of failing the file.
"""

from __future__ import annotations

import csv
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from .inputs import InputError, decode_bytes
from .reports import parse_report

REPORT_SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm"}
TABLE_SUFFIXES = {".jsonl", ".json", ".ndjson", ".csv", ".tsv", ".parquet"}


@dataclass
class Record:
    line: int  # 1-based line (JSONL/CSV), row (Parquet/hub) or file index (folders)
    data: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    source_id: str | None = None  # a stable id when the source gives one (file name)


def get_field(row: dict[str, Any], dotted: str) -> Any:
    """row["a"]["b"] for "a.b"; a plain key wins when it contains dots itself."""
    if dotted in row:
        return row[dotted]
    cur: Any = row
    for part in dotted.split("."):
        if not isinstance(cur, dict) or part not in cur:
            raise KeyError(dotted)
        cur = cur[part]
    return cur


def pick_column(columns: list[str], wanted: str | None, candidates: list[str], what: str) -> str:
    """The column to use: the one asked for, else the first default that exists; clear error if none."""
    if wanted:
        head = wanted.split(".")[0]
        if wanted in columns or head in columns:
            return wanted
        raise InputError(f"no {what} column {wanted!r}; the data has: {', '.join(columns) or 'no columns'}")
    for c in candidates:
        if c in columns:
            return c
    raise InputError(f"no {what} column (looked for {', '.join(candidates)}); "
                     f"the data has: {', '.join(columns) or 'no columns'}; pick one with a flag")


def is_hub_name(source: str) -> bool:
    """'cnn_dailymail 3.0.0 test' or 'org/name split': a dataset name with config/split words."""
    return not Path(source.split()[0]).exists() and len(source.split()) >= 2


def read_records(source: str | Path) -> Iterator[Record]:
    """Rows of a JSONL/CSV/TSV/Parquet file, a folder of reports, or a hub dataset."""
    src = str(source)
    path = Path(src)
    if path.is_dir():
        yield from _read_folder(path)
    elif path.exists():
        suffix = path.suffix.lower()
        if suffix in {".jsonl", ".ndjson", ".json"}:
            yield from _read_jsonl(path)
        elif suffix in {".csv", ".tsv"}:
            yield from _read_csv(path, "\t" if suffix == ".tsv" else ",")
        elif suffix == ".parquet":
            yield from _read_parquet(path)
        elif suffix in REPORT_SUFFIXES:
            yield from _read_folder_files([path])
        else:
            raise InputError(f"unsupported input {path.name}: use .jsonl, .csv, .tsv, .parquet, "
                             "a report file or a folder of reports")
    elif is_hub_name(src):
        yield from _read_hub(src)
    else:
        raise InputError(f"input not found: {src}")


def _read_jsonl(path: Path) -> Iterator[Record]:
    with path.open("rb") as f:
        for n, raw in enumerate(f, 1):
            if not raw.strip():
                continue
            try:
                row = json.loads(decode_bytes(raw, f"line {n}"))
            except InputError as e:
                yield Record(n, error=str(e))
                continue
            except json.JSONDecodeError as e:
                yield Record(n, error=f"line {n}: malformed JSON ({e.msg} at column {e.colno})")
                continue
            if not isinstance(row, dict):
                yield Record(n, error=f"line {n}: expected a JSON object, got {type(row).__name__}")
                continue
            yield Record(n, row)


def _read_csv(path: Path, delimiter: str) -> Iterator[Record]:
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    try:
        text = decode_bytes(path.read_bytes(), str(path))
    except InputError:
        raise
    reader = csv.DictReader(text.splitlines(keepends=True), delimiter=delimiter)
    for row in reader:
        n = reader.line_num
        if None in row:  # more fields than the header
            yield Record(n, error=f"line {n}: {len(row[None])} field(s) more than the header has")
            continue
        yield Record(n, {k: v for k, v in row.items() if k is not None})


def _read_parquet(path: Path) -> Iterator[Record]:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as e:  # pyarrow raises many types for a damaged file
        raise InputError(f"cannot read {path} as Parquet: {str(e).splitlines()[0]}") from None
    for n, row in enumerate(table.to_pylist(), 1):
        yield Record(n, row)


def _read_folder(path: Path) -> Iterator[Record]:
    files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in REPORT_SUFFIXES)
    if not files:
        raise InputError(f"{path} holds no .txt/.md/.html reports")
    yield from _read_folder_files(files)


def _read_folder_files(files: list[Path]) -> Iterator[Record]:
    """Each report file is a row: article = the report without its Key Developments,
    reference = its Key Developments (one per line), id = the file name."""
    from .inputs import read_path

    for n, p in enumerate(files, 1):
        try:
            text = read_path(p)
        except InputError as e:
            yield Record(n, error=str(e), source_id=p.name)
            continue
        rep = parse_report(text)
        yield Record(n, {"id": p.name, "article": rep.text, "reference": rep.reference,
                         "title": rep.title}, source_id=p.name)


def _read_hub(spec: str) -> Iterator[Record]:
    """'name [config] split' through `datasets` (needs the hub, or its local cache)."""
    import datasets

    parts = spec.split()
    name, split = parts[0], parts[-1]
    config = parts[1] if len(parts) == 3 else None
    try:
        ds = datasets.load_dataset(name, config, split=split)
    except Exception as e:  # datasets raises many types when offline or misnamed
        raise InputError(f"cannot load hub dataset {spec!r} ({type(e).__name__}: "
                         f"{str(e).splitlines()[0] if str(e) else ''}); pass a local file instead") from None
    for n, row in enumerate(ds, 1):
        yield Record(n, dict(row))
