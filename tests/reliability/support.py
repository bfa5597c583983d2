"""Shared checks for the reliability suite: what a workspace holds, and whether it is consistent.

Every fault test takes a ``Snapshot`` before the fault and checks the workspace against it after:
the raw tables hold exactly the committed batches, the marts are the last published build, and
no run is left marked 'running'.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

from shoplytics_desktop.core.sqlutil import quote_ident
from shoplytics_desktop.core.workspace import Workspace

BATCH_TABLES = ("events", "products", "users", "rejected_events")
FIGURES_FILE = Path(os.environ.get("SHOPLYTICS_RELIABILITY_FIGURES", "")) if os.environ.get(
    "SHOPLYTICS_RELIABILITY_FIGURES"
) else None


def table_checksums(cur: duckdb.DuckDBPyConnection, schema: str) -> dict[str, tuple[int, int]]:
    """Row count and an order-independent hash of every row, per table of ``schema``."""
    names = [
        r[0]
        for r in cur.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = ? ORDER BY 1", [schema]
        ).fetchall()
    ]
    out: dict[str, tuple[int, int]] = {}
    for name in names:
        row = cur.execute(
            f"SELECT count(*), coalesce(sum(hash(t)::HUGEINT), 0) "
            f"FROM {quote_ident(schema)}.{quote_ident(name)} t"
        ).fetchone()
        assert row is not None
        out[name] = (int(row[0]), int(row[1]))
    return out


@dataclass(frozen=True)
class Snapshot:
    raw: dict[str, tuple[int, int]]
    marts: dict[str, tuple[int, int]]
    batches: tuple[tuple[str, str, int], ...]  # (batch_id, kind, rows_loaded)
    last_published: str | None
    runs: int

    @classmethod
    def take(cls, ws: Workspace) -> Snapshot:
        cur = ws.cursor()
        batches = tuple(
            (str(b), str(k), int(n or 0))
            for b, k, n in cur.execute(
                "SELECT batch_id, kind, rows_loaded FROM _shoplytics.batches ORDER BY 1, 2"
            ).fetchall()
        )
        pub = cur.execute(
            "SELECT value FROM _shoplytics.meta WHERE key = 'last_published_run'"
        ).fetchone()
        runs = cur.execute("SELECT count(*) FROM _shoplytics.runs").fetchone()
        return cls(
            raw=table_checksums(cur, "raw"),
            marts=table_checksums(cur, "marts"),
            batches=batches,
            last_published=pub[0] if pub else None,
            runs=int(runs[0]) if runs else 0,
        )

    @property
    def event_rows(self) -> int:
        return self.raw["events"][0]


def check_consistent(ws: Workspace) -> None:
    """The raw tables hold exactly the rows of recorded batches, as many as each batch says."""
    cur = ws.cursor()
    for table in BATCH_TABLES:
        orphans = cur.execute(
            f"SELECT count(*) FROM raw.{table} WHERE _batch_id IS NULL OR _batch_id NOT IN "
            "(SELECT batch_id FROM _shoplytics.batches)"
        ).fetchone()
        assert orphans == (0,), f"raw.{table} holds rows of no recorded batch"
    mismatched = cur.execute(
        """SELECT b.batch_id, b.rows_loaded, count(e._batch_id)
           FROM _shoplytics.batches b LEFT JOIN raw.events e ON e._batch_id = b.batch_id
           WHERE b.kind IN ('events', 'generated')
           GROUP BY ALL HAVING count(e._batch_id) <> b.rows_loaded"""
    ).fetchall()
    assert mismatched == [], f"batches whose recorded row count differs from raw.events: {mismatched}"
    total = cur.execute(
        "SELECT (SELECT count(*) FROM raw.events), "
        "(SELECT coalesce(sum(rows_loaded), 0) FROM _shoplytics.batches "
        " WHERE kind IN ('events', 'generated'))"
    ).fetchone()
    assert total is not None and total[0] == total[1]
    running = cur.execute("SELECT count(*) FROM _shoplytics.runs WHERE status = 'running'").fetchone()
    assert running == (0,), "a run is still marked 'running' after reopening"


def record_figure(name: str, value: int | list[str]) -> None:
    """Add to the suite's summary figures (printed at the end of the session)."""
    FIGURES.setdefault(name, [])
    if isinstance(value, list):
        FIGURES[name].extend(value)
    else:
        FIGURES[name].append(str(value))


FIGURES: dict[str, list[str]] = {}


def dump_figures(path: Path) -> None:
    path.write_text(json.dumps(FIGURES, indent=1), encoding="utf-8")
