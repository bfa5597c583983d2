"""One generated data set: catalog, users and session plan, and how its rows reach DuckDB."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import duckdb
import numpy as np

from shoplytics_desktop.core.cancel import Outcome, classify
from shoplytics_desktop.core.errors import Cancelled, GenerateError
from shoplytics_desktop.core.generate import sql
from shoplytics_desktop.core.generate.catalog import Catalog, build_catalog
from shoplytics_desktop.core.generate.expand import chunk_bounds, expand
from shoplytics_desktop.core.generate.plan import SessionPlan, Users, build_plan, build_users
from shoplytics_desktop.core.generate.spec import ResolvedSpec
from shoplytics_desktop.core.progress import Reporter


class DataSet:
    """Catalog, users and session plan of one spec; events come out chunk by chunk."""

    def __init__(self, spec: ResolvedSpec, reporter: Reporter) -> None:
        self.spec = spec
        self.reporter = reporter
        reporter.update(0, spec.events, "Building the catalog and the users")
        self.catalog: Catalog = build_catalog(spec)
        #: Rows of ``user_snapshots()``, once ``fill`` has loaded them.
        self.user_rows = 0
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
        # Visits on one day may be out of order, so a move can precede an upgrade.
        moved_first = (u.country_change_s[seg_changed] >= 0) & (
            u.country_change_s[seg_changed] <= u.segment_change_s[seg_changed]
        )
        country_at_upgrade = np.where(
            moved_first, u.new_country[seg_changed], u.country[seg_changed]
        )
        parts = [
            (ids, u.segment, u.country, signup_s),
            (
                ids[seg_changed],
                u.new_segment[seg_changed],
                country_at_upgrade,
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


def fill(
    con: duckdb.DuckDBPyConnection, ds: DataSet, targets: dict[str, str], lineage: str = ""
) -> None:
    """Write products, users and events into ``targets`` (kind -> SQL prefix such as INSERT INTO).

    Events are pipelined: while DuckDB inserts one chunk (building strings and compressing, with
    the GIL released), numpy computes the next one; the products and profiles go first, while
    the first chunk is computed.

    DuckDB reads each numpy chunk through a replacement scan (the statement names a local
    variable) rather than a registered view or a temporary table: inside a transaction, a view
    or table dropped again stays alive, with the data it holds, until the transaction ends, so
    a load of N chunks would keep all N in memory. A replacement scan lets go of its chunk when
    its statement ends (and measured no slower than copying the chunk into a temporary table).
    """
    spec, reporter = ds.spec, ds.reporter
    tail = f", {lineage}" if lineage else ""

    # The SQL names the local variables _gen_products, _gen_users and _gen_chunk: DuckDB finds
    # them in the calling frame (its replacement scan).
    def load_side_tables() -> None:
        _gen_products = ds.products()
        products_sql = sql.products_select(spec, ds.catalog, "_gen_products")
        con.execute(f"{targets['products']} SELECT *{tail} FROM ({products_sql})")
        del _gen_products
        _gen_users = ds.user_snapshots()
        ds.user_rows = len(_gen_users["uidx"])
        con.execute(f"{targets['users']} SELECT *{tail} FROM ({sql.users_select(spec, '_gen_users')})")
        del _gen_users

    insert = f"{targets['events']} SELECT *{tail} FROM ({sql.events_select(spec, ds.catalog, '_gen_chunk')})"

    def load_chunk(columns: dict[str, np.ndarray]) -> None:
        _gen_chunk = columns
        con.execute(insert)

    loaded = 0
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="shoplytics-generate") as pool:
        # The products and profiles load while numpy computes the first events.
        pending: Future[None] | None = pool.submit(load_side_tables)
        try:
            for done, columns in ds.event_chunks():
                if pending is not None:
                    pending.result()
                    if loaded:  # not after the products and profiles alone
                        reporter.update(
                            loaded, spec.events, f"Loaded {loaded:,} of {spec.events:,} events"
                        )
                reporter.check_cancelled()
                pending = pool.submit(load_chunk, columns)
                del columns  # the loader's reference is the only one: freed once it is in
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


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


@contextlib.contextmanager
def duckdb_errors(what: str, reporter: Reporter) -> Iterator[None]:
    try:
        yield
    except duckdb.Error as e:
        # DuckDB's interrupt, or any error once the cancel stopped the statement
        if classify(e, reporter.token) is Outcome.CANCELLED:
            raise Cancelled() from e
        raise GenerateError(
            f"{what} failed: {str(e).splitlines()[0]}", "Check the disk space and try again."
        ) from e
