"""Event times are checked where they enter (METRICS.md section 1): a time that is infinite, not a
number, before 1990-01-01 or after the load time + 1 day goes to ``raw.rejected_events`` with its
reason, whatever form it came in (text, epoch numbers, Parquet TIMESTAMP and DATE columns); the
rest of the batch loads, and the models still build."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from shoplytics_desktop.core.ingest import import_events, inspect_sources, propose_mapping
from shoplytics_desktop.core.ingest.mapping import Mapping
from shoplytics_desktop.core.models.runner import run_project
from shoplytics_desktop.core.sqlutil import quote_literal
from shoplytics_desktop.core.workspace import Workspace

pytestmark = pytest.mark.reliability

NOT_FINITE = "event_time is not a finite time"
TOO_EARLY = "event_time is before 1990-01-01"
TOO_LATE = "event_time is after the load time + 1 day"
UNPARSED = "event_time could not be parsed"


@pytest.fixture
def empty_ws(tmp_path: Path) -> Iterator[Workspace]:
    with Workspace.open(tmp_path / "ws") as ws:
        yield ws


def _rejected(ws: Workspace, batch: str | None) -> dict[str, str]:
    """event_id → reason of the batch's rejected rows."""
    rows = ws.cursor().execute(
        "SELECT json_extract_string(source_row, '$.event_id'), reason FROM raw.rejected_events "
        "WHERE _batch_id = ?", [batch]
    ).fetchall()
    return {str(i): str(r) for i, r in rows}


def test_text_and_epoch_times_outside_the_contract_are_rejected(empty_ws: Workspace,
                                                                tmp_path: Path) -> None:
    times = {
        "ok1": "2024-03-01 10:00:00",
        "ok2": "1990-01-01 00:00:00",  # the earliest time allowed
        "ok3": "1700000000",  # epoch seconds, 2023
        "inf": "inf",
        "minf": "-inf",
        "infinity": "infinity",
        "minfinity": "-Infinity",
        "nan": "NaN",
        "y10000": "10000-01-01 00:00:00",
        "y9999": "9999-12-31 23:59:59",
        "y2199": "2199-01-01",
        "y1989": "1989-12-31 23:59:59",
        "epoch0": "0",
        "epoch2100": "4102444800",  # seconds, 2100-01-01
        "epoch_ms_2100": "4102444800000",
        "junk": "yesterday-ish",
    }
    f = tmp_path / "times.csv"
    f.write_text("event_id,event_time,event_type,user_id\n" + "".join(
        f"{k},{v},page_view,u1\n" for k, v in times.items()), encoding="utf-8")
    report = import_events(empty_ws, [f])
    v = report.validation
    assert v is not None and (v.rows_read, v.rows_loaded, v.rows_rejected) == (16, 3, 13)
    assert _rejected(empty_ws, report.batch_id) == {
        "inf": NOT_FINITE, "minf": NOT_FINITE, "infinity": NOT_FINITE, "minfinity": NOT_FINITE,
        "nan": NOT_FINITE, "y10000": TOO_LATE, "y9999": TOO_LATE, "y2199": TOO_LATE,
        "y1989": TOO_EARLY, "epoch0": TOO_EARLY, "epoch2100": TOO_LATE,
        "epoch_ms_2100": TOO_LATE, "junk": UNPARSED,
    }
    assert {r.reason: r.count for r in v.reasons} == {
        NOT_FINITE: 5, TOO_LATE: 5, TOO_EARLY: 2, UNPARSED: 1}
    loaded = empty_ws.cursor().execute(
        "SELECT count(*), min(event_time), max(event_time) FROM raw.events").fetchone()
    assert loaded is not None and loaded[0] == 3 and str(loaded[1]) == "1990-01-01 00:00:00"
    result = run_project(empty_ws)
    assert result.published, result.message


def test_a_time_a_little_ahead_of_the_clock_loads(empty_ws: Workspace, tmp_path: Path) -> None:
    """Up to a day ahead of the load time is allowed (clocks and zones disagree)."""
    f = tmp_path / "ahead.csv"
    cur = empty_ws.cursor()
    soon, later = cur.execute(
        "SELECT strftime(now()::TIMESTAMP + INTERVAL 20 HOUR, '%Y-%m-%d %H:%M:%S'), "
        "strftime(now()::TIMESTAMP + INTERVAL 26 HOUR, '%Y-%m-%d %H:%M:%S')").fetchone() or ("", "")
    f.write_text(f"event_id,event_time,event_type,user_id\nsoon,{soon}Z,page_view,u1\n"
                 f"later,{later}Z,page_view,u1\n", encoding="utf-8")
    report = import_events(empty_ws, [f])
    assert report.validation is not None and report.validation.rows_loaded == 1
    assert _rejected(empty_ws, report.batch_id) == {"later": TOO_LATE}


def test_native_timestamp_date_and_number_columns(empty_ws: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "native.parquet"
    con = duckdb.connect()
    try:
        con.execute(
            f"""COPY (SELECT * FROM (VALUES
                ('ok', TIMESTAMP '2024-03-01 10:00:00', DATE '2024-03-01', 1709287200.0),
                ('inf', TIMESTAMP 'infinity', DATE 'infinity', 'inf'::DOUBLE),
                ('minf', TIMESTAMP '-infinity', DATE '-infinity', '-inf'::DOUBLE),
                ('late', TIMESTAMP '2199-01-01', DATE '2199-01-01', 7226582400.0),
                ('early', TIMESTAMP '1980-01-01', DATE '1980-01-01', 315532800.0),
                ('nan', TIMESTAMP '2024-03-01', DATE '2024-03-01', 'nan'::DOUBLE)
            ) t(event_id, ts, day, epoch), (SELECT 'page_view' AS event_type, 'u1' AS user_id))
            TO {quote_literal(str(f))} (FORMAT parquet)"""
        )
    finally:
        con.close()
    expected = {"inf": NOT_FINITE, "minf": NOT_FINITE, "late": TOO_LATE, "early": TOO_EARLY}
    for column, also in (("ts", {}), ("day", {}), ("epoch", {"nan": NOT_FINITE})):
        mapping = _mapping_with_time(f, column)
        report = import_events(empty_ws, [f], mapping)
        v = report.validation
        assert v is not None, column
        assert _rejected(empty_ws, report.batch_id) == {**expected, **also}, column
        assert v.rows_rejected == len(expected) + len(also), column
        empty_ws.cursor().execute("DELETE FROM raw.events")
        empty_ws.cursor().execute("DELETE FROM _shoplytics.batches")


def _mapping_with_time(path: Path, column: str) -> Mapping:
    mapping = propose_mapping(inspect_sources([path]))
    return mapping.model_copy(update={"columns": {**mapping.columns, "event_time": column}})


def test_infinite_dates_in_a_user_file_are_rejected(empty_ws: Workspace, tmp_path: Path) -> None:
    users = tmp_path / "users.csv"
    users.write_text("user_id,signup_date,updated_at\nu1,2024-01-01,2024-02-01\n"
                     "u2,infinity,2024-02-01\nu3,2024-01-01,-infinity\n", encoding="utf-8")
    report = import_events(empty_ws, [], users=users)
    (rep,) = report.catalogs
    assert (rep.rows_loaded, rep.rows_rejected) == (1, 2)
    assert {r.reason: r.count for r in rep.reasons} == {
        "signup_date is not a finite time": 1, "updated_at is not a finite time": 1}
