"""Incremental runs equal full rebuilds over seeded random sequences of batches added, deleted and
added again, in time zones with unusual offsets and a DST change inside the data.

Where ``test_incremental_scenarios`` follows one planned story, these cut the generated events
into batches by chance (a share of the events, of the users, a type of event, a window of hours
that may cross a local midnight), with some users' sessions left to the gap rule and some users'
events shifted by hours, then apply a random sequence of steps; after every step each table of
staging, intermediate and marts holds the same rows in both workspaces (EXCEPT ALL both ways).

Zones: Lord Howe (a 30-minute DST change), Chatham (+12:45/+13:45) and St. John's (-3:30).
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
from pathlib import Path

import pytest

from shoplytics_desktop.core import removed
from shoplytics_desktop.core.generate import GenerateSpec, generate_into
from shoplytics_desktop.core.models.runner import run_project
from shoplytics_desktop.core.workspace import Workspace
from tests.unit.relcompare import both, differences, one
from tests.unit.test_incremental_scenarios import _harden

pytestmark = pytest.mark.slow


def _cut_batches(ws: Workspace, rnd: random.Random, days: int) -> list[str]:
    """Move random batches out of raw.events into main.held_<name>; their names."""
    cur = ws.cursor()
    first = one(ws, "SELECT min(event_time) FROM raw.events")
    names = []
    for i in range(5):
        kind = rnd.choice(["events", "users", "type", "hours"])
        if kind == "events":
            where = f"hash(event_id || '{i}') % {rnd.randrange(3, 12)} = 0"
        elif kind == "users":
            where = f"hash(user_id || '{i}') % {rnd.randrange(3, 12)} = 0"
        elif kind == "type":
            step = rnd.choice(["purchase", "add_to_cart", "product_view", "page_view"])
            where = f"event_type = '{step}' AND hash(event_id || '{i}') % 2 = 0"
        else:
            lo = rnd.randrange(0, days * 24)
            where = (f"event_time >= TIMESTAMP '{first}' + INTERVAL {lo} HOUR AND event_time < "
                     f"TIMESTAMP '{first}' + INTERVAL {lo + rnd.randrange(1, 48)} HOUR")
        name = f"b{i}"
        cur.execute(f"CREATE TABLE main.held_{name} AS SELECT * REPLACE ('{name}' AS _batch_id) "
                    f"FROM raw.events WHERE {where}")
        cur.execute(f"DELETE FROM raw.events WHERE {where}")
        if one(ws, f"SELECT count(*) FROM main.held_{name}"):
            names.append(name)
    return names


@pytest.mark.parametrize(("seed", "zone", "start", "timeout"), [
    (104, "Australia/Lord_Howe", dt.date(2024, 10, 3), 1),
    (107, "Pacific/Chatham", dt.date(2024, 4, 5), 5),
    (116, "America/St_Johns", dt.date(2024, 11, 1), 120),
], ids=["lord-howe", "chatham", "st-johns"])
def test_random_batches_added_deleted_and_added_again_equal_full_rebuilds(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        seed: int, zone: str, start: dt.date, timeout: int) -> None:
    monkeypatch.setattr(removed, "MAX_SHARE", 0.9)  # record every deleted batch
    rnd = random.Random(seed)
    days = 10
    with Workspace.open(tmp_path / "inc") as ws:
        generate_into(ws, GenerateSpec(events=4_000, days=days, seed=seed, start=start))
        _harden(ws)
        cur = ws.cursor()
        cur.execute("UPDATE raw.events SET session_id = NULL WHERE hash(user_id) % 2 = 1")
        cur.execute(f"UPDATE raw.events SET event_time = event_time + INTERVAL "
                    f"{rnd.randrange(1, 23)} HOUR WHERE hash(user_id) % 3 = 2")
        names = _cut_batches(ws, rnd, days)
    assert len(names) >= 3
    shutil.copytree(tmp_path / "inc", tmp_path / "full")
    inc, full = Workspace.open(tmp_path / "inc"), Workspace.open(tmp_path / "full")
    try:
        for w in (inc, full):
            w.settings.time_zone = zone
            w.settings.session_timeout_minutes = timeout
        assert run_project(inc).published
        present: set[str] = set()
        steps: list[str] = []
        for _ in range(8):
            absent = [n for n in names if n not in present]
            if present and (not absent or rnd.random() < 0.35):
                name = rnd.choice(sorted(present))
                steps.append(f"-{name}")
                for w in (inc, full):
                    removed.record(w.cursor(), [name])
                both((inc, full), f"DELETE FROM raw.events WHERE _batch_id = '{name}'")
                present.discard(name)
            else:
                name = rnd.choice(absent)
                steps.append(name)
                both((inc, full), f"INSERT INTO raw.events SELECT * REPLACE "
                                  f"(now() AS _loaded_at) FROM main.held_{name}")
                present.add(name)
            result = run_project(inc)
            assert result.published, (steps, result.message)
            assert run_project(full, full_refresh=True).published
            notes = {m.name: m.note for m in result.models}
            assert notes["int_sessions"].startswith(("updated", "up to date")), (steps, notes)
            assert differences(inc, full, tmp_path / "cmp") == {}, (steps, notes)
        # Both kinds of step happened, and a batch came back after it was deleted.
        assert any(s.startswith("-") for s in steps)
        assert any(f"-{s}" in steps[:i] for i, s in enumerate(steps) if not s.startswith("-"))
    finally:
        inc.close()
        full.close()
