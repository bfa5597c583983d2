"""Incremental runs equal a full rebuild.

Generated data (a third of the users without source session and order ids, so the 30-minute rule
makes their sessions), loaded in batches that arrive after the first build:

- a "late" batch: one event in a hundred, from any day of the span, so new events land inside
  old sessions, between two of them (joining them) and before a user's first event;
- a "midnight" batch: for a user of our own, an event at 00:10 that joins a session ending at
  23:45 the day before with one starting at 00:35, so a session spans the midnight and the
  session of the second day disappears;
- the last day's events, as the next day's export would bring them.

After each run every model the run built (marts and the incremental intermediates) must hold the
same rows as a full rebuild (``run --full-refresh``) of the same raw data, compared with EXCEPT ALL
both ways. Deleting a batch as the app does (its events' users and times recorded) is an update too;
deleting one by hand rebuilds in full; both equal a full rebuild.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from shoplytics_desktop.core.models.datatests import PER_GROUP, SCOPED
from shoplytics_desktop.core.models.freshness import KEPT, UNCHANGED
from shoplytics_desktop.core.models.runner import RunResult, run_project
from shoplytics_desktop.core.workspace import Workspace
from tests.unit.relcompare import assert_equals_full_rebuild as _assert_equals_full_rebuild
from tests.unit.relcompare import one as _one

pytestmark = pytest.mark.slow

#: How an update of a model that updates by session ends its note.
_TAIL = ", from the first session those can change"

BRIDGE_USER = "u-midnight"


def _hold_back(ws: Workspace, batch: str, where: str) -> None:
    """Move the events matching ``where`` out of raw.events, to come back as ``batch``."""
    cur = ws.cursor()
    cur.execute(f"CREATE TABLE main.held_{batch} AS SELECT * FROM raw.events WHERE {where}")
    cur.execute(f"DELETE FROM raw.events WHERE {where}")


def _arrive(ws: Workspace, batch: str) -> None:
    cur = ws.cursor()
    cur.execute(f"INSERT INTO raw.events SELECT * REPLACE ('{batch}' AS _batch_id) "
                f"FROM main.held_{batch}")
    cur.execute(f"DROP TABLE main.held_{batch}")


def _bridge_events(ws: Workspace) -> None:
    """A user of our own: 23:45 and 00:35 the next day now (two sessions), 00:10 later."""
    cur = ws.cursor()
    day = _one(ws, "SELECT CAST(max(event_time) AS DATE) - 3 FROM raw.events")
    assert isinstance(day, dt.date)
    template = "SELECT * REPLACE ({id!r} AS event_id, TIMESTAMP '{t}' AS event_time, " \
               "'{u}' AS user_id, NULL AS session_id, NULL AS order_id, 'product_view' AS " \
               "event_type, '{b}' AS _batch_id) FROM raw.events LIMIT 1"
    next_day = day + dt.timedelta(days=1)
    for event_id, time in (("bridge-1", f"{day} 23:45:00"), ("bridge-3", f"{next_day} 00:35:00")):
        cur.execute("INSERT INTO raw.events " + template.format(
            id=event_id, t=time, u=BRIDGE_USER, b="base"))
    cur.execute("CREATE TABLE main.held_midnight AS " + template.format(
        id="bridge-2", t=f"{next_day} 00:10:00", u=BRIDGE_USER, b="midnight"))


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    from shoplytics_desktop.core.generate import GenerateSpec, generate_into

    ws = Workspace.open(tmp_path_factory.mktemp("incremental_ws"))
    # A fixed start: the notes asserted below depend on the data (a segment first seen on the
    # last day would rebuild the segment mart in full), which must not move with today's date.
    generate_into(ws, GenerateSpec(events=20_000, days=30, seed=23, start=dt.date(2024, 4, 1)))
    cur = ws.cursor()
    cur.execute("UPDATE raw.events SET session_id = NULL, order_id = NULL "
                "WHERE hash(user_id) % 3 = 0")
    last_day = _one(ws, "SELECT CAST(max(event_time) AS DATE) FROM raw.events")
    # The last day brings no segment unseen before it (one would rebuild the segment mart in
    # full, as it should, and the notes asserted for that batch are those of an update).
    cur.execute(
        "UPDATE raw.events AS e SET device = c.device, country = c.country, "
        "traffic_source = c.traffic_source FROM (SELECT device, country, traffic_source "
        f"FROM raw.events WHERE event_time < DATE '{last_day}' GROUP BY ALL "
        "ORDER BY count(*) DESC, 1, 2, 3 LIMIT 1) AS c "
        f"WHERE e.event_time >= DATE '{last_day}' AND NOT EXISTS (SELECT 1 FROM raw.events AS p "
        f"WHERE p.event_time < DATE '{last_day}' AND p.device = e.device "
        "AND p.country = e.country AND p.traffic_source = e.traffic_source)")
    _hold_back(ws, "lastday", f"event_time >= DATE '{last_day}'")
    _hold_back(ws, "late", "hash(event_id) % 100 = 7")
    _bridge_events(ws)
    yield ws
    ws.close()


def _notes(result: RunResult) -> dict[str, str]:
    return {m.name: m.note for m in result.models if m.materialized == "incremental"}


@contextlib.contextmanager
def _project_ws(tmp_path: object, files: dict[str, str]) -> Iterator[Workspace]:
    """An empty workspace that runs a model project of its own (``files``)."""
    from tests.unit.modelproj import write_project

    root = write_project(Path(str(tmp_path)) / "proj", files)
    with Workspace.open(Path(str(tmp_path)) / "ws") as ws:
        ws.settings.models_dir = str(root)
        yield ws


def _add_event(ws: Workspace, event_id: int, user: str, batch: str, event_type: str = "other",
               name: str = "x") -> None:
    ws.cursor().execute(
        "INSERT INTO raw.events (event_id, event_time, event_type, event_name, user_id, "
        "quantity, device, country, traffic_source, _batch_id, _loaded_at) VALUES "
        "(?, TIMESTAMP '2024-01-01 10:00:00', ?, ?, ?, 1, 'd', 'XX', 't', ?, now())",
        [str(event_id), event_type, name, user, batch])


def test_incremental_runs_equal_a_full_rebuild(ws: Workspace) -> None:
    first = run_project(ws)
    assert first.published, first.message
    assert set(_notes(first).values()) == {"rebuilt in full: its first build"}

    again = run_project(ws)
    assert again.published, again.message
    # Nothing any model reads changed: each is left as it is (freshness.py).
    assert {m.note for m in again.models} == {UNCHANGED}, _notes(again)
    _assert_equals_full_rebuild(ws, again)

    sessions_before = _one(ws, f"SELECT count(*) FROM intermediate.int_sessions "
                               f"WHERE user_id = '{BRIDGE_USER}'")
    assert sessions_before == 2

    for batch in ("late", "midnight", "lastday"):
        _arrive(ws, batch)
        result = run_project(ws)
        notes = _notes(result)
        assert notes["int_sessions"].startswith("updated for"), notes
        assert notes["agg_sessions_day"].startswith("updated for"), notes
        # dim_users' two per-user tests check the users the update rebuilt.
        messages = {t.test_id: t.message for t in result.tests}
        assert messages["dim_users_one_current_row"] == PER_GROUP.format(per="user_id"), messages
        if batch == "lastday":
            # The trailing windows rebuild the 29 days after the last day too, but no such day
            # has rows: only the last day changed (and the day before it, where sessions that
            # cross the midnight start), and the next model reads 30 days or 31, not 59.
            for model in ("fct_daily_engagement", "agg_engagement_segments"):
                assert notes[model] in ("updated for 1 day(s)", "updated for 2 day(s)"), notes
        _assert_equals_full_rebuild(ws, result)

    # The midnight event joined the user's two sessions into one that spans the midnight.
    assert _one(ws, f"SELECT count(*) FROM intermediate.int_sessions "
                    f"WHERE user_id = '{BRIDGE_USER}'") == 1


def _all_arrived(ws: Workspace) -> None:
    """Every held-back batch loaded and built (when a test runs on its own)."""
    held = ws.cursor().execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = "
                               "'main' AND table_name LIKE 'held_%'").fetchall()
    for (table,) in held:
        _arrive(ws, table.removeprefix("held_"))
    assert run_project(ws).published


def test_a_batch_deleted_in_the_app_is_an_update(tmp_path: Path) -> None:
    """Import a file, build, delete its batch as the app does: the next run updates the users
    and days the batch had (its events' users and times were recorded), equals a full rebuild,
    and forgets the record."""
    from shoplytics_desktop.core import ingest, removed
    from shoplytics_desktop.core.generate import GenerateSpec, generate_into

    with Workspace.open(tmp_path / "ws") as ws:
        generate_into(ws, GenerateSpec(events=6_000, days=14, seed=5))
        cur = ws.cursor()
        cur.execute("UPDATE raw.events SET session_id = NULL WHERE hash(user_id) % 3 = 0")
        # One event in twenty, from every day, leaves for a file and comes back as an import.
        picked = "hash(event_id) % 20 = 1"
        file = tmp_path / "late.csv"
        cur.execute(
            "COPY (SELECT event_time, event_type, user_id, session_id, product_id, order_id, "
            f"price, quantity, category, brand, device, country, traffic_source FROM raw.events "
            f"WHERE {picked}) TO '{file}' (HEADER)")
        cur.execute(f"DELETE FROM raw.events WHERE {picked}")
        assert run_project(ws).published
        batch = ingest.import_events(ws, [file]).batch_id
        assert batch is not None
        users = _one(ws, f"SELECT count(DISTINCT user_id) FROM raw.events WHERE _batch_id = "
                         f"'{batch}'")
        assert _notes(run_project(ws))["int_sessions"].startswith("updated for")

        ingest.delete_batch(ws, batch)
        assert _one(ws, f"SELECT count(DISTINCT user_id) FROM {removed.TABLE}") == users
        result = run_project(ws)
        notes = _notes(result)
        assert notes["int_sessions"] == (f"updated for {users:,} user(s) with deleted events"
                                         f"{_TAIL}")
        assert notes["fct_daily_engagement"].startswith("updated for")
        assert _one(ws, f"SELECT count(*) FROM {removed.TABLE}") == 0
        _assert_equals_full_rebuild(ws, result)


def test_a_batch_deleted_without_a_record_rebuilds_in_full(ws: Workspace) -> None:
    _all_arrived(ws)
    ws.cursor().execute("DELETE FROM raw.events WHERE _batch_id = 'late'")
    result = run_project(ws)
    notes = _notes(result)
    assert notes["int_sessions"] == (
        "rebuilt in full: a batch of events was deleted, replaced or changed")
    _assert_equals_full_rebuild(ws, result)


def test_rows_taken_out_of_a_batch_rebuild_in_full(ws: Workspace) -> None:
    """A batch that lost rows (by hand: the app deletes whole batches) is not the batch the
    models were built from."""
    _all_arrived(ws)
    ws.cursor().execute("DELETE FROM raw.events WHERE _batch_id = 'lastday' "
                        "AND hash(event_id) % 10 = 3")
    result = run_project(ws)
    assert _notes(result)["int_sessions"] == (
        "rebuilt in full: a batch of events was deleted, replaced or changed")
    _assert_equals_full_rebuild(ws, result)


def test_a_settings_change_rebuilds_in_full(ws: Workspace) -> None:
    _all_arrived(ws)
    ws.settings.session_timeout_minutes = 45
    try:
        result = run_project(ws)
        assert _notes(result)["int_sessions"] == (
            "rebuilt in full: its SQL, its config or the workspace settings changed")
        _assert_equals_full_rebuild(ws, result)
    finally:
        ws.settings.session_timeout_minutes = 30


def test_the_command_line_says_how_each_model_was_built(tmp_path: object, capsys: pytest.CaptureFixture[str]) -> None:
    from shoplytics_desktop.cli import main

    folder = str(tmp_path)
    assert main(["demo", "--workspace", folder, "--events", "3000", "--days", "7"]) == 0
    capsys.readouterr()
    assert main(["run", "--workspace", folder]) == 0
    out = capsys.readouterr().out
    assert "int_sessions" in out and UNCHANGED in out
    assert "Built 0 model(s), 34 unchanged; 128 test(s) (127 passed before" in out
    assert main(["run", "--workspace", folder, "--full-refresh"]) == 0
    out = capsys.readouterr().out
    assert "rebuilt in full: a full refresh was asked for" in out
    assert "up to date" not in out


CSV_HEADER = "event_id,event_time,event_type,user_id,product_id,price,quantity\n"


def test_an_imported_batch_joins_a_session_across_midnight(tmp_path: object) -> None:
    """Two imports, counted by hand. First: u1 views p1 at 23:40 and at 00:30 the next day (a
    50-minute gap: two sessions, one on each day); u2 views, carts and buys p2 on the first day.
    Second: u1 carts p1 at 00:05 (gaps of 25 minutes: one session from 23:40 to 00:30, on the
    first day) and a new user u3 views p1 at noon on the second day."""
    from shoplytics_desktop.core.ingest import import_events

    folder = Path(str(tmp_path))
    first, second = folder / "a.csv", folder / "b.csv"
    first.write_text(CSV_HEADER + "".join(f"{r}\n" for r in [
        "a1,2024-03-01 23:40:00,product_view,u1,p1,,",
        "a2,2024-03-02 00:30:00,product_view,u1,p1,,",
        "a3,2024-03-01 10:00:00,product_view,u2,p2,,",
        "a4,2024-03-01 10:05:00,add_to_cart,u2,p2,,",
        "a5,2024-03-01 10:10:00,purchase,u2,p2,10.00,1",
    ]), encoding="utf-8")
    second.write_text(CSV_HEADER + "".join(f"{r}\n" for r in [
        "b1,2024-03-02 00:05:00,add_to_cart,u1,p1,,",
        "b2,2024-03-02 12:00:00,product_view,u3,p1,,",
    ]), encoding="utf-8")
    with Workspace.open(folder / "ws") as ws:
        ws.settings.time_zone = "UTC"
        import_events(ws, [first])
        assert run_project(ws).published
        per_day = "SELECT session_date::VARCHAR, sum(sessions) FROM marts.agg_sessions_day " \
                  "GROUP BY 1 ORDER BY 1"
        assert ws.cursor().execute(per_day).fetchall() == [("2024-03-01", 2), ("2024-03-02", 1)]

        import_events(ws, [second])
        result = run_project(ws)
        assert _notes(result)["int_sessions"] == "updated for 2 user(s) with new events" + _TAIL
        assert ws.cursor().execute(per_day).fetchall() == [("2024-03-01", 2), ("2024-03-02", 1)]
        session = ws.cursor().execute(
            "SELECT session_start::VARCHAR, session_end::VARCHAR, duration_s, events, "
            "add_to_carts FROM intermediate.int_sessions WHERE user_id = 'u1'").fetchall()
        assert session == [("2024-03-01 23:40:00", "2024-03-02 00:30:00", 3000.0, 3, 1)]
        funnel = ws.cursor().execute(
            "SELECT session_date::VARCHAR, sum(sessions), sum(add_to_cart_sessions) "
            "FROM marts.fct_funnel GROUP BY 1 ORDER BY 1").fetchall()
        # 03-01: u1 (viewed at 23:40, carted at 00:05) and u2 both reach the cart; 03-02: u3.
        assert funnel == [("2024-03-01", 2, 2), ("2024-03-02", 1, 0)]
        _assert_equals_full_rebuild(ws, result)


SESSION_HEADER = "event_id,event_time,event_type,user_id,session_id,product_id\n"


@pytest.mark.parametrize("rounds", [20, 1])
def test_sessions_are_computed_again_from_the_first_one_new_events_can_change(
        rounds: int, tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where each user's sessions are cut, worked out by hand (UTC, 30-minute timeout), on
    2024-03-01 unless said:
    - a: s0 (02-29 20:00), s1 10:00-10:10, a derived session at 12:00, s2 14:00, s3 18:00. A
      late event at 16:00 names s1: a's sessions change from s1's start, 10:00; s0 stays.
    - b, no session ids: 09:00-09:10, 11:00-11:05, 13:00 (a cart). A new event at 11:25 joins the 11:00
      session (20 minutes after it): the cut is 11:25 - 30 min = 10:55, which no session spans.
    - c: s4 08:00-08:30, s5 09:00-12:00, a derived session 10:00-10:10, s6 13:00. A new event
      without an id at 11:00 (a session of its own: 50 minutes after 10:10) gives 10:30, which
      s5 spans, and s5's start 09:00 is spanned by nothing: the cut is 09:00; s4 stays.
    So 16 of the 21 events are read again, and the sessions equal a full rebuild's. With one
    round of moving a cut back allowed, c's needs a second round to see that nothing spans
    09:00: c's whole history is read instead (18 events), with the same result."""
    from shoplytics_desktop.core.ingest import import_events
    from shoplytics_desktop.core.models import incremental

    folder = Path(str(tmp_path))
    first, second = folder / "a.csv", folder / "b.csv"
    day = "2024-03-01"
    first.write_text(SESSION_HEADER + "".join(f"{r}\n" for r in [
        "a0,2024-02-29 20:00:00,product_view,a,s0,p1",
        f"a1,{day} 10:00:00,product_view,a,s1,p1", f"a2,{day} 10:10:00,product_view,a,s1,p1",
        f"a3,{day} 12:00:00,product_view,a,,p1", f"a4,{day} 14:00:00,product_view,a,s2,p1",
        f"a5,{day} 18:00:00,product_view,a,s3,p1",
        f"b1,{day} 09:00:00,product_view,b,,p1", f"b2,{day} 09:10:00,product_view,b,,p1",
        f"b3,{day} 11:00:00,product_view,b,,p1", f"b4,{day} 11:05:00,product_view,b,,p1",
        f"b5,{day} 13:00:00,add_to_cart,b,,p1",
        f"c1,{day} 08:00:00,product_view,c,s4,p1", f"c2,{day} 08:30:00,product_view,c,s4,p1",
        f"c3,{day} 09:00:00,product_view,c,s5,p1", f"c4,{day} 12:00:00,product_view,c,s5,p1",
        f"c5,{day} 10:00:00,product_view,c,,p1", f"c6,{day} 10:10:00,product_view,c,,p1",
        f"c7,{day} 13:00:00,product_view,c,s6,p1",
    ]), encoding="utf-8")
    second.write_text(SESSION_HEADER + "".join(f"{r}\n" for r in [
        f"a6,{day} 16:00:00,add_to_cart,a,s1,p1",
        f"b6,{day} 11:25:00,product_view,b,,p1",
        f"c8,{day} 11:00:00,product_view,c,,p1",
    ]), encoding="utf-8")
    seen: dict[str, object] = {}
    finish = incremental.IncrementalRun.finish

    def keep_then_finish(self: incremental.IncrementalRun) -> None:
        if self.tails:
            seen["since"] = dict(self.cur.execute(
                "SELECT user_id, strftime(since, '%m-%d %H:%M') FROM _inc_since").fetchall())
            seen["events"] = _one_of(self.cur, "SELECT count(*) FROM _inc_tail_events")
        finish(self)

    monkeypatch.setattr(incremental.IncrementalRun, "finish", keep_then_finish)
    monkeypatch.setattr(incremental, "_SPAN_ROUNDS", rounds)
    with Workspace.open(folder / "ws") as ws:
        ws.settings.time_zone = "UTC"
        import_events(ws, [first])
        assert run_project(ws).published
        import_events(ws, [second])
        result = run_project(ws)
        notes = _notes(result)
        for model in ("int_sessions", "int_session_products", "int_order_lines"):
            assert notes[model].endswith(_TAIL), notes
        c = "03-01 09:00" if rounds > 1 else "-infinity"
        assert seen == {"since": {"a": "03-01 10:00", "b": "03-01 10:55", "c": c},
                        "events": 16 if rounds > 1 else 18}
        sessions = ws.cursor().execute(
            "SELECT user_id, session_id, strftime(session_start, '%H:%M'), "
            "strftime(session_end, '%H:%M'), events, add_to_carts FROM intermediate.int_sessions "
            "ORDER BY user_id, session_start, session_id").fetchall()
        assert sessions == [
            ("a", "s0", "20:00", "20:00", 1, 0), ("a", "s1", "10:00", "16:00", 3, 1),
            ("a", "auto-20240301T120000", "12:00", "12:00", 1, 0),
            ("a", "s2", "14:00", "14:00", 1, 0), ("a", "s3", "18:00", "18:00", 1, 0),
            ("b", "auto-20240301T090000", "09:00", "09:10", 2, 0),
            ("b", "auto-20240301T110000", "11:00", "11:25", 3, 0),
            ("b", "auto-20240301T130000", "13:00", "13:00", 1, 1),
            ("c", "s4", "08:00", "08:30", 2, 0), ("c", "s5", "09:00", "12:00", 2, 0),
            ("c", "auto-20240301T100000", "10:00", "10:10", 2, 0),
            ("c", "auto-20240301T110000", "11:00", "11:00", 1, 0),
            ("c", "s6", "13:00", "13:00", 1, 0),
        ]
        _assert_equals_full_rebuild(ws, result)


def _one_of(cur: duckdb.DuckDBPyConnection, sql: str) -> object:
    row = cur.execute(sql).fetchone()
    return row[0] if row else None


def test_a_per_user_test_checks_the_users_an_update_rebuilt(tmp_path: object) -> None:
    """A singular test ``-- per: user_id`` of a model updated by user runs on the users the
    update rebuilt (the others' rows are as they were when it passed): it passes on them, fails
    when one of them breaks it, and leaves no table behind."""
    with _project_ws(tmp_path, {
        "marts/fct_user_events.sql":
            "select user_id, count(*) as events from raw.events group by user_id",
        "marts/_marts.yml": """
            version: 2
            models:
              - name: fct_user_events
                description: Events per user.
                config:
                  materialized: incremental
                  unique_key: user_id
                  partition_by: {user: user_id}
        """,
        "tests/at_most_two_events.sql":
            "-- model: fct_user_events\n-- per: user_id\n"
            "select user_id, events from fct_user_events where events > 2",
    }) as ws:
        for i, user in enumerate(["u1", "u2", "u2"]):
            _add_event(ws, i, user, "b1")
        first = run_project(ws)
        assert first.published and first.tests[0].message == "", first.tests

        _add_event(ws, 3, "u1", "b2")
        result = run_project(ws)
        assert result.published, result.message
        assert _notes(result) == {"fct_user_events": "updated for 1 user(s) with new events"}
        assert [(t.status, t.message) for t in result.tests] == [
            ("pass", PER_GROUP.format(per="user_id"))]

        _add_event(ws, 4, "u1", "b3")
        failed = run_project(ws)
        assert not failed.published
        assert [(t.status, t.failing_rows, t.sample) for t in failed.tests] == [
            ("fail", 1, [{"user_id": "u1", "events": 3}])]
        left = ws.cursor().execute("SELECT count(*) FROM duckdb_tables() WHERE temporary "
                                   "AND table_name LIKE '%per_user%'").fetchone()
        assert left == (0,)


def test_forgetting_the_state_rebuilds_in_full(tmp_path: object) -> None:
    """Marts pulled from another engine were not built here: the next run starts over."""
    from shoplytics_desktop.core.generate import GenerateSpec, generate_into
    from shoplytics_desktop.core.models.incremental import forget_state

    with Workspace.open(Path(str(tmp_path)) / "ws") as ws:
        generate_into(ws, GenerateSpec(events=2000, days=5, seed=2))
        assert run_project(ws).published
        forget_state(ws.cursor())
        notes = _notes(run_project(ws))
        assert set(notes.values()) == {"rebuilt in full: its first build"}


def test_a_model_with_repeated_rows_is_replaced_per_user(tmp_path: object) -> None:
    """A user model without a unique key: one row per event, two of them alike. Its rows are
    compared as a set, so repeated rows are replaced, not kept once."""
    with _project_ws(tmp_path, {
        "marts/fct_events.sql": "select user_id, event_type from raw.events",
        "marts/_marts.yml": """
            version: 2
            models:
              - name: fct_events
                description: One row per event.
                config:
                  materialized: incremental
                  unique_key: user_id
                  partition_by: {user: user_id}
        """,
    }) as ws:
        for i, user in enumerate(["u1", "u1", "u2"]):
            _add_event(ws, i, user, "b1")
        assert run_project(ws).published
        _add_event(ws, 9, "u1", "b2")
        result = run_project(ws)
        assert _notes(result) == {"fct_events": "updated for 1 user(s) with new events"}
        counts = ws.cursor().execute("SELECT user_id, count(*) FROM marts.fct_events GROUP BY 1 "
                             "ORDER BY 1").fetchall()
        assert counts == [("u1", 3), ("u2", 1)]


def test_a_run_leaves_no_temp_tables(ws: Workspace) -> None:
    result = run_project(ws)
    assert result.published
    left = ws.cursor().execute("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall()
    assert left == []


@pytest.fixture(scope="module")
def long_ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """120 days of events, for updates whose days lie far apart, a newcomer who arrives late
    (and so renumbers the users after them) and a segment never seen before."""
    from shoplytics_desktop.core.generate import GenerateSpec, generate_into

    ws = Workspace.open(tmp_path_factory.mktemp("incremental_long"))
    generate_into(ws, GenerateSpec(events=12_000, days=120, seed=5))
    first = _one(ws, "SELECT CAST(min(event_time) AS DATE) FROM raw.events")
    assert isinstance(first, dt.date)
    day = {n: first + dt.timedelta(days=n) for n in (5, 10, 60, 100)}
    # Two users' events of two days 95 days apart, more than twice the 29 days of lookback;
    # both users were active before, so no one is numbered again, and every segment of their
    # events that day was seen before, so the filter cells stay as they are.
    early, late = (
        _one(ws, f"SELECT min(user_id) FROM raw.events AS e WHERE CAST(event_time AS DATE) = "
                 f"DATE '{day[n]}' AND user_id IN (SELECT user_id FROM raw.events WHERE "
                 f"event_time < DATE '{day[n]}' - 1) AND user_id NOT IN (SELECT user_id FROM "
                 f"raw.events WHERE CAST(event_time AS DATE) = DATE '{day[n]}' AND (device, "
                 f"country, traffic_source) NOT IN (SELECT (device, country, traffic_source) "
                 f"FROM raw.events WHERE event_time < DATE '{day[n]}' - 1))")
        for n in (5, 100))
    _hold_back(ws, "far_apart",
               f"(user_id = '{early}' AND CAST(event_time AS DATE) = DATE '{day[5]}') OR "
               f"(user_id = '{late}' AND CAST(event_time AS DATE) = DATE '{day[100]}')")
    template = ("CREATE TABLE main.held_{batch} AS SELECT * REPLACE ('{id}' AS event_id, "
                "TIMESTAMP '{t}' AS event_time, '{u}' AS user_id, '{device}' AS device, "
                "'page_view' AS event_type, NULL AS product_id, '{batch}' AS _batch_id) "
                "FROM raw.events LIMIT 1")
    cur = ws.cursor()
    # A user never seen before, whose first event is on day 10: every user who arrived after
    # them is numbered one higher.
    cur.execute(template.format(batch="newcomer", id="newcomer-1", t=f"{day[10]} 12:00:00",
                                u="u-newcomer", device="desktop"))
    # An existing user on a device no one has used: a new filter cell.
    cur.execute(template.format(batch="new_device", id="tv-1", t=f"{day[60]} 20:00:00",
                                u=late, device="smart_tv"))
    yield ws
    ws.close()


def test_updates_far_apart_a_late_newcomer_and_a_new_segment(long_ws: Workspace) -> None:
    ws = long_ws
    assert run_project(ws).published
    _arrive(ws, "far_apart")
    result = run_project(ws)
    notes = _notes(result)
    assert notes["agg_engagement_segments"].startswith("updated for"), notes
    assert notes["fct_daily_engagement"].startswith("updated for"), notes
    # Only the two users: the days between their days are not rebuilt.
    assert notes["agg_user_day"] == "updated for 2 user(s) with new events", notes
    assert notes["int_user_keys"] == "up to date: no row changed", notes
    _assert_equals_full_rebuild(ws, result)

    keys_before = _one(ws, "SELECT count(*) FROM intermediate.int_user_keys")
    # The users who arrived before the newcomer keep their numbers; the newcomer takes the next
    # one, and each user after them is deleted and written again one number higher.
    ahead = _one(ws, "SELECT count(*) FROM intermediate.int_user_keys AS k, main.held_newcomer "
                     "AS n WHERE k.first_event_time < n.event_time OR (k.first_event_time = "
                     "n.event_time AND k.user_id < n.user_id)")
    assert isinstance(ahead, int) and isinstance(keys_before, int)
    assert 0 < ahead < keys_before
    _arrive(ws, "newcomer")
    result = run_project(ws)
    notes = _notes(result)
    assert notes["int_user_keys"] == (f"updated from number {ahead + 1:,}: "
                                      f"{2 * (keys_before - ahead) + 1:,} row(s) changed"), notes
    assert _one(ws, "SELECT user_key FROM intermediate.int_user_keys "
                    "WHERE user_id = 'u-newcomer'") == ahead + 1
    # The newcomer, and every user numbered after them, whose rows of agg_user_day change.
    assert notes["agg_user_day"].endswith("with new events or changed rows upstream"), notes
    renumbered = int(notes["agg_user_day"].split()[2].replace(",", ""))
    assert renumbered > 1
    assert _one(ws, "SELECT count(*) FROM intermediate.int_user_keys") == keys_before + 1
    _assert_equals_full_rebuild(ws, result)

    _arrive(ws, "new_device")
    result = run_project(ws)
    notes = _notes(result)
    assert notes["agg_engagement_segments"] == "rebuilt in full: intermediate.int_segments changed"
    _assert_equals_full_rebuild(ws, result)
    assert _one(ws, "SELECT count(*) FROM marts.agg_engagement_segments WHERE device = "
                    "'smart_tv'") == _one(ws, "SELECT count(*) FROM marts.dim_date")


def test_tests_of_an_updated_model_check_the_rows_it_wrote(tmp_path: object) -> None:
    """Tests that passed on a model's rows check only the rows an update wrote; a new row that
    breaks not_null, or repeats a stored key, still fails them, and a run that updates nothing
    passes them without reading a row."""

    def statuses(result: RunResult) -> dict[str, tuple[str, int]]:
        return {t.test_id: (t.status, t.failing_rows) for t in result.tests}

    with _project_ws(tmp_path, {
        "marts/fct_names.sql": "select user_id, event_id, nullif(event_name, 'none') as name, "
                               "event_name || '-' || event_type as label from raw.events",
        "marts/_marts.yml": """
            version: 2
            models:
              - name: fct_names
                description: One row per event.
                config:
                  materialized: incremental
                  unique_key: event_id
                  partition_by: {user: user_id}
                columns:
                  - name: name
                    tests: [not_null]
                  - name: label
                    tests: [unique]
        """,
    }) as ws:
        for i, (user, name) in enumerate([("u1", "a"), ("u2", "b"), ("u3", "c")]):
            _add_event(ws, i, user, "b1", name=name)
        first = run_project(ws)
        assert first.published and set(statuses(first).values()) == {("pass", 0)}
        # Nothing new: the model is left as it is, and its tests passed on the same rows.
        again = run_project(ws)
        assert again.published and {t.message for t in again.tests} == {KEPT}
        _add_event(ws, 9, "u2", "b2", name="d")
        result = run_project(ws)
        assert result.published and set(statuses(result).values()) == {("pass", 0)}
        assert {t.message for t in result.tests} == {SCOPED}
        # A new row whose label repeats u2's stored one (checked against every row), and a
        # row without a name.
        _add_event(ws, 10, "u1", "b3", name="b")
        _add_event(ws, 11, "u3", "b3", name="none")
        result = run_project(ws)
        assert _notes(result) == {"fct_names": "updated for 2 user(s) with new events"}
        assert not result.published
        found = statuses(result)
        assert found["not_null_fct_names_name"] == ("fail", 1)
        assert found["unique_fct_names_label"] == ("fail", 1)
        # The run was not published: the model and its passed tests are as before, so the
        # same batch fails the same way again.
        assert statuses(run_project(ws)) == found
        # A full rebuild tests every row.
        full = run_project(ws, full_refresh=True)
        assert statuses(full) == found and not {t.message for t in full.tests} & {SCOPED}


def test_a_version_4_workspace_keeps_its_state_and_tests_in_full_once(tmp_path: object) -> None:
    """A workspace of schema version 4 has no record of the tests that passed: it gets the
    column, its incremental models update as before, and their tests check every row once."""
    import duckdb

    from shoplytics_desktop.core.generate import GenerateSpec, generate_into
    from shoplytics_desktop.core.workspace import SCHEMA_VERSION

    folder = Path(str(tmp_path)) / "ws"
    with Workspace.open(folder) as ws:
        generate_into(ws, GenerateSpec(events=3_000, days=10, seed=3))
        _hold_back(ws, "later", "hash(event_id) % 10 = 1")
        assert run_project(ws).published
    con = duckdb.connect(str(folder / "warehouse.duckdb"))
    # What schema version 4 had: neither the tests column (5) nor the build state (6).
    con.execute("ALTER TABLE _shoplytics.incremental_models DROP COLUMN tests")
    con.execute("DROP TABLE _shoplytics.build_state")
    con.execute("UPDATE _shoplytics.meta SET value = '4' WHERE key = 'schema_version'")
    con.close()
    with Workspace.open(folder) as ws:
        assert _one(ws, "SELECT value FROM _shoplytics.meta WHERE key = 'schema_version'") == (
            str(SCHEMA_VERSION))
        _arrive(ws, "later")
        result = run_project(ws)
        assert _notes(result)["int_sessions"].startswith("updated for"), _notes(result)
        assert not any(t.message == SCOPED for t in result.tests)
        assert _one(ws, "SELECT count(*) FROM _shoplytics.build_state") > 0
        _add_event(ws, 10**9, "u-later", "later-2")
        again = run_project(ws)
        scoped = [t.test_id for t in again.tests if t.message == SCOPED]
        assert "not_null_int_sessions_session_key" in scoped


def test_a_user_model_follows_a_model_of_kind_all_only_when_its_rows_change(tmp_path: object) -> None:
    """A model of kind all without a user column: a user model reading it is updated while its
    rows stay as they are, and rebuilt in full when they change (it cannot say whose)."""
    with _project_ws(tmp_path, {
        "marts/dim_types.sql": "select distinct event_type from raw.events",
        "marts/fct_user_types.sql": "select e.user_id, e.event_type, t.event_type is not null "
                                    "as known from raw.events as e left join dim_types as t "
                                    "using (event_type)",
        "marts/_marts.yml": """
            version: 2
            models:
              - name: dim_types
                description: Every event type.
                config:
                  materialized: incremental
                  unique_key: event_type
                  partition_by: {all: null}
              - name: fct_user_types
                description: One row per event.
                config:
                  materialized: incremental
                  unique_key: user_id
                  partition_by: {user: user_id}
        """,
    }) as ws:
        _add_event(ws, 1, "u1", "b1")
        assert run_project(ws).published
        _add_event(ws, 2, "u2", "b2")
        notes = _notes(run_project(ws))
        assert notes == {"dim_types": "up to date: no row changed",
                         "fct_user_types": "updated for 1 user(s) with new events"}, notes
        _add_event(ws, 3, "u2", "b3", event_type="purchase")
        notes = _notes(run_project(ws))
        assert notes == {"dim_types": "updated: 1 row(s) changed", "fct_user_types":
                         "rebuilt in full: dim_types changed rows and does not say whose"}, notes


_NUMBERED = {
    "intermediate/users_seen.sql": "select user_id, min(event_time) as first_time "
                                   "from raw.events group by user_id",
    "intermediate/user_numbers.sql": "select user_id, first_time, cast(row_number() over "
                                     "(order by first_time, user_id) as integer) as n "
                                     "from users_seen",
    "intermediate/_intermediate.yml": """
        version: 2
        models:
          - name: users_seen
            description: Each user's first event.
            config:
              materialized: incremental
              unique_key: user_id
              partition_by: {user: user_id}
          - name: user_numbers
            description: Users numbered in arrival order.
            config:
              materialized: incremental
              unique_key: user_id
              partition_by: {all: user_id, number: n, order_by: [first_time, user_id]}
    """,
}


def _event_at(ws: Workspace, event_id: str, user: str, hour: int, batch: str) -> None:
    ws.cursor().execute(
        "INSERT INTO raw.events (event_id, event_time, event_type, event_name, user_id, "
        "quantity, device, country, traffic_source, _batch_id, _loaded_at) VALUES "
        "(?, TIMESTAMP '2024-01-01 00:00:00' + to_hours(?), 'other', 'x', ?, 1, 'd', 'XX', 't', "
        "?, now())", [event_id, hour, user, batch])


def test_a_numbering_is_updated_from_the_first_place_that_changed(tmp_path: object) -> None:
    """A model that numbers its upstream's users (partition_by.number) numbers again only the
    users from the first place that changed: a user arriving last gets the next number alone; an
    earlier first event of a user moves them and renumbers the users between; a user whose
    events are deleted leaves, and those after them move up. Each equals a full rebuild."""
    from shoplytics_desktop.core import removed

    def numbers(ws: Workspace) -> list[tuple[str, int]]:
        return [(str(u), int(n)) for u, n in ws.cursor().execute(
            "SELECT user_id, n FROM intermediate.user_numbers ORDER BY n").fetchall()]

    def update(ws: Workspace) -> str:
        result = run_project(ws)
        note = _notes(result)["user_numbers"]
        _assert_equals_full_rebuild(ws, result)
        return note

    with _project_ws(tmp_path, _NUMBERED) as ws:
        for i, user in enumerate("abcde"):
            # b's only event in a batch of its own, deleted at the end; many other users' events
            # keep that batch under the share whose deletion is recorded.
            _event_at(ws, f"e{i}", user, 10 + i, "only_b" if user == "b" else "b1")
        for i in range(12):
            _event_at(ws, f"z{i}", f"z{i:02d}", 100 + i, "b1")
        assert run_project(ws).published
        assert numbers(ws)[:5] == [("a", 1), ("b", 2), ("c", 3), ("d", 4), ("e", 5)]

        _event_at(ws, "f1", "f", 200, "b2")
        assert update(ws) == "updated from number 18: 1 row(s) changed"
        assert numbers(ws)[-1] == ("f", 18)

        # d now arrived at 11:30, between b (11:00) and c (12:00): c moves down, d up.
        _event_at(ws, "d2", "d", 0, "b3")
        ws.cursor().execute("UPDATE raw.events SET event_time = TIMESTAMP '2024-01-01 11:30:00' "
                            "WHERE event_id = 'd2'")
        assert update(ws) == "updated from number 3: 4 row(s) changed"
        assert [u for u, _ in numbers(ws)][:5] == ["a", "b", "d", "c", "e"]

        # A user only seen again (their first event unchanged) renumbers no one.
        _event_at(ws, "a2", "a", 300, "b4")
        assert update(ws) == "up to date: no row changed"

        # b's only batch is deleted: b leaves, and the 16 users after b move up one.
        with ws.transaction() as tx:
            assert removed.record(tx, ["only_b"]) == 1
            tx.execute("DELETE FROM raw.events WHERE _batch_id = 'only_b'")
        assert update(ws) == "updated from number 2: 33 row(s) changed"
        assert numbers(ws)[:4] == [("a", 1), ("d", 2), ("c", 3), ("e", 4)]
        assert numbers(ws)[-1] == ("f", 17)


@pytest.mark.parametrize(("partition", "message"), [
    ("{all: user_id, number: n}", "goes with partition_by.order_by"),
    ("{all: null, number: n, order_by: [first_time, user_id]}", "goes with partition_by.order_by"),
    ("{all: user_id, number: n, order_by: [first_time]}", "should hold the unique_key"),
    ("{all: user_id, number: n, order_by: [n, user_id]}", "not the number column"),
])
def test_a_numbering_needs_a_total_order_and_a_user_column(
    tmp_path: object, partition: str, message: str
) -> None:
    from shoplytics_desktop.core.errors import ModelError
    from shoplytics_desktop.core.models.runner import load_workspace_project

    files = dict(_NUMBERED)
    files["intermediate/_intermediate.yml"] = files["intermediate/_intermediate.yml"].replace(
        "{all: user_id, number: n, order_by: [first_time, user_id]}", partition)
    with _project_ws(tmp_path, files) as ws, pytest.raises(ModelError, match=message):
        load_workspace_project(ws)


def test_rows_are_hashed_whole_whatever_their_columns_are_called(tmp_path: object) -> None:
    """Rows are compared (and relations read in full fingerprinted) by a hash of the whole row,
    even when a column is named like the alias the row is hashed by: a table whose only changed
    column is not ``t`` still changed, and the incremental model reading it is rebuilt."""
    with _project_ws(tmp_path, {
        "marts/labels.sql": "select 'same' as t, max(event_name) as label from raw.events",
        "marts/user_labels.sql": "select e.user_id, count(*) as n, any_value(l.label) as t "
                                 "from raw.events as e cross join labels as l group by e.user_id",
        "marts/_marts.yml": """
            version: 2
            models:
              - name: labels
                description: The greatest event name.
                config: {materialized: table}
              - name: user_labels
                description: Each user's events and the greatest name.
                config:
                  materialized: incremental
                  unique_key: user_id
                  partition_by: {user: user_id}
        """,
    }) as ws:
        _add_event(ws, 1, "u1", "b1", name="a")
        _add_event(ws, 2, "u2", "b1", name="b")
        assert run_project(ws).published
        _add_event(ws, 3, "u1", "b2", name="z")
        result = run_project(ws)
        assert _notes(result)["user_labels"] == "rebuilt in full: marts.labels changed"
        assert ws.cursor().execute("SELECT user_id, n, t FROM marts.user_labels ORDER BY 1"
                                   ).fetchall() == [("u1", 2, "z"), ("u2", 1, "z")]
        _assert_equals_full_rebuild(ws, result)
