"""Hostile and broken inputs: each gives a specific message (file, line, what to do) or
quarantines the offending rows, and never leaves a partial batch."""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from shoplytics_desktop.core.errors import ImportError_
from shoplytics_desktop.core.ingest import import_events, inspect_sources, propose_mapping
from shoplytics_desktop.core.ingest.mapping import SourceOptions
from shoplytics_desktop.core.models.runner import run_project
from shoplytics_desktop.core.workspace import Workspace
from tests.samples import SAME_SHAPE

HEADER = "event_time,event_type,user_id,product_id,price\n"


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    with Workspace.open(tmp_path / "ws") as w:
        yield w


def nothing_written(ws: Workspace) -> bool:
    return all(
        ws.row_count(s, t) == 0
        for s, t in (("raw", "events"), ("raw", "rejected_events"), ("_shoplytics", "batches"))
    )


def fails(ws: Workspace, path: Path, pattern: str, **kwargs: object) -> ImportError_:
    with pytest.raises(ImportError_, match=pattern) as info:
        import_events(ws, [path], **kwargs)  # type: ignore[arg-type]
    assert str(path) in info.value.message or path.name in info.value.message
    assert info.value.hint, "every error says what to do"
    assert nothing_written(ws)
    return info.value


@pytest.mark.reliability
def test_empty_file(ws: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "empty.csv"
    f.write_bytes(b"")
    fails(ws, f, r"is empty \(0 bytes\)")


@pytest.mark.reliability
def test_header_only(ws: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "header.csv"
    f.write_text(HEADER)
    fails(ws, f, "has a header row but no data rows")


@pytest.mark.reliability
def test_one_row_without_a_header(ws: Workspace, tmp_path: Path) -> None:
    # Its line is a row (it holds a time), not a header: read without one, its columns are
    # named by position and the error says which it saw.
    f = tmp_path / "one.csv"
    f.write_text("2024-01-01 00:00:00,view,u1\n")
    fails(ws, f, r"could be found in .*columns seen: column0, column1, column2")


@pytest.mark.reliability
def test_binary_garbage(ws: Workspace, tmp_path: Path) -> None:
    rng = random.Random(7)
    f = tmp_path / "garbage.csv"
    f.write_bytes(bytes(rng.randrange(256) for _ in range(20_000)))
    fails(ws, f, "does not look like a CSV, JSON or Parquet file")


@pytest.mark.reliability
def test_nul_padding_after_the_text_is_not_binary(ws: Workspace, tmp_path: Path) -> None:
    """A file padded with NUL bytes after its last line (a copy cut short) was refused whole as
    binary data: its rows load and the padding is a rejected line. NULs within the text are
    still binary data."""
    text = ("event_id,event_time,event_type,user_id\n2024-03-01 10:00:00,view,u1\n"
            .replace("2024", "e1,2024") + "e2,2024-03-01 10:01:00,view,u2\n")
    mid = tmp_path / "mid.csv"
    mid.write_bytes(text.encode()[:40] + b"\x00" * 300 + text.encode()[40:])
    fails(ws, mid, "holds binary data")
    f = tmp_path / "padded.csv"
    f.write_bytes(text.encode() + b"\x00" * 300)
    report = import_events(ws, [f])
    assert report.validation is not None
    assert (report.validation.rows_loaded, report.validation.rows_rejected) == (2, 1)


@pytest.mark.reliability
def test_truncated_gzip(ws: Workspace, tmp_path: Path) -> None:
    data = gzip.compress(SAME_SHAPE.read_bytes())
    f = tmp_path / "cut.csv.gz"
    f.write_bytes(data[: len(data) // 2])
    fails(ws, f, "truncated or damaged gzip file")


@pytest.mark.reliability
def test_truncated_parquet(ws: Workspace, tmp_path: Path) -> None:
    good = tmp_path / "good.parquet"
    duckdb.connect().execute(f"COPY (SELECT 1 AS a) TO '{good}' (FORMAT parquet)")
    f = tmp_path / "cut.parquet"
    f.write_bytes(good.read_bytes()[:-10])
    fails(ws, f, "damaged or incomplete Parquet file")


@pytest.mark.reliability
def test_wrong_delimiter_lists_the_columns_seen(ws: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "semi.csv"
    f.write_text("event_time;event_type;user_id\n2024-01-01 00:00:00;view;u1\n")
    info = inspect_sources([f], SourceOptions(delimiter=","))
    mapping = propose_mapping(info)
    err = fails(ws, f, r"No column for .*user \(user_id\) could be found", mapping=mapping)
    assert "columns seen: event_time;event_type;user_id" in err.message
    assert "another delimiter" in err.hint


@pytest.mark.reliability
def test_missing_required_column(ws: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "noevent.csv"
    f.write_text("event_time,user_id,price\n2024-01-01 00:00:00,u1,3\n")
    err = fails(ws, f, r"No column for event name \(event_type\)")
    assert "columns seen: event_time, user_id, price" in err.message


@pytest.mark.reliability
def test_ragged_rows_are_quarantined_with_their_lines(ws: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "ragged.csv"
    f.write_text(
        HEADER
        + "2024-01-01 00:00:00,view,u1,p1,1\n"  # line 2
        + "2024-01-01 00:00:01,view,u1\n"  # line 3: too few
        + "2024-01-01 00:00:02,view,u1,p2,2,extra\n"  # line 4: too many
        + "2024-01-01 00:00:03,view,u2,p3,3\n"  # line 5
        + "2024-01-01 00:00:04,view,u2,p4,-1\n"  # line 6: negative price
    )
    v = import_events(ws, [f]).validation
    assert v is not None
    assert (v.rows_read, v.rows_loaded, v.rows_rejected) == (5, 2, 3)
    assert {r.reason: r.example_lines for r in v.reasons} == {
        "row has fewer fields than the header": "3",
        "row has more fields than the header": "4",
        "price is negative": "6",
    }
    rows = ws.cursor().execute(
        "SELECT _source_line FROM raw.events ORDER BY 1"
    ).fetchall()
    assert rows == [(2,), (5,)]
    kept = ws.cursor().execute(
        "SELECT source_row ->> 'line' FROM raw.rejected_events WHERE _source_line = 4"
    ).fetchall()
    assert kept == [("2024-01-01 00:00:02,view,u1,p2,2,extra",)]


@pytest.mark.reliability
def test_latin1_text_is_decoded(ws: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "latin1.csv"
    f.write_bytes("event_time,event_type,user_id,brand\n2024-01-01 00:00:00,view,u1,Café Müller\n"
                  .encode("latin-1"))
    report = import_events(ws, [f])
    assert any("Windows-1252" in n for n in report.notes)
    assert ws.cursor().execute("SELECT brand FROM raw.events").fetchall() == [("Café Müller",)]


@pytest.mark.reliability
def test_windows_1252_files_keep_their_names_lines_and_rejects(ws: Workspace, tmp_path: Path) -> None:
    """Gzip, a ragged line, and a UTF-8 file beside a Windows-1252 one in one batch."""
    import gzip

    header = "event_time,event_type,user_id,brand\n"
    excel = tmp_path / "excel.csv.gz"
    excel.write_bytes(gzip.compress((header + "2024-01-01 00:00:00,view,u1,\u201cA\u201d\n"
                                     "2024-01-01 00:00:01,view,u2,B,extra\n"
                                     "2024-01-01 00:00:02,view,u3,\u2013\n").encode("cp1252")))
    plain = tmp_path / "plain.csv"
    plain.write_text(header + "2024-01-01 00:00:03,view,u4,Straße\n", encoding="utf-8")
    report = import_events(ws, [excel, plain])
    v = report.validation
    assert v is not None and (v.rows_loaded, v.rows_rejected) == (3, 1)
    rows = ws.cursor().execute(
        "SELECT _source_file, _source_line, brand FROM raw.events ORDER BY user_id"
    ).fetchall()
    assert rows == [(str(excel), 2, "\u201cA\u201d"), (str(excel), 4, "\u2013"), (str(plain), 2, "Straße")]
    rejected = ws.cursor().execute("SELECT _source_file, _source_line FROM raw.rejected_events").fetchall()
    assert rejected == [(str(excel), 3)]


@pytest.mark.reliability
def test_invalid_utf8_after_the_sample_is_quarantined(ws: Workspace, tmp_path: Path) -> None:
    good = "".join(f"2024-01-01 00:00:00,view,u{i},p{i},1\n" for i in range(5000))  # > 64 KB
    f = tmp_path / "late.csv"
    f.write_bytes(HEADER.encode() + good.encode() + b"2024-01-01 00:00:00,view,u\xff,p,1\n")
    v = import_events(ws, [f]).validation
    assert v is not None
    assert (v.rows_loaded, v.rows_rejected) == (5000, 1)
    assert [(r.reason, r.example_lines) for r in v.reasons] == [("text is not valid UTF-8", "5002")]


def test_a_utf8_file_with_one_windows_1252_line_stays_utf8(ws: Workspace, tmp_path: Path) -> None:
    """One stray byte of another encoding made the whole file Windows-1252: every 'Küche' of
    the file's UTF-8 rows was read as 'KÃ¼che'. The stray line is quarantined instead."""
    good = "".join(f"2024-01-01 00:00:{i % 60:02d},view,u{i},Küche-{i},1\n" for i in range(50))
    f = tmp_path / "mostly.csv"
    f.write_bytes(HEADER.encode() + good.encode() + "2024-01-01 00:01:00,view,u,Café,1\n".encode("cp1252")
                  + good.encode())
    v = import_events(ws, [f]).validation
    assert v is not None and (v.rows_loaded, v.rows_rejected) == (50, 1)
    assert [(r.reason, r.example_lines) for r in v.reasons] == [("text is not valid UTF-8", "52")]
    names = ws.cursor().execute("SELECT DISTINCT left(product_id, 5) FROM raw.events").fetchall()
    assert names == [("Küche",)]


def test_a_title_or_blank_lines_above_the_header(ws: Workspace, tmp_path: Path) -> None:
    """A report's title lines above the header made the title the one column ("the file
    probably uses another delimiter"); blank lines above it made the header a rejected row."""
    report = tmp_path / "report.csv"
    report.write_text("Report: Events export\nGenerated: 2024-03-05\n\n" + HEADER
                      + "2024-03-01 10:00:00,purchase,u1,p1,12.50\n"
                      + "2024-03-01 10:01:00,view,u2,p1,-1\n")
    done = import_events(ws, [report])
    assert done.validation is not None
    assert (done.validation.rows_loaded, done.validation.rows_rejected) == (1, 1)
    assert [(r.reason, r.example_lines) for r in done.validation.reasons] == [
        ("price is negative", "6")]
    assert any("first 3 lines" in n for n in done.notes)
    blank = tmp_path / "blank.csv"
    blank.write_text("\n\n" + HEADER + "2024-03-02 10:00:00,view,u3,p1,1\n")
    v = import_events(ws, [blank]).validation
    assert v is not None and (v.rows_read, v.rows_loaded, v.rows_rejected) == (1, 1, 0)
    assert ws.cursor().execute("SELECT user_id, _source_line FROM raw.events ORDER BY 1").fetchall() \
        == [("u1", 5), ("u3", 4)]


@pytest.mark.reliability
def test_a_5mb_line(ws: Workspace, tmp_path: Path) -> None:
    header_only = tmp_path / "wide.csv"
    header_only.write_text("event_time,event_type,user_id," + "x" * 5_000_000 + "\n")
    fails(ws, header_only, "has a header row but no data rows")
    long_value = tmp_path / "long.csv"
    long_value.write_text(
        "event_time,event_type,user_id,note\n2024-01-01 00:00:00,view,u1," + "y" * 5_000_000
        + "\n2024-01-01 00:00:01,view,u2,short\n"
    )
    v = import_events(ws, [long_value]).validation
    assert v is not None and (v.rows_loaded, v.rows_rejected) == (2, 0)
    one_line_json = tmp_path / "array.json"
    one_line_json.write_text(
        "[" + ",".join(
            f'{{"ts":"2024-01-02 00:00:00","event":"view","user":"u{i}","pad":"{"z" * 1000}"}}'
            for i in range(5000)
        ) + "]"
    )
    v = import_events(ws, [one_line_json]).validation
    assert v is not None and v.rows_loaded == 5000


@pytest.mark.reliability
def test_mixed_types_and_unparseable_values(ws: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "mixed.csv"
    f.write_text(
        HEADER
        + "2024-01-01 00:00:00,view,1,p1,1.5\n"
        + "2024-01-01 00:00:00,view,abc,p1,n/a\n"  # price is text
        + "2024-31-12,view,2,p1,3\n"  # unparseable date (31.12.2024 would be read: proposal.py)
        + "2024-01-01 00:00:00,zoomed_in,3,p1,3\n"  # unknown name → other, loaded
        + ",view,4,p1,3\n"  # no time
        + "2024-01-01 00:00:00,cart,5,,3\n"  # cart without product
    )
    v = import_events(ws, [f]).validation
    assert v is not None
    assert (v.rows_read, v.rows_loaded, v.rows_rejected) == (6, 2, 4)
    assert {r.reason: r.example_lines for r in v.reasons} == {
        "price is not a number": "3",
        "event_time could not be parsed": "4",
        "event_time is missing": "6",
        "product_id is missing on a cart event": "7",
    }
    assert ws.cursor().execute(
        "SELECT event_type FROM raw.events WHERE event_name = 'zoomed_in'"
    ).fetchall() == [("other",)]


@pytest.mark.reliability
def test_parquet_with_wrong_types(ws: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "typed.parquet"
    duckdb.connect().execute(
        f"""COPY (SELECT '2024-01-01 00:00:00' AS event_time, 'view' AS event_type,
                         42 AS user_id, v AS price
                  FROM (VALUES ('1.50'), ('abc'), ('-2'), ('NaN')) t(v)) TO '{f}' (FORMAT parquet)"""
    )
    v = import_events(ws, [f]).validation
    assert v is not None
    assert (v.rows_loaded, v.rows_rejected) == (1, 3)
    assert {r.reason: r.example_lines for r in v.reasons} == {
        "price is not a number": "2, 4",
        "price is negative": "3",
    }
    assert ws.cursor().execute("SELECT user_id, CAST(price AS VARCHAR) FROM raw.events").fetchall() == [
        ("42", "1.50")
    ]


@pytest.mark.reliability
@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_amounts_beyond_the_stored_types_are_rejected_and_the_run_still_works(
    ws: Workspace, tmp_path: Path, suffix: str
) -> None:
    """A price that rounds up to 10^10 failed the whole file as a cast error; a line whose
    price × quantity passes DECIMAL(18,2) loaded and stopped every later run with an overflow."""
    rows = [("p1", "5.00", 1), ("p2", "9999999999.995", 1), ("p3", "50000000.00", 300000000),
            ("p4", "9999999999.99", 999999)]
    f = tmp_path / f"amounts{suffix}"
    if suffix == ".csv":
        f.write_text("event_time,event_type,user_id,product_id,price,quantity\n" + "".join(
            f"2024-03-01 10:00:0{i},purchase,u{i},{p},{price},{q}\n"
            for i, (p, price, q) in enumerate(rows)))
    else:
        f.write_text("[" + ",".join(
            f'{{"event_time": "2024-03-01 10:00:0{i}", "event_type": "purchase", '
            f'"user_id": "u{i}", "product_id": "{p}", "price": {price}, "quantity": {q}}}'
            for i, (p, price, q) in enumerate(rows)) + "]")
    v = import_events(ws, [f]).validation
    assert v is not None and (v.rows_loaded, v.rows_rejected) == (2, 2)
    assert sorted(r.reason for r in v.reasons) == [
        "price is too large for DECIMAL(12,2) (≥ 10,000,000,000)",
        "price × quantity is too large (≥ 10,000,000,000,000,000)",
    ]
    run = run_project(ws)
    assert run.published, run.message
    total = ws.cursor().execute("SELECT sum(revenue) FROM marts.fct_daily_engagement").fetchall()
    assert total == [(Decimal("9999989999990005.01"),)]


@pytest.mark.reliability
def test_all_rows_rejected_is_an_error_and_writes_nothing(ws: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "allbad.csv"
    f.write_text(HEADER + "nope,view,u1,p1,1\nnever,view,u2,p2,1\n")
    err = fails(ws, f, r"Nothing could be loaded .*all 2 rows")
    assert "event_time could not be parsed: 2 (e.g. line 2, 3)" in err.message


@pytest.mark.reliability
def test_malformed_ndjson_lines_are_quarantined_with_their_lines(ws: Workspace, tmp_path: Path) -> None:
    """A damaged line of an NDJSON export (or one cut short at its end) refused the whole file;
    it is quarantined like a CSV row that cannot be split, and every other line loads with its
    own line number (blank lines counted)."""
    good = '{"ts":"2024-01-01 10:00:0%d","event":"view","user":"u%d"}\n'
    f = tmp_path / "bad.ndjson"
    f.write_text(good % (1, 1) + '{"ts": broken\n' + "\n" + good % (2, 2) + "}{\n"
                 + good % (3, 3) + '{"ts":"2024-01-01 10:00:04","ev')
    v = import_events(ws, [f]).validation
    assert v is not None and (v.rows_read, v.rows_loaded, v.rows_rejected) == (6, 3, 3)
    assert [(r.reason, r.example_lines) for r in v.reasons] == [
        ("line is not a valid JSON object", "2, 5, 7")]
    assert ws.cursor().execute("SELECT user_id, _source_line FROM raw.events ORDER BY 2").fetchall() \
        == [("u1", 1), ("u2", 4), ("u3", 6)]
    kept = ws.cursor().execute("SELECT source_row ->> 'line' FROM raw.rejected_events "
                               "WHERE _source_line = 2").fetchall()
    assert kept == [('{"ts": broken',)]
    # A damaged first line: the rows under it keep their lines too.
    first = tmp_path / "first.ndjson"
    first.write_text("{oops\n" + good % (5, 5) + good % (6, 6))
    v = import_events(ws, [first]).validation
    assert v is not None and (v.rows_loaded, v.rows_rejected) == (2, 1)
    assert ws.cursor().execute("SELECT user_id, _source_line FROM raw.events WHERE user_id > 'u4' "
                               "ORDER BY 2").fetchall() == [("u5", 2), ("u6", 3)]


@pytest.mark.reliability
def test_malformed_json_names_the_file_and_line(ws: Workspace, tmp_path: Path) -> None:
    # A JSON document (not one object per line) is read whole: broken, it cannot be read.
    f = tmp_path / "bad.json"
    f.write_text('[{"ts":"2024-01-01","event":"view","user":"u1"},\n{"ts": broken}]\n')
    fails(ws, f, r"is not valid JSON: .*(line|record/value) \d")


@pytest.mark.reliability
def test_identifiers_from_files_are_data(ws: Workspace, tmp_path: Path) -> None:
    evil = 'x"; DROP TABLE raw.events; --'
    f = tmp_path / "evil.csv"
    f.write_text(f'event_time,event_type,user_id,"{evil.replace(chr(34), chr(34) * 2)}",\'o\'\'k\'\n'
                 "2024-01-01 00:00:00,view,u1,boom,fine\n")
    v = import_events(ws, [f]).validation
    assert v is not None and v.rows_loaded == 1
    props = ws.cursor().execute("SELECT properties FROM raw.events").fetchone()
    assert props is not None
    assert json.loads(props[0]) == {evil: "boom", "'o''k'": "fine"}
    assert ws.table_exists("raw", "events")


@pytest.mark.reliability
def test_missing_file_and_empty_folder(ws: Workspace, tmp_path: Path) -> None:
    with pytest.raises(ImportError_, match="does not exist"):
        import_events(ws, [tmp_path / "nope.csv"])
    (tmp_path / "empty_dir").mkdir()
    with pytest.raises(ImportError_, match="holds no data files"):
        import_events(ws, [tmp_path / "empty_dir"])
    with pytest.raises(ImportError_, match="No file matches"):
        import_events(ws, [str(tmp_path / "*.parquet")])
    assert nothing_written(ws)


def test_a_folders_readme_is_not_data(ws: Workspace, tmp_path: Path) -> None:
    drop = tmp_path / "export"
    drop.mkdir()
    (drop / "README.txt").write_text("Exported from the shop on 2024-03-02.\nColumns: see docs.\n")
    (drop / "LICENSE").write_text("All rights reserved.\n")
    (drop / "events.txt").write_text(
        "event_id\tevent_time\tevent_type\tuser_id\ne1\t2024-03-01T10:00:00Z\tview\tu1\n")
    v = import_events(ws, [drop]).validation
    assert v is not None and (v.rows_read, v.rows_loaded) == (1, 1)
    (drop / "events.txt").unlink()
    with pytest.raises(ImportError_, match="README and LICENSE files are not data"):
        import_events(ws, [drop])


@pytest.mark.reliability
def test_unclosed_quote(ws: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "quote.csv"
    f.write_text(HEADER + '2024-01-01 00:00:00,view,"u1,p1,1\n2024-01-01 00:00:01,view,u2,p2,1\n')
    fails(ws, f, "could not be split into columns")


@pytest.mark.reliability
def test_latin1_json_is_decoded(ws: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "latin1.ndjson"
    f.write_bytes('{"ts": "2024-01-01 00:00:00", "event": "view", "user": "Café"}\n'.encode("latin-1"))
    report = import_events(ws, [f])
    assert report.validation is not None and report.validation.rows_loaded == 1
    assert ws.cursor().execute("SELECT user_id, _source_file FROM raw.events").fetchall() == [
        ("Café", str(f))
    ]


def test_an_interrupt_while_reading_is_a_cancel_not_a_read_error() -> None:
    import duckdb

    from shoplytics_desktop.core.errors import Cancelled
    from shoplytics_desktop.core.ingest import readers

    err = readers.read_error(duckdb.InterruptException("INTERRUPT Error: Interrupted!"), "a.csv", "csv")
    assert isinstance(err, Cancelled)


@pytest.mark.reliability
def test_excel_unicode_text_utf16_tsv_imports(ws: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "excel-unicode.txt"
    text = "event_time\tevent_type\tuser_id\tbrand\r\n2024-01-01 00:00:00\tview\tu1\tCafé “Noir”\r\n"
    f.write_bytes(text.encode("utf-16"))  # with its byte-order mark, as Excel writes it
    report = import_events(ws, [f])
    assert any("UTF-16" in n for n in report.notes)
    assert report.validation is not None and report.validation.rows_loaded == 1
    assert ws.cursor().execute("SELECT brand, _source_file, _source_line FROM raw.events").fetchall() == [
        ("Café “Noir”", str(f), 2)
    ]


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_its_byte_order_mark_imports(ws: Workspace, tmp_path: Path, codec: str) -> None:
    """Without the mark, every other byte of UTF-16 text is a NUL: it was refused as binary."""
    f = tmp_path / "nobom.csv"
    f.write_bytes(("event_time,event_type,user_id,brand\n"
                   + "".join(f"2024-01-01 00:00:0{i},view,u{i},Küche\n" for i in range(5))
                   ).encode(codec))
    report = import_events(ws, [f])
    assert report.validation is not None and report.validation.rows_loaded == 5
    assert ws.cursor().execute("SELECT DISTINCT brand FROM raw.events").fetchall() == [("Küche",)]


def test_random_bytes_behind_a_utf16_mark_are_binary(ws: Workspace, tmp_path: Path) -> None:
    import random

    f = tmp_path / "noise.csv"
    f.write_bytes(b"\xff\xfe" + random.Random(4).randbytes(6000))
    fails(ws, f, "holds binary data")


def test_a_refused_row_whose_message_cuts_a_character_is_explained(ws: Workspace, tmp_path: Path) -> None:
    # A key repeated in one JSON object: DuckDB refuses it with a message quoting the object cut
    # in the middle of '€' (from the Windows-1252 byte 0x80), which Python cannot decode.
    f = tmp_path / "dup.ndjson"
    row = (b'{"event_id":"1000-j2","ts":"2024-03-01T10:00:05Z","event":"product_view","user":"u1",'
           b'"product_id":"p1","price":19.99,"extra":{"k":[1,2]}}\n')
    f.write_bytes(
        b'{"event_id":"1000-j1","ts":"2024-03-01T10:00:00Z","event":"page_view","user":"u1"}\n'
        + row + row
        + b'{"event_id":"1000-j3","ts":"2024-03-01T10:01:\x80\x80Z","event":"purchase","user":"u1",'
        b'"product_id":"p1","event_id":"1000-j4","ts":1709287200,"event":"page_view",'
        b'"user":"u2","note":"caf\xc3\xa9"}\n')
    with pytest.raises(ImportError_, match="cannot be read as NDJSON: DuckDB refused one"):
        import_events(ws, [f])
    assert nothing_written(ws)


def test_a_folder_mixing_gzip_and_plain_files_reads_both(ws: Workspace, tmp_path: Path) -> None:
    import gzip

    drop = tmp_path / "export"
    drop.mkdir()
    line = b'{"event_id":"e1","event_time":"2024-03-01T10:00:00Z","event":"view","user":"u1"}\n'
    (drop / "a.json").write_bytes(line)
    (drop / "b.json.gz").write_bytes(gzip.compress(line.replace(b"e1", b"e2")))
    report = import_events(ws, [drop])
    assert report.rows_loaded == 2
    assert any("gzip-compressed and the others not" in n for n in report.notes)
    # Each row names the file the user has, not the decompressed copy.
    assert sorted(ws.cursor().execute(
        "SELECT event_id, _source_file FROM raw.events").fetchall()) == [
        ("e1", str(drop / "a.json")), ("e2", str(drop / "b.json.gz"))]
