"""Duplicates of an import: against earlier batches (whichever side is larger) and within the
batch, counted by hand below."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shoplytics_desktop.core.ingest import import_events
from shoplytics_desktop.core.workspace import Workspace

HEADER = "event_id,event_time,event_type,user_id,product_id\n"


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    with Workspace.open(tmp_path / "ws") as w:
        yield w


def _csv(path: Path, rows: list[str]) -> Path:
    path.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def _row(event_id: str, minute: int = 0, user: str = "u1") -> str:
    return f"{event_id},2024-03-01 10:{minute:02d}:00,view,{user},p1"


def test_earlier_batches_and_repeats_within_the_batch(ws: Workspace, tmp_path: Path) -> None:
    first = _csv(tmp_path / "a.csv", [_row(f"e{i}", i) for i in range(1, 6)])
    import_events(ws, [first])
    # e4, e5: in the first batch; e6 twice (lines 4 and 6 of the file, the header is line 1);
    # e7 new; one row without a user (rejected).
    second = _csv(tmp_path / "b.csv", [
        _row("e4", 4), _row("e5", 5), _row("e6", 6, "first"), _row("e7", 7),
        _row("e6", 6, "second"), "e8,2024-03-01 10:08:00,view,,p1",
    ])
    report = import_events(ws, [second])
    v = report.validation
    assert v is not None
    # 6 rows read: 1 rejected, 5 valid; of those e4 and e5 are loaded already (2) and the
    # second e6 repeats the first's id for another user: quarantined, not a duplicate. 2 new.
    assert (v.rows_read, v.rows_loaded, v.rows_duplicate, v.rows_rejected) == (6, 2, 2, 2)
    assert v.duplicates_existing == 2
    cur = ws.cursor()
    assert cur.execute(
        "SELECT event_id, user_id, _source_line FROM raw.events WHERE _batch_id = ? ORDER BY 1",
        [report.batch_id],
    ).fetchall() == [("e6", "first", 4), ("e7", "u1", 5)]
    assert cur.execute("SELECT count(*), count(DISTINCT event_id) FROM raw.events").fetchone() \
        == (7, 7)
    assert cur.execute(
        "SELECT _source_line, reason FROM raw.rejected_events WHERE _batch_id = ? ORDER BY 1",
        [report.batch_id],
    ).fetchall() == [(6, "event_id repeats an earlier row of the import with other values"),
                     (7, "user_id is missing")]
    # No temp table of the batch's ids is left behind.
    assert cur.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name LIKE '__ingest%'"
    ).fetchone() == (0,)


def test_a_large_batch_into_a_small_workspace(ws: Workspace, tmp_path: Path) -> None:
    """The new batch is the larger side of the join here: the counts are the same."""
    import_events(ws, [_csv(tmp_path / "small.csv", [_row(f"e{i}", i % 60) for i in (3, 250, 499)])])
    big = [_row(f"e{i}", i % 60, f"u{i}") for i in range(500)] + [_row("e10", 10, "u10")]
    report = import_events(ws, [_csv(tmp_path / "big.csv", big)])
    v = report.validation
    assert v is not None
    # 501 rows: e3, e250 and e499 loaded before (3), e10 twice (1): 497 new.
    assert (v.rows_read, v.rows_loaded, v.rows_duplicate, v.rows_rejected) == (501, 497, 4, 0)
    assert v.duplicates_existing == 3
    assert ws.row_count("raw", "events") == 500


def test_a_batch_of_only_repeats_and_loaded_events_adds_nothing(
    ws: Workspace, tmp_path: Path
) -> None:
    import_events(ws, [_csv(tmp_path / "a.csv", [_row("e1", 1), _row("e2", 2)])])
    again = _csv(tmp_path / "b.csv", [_row("e2", 2), _row("e1", 1), _row("e1", 1)])
    report = import_events(ws, [again])
    v = report.validation
    assert v is not None
    assert (v.rows_read, v.rows_loaded, v.rows_duplicate) == (3, 0, 3)
    assert report.batch_id is None
    assert ws.row_count("raw", "events") == 2
    assert ws.cursor().execute("SELECT count(*) FROM _shoplytics.batches").fetchone() == (1,)
