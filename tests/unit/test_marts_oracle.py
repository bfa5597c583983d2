"""The marts agree with an independent naive implementation of METRICS.md.

Run on generated data (with some users' session ids and order ids removed, so the gap
sessionization and per-session orders are exercised) and on the real sample export.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from shoplytics_desktop.core.models.runner import run_project
from shoplytics_desktop.core.workspace import Workspace
from tests.samples import REAL_SAMPLE
from tests.unit import oracle


def _close(a: object, b: object) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(float(a) - float(b)) < 1e-6  # type: ignore[arg-type]


def _by_first(cur: Any, sql: str) -> dict[Any, tuple]:
    """The query's rows keyed by their first column."""
    return {r[0]: r[1:] for r in cur.execute(sql).fetchall()}


def _check_marts(ws: Workspace) -> None:
    with oracle.in_zone(ws.settings.time_zone):
        _check_marts_in_zone(ws)


def _check_marts_in_zone(ws: Workspace) -> None:
    cur = ws.cursor()
    assert ws.settings.currency == oracle.WORKSPACE_CURRENCY
    events = oracle.load_events(cur)
    sessions = oracle.sessionize(events, ws.settings.session_timeout_minutes)

    # fct_daily_engagement: every day, exact counts
    expected = oracle.daily(events, sessions)
    cols = list(next(iter(expected.values())).keys())
    rows = cur.execute(f"select activity_date, {', '.join(cols)} from marts.fct_daily_engagement order by 1").fetchall()
    assert [r[0] for r in rows] == sorted(expected)
    for r in rows:
        exp = expected[r[0]]
        for name, got in zip(cols, r[1:], strict=True):
            assert _close(got, exp[name]), (r[0], name, got, exp[name])

    # fct_orders: one row per order, every column (orders without an order id included)
    exp_orders = oracle.orders(events)
    got_orders = _by_first(
        cur,
        "select order_id, user_id, session_id, order_time, order_date, currency, items, "
        "distinct_products, units, revenue from marts.fct_orders"
    )
    assert set(got_orders) == set(exp_orders)
    for k, o in exp_orders.items():
        assert got_orders[k] == (
            o["user_id"], o["session_id"], o["order_time"], oracle.day(o["order_time"]), o["currency"],
            o["items"], len(o["products"]), o["units"], o["revenue"],
        ), k
    # money per currency, never summed across them; the daily mart holds the workspace's
    for currency in {o["currency"] for o in exp_orders.values()}:
        total = sum((o["revenue"] for o in exp_orders.values() if o["currency"] == currency), Decimal(0))
        for mart in ("fct_orders", "fct_revenue"):
            got = cur.execute(f"select sum(revenue) from marts.{mart} where currency = ?", [currency]).fetchone()
            assert got == (total,), (mart, currency)
    ws_total = sum((o["revenue"] for o in exp_orders.values() if o["currency"] == oracle.WORKSPACE_CURRENCY),
                   Decimal(0))
    assert Decimal(str(cur.execute("select sum(revenue) from marts.fct_daily_engagement").fetchone()[0])) == ws_total

    # fct_revenue: order day × category, every column
    catalog = oracle.load_catalog(cur)
    attrs, ambiguous_products = oracle.product_attributes(events, catalog)
    exp_revenue = oracle.revenue_by_day_category(events, attrs)
    got_revenue = {
        (r[0], r[1], r[2]): {"orders": r[3], "items": r[4], "units": r[5], "revenue": r[6], "buyers": r[7],
                             "refund_items": r[8], "refunds": r[9], "net_revenue": r[10]}
        for r in cur.execute(
            "select order_date, category, currency, orders, items, units, revenue, buyers, refund_items, "
            "refunds, net_revenue from marts.fct_revenue"
        ).fetchall()
    }
    if not ambiguous_products:
        assert got_revenue == exp_revenue

    # fct_funnel: session counts per step and segment
    exp_funnel = oracle.funnel(sessions, events)
    got_funnel = {
        tuple(r[:4]): list(r[4:])
        for r in cur.execute(
            "select session_date, device, traffic_source, country, sessions, product_view_sessions, "
            "add_to_cart_sessions, checkout_sessions, purchase_sessions from marts.fct_funnel"
        ).fetchall()
    }
    assert got_funnel == exp_funnel

    # fct_cohort_retention
    exp_ret = oracle.retention(events)
    got_ret = {
        (r[0], r[1]): (r[2], r[3], r[4])
        for r in cur.execute(
            "select cohort_week, week_number, cohort_size, active_users, retention_rate "
            "from marts.fct_cohort_retention"
        ).fetchall()
    }
    assert set(got_ret) == set(exp_ret)
    for k, (size, active) in exp_ret.items():
        assert got_ret[k][:2] == (size, active), k
        assert _close(got_ret[k][2], active / size)

    # dim_products: attributes (catalog first, else the latest seen on events), activity, rates
    exp_activity = oracle.products_full(events, sessions)
    zero = {"views": 0, "add_to_carts": 0, "units_sold": 0, "revenue": Decimal(0),
            "view_to_cart_rate": None, "cart_to_purchase_rate": None, "view_sessions": 0,
            "view_to_cart_sessions": 0, "cart_sessions": 0, "cart_to_purchase_sessions": 0}
    got_products = _by_first(
        cur,
        "select product_id, name, category, brand, price, views, add_to_carts, units_sold, "
        "revenue, view_to_cart_rate, cart_to_purchase_rate, view_sessions, view_to_cart_sessions, "
        "cart_sessions, cart_to_purchase_sessions from marts.dim_products"
    )
    assert set(got_products) == set(attrs)
    for pid, got in got_products.items():
        a, act = attrs[pid], exp_activity.get(pid, zero)
        if pid not in ambiguous_products:
            assert got[:4] == (a["name"], a["category"], a["brand"], a["price"]), pid
        assert got[4:8] == (act["views"], act["add_to_carts"], act["units_sold"], act["revenue"]), pid
        assert _close(got[8], act["view_to_cart_rate"]) and _close(got[9], act["cart_to_purchase_rate"]), pid
        assert got[10:] == (act["view_sessions"], act["view_to_cart_sessions"], act["cart_sessions"],
                            act["cart_to_purchase_sessions"]), pid
    # agg_product_day adds up to dim_products' session counts
    assert cur.execute(
        "select sum(view_sessions), sum(view_to_cart_sessions), sum(cart_sessions), "
        "sum(cart_to_purchase_sessions) from marts.agg_product_day"
    ).fetchone() == tuple(
        sum(p[k] for p in exp_activity.values())
        for k in ("view_sessions", "view_to_cart_sessions", "cart_sessions", "cart_to_purchase_sessions")
    )

    # dim_users: SCD type 2 over the profile snapshots, or one version from the events
    exp_users, ambiguous_users = oracle.user_versions(events, oracle.load_snapshots(cur))
    got_users = {
        (r[1], r[2]): r
        for r in cur.execute(
            "select user_sk, user_id, version, signup_date, country, segment, device, valid_from, "
            "valid_to, is_current from marts.dim_users"
        ).fetchall()
    }
    assert set(got_users) == set(exp_users)
    for (user, version), v in exp_users.items():
        got = got_users[(user, version)]
        assert got[0] == f"{user}#{version}"
        assert (got[3], got[5], got[7], got[8], got[9]) == (
            v["signup_date"], v["segment"], v["valid_from"], v["valid_to"], v["is_current"]
        ), (user, version)
        if user not in ambiguous_users:
            assert (got[4], got[6]) == (v["country"], v["device"]), (user, version)

    # agg_activity_hour: events per day and hour of day, in the reporting time zone
    got_hours = {
        (r[0], r[1]): r[2]
        for r in cur.execute(
            "select activity_date, hour, sum(events) from marts.agg_activity_hour group by all"
        ).fetchall()
    }
    assert got_hours == oracle.activity_hours(events)

    # dim_date: every day from the first to the last event day
    exp_dates = oracle.dates(events)
    got_dates = _by_first(
        cur,
        "select date_day, day_of_week, day_name, is_weekend, week_start, month_start, quarter, "
        "year from marts.dim_date"
    )
    assert got_dates == exp_dates


@pytest.mark.slow
@pytest.mark.parametrize("zone", ["UTC", "America/Los_Angeles", "Asia/Kolkata"])
def test_marts_match_oracle_on_generated_data(tmp_path: Path, zone: str) -> None:
    """In UTC (what generated data and the tests use) and in other reporting time zones: one
    whose clocks change in the data's span (2024-11-03), one half an hour off UTC."""
    from shoplytics_desktop.core.generate import GenerateSpec, generate_into

    with Workspace.open(tmp_path / "ws") as ws:
        assert ws.settings.time_zone == "UTC"  # a new workspace on a computer in UTC
        ws.settings.time_zone = zone
        start = dt.date(2024, 10, 10) if zone != "UTC" else None
        generate_into(ws, GenerateSpec(events=12_000, days=40, seed=3, start=start))
        # a third of the users lose their session ids (gap sessionization) and order ids
        ws.cursor().execute(
            "update raw.events set session_id = null, order_id = null where hash(user_id) % 3 = 0"
        )
        result = run_project(ws)
        assert result.published, result.message
        _check_marts(ws)



@pytest.mark.slow
@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin"])
def test_marts_match_oracle_on_messy_generated_data(tmp_path: Path, zone: str) -> None:
    """Generated data made awkward the way real exports are: users without profile snapshots,
    a snapshot loaded twice with different values, snapshots that change nothing, products
    missing from the catalog, categories and prices that change over time, purchases without a
    price, an order id reused in a later session,
    events at one instant, refunds a day after some purchases, and orders in a second currency."""
    from shoplytics_desktop.core.generate import GenerateSpec, generate_into

    with Workspace.open(tmp_path / "ws") as ws:
        ws.settings.time_zone = zone
        # in Berlin, a span with the clocks going back (2025-10-26)
        start = dt.date(2025, 10, 1) if zone != "UTC" else None
        generate_into(ws, GenerateSpec(events=15_000, days=45, seed=11, start=start))
        cur = ws.cursor()
        n_users = cur.execute("select count(distinct user_id) from raw.users").fetchone()[0]
        cur.execute("delete from raw.users where hash(user_id) % 5 = 0")
        cur.execute(  # the same snapshot loaded again later, with another country: that load wins
            "insert into raw.users select user_id, signup_date, 'ZZ', segment, device, updated_at, "
            "'later', _source_file, _source_line, _loaded_at + interval 1 day from raw.users "
            "where hash(user_id) % 7 = 0"
        )
        cur.execute(  # a later snapshot that changes nothing tracked: no new version
            "insert into raw.users select user_id, signup_date, country, segment, device, "
            "updated_at + interval 1 hour, 'same', _source_file, _source_line, _loaded_at "
            "from raw.users where hash(user_id) % 11 = 1 and _batch_id <> 'later'"
        )
        cur.execute("delete from raw.products where hash(product_id) % 4 = 0")
        cur.execute(  # products re-categorised and re-priced midway: the latest value seen wins
            "update raw.events set category = 'Renamed ' || category, price = price + 1 "
            "where hash(product_id) % 2 = 0 and event_time > (select min(event_time) + interval 20 day from raw.events)"
        )
        cur.execute("update raw.events set price = null where event_type = 'purchase' and hash(event_id) % 9 = 0")
        cur.execute("update raw.events set session_id = null where hash(user_id) % 3 = 0")
        cur.execute(  # one order id spread over two of its user's sessions
            "update raw.events set order_id = (select min(order_id) from raw.events where order_id is not null) "
            "where event_type = 'purchase' and order_id = (select max(order_id) from raw.events)"
        )
        cur.execute(  # a tenth of the purchase lines refunded (one unit) a day later
            "insert into raw.events by name select event_id || '-r' as event_id, "
            "event_time + interval 1 day as event_time, 'refund' as event_type, 'refund' as event_name, "
            "user_id, session_id, product_id, order_id, price, 1 as quantity, category, brand, device, "
            "country, traffic_source, _batch_id, _loaded_at from raw.events "
            "where event_type = 'purchase' and hash(event_id) % 10 = 0"
        )
        cur.execute(  # a fifth of the orders (and their refunds) in EUR, whole orders at a time
            "update raw.events set currency = 'EUR' where event_type in ('purchase', 'refund') "
            "and hash(coalesce(order_id, user_id)) % 5 = 0"
        )
        cur.execute(  # events of one instant: some times rounded down to the minute
            "update raw.events set event_time = date_trunc('minute', event_time) where hash(event_id) % 4 = 0"
        )
        assert cur.execute("select count(distinct user_id) from raw.users").fetchone()[0] < n_users
        result = run_project(ws)
        assert result.published, result.message
        _check_marts(ws)

def test_marts_match_oracle_on_the_real_sample(tmp_path: Path) -> None:
    if not REAL_SAMPLE.exists():
        pytest.skip("real sample not available")
    from shoplytics_desktop.core.ingest import import_events

    with Workspace.open(tmp_path / "ws") as ws:
        import_events(ws, [REAL_SAMPLE])
        result = run_project(ws)
        assert result.published, result.message
        _check_marts(ws)


def test_oracle_sessionization_edges() -> None:
    t0 = dt.datetime(2024, 1, 1, 10)
    mk = lambda i, minutes, sid=None: oracle.Ev(str(i), t0 + dt.timedelta(minutes=minutes), "other", "u", sid, None, None, None, 1, None, "d", "XX", "s")  # noqa: E731
    evs = [mk(1, 0), mk(2, 30), mk(3, 60.0 + 1 / 60), mk(4, 60.0 + 1 / 60), mk(5, 0, "S")]
    sessions = oracle.sessionize(evs)
    assert sorted(len(v) for v in sessions.values()) == [1, 2, 2]


#: Generated events rewritten in the shapes of real exports: (file name, COPY query over
#: ``g.raw.events``). None of them has our column names; two have no session id at all.
_THIRD_PARTY_SHAPES = {
    # RetailRocket: epoch milliseconds, visitor ids, view / addtocart / transaction only, no
    # session, no price, no quantity.
    "retailrocket.csv": """
        select epoch_ms(event_time) as "timestamp", user_id as visitorid,
            case event_type when 'product_view' then 'view' when 'add_to_cart' then 'addtocart'
                else 'transaction' end as event,
            product_id as itemid, order_id as transactionid
        from g.raw.events where event_type in ('product_view', 'add_to_cart', 'purchase')
        order by event_id""",
    # The Kaggle multi-category store: ' UTC' times, view / cart / remove_from_cart / purchase,
    # unit prices, user_session, no order id and no quantity.
    "kaggle-store.csv": """
        select strftime(event_time, '%Y-%m-%d %H:%M:%S') || ' UTC' as event_time,
            case event_type when 'product_view' then 'view' when 'add_to_cart' then 'cart'
                else event_type end as event_type,
            product_id, category as category_code, brand, price, user_id, session_id as user_session
        from g.raw.events
        where event_type in ('product_view', 'add_to_cart', 'remove_from_cart', 'purchase')
        order by event_id""",
    # GA4 flattened to NDJSON: microsecond timestamps, GA4 event names, pseudo ids, no session
    # for a third of the users.
    "ga4.ndjson": """
        select epoch_us(event_time) as event_timestamp,
            case event_type when 'product_view' then 'view_item' when 'page_view' then 'page_view'
                else event_type end as event_name,
            user_id as user_pseudo_id,
            case when hash(user_id) % 3 <> 0 then session_id end as ga_session_id,
            product_id as item_id, price, quantity, order_id as transaction_id,
            device as device_category, country as geo_country, traffic_source as traffic_medium
        from g.raw.events order by event_id""",
}


@pytest.mark.slow
@pytest.mark.parametrize("shape", sorted(_THIRD_PARTY_SHAPES))
def test_marts_match_oracle_on_third_party_shapes(tmp_path: Path, shape: str) -> None:
    """Import with the proposed mapping (no mapping file), run, and agree with the oracle."""
    from shoplytics_desktop.core.generate import GenerateSpec, generate_into
    from shoplytics_desktop.core.ingest import import_events

    with Workspace.open(tmp_path / "gen") as gen:
        generate_into(gen, GenerateSpec(events=8_000, days=30, seed=5))
    source = tmp_path / shape
    fmt = "(format json)" if shape.endswith(".ndjson") else "(header)"
    with Workspace.open(tmp_path / "ws") as ws:
        cur = ws.cursor()
        cur.execute(f"attach '{tmp_path / 'gen' / 'warehouse.duckdb'}' as g (read_only)")
        cur.execute(f"copy ({_THIRD_PARTY_SHAPES[shape]}) to '{source}' {fmt}")
        cur.execute("detach g")
        report = import_events(ws, [source])
        v = report.validation
        assert v is not None and v.rows_loaded > 1000 and v.rows_rejected == 0, v.summary()
        result = run_project(ws)
        assert result.published, result.message
        _check_marts(ws)
