"""``generate_into``: a generated data set into a workspace, in one transaction."""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from dataclasses import dataclass
from dataclasses import replace as with_fields
from pathlib import Path

import duckdb

from shoplytics_desktop.core.errors import GenerateError, count_of
from shoplytics_desktop.core.generate.dataset import DataSet, duckdb_errors, fill, utc_now
from shoplytics_desktop.core.generate.spec import GenerateSpec, ResolvedSpec, resolve
from shoplytics_desktop.core.ingest import keys
from shoplytics_desktop.core.ingest.batches import (
    ImportedBatches,
    drop_batches,
    generated_batches,
    imported_batches,
)
from shoplytics_desktop.core.progress import NullReporter, Reporter
from shoplytics_desktop.core.workspace import INTERNAL, Workspace

_RAW_TABLES = ("events", "products", "users", "rejected_events")


@dataclass(frozen=True)
class GenerateSummary:
    """What one ``generate_into`` call did; the counts are rows it added (0 if already loaded)."""

    batch_id: str
    fingerprint: str
    source: str
    start: dt.date
    end: dt.date  # exclusive
    events: int
    products: int
    user_rows: int  # profile snapshots in raw.users
    users: int  # distinct users with events
    sessions: int
    orders: int
    seconds: float
    already_loaded: bool = False
    replaced: bool = False
    #: Batches the load removed first (``replace``), and the verified backup taken before.
    removed_batches: int = 0
    backup: Path | None = None

    def table_rows(self) -> dict[str, int]:
        return {
            "raw.events": self.events,
            "raw.products": self.products,
            "raw.users": self.user_rows,
        }


def generate_into(
    ws: Workspace,
    spec: GenerateSpec,
    reporter: Reporter | None = None,
    replace: bool = False,
    replace_imports: bool = False,
) -> GenerateSummary:
    """Generate a data set and load it into the workspace's raw tables in one transaction.

    The same spec loaded twice adds nothing (its fingerprint is in the batches table). Generated
    data never mixes with imported data: a workspace holding imported batches is refused
    (``ImportedDataError``) unless ``replace_imports``, which removes every batch first. With
    ``replace`` the generated batches are removed first (the imported ones only with
    ``replace_imports``). Whatever is removed is removed in the load's transaction, after a
    verified backup of the workspace. A cancel, or any error, leaves the workspace as it was.
    """
    rs = resolve(spec)
    reporter = reporter or NullReporter()
    cursor = ws.cursor()
    imported = imported_batches(ws)
    if imported.batches and not replace_imports:
        raise ImportedDataError(ws, imported)
    doomed = _batches_to_remove(ws, replace, replace_imports)
    backup = ws.backup() if doomed else None
    try:
        # Row order within raw.events carries no meaning, and not preserving it lets DuckDB
        # compress and write row groups on every thread (about twice as fast on two cores).
        # SESSION scope: only this thread's cursor, and only until the load ends.
        cursor.execute("SET SESSION preserve_insertion_order = false")
        # DuckDB writes the new rows to the workspace file as it goes, but keeps the blocks it
        # wrote cached up to its memory limit (80% of RAM by default): held to the import
        # budget, it evicts them instead, and memory stays flat whatever the size.
        with ws.memory_budget(ws.settings.import_memory_limit):
            summary = _load(ws, rs, reporter, doomed)
    finally:
        with contextlib.suppress(duckdb.Error):
            cursor.execute("RESET SESSION preserve_insertion_order")
    return with_fields(summary, removed_batches=len([d for d in doomed if d]), backup=backup)


def generate_demo_workspace(
    folder: Path, spec: GenerateSpec, reporter: Reporter | None = None
) -> GenerateSummary:
    """Generate into a separate (demo) workspace, replacing the demo data it held before."""
    with Workspace.open(folder) as demo:
        return generate_into(demo, spec, reporter, replace=True)


class ImportedDataError(GenerateError):
    """The workspace holds imported data: generated events would mix with a shop's own."""

    def __init__(self, ws: Workspace, imported: ImportedBatches) -> None:
        demo = ws.folder.parent / f"{ws.folder.name}-demo"
        super().__init__(
            f"The workspace {ws.folder} holds imported data ({count_of(imported.batches, 'batch', 'batches')}, "
            f"{imported.events:,} events); demo data would mix with it.",
            f"Generate into a separate workspace (--workspace {demo}), or add "
            "--replace-imports to delete the imported data first (a backup is kept).",
        )
        self.demo_folder = demo
        self.imported = imported


def _batches_to_remove(ws: Workspace, replace: bool, replace_imports: bool) -> list[str]:
    if not (replace or replace_imports):
        return []
    if not replace_imports:
        return generated_batches(ws)
    rows = ws.cursor().execute(
        f"SELECT DISTINCT batch_id FROM {INTERNAL}.batches ORDER BY 1").fetchall()
    # Rows of no recorded batch (none should exist) go too: "replace everything" means it.
    return [str(r[0]) for r in rows] + [""]


def _load(
    ws: Workspace, rs: ResolvedSpec, reporter: Reporter, doomed: list[str]
) -> GenerateSummary:
    t0 = time.perf_counter()
    started = utc_now()
    with duckdb_errors("Loading generated data", reporter), ws.transaction() as con:
        if doomed:
            _delete_batches(con, doomed)
        else:
            loaded = _loaded_batch(con, rs.fingerprint)
            if loaded is not None:
                return GenerateSummary(
                    batch_id=loaded,
                    fingerprint=rs.fingerprint,
                    source=rs.describe(),
                    start=rs.start,
                    end=rs.end,
                    events=0,
                    products=0,
                    user_rows=0,
                    users=0,
                    sessions=0,
                    orders=0,
                    seconds=time.perf_counter() - t0,
                    already_loaded=True,
                )
        ds = DataSet(rs, reporter)
        insert = "INSERT INTO raw.{} BY NAME"
        lineage = (
            f"'{rs.batch_id}' AS _batch_id, 'generator' AS _source_file, "
            f"NULL::BIGINT AS _source_line, TIMESTAMP '{started.isoformat(sep=' ')}' AS _loaded_at"
        )
        fill(con, ds, {k: insert.format(k) for k in ("events", "products", "users")}, lineage)
        products = len(ds.catalog.names)
        user_rows = ds.user_rows
        sessions, users, orders = ds.counts()
        reporter.check_cancelled()
        _record_batch(
            con,
            rs,
            started,
            f"{products:,} products, {user_rows:,} user snapshots, {sessions:,} sessions, "
            f"{orders:,} orders",
        )
    reporter.update(rs.events, rs.events, "Done")
    return GenerateSummary(
        batch_id=rs.batch_id,
        fingerprint=rs.fingerprint,
        source=rs.describe(),
        start=rs.start,
        end=rs.end,
        events=rs.events,
        products=products,
        user_rows=user_rows,
        users=users,
        sessions=sessions,
        orders=orders,
        seconds=time.perf_counter() - t0,
        replaced=bool(doomed),
    )


def _delete_batches(con: duckdb.DuckDBPyConnection, doomed: list[str]) -> None:
    """Delete the rows of these batches ("" among them: every row) and their records."""
    if "" in doomed:
        for table in _RAW_TABLES:
            con.execute(f"DELETE FROM raw.{table}")
        con.execute(f"DELETE FROM {INTERNAL}.batches")
        keys.drop_all(con)
        return
    # As a batch delete does: rows, keys, records, and the users and days the next run updates.
    drop_batches(con, doomed)


def _loaded_batch(con: duckdb.DuckDBPyConnection, fingerprint: str) -> str | None:
    """The batch that already loaded data with this fingerprint, if any."""
    # fetchall: a DuckDB cursor keeps an unfinished result open, blocking later work.
    rows = con.execute(
        f"SELECT batch_id FROM {INTERNAL}.batches "
        "WHERE fingerprint = ? AND status = 'loaded' LIMIT 1",
        [fingerprint],
    ).fetchall()
    return str(rows[0][0]) if rows else None


def _record_batch(
    con: duckdb.DuckDBPyConnection, rs: ResolvedSpec, started: dt.datetime, message: str
) -> None:
    con.execute(
        f"INSERT INTO {INTERNAL}.batches (batch_id, kind, source, fingerprint, rows_read, "
        "rows_loaded, rows_duplicate, rows_rejected, started_at, finished_at, status, message) "
        "VALUES (?, 'generated', ?, ?, ?, ?, 0, 0, ?, ?, 'loaded', ?)",
        [
            rs.batch_id,
            rs.describe(),
            rs.fingerprint,
            rs.events,
            rs.events,
            started,
            utc_now(),
            message,
        ],
    )
