"""Events taken out of the workspace since the models were built: whose they were and when.

Raw events arrive in batches and leave only whole (a deleted batch). Incremental models
(models/incremental.py) update the users and days of the batches added since their last build;
for a deleted batch they need the same for the events that are gone. So deleting a batch first
records the distinct (user, time) of its events here, under the batch as the models' state names
it (``token``: its id and number of events). A run that lacks only recorded batches updates those
users and days, and forgets the records no model's state refers to any more; without a record it
rebuilds in full, as it must.

A batch holding more than ``MAX_SHARE`` of the events is not recorded: updating that share of the
users costs about what a full rebuild does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import duckdb

from shoplytics_desktop.core.sqlutil import quote_literal
from shoplytics_desktop.core.workspace import INTERNAL

TABLE = f"{INTERNAL}.removed_events"
MAX_SHARE = 0.10


def token(batch_id: str, events: int) -> str:
    """A batch as the incremental state knows it: a batch that changed size is another one."""
    return f"{batch_id}:{events}"


def record(con: duckdb.DuckDBPyConnection, batch_ids: Sequence[str]) -> int:
    """Record the users and times of these batches' events (before they are deleted, in the
    same transaction); how many batches were recorded."""
    total_row = con.execute("SELECT count(*) FROM raw.events").fetchone()
    total = int(total_row[0]) if total_row else 0
    # The batches' sizes in one read of the batch column (a batch without events has none).
    sizes = con.execute(
        "SELECT _batch_id, count(*) FROM raw.events WHERE _batch_id IN "
        "(SELECT unnest(?::VARCHAR[])) GROUP BY 1", [list(batch_ids)]
    ).fetchall()
    recorded = 0
    for batch, events in sizes:
        if events > MAX_SHARE * total:
            continue
        name = token(batch, events)
        con.execute(f"DELETE FROM {TABLE} WHERE batch = ?", [name])
        con.execute(
            f"INSERT INTO {TABLE} SELECT DISTINCT ?, user_id, event_time FROM raw.events "
            "WHERE _batch_id = ?", [name, batch])
        recorded += 1
    return recorded


def recorded(con: duckdb.DuckDBPyConnection) -> frozenset[str]:
    """The batches (tokens) whose removal is recorded."""
    return frozenset(r[0] for r in con.execute(f"SELECT DISTINCT batch FROM {TABLE}").fetchall())


def rows_of(tokens: Iterable[str]) -> str:
    """The SELECT of the recorded (user_id, event_time) of these batches."""
    listed = ", ".join(quote_literal(t) for t in sorted(tokens)) or "NULL"
    return f"SELECT user_id, event_time FROM {TABLE} WHERE batch IN ({listed})"


def forget_except(con: duckdb.DuckDBPyConnection, keep: Iterable[str]) -> None:
    """Drop the records of every batch but these (the ones a model's state still refers to)."""
    listed = ", ".join(quote_literal(t) for t in sorted(set(keep)))
    con.execute(f"DELETE FROM {TABLE}" + (f" WHERE batch NOT IN ({listed})" if listed else ""))
