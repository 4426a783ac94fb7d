"""Reading rows of articles from files, folders and hub datasets.

One reader for batch jobs, evaluation and finetuning. A row that cannot be read
(malformed JSON line, undecodable file) becomes a `Record` with `error` set and
its line number, so callers can report it and go on instead of failing the file.

Files are streamed, never read whole: CSV by the CSV rules only (a form feed, U+2028 or
U+0085 inside a field is text, not a new row), and a record that spans several lines
reports its first line. UTF-8, or UTF-16/UTF-32 with a byte order mark.

The column names every reader looks for, and the one reading of a reference into bullets,
live here too, so batch, eval and finetune agree on them.
"""

from __future__ import annotations

import csv
import json
import os
import re
import stat
import sys
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path
from typing import Any, Iterable, Iterator

from .inputs import DEFAULT_MAX_CHARS, SNIFF_BYTES, InputError, decode_utf8, decoded_pieces, sniff_text
from .reports import parse_report, strip_bullet

# The one table of default column names: every reader (batch, eval, finetune, training) picks
# the first of these that the data has, unless a flag names the column.
TEXT_FIELDS = ["article", "text", "document", "content", "body", "report", "story"]
ID_FIELDS = ["id", "uid", "guid", "doc_id", "article_id", "key"]
REFERENCE_FIELDS = ["highlights", "summary", "reference", "bullets", "key_developments", "summaries", "target",
                    "abstract"]
COLUMN_SAMPLE_ROWS = 1000  # rows looked at to find the columns (a first row may lack some)

REPORT_SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm"}
TABLE_SUFFIXES = {".jsonl", ".json", ".ndjson", ".csv", ".tsv", ".parquet"}


@dataclass
class Record:
    line: int  # 1-based first line (JSONL/CSV), row (Parquet/hub) or file index (folders)
    data: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    source_id: str | None = None  # a stable id when the source gives one (file name)
    short: str = ""  # a CSV row with fewer fields than its header: says so, for a missing field's error


def json_kind(value) -> str:
    """What a JSON value is, in JSON's words ("null", "a decimal number 1.5"), for a row's error."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, float):
        return f"a decimal number {value!r}"
    if isinstance(value, int):
        return "a number"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "a list"
    return "text" if isinstance(value, str) else type(value).__name__

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


def column_names(records: Iterable[Record]) -> list[str]:
    """Every column of the readable rows, in first-seen order."""
    seen: dict[str, None] = {}
    for rec in records:
        if rec.error is None:
            seen.update(dict.fromkeys(map(str, rec.data)))
    return list(seen)


def sample_columns(records: Iterator[Record], n: int = COLUMN_SAMPLE_ROWS) -> tuple[list[str], Iterator[Record]]:
    """The columns of the first `n` rows, and all the records again (the sampled ones first)."""
    head = list(islice(records, n))
    return column_names(head), chain(head, records)


def reference_bullets(value: Any) -> list[str]:
    """A reference as a list of bullets.

    - a list of strings stays a list (one bullet per item; None items and blank ones dropped);
    - text with several lines keeps its lines, without bullet markers ("- ", "1. ", "•");
    - one paragraph (an abstractive summary, CNN/DM highlights joined) is split into sentences;
    - None is no bullets. Anything else (numbers, objects, lists holding them) raises TypeError:
      a reference of the wrong type is a data error, not something to train or score on.
    Whitespace inside a bullet is collapsed to single spaces.
    """
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        bad = [json_kind(v) for v in value if v is not None and not isinstance(v, str)]
        if bad:
            raise TypeError(f"expected a list of strings, got a list holding {bad[0]}")
        return [b for b in (" ".join(v.split()) for v in value if v is not None) if b]
    if not isinstance(value, str):
        raise TypeError(f"expected text or a list of strings, got {json_kind(value)}")
    lines = []
    for line in re.split(r"\r\n|\r|\n", value):
        body = strip_bullet(line)
        body = " ".join((line if body is None else body).split())
        if body:
            lines.append(body)
    if len(lines) == 1:
        from .chunking import split_sentences

        lines = split_sentences(lines[0]) or lines
    return lines


def is_hub_name(source: str) -> bool:
    """'cnn_dailymail 3.0.0 test' or 'org/name split': a dataset name with config/split words."""
    return bool(source.split()) and not Path(source.split()[0]).exists() and len(source.split()) >= 2


def read_records(source: str | Path, max_chars: int = DEFAULT_MAX_CHARS) -> Iterator[Record]:
    """Rows of a JSONL/CSV/TSV/Parquet file, a folder of reports, or a hub dataset.

    `max_chars` bounds what is read of each report file of a folder (a longer one is an error row).
    """
    src = str(source)
    path = Path(src)
    try:
        st = path.stat()
    except FileNotFoundError:
        st = None
    except (OSError, ValueError) as e:
        raise InputError(f"cannot read {src}: {getattr(e, 'strerror', None) or e}") from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        yield from _read_folder(path, max_chars)
    elif st is not None:
        if not stat.S_ISREG(st.st_mode):
            raise InputError(f"{src} is not a regular file (a named pipe, device or socket); "
                             "save the data to a file first")
        suffix = path.suffix.lower()
        if suffix in {".jsonl", ".ndjson", ".json"}:
            yield from _read_jsonl(path)
        elif suffix in {".csv", ".tsv"}:
            yield from _read_csv(path, "\t" if suffix == ".tsv" else ",")
        elif suffix == ".parquet":
            yield from _read_parquet(path)
        elif suffix in REPORT_SUFFIXES:
            yield from _read_folder_files([path], max_chars)
        else:
            raise InputError(f"unsupported input {path.name}: use .jsonl, .csv, .tsv, .parquet, "
                             "a report file or a folder of reports")
    elif is_hub_name(src):
        yield from _read_hub(src)
    else:
        raise InputError(f"input not found: {src}")


_LINE_END = re.compile(r"\r\n|\r|\n")
_LF = re.compile(r"\n")


def text_lines(pieces: Iterable[str], csv_newlines: bool = True) -> Iterator[str]:
    """Lines of streamed text, each with its end: split at \r\n, \r or \n (CSV) or at \n only
    (JSONL) and at nothing else, so U+2028, U+0085 or a form feed stay inside their line."""
    ends = _LINE_END if csv_newlines else _LF
    pending: list[str] = []
    for text in pieces:
        if not text:  # an empty piece between "\r" and "\n" must not split them
            continue
        start = 0
        if csv_newlines and pending and pending[-1].endswith("\r"):  # \r at a piece end: is \n next?
            if text.startswith("\n"):
                pending.append("\n")
                start = 1
            yield "".join(pending)
            pending = []
        for m in ends.finditer(text, start):
            if csv_newlines and m.group() == "\r" and m.end() == len(text):
                break  # wait for the next piece
            pending.append(text[start:m.end()])
            yield "".join(pending)
            pending = []
            start = m.end()
        if start < len(text):
            pending.append(text[start:])
    if pending:
        yield "".join(pending)


def _jsonl_record(n: int, line: str) -> Record | None:
    if not line.strip():
        return None
    try:
        row = json.loads(line)
    except json.JSONDecodeError as e:
        return Record(n, error=f"line {n}: malformed JSON ({e.msg.removesuffix(' at')} at column {e.colno})")
    except RecursionError:
        return Record(n, error=f"line {n}: JSON nested too deeply")
    except ValueError as e:  # a number past Python's digit limit: one bad row, not a failed job
        return Record(n, error=f"line {n}: malformed JSON ({str(e).split(';')[0]})")
    if not isinstance(row, dict):
        return Record(n, error=f"line {n}: expected a JSON object, got {json_kind(row)}")
    return Record(n, row)


def _read_jsonl(path: Path) -> Iterator[Record]:
    with path.open("rb") as f:
        codec, _ = sniff_text(f.read(SNIFF_BYTES), str(path))
        f.seek(0)
        if codec != "utf-8":  # UTF-16/32: decode the stream, then split at \n
            for n, line in enumerate(text_lines(decoded_pieces(f.read, str(path)), csv_newlines=False), 1):
                rec = _jsonl_record(n, line)
                if rec is not None:
                    yield rec
            return
        for n, raw in enumerate(f, 1):  # UTF-8: a line that does not decode is one bad row
            if not raw.strip():
                continue
            try:
                line = decode_utf8(raw, f"line {n}: the row")
            except InputError as e:
                yield Record(n, error=str(e))
                continue
            rec = _jsonl_record(n, line)
            if rec is not None:
                yield rec


class _Lines:
    """Lines for csv.reader that notice when it asks for more after the last one. The csv module
    (non-strict) would quietly put the rest of a file with an unclosed quote in one field."""

    def __init__(self, lines: Iterator[str]):
        self.lines = lines
        self.done = False

    def __iter__(self):
        return self

    def __next__(self) -> str:
        try:
            line = next(self.lines)
        except StopIteration:
            self.done = True
            raise
        return line


def _read_csv(path: Path, delimiter: str) -> Iterator[Record]:
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    with path.open("rb") as f:
        lines = _Lines(text_lines(decoded_pieces(f.read, str(path))))
        reader = csv.reader(lines, delimiter=delimiter)
        header: list[str | None] | None = None
        while True:
            first = reader.line_num + 1  # the record's first line: csv.reader counts lines read
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as e:  # the parser cannot find the next record after this
                raise InputError(f"{path.name} line {first}: {e}") from None
            if not row:  # a blank line
                continue
            if lines.done:  # the parser asked for more at the end of the file: a quote is still open
                raise InputError(f"{path.name} line {first}: a quoted field opened here is never closed "
                                 "(the file ends inside it, so the rows after it cannot be read)")
            if header is None:
                twice = sorted({h for h in row if h.strip() and row.count(h) > 1})
                for name in twice:  # which copy is meant is anybody's guess: neither is used
                    print(f"note: {path.name}: the header names column {name!r} twice; both are left out",
                          file=sys.stderr)
                header = [h if h not in twice else None for h in row]
                continue
            if len(row) > len(header):  # the fields the header names stay, so the error row keeps its id
                yield Record(first, {h: v for h, v in zip(header, row) if h is not None},
                             error=f"line {first}: {len(row) - len(header)} field(s) more than the header has "
                                   "(an unquoted delimiter or quote in the text?)")
                continue
            short = (f"the row has {len(row)} of the header's {len(header)} fields (a line break in unquoted text?)"
                     if len(row) < len(header) else "")
            yield Record(first, {h: v for h, v in zip(header, row) if h is not None}, short=short)


def _read_parquet(path: Path, rows_at_once: int = 1024) -> Iterator[Record]:
    """Rows a slice at a time, as JSONL is read a line at a time: a file of hundreds of MB is never
    held whole as Python objects."""
    import pyarrow.parquet as pq

    def unreadable(e: Exception) -> InputError:  # pyarrow raises many types for a damaged file
        return InputError(f"cannot read {path} as Parquet: {str(e).splitlines()[0]}")

    try:
        batches = pq.ParquetFile(path).iter_batches(batch_size=rows_at_once)
    except Exception as e:
        raise unreadable(e) from None
    n = 0
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            return
        except Exception as e:
            raise unreadable(e) from None
        for row in batch.to_pylist():
            n += 1
            yield Record(n, row)


def _read_folder(path: Path, max_chars: int = DEFAULT_MAX_CHARS) -> Iterator[Record]:
    try:
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in REPORT_SUFFIXES)
    except OSError as e:
        raise InputError(f"cannot read folder {path}: {e.strerror}") from None
    if not files:
        raise InputError(f"{path} holds no .txt/.md/.html reports")
    yield from _read_folder_files(files, max_chars)


def _read_folder_files(files: list[Path], max_chars: int = DEFAULT_MAX_CHARS) -> Iterator[Record]:
    """Each report file is a row: article = the report without its Key Developments,
    reference = its Key Developments (one per line), id = the file name."""
    from .inputs import read_path

    for n, p in enumerate(files, 1):
        # a name that is not UTF-8 ("bad\xff.txt") keeps its bytes as escapes: an id any output can hold
        name = os.fsencode(p.name).decode("utf-8", "backslashreplace")
        try:
            text = read_path(p, max_chars)
        except InputError as e:
            yield Record(n, error=str(e).replace(str(p), name) if name != p.name else str(e), source_id=name)
            continue
        rep = parse_report(text)
        if rep.only_key_developments and rep.reference:
            yield Record(n, error=f"{name} holds only its Key Developments list, no report to summarize",
                         source_id=name)
            continue
        yield Record(n, {"id": name, "article": rep.text, "reference": rep.reference,
                         "title": rep.title}, source_id=name)


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
