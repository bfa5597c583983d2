"""Incremental runs, one after another, equal a full rebuild in a reporting time zone with DST.

Two copies of one workspace get the same raw changes step by step. One is updated by incremental
runs only (each run starts from the previous incremental one); the other is rebuilt in full after
each step. After every step each table of staging, intermediate and marts holds the same rows in
both (EXCEPT ALL both ways, doubles compared exactly).

The data is generated, then made harder: times with microseconds, some users without source
session and order ids (the gap rule makes their sessions), events moved onto their user's previous
instant (ties broken by event_id), purchases in a second currency (orders in two currencies
included), refund lines, purchase lines without an order id inside source sessions, a third of the
products missing from the catalog (their attributes come from the events).

Batches held back and brought back one by one: events from every day, a second catalog that
moves half of its products to another category, a day's half of the users, events an hour after
the last one that give the products outside the catalog a new category, brand and price (many at
one instant, with differing prices: the tie is broken the same way in both), a later users
snapshot, users' first events, the last day, new users, half of the refunds, events from before
the first day (the span of days grows at its start).

Then the second catalog and the later snapshot are deleted, and five event batches as the app
deletes them (their events' users and times recorded first): half of a day's users, events from
every day, the new attributes, the days before the first, and the last day (the span of days
shrinks at both ends).
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from shoplytics_desktop.core import removed
from shoplytics_desktop.core.models.runner import run_project
from shoplytics_desktop.core.workspace import Workspace
from tests.unit.relcompare import both as _both
from tests.unit.relcompare import differences as _differences
from tests.unit.relcompare import one as _one
from tests.unit.relcompare import published as _published

pytestmark = pytest.mark.slow


def _harden(ws: Workspace) -> None:
    cur = ws.cursor()
    # Times with microseconds, as many exports have: durations are not whole seconds, and sums
    # of them must not depend on the order rows are added in.
    cur.execute("UPDATE raw.events SET event_time = event_time "
                "+ to_microseconds(CAST(hash(event_id) % 1000000 AS BIGINT))")
    cur.execute("UPDATE raw.events SET session_id = NULL, order_id = NULL "
                "WHERE hash(user_id) % 3 = 0")
    # Ties: an event in nine moves onto its user's previous event's instant.
    cur.execute(
        "UPDATE raw.events AS e SET event_time = p.prev FROM ("
        "  SELECT event_id, lag(event_time) OVER (PARTITION BY user_id "
        "  ORDER BY event_time, event_id) AS prev FROM raw.events) AS p "
        "WHERE p.event_id = e.event_id AND p.prev IS NOT NULL AND hash(e.event_id) % 9 = 0")
    cur.execute("UPDATE raw.events SET currency = 'EUR' "
                "WHERE event_type = 'purchase' AND hash(event_id) % 7 = 0")
    cur.execute(
        "INSERT INTO raw.events SELECT * REPLACE ('r-' || event_id AS event_id, "
        "'refund' AS event_type, 'refund' AS event_name, "
        "event_time + to_hours(CAST(1 + hash(event_id) % 50 AS BIGINT)) AS event_time) "
        "FROM raw.events WHERE event_type = 'purchase' AND hash(event_id) % 4 = 0")
    cur.execute("UPDATE raw.events SET order_id = NULL WHERE hash(event_id) % 11 = 0")
    cur.execute("DELETE FROM raw.products WHERE hash(product_id) % 3 = 0")


def _hold_back(ws: Workspace) -> list[str]:
    """Move batches out of raw.events (and a later users snapshot out of raw.users), to come
    back one by one. Returns the batch names, in the order they come back."""
    cur = ws.cursor()
    last = _one(ws, "SELECT CAST(max(event_time) AS DATE) FROM raw.events WHERE "
                    "event_type <> 'refund'")
    held = {
        "refunds": "event_type = 'refund' AND hash(event_id) % 2 = 0",
        "lastday": f"event_time >= DATE '{last}' AND event_type <> 'refund'",
        "newusers": "user_id IN (SELECT user_id FROM raw.events GROUP BY 1 "
                    f"HAVING min(event_time) > DATE '{last}' - 4 ORDER BY 1 LIMIT 5)",
        "firsts": "event_id IN (SELECT arg_min(event_id, (event_time, event_id)) "
                  "FROM raw.events GROUP BY user_id HAVING hash(user_id) % 5 = 0)",
        "midday": f"event_time >= DATE '{last}' - 4 AND event_time < DATE '{last}' - 3 "
                  "AND hash(user_id) % 2 = 0",
        "late": "hash(event_id) % 50 = 3",
    }
    for name, where in held.items():
        cur.execute(f"CREATE TABLE main.held_{name} AS SELECT * FROM raw.events WHERE {where}")
        cur.execute(f"DELETE FROM raw.events WHERE {where}")
        assert _one(ws, f"SELECT count(*) FROM main.held_{name}"), name
    # Products outside the catalog seen again an hour after the last event, all at one instant,
    # with another category, brand and price (the prices differ between those events).
    last_time = _one(ws, "SELECT max(event_time) FROM raw.events")
    cur.execute(
        "CREATE TABLE main.held_recat AS SELECT * REPLACE ('x-' || event_id AS event_id, "
        "'Recat' AS category, 'NewBrand' AS brand, price + 1 AS price, "
        f"TIMESTAMP '{last_time}' + INTERVAL 1 HOUR AS event_time) FROM raw.events "
        "WHERE hash(product_id) % 3 = 0 AND hash(event_id) % 5 = 0")
    assert _one(ws, "SELECT count(DISTINCT price) < count(*) FROM main.held_recat "
                    "GROUP BY product_id ORDER BY count(*) DESC LIMIT 1")
    cur.execute("CREATE TABLE main.held_catalog AS SELECT * REPLACE ('catalog2' AS _batch_id, "
                "'Catalog2' AS category) FROM raw.products WHERE hash(product_id) % 2 = 0")
    # Events from before the first day (a backfill): the span of days grows at its start.
    first_time = _one(ws, "SELECT min(event_time) FROM raw.events")
    cur.execute(
        "CREATE TABLE main.held_early AS SELECT * REPLACE ('e-' || event_id AS event_id, "
        "event_time - INTERVAL 6 DAY AS event_time) FROM raw.events "
        f"WHERE event_time < TIMESTAMP '{first_time}' + INTERVAL 2 DAY AND hash(user_id) % 4 = 1")
    cur.execute("CREATE TABLE main.held_users AS SELECT * REPLACE ('users2' AS _batch_id, "
                "updated_at + INTERVAL 3 DAY AS updated_at, 'vip' AS segment) "
                "FROM raw.users WHERE hash(user_id) % 4 = 0")
    return ["late", "catalog", "midday", "recat", "users", "firsts", "lastday", "newusers",
            "refunds", "early"]


@pytest.fixture(params=[("America/New_York", 30, dt.date(2024, 3, 1)),
                        ("Asia/Kolkata", 10, dt.date(2024, 10, 20))],
                ids=["new-york-dst", "kolkata-short-timeout"])
def pair(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Workspace, Workspace]]:
    from shoplytics_desktop.core.generate import GenerateSpec, generate_into

    zone, timeout, start = request.param
    with Workspace.open(tmp_path / "inc") as ws:
        # 12 days from 03-01 cross New York's change to summer time on 03-10; from 10-20 they
        # cross the European change on 10-27 (Kolkata keeps its +05:30).
        generate_into(ws, GenerateSpec(events=5_000, days=12, seed=7, start=start))
        _harden(ws)
        _hold_back(ws)
    shutil.copytree(tmp_path / "inc", tmp_path / "full")
    inc, full = Workspace.open(tmp_path / "inc"), Workspace.open(tmp_path / "full")
    for ws in (inc, full):
        ws.settings.time_zone = zone
        ws.settings.session_timeout_minutes = timeout
    yield inc, full
    inc.close()
    full.close()


def test_incremental_runs_in_a_row_equal_full_rebuilds(
        pair: tuple[Workspace, Workspace], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inc, full = pair
    # The last day is more than removed.MAX_SHARE of these 12 days: recorded all the same.
    monkeypatch.setattr(removed, "MAX_SHARE", 0.5)
    _published(run_project(inc))
    steps = ["late", "catalog", "midday", "recat", "users", "firsts", "lastday", "newusers",
             "refunds", "early", "-catalog", "-users", "-midday", "-late", "-recat", "-early",
             "-lastday"]
    updated = set()
    for step in steps:
        if step == "catalog":
            _both(pair, "INSERT INTO raw.products SELECT * REPLACE (now() AS _loaded_at) "
                        "FROM main.held_catalog")
        elif step == "users":
            _both(pair, "INSERT INTO raw.users SELECT * REPLACE (now() AS _loaded_at) "
                        "FROM main.held_users")
        elif step in ("-catalog", "-users"):
            table, batch = {"-catalog": ("products", "catalog2"),
                            "-users": ("users", "users2")}[step]
            _both(pair, f"DELETE FROM raw.{table} WHERE _batch_id = '{batch}'")
        elif step.startswith("-"):
            for ws in pair:
                assert removed.record(ws.cursor(), [step[1:]]) == 1
            _both(pair, f"DELETE FROM raw.events WHERE _batch_id = '{step[1:]}'")
        else:
            _both(pair, f"INSERT INTO raw.events SELECT * REPLACE ('{step}' AS _batch_id, "
                        f"now() AS _loaded_at) FROM main.held_{step}")
        result = _published(run_project(inc))
        _published(run_project(full, full_refresh=True))
        notes = {m.name: m.note for m in result.models}
        if notes.get("int_sessions", "").startswith("updated for"):
            updated.add(step)
        assert _differences(inc, full, tmp_path / "cmp") == {}, (step, notes)
    # The event batches were applied as updates, not rebuilds, and so were the deletions; their
    # records are gone once every model was built without those batches.
    assert {"late", "midday", "recat", "firsts", "lastday", "newusers", "refunds", "early",
            "-midday", "-late", "-recat", "-early", "-lastday"} <= updated
    assert _one(inc, f"SELECT count(*) FROM {removed.TABLE}") == 0
