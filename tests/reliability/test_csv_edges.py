"""CSV edges: a last line longer than the longest line the reader takes, a header with quoted
quotes, and source columns that carry the names the import uses inside (``rowid``, ``__line``,
``__file``, Parquet's ``file_row_number``) are all imported or rejected with a reason: never
silently dropped, refused or mixed up with the line numbers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from shoplytics_desktop.core.ingest import import_events
from shoplytics_desktop.core.sqlutil import quote_literal
from shoplytics_desktop.core.workspace import Workspace

pytestmark = pytest.mark.reliability

HEADER = b"event_id,event_time,event_type,user_id,category\n"


@pytest.fixture
def empty_ws(tmp_path: Path) -> Iterator[Workspace]:
    with Workspace.open(tmp_path / "ws") as ws:
        yield ws


def _rows(n: int) -> bytes:
    return b"".join(b"e%d,2024-03-01 10:00:%02d,page_view,u1,shoes\n" % (i, i % 60)
                    for i in range(n))


@pytest.mark.slow
@pytest.mark.parametrize("early_long_line", [False, True], ids=["2MB-lines", "64MB-lines"])
def test_an_over_long_last_line_without_a_newline_is_not_dropped(
    empty_ws: Workspace, tmp_path: Path, early_long_line: bool
) -> None:
    """The reader silently skipped a last line longer than the longest it takes (2 MB, or 64 MB
    once the sample shows a long line) when no newline ends it."""
    f = tmp_path / "long_last.csv"
    rows = 29_999
    big_mb = 140 if early_long_line else 70
    with f.open("wb") as fh:
        fh.write(HEADER)
        if early_long_line:  # within the sniffer's sample: lines up to 64 MB are read
            fh.write(b"long,2024-03-01 10:00:59,page_view,u1," + b"z" * 3_000_000 + b"\n")
        fh.write(_rows(rows))
        fh.write(b"big,2024-03-01 10:01:00,page_view,u1,")
        chunk = b"x" * (1024 * 1024)
        for _ in range(big_mb):
            fh.write(chunk)
    if early_long_line:
        rows += 1
    report = import_events(empty_ws, [f])
    v = report.validation
    assert v is not None and (v.rows_read, v.rows_loaded, v.rows_rejected) == (
        rows + 1, rows, 1), v
    (reason,) = v.reasons
    assert "longer than" in reason.reason and reason.examples[0].line == rows + 2, reason.reason
    rej = empty_ws.cursor().execute(
        "SELECT _source_file, _source_line, length(CAST(source_row AS VARCHAR)) "
        "FROM raw.rejected_events").fetchall()
    assert rej[0][:2] == (str(f), rows + 2) and rej[0][2] < 100_000


def test_a_header_with_quoted_quotes(empty_ws: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "quoted_header.csv"
    f.write_bytes(b'event_id,event_time,event_type,user_id,"a ""quoted"" name"\n'
                  b'q1,2024-03-01 10:00:00,page_view,u1,"say ""hi"""\n')
    report = import_events(empty_ws, [f])
    assert report.validation is not None and report.validation.rows_loaded == 1
    props = empty_ws.cursor().execute("SELECT properties FROM raw.events").fetchone()
    assert props is not None and json.loads(props[0]) == {'a "quoted" name': 'say "hi"'}


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["LF", "CRLF"])
def test_rejected_rows_name_their_line_after_values_with_line_breaks(
        empty_ws: Workspace, tmp_path: Path, newline: str) -> None:
    """Quoted values with line breaks (a note, an address) make a record span several lines;
    a rejected row after them is named by the line it starts on in the file, as an editor shows
    it (they were named by record: line 4 for line 7), in the import, its dry run and the
    quarantine, for rows the mapping rejects and lines the reader cannot split, in two files."""
    from shoplytics_desktop.core.ingest import inspect_sources, validate

    lines = ["event_time,event_type,user_id,product_id,price,note",
             '2024-03-01 10:00:00,view,u1,p1,10.00,"line one', 'line two"',
             '2024-03-01 10:01:00,cart,u1,p1,10.00,"a', "b", 'c"',
             "2024-03-01 10:02:00,view,u2,p2,-1.50,x",                # line 7: negative price
             "2024-03-01 10:02:00,view,u2,p2,1.50,x,extra",           # line 8: a field more
             'not a date,view,u2,p2,3.00,"spans', 'two"',             # line 9: bad time
             "2024-03-01 10:05:00,view,u3,p2,-2.00,y"]                # line 11: negative price
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_bytes(newline.join(lines).encode() + newline.encode())
    b.write_bytes(newline.join(lines[:1] + lines[6:7]).encode() + newline.encode())  # line 2
    expected = [("a.csv", 7, "price is negative"), ("a.csv", 8, "row has more fields"),
                ("a.csv", 9, "event_time could not be parsed"), ("a.csv", 11, "price is negative"),
                ("b.csv", 2, "price is negative")]

    def named(examples: list[tuple[str, int, str]]) -> list[tuple[str, int, str]]:
        return sorted((Path(f).name, int(n), r[:17]) for f, n, r in examples)

    info = inspect_sources([a, b])
    checked = validate(empty_ws, info, import_events(empty_ws, [a, b], dry_run=True).mapping)
    shown = [(e.file, e.line, r.reason) for r in checked.reasons for e in r.examples]
    assert named(shown) == [(f, n, r[:17]) for f, n, r in expected]
    report = import_events(empty_ws, [a, b])
    assert report.validation is not None and report.validation.rows_loaded == 2
    shown = [(e.file, e.line, r.reason) for r in report.validation.reasons for e in r.examples]
    assert named(shown) == [(f, n, r[:17]) for f, n, r in expected]
    stored = empty_ws.cursor().execute(
        "SELECT _source_file, _source_line, reason FROM raw.rejected_events").fetchall()
    assert named(stored) == [(f, n, r[:17]) for f, n, r in expected]
    # The loaded rows' own text keeps its line breaks.
    notes = empty_ws.cursor().execute(
        "SELECT properties ->> 'note' FROM raw.events ORDER BY event_time").fetchall()
    assert [n[0].replace("\r", "") for n in notes] == ["line one\nline two", "a\nb\nc"]


INTERNAL = ["rowid", "__line", "__file", "ROWID", "__first", "__rn", "file_row_number"]


def test_columns_named_like_internal_ones_are_source_columns(empty_ws: Workspace,
                                                             tmp_path: Path) -> None:
    f = tmp_path / "internal_names.csv"
    header = "event_id,event_time,event_type,user_id," + ",".join(
        n for n in INTERNAL if n != "ROWID")
    lines = [header] + [
        f"i{k},2024-03-01 10:00:0{k},page_view,u1," + ",".join(f"{n}-{k}" for n in INTERNAL
                                                               if n != "ROWID")
        for k in range(3)
    ] + ["i9,not a time,page_view,u1," + ",".join("x" for n in INTERNAL if n != "ROWID")]
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = import_events(empty_ws, [f])
    v = report.validation
    assert v is not None and (v.rows_loaded, v.rows_rejected) == (3, 1)
    cur = empty_ws.cursor()
    rows = cur.execute(
        "SELECT event_id, _source_file, _source_line, properties FROM raw.events ORDER BY 1"
    ).fetchall()
    assert [(r[0], r[1], r[2]) for r in rows] == [
        (f"i{k}", str(f), k + 2) for k in range(3)]
    for k, row in enumerate(rows):
        assert json.loads(row[3]) == {n: f"{n}-{k}" for n in INTERNAL if n != "ROWID"}
    rej = cur.execute("SELECT _source_file, _source_line FROM raw.rejected_events").fetchall()
    assert rej == [(str(f), 5)]


def test_parquet_and_ndjson_columns_named_like_internal_ones(empty_ws: Workspace,
                                                             tmp_path: Path) -> None:
    pq = tmp_path / "internal.parquet"
    con = duckdb.connect()
    try:
        con.execute(
            f"""COPY (SELECT 'p' || i AS event_id, TIMESTAMP '2024-03-01' + to_seconds(i)
                         AS event_time, 'page_view' AS event_type, 'u1' AS user_id,
                         100 + i AS file_row_number, 'f' || i AS __file, 7 AS rowid,
                         'l' AS __line
                  FROM range(3) t(i)) TO {quote_literal(str(pq))} (FORMAT parquet)"""
        )
    finally:
        con.close()
    report = import_events(empty_ws, [pq])
    assert report.validation is not None and report.validation.rows_loaded == 3
    rows = empty_ws.cursor().execute(
        "SELECT _source_file, _source_line, properties FROM raw.events ORDER BY event_id"
    ).fetchall()
    assert [(r[0], r[1]) for r in rows] == [(str(pq), k + 1) for k in range(3)]
    assert json.loads(rows[2][2]) == {"file_row_number": 102, "__file": "f2", "rowid": 7,
                                      "__line": "l"}
    nd = tmp_path / "internal.ndjson"
    nd.write_text("".join(
        json.dumps({"event_id": f"j{k}", "event_time": "2024-03-01T10:00:00Z",
                    "event_type": "page_view", "user_id": "u1", "__file": "x", "__line": k,
                    "rowid": "r"}) + "\n" for k in range(2)), encoding="utf-8")
    report = import_events(empty_ws, [nd])
    assert report.validation is not None and report.validation.rows_loaded == 2
    rows = empty_ws.cursor().execute(
        "SELECT _source_file, _source_line, properties FROM raw.events WHERE event_id LIKE 'j%' "
        "ORDER BY event_id").fetchall()
    assert [(r[0], r[1]) for r in rows] == [(str(nd), 1), (str(nd), 2)]
    assert json.loads(rows[1][2]) == {"__file": "x", "__line": 1, "rowid": "r"}
