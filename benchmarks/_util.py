"""Shared helpers for the benchmark scripts: peak RSS, a fresh generated workspace, and an empty
OS page cache."""

from __future__ import annotations

import os
import resource
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def peak_rss_mb() -> float:
    """Peak resident memory of this process (MB)."""
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024 if sys.platform != "darwin" else kb / 1024 / 1024


def generated_workspace(folder: Path, events: int, days: int = 90, seed: int = 7) -> float:
    """Fill ``folder`` with ``events`` generated events (reused if already there); returns seconds."""
    from shoplytics_desktop.core.generate import GenerateSpec, generate_into
    from shoplytics_desktop.core.workspace import Workspace

    with Workspace.open(folder) as ws:
        if ws.row_count("raw", "events") == events:
            return 0.0
        t0 = time.perf_counter()
        generate_into(ws, GenerateSpec(events=events, days=days, seed=seed), replace=True)
        return time.perf_counter() - t0


def drop_page_cache() -> bool:
    """Empty the OS page cache (Linux, as root), so that the next reads come from the disk;
    whether it could."""
    os.sync()
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError:
        return False
    return True


def hold_back(ws: Any, share: float, pick: str = "latest") -> int:
    """Move ``share`` of the workspace's events out of raw.events into main.new_events, to
    arrive later as a batch of their own (``add_held_batch``): the latest ones by time (the
    next export of a shop), or with ``pick="random"`` a sample from the whole time range (late
    events, an order's lines and a session's events split between batches). How many."""
    cur = ws.cursor()
    if pick == "latest":
        total = int(cur.execute("SELECT count(*) FROM raw.events").fetchone()[0])
        row = cur.execute("SELECT event_time FROM raw.events ORDER BY event_time DESC "
                          "LIMIT 1 OFFSET ?", [max(int(total * share) - 1, 0)]).fetchone()
        assert row is not None, "the workspace holds no events"
        where, params = "event_time >= ?", [row[0]]
    elif pick == "random":
        where, params = "hash(event_id || 'held') % 1000000 < ?", [int(share * 1_000_000)]
    else:
        raise ValueError(f"pick: latest or random, not {pick!r}")
    cur.execute("CREATE TABLE main.new_events AS SELECT * REPLACE ('new-batch' AS _batch_id) "
                f"FROM raw.events WHERE {where}", params)
    cur.execute(f"DELETE FROM raw.events WHERE {where}", params)
    # Their keys leave the batches that held them, so that the index says what raw.events does.
    cur.execute("DELETE FROM _shoplytics.event_keys WHERE key IN "
                "(SELECT hash(event_id) FROM main.new_events)")
    cur.execute("CHECKPOINT")
    return int(cur.execute("SELECT count(*) FROM main.new_events").fetchone()[0])


def add_held_batch(ws: Any) -> int:
    """The events ``hold_back`` set aside, added as an import batch of their own ('new-batch',
    listed as the app lists imports, so that ``delete_batch`` can take it out again); how many."""
    cur = ws.cursor()
    row = cur.execute("INSERT INTO raw.events SELECT * FROM main.new_events").fetchone()
    n = int(row[0]) if row else 0
    cur.execute("INSERT INTO _shoplytics.event_keys SELECT hash(event_id), _batch_id "
                "FROM main.new_events")
    cur.execute("INSERT INTO _shoplytics.batches (batch_id, kind, source, rows_read, "
                "rows_loaded, status) VALUES ('new-batch', 'events', 'benchmark', ?, ?, "
                "'loaded')", [n, n])
    cur.execute("DROP TABLE main.new_events")
    cur.execute("CHECKPOINT")
    return n


@dataclass
class RebuildCheck:
    """``full_rebuild_differences``: the full rebuild (its result and seconds), how many relations
    were compared, and the differing ones: (rows only the run had, rows only the rebuild has)."""

    full: Any
    seconds: float
    compared: int
    differing: dict[str, tuple[int, int]]

    def report(self, label: str) -> bool:
        """Print whether the run ``label`` names equals the rebuild (each differing relation
        with its counts); whether it does."""
        if not self.differing:
            print(f"  {label}: equal to a full rebuild in all {self.compared} relations "
                  f"(EXCEPT ALL both ways; the rebuild took {self.seconds:.2f} s)")
            return True
        print(f"  {label}: DIFFERS from a full rebuild in {len(self.differing)} of "
              f"{self.compared} relations (rows only the update has / rows only the rebuild "
              "has):")
        for rel, (mine, theirs) in sorted(self.differing.items()):
            print(f"    {rel:40s} {mine:>10,} / {theirs:,}")
        return False


def full_rebuild_differences(ws: Any, result: Any) -> RebuildCheck:
    """Whether the relations a run (``result``, usually an update) built hold exactly the rows a
    full rebuild of the same events gives: their rows are copied aside, everything is rebuilt
    (``run_project(full_refresh=True)``, which stays published), and each relation is compared
    with its copy by EXCEPT ALL both ways, doubles exactly (the tests' check of every update,
    tests/unit/relcompare.py, is this one)."""
    from shoplytics_desktop.core.models.runner import run_project

    cur = ws.cursor()
    built = [(m.layer, m.name) for m in result.models if m.materialized != "view"]
    cur.execute("DROP SCHEMA IF EXISTS bench_before CASCADE")  # left by a run that was stopped
    cur.execute("CREATE SCHEMA bench_before")
    for layer, name in built:
        cur.execute(f"CREATE TABLE bench_before.{name} AS FROM {layer}.{name}")
    t0 = time.perf_counter()
    full = run_project(ws, full_refresh=True)
    seconds = time.perf_counter() - t0
    assert full.published, full.message
    differing: dict[str, tuple[int, int]] = {}
    for layer, name in built:
        before, after = f"bench_before.{name}", f"{layer}.{name}"
        row = cur.execute(f"SELECT (SELECT count(*) FROM (FROM {before} EXCEPT ALL FROM {after})),"
                          f" (SELECT count(*) FROM (FROM {after} EXCEPT ALL FROM {before}))"
                          ).fetchone()
        assert row is not None
        if row[0] or row[1]:
            differing[f"{layer}.{name}"] = (int(row[0]), int(row[1]))
    cur.execute("DROP SCHEMA bench_before CASCADE")
    cur.execute("CHECKPOINT")
    return RebuildCheck(full, seconds, len(built), differing)
