"""Import batches: ids, content fingerprints, listing and deleting.

Every import writes one row per kind to ``_shoplytics.batches``; every row it loads carries the
batch id in ``_batch_id``, which is what makes a batch removable as a whole.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from shoplytics_desktop.core import removed
from shoplytics_desktop.core.errors import Cancelled, ImportError_
from shoplytics_desktop.core.ingest import keys
from shoplytics_desktop.core.ingest.report import file_name
from shoplytics_desktop.core.ingest.sources import SourceFile
from shoplytics_desktop.core.sqlutil import quote_literal
from shoplytics_desktop.core.workspace import INTERNAL, Workspace

_CHUNK = 1024 * 1024
#: Tables that hold rows of a batch (``_batch_id``).
BATCH_TABLES = ("raw.events", "raw.products", "raw.users", "raw.rejected_events")


def new_batch_id(now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.UTC)
    return f"{now:%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


def file_fingerprint(path: Path) -> str:
    """Size plus a hash of the first and last megabyte: cheap on big files, and it changes
    whenever a file is appended to, truncated or re-exported."""
    size = path.stat().st_size
    h = hashlib.sha256(str(size).encode())
    with path.open("rb") as fh:
        h.update(fh.read(_CHUNK))
        if size > _CHUNK:
            fh.seek(max(_CHUNK, size - _CHUNK))
            h.update(fh.read(_CHUNK))
    return f"{size}:{h.hexdigest()[:32]}"


def fingerprint(paths: Sequence[Path]) -> str:
    """The fingerprint of a set of files, independent of their names and order."""
    return _together(sorted(file_fingerprint(p) for p in paths))


def _together(parts: Sequence[str]) -> str:
    if len(parts) == 1:
        return parts[0]
    total = sum(int(p.split(":", 1)[0]) for p in parts)
    return f"{total}:{hashlib.sha256('|'.join(parts).encode()).hexdigest()[:32]}"


@dataclass(frozen=True)
class Contents:
    """An import's files: together (the batch's own fingerprint), and each file's fingerprint
    with the name its rows carry (``_source_file``)."""

    together: str
    named: tuple[tuple[str, str], ...]

    @property
    def files(self) -> tuple[str, ...]:
        """Each file's fingerprint, once."""
        return tuple(sorted({fp for fp, _ in self.named}))


def contents(files: Sequence[SourceFile]) -> Contents:
    """The files' fingerprints, each read once."""
    fps = [file_fingerprint(f.path) for f in files]
    return Contents(_together(sorted(fps)),
                    tuple(sorted(set(zip(fps, (f.shown for f in files), strict=True)))))


@dataclass(frozen=True)
class BatchInfo:
    batch_id: str
    kind: str
    source: str | None
    fingerprint: str | None
    rows_read: int
    rows_loaded: int
    rows_duplicate: int
    rows_rejected: int
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    status: str | None
    message: str | None


_COLUMNS = (
    "batch_id, kind, source, fingerprint, rows_read, rows_loaded, rows_duplicate, rows_rejected, "
    "started_at, finished_at, status, message"
)


def list_batches(con: duckdb.DuckDBPyConnection) -> list[BatchInfo]:
    rows = con.execute(
        f"SELECT {_COLUMNS} FROM {INTERNAL}.batches ORDER BY started_at, batch_id, kind"
    ).fetchall()
    return [_batch(r) for r in rows]


def _batch(r: tuple[Any, ...]) -> BatchInfo:
    return BatchInfo(
        batch_id=r[0], kind=r[1], source=r[2], fingerprint=r[3],
        rows_read=int(r[4] or 0), rows_loaded=int(r[5] or 0), rows_duplicate=int(r[6] or 0),
        rows_rejected=int(r[7] or 0), started_at=r[8], finished_at=r[9], status=r[10],
        message=r[11],
    )


def find_previous(
    con: duckdb.DuckDBPyConnection, kind: str, fp: str, mapping_yaml: str | None = None
) -> BatchInfo | None:
    """The earliest loaded batch of the same content (and, if given, the same mapping)."""
    sql = (
        f"SELECT {_COLUMNS} FROM {INTERNAL}.batches WHERE kind = ? AND fingerprint = ? "
        "AND status = 'loaded'"
    )
    params: list[object] = [kind, fp]
    if mapping_yaml is not None:
        sql += " AND mapping = ?"
        params.append(mapping_yaml)
    # A batch that skipped events of a batch deleted since no longer holds all its file's rows:
    # importing that file again loads them, so it is not "the same content" any more.
    # (A workspace of an older schema opened read-only has no such table: nothing was deleted
    # from under a later batch there.)
    if _has_table(con, "shared_events"):
        sql += (f" AND batch_id NOT IN (SELECT s._batch_id FROM {INTERNAL}.shared_events s "
                f"WHERE s.held_by NOT IN (SELECT batch_id FROM {INTERNAL}.batches))")
    r = con.execute(sql + " ORDER BY started_at LIMIT 1", params).fetchone()
    if r is None:
        return None
    return _batch(r)


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether the workspace has this internal table (an older one opened read-only, or a
    scratch database, may not)."""
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND "
                            "table_name = ?", [INTERNAL, name]).fetchall()[0][0])


def _has_column(con: duckdb.DuckDBPyConnection, table: str, column: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_columns() WHERE schema_name = ? AND "
                            "table_name = ? AND column_name = ?",
                            [INTERNAL, table, column]).fetchall()[0][0])


def record_files(con: duckdb.DuckDBPyConnection, batch_id: str, held: Contents) -> None:
    """Keep the batch's files by fingerprint and name (``replaceable`` reads them)."""
    con.executemany(f"INSERT INTO {INTERNAL}.batch_files VALUES (?, ?, ?)",
                    [[batch_id, fp, name] for fp, name in held.named])


def mapped_otherwise(
    con: duckdb.DuckDBPyConnection, held: Contents, mapping_yaml: str
) -> list[BatchInfo]:
    """The loaded event batches of these files imported with another mapping: the batches of
    the same files, of one of them, or of files all among them (a folder imported again with a
    day more). An import of them with this mapping replaces those batches: the same rows
    mapped again describe the same events, and ids hashed from the mapped fields would not
    recognise them."""
    fps = [held.together, *held.files]
    listed = ", ".join("?" for _ in fps)
    among = ", ".join("?" for _ in held.files)
    within = (
        f"""OR (EXISTS (SELECT 1 FROM {INTERNAL}.batch_files f WHERE f.batch_id = b.batch_id)
               AND NOT EXISTS (SELECT 1 FROM {INTERNAL}.batch_files f
                               WHERE f.batch_id = b.batch_id AND f.fingerprint NOT IN ({among})))"""
        if _has_table(con, "batch_files") else "")
    rows = con.execute(
        f"""SELECT {_COLUMNS} FROM {INTERNAL}.batches b
            WHERE kind = 'events' AND status = 'loaded' AND mapping IS DISTINCT FROM ?
              AND (fingerprint IN ({listed}) {within})
            ORDER BY started_at, batch_id""",
        [mapping_yaml, *fps, *(held.files if within else [])],
    ).fetchall()
    return [_batch(r) for r in rows]


@dataclass(frozen=True)
class PartlyReplaced:
    """Files of an earlier batch that an import of them under another mapping replaces, the
    batch's other files staying: the names its rows carry, and their fingerprints."""

    batch_id: str
    files: tuple[str, ...]
    fingerprints: tuple[str, ...]


def files_mapped_otherwise(
    con: duckdb.DuckDBPyConnection, held: Contents, mapping_yaml: str
) -> list[PartlyReplaced]:
    """The loaded event batches imported with another mapping that hold some of these files
    and others (those with all their files among these are ``mapped_otherwise``'s): an import
    of them replaces those files' rows of the batch. Only batches that recorded their files'
    names (every batch since schema version 10) can have some files' rows told apart."""
    if not held.files or not _has_column(con, "batch_files", "source_file"):
        return []
    listed = ", ".join("?" for _ in held.files)
    rows = con.execute(
        f"""SELECT f.batch_id, list(DISTINCT f.source_file ORDER BY f.source_file),
                   list(DISTINCT f.fingerprint ORDER BY f.fingerprint)
            FROM {INTERNAL}.batch_files f JOIN {INTERNAL}.batches b USING (batch_id)
            WHERE b.kind = 'events' AND b.status = 'loaded' AND b.mapping IS DISTINCT FROM ?
              AND f.fingerprint IN ({listed})
              AND EXISTS (SELECT 1 FROM {INTERNAL}.batch_files o
                          WHERE o.batch_id = f.batch_id AND o.fingerprint NOT IN ({listed}))
            GROUP BY f.batch_id HAVING bool_and(f.source_file IS NOT NULL)
            ORDER BY f.batch_id""",
        [mapping_yaml, *held.files, *held.files],
    ).fetchall()
    return [PartlyReplaced(str(b), tuple(names), tuple(fps)) for b, names, fps in rows]


def replaceable(
    con: duckdb.DuckDBPyConnection, held: Contents, mapping_yaml: str
) -> tuple[str, ...]:
    """The batches an import of these files with this mapping replaces, whole or in part."""
    return tuple(b.batch_id for b in mapped_otherwise(con, held, mapping_yaml)) + tuple(
        p.batch_id for p in files_mapped_otherwise(con, held, mapping_yaml))


@dataclass(frozen=True)
class Replaced:
    """What an import removed of earlier batches of its files imported with another mapping:
    batches whole (batch id, events), and some files' rows of others (batch id, events, files)."""

    whole: tuple[tuple[str, int], ...] = ()
    files: tuple[tuple[str, int, tuple[str, ...]], ...] = ()

    def kept_sql(self, alias: str) -> str:
        """A condition true of the raw.events rows (as ``alias``) this replacement leaves. A
        workspace opened read-only keeps what it replaces: its duplicate check skips those rows,
        so that a dry run counts what the import will load."""
        gone = [f"{alias}._batch_id IN ({_literals(b for b, _ in self.whole)})"] if self.whole else []
        gone += [f"({alias}._batch_id = {quote_literal(b)} AND {alias}._source_file IN "
                 f"({_literals(files)}))" for b, _, files in self.files]
        return f"NOT ({' OR '.join(gone)})" if gone else "TRUE"


def _literals(values: Iterable[str]) -> str:
    return ", ".join(quote_literal(v) for v in values)


def drop_replaced(
    tx: duckdb.DuckDBPyConnection, held: Contents, mapping_yaml: str,
    among: Sequence[str] | None = None,
) -> Replaced:
    """Inside the caller's transaction, remove what ``replaceable`` names (of those in
    ``among``, when given). A database without batches (a scratch one) has none; one opened
    read-only keeps them (only named).

    Of a batch that keeps other files, the replaced files' events and rejected rows go, and its
    record stays true: its counts, its files and its fingerprint become those of the files left
    (a batch left without events goes whole). The next run rebuilds the models in full: the
    batch is no longer the one they were built from."""
    if not _has_table(tx, "batches"):
        return Replaced()
    read_only = tx.execute("SELECT readonly FROM duckdb_databases() "
                           "WHERE database_name = current_database()").fetchall()[0][0]
    whole = [(b.batch_id, b.rows_loaded) for b in mapped_otherwise(tx, held, mapping_yaml)
             if among is None or b.batch_id in among]
    if whole and not read_only:
        drop_batches(tx, [b for b, _ in whole])
    parts = []
    for part in files_mapped_otherwise(tx, held, mapping_yaml):
        if among is None or part.batch_id in among:
            parts.append((part.batch_id, _drop_files(tx, part, read_only), part.files))
    return Replaced(tuple(whole), tuple(parts))


def _drop_files(tx: duckdb.DuckDBPyConnection, part: PartlyReplaced, read_only: bool) -> int:
    """Remove the files' rows of their batch (``drop_replaced``); the events they held."""
    in_files = "_source_file IN (SELECT unnest(?::VARCHAR[]))"
    where = f"_batch_id = ? AND {in_files}"
    args = [part.batch_id, list(part.files)]
    # The files' events and the batch's, in one read of the batch's rows.
    events, left = tx.execute(
        f"SELECT count(*) FILTER (WHERE {in_files}), count(*) FROM raw.events WHERE _batch_id = ?",
        [list(part.files), part.batch_id]).fetchall()[0]
    if read_only:
        return int(events)
    if left == events:
        drop_batches(tx, [part.batch_id])
        return int(events)
    rejected = tx.execute(f"SELECT count(*) FROM raw.rejected_events WHERE {where}",
                          args).fetchall()[0][0]
    for table in ("raw.events", "raw.rejected_events"):
        tx.execute(f"DELETE FROM {table} WHERE {where}", args)
    keys.drop_batches(tx, [part.batch_id])
    keys.add_batch(tx, part.batch_id)
    tx.execute(f"DELETE FROM {INTERNAL}.batch_files WHERE batch_id = ? AND fingerprint IN "
               "(SELECT unnest(?::VARCHAR[]))", [part.batch_id, list(part.fingerprints)])
    kept = [str(r[0]) for r in tx.execute(
        f"SELECT fingerprint FROM {INTERNAL}.batch_files WHERE batch_id = ? ORDER BY 1",
        [part.batch_id]).fetchall()]
    gone = ", ".join(file_name(f) for f in part.files)
    tx.execute(
        f"""UPDATE {INTERNAL}.batches SET rows_loaded = rows_loaded - ?,
                rows_rejected = rows_rejected - ?, rows_read = rows_read - ? - ?,
                fingerprint = ?, source = coalesce(source, '') || ?,
                message = coalesce(message, '') || ?
            WHERE batch_id = ?""",
        [events, rejected, events, rejected, _together(kept), f" (without {gone})",
         f"; {gone} imported again with another mapping ({events:,} events replaced)",
         part.batch_id])
    return int(events)


@dataclass(frozen=True)
class ImportedBatches:
    batches: int
    events: int


def imported_batches(ws: Workspace) -> ImportedBatches:
    """The loaded batches that came from files (not from the generator)."""
    return _loaded(ws, "kind <> 'generated'", "kind = 'events'")


def demo_data(ws: Workspace) -> ImportedBatches:
    """The batches of demo data (made by the generator) and their events."""
    return _loaded(ws, "kind = 'generated'", "true")


def _loaded(ws: Workspace, where: str, events: str) -> ImportedBatches:
    row = ws.cursor().execute(
        f"SELECT count(DISTINCT batch_id), coalesce(sum(rows_loaded) FILTER (WHERE {events}), 0) "
        f"FROM {INTERNAL}.batches WHERE {where} AND status = 'loaded'"
    ).fetchone()
    return ImportedBatches(int(row[0]) if row else 0, int(row[1]) if row else 0)


def batch_rows(ws: Workspace, batch_id: str) -> dict[str, int]:
    """The rows of a batch in each table that holds batch rows (what deleting it removes)."""
    cur = ws.cursor()
    counts: dict[str, int] = {}
    for table in BATCH_TABLES:
        row = cur.execute(f"SELECT count(*) FROM {table} WHERE _batch_id = ?", [batch_id]).fetchone()
        counts[table] = int(row[0]) if row else 0
    return counts


@dataclass(frozen=True)
class DeleteReport:
    batch_id: str
    rows_deleted: dict[str, int]
    #: The verified backup taken before the delete.
    backup: Path | None = None
    #: Later batches that had skipped some of the deleted events as already imported:
    #: (batch id, its source, how many). Those events are gone now; importing the batch's
    #: file again loads them.
    also_in: tuple[tuple[str, str, int], ...] = ()

    def shared_note(self) -> str:
        """What the delete took from later batches, and how to get it back ('' if nothing)."""
        if not self.also_in:
            return ""
        listed = "; ".join(f"{n:,} in batch {b} ({src})" for b, src, n in self.also_in)
        total = sum(n for _, _, n in self.also_in)
        return (f"{total:,} of the deleted events were also in later imports, which had skipped "
                f"them as already imported ({listed}): they are gone too. Import "
                f"{'that file' if len(self.also_in) == 1 else 'those files'} again to load them "
                "back (the rest of each is skipped as duplicates).")


def delete_batch(ws: Workspace, batch_id: str) -> DeleteReport:
    """Remove a batch's rows from every raw table and its batch rows, in one transaction, after
    taking the workspace backup (``Workspace.backup``)."""
    cur = ws.cursor()
    known = cur.execute(
        f"SELECT count(*) FROM {INTERNAL}.batches WHERE batch_id = ?", [batch_id]
    ).fetchone()
    if not known or not known[0]:
        ids = [b.batch_id for b in list_batches(cur)][-5:][::-1]  # the latest first
        raise ImportError_(
            f"There is no batch '{batch_id}' in this workspace.",
            "List them with `shoplytics batches`"
            + (f" (latest: {', '.join(ids)})." if ids else "."),
        )
    # Deleting is the one destructive step of importing: keep the workspace's backup first.
    backup = ws.backup()
    also_in = tuple(
        (str(b), str(src or ""), int(n)) for b, src, n in cur.execute(
            f"""SELECT s._batch_id, any_value(b.source), count(DISTINCT s.event_id)
                FROM {INTERNAL}.shared_events s JOIN {INTERNAL}.batches b ON b.batch_id = s._batch_id
                WHERE s.held_by = ? GROUP BY 1 ORDER BY 1""", [batch_id]).fetchall()
    )
    try:
        with ws.transaction() as tx:
            deleted = drop_batches(tx, [batch_id])
    except duckdb.InterruptException as e:
        raise Cancelled() from e
    return DeleteReport(batch_id, deleted, backup, also_in)


def drop_batches(tx: duckdb.DuckDBPyConnection, ids: Sequence[str]) -> dict[str, int]:
    """Inside the caller's transaction, remove these batches' rows from every raw table, their
    keys and their records; the rows removed per table."""
    deleted: dict[str, int] = {}
    # Whose events go, and when: the next run updates those users and days only.
    removed.record(tx, list(ids))
    # Literals, so that DuckDB reads only those batches' row groups.
    listed = ", ".join(quote_literal(str(b)) for b in ids)
    for table in BATCH_TABLES:
        row = tx.execute(f"SELECT count(*) FROM {table} WHERE _batch_id IN ({listed})").fetchone()
        deleted[table] = int(row[0]) if row else 0
        if deleted[table]:
            tx.execute(f"DELETE FROM {table} WHERE _batch_id IN ({listed})")
    keys.drop_batches(tx, list(ids))
    tx.execute(f"DELETE FROM {INTERNAL}.batch_files WHERE batch_id IN ({listed})")
    # Their own skipped events go with them; those they held for later batches stay recorded,
    # which marks those batches as no longer holding all their files' rows.
    tx.execute(f"DELETE FROM {INTERNAL}.shared_events WHERE _batch_id IN ({listed})")
    tx.execute(f"DELETE FROM {INTERNAL}.batches WHERE batch_id IN ({listed})")
    return deleted


def generated_batches(ws: Workspace) -> list[str]:
    """The batches of demo data (made by the generator) in the workspace."""
    rows = ws.cursor().execute(
        f"SELECT DISTINCT batch_id FROM {INTERNAL}.batches WHERE kind = 'generated' ORDER BY 1"
    ).fetchall()
    return [str(r[0]) for r in rows]
