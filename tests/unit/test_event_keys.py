"""The event-key index (_shoplytics.event_keys) that imports look for duplicates in: kept equal
to raw.events' ids through imports, deletes and upgrades, and never trusted on a key alone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from shoplytics_desktop.core.generate import GenerateSpec, generate_into
from shoplytics_desktop.core.ingest import delete_batch, import_events
from shoplytics_desktop.core.workspace import SCHEMA_VERSION, Workspace

HEADER = "event_id,event_time,event_type,user_id,product_id\n"


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    with Workspace.open(tmp_path / "ws") as w:
        yield w


def _csv(path: Path, ids: list[int]) -> Path:
    rows = "".join(f"e{i},2024-03-01 10:{i:02d}:00,view,u1,p1\n" for i in ids)
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def _loaded(ws: Workspace, path: Path) -> int:
    v = import_events(ws, [path]).validation
    assert v is not None
    return v.rows_loaded


def _index(ws: Workspace) -> list[tuple[str, str]]:
    """(event id, batch) of every key, matched back to the ids: equal to raw.events' when the
    index is exact."""
    return ws.cursor().execute(
        """SELECT e.event_id, k._batch_id FROM _shoplytics.event_keys k
           JOIN raw.events e ON hash(e.event_id) = k.key AND e._batch_id = k._batch_id
           ORDER BY 1"""
    ).fetchall()


def _events(ws: Workspace) -> list[tuple[str, str]]:
    return ws.cursor().execute("SELECT event_id, _batch_id FROM raw.events ORDER BY 1").fetchall()


def _keys(ws: Workspace) -> int:
    row = ws.cursor().execute("SELECT count(*) FROM _shoplytics.event_keys").fetchone()
    return int(row[0]) if row else -1


def test_an_updated_export_adds_only_its_new_lines(ws: Workspace, tmp_path: Path) -> None:
    assert _loaded(ws, _csv(tmp_path / "a.csv", [1, 2, 3])) == 3
    # The same export a day later (another file: no fingerprint match), two lines longer.
    assert _loaded(ws, _csv(tmp_path / "b.csv", [1, 2, 3, 4, 5])) == 2
    assert _loaded(ws, _csv(tmp_path / "c.csv", [5, 4, 3])) == 0
    assert _keys(ws) == 5
    assert _index(ws) == _events(ws)
    # A repeat within the batch leaves one key, like one row.
    assert _loaded(ws, _csv(tmp_path / "d.csv", [6, 7, 6, 2])) == 2
    assert _keys(ws) == 7
    assert _index(ws) == _events(ws)
    # Three copies of one id, and an id repeated with other values (the second is rejected):
    # only the repeated keys are written again, one per row kept.
    e = tmp_path / "e.csv"
    e.write_text(HEADER + "e8,2024-03-01 11:00:00,view,u1,p1\n" * 3
                 + "e9,2024-03-01 11:01:00,view,u1,p1\ne9,2024-03-01 11:01:00,view,u2,p1\n"
                 + "e10,2024-03-01 11:02:00,view,u1,p1\n", encoding="utf-8")
    v = import_events(ws, [e]).validation
    assert v is not None
    assert (v.rows_loaded, v.rows_duplicate, v.rows_rejected) == (3, 2, 1)
    assert _keys(ws) == 10
    assert _index(ws) == _events(ws)


def test_deleting_a_batch_takes_its_keys_out(ws: Workspace, tmp_path: Path) -> None:
    a = import_events(ws, [_csv(tmp_path / "a.csv", [1, 2, 3])])
    assert _loaded(ws, _csv(tmp_path / "b.csv", [1, 2, 3, 4, 5])) == 2
    assert a.batch_id is not None
    delete_batch(ws, a.batch_id)
    assert _keys(ws) == 2 and _index(ws) == _events(ws)
    # Its events are gone, so importing them again loads them again (a new file: b's copy of
    # the first lines would be matched by fingerprint otherwise).
    assert _loaded(ws, _csv(tmp_path / "a2.csv", [1, 2, 3, 4])) == 3
    assert _keys(ws) == 5 and _index(ws) == _events(ws)


def test_a_shared_key_is_not_a_duplicate_without_the_same_id(
    ws: Workspace, tmp_path: Path
) -> None:
    assert _loaded(ws, _csv(tmp_path / "a.csv", [1, 2])) == 2
    # Make e1's key the key of e7, as a hash collision would: e7 is still new.
    ws.cursor().execute(
        "UPDATE _shoplytics.event_keys SET key = hash('e7') WHERE key = hash('e1')"
    )
    assert _loaded(ws, _csv(tmp_path / "b.csv", [7, 2])) == 1
    assert [e for e, _ in _events(ws)] == ["e1", "e2", "e7"]


def test_an_index_that_does_not_match_the_events_is_built_again(
    ws: Workspace, tmp_path: Path
) -> None:
    assert _loaded(ws, _csv(tmp_path / "a.csv", [1, 2, 3])) == 3
    cur = ws.cursor()
    cur.execute("DELETE FROM _shoplytics.event_keys WHERE key = hash('e2')")
    assert _loaded(ws, _csv(tmp_path / "b.csv", [2, 3, 4])) == 1  # e2 found all the same
    assert _index(ws) == _events(ws)
    # Keys written by a DuckDB whose hash differed: the stored probe says so.
    cur.execute("UPDATE _shoplytics.meta SET value = 'other' WHERE key = 'event_key_probe'")
    cur.execute("UPDATE _shoplytics.event_keys SET key = key + 1")
    assert _loaded(ws, _csv(tmp_path / "c.csv", [1, 4, 5])) == 1
    assert _keys(ws) == 5 and _index(ws) == _events(ws)


def _as_version_2(folder: Path) -> None:
    """What schema version 2 left: the same tables without the index."""
    con = duckdb.connect(str(folder / "warehouse.duckdb"))
    con.execute("DROP TABLE _shoplytics.event_keys")
    con.execute("DELETE FROM _shoplytics.meta WHERE key = 'event_key_probe'")
    con.execute("UPDATE _shoplytics.meta SET value = '2' WHERE key = 'schema_version'")
    con.close()


def test_a_version_2_workspace_gets_the_index_and_dedupes(tmp_path: Path) -> None:
    folder = tmp_path / "ws"
    with Workspace.open(folder) as ws:
        assert _loaded(ws, _csv(tmp_path / "a.csv", [1, 2, 3])) == 3
    _as_version_2(folder)
    with Workspace.open(folder) as ws:
        cur = ws.cursor()
        assert cur.execute(
            "SELECT value FROM _shoplytics.meta WHERE key = 'schema_version'"
        ).fetchone() == (str(SCHEMA_VERSION),)
        assert _keys(ws) == 0  # opening writes no keys: the first import does
        assert _loaded(ws, _csv(tmp_path / "b.csv", [1, 2, 3, 4])) == 1
        assert _keys(ws) == 4 and _index(ws) == _events(ws)
    with Workspace.open(folder) as ws:
        assert ws._schema_is_current()


def test_a_dry_run_counts_held_events_through_the_index(ws: Workspace, tmp_path: Path) -> None:
    assert _loaded(ws, _csv(tmp_path / "a.csv", [1, 2, 3])) == 3
    ws.cursor().execute(
        "UPDATE _shoplytics.event_keys SET key = hash('e7') WHERE key = hash('e1')"
    )
    v = import_events(ws, [_csv(tmp_path / "b.csv", [7, 2, 2])], dry_run=True).validation
    assert v is not None
    # e2 is held (two rows of the file); e7 only shares a key with a held event.
    assert (v.rows_loaded, v.rows_duplicate, v.duplicates_existing) == (1, 2, 2)
    assert _keys(ws) == 3


def test_generated_data_is_indexed_by_the_next_import_and_its_removal_too(
    ws: Workspace, tmp_path: Path
) -> None:
    spec = GenerateSpec(events=300, days=3, start=dt.date(2024, 2, 1))
    generate_into(ws, spec)
    assert _keys(ws) == 0  # generating writes no keys
    assert _loaded(ws, _csv(tmp_path / "a.csv", [1, 2])) == 2
    assert _keys(ws) == 302 and _index(ws) == _events(ws)
    # Replacing everything with generated data takes every key out with the rows.
    generate_into(ws, GenerateSpec(events=200, days=3, start=dt.date(2024, 2, 1), seed=7),
                  replace_imports=True)
    assert _keys(ws) == 0
    assert _loaded(ws, _csv(tmp_path / "b.csv", [1, 2, 3])) == 3
    assert _keys(ws) == 203 and _index(ws) == _events(ws)
