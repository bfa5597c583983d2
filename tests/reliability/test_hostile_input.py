"""Hostile files, generated: valid small CSV and NDJSON files mutated byte by byte (truncated, with
quotes, newlines, NULs, delimiters, braces or random bytes inserted, spans replaced, non-UTF-8), and
plain random bytes, fed to ``import_events``.

Each one either loads or raises a ShoplyticsError (never another exception); a failure leaves the
workspace as it was (no partial batch); a load accounts for every row read (loaded + duplicate +
rejected), and the workspace holds exactly the loaded and rejected rows the report gives.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shoplytics_desktop.core.errors import ShoplyticsError
from shoplytics_desktop.core.ingest import import_events
from shoplytics_desktop.core.workspace import Workspace
from tests.reliability.support import Snapshot, check_consistent, record_figure

pytestmark = pytest.mark.reliability

EXAMPLES = 100

CSV = (
    b"event_id,event_time,event_type,user_id,session_id,product_id,price,category\n"
    b"e1,2024-03-01 10:00:00,page_view,u1,s1,,,\n"
    b'e2,2024-03-01 10:00:05,product_view,u1,s1,p1,19.99,"shoes, red"\n'
    b"e3,2024-03-01 10:01:00,add_to_cart,u1,s1,p1,19.99,shoes\n"
    b"e4,2024-03-01T10:02:00Z,purchase,u1,s1,p1,19.99,shoes\n"
    b"e5,2024-03-02 08:00:00,page_view,u2,s2,,,\n"
    b'e6,2024-03-02 08:00:30,product_view,u2,s2,p2,5.00,"say ""hi"""\n'
)
NDJSON = (
    b'{"event_id":"j1","ts":"2024-03-01T10:00:00Z","event":"page_view","user":"u1"}\n'
    b'{"event_id":"j2","ts":"2024-03-01T10:00:05Z","event":"product_view","user":"u1",'
    b'"product_id":"p1","price":19.99,"extra":{"k":[1,2]}}\n'
    b'{"event_id":"j3","ts":"2024-03-01T10:01:00Z","event":"purchase","user":"u1",'
    b'"product_id":"p1","price":"19.99"}\n'
    b'{"event_id":"j4","ts":1709287200,"event":"page_view","user":"u2","note":"caf\xc3\xa9"}\n'
)
NASTY = [b'"', b"'", b"\n", b"\r", b"\r\n", b"\x00", b",", b";", b"\t", b"|", b"\\", b"{", b"}",
         b"[", b"]", b":", b"\xff", b"\xe9", b"\xc3", b"\xef\xbb\xbf", b"NaN", b"-1e999",
         b"9999-99-99", b"\x1b[31m", b"=cmd|' /C calc'!A0", "\u2028".encode()]


@st.composite
def mutated(draw: st.DrawFn, seed: bytes) -> bytes:
    # Fresh event ids per input, so that what survives the mutations loads as new rows instead of
    # duplicates of an earlier input.
    tag = b"%d-" % draw(st.integers(0, 10**9))
    data = bytearray(seed.replace(b"\ne", b"\n" + tag + b"e").replace(b'id":"j', b'id":"' + tag + b"j"))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["truncate", "insert", "insert", "replace", "delete",
                                     "duplicate_line", "latin1"]))
        at = draw(st.integers(0, len(data)))
        if kind == "truncate":
            del data[at:]
        elif kind == "insert":
            data[at:at] = draw(st.sampled_from(NASTY) | st.binary(min_size=1, max_size=8))
        elif kind == "replace":
            n = draw(st.integers(1, 16))
            data[at : at + n] = draw(st.binary(min_size=n, max_size=n))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 40))]
        elif kind == "duplicate_line":
            lines = bytes(data).split(b"\n")
            i = draw(st.integers(0, len(lines) - 1))
            data = bytearray(b"\n".join([*lines[: i + 1], lines[i], *lines[i + 1 :]]))
        else:
            data = bytearray(bytes(data).replace(b"shoes", "chaussures é".encode("latin-1")))
    return bytes(data)


class Tally:
    def __init__(self) -> None:
        self.inputs = 0
        self.outcomes: dict[str, int] = {}

    def add(self, outcome: str) -> None:
        self.inputs += 1
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1


def _import_checked(ws: Workspace, path: Path, tally: Tally) -> None:
    before = Snapshot.take(ws)
    try:
        report = import_events(ws, [path])
    except ShoplyticsError as e:
        assert e.message, "an error with no message"
        check_consistent(ws)
        after = Snapshot.take(ws)
        assert (after.raw, after.batches) == (before.raw, before.batches), "a failed import wrote"
        tally.add(type(e).__name__)
        return
    v = report.validation
    assert v is not None
    assert v.rows_loaded + v.rows_duplicate + v.rows_rejected == v.rows_read, v
    check_consistent(ws)
    cur = ws.cursor()
    if report.batch_id is None:
        after = Snapshot.take(ws)
        assert (after.raw, after.batches) == (before.raw, before.batches)
        tally.add("nothing new")
        return
    row = cur.execute(
        "SELECT rows_read, rows_loaded, rows_duplicate, rows_rejected FROM _shoplytics.batches "
        "WHERE batch_id = ?", [report.batch_id]
    ).fetchone()
    assert row == (v.rows_read, v.rows_loaded, v.rows_duplicate, v.rows_rejected)
    counts = cur.execute(
        "SELECT (SELECT count(*) FROM raw.events WHERE _batch_id = $b), "
        "(SELECT count(*) FROM raw.rejected_events WHERE _batch_id = $b)", {"b": report.batch_id}
    ).fetchone()
    assert counts == (v.rows_loaded, v.rows_rejected), (counts, v)
    tally.add("loaded")


def _fuzz(ws: Workspace, tmp_path: Path, suffix: str, inputs: st.SearchStrategy[bytes],
          name: str) -> None:
    tally = Tally()
    names = itertools.count()

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(data=inputs)
    def check(data: bytes) -> None:
        path = tmp_path / f"in{next(names)}{suffix}"
        path.write_bytes(data)
        _import_checked(ws, path, tally)

    check()
    record_figure("hostile inputs", [f"{name}: {k}" for k, v in sorted(tally.outcomes.items())
                                     for _ in range(v)])
    assert tally.inputs >= EXAMPLES // 2


@pytest.fixture
def empty_ws(tmp_path: Path) -> Iterator[Workspace]:
    with Workspace.open(tmp_path / "ws") as ws:
        yield ws


def test_mutated_csv(empty_ws: Workspace, tmp_path: Path) -> None:
    _fuzz(empty_ws, tmp_path, ".csv", mutated(CSV), "mutated CSV")


def test_mutated_ndjson(empty_ws: Workspace, tmp_path: Path) -> None:
    _fuzz(empty_ws, tmp_path, ".ndjson", mutated(NDJSON), "mutated NDJSON")


def test_random_bytes(empty_ws: Workspace, tmp_path: Path) -> None:
    _fuzz(empty_ws, tmp_path, ".csv", st.binary(min_size=0, max_size=400), "random bytes")


# -- what the generated inputs found, pinned down -------------------------------------------------

HEADER = b"event_id,event_time,event_type,user_id,product_id,price,category\n"


def _rows(n: int) -> bytes:
    return b"".join(b"e%d,2024-03-01 10:00:%02d,page_view,u1,p1,1.00,shoes\n" % (i, i % 60)
                    for i in range(n))


def test_extra_field_on_the_last_line_is_quarantined(empty_ws: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "trailing_comma.csv"
    f.write_bytes(HEADER + _rows(10) + b"e99,2024-03-01 10:01:00,add_to_cart,u1,p1,2.00,shoes,oops\n")
    v = import_events(empty_ws, [f]).validation
    assert v is not None and (v.rows_read, v.rows_loaded, v.rows_rejected) == (11, 10, 1)


def test_extra_field_elsewhere_is_quarantined(empty_ws: Workspace, tmp_path: Path) -> None:
    """The same line anywhere but last is quarantined, as designed."""
    f = tmp_path / "extra_field.csv"
    f.write_bytes(HEADER + b"e99,2024-03-01 10:01:00,add_to_cart,u1,p1,2.00,shoes,oops\n" + _rows(10))
    v = import_events(empty_ws, [f]).validation
    assert v is not None and (v.rows_read, v.rows_loaded, v.rows_rejected) == (11, 10, 1)


def test_windows_1252_csv_imports(empty_ws: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "excel.csv"
    f.write_bytes((HEADER.decode() + "x1,2024-03-01 10:00:00,page_view,u1,p1,1.00,"
                   "\u201cBest\u201d shoes \u2013 caf\u00e9 \u20ac\n").encode("cp1252") + _rows(3))
    report = import_events(empty_ws, [f])
    v = report.validation
    assert v is not None and (v.rows_loaded, v.rows_rejected) == (4, 0)
    assert any("Windows-1252" in n for n in report.notes)
    cur = empty_ws.cursor()
    # The curly quotes, the en dash and the é arrive as written; rows name the original file.
    assert cur.execute("SELECT category FROM raw.events WHERE event_id = 'x1'").fetchall() == [
        ("\u201cBest\u201d shoes \u2013 caf\u00e9 \u20ac",)
    ]
    assert cur.execute("SELECT DISTINCT _source_file FROM raw.events").fetchall() == [(str(f),)]
