"""Evaluation data: articles, references and (optionally) predictions, with clear errors.

Anything `summarizer.records.read_records` reads works: JSONL/CSV/TSV/Parquet files, a folder
of reports (reference = their Key Developments), or a hub dataset "name [config] split"
(loaded with `datasets`, needs the hub or its cache). Columns are picked by flag or by the
usual names; nested fields are reached with dots ("systems.bart"). A reference or prediction
given as a list of bullets is joined one bullet per line.

Every problem is an `InputError` with one line that names what exists (columns, line numbers,
ids), so the CLI can exit 2 without a traceback.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from summarizer.inputs import SURROGATE, InputError
from summarizer.records import (ID_FIELDS, REFERENCE_FIELDS, TEXT_FIELDS, Record, get_field, json_kind, pick_column,
                                read_records)

ARTICLE_COLUMNS = TEXT_FIELDS  # the project's one table of column names
REFERENCE_COLUMNS = REFERENCE_FIELDS
PREDICTION_COLUMNS = ["prediction", "predictions", "output", "generated", "summary", "bullets"]
ID_COLUMNS = ID_FIELDS
SHOW = 5  # how many line numbers or ids an error message lists


@dataclass
class Example:
    id: str
    reference: str
    article: str | None
    line: int
    row: dict[str, Any] = field(repr=False, default_factory=dict)


@dataclass
class EvalData:
    source: str
    examples: list[Example]
    columns: list[str]
    article_field: str | None
    reference_field: str
    id_field: str | None
    skipped: list[str] = field(default_factory=list)  # rows left out with --skip-bad-rows

    def sha256(self) -> str:
        """Hash of what was scored (ids, articles, references), to tell runs on other data apart."""
        h = hashlib.sha256()
        for e in self.examples:
            h.update(json.dumps([e.id, e.article, e.reference], ensure_ascii=False).encode())
            h.update(b"\n")
        return h.hexdigest()


def as_text(value: Any) -> str:
    """A field value as text: lists of bullets one per line, None as empty."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return "\n".join(as_text(v) for v in value if v is not None)
    raise TypeError(f"{json_kind(value)}, not text or a list of bullets")


def _unpaired(**texts: str | None) -> str | None:
    """The first field holding an unpaired surrogate (JSON's "\\ud800"), which no file or scorer can
    take, as a row's problem; None when all are valid Unicode."""
    for name, text in texts.items():
        hit = SURROGATE.search(text or "")
        if hit:
            return f"{name} holds an unpaired surrogate (U+{ord(hit.group()):04X}), not valid Unicode"
    return None


def _short(items: list[str], n: int = SHOW) -> str:
    shown = "; ".join(items[:n])
    return shown + (f"; ... ({len(items) - n} more)" if len(items) > n else "")


def _columns(rows: list[Record]) -> list[str]:
    seen: dict[str, None] = {}
    for r in rows:
        for k in r.data:
            seen.setdefault(k, None)
    return list(seen)


def _missing_field_message(row: dict[str, Any], dotted: str, what: str) -> str:
    """Name what the row does have at the deepest level the dotted path reaches."""
    cur: Any = row
    path: list[str] = []
    for part in dotted.split("."):
        if not isinstance(cur, dict) or part not in cur:
            break
        cur, path = cur[part], path + [part]
    where = ".".join(path)
    if isinstance(cur, dict):
        keys = ", ".join(map(str, cur)) or "nothing"
        return f"no {what} field {dotted!r}; {('%r has' % where) if where else 'the row has'}: {keys}"
    return f"no {what} field {dotted!r}; {where!r} is {json_kind(cur)}, not an object"


def read_rows(source: str, limit: int | None = None, skip_bad: bool = False) -> tuple[list[Record], list[str]]:
    """Readable rows (at most `limit`) and the messages of rows that could not be read."""
    good: list[Record] = []
    bad: list[str] = []
    for rec in read_records(source):
        if rec.error:
            bad.append(rec.error)
            continue
        good.append(rec)
        if limit is not None and len(good) >= limit:
            break
    if bad and not skip_bad:
        raise InputError(f"{source}: {len(bad)} row(s) cannot be read: {_short(bad)}; "
                         "fix them or pass --skip-bad-rows to leave them out")
    return good, bad


def load_data(source: str, article_field: str | None = None, reference_field: str | None = None,
              id_field: str | None = None, limit: int | None = None, skip_bad: bool = False,
              need_article: bool = True) -> EvalData:
    """Articles and references of `source`, in file order."""
    if limit is not None and limit < 1:
        raise InputError(f"--limit must be a positive number, got {limit}")
    rows, bad = read_rows(source, limit, skip_bad)
    if not rows:
        raise InputError(f"{source} holds no rows to evaluate")
    columns = _columns(rows)
    ref_col = pick_column(columns, reference_field, REFERENCE_COLUMNS, "reference")
    try:
        art_col: str | None = pick_column(columns, article_field, ARTICLE_COLUMNS, "article")
    except InputError:
        if need_article or article_field:
            raise
        art_col = None
    id_col = pick_column(columns, id_field, ID_COLUMNS, "id") if id_field else \
        next((c for c in ID_COLUMNS if c in columns), None)

    examples: list[Example] = []
    problems: list[str] = []
    for rec in rows:
        try:
            ref = as_text(get_field(rec.data, ref_col))
        except KeyError:
            problems.append(f"line {rec.line}: {rec.short or _missing_field_message(rec.data, ref_col, 'reference')}")
            continue
        except TypeError as e:
            problems.append(f"line {rec.line}: reference: {e}")
            continue
        article = None
        if art_col:
            try:
                article = as_text(get_field(rec.data, art_col))
            except KeyError:
                problems.append(f"line {rec.line}: {rec.short or _missing_field_message(rec.data, art_col, 'article')}")
                continue
            except TypeError as e:
                problems.append(f"line {rec.line}: article: {e}")
                continue
        if id_col:
            try:
                ident = get_field(rec.data, id_col)
            except KeyError:
                problems.append(f"line {rec.line}: no id field {id_col!r}")
                continue
            if isinstance(ident, bool) or not isinstance(ident, (str, int)) or ident == "":
                problems.append(f"line {rec.line}: id {id_col!r} is {json_kind(ident) if ident != '' else 'empty'}, "
                                "not text or a whole number")
                continue
            ident = str(ident)
        else:
            ident = rec.source_id or str(rec.line)
        bad_text = _unpaired(id=ident, reference=ref, article=article)
        if bad_text:
            problems.append(f"line {rec.line}: {bad_text}")
            continue
        examples.append(Example(ident, ref, article, rec.line, rec.data))
    if problems and not skip_bad:
        raise InputError(f"{source}: {len(problems)} row(s) cannot be evaluated: {_short(problems)}; "
                         "fix them or pass --skip-bad-rows to leave them out")
    bad += problems
    _check_unique_ids(examples, source, id_col)
    return EvalData(str(source), examples, columns, art_col, ref_col, id_col, skipped=bad)


def _check_unique_ids(examples: list[Example], source: str, id_col: str | None) -> None:
    first: dict[str, int] = {}
    dups: list[str] = []
    for e in examples:
        if e.id in first:
            dups.append(f"{e.id!r} on lines {first[e.id]} and {e.line}")
        else:
            first[e.id] = e.line
    if dups:
        raise InputError(f"{source}: ids must be unique to join predictions and resume runs, but "
                         f"column {id_col!r} repeats: {_short(dups)}; pick another with --id-field")


def predictions_from_field(data: EvalData, dotted: str) -> list[str]:
    """The prediction stored in each row under `dotted` (e.g. "systems.bart")."""
    pick_column(data.columns, dotted, [], "prediction")  # names the columns when the top is absent
    out: list[str] = []
    problems: list[str] = []
    for e in data.examples:
        try:
            text = as_text(get_field(e.row, dotted))
            bad_text = _unpaired(prediction=text)
            if bad_text:
                problems.append(f"line {e.line}: {bad_text}")
            out.append(text)
        except KeyError:
            problems.append(f"line {e.line}: {_missing_field_message(e.row, dotted, 'prediction')}")
        except TypeError as err:
            problems.append(f"line {e.line}: prediction: {err}")
    if problems:
        raise InputError(f"{data.source}: {len(problems)} row(s) have no usable prediction: {_short(problems)}")
    return out


def predictions_from_file(data: EvalData, path: str, field_name: str | None = None,
                          id_field: str | None = None) -> tuple[list[str], list[str]]:
    """Predictions from another file joined on id; also notes about ids that were left over."""
    if not Path(path).exists():
        raise InputError(f"predictions file not found: {path}")
    rows, _ = read_rows(path)
    if not rows:
        raise InputError(f"{path} holds no predictions")
    columns = _columns(rows)
    pred_col = pick_column(columns, field_name, PREDICTION_COLUMNS, "prediction")
    id_col = pick_column(columns, id_field or data.id_field, ID_COLUMNS, "id")
    by_id: dict[str, str] = {}
    first_line: dict[str, int] = {}
    problems: list[str] = []
    for rec in rows:
        try:
            ident = get_field(rec.data, id_col)
            if isinstance(ident, bool) or not isinstance(ident, (str, int)) or ident == "":
                problems.append(f"line {rec.line}: id {id_col!r} is {json_kind(ident) if ident != '' else 'empty'}, "
                                "not text or a whole number")
                continue
            ident = str(ident)
            if ident in first_line:
                problems.append(f"line {rec.line}: id {ident!r} repeats line {first_line[ident]}, "
                                "so the prediction to score is ambiguous")
                continue
            first_line[ident] = rec.line
            text = as_text(get_field(rec.data, pred_col))
            bad_text = _unpaired(id=ident, prediction=text)
            if bad_text:
                problems.append(f"line {rec.line}: {bad_text}")
                continue
            by_id[ident] = text
        except KeyError:
            problems.append(f"line {rec.line}: no {id_col!r} or {pred_col!r} field")
        except TypeError as e:
            problems.append(f"line {rec.line}: prediction: {e}")
    if problems:
        raise InputError(f"{path}: {len(problems)} row(s) are unusable: {_short(problems)}")
    missing = [e.id for e in data.examples if e.id not in by_id]
    if missing:
        if len(missing) == len(data.examples):
            raise InputError(f"no ids join: the data's ids look like {_short([repr(e.id) for e in data.examples], 3)}, "
                             f"{path}'s like {_short([repr(k) for k in by_id], 3)}; check --id-field")
        raise InputError(f"{len(missing)} of {len(data.examples)} articles have no prediction in {path} "
                         f"(ids {_short([repr(m) for m in missing])})")
    wanted = {e.id for e in data.examples}
    extra = [k for k in by_id if k not in wanted]
    notes = [f"{len(extra)} prediction(s) in {path} have ids not in the evaluated data; ignored"] if extra else []
    return [by_id[e.id] for e in data.examples], notes
