"""The synthetic generator: determinism, exact size, behavioural shape, loading and files."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import duckdb
import polars as pl
import pytest

from shoplytics_desktop.core import contract
from shoplytics_desktop.core.errors import Cancelled, GenerateError
from shoplytics_desktop.core.generate import (
    GeneratedData,
    GenerateSpec,
    generate_frames,
    generate_into,
    resolve,
    write_files,
)
from shoplytics_desktop.core.progress import RecordingReporter
from shoplytics_desktop.core.sqlutil import from_polars
from shoplytics_desktop.core.workspace import Workspace

START = dt.date(2026, 3, 2)  # a Monday, safely in the past
SPEC = GenerateSpec(events=50_000, days=60, seed=7, start=START)


@pytest.fixture(scope="module")
def data() -> GeneratedData:
    return generate_frames(SPEC)


@pytest.fixture(scope="module")
def con(data: GeneratedData) -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    for name in ("events", "products", "users"):
        from_polars(c, getattr(data, name)).to_table(name)
    # Generation order within the data set: the number after the id's "-e".
    c.execute(
        "ALTER TABLE events ADD COLUMN seq BIGINT; "
        "UPDATE events SET seq = split_part(event_id, '-e', 2)::BIGINT"
    )
    return c


def one(c: duckdb.DuckDBPyConnection, query: str) -> tuple:
    rows = c.execute(query).fetchall()
    assert len(rows) == 1
    return rows[0]


def digest(frame: pl.DataFrame) -> str:
    return hashlib.sha256(frame.write_csv().encode()).hexdigest()


# -- determinism and size ----------------------------------------------------------------------


def test_same_spec_gives_identical_data() -> None:
    spec = GenerateSpec(events=8_000, days=20, seed=11, start=START)
    a, b = generate_frames(spec), generate_frames(spec)
    for name in ("events", "products", "users"):
        assert digest(getattr(a, name)) == digest(getattr(b, name)), name


def test_another_seed_gives_other_data() -> None:
    a = generate_frames(GenerateSpec(events=8_000, days=20, seed=11, start=START))
    b = generate_frames(GenerateSpec(events=8_000, days=20, seed=12, start=START))
    assert digest(a.events) != digest(b.events)
    assert digest(a.products) != digest(b.products)
    # Ids carry a per-data-set tag, so two data sets never share an id.
    assert not set(a.events["event_id"]) & set(b.events["event_id"])


@pytest.mark.parametrize(
    ("events", "users"), [(1, None), (37, None), (5_000, 4_000), (12_345, 50), (30_001, None)]
)
def test_exactly_the_requested_number_of_events(events: int, users: int | None) -> None:
    d = generate_frames(GenerateSpec(events=events, days=14, users=users, seed=3, start=START))
    assert d.events.height == events
    assert d.events["event_id"].n_unique() == events
    assert d.users["user_id"].n_unique() == (users or max(1, round(events / 12)))


def test_columns_are_the_contract_columns(data: GeneratedData) -> None:
    assert data.events.columns == contract.EVENT_COLUMN_NAMES
    assert data.products.columns == [c.name for c in contract.columns_of(contract.Product)]
    assert data.users.columns == [c.name for c in contract.columns_of(contract.UserSnapshot)]
    assert data.events.schema["event_time"] == pl.Datetime("us")


# -- contract rules ----------------------------------------------------------------------------


def test_values_follow_the_contract(con: duckdb.DuckDBPyConnection) -> None:
    types = ", ".join(f"'{t}'" for t in contract.EVENT_TYPES)
    bad = one(
        con,
        f"""SELECT
            count(*) FILTER (WHERE event_type NOT IN ({types})),
            count(*) FILTER (WHERE event_name <> event_type),
            count(*) FILTER (WHERE session_id IS NULL OR user_id IS NULL),
            count(*) FILTER (WHERE price < 0),
            count(*) FILTER (WHERE quantity < 1 OR quantity IS NULL),
            count(*) FILTER (WHERE event_type IN ('add_to_cart', 'remove_from_cart', 'purchase',
                                                  'product_view') AND product_id IS NULL),
            count(*) FILTER (WHERE device IS NULL OR country IS NULL OR traffic_source IS NULL)
        FROM events""",
    )
    assert bad == (0, 0, 0, 0, 0, 0, 0)


def test_times_inside_the_range_and_never_in_the_future(con: duckdb.DuckDBPyConnection) -> None:
    first, last = one(con, "SELECT min(event_time), max(event_time) FROM events")
    start = dt.datetime.combine(START, dt.time())
    assert start <= first
    assert last < start + dt.timedelta(days=SPEC.days)
    assert last < dt.datetime.now(dt.UTC).replace(tzinfo=None)
    lo, hi = one(con, "SELECT min(updated_at), max(updated_at) FROM users")
    assert start <= lo and hi < start + dt.timedelta(days=SPEC.days)


def test_default_start_ends_by_yesterday() -> None:
    rs = resolve(GenerateSpec(events=10, days=30))
    assert rs.end <= dt.datetime.now(dt.UTC).date()
    assert rs.days == 30


def test_no_start_before_the_contracts_earliest_event_time() -> None:
    from shoplytics_desktop.core.generate.spec import EARLIEST_START

    assert contract.EARLIEST_EVENT_TIME.date() == EARLIEST_START
    with pytest.raises(GenerateError, match="events are from 1990-01-01 on"):
        resolve(GenerateSpec(events=10, days=30, start=dt.date(1989, 12, 1)))
    assert resolve(GenerateSpec(events=10, days=30, start=dt.date(1990, 1, 1))).start == \
        dt.date(1990, 1, 1)


def test_events_carry_their_products_attributes(con: duckdb.DuckDBPyConnection) -> None:
    mismatched = one(
        con,
        """SELECT count(*) FROM events e JOIN products p USING (product_id)
           WHERE e.category IS DISTINCT FROM p.category OR e.brand IS DISTINCT FROM p.brand""",
    )[0]
    unknown = one(
        con,
        "SELECT count(*) FROM events WHERE product_id IS NOT NULL "
        "AND product_id NOT IN (SELECT product_id FROM products)",
    )[0]
    assert (mismatched, unknown) == (0, 0)
    # A catalog: every product named once, with per-category price levels.
    n, names, categories = one(
        con, "SELECT count(*), count(DISTINCT product_id), count(DISTINCT category) FROM products"
    )
    assert n == names and categories >= 8
    books, electronics = (
        one(con, f"SELECT median(price) FROM products WHERE category = '{c}'")[0]
        for c in ("Books", "Electronics")
    )
    assert electronics > 2 * books


# -- behaviour ---------------------------------------------------------------------------------


def _sessions(con: duckdb.DuckDBPyConnection) -> str:
    return """SELECT session_id, any_value(device) AS device, count(*) AS n,
                  bool_or(event_type = 'product_view') AS pv, bool_or(event_type = 'add_to_cart') AS cart,
                  bool_or(event_type = 'begin_checkout') AS checkout, bool_or(event_type = 'purchase') AS buy,
                  epoch(max(event_time) - min(event_time)) AS seconds
              FROM events GROUP BY session_id"""


def test_funnel_shrinks_step_by_step(con: duckdb.DuckDBPyConnection) -> None:
    sessions, pv, cart, checkout, buy = one(
        con,
        f"SELECT count(*), sum(pv::INT), sum(cart::INT), sum(checkout::INT), sum(buy::INT) FROM ({_sessions(con)})",
    )
    assert sessions > pv > cart > checkout > buy > 0
    assert 0.005 <= buy / sessions <= 0.10
    # Causal order inside a session: a cart add follows a view of the same product, checkout
    # follows a cart add, purchase follows checkout.
    orphans = one(
        con,
        """SELECT
             count(*) FILTER (WHERE e.event_type = 'add_to_cart' AND NOT EXISTS (
                 SELECT 1 FROM events v WHERE v.session_id = e.session_id AND v.product_id = e.product_id
                 AND v.event_type = 'product_view' AND v.seq < e.seq)),
             count(*) FILTER (WHERE e.event_type = 'purchase' AND NOT EXISTS (
                 SELECT 1 FROM events v WHERE v.session_id = e.session_id
                 AND v.event_type = 'begin_checkout' AND v.seq < e.seq)),
             count(*) FILTER (WHERE e.event_type = 'purchase' AND NOT EXISTS (
                 SELECT 1 FROM events v WHERE v.session_id = e.session_id AND v.product_id = e.product_id
                 AND v.event_type = 'add_to_cart' AND v.seq < e.seq))
           FROM events e WHERE e.event_type IN ('add_to_cart', 'purchase')""",
    )
    assert orphans == (0, 0, 0)


def test_orders_share_user_and_session(con: duckdb.DuckDBPyConnection) -> None:
    orders, multi, bad_users, bad_sessions, no_order = one(
        con,
        """SELECT count(*), count(*) FILTER (WHERE lines > 1), count(*) FILTER (WHERE users <> 1),
                  count(*) FILTER (WHERE sessions <> 1),
                  (SELECT count(*) FROM events WHERE event_type = 'purchase' AND order_id IS NULL)
           FROM (SELECT order_id, count(*) AS lines, count(DISTINCT user_id) AS users,
                        count(DISTINCT session_id) AS sessions
                 FROM events WHERE event_type = 'purchase' GROUP BY order_id)""",
    )
    assert orders > 50 and multi > 0
    assert (bad_users, bad_sessions, no_order) == (0, 0, 0)
    one_session_per_order = one(
        con,
        "SELECT max(n) FROM (SELECT session_id, count(DISTINCT order_id) AS n FROM events "
        "WHERE order_id IS NOT NULL GROUP BY 1)",
    )[0]
    assert one_session_per_order == 1


def test_sessions_have_increasing_times_and_realistic_lengths(
    con: duckdb.DuckDBPyConnection,
) -> None:
    backwards = one(
        con,
        """SELECT count(*) FROM (SELECT event_time < lag(event_time) OVER (PARTITION BY session_id ORDER BY seq) AS back
           FROM events) WHERE back""",
    )[0]
    assert backwards == 0
    bounce, median_s, p90_s, per_session = one(
        con,
        f"SELECT avg((n = 1)::INT), median(seconds), quantile_cont(seconds, 0.9), avg(n) FROM ({_sessions(con)})",
    )
    assert 0.15 < bounce < 0.6
    assert 10 < median_s < 600 and p90_s < 3600
    assert 2.5 < per_session < 10


def test_seasonality_and_growth(con: duckdb.DuckDBPyConnection) -> None:
    evening, night = one(
        con,
        "SELECT count(*) FILTER (WHERE hour(event_time) BETWEEN 19 AND 21), "
        "count(*) FILTER (WHERE hour(event_time) BETWEEN 3 AND 5) FROM events",
    )
    assert evening > 3 * night
    early, late = one(
        con,
        f"""SELECT count(*) FILTER (WHERE first < TIMESTAMP '{START}' + INTERVAL 20 DAY),
                   count(*) FILTER (WHERE first >= TIMESTAMP '{START}' + INTERVAL 40 DAY)
            FROM (SELECT user_id, min(event_time) AS first FROM events GROUP BY 1)""",
    )
    assert late > 1.5 * early  # more users acquired later in the range


def test_returning_visits_decay(con: duckdb.DuckDBPyConnection) -> None:
    # Of the users whose first visit is in the first two weeks, more come back in the week after
    # than in the fourth week after.
    week1, week4 = one(
        con,
        f"""WITH f AS (SELECT user_id, min(event_time) AS first FROM events GROUP BY 1
                       HAVING min(event_time) < TIMESTAMP '{START}' + INTERVAL 14 DAY)
            SELECT count(DISTINCT user_id) FILTER (WHERE d BETWEEN 1 AND 7),
                   count(DISTINCT user_id) FILTER (WHERE d BETWEEN 22 AND 28)
            FROM (SELECT f.user_id, datediff('day', f.first, e.event_time) AS d
                  FROM f JOIN events e USING (user_id))""",
    )
    assert week1 > week4 > 0


def test_device_and_channel_move_conversion(con: duckdb.DuckDBPyConnection) -> None:
    rows = dict(
        con.execute(f"SELECT device, avg(buy::INT) FROM ({_sessions(con)}) GROUP BY 1").fetchall()
    )
    assert rows["desktop"] > rows["mobile"]
    by_source = dict(
        con.execute(
            "SELECT traffic_source, avg(b::INT) FROM (SELECT session_id, any_value(traffic_source) AS traffic_source, "
            "bool_or(event_type = 'purchase') AS b FROM events GROUP BY 1) GROUP BY 1"
        ).fetchall()
    )
    assert by_source["email"] > by_source["social"]


def test_user_snapshots_change_over_time(con: duckdb.DuckDBPyConnection) -> None:
    users, multi, max_versions = one(
        con,
        "SELECT count(*), count(*) FILTER (WHERE n > 1), max(n) FROM "
        "(SELECT user_id, count(*) AS n FROM users GROUP BY 1)",
    )
    assert 0 < multi < users and max_versions <= 3
    unchanged = one(
        con,
        """SELECT count(*) FROM (SELECT segment, country,
                  lag(segment) OVER w AS prev_segment, lag(country) OVER w AS prev_country
              FROM users WINDOW w AS (PARTITION BY user_id ORDER BY updated_at))
           WHERE prev_segment IS NOT NULL AND segment = prev_segment AND country = prev_country""",
    )[0]
    assert unchanged == 0  # every later snapshot changes a tracked attribute
    signup_mismatch = one(
        con,
        "SELECT count(*) FROM users u JOIN (SELECT user_id, min(event_time)::DATE AS d FROM events GROUP BY 1) f "
        "USING (user_id) WHERE u.signup_date <> f.d",
    )[0]
    assert signup_mismatch == 0


# -- spec checks -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        (GenerateSpec(events=0, days=10, start=START), "events must be at least 1"),
        (GenerateSpec(events=-5, days=10, start=START), "events must be at least 1"),
        (GenerateSpec(events=10, days=0, start=START), "days must be at least 1"),
        (GenerateSpec(events=10, days=10, users=0, start=START), "users must be at least 1"),
        (GenerateSpec(events=10, days=10, users=11, start=START), "users must be at most 10"),
        (GenerateSpec(events=10, days=10, seed=-1, start=START), "seed must be at least 0"),
        (GenerateSpec(events=10, days=10, start=dt.date(2099, 1, 1)), "in the future"),
    ],
)
def test_bad_specs_are_refused(spec: GenerateSpec, words: str) -> None:
    with pytest.raises(GenerateError, match=words):
        resolve(spec)


def test_range_running_past_today_is_refused() -> None:
    today = dt.date(2026, 6, 10)
    with pytest.raises(GenerateError, match="past yesterday") as exc:
        resolve(GenerateSpec(events=10, days=30, start=dt.date(2026, 6, 1)), today=today)
    assert "--days 9 or less" in exc.value.one_line()
    assert (
        resolve(GenerateSpec(events=10, days=9, start=dt.date(2026, 6, 1)), today=today).end
        == today
    )


# -- loading into a workspace ------------------------------------------------------------------

SMALL = GenerateSpec(events=6_000, days=20, seed=5, start=START)


def _counts(ws: Workspace) -> tuple[int, ...]:
    return tuple(
        ws.row_count(s, t)
        for s, t in (
            ("raw", "events"),
            ("raw", "products"),
            ("raw", "users"),
            ("_shoplytics", "batches"),
        )
    )


def test_generate_into_loads_and_records_a_batch(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "ws") as ws:
        reporter = RecordingReporter()
        summary = generate_into(ws, SMALL, reporter)
        assert not summary.already_loaded
        assert _counts(ws) == (6_000, summary.products, summary.user_rows, 1)
        assert summary.table_rows()["raw.events"] == 6_000
        assert reporter.updates[-1][0] == reporter.updates[-1][1] == 6_000
        cur = ws.cursor()
        batch = cur.execute(
            "SELECT batch_id, kind, fingerprint, rows_read, rows_loaded, status, started_at <= finished_at "
            "FROM _shoplytics.batches"
        ).fetchall()[0]
        rs = resolve(SMALL)
        assert batch == (rs.batch_id, "generated", rs.fingerprint, 6_000, 6_000, "loaded", True)
        lineage = cur.execute(
            "SELECT DISTINCT _batch_id, _source_file, _source_line IS NULL FROM raw.events"
        ).fetchall()
        assert lineage == [(rs.batch_id, "generator", True)]
        distinct = cur.execute(
            "SELECT count(DISTINCT event_id), count(DISTINCT order_id) FROM raw.events"
        ).fetchall()[0]
        assert distinct == (6_000, summary.orders)
        # Loaded data equals the frames of the same spec.
        frames = generate_frames(SMALL)
        loaded = cur.execute(
            "SELECT sum(hash(event_id, event_time, user_id, product_id, price)) FROM raw.events"
        ).fetchall()[0]
        cur.register("generated_frame", from_polars(cur, frames.events))
        expected = cur.execute(
            "SELECT sum(hash(event_id, event_time, user_id, product_id, price)) FROM generated_frame"
        ).fetchall()[0]
        assert loaded == expected


def test_same_spec_again_adds_nothing_and_replace_starts_over(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "ws") as ws:
        first = generate_into(ws, SMALL)
        before = _counts(ws)
        again = generate_into(ws, SMALL)
        assert again.already_loaded and again.batch_id == first.batch_id
        assert _counts(ws) == before
        other = GenerateSpec(events=2_000, days=20, seed=6, start=START)
        generate_into(ws, other)
        assert ws.row_count("raw", "events") == 8_000
        assert ws.row_count("_shoplytics", "batches") == 2
        replaced = generate_into(ws, other, replace=True)
        assert replaced.replaced
        assert _counts(ws)[0] == 2_000 and _counts(ws)[3] == 1


@pytest.mark.parametrize("cancel_after", [1, 2, 3])
def test_cancel_leaves_the_workspace_unchanged(tmp_path: Path, cancel_after: int) -> None:
    with Workspace.open(tmp_path / "ws") as ws:
        generate_into(ws, SMALL)
        before = _counts(ws)
        reporter = RecordingReporter(cancel_after=cancel_after)
        with pytest.raises(Cancelled):
            generate_into(
                ws, GenerateSpec(events=3_000, days=10, seed=9, start=START), reporter, replace=True
            )
        assert _counts(ws) == before
        # The workspace is still usable afterwards.
        assert generate_into(ws, SMALL).already_loaded


def test_cancel_between_chunks_leaves_the_workspace_unchanged(tmp_path: Path) -> None:
    # 300k events load in two chunks; the cancel comes after the first chunk is in.
    spec = GenerateSpec(events=300_000, days=30, seed=9, start=START)
    with Workspace.open(tmp_path / "ws") as ws:
        generate_into(ws, SMALL)
        before = _counts(ws)
        reporter = RecordingReporter(cancel_after=3)
        with pytest.raises(Cancelled):
            generate_into(ws, spec, reporter)
        assert reporter.updates[-1][0] > 0  # some events had been loaded
        assert _counts(ws) == before


def test_bad_spec_leaves_no_workspace(tmp_path: Path) -> None:
    with pytest.raises(GenerateError):
        resolve(GenerateSpec(events=0, days=10))
    assert not (tmp_path / "ws").exists()


# -- files -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "reader"),
    [("parquet", "read_parquet"), ("csv", "read_csv"), ("ndjson", "read_json")],
)
def test_write_files_in_each_format(tmp_path: Path, fmt: str, reader: str) -> None:
    spec = GenerateSpec(events=3_000, days=15, seed=2, start=START)
    paths = write_files(spec, tmp_path / "out", fmt)
    assert [p.name for p in paths] == [f"events.{fmt}", f"products.{fmt}", f"users.{fmt}"]
    assert not list((tmp_path / "out").glob(".*"))  # no partial or probe files left
    c = duckdb.connect()
    expected = {
        "events": contract.EVENT_COLUMN_NAMES,
        "products": [x.name for x in contract.columns_of(contract.Product)],
        "users": [x.name for x in contract.columns_of(contract.UserSnapshot)],
    }
    frames = generate_frames(spec)
    for path in paths:
        table = path.stem
        rel = c.sql(f"SELECT * FROM {reader}('{path}')")
        assert rel.columns == expected[table]
        assert c.execute(f"SELECT count(*) FROM {reader}('{path}')").fetchall()[0] == (
            getattr(frames, table).height,
        )
    ids = c.execute(
        f"SELECT count(DISTINCT event_id), sum(quantity) FROM {reader}('{paths[0]}')"
    ).fetchall()[0]
    assert ids == (3_000, frames.events["quantity"].sum())


def test_write_files_refuses_bad_format_and_folder(tmp_path: Path) -> None:
    spec = GenerateSpec(events=100, days=5, seed=2, start=START)
    with pytest.raises(GenerateError, match="Unknown file format"):
        write_files(spec, tmp_path, "xml")
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(GenerateError, match="Cannot write"):
        write_files(spec, blocker / "out", "csv")


# -- memory ------------------------------------------------------------------------------------


def test_the_load_keeps_only_the_chunks_in_flight(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Memory does not grow with the size: a chunk DuckDB has inserted is freed at once, not
    kept until the load's transaction commits, and DuckDB works within import_memory_limit."""
    import weakref

    from shoplytics_desktop.core.generate import dataset, expand

    monkeypatch.setattr(expand, "MIN_CHUNK_EVENTS", 1_000)
    monkeypatch.setattr(expand, "MAX_CHUNK_EVENTS", 5_000)  # 60,000 events: 12 chunks
    made: list[weakref.ref[object]] = []

    def expand_and_watch(*args: object) -> dict:
        columns = expand.expand(*args)  # type: ignore[arg-type]
        made.extend(weakref.ref(a) for a in columns.values())
        return columns

    monkeypatch.setattr(dataset, "expand", expand_and_watch)
    alive: list[int] = []
    limits: list[str] = []

    with Workspace.open(tmp_path / "ws") as ws:

        class Watch(RecordingReporter):
            def update(self, done: float, total: float, message: str = "") -> None:
                super().update(done, total, message)
                if message.startswith("Loaded"):
                    # Between two inserts: the loader thread is idle, the cursor free.
                    alive.append(len({id(r()) for r in made if r() is not None}) // 14)
                    rows = ws.cursor().execute("SELECT current_setting('memory_limit')").fetchall()
                    limits.append(str(rows[0][0]))

        generate_into(ws, GenerateSpec(events=60_000, days=20, seed=4, start=START), Watch())
        assert ws.row_count("raw", "events") == 60_000
        restored = ws.cursor().execute("SELECT current_setting('memory_limit')").fetchall()[0]
    assert len(alive) == 12
    # The chunk just inserted (still referenced by the generator) and the next one at most.
    assert max(alive) <= 2, alive
    assert set(limits) == {"488.2 MiB"}, limits  # import_memory_limit's 512MB
    assert restored[0] != "488.2 MiB"
