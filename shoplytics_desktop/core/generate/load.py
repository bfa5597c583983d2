"""``generate_into``: a generated data set into a workspace, in one transaction."""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from dataclasses import dataclass

import duckdb

from shoplytics_desktop.core.generate.dataset import DataSet, duckdb_errors, fill, utc_now
from shoplytics_desktop.core.generate.spec import GenerateSpec, ResolvedSpec, resolve
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

    def table_rows(self) -> dict[str, int]:
        return {
            "raw.events": self.events,
            "raw.products": self.products,
            "raw.users": self.user_rows,
        }


def generate_into(
    ws: Workspace, spec: GenerateSpec, reporter: Reporter | None = None, replace: bool = False
) -> GenerateSummary:
    """Generate a data set and load it into the workspace's raw tables in one transaction.

    The same spec loaded twice adds nothing (its fingerprint is in the batches table). With
    ``replace`` every raw table and the batch history are emptied first, in the same transaction.
    A cancel, or any error, leaves the workspace as it was.
    """
    rs = resolve(spec)
    reporter = reporter or NullReporter()
    cursor = ws.cursor()
    try:
        # Row order within raw.events carries no meaning, and not preserving it lets DuckDB
        # compress and write row groups on every thread (about twice as fast on two cores).
        # SESSION scope: only this thread's cursor, and only until the load ends.
        cursor.execute("SET SESSION preserve_insertion_order = false")
        return _load(ws, rs, reporter, replace)
    finally:
        with contextlib.suppress(duckdb.Error):
            cursor.execute("RESET SESSION preserve_insertion_order")


def _load(ws: Workspace, rs: ResolvedSpec, reporter: Reporter, replace: bool) -> GenerateSummary:
    t0 = time.perf_counter()
    started = utc_now()
    with duckdb_errors("Loading generated data", reporter), ws.transaction() as con:
        if replace:
            for table in _RAW_TABLES:
                con.execute(f"DELETE FROM raw.{table}")
            con.execute(f"DELETE FROM {INTERNAL}.batches")
        else:
            # fetchall: a DuckDB cursor keeps an unfinished result open, blocking later work.
            rows = con.execute(
                f"SELECT batch_id FROM {INTERNAL}.batches "
                "WHERE fingerprint = ? AND status = 'loaded' LIMIT 1",
                [rs.fingerprint],
            ).fetchall()
            if rows:
                return GenerateSummary(
                    batch_id=str(rows[0][0]),
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
        user_rows = len(ds.user_snapshots()["uidx"])
        sessions, users, orders = ds.counts()
        reporter.check_cancelled()
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
                f"{products:,} products, {user_rows:,} user snapshots, {sessions:,} sessions, "
                f"{orders:,} orders",
            ],
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
        replaced=replace,
    )
