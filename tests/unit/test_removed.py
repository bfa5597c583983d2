"""The record of deleted batches (core/removed.py): what is recorded, when, and when it goes."""

from __future__ import annotations

from pathlib import Path

from shoplytics_desktop.core import removed
from shoplytics_desktop.core.workspace import Workspace
from tests.unit.relcompare import one as _one


def _workspace(path: Path) -> Workspace:
    """2,000 generated events in three batches: 'small' (about 5 %), 'big' (about 30 %) and the
    generator's own."""
    from shoplytics_desktop.core.generate import GenerateSpec, generate_into

    ws = Workspace.open(path)
    generate_into(ws, GenerateSpec(events=2_000, days=10, seed=3))
    cur = ws.cursor()
    cur.execute("UPDATE raw.events SET _batch_id = 'small' WHERE hash(event_id) % 20 = 0")
    cur.execute("UPDATE raw.events SET _batch_id = 'big' WHERE hash(event_id) % 20 BETWEEN 1 AND 6")
    return ws


def test_a_small_batch_is_recorded_with_its_users_and_times(tmp_path: Path) -> None:
    with _workspace(tmp_path / "ws") as ws:
        cur = ws.cursor()
        events = _one(ws, "SELECT count(*) FROM raw.events WHERE _batch_id = 'small'")
        pairs = _one(ws, "SELECT count(*) FROM (SELECT DISTINCT user_id, event_time "
                         "FROM raw.events WHERE _batch_id = 'small')")
        assert removed.record(cur, ["small", "big", "nothing-of-that-name"]) == 1
        assert removed.recorded(cur) == {f"small:{events}"}
        assert _one(ws, f"SELECT count(*) FROM {removed.TABLE}") == pairs
        # Its exact (user, time) pairs, nothing else.
        assert _one(ws, f"""SELECT count(*) FROM ({removed.rows_of([f'small:{events}'])}
                            EXCEPT SELECT user_id, event_time FROM raw.events
                            WHERE _batch_id = 'small')""") == 0
        # Recorded again under the same name: still one record of each pair.
        assert removed.record(cur, ["small"]) == 1
        assert _one(ws, f"SELECT count(*) FROM {removed.TABLE}") == pairs
        removed.forget_except(cur, ["other:1"])
        assert removed.recorded(cur) == frozenset()


def test_a_batch_above_the_share_is_not_recorded_and_the_run_rebuilds(tmp_path: Path) -> None:
    from shoplytics_desktop.core.models.runner import run_project

    with _workspace(tmp_path / "ws") as ws:
        assert run_project(ws).published
        cur = ws.cursor()
        share = _one(ws, "SELECT avg(CAST(_batch_id = 'big' AS INTEGER)) FROM raw.events")
        assert share > removed.MAX_SHARE
        with ws.transaction() as tx:
            assert removed.record(tx, ["big"]) == 0
            tx.execute("DELETE FROM raw.events WHERE _batch_id = 'big'")
        result = run_project(ws)
        assert result.published, result.message
        notes = {m.name: m.note for m in result.models}
        assert notes["int_sessions"] == (
            "rebuilt in full: a batch of events was deleted, replaced or changed")
        # The small one, recorded, is an update.
        with ws.transaction() as tx:
            assert removed.record(tx, ["small"]) == 1
            tx.execute("DELETE FROM raw.events WHERE _batch_id = 'small'")
        result = run_project(ws)
        notes = {m.name: m.note for m in result.models}
        assert notes["int_sessions"].endswith(
            "user(s) with deleted events, from the first session those can change"), notes
        assert removed.recorded(cur) == frozenset()
