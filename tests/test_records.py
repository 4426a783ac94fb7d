"""records: rows of CSV/TSV/JSONL files and report folders, the column table, reference bullets.

The fuzz tests write random rows with the csv and json modules (form feeds, U+2028, U+0085,
bare carriage returns, quotes, delimiters and newlines inside fields) and read them back.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from summarizer.inputs import InputError
from summarizer.records import (ID_FIELDS, REFERENCE_FIELDS, TEXT_FIELDS, Record, read_records,
                                reference_bullets, sample_columns, text_lines)

ODD = ["\f", "\u2028", "\u2029", "\x85", "\v", "\x1c", "\x1d", "\x1e"]  # str.splitlines breaks at all of these


def rows_of(path) -> list[Record]:
    return list(read_records(path))


# ---- CSV by the CSV rules only ------------------------------------------------------------------
@pytest.mark.parametrize("char", ODD)
@pytest.mark.parametrize("suffix", [".csv", ".tsv"])
def test_unquoted_odd_characters_stay_inside_their_field(tmp_path, char, suffix):
    sep = "\t" if suffix == ".tsv" else ","
    p = tmp_path / f"d{suffix}"
    p.write_text(f"id{sep}article\na{sep}First part{char}second part.\nb{sep}Next row.\n", encoding="utf-8")
    recs = rows_of(p)
    assert [(r.line, r.data) for r in recs] == [(2, {"id": "a", "article": f"First part{char}second part."}),
                                                (3, {"id": "b", "article": "Next row."})]


def test_multi_line_records_report_their_first_line(tmp_path):
    p = tmp_path / "d.csv"
    p.write_bytes(b'id,article\r\n1,"one\r\ntwo\r\nthree"\r\n\r\n2,"a\rb\nc"\n3,plain\n4,"x",extra\n5,last')
    recs = rows_of(p)
    assert [r.line for r in recs] == [2, 6, 9, 10, 11]
    assert recs[0].data["article"] == "one\r\ntwo\r\nthree" and recs[1].data["article"] == "a\rb\nc"
    assert recs[3].error.startswith("line 10: 1 field(s) more than the header has")
    assert recs[3].data == {"id": "4", "article": "x"}  # what the header names is kept: the row's id
    assert recs[4].data == {"id": "5", "article": "last"}


def test_short_rows_lack_their_last_fields_and_say_so_and_blank_lines_are_skipped(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("\n\nid,article,title\n\n1,text\n2,more,T\n", encoding="utf-8")
    got = rows_of(p)
    assert [(r.line, r.data) for r in got] == [(5, {"id": "1", "article": "text"}),
                                                (6, {"id": "2", "article": "more", "title": "T"})]
    assert got[0].short == "the row has 2 of the header's 3 fields (a line break in unquoted text?)"
    assert got[1].short == ""


def test_an_unclosed_quote_is_an_error_not_one_giant_field(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text('id,article\n1,fine\n2,"opens here\n3,swallowed\n4,too\n', encoding="utf-8")
    got = read_records(p)
    assert next(got).data == {"id": "1", "article": "fine"}
    with pytest.raises(InputError, match="d.csv line 3: a quoted field opened here is never closed"):
        next(got)


def test_csv_is_streamed_not_read_whole(tmp_path):
    """The first row arrives before the reader meets a bad byte 2 MB further on."""
    p = tmp_path / "d.csv"
    p.write_bytes(b"id,article\n1,first\n" + (b"2," + b"x" * 1000 + b"\n") * 2000 + b"3,caf\xe9\n")
    got = read_records(p)
    assert next(got).data == {"id": "1", "article": "first"}
    bad_at = p.stat().st_size - 2
    with pytest.raises(InputError, match=f"not valid UTF-8 \\(byte 0xe9 at offset {bad_at}\\)"):
        list(got)


@pytest.mark.parametrize("codec", ["utf-8-sig", "utf-16", "utf-32"])
def test_csv_and_jsonl_in_utf16_and_utf32(tmp_path, codec):
    c = tmp_path / "d.csv"
    c.write_bytes('id,article\n1,"Héllo\u2028wörld"\n2,☃\n'.encode(codec))
    assert [r.data for r in rows_of(c)] == [{"id": "1", "article": "Héllo\u2028wörld"}, {"id": "2", "article": "☃"}]
    j = tmp_path / "d.jsonl"
    j.write_bytes('{"id": "1", "article": "x\u2028y"}\n\n{"id": 2}\n{broken\n'.encode(codec))
    recs = rows_of(j)
    assert [(r.line, r.data) for r in recs[:2]] == [(1, {"id": "1", "article": "x\u2028y"}), (3, {"id": 2})]
    assert recs[2].line == 4 and "malformed JSON" in recs[2].error


def test_binary_and_bad_encoding_are_clear(tmp_path):
    b = tmp_path / "d.csv"
    b.write_bytes(b"id,article\n\x00\x01\x02")
    with pytest.raises(InputError, match="binary"):
        rows_of(b)
    j = tmp_path / "d.jsonl"
    j.write_bytes(b'{"a": "ok"}\n{"a": "caf\xe9"}\n{"a": "fine"}\n')
    recs = rows_of(j)
    assert recs[1].error.startswith("line 2: the row is not valid UTF-8 (byte 0xe9") and recs[2].data == {"a": "fine"}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_named_pipe_is_refused_without_hanging(tmp_path):
    fifo = tmp_path / "rows.jsonl"
    os.mkfifo(fifo)
    t0 = time.monotonic()
    with pytest.raises(InputError, match="not a regular file"):
        rows_of(fifo)
    assert time.monotonic() - t0 < 5


def test_folder_files_are_read_with_the_limit(tmp_path):
    (tmp_path / "a.txt").write_text("A short report.", encoding="utf-8")
    (tmp_path / "b.txt").write_text("x" * 5000, encoding="utf-8")
    (tmp_path / "c.md").write_bytes("Report in UTF-16.".encode("utf-16"))
    recs = list(read_records(tmp_path, max_chars=1000))
    assert [r.source_id for r in recs] == ["a.txt", "b.txt", "c.md"]
    assert recs[0].data["article"] == "A short report." and recs[2].data["article"] == "Report in UTF-16."
    assert recs[1].error and "limit is 1,000" in recs[1].error
    (tmp_path / "d.txt").write_text("Bridge Vote\n\nKey Developments\n- The council voted 7-2.\n- Work starts in May.\n",
                                    encoding="utf-8")
    (d,) = [r for r in read_records(tmp_path, max_chars=1000) if r.source_id == "d.txt"]
    assert d.error == "d.txt holds only its Key Developments list, no report to summarize"


def test_text_lines_split_only_at_cr_and_lf():
    pieces = ["a\fb\u2028c\r", "\nd\r", "e\x85f\n", "\r", "", "g"]
    assert list(text_lines(pieces)) == ["a\fb\u2028c\r\n", "d\r", "e\x85f\n", "\r", "g"]
    assert list(text_lines(["x\ry\n", "z"], csv_newlines=False)) == ["x\ry\n", "z"]


# ---- columns and references -----------------------------------------------------------------------
def test_one_column_table():
    assert TEXT_FIELDS[0] == "article" and ID_FIELDS[0] == "id" and REFERENCE_FIELDS[0] == "highlights"
    for name in ["text", "document", "content", "body", "report", "story"]:
        assert name in TEXT_FIELDS
    for name in ["summary", "reference", "bullets", "key_developments", "summaries"]:
        assert name in REFERENCE_FIELDS
    assert not set(TEXT_FIELDS) & set(REFERENCE_FIELDS) and not set(ID_FIELDS) & set(TEXT_FIELDS)


def test_columns_come_from_many_rows_not_the_first(tmp_path):
    p = tmp_path / "d.jsonl"
    p.write_text('{"article": "a"}\n{broken\n{"article": "b", "highlights": "h"}\n{"id": 3}\n', encoding="utf-8")
    columns, again = sample_columns(read_records(p))
    assert columns == ["article", "highlights", "id"]
    assert [r.line for r in again] == [1, 2, 3, 4]


@pytest.mark.parametrize("value, bullets", [
    (["One.", "  Two  words. ", "", None], ["One.", "Two words."]),
    (("A", "B"), ["A", "B"]),
    ("- One happened.\n\n2. Two happened.\r\n• Three\r* Four", ["One happened.", "Two happened.", "Three", "Four"]),
    ("First sentence here. Second one there.", ["First sentence here.", "Second one there."]),
    ("Only one.", ["Only one."]),
    ("One line\u2028with a line separator.", ["One line with a line separator."]),
    ("", []), ("  \n \n", []), (None, []), ([], []),
])
def test_reference_bullets(value, bullets):
    assert reference_bullets(value) == bullets


@pytest.mark.parametrize("value", [5, 2.5, True, {"a": "b"}, ["ok", 3], [["nested"]], [{"a": 1}]])
def test_reference_bullets_refuses_other_types(value):
    with pytest.raises(TypeError, match="expected"):
        reference_bullets(value)


# ---- fuzz: write rows with csv/json, read them back --------------------------------------------
_SPECIAL = st.sampled_from(ODD + ["\r", "\n", "\r\n", '"', ",", "\t", " ", "'", "\\", "\ufeff", "é", "☃", "𝄞"])
_CHARS = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
FIELD = st.lists(st.one_of(st.text(_CHARS, max_size=4), _SPECIAL), max_size=8).map("".join)
ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-32"])
_BREAK = re.compile(r"\r\n|\r|\n")


def _csv_round_trip(rows, delimiter, style, encoding, trailing_newline):
    header = ["id", "article", "note"]
    terminator, quoting = style
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, delimiter=delimiter, lineterminator=terminator, quoting=quoting)
    writer.writerow(header)
    first_lines = []
    for row in rows:
        first_lines.append(len(_BREAK.findall(buf.getvalue())) + 1)
        writer.writerow(row)
    text = buf.getvalue()
    if not trailing_newline:
        text = text[:-len(terminator)]
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / ("rows.tsv" if delimiter == "\t" else "rows.csv")
        p.write_bytes(text.encode(encoding))
        got = rows_of(p)
    assert [r.error for r in got] == [None] * len(rows)
    assert [r.data for r in got] == [dict(zip(header, row)) for row in rows]
    assert [r.line for r in got] == first_lines


_CSV_ARGS = dict(rows=st.lists(st.lists(FIELD, min_size=3, max_size=3), max_size=6),
                 delimiter=st.sampled_from([",", "\t"]),
                 style=st.sampled_from([("\r\n", csv.QUOTE_MINIMAL), ("\r\n", csv.QUOTE_ALL), ("\n", csv.QUOTE_ALL)]),
                 encoding=ENCODINGS, trailing_newline=st.booleans())


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(**_CSV_ARGS)
def test_fuzz_csv_round_trip(rows, delimiter, style, encoding, trailing_newline):
    _csv_round_trip(rows, delimiter, style, encoding, trailing_newline)


@pytest.mark.slow
@settings(max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(**_CSV_ARGS)
def test_fuzz_csv_round_trip_10k(rows, delimiter, style, encoding, trailing_newline):
    _csv_round_trip(rows, delimiter, style, encoding, trailing_newline)


JSON_VALUE = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | FIELD,
                          lambda inner: st.lists(inner, max_size=3) | st.dictionaries(FIELD, inner, max_size=3),
                          max_leaves=8)


def _jsonl_round_trip(rows, blank_before, ascii_only, crlf, encoding):
    lines, expected_lines = [], []
    for row, blanks in zip(rows, blank_before):
        lines += [""] * blanks
        lines.append(json.dumps(row, ensure_ascii=ascii_only))
        expected_lines.append(len(lines))
    end = "\r\n" if crlf else "\n"
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "rows.jsonl"
        p.write_bytes("".join(line + end for line in lines).encode(encoding))
        got = rows_of(p)
    assert [r.error for r in got] == [None] * len(rows)
    assert [r.data for r in got] == rows
    assert [r.line for r in got] == expected_lines


_JSONL_ARGS = dict(rows=st.lists(st.dictionaries(FIELD, JSON_VALUE, max_size=4), max_size=5),
                   blank_before=st.lists(st.integers(0, 2), min_size=5, max_size=5),
                   ascii_only=st.booleans(), crlf=st.booleans(), encoding=ENCODINGS)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(**_JSONL_ARGS)
def test_fuzz_jsonl_round_trip(rows, blank_before, ascii_only, crlf, encoding):
    _jsonl_round_trip(rows, blank_before, ascii_only, crlf, encoding)


@pytest.mark.slow
@settings(max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(**_JSONL_ARGS)
def test_fuzz_jsonl_round_trip_10k(rows, blank_before, ascii_only, crlf, encoding):
    _jsonl_round_trip(rows, blank_before, ascii_only, crlf, encoding)


@settings(max_examples=200, deadline=None)
@given(pieces=st.lists(FIELD, max_size=6))
@example(pieces=["\r", "", "\n"])  # an empty piece between the two halves of a CRLF (found in a CI-like run)
def test_fuzz_text_lines_tile_the_text(pieces):
    lines = list(text_lines(pieces))
    assert "".join(lines) == "".join(pieces)
    for line in lines[:-1]:
        assert _BREAK.search(line) and _BREAK.search(line).end() == len(line)
    assert len(lines) == len(_BREAK.findall("".join(pieces))) + (not re.search(r"(\r\n|\r|\n)$", "".join(pieces))
                                                                  and bool("".join(pieces)))


def test_binary_jsonl_is_one_error_not_a_row_per_line(tmp_path):
    p = tmp_path / "d.jsonl"
    p.write_bytes(b"\x00\x01\x02\n" * 50)
    with pytest.raises(InputError, match="binary"):
        rows_of(p)
    p.write_bytes(b'{"a": 1}\n\xff\xfe{"a": 2}\n')  # a later line starting like a UTF-16 mark
    recs = rows_of(p)
    assert recs[0].data == {"a": 1} and "line 2: the row is not valid UTF-8 (byte 0xff at offset 0)" in recs[1].error


def test_malformed_json_messages_read_once(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text('{"article": "a raw\ttab is a control character"}\n', encoding="utf-8")
    (rec,) = list(read_records(path))
    assert rec.error.startswith("line 1: malformed JSON (Invalid control character at column")


def test_a_column_named_twice_is_left_out_with_a_note(tmp_path, capsys):
    """Which copy is meant is a guess: neither is used. A job that needs it then says the column is
    missing; one that does not (a repeated "note") runs."""
    p = tmp_path / "d.csv"
    p.write_text("id,article,note,note\n1,the text,a,b\n", encoding="utf-8")
    assert [r.data for r in read_records(p)] == [{"id": "1", "article": "the text"}]
    assert "names column 'note' twice; both are left out" in capsys.readouterr().err


def test_a_file_name_that_is_not_utf8_becomes_an_id_any_output_can_hold(tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    try:
        (folder / os.fsdecode(b"bad\xff.txt")).write_text("The council approved the bridge.", encoding="utf-8")
    except (OSError, UnicodeError):
        pytest.skip("this file system takes only UTF-8 names")
    (folder / "good.txt").write_text("The mayor opened the park.", encoding="utf-8")
    got = rows_of(folder)
    assert [r.data["id"] for r in got] == ["bad\\xff.txt", "good.txt"]
    json.dumps([r.data for r in got], ensure_ascii=False).encode("utf-8")  # was UnicodeEncodeError: the job died


def test_parquet_is_read_a_slice_at_a_time_in_order(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from summarizer.records import _read_parquet

    p = tmp_path / "d.parquet"
    pq.write_table(pa.Table.from_pylist([{"id": f"r{i}", "article": f"Text {i}."} for i in range(25)]), p,
                   row_group_size=7)
    got = list(_read_parquet(p, rows_at_once=4))
    assert [r.line for r in got] == list(range(1, 26)) and got[-1].data == {"id": "r24", "article": "Text 24."}
