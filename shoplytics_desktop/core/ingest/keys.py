"""The event-key index: a 64-bit hash of every stored event id, with its batch.

An import looks for its events among the earlier batches' by joining on these keys: 8 bytes a
row, never the ids themselves (a 100M-event workspace holds about 3 GB of ids). Two different
ids may share a key, so a match is only a candidate: its id is compared with the ids of the
batches whose keys it matched, which reads those batches' ids only (their rows lie together in
the file, and DuckDB skips the row groups of other batches). Without a match nothing more is read.

The index is ``KEYS_TABLE`` (schema version 3): imports add their batch's keys, deleting a
batch (here or by the generator) removes them, all in the same transaction as the rows. Any
other change (a workspace of an older version, rows written without keys, a DuckDB whose hash
differs) shows as a count that is not raw.events' or a changed probe, and ``ensure`` then builds
the index again from the ids.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from shoplytics_desktop.core.sqlutil import quote_literal
from shoplytics_desktop.core.workspace import INTERNAL

KEYS_TABLE = f"{INTERNAL}.event_keys"
#: The new batch's ids and keys while ``drop_existing`` looks for them in earlier batches.
NEW_KEYS = "__ingest_new_keys"
#: The new rows whose key an earlier batch holds, with that batch.
KEY_HITS = "__ingest_key_hits"
#: The new rows whose id an earlier batch holds (keys can collide; ids cannot), with that batch.
HELD = "__ingest_held"
#: The keys a batch holds more than once, while its repeats are dropped.
REPEATED = "__ingest_repeated"
#: The value DuckDB's hash() gave this text when the keys were written (in _shoplytics.meta).
_PROBE_TEXT = "shoplytics event key"
_PROBE_META = "event_key_probe"


def key_sql(event_id: str) -> str:
    """The key of an event id (an SQL expression)."""
    return f"hash({event_id})"


def _scalar(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[object] = ()) -> object:
    row = con.execute(sql, list(params)).fetchone()
    return row[0] if row else None


def _probe(con: duckdb.DuckDBPyConnection) -> str:
    return str(_scalar(con, f"SELECT {key_sql('?')}", [_PROBE_TEXT]))


def is_current(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the index holds a key for every row of raw.events, of this DuckDB's hash (counts
    are metadata to DuckDB: checking costs nothing)."""
    probe = _probe(con)
    stored = _scalar(con, f"SELECT value FROM {INTERNAL}.meta WHERE key = ?", [_PROBE_META])
    events = _scalar(con, "SELECT count(*) FROM raw.events")
    keys = _scalar(con, f"SELECT count(*) FROM {KEYS_TABLE}")
    return stored == probe and events == keys


def ensure(con: duckdb.DuckDBPyConnection) -> None:
    """Make the index hold exactly the key of every row of raw.events (building it again when it
    does not)."""
    if is_current(con):
        return
    probe = _probe(con)
    con.execute(f"DELETE FROM {KEYS_TABLE}")
    con.execute(
        f"INSERT INTO {KEYS_TABLE} SELECT {key_sql('event_id')}, _batch_id FROM raw.events"
    )
    con.execute(f"INSERT OR REPLACE INTO {INTERNAL}.meta VALUES (?, ?)", [_PROBE_META, probe])


def batch_rows(since: int) -> str:
    """The WHERE condition of the rows of the batch being loaded (``_batch_id = ?``): with the
    first row id it can have, DuckDB skips the row groups before it instead of reading the batch
    column of every event the workspace holds."""
    return f"rowid >= {int(since)} AND _batch_id = ?"


def next_rowid(con: duckdb.DuckDBPyConnection) -> int:
    """The lowest row id rows appended to raw.events from now on can have."""
    row = con.execute("SELECT coalesce(max(rowid) + 1, 0) FROM raw.events").fetchone()
    return int(row[0]) if row else 0


def add_batch(con: duckdb.DuckDBPyConnection, batch_id: str, since: int = 0) -> None:
    """Index the batch's events (once its duplicates are gone)."""
    con.execute(
        f"INSERT INTO {KEYS_TABLE} SELECT {key_sql('event_id')}, _batch_id FROM raw.events "
        f"WHERE {batch_rows(since)}",
        [batch_id],
    )


def repeats_possible(con: duckdb.DuckDBPyConnection, batch_id: str) -> bool:
    """Whether two of the batch's indexed keys are equal (the keys sorted, each compared with
    the next): only then can the batch repeat an event id."""
    row = con.execute(
        f"""SELECT count(*) FROM (
                SELECT key, lead(key) OVER (ORDER BY key) AS next
                FROM {KEYS_TABLE} WHERE _batch_id = ?)
            WHERE key = next""",
        [batch_id],
    ).fetchone()
    return bool(row and row[0])


def find_repeated(con: duckdb.DuckDBPyConnection, batch_id: str) -> None:
    """Put the keys the batch holds more than once in ``REPEATED`` (dropped by ``drop_temp``):
    the only keys whose rows can repeat an id, and whose entries change when repeats go."""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {REPEATED} AS SELECT key FROM {KEYS_TABLE} "
        "WHERE _batch_id = ? GROUP BY key HAVING count(*) > 1",
        [batch_id],
    )


def rewrite_repeated(con: duckdb.DuckDBPyConnection, batch_id: str, since: int = 0) -> None:
    """Index again the keys of ``REPEATED`` (``find_repeated``), after some of their rows were
    deleted: only those keys' entries are written again, one per row still there (rewriting
    every key of a million events made the commit 1.7 s longer)."""
    con.execute(
        f"DELETE FROM {KEYS_TABLE} WHERE _batch_id = ? AND key IN (SELECT key FROM {REPEATED})",
        [batch_id],
    )
    con.execute(
        f"INSERT INTO {KEYS_TABLE} SELECT {key_sql('event_id')}, _batch_id FROM raw.events "
        f"WHERE {batch_rows(since)} AND {key_sql('event_id')} IN (SELECT key FROM {REPEATED})",
        [batch_id],
    )


def drop_batches(con: duckdb.DuckDBPyConnection, batch_ids: Sequence[str]) -> None:
    """Take the keys of these batches out of the index (with their rows). A literal list, so
    that DuckDB reads only those batches' row groups."""
    if batch_ids:
        listed = ", ".join(quote_literal(str(b)) for b in batch_ids)
        con.execute(f"DELETE FROM {KEYS_TABLE} WHERE _batch_id IN ({listed})")


def drop_all(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"DELETE FROM {KEYS_TABLE}")


#: The fields a held event and a new row of its id are compared on (``Existing.changed``).
COMPARED = ("event_time", "event_type", "user_id", "session_id", "product_id", "order_id",
            "price", "quantity", "currency")


@dataclass(frozen=True)
class Existing:
    """The batch's rows an earlier batch holds (dropped): how many, how many of them say
    something else than the held event (a corrected export), and one such difference."""

    rows: int = 0
    changed: int = 0
    example: str | None = None
    #: The batch holding the example's event.
    held_by: str | None = None


def drop_existing(
    con: duckdb.DuckDBPyConnection, batch_id: str, since: int = 0, compare: bool = True
) -> Existing:
    """Delete the batch's events whose id an earlier batch holds; how many, and (``compare``:
    the ids are the source's own) how many of those differ from the held event. A hashed id is
    the hash of the values, so its repeats say the same (15 % of a re-import of a million).

    The index must be current for the earlier batches (``ensure``) and not yet hold this one's.
    The new keys go in a temp table first: its exact size has DuckDB build the join's hash
    table on it (a new batch is mostly far smaller than the workspace) and stream the index."""
    if not _scalar(con, f"SELECT count(*) > 0 FROM {KEYS_TABLE}"):
        return Existing()
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {NEW_KEYS} AS SELECT rowid AS row_id, event_id, "
            f"{key_sql('event_id')} AS key FROM raw.events WHERE {batch_rows(since)}",
            [batch_id],
        )
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {KEY_HITS} AS SELECT n.row_id, n.event_id, n.key "
            f"FROM {NEW_KEYS} n WHERE EXISTS (SELECT 1 FROM {KEYS_TABLE} k WHERE k.key = n.key)"
        )
        listed = _held_batches(con)
        if not listed:
            return Existing()
        # The new rows an earlier batch holds, with which batch: deleting that batch later must
        # say these events go too. One join, read twice from its temp table.
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {HELD} AS
                SELECT DISTINCT h.row_id, h.event_id, e._batch_id AS held_by FROM {KEY_HITS} h
                JOIN raw.events e ON e._batch_id IN ({listed}) AND e.event_id = h.event_id"""
        )
        con.execute(
            f"INSERT INTO {SHARED_TABLE} (event_id, _batch_id, held_by) "
            f"SELECT DISTINCT event_id, ?, held_by FROM {HELD}",
            [batch_id],
        )
        changed, example, held_by = _changed(con, batch_id, since) if compare else (0, None, None)
        row = con.execute(
            f"DELETE FROM raw.events WHERE rowid IN (SELECT row_id FROM {HELD})"
        ).fetchone()
    finally:
        drop_temp(con)
    return Existing(int(row[0]) if row else 0, changed, example, held_by)


def _changed(
    con: duckdb.DuckDBPyConnection, batch_id: str, since: int
) -> tuple[int, str | None, str | None]:
    """Of the held rows (``HELD``), how many say something else than the event held, and the
    first such difference (id, field, held value → new value). Read only when there are any."""
    new = ", ".join(f"n.{f}" for f in COMPARED)
    old = ", ".join(f"e.{f}" for f in COMPARED)
    first = "CASE " + " ".join(
        f"WHEN n.{f} IS DISTINCT FROM e.{f} THEN {quote_literal(f)} || ': ' || "
        f"coalesce(CAST(e.{f} AS VARCHAR), 'empty') || ' → ' || "
        f"coalesce(CAST(n.{f} AS VARCHAR), 'empty')" for f in COMPARED) + " END"
    row = con.execute(
        f"""SELECT count(DISTINCT h.row_id),
                   arg_min({{'said': 'event ' || h.event_id || ' (' || {first} || ')',
                             'batch': h.held_by}}, h.event_id)
            FROM {HELD} h
            JOIN raw.events n ON n.rowid = h.row_id AND n._batch_id = ? AND n.rowid >= ?
            JOIN raw.events e ON e._batch_id = h.held_by AND e.event_id = h.event_id
            WHERE ({new}) IS DISTINCT FROM ({old})""", [batch_id, since]).fetchone()
    if not row or not row[0]:
        return 0, None, None
    return int(row[0]), str(row[1]["said"]), str(row[1]["batch"])


def count_existing(
    con: duckdb.DuckDBPyConnection, mapped: str, kept: str = "TRUE"
) -> tuple[int, int] | None:
    """(distinct ids, rows) of the valid rows of ``mapped`` whose id the workspace holds (of its
    events ``e`` for which ``kept`` holds), found through the index; None when the index is not
    current (the caller then reads the ids).

    Each row of the file is checked once (a semi join), however many held events share its key."""
    if not is_current(con):
        return None
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {KEY_HITS} AS SELECT m.event_id, "
            f"{key_sql('m.event_id')} AS key FROM ({mapped}) m WHERE m.__reason IS NULL "
            f"AND EXISTS (SELECT 1 FROM {KEYS_TABLE} k WHERE k.key = {key_sql('m.event_id')})"
        )
        listed = _held_batches(con)
        if not listed:
            return 0, 0
        row = con.execute(
            f"""SELECT count(DISTINCT h.event_id), count(*) FROM {KEY_HITS} h WHERE EXISTS (
                    SELECT 1 FROM raw.events e
                    WHERE e._batch_id IN ({listed}) AND e.event_id = h.event_id
                      AND {kept})"""
        ).fetchone()
    finally:
        drop_temp(con)
    return (int(row[0] or 0), int(row[1] or 0)) if row else (0, 0)


#: The events a batch skipped as duplicates of an earlier batch's (see workspace.py).
SHARED_TABLE = f"{INTERNAL}.shared_events"


def _held_batches(con: duckdb.DuckDBPyConnection) -> str:
    """The batches that hold a key of ``KEY_HITS``, as a literal SQL list (empty: none), so that
    DuckDB reads only those batches' row groups of raw.events. The index's batch column is read
    only here, when some key matched."""
    held = con.execute(
        f"SELECT DISTINCT _batch_id FROM {KEYS_TABLE} WHERE key IN (SELECT key FROM {KEY_HITS})"
        " ORDER BY 1"
    ).fetchall()
    return ", ".join(quote_literal(str(r[0])) for r in held)


def drop_temp(con: duckdb.DuckDBPyConnection) -> None:
    for t in (NEW_KEYS, KEY_HITS, HELD, REPEATED):
        with contextlib.suppress(duckdb.Error):
            con.execute(f"DROP TABLE IF EXISTS temp.{t}")
