"""The generator's three entry points: into a workspace, into polars frames, into files."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import numpy as np

from shoplytics_desktop.core import contract
from shoplytics_desktop.core.errors import Cancelled, GenerateError
from shoplytics_desktop.core.generate import sql
from shoplytics_desktop.core.generate.catalog import Catalog, build_catalog
from shoplytics_desktop.core.generate.expand import chunk_bounds, expand
from shoplytics_desktop.core.generate.plan import SessionPlan, Users, build_plan, build_users
from shoplytics_desktop.core.generate.spec import GenerateSpec, ResolvedSpec, resolve
from shoplytics_desktop.core.progress import NullReporter, Reporter
from shoplytics_desktop.core.sqlutil import to_polars
from shoplytics_desktop.core.workspace import INTERNAL, Workspace

if TYPE_CHECKING:
    import polars as pl

FORMATS = {"parquet": ".parquet", "csv": ".csv", "ndjson": ".ndjson"}
_COPY_OPTIONS = {
    "parquet": "FORMAT parquet",
    "csv": "FORMAT csv, HEADER true",
    "ndjson": "FORMAT json",
}
_RAW_TABLES = ("events", "products", "users", "rejected_events")
_CONTRACT_MODELS = {
    "events": contract.Event,
    "products": contract.Product,
    "users": contract.UserSnapshot,
}


@dataclass(frozen=True)
class GeneratedData:
    """Generated tables with the contract's columns (no lineage columns)."""

    events: pl.DataFrame
    products: pl.DataFrame
    users: pl.DataFrame


@dataclass(frozen=True)
class GenerateSummary:
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


class _DataSet:
    """Catalog, users and session plan of one spec; events come out chunk by chunk."""

    def __init__(self, spec: ResolvedSpec, reporter: Reporter) -> None:
        self.spec = spec
        self.reporter = reporter
        reporter.update(0, spec.events, "Building the catalog and the users")
        self.catalog: Catalog = build_catalog(spec)
        self.users: Users = build_users(spec, self.catalog)
        reporter.check_cancelled()
        reporter.update(0, spec.events, "Planning sessions")
        self.plan: SessionPlan = build_plan(spec, self.users, self.catalog, reporter)
        reporter.check_cancelled()
        if int(self.plan.keep.sum()) != spec.events:
            raise GenerateError(
                f"Could not fit {spec.events:,} events into {spec.days} days for {spec.users:,} users.",
                "Give more users or more days.",
            )

    def products(self) -> dict[str, np.ndarray]:
        c = self.catalog
        return {
            "pidx": np.arange(c.size, dtype=np.int32),
            "name": np.array(c.names),
            "cat": c.category,
            "brand": c.brand,
            "price": c.price_cents,
        }

    def user_snapshots(self) -> dict[str, np.ndarray]:
        """One snapshot per user at signup, plus one per segment change and per move abroad."""
        u = self.users
        ids = np.arange(u.n, dtype=np.int32)
        signup_s = u.acquired_s // 86_400 * 86_400
        seg_at = np.where(u.segment_change_s >= 0, u.new_segment, u.segment)
        seg_changed = np.flatnonzero(u.segment_change_s >= 0)
        moved = np.flatnonzero(u.country_change_s >= 0)
        # The segment a mover has at the time of the move (upgrades come at the 3rd visit).
        seg_when_moved = np.where(
            (u.segment_change_s[moved] >= 0)
            & (u.segment_change_s[moved] <= u.country_change_s[moved]),
            seg_at[moved],
            u.segment[moved],
        )
        parts = [
            (ids, u.segment, u.country, signup_s),
            (
                ids[seg_changed],
                u.new_segment[seg_changed],
                u.country[seg_changed],
                u.segment_change_s[seg_changed],
            ),
            (ids[moved], seg_when_moved, u.new_country[moved], u.country_change_s[moved]),
        ]
        return {
            "uidx": np.concatenate([p[0] for p in parts]),
            "signup_s": signup_s[np.concatenate([p[0] for p in parts])],
            "seg": np.concatenate([p[1] for p in parts]).astype(np.int8),
            "cty": np.concatenate([p[2] for p in parts]).astype(np.int8),
            "dev": u.device[np.concatenate([p[0] for p in parts])],
            "updated_s": np.concatenate([p[3] for p in parts]).astype(np.int64),
        }

    def event_chunks(self) -> Iterator[tuple[int, dict[str, np.ndarray]]]:
        done = 0
        for i, (s0, s1) in enumerate(chunk_bounds(self.plan)):
            self.reporter.check_cancelled()
            columns = expand(self.spec, self.plan, self.catalog, s0, s1, i)
            done += len(columns["eidx"])
            yield done, columns

    def counts(self) -> tuple[int, int, int]:
        """Sessions, distinct users with events, orders with at least one line kept."""
        p = self.plan
        lines_kept = np.maximum(0, p.keep - (p.count - p.n_lines))
        users = int(np.count_nonzero(np.bincount(p.user, minlength=self.users.n)))
        return p.n, users, int(np.count_nonzero(p.purchase & (lines_kept > 0)))


def _fill(
    con: duckdb.DuckDBPyConnection, ds: _DataSet, targets: dict[str, str], lineage: str = ""
) -> None:
    """Write products, users and events into ``targets`` (kind -> SQL prefix such as INSERT INTO).

    Events are pipelined: while DuckDB inserts one chunk (building strings and compressing, with
    the GIL released), numpy computes the next one.
    """
    spec, reporter = ds.spec, ds.reporter
    tail = f", {lineage}" if lineage else ""
    con.register("_gen_products", ds.products())
    products_sql = sql.products_select(spec, ds.catalog, "_gen_products")
    con.execute(f"{targets['products']} SELECT *{tail} FROM ({products_sql})")
    con.unregister("_gen_products")
    con.register("_gen_users", ds.user_snapshots())
    con.execute(f"{targets['users']} SELECT *{tail} FROM ({sql.users_select(spec, '_gen_users')})")
    con.unregister("_gen_users")
    insert = f"{targets['events']} SELECT *{tail} FROM ({sql.events_select(spec, ds.catalog, '_gen_chunk')})"

    def load_chunk(columns: dict[str, np.ndarray]) -> None:
        # Copying the numpy columns into a temporary table first lets the INSERT, which builds
        # the strings and compresses them, run on every thread.
        con.register("_gen_arrays", columns)
        con.execute("CREATE OR REPLACE TEMP TABLE _gen_chunk AS SELECT * FROM _gen_arrays")
        con.unregister("_gen_arrays")
        con.execute(insert)

    pending: Future[None] | None = None
    loaded = 0
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="shoplytics-generate") as pool:
        try:
            for done, columns in ds.event_chunks():
                if pending is not None:
                    pending.result()
                    reporter.update(
                        loaded, spec.events, f"Loaded {loaded:,} of {spec.events:,} events"
                    )
                reporter.check_cancelled()
                pending = pool.submit(load_chunk, columns)
                loaded = done
            if pending is not None:
                pending.result()
                pending = None
                reporter.update(loaded, spec.events, f"Loaded {loaded:,} of {spec.events:,} events")
        except BaseException:
            if pending is not None:  # stop the running insert before the caller rolls back
                con.interrupt()
                with contextlib.suppress(BaseException):
                    pending.result()
            raise
    con.execute("DROP TABLE IF EXISTS _gen_chunk")


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


@contextlib.contextmanager
def _duckdb_errors(what: str, reporter: Reporter) -> Iterator[None]:
    try:
        yield
    except duckdb.InterruptException as e:
        raise Cancelled() from e
    except duckdb.Error as e:
        if reporter.cancel_requested:
            raise Cancelled() from e
        raise GenerateError(
            f"{what} failed: {str(e).splitlines()[0]}", "Check the disk space and try again."
        ) from e


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
    started = _utc_now()
    with _duckdb_errors("Loading generated data", reporter), ws.transaction() as con:
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
        ds = _DataSet(rs, reporter)
        insert = "INSERT INTO raw.{} BY NAME"
        lineage = (
            f"'{rs.batch_id}' AS _batch_id, 'generator' AS _source_file, "
            f"NULL::BIGINT AS _source_line, TIMESTAMP '{started.isoformat(sep=' ')}' AS _loaded_at"
        )
        _fill(con, ds, {k: insert.format(k) for k in ("events", "products", "users")}, lineage)
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
                _utc_now(),
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


def _in_memory(rs: ResolvedSpec, reporter: Reporter) -> duckdb.DuckDBPyConnection:
    """The generated tables in a private in-memory DuckDB, with contract columns only."""
    con = duckdb.connect()
    try:
        for table, model in _CONTRACT_MODELS.items():
            columns = ", ".join(f'"{c.name}" {c.sql_type}' for c in contract.columns_of(model))
            con.execute(f"CREATE TABLE {table} ({columns})")
        ds = _DataSet(rs, reporter)
        _fill(con, ds, {t: f"INSERT INTO {t} BY NAME" for t in _CONTRACT_MODELS})
    except BaseException:
        con.close()
        raise
    return con


def generate_frames(spec: GenerateSpec, reporter: Reporter | None = None) -> GeneratedData:
    rs = resolve(spec)
    reporter = reporter or NullReporter()
    with _duckdb_errors("Generating data", reporter):
        con = _in_memory(rs, reporter)
        try:
            return GeneratedData(
                events=to_polars(con.table("events")),
                products=to_polars(con.table("products")),
                users=to_polars(con.table("users")),
            )
        finally:
            con.close()


def check_format(fmt: str) -> str:
    key = fmt.lower().strip()
    if key not in FORMATS:
        raise GenerateError(f"Unknown file format '{fmt}'.", f"Use one of: {', '.join(FORMATS)}.")
    return key


def check_out_dir(out_dir: Path) -> Path:
    """Create the folder if needed and prove it is writable, before any work is done."""
    out_dir = Path(out_dir).expanduser()
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        probe = out_dir / f".shoplytics-write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as e:
        raise GenerateError(
            f"Cannot write to the folder {out_dir}: {e.strerror or e}.",
            "Choose a folder you can write to.",
        ) from e
    return out_dir


def write_files(
    spec: GenerateSpec, out_dir: Path, fmt: str, reporter: Reporter | None = None
) -> list[Path]:
    """Write events, products and users files (contract columns) into ``out_dir``.

    Files are written under temporary names and renamed at the end, so a cancel or an error leaves
    no partial file behind.
    """
    rs = resolve(spec)
    key = check_format(fmt)
    out = check_out_dir(out_dir)
    reporter = reporter or NullReporter()
    written: list[tuple[Path, Path]] = []
    try:
        with _duckdb_errors("Writing generated files", reporter):
            con = _in_memory(rs, reporter)
            try:
                for table in ("events", "products", "users"):
                    reporter.check_cancelled()
                    final = out / f"{table}{FORMATS[key]}"
                    tmp = out / f".{table}{FORMATS[key]}.partial"
                    written.append((tmp, final))
                    con.execute(
                        f"COPY {table} TO '{tmp.as_posix().replace(chr(39), chr(39) * 2)}' ({_COPY_OPTIONS[key]})"
                    )
            finally:
                con.close()
        for tmp, final in written:
            os.replace(tmp, final)
    except BaseException:
        for tmp, _ in written:
            with contextlib.suppress(OSError):
                tmp.unlink()
        raise
    reporter.update(rs.events, rs.events, "Done")
    return [final for _, final in written]


__all__ = [
    "FORMATS",
    "GenerateSummary",
    "GeneratedData",
    "generate_frames",
    "generate_into",
    "write_files",
]
