"""The default model project on a small hand-made fixture, every number worked out by hand.

The fixture (28 events, 5 users, 1–15 January 2024; 1 January is a Monday) is built to hit the
edges of METRICS.md §3. Times are UTC.

user a: source session ids, two changed profile snapshots (SCD2), returns in week 2
  s1  Mon 01-01 10:00 page_view, 10:01 product_view p1, 10:02 add_to_cart p1,
      10:03 begin_checkout, 10:04 purchase p1 ×2 @10.00 + purchase p2 ×1 @5.50 (order o1, two
      lines at the same instant)                                    full funnel, revenue 25.50
  s2  Thu 01-04 09:00 add_to_cart p2 (mobile), 09:05 product_view p2
      cart BEFORE view and no later cart: reaches the view step only
  s3  Mon 01-08 12:00 product_view p1                                one-event session (0 s)
user b: no session ids (sessions derived by the 30-minute rule), no profile
  01-01 08:00 page_view, 08:30 product_view p1        gap of exactly 30 min: same session (b1)
  01-01 09:00:01 add_to_cart p1 + product_view p2      gap of 30 min 1 s: new session (b2); the
      two events share an instant, so the cart counts as at-or-after the view
  01-01 09:10 purchase p1 ×1 price NULL + purchase p2 ×3 @4.00, no order_id: one order for b2
  01-02 23:50 page_view, 01-03 00:10 product_view p3 one session across midnight (b3), dated 01-02
user c: no session ids, first seen in week 3 (its own cohort), one snapshot loaded twice
  Mon 01-15 14:00 product_view p3, 14:05 add_to_cart p3, 14:06 begin_checkout,
      14:07 purchase p3 @7.00, 14:20 purchase p3 @7.00 (no order_id: one order for the session),
      14:25 purchase p1 @10.00 + purchase p9 @2.00 (order o2)
user d: source session 'x1' on 01-02: 11:00 add_to_cart p2, 11:01 product_view p2,
      11:02 add_to_cart p2: cart before view, but a later cart exists, so the cart step counts
user e: source session 'x1' too (same id as d, different user: another session): one page_view
      at 11:30 on 01-02, a bounce
01-05..01-07 and 01-09..01-14 have no events at all (rows of zeros).
Products: p1, p2, p4 in the catalog (p4 never seen on events; p2 has no brand there); p3 and p9
only seen on events (p3's latest non-null category is 'toys', p9 has none: 'unknown').
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from shoplytics_desktop.core import contract
from shoplytics_desktop.core.models.runner import RunResult, run_project
from shoplytics_desktop.core.workspace import Workspace

D = dt.date
T = dt.datetime
LOADED = T(2024, 2, 1)


def _event(
    event_id: str,
    time: str,
    event_type: str,
    user: str,
    session: str | None = None,
    product: str | None = None,
    order: str | None = None,
    price: str | None = None,
    qty: int = 1,
    category: str | None = None,
    brand: str | None = None,
    device: str = "desktop",
    country: str = "DE",
    source: str = "organic",
) -> tuple[Any, ...]:
    return (
        event_id, T.fromisoformat(time), event_type, event_type, user, session, product, order,
        Decimal(price) if price is not None else None, qty, category, brand, device, country,
        source, None, "fixture", "fixture.csv", None, LOADED,
    )


_B: dict[str, Any] = {"device": "mobile", "country": "US", "source": "paid"}
_C: dict[str, Any] = {"device": "desktop", "country": "US", "source": "email"}

EVENTS = [
    # user a, session s1 (Mon 01-01): the whole funnel in order, then a two-line order o1
    _event("a1", "2024-01-01 10:00:00", "page_view", "a", "s1"),
    _event("a2", "2024-01-01 10:01:00", "product_view", "a", "s1", "p1", price="10.00", category="kitchen"),
    _event("a3", "2024-01-01 10:02:00", "add_to_cart", "a", "s1", "p1", price="10.00"),
    _event("a4", "2024-01-01 10:03:00", "begin_checkout", "a", "s1"),
    _event("a5", "2024-01-01 10:04:00", "purchase", "a", "s1", "p1", "o1", "10.00", 2),
    _event("a6", "2024-01-01 10:04:00", "purchase", "a", "s1", "p2", "o1", "5.50", 1, "food", "leaf"),
    # user a, session s2 (Thu 01-04): cart before view, no cart after it
    _event("a7", "2024-01-04 09:00:00", "add_to_cart", "a", "s2", "p2", brand="leaf", device="mobile"),
    _event("a8", "2024-01-04 09:05:00", "product_view", "a", "s2", "p2", price="5.50", brand="leaf"),
    # user a, session s3 (Mon 01-08, week 2): a single event
    _event("a9", "2024-01-08 12:00:00", "product_view", "a", "s3", "p1"),
    # user b: no session ids
    _event("b1", "2024-01-01 08:00:00", "page_view", "b", **_B),
    _event("b2", "2024-01-01 08:30:00", "product_view", "b", None, "p1", **_B),
    _event("b3", "2024-01-01 09:00:01", "add_to_cart", "b", None, "p1", **_B),
    _event("b4", "2024-01-01 09:00:01", "product_view", "b", None, "p2", **_B),
    _event("b5", "2024-01-01 09:10:00", "purchase", "b", None, "p1", None, None, 1, **_B),
    _event("b6", "2024-01-01 09:10:00", "purchase", "b", None, "p2", None, "4.00", 3, **_B),
    _event("b7", "2024-01-02 23:50:00", "page_view", "b", **_B),
    _event("b8", "2024-01-03 00:10:00", "product_view", "b", None, "p3", price="7.00", category="games", **_B),
    # user c (Mon 01-15, week 3): no session ids
    _event("c1", "2024-01-15 14:00:00", "product_view", "c", None, "p3", category="toys", **_C),
    _event("c2", "2024-01-15 14:05:00", "add_to_cart", "c", None, "p3", **_C),
    _event("c3", "2024-01-15 14:06:00", "begin_checkout", "c", **_C),
    _event("c4", "2024-01-15 14:07:00", "purchase", "c", None, "p3", None, "7.00", 1, "toys", **_C),
    _event("c5", "2024-01-15 14:20:00", "purchase", "c", None, "p3", None, "7.00", 1, **_C),
    _event("c6", "2024-01-15 14:25:00", "purchase", "c", None, "p1", "o2", "10.00", 1, **_C),
    _event("c7", "2024-01-15 14:25:00", "purchase", "c", None, "p9", "o2", "2.00", 1, **_C),
    # users d and e share the source session id 'x1' (Tue 01-02)
    _event("d1", "2024-01-02 11:00:00", "add_to_cart", "d", "x1", "p2", device="tablet", country="FR"),
    _event("d2", "2024-01-02 11:01:00", "product_view", "d", "x1", "p2", device="tablet", country="FR"),
    _event("d3", "2024-01-02 11:02:00", "add_to_cart", "d", "x1", "p2", device="tablet", country="FR"),
    _event("e1", "2024-01-02 11:30:00", "page_view", "e", "x1", country="GB"),
]

PRODUCTS = [
    ("p1", "Mug", "kitchen", "acme", Decimal("10.00"), "fixture", None, None, LOADED),
    ("p2", "Tea", "food", None, Decimal("5.50"), "fixture", None, None, LOADED),
    ("p4", "Spoon", "kitchen", "acme", Decimal("3.00"), "fixture", None, None, LOADED),
]

USERS = [
    # a: segment new → vip on 01-05 12:00 (a new version); the 01-07 snapshot changes nothing
    ("a", D(2023, 12, 15), "DE", "new", "desktop", T(2023, 12, 15), "u1", None, None, LOADED),
    ("a", D(2023, 12, 15), "DE", "vip", "desktop", T(2024, 1, 5, 12), "u1", None, None, LOADED),
    ("a", D(2023, 12, 15), "DE", "vip", "desktop", T(2024, 1, 7), "u1", None, None, LOADED),
    # c: the same snapshot loaded by two batches counts once
    ("c", D(2024, 1, 15), "US", "new", "desktop", T(2024, 1, 15), "u1", None, None, LOADED),
    ("c", D(2024, 1, 15), "US", "new", "desktop", T(2024, 1, 15), "u2", None, None, LOADED + dt.timedelta(days=1)),
    # f: a profile without any event
    ("f", D(2024, 1, 3), "GB", "new", "mobile", T(2024, 1, 3), "u1", None, None, LOADED),
]


def _load(ws: Workspace, events: list[tuple[Any, ...]]) -> None:
    cur = ws.cursor()
    # The fixture's rows carry every column but currency (null: the workspace currency).
    cols = [c.name for c in contract.RAW_TABLES["raw.events"] if c.name != "currency"]
    cur.executemany(
        f"INSERT INTO raw.events ({', '.join(cols)}) VALUES ({', '.join(['?'] * len(cols))})",
        events,
    )
    cur.executemany(f"INSERT INTO raw.products VALUES ({', '.join(['?'] * 9)})", PRODUCTS)
    cur.executemany(f"INSERT INTO raw.users VALUES ({', '.join(['?'] * 10)})", USERS)


def _rows(ws: Workspace, sql: str) -> list[tuple[Any, ...]]:
    return ws.cursor().execute(sql).fetchall()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Workspace, RunResult]]:
    ws = Workspace.open(tmp_path_factory.mktemp("fixture_ws"))
    _load(ws, EVENTS)
    result = run_project(ws)
    yield ws, result
    ws.close()


# -- the run and its data tests ------------------------------------------------------------------


def test_run_publishes_with_only_the_null_price_warning(built: tuple[Workspace, RunResult]) -> None:
    _, result = built
    assert [m.name for m in result.models if m.status != "success"] == []
    not_passing = {t.test_id: (t.status, t.failing_rows) for t in result.tests if t.status != "pass"}
    # b5 is the one purchase without a price: a warning, not an error, so the run publishes
    assert not_passing == {"purchase_null_price": ("warn", 1)}
    assert result.status == "warn"
    assert result.published


def test_the_required_data_tests_exist(built: tuple[Workspace, RunResult]) -> None:
    ws, result = built
    declared = {(t.test_type, t.model, t.column) for t in result.tests}
    singular = {t.test_id for t in result.tests if t.test_type == "singular"}
    required = [
        # the grain of every mart: unique + not null (compound grains: the combination)
        ("unique", "fct_daily_engagement", "activity_date"),
        ("not_null", "fct_daily_engagement", "activity_date"),
        ("unique_combination_of_columns", "fct_funnel", None),
        ("not_null", "fct_funnel", "session_date"),
        ("unique_combination_of_columns", "fct_revenue", None),
        ("not_null", "fct_revenue", "category"),
        ("unique", "fct_orders", "order_id"),
        ("not_null", "fct_orders", "order_id"),
        ("unique_combination_of_columns", "fct_cohort_retention", None),
        ("not_null", "fct_cohort_retention", "week_number"),
        ("unique", "dim_users", "user_sk"),
        ("not_null", "dim_users", "user_sk"),
        ("unique", "dim_products", "product_id"),
        ("not_null", "dim_products", "product_id"),
        ("unique", "dim_date", "date_day"),
        ("not_null", "dim_date", "date_day"),
        ("accepted_values", "stg_events", "event_type"),
        # facts' keys to their dimensions
        ("relationships", "fct_orders", "user_id"),
        ("relationships", "int_order_lines", "product_id"),
        # business rules declared in YAML: funnel never grows, dau ≤ wau ≤ mau, week 0 = 1.0
        ("expression_is_true", "fct_funnel", None),
        ("expression_is_true", "fct_daily_engagement", None),
        ("expression_is_true", "fct_cohort_retention", None),
    ]
    for test in required:
        assert test in declared, test
    # every rate column of the marts is covered by the [0, 1] test
    rates_sql = (Path(__file__).resolve().parents[2] / "sql_models" / "tests" / "rates_between_0_and_1.sql").read_text()
    rate_columns = ws.cursor().execute(
        "select table_name, column_name from duckdb_columns() where schema_name = 'marts' "
        "and (column_name like '%\\_rate' escape '\\' or column_name = 'stickiness')"
    ).fetchall()
    assert rate_columns
    for table, column in rate_columns:
        assert f"'{column}'" in rates_sql and f"from {table} where {column}" in rates_sql, (table, column)
    assert singular >= {
        "revenue_agrees_across_marts",
        "dim_users_one_current_row",
        "dim_users_no_overlapping_versions",
        "no_future_events",
        "purchase_null_price",
        "funnel_steps_in_order",
        "rates_between_0_and_1",
    }
    severities = {t.test_id: t.severity for t in result.tests}
    assert severities["no_future_events"] == "warn"
    assert severities["purchase_null_price"] == "warn"
    assert severities["revenue_agrees_across_marts"] == "error"


# -- staging and intermediate --------------------------------------------------------------------


def test_sessions(built: tuple[Workspace, RunResult]) -> None:
    ws, _ = built
    rows = _rows(
        ws,
        "select session_key, session_date, duration_s, events, device, traffic_source, country, "
        "has_purchase, revenue from intermediate.int_sessions order by session_start",
    )
    assert rows == [
        # b1: 08:00 and 08:30 are exactly 30 min apart: one session of 1800 s
        ("b|auto-20240101T080000", D(2024, 1, 1), 1800.0, 2, "mobile", "paid", "US", False, 0),
        # b2 starts at 09:00:01 (30 min 1 s later) and ends 09:10:00: 599 s; b5 counts 0 (no price)
        ("b|auto-20240101T090001", D(2024, 1, 1), 599.0, 4, "mobile", "paid", "US", True, Decimal("12.00")),
        ("a|s1", D(2024, 1, 1), 240.0, 6, "desktop", "organic", "DE", True, Decimal("25.50")),
        ("d|x1", D(2024, 1, 2), 120.0, 3, "tablet", "organic", "FR", False, 0),
        ("e|x1", D(2024, 1, 2), 0.0, 1, "desktop", "organic", "GB", False, 0),
        # b3: 23:50 → 00:10 the next day, 20 min: one session, dated by its first event
        ("b|auto-20240102T235000", D(2024, 1, 2), 1200.0, 2, "mobile", "paid", "US", False, 0),
        # a|s2: the device of its first event (a7, mobile), not of a later one
        ("a|s2", D(2024, 1, 4), 300.0, 2, "mobile", "organic", "DE", False, 0),
        ("a|s3", D(2024, 1, 8), 0.0, 1, "desktop", "organic", "DE", False, 0),
        # c: 14:00 → 14:25, gaps ≤ 13 min
        ("c|auto-20240115T140000", D(2024, 1, 15), 1500.0, 7, "desktop", "email", "US", True, Decimal("26.00")),
    ]


def test_session_funnel_steps(built: tuple[Workspace, RunResult]) -> None:
    ws, _ = built
    rows = _rows(
        ws,
        "select session_key, product_view_at, add_to_cart_at, checkout_at, purchase_at "
        "from intermediate.int_sessions order by session_start",
    )
    t = T.fromisoformat
    assert rows == [
        ("b|auto-20240101T080000", t("2024-01-01 08:30:00"), None, None, None),
        # the cart shares the view's instant: reached; no checkout in b2, so no further step
        ("b|auto-20240101T090001", t("2024-01-01 09:00:01"), t("2024-01-01 09:00:01"), None, None),
        ("a|s1", t("2024-01-01 10:01"), t("2024-01-01 10:02"), t("2024-01-01 10:03"), t("2024-01-01 10:04")),
        # d1's cart (11:00) is before the view (11:01); d3's (11:02) is after it
        ("d|x1", t("2024-01-02 11:01"), t("2024-01-02 11:02"), None, None),
        ("e|x1", None, None, None, None),
        ("b|auto-20240102T235000", t("2024-01-03 00:10"), None, None, None),
        # a7's cart (09:00) is before the view (09:05) and none follows: view only
        ("a|s2", t("2024-01-04 09:05"), None, None, None),
        ("a|s3", t("2024-01-08 12:00"), None, None, None),
        ("c|auto-20240115T140000", t("2024-01-15 14:00"), t("2024-01-15 14:05"), t("2024-01-15 14:06"), t("2024-01-15 14:07")),
    ]


def test_stg_events_sessions_and_order_keys(built: tuple[Workspace, RunResult]) -> None:
    ws, _ = built
    rows = dict(
        _rows(ws, "select event_id, session_key from staging.stg_events where user_id in ('b', 'd', 'e')")
    )
    assert rows == {
        "b1": "b|auto-20240101T080000", "b2": "b|auto-20240101T080000",
        "b3": "b|auto-20240101T090001", "b4": "b|auto-20240101T090001",
        "b5": "b|auto-20240101T090001", "b6": "b|auto-20240101T090001",
        "b7": "b|auto-20240102T235000", "b8": "b|auto-20240102T235000",
        "d1": "d|x1", "d2": "d|x1", "d3": "d|x1", "e1": "e|x1",
    }
    keys = _rows(
        ws,
        "select event_id, order_key, line_revenue from staging.stg_events "
        "where event_type = 'purchase' order by event_id",
    )
    assert keys == [
        ("a5", "o1", Decimal("20.00")),
        ("a6", "o1", Decimal("5.50")),
        ("b5", "session:b|auto-20240101T090001", Decimal("0.00")),
        ("b6", "session:b|auto-20240101T090001", Decimal("12.00")),
        ("c4", "session:c|auto-20240115T140000", Decimal("7.00")),
        ("c5", "session:c|auto-20240115T140000", Decimal("7.00")),
        ("c6", "o2", Decimal("10.00")),
        ("c7", "o2", Decimal("2.00")),
    ]
    # int_order_lines finds the same sessions without sessionizing every event
    lines = _rows(
        ws,
        "select l.event_id from intermediate.int_order_lines as l join staging.stg_events as e "
        "using (event_id) where l.order_key = e.order_key and l.session_key = e.session_key",
    )
    assert len(lines) == 8


def test_user_journey(built: tuple[Workspace, RunResult]) -> None:
    ws, _ = built
    rows = _rows(
        ws,
        "select user_id, first_event_time, first_purchase_time, time_to_purchase_s, sessions, "
        "orders, revenue, cohort_week from intermediate.int_user_journey order by user_id",
    )
    assert rows == [
        # a: 10:00 → 10:04 = 240 s; three sessions, one order o1
        ("a", T(2024, 1, 1, 10), T(2024, 1, 1, 10, 4), 240.0, 3, 1, Decimal("25.50"), D(2024, 1, 1)),
        # b: 08:00 → 09:10 = 4200 s; one synthetic order
        ("b", T(2024, 1, 1, 8), T(2024, 1, 1, 9, 10), 4200.0, 3, 1, Decimal("12.00"), D(2024, 1, 1)),
        # c: 14:00 → 14:07 = 420 s; the session's order and o2
        ("c", T(2024, 1, 15, 14), T(2024, 1, 15, 14, 7), 420.0, 1, 2, Decimal("26.00"), D(2024, 1, 15)),
        ("d", T(2024, 1, 2, 11), None, None, 1, 0, 0, D(2024, 1, 1)),
        ("e", T(2024, 1, 2, 11, 30), None, None, 1, 0, 0, D(2024, 1, 1)),
    ]


# -- marts ---------------------------------------------------------------------------------------

# activity_date: (dau, wau, mau, new_users, sessions, events, product_views, add_to_carts,
#                 purchases, orders, revenue)
# Active users per day: 01-01 a,b · 01-02 b,d,e · 01-03 b · 01-04 a · 01-08 a · 01-15 c.
# WAU [d−6, d]: 01-02..01-08 see a,b,d,e (01-08: b,d,e on 01-02/03, a on 01-04/08) → 4;
#   01-09 [01-03, 01-09]: b (01-03), a → 2; 01-10..01-14: only a (01-04 or 01-08) → 1;
#   01-15 [01-09, 01-15]: c → 1.
# MAU [d−29, d]: everyone seen so far: 2 on 01-01, 4 until 01-14, 5 on 01-15.
# Sessions count on their start day (b3 started 01-02 although b8 is on 01-03).
# Orders and revenue count on the order's day: 01-01 o1 (25.50) + b's (0 + 12.00);
#   01-15 c's (14.00) + o2 (12.00).
DAILY = {
    D(2024, 1, 1): (2, 2, 2, 2, 3, 12, 3, 2, 4, 2, Decimal("37.50")),
    D(2024, 1, 2): (3, 4, 4, 2, 3, 5, 1, 2, 0, 0, Decimal("0")),
    D(2024, 1, 3): (1, 4, 4, 0, 0, 1, 1, 0, 0, 0, Decimal("0")),
    D(2024, 1, 4): (1, 4, 4, 0, 1, 2, 1, 1, 0, 0, Decimal("0")),
    D(2024, 1, 5): (0, 4, 4, 0, 0, 0, 0, 0, 0, 0, Decimal("0")),
    D(2024, 1, 6): (0, 4, 4, 0, 0, 0, 0, 0, 0, 0, Decimal("0")),
    D(2024, 1, 7): (0, 4, 4, 0, 0, 0, 0, 0, 0, 0, Decimal("0")),
    D(2024, 1, 8): (1, 4, 4, 0, 1, 1, 1, 0, 0, 0, Decimal("0")),
    D(2024, 1, 9): (0, 2, 4, 0, 0, 0, 0, 0, 0, 0, Decimal("0")),
    D(2024, 1, 10): (0, 1, 4, 0, 0, 0, 0, 0, 0, 0, Decimal("0")),
    D(2024, 1, 11): (0, 1, 4, 0, 0, 0, 0, 0, 0, 0, Decimal("0")),
    D(2024, 1, 12): (0, 1, 4, 0, 0, 0, 0, 0, 0, 0, Decimal("0")),
    D(2024, 1, 13): (0, 1, 4, 0, 0, 0, 0, 0, 0, 0, Decimal("0")),
    D(2024, 1, 14): (0, 1, 4, 0, 0, 0, 0, 0, 0, 0, Decimal("0")),
    D(2024, 1, 15): (1, 1, 5, 1, 1, 7, 1, 1, 4, 2, Decimal("26.00")),
}


def test_daily_engagement_counts(built: tuple[Workspace, RunResult]) -> None:
    ws, _ = built
    rows = _rows(
        ws,
        "select activity_date, dau, wau, mau, new_users, sessions, events, product_views, "
        "add_to_carts, purchases, orders, revenue from marts.fct_daily_engagement order by 1",
    )
    # every day from 01-01 to 01-15, the nine days without events included
    assert [r[0] for r in rows] == list(DAILY)
    assert {r[0]: r[1:] for r in rows} == DAILY


def test_daily_engagement_rates(built: tuple[Workspace, RunResult]) -> None:
    ws, _ = built
    rows = _rows(
        ws,
        "select activity_date, stickiness, conversion_rate, avg_session_duration_s "
        "from marts.fct_daily_engagement order by 1",
    )
    got = {r[0]: r[1:] for r in rows}
    expected = {
        # stickiness = dau / mau; conversion = sessions with a purchase / sessions starting that
        # day (null without sessions); duration = mean over sessions starting that day
        D(2024, 1, 1): (2 / 2, 2 / 3, (240 + 1800 + 599) / 3),  # a|s1 and b2 bought
        D(2024, 1, 2): (3 / 4, 0.0, (120 + 0 + 1200) / 3),  # d|x1, e|x1, b3
        D(2024, 1, 3): (1 / 4, None, None),  # b8's event, but no session starts here
        D(2024, 1, 4): (1 / 4, 0.0, 300.0),
        D(2024, 1, 5): (0.0, None, None),
        D(2024, 1, 8): (1 / 4, 0.0, 0.0),
        D(2024, 1, 9): (0.0, None, None),
        D(2024, 1, 15): (1 / 5, 1.0, 1500.0),
    }
    for day, values in expected.items():
        assert got[day] == pytest.approx(values), day


def test_funnel(built: tuple[Workspace, RunResult]) -> None:
    ws, _ = built
    rows = _rows(
        ws,
        "select session_date, device, traffic_source, country, sessions, product_view_sessions, "
        "add_to_cart_sessions, checkout_sessions, purchase_sessions, sessions_with_purchase "
        "from marts.fct_funnel order by 1, 2, 3, 4",
    )
    assert rows == [
        (D(2024, 1, 1), "desktop", "organic", "DE", 1, 1, 1, 1, 1, 1),  # a|s1, in order
        # b1 (view only) + b2 (view, cart at the same instant; bought but never checked out)
        (D(2024, 1, 1), "mobile", "paid", "US", 2, 2, 1, 0, 0, 1),
        (D(2024, 1, 2), "desktop", "organic", "GB", 1, 0, 0, 0, 0, 0),  # e|x1: a page_view
        (D(2024, 1, 2), "mobile", "paid", "US", 1, 1, 0, 0, 0, 0),  # b3
        (D(2024, 1, 2), "tablet", "organic", "FR", 1, 1, 1, 0, 0, 0),  # d|x1: the later cart counts
        (D(2024, 1, 4), "mobile", "organic", "DE", 1, 1, 0, 0, 0, 0),  # a|s2: the earlier cart does not
        (D(2024, 1, 8), "desktop", "organic", "DE", 1, 1, 0, 0, 0, 0),
        (D(2024, 1, 15), "desktop", "email", "US", 1, 1, 1, 1, 1, 1),
    ]


def test_orders(built: tuple[Workspace, RunResult]) -> None:
    ws, _ = built
    rows = _rows(
        ws,
        "select order_id, has_source_order_id, user_id, session_key, order_time, order_date, items, "
        "units, revenue, null_price_items from marts.fct_orders order by order_time, order_id",
    )
    assert rows == [
        # b's two purchases have no order_id: one order for the session; b5's null price counts 0
        ("session:b|auto-20240101T090001", False, "b", "b|auto-20240101T090001",
         T(2024, 1, 1, 9, 10), D(2024, 1, 1), 2, 4, Decimal("12.00"), 1),
        # two lines at the same instant: 2 × 10.00 + 1 × 5.50
        ("o1", True, "a", "a|s1", T(2024, 1, 1, 10, 4), D(2024, 1, 1), 2, 3, Decimal("25.50"), 0),
        # c4 and c5, 13 minutes apart, are one order (same session, no order_id)
        ("session:c|auto-20240115T140000", False, "c", "c|auto-20240115T140000",
         T(2024, 1, 15, 14, 7), D(2024, 1, 15), 2, 2, Decimal("14.00"), 0),
        ("o2", True, "c", "c|auto-20240115T140000", T(2024, 1, 15, 14, 25), D(2024, 1, 15), 2, 2,
         Decimal("12.00"), 0),
    ]


def test_revenue_by_category(built: tuple[Workspace, RunResult]) -> None:
    ws, _ = built
    rows = _rows(
        ws,
        "select order_date, category, orders, items, units, revenue, buyers "
        "from marts.fct_revenue order by 1, 2",
    )
    assert rows == [
        # a6 (5.50) + b6 (3 × 4.00), in orders o1 and b's
        (D(2024, 1, 1), "food", 2, 2, 4, Decimal("17.50"), 2),
        # a5 (2 × 10.00) + b5 (no price: 0)
        (D(2024, 1, 1), "kitchen", 2, 2, 3, Decimal("20.00"), 2),
        (D(2024, 1, 15), "kitchen", 1, 1, 1, Decimal("10.00"), 1),  # c6 (o2)
        # c4 + c5: p3's category is its latest non-null one on events ('toys', not b8's 'games')
        (D(2024, 1, 15), "toys", 1, 2, 2, Decimal("14.00"), 1),
        (D(2024, 1, 15), "unknown", 1, 1, 1, Decimal("2.00"), 1),  # c7: p9 has no category
    ]
    # 37.50 + 26.00, the same in all three marts
    for mart in ("fct_revenue", "fct_orders", "fct_daily_engagement"):
        assert _rows(ws, f"select sum(revenue) from marts.{mart}") == [(Decimal("63.50"),)], mart
    # no refunds and no other currency: every row in the workspace currency, net = revenue
    assert _rows(ws, "select distinct currency from marts.fct_revenue") == [("USD",)]
    assert _rows(ws, "select sum(refunds), sum(net_revenue) from marts.fct_revenue") == [
        (Decimal("0.00"), Decimal("63.50"))
    ]


@contextlib.contextmanager
def _published_with_eur(tmp_path: Path, events: list[tuple[Any, ...]],
                        eur: tuple[str, ...]) -> Iterator[tuple[Workspace, RunResult]]:
    """``events`` loaded, the events ``eur`` in EUR, run and published."""
    with Workspace.open(tmp_path / "ws") as ws:
        _load(ws, events)
        ws.cursor().execute("update raw.events set currency = 'EUR' where event_id in "
                            f"({', '.join('?' for _ in eur)})", list(eur))
        result = run_project(ws)
        assert result.published, result.message
        yield ws, result


def test_refunds_and_a_second_currency(tmp_path: Path) -> None:
    """A refund of one o1 mug (no currency: the workspace's, USD) on 01-03, and user g's order in
    EUR with a partial refund: EUR money never mixes with USD, and the daily mart, in the
    workspace currency, leaves it out."""
    events = [
        *EVENTS,
        _event("r1", "2024-01-03 12:00:00", "refund", "a", "s9", "p1", "o1", "10.00", 1),
        _event("g1", "2024-01-02 15:00:00", "purchase", "g", "g1", "p2", "o3", "8.00", 2),
        _event("g2", "2024-01-02 15:30:00", "refund", "g", "g1", "p2", "o3", "8.00", 1),
    ]
    with _published_with_eur(tmp_path, events, ("g1", "g2")) as (ws, result):
        assert {t.test_id for t in result.tests if t.status != "pass"} == {"purchase_null_price"}
        rows = _rows(
            ws,
            "select order_date, category, currency, orders, units, revenue, refund_items, refunds, "
            "net_revenue from marts.fct_revenue where refunds > 0 or currency <> 'USD' order by 1, 2",
        )
        assert rows == [
            # g1: 2 × 8.00 in EUR; g2 refunds one: 8.00 EUR, on the same day (food: p2's category)
            (D(2024, 1, 2), "food", "EUR", 1, 2, Decimal("16.00"), 1, Decimal("8.00"), Decimal("8.00")),
            # r1: a refund alone on its day, in kitchen (p1), USD
            (D(2024, 1, 3), "kitchen", "USD", 0, 0, Decimal("0.00"), 1, Decimal("10.00"), Decimal("-10.00")),
        ]
        assert _rows(ws, "select order_id, currency, revenue from marts.fct_orders where user_id = 'g'") == [
            ("o3", "EUR", Decimal("16.00"))
        ]
        daily = {
            r[0]: r[1:]
            for r in _rows(
                ws,
                "select activity_date, orders, revenue, refunds, net_revenue "
                "from marts.fct_daily_engagement where activity_date between '2024-01-01' and '2024-01-03'",
            )
        }
        assert daily == {
            D(2024, 1, 1): (2, Decimal("37.50"), Decimal("0.00"), Decimal("37.50")),
            # g's EUR order counts as an order, its money is not in USD revenue or refunds
            D(2024, 1, 2): (1, Decimal("0.00"), Decimal("0.00"), Decimal("0.00")),
            D(2024, 1, 3): (0, Decimal("0.00"), Decimal("10.00"), Decimal("-10.00")),
        }
        # USD: 63.50 revenue, 10.00 refunds in every mart that carries them; p2's revenue and
        # g's session revenue leave the EUR line out
        assert _rows(ws, "select sum(revenue), sum(refunds), sum(net_revenue) from marts.fct_daily_engagement") == [
            (Decimal("63.50"), Decimal("10.00"), Decimal("53.50"))
        ]
        assert _rows(ws, "select revenue from marts.dim_products where product_id = 'p2'") == [(Decimal("17.50"),)]
        assert _rows(ws, "select revenue from intermediate.int_sessions where user_id = 'g'") == [(Decimal("0.00"),)]
        assert _rows(ws, "select currency, sum(refunds) from marts.agg_refunds group by 1 order by 1") == [
            ("EUR", Decimal("8.00")), ("USD", Decimal("10.00"))
        ]
        assert _rows(ws, "select currency, sum(revenue) from marts.agg_sales group by 1 order by 1") == [
            ("EUR", Decimal("16.00")), ("USD", Decimal("63.50"))
        ]


def test_an_order_in_two_currencies_warns_and_publishes(tmp_path: Path) -> None:
    """Order h1 has a USD line (5.00) and a EUR line (8.00), EUR first. Money is never summed
    across currencies: fct_orders has the order's EUR part as 'oh' (8.00, its first line's day
    and user) and its USD part as 'oh (USD)' (5.00), with a warning; the marts that follow
    fct_orders and int_sessions (each line in its own currency) agree, so they publish."""
    events = [
        *EVENTS,
        _event("h1", "2024-01-02 16:00:00", "purchase", "h", "h", "p2", "oh", "8.00", 1),
        _event("h2", "2024-01-02 16:01:00", "purchase", "h", "h", "p1", "oh", "5.00", 1),
    ]
    with _published_with_eur(tmp_path, events, ("h1",)) as (ws, result):
        status = {t.test_id: t.status for t in result.tests}
        assert status["orders_in_one_currency"] == "warn"
        assert status["revenue_agrees_across_marts"] == "pass"
        assert _rows(ws, "select order_id, order_key, currency, revenue, items, currencies "
                         "from marts.fct_orders where order_key = 'oh' order by 1") == [
            ("oh", "oh", "EUR", Decimal("8.00"), 1, 2),
            ("oh (USD)", "oh", "USD", Decimal("5.00"), 1, 2),
        ]
        assert _rows(ws, "select currency, sum(revenue), sum(orders) from marts.fct_revenue "
                         "where order_date = '2024-01-02' group by 1 order by 1") == [
            ("EUR", Decimal("8.00"), 1), ("USD", Decimal("5.00"), 1)
        ]
        assert _rows(ws, "select order_key, currency, revenue from marts.agg_sales "
                         "where order_key like 'oh%' order by 1") == [
            ("oh", "EUR", Decimal("8.00")), ("oh (USD)", "USD", Decimal("5.00"))
        ]
        # Still one order (METRICS: orders = distinct order ids): the day's orders and the
        # dashboards' order numbers count it once.
        day_orders = _rows(ws, "select orders from marts.fct_daily_engagement "
                               "where activity_date = '2024-01-02'")[0][0]
        others = _rows(ws, "select count(distinct order_key) from marts.fct_orders "
                           "where order_date = '2024-01-02' and order_key <> 'oh'")[0][0]
        assert day_orders == others + 1
        assert _rows(ws, "select count(distinct order_no) from marts.agg_sales "
                         "where order_key like 'oh%'") == [(1,)]
        assert _rows(ws, "select revenue from intermediate.int_sessions where user_id = 'h'") == [
            (Decimal("5.00"),)
        ]
        # Revenue is still checked: a cent more in the sessions' USD revenue fails.
        cur = ws.cursor()
        cur.execute("update intermediate.int_sessions set revenue = revenue + 0.01 where user_id = 'h'")
        from shoplytics_desktop.core.models.runner import run_data_tests

        again = run_data_tests(ws)
        assert {t.test_id for t in again.tests if t.blocking} == {"revenue_agrees_across_marts"}


def test_workspace_currency_setting_reaches_the_models(tmp_path: Path) -> None:
    """With EUR as the workspace currency, events without one are in EUR."""
    ws = Workspace.open(tmp_path / "ws")
    ws.settings.currency = "EUR"
    _load(ws, EVENTS)
    assert run_project(ws).published
    with ws:
        assert _rows(ws, "select currency, sum(revenue) from marts.fct_revenue group by 1") == [
            ("EUR", Decimal("63.50"))
        ]
        assert _rows(ws, "select sum(revenue) from marts.fct_daily_engagement") == [(Decimal("63.50"),)]


def test_cohort_retention(built: tuple[Workspace, RunResult]) -> None:
    ws, _ = built
    rows = _rows(
        ws,
        "select cohort_week, week_number, activity_week, cohort_size, active_users, retention_rate "
        "from marts.fct_cohort_retention order by 1, 2",
    )
    assert rows == [
        # cohort of Mon 01-01: a, b, d, e (d and e arrive on Tuesday, same week)
        (D(2024, 1, 1), 0, D(2024, 1, 1), 4, 4, 1.0),
        (D(2024, 1, 1), 1, D(2024, 1, 8), 4, 1, 0.25),  # a comes back on 01-08
        (D(2024, 1, 1), 2, D(2024, 1, 15), 4, 0, 0.0),  # nobody: still a row, up to the last week
        (D(2024, 1, 15), 0, D(2024, 1, 15), 1, 1, 1.0),  # c; no one arrived in the week of 01-08
    ]


def test_dim_users_scd2(built: tuple[Workspace, RunResult]) -> None:
    ws, _ = built
    rows = _rows(
        ws,
        "select user_sk, user_id, version, country, segment, device, valid_from, valid_to, "
        "is_current, version_source from marts.dim_users order by user_id, version",
    )
    assert rows == [
        # a's 01-05 snapshot changed the segment: version 1 ends exactly where version 2 begins;
        # the 01-07 snapshot repeats version 2 and opens nothing
        ("a#1", "a", 1, "DE", "new", "desktop", T(2023, 12, 15), T(2024, 1, 5, 12), False, "snapshot"),
        ("a#2", "a", 2, "DE", "vip", "desktop", T(2024, 1, 5, 12), None, True, "snapshot"),
        # no snapshot: one version from the events, valid from the first event
        ("b#1", "b", 1, "US", None, "mobile", T(2024, 1, 1, 8), None, True, "events"),
        # the snapshot loaded twice is one version
        ("c#1", "c", 1, "US", "new", "desktop", T(2024, 1, 15), None, True, "snapshot"),
        ("d#1", "d", 1, "FR", None, "tablet", T(2024, 1, 2, 11), None, True, "events"),
        ("e#1", "e", 1, "GB", None, "desktop", T(2024, 1, 2, 11, 30), None, True, "events"),
        ("f#1", "f", 1, "GB", "new", "mobile", T(2024, 1, 3), None, True, "snapshot"),
    ]


def test_dim_products(built: tuple[Workspace, RunResult]) -> None:
    ws, _ = built
    rows = _rows(
        ws,
        "select product_id, name, category, brand, price, in_catalog, views, add_to_carts, "
        "units_sold, revenue, view_sessions, view_to_cart_sessions, cart_sessions, "
        "cart_to_purchase_sessions, view_to_cart_rate, cart_to_purchase_rate "
        "from marts.dim_products order by product_id",
    )
    assert rows == [
        # views a2, b2, a9; carts a3, b3; units a5 2 + b5 1 + c6 1; revenue 20 + 0 + 10.
        # Sessions that viewed it: a|s1, b's first, a|s3; of those only a|s1 carted it after
        # (10:02 ≥ 10:01). Sessions that carted it: a|s1 and b's second; both bought it after.
        ("p1", "Mug", "kitchen", "acme", Decimal("10.00"), True, 3, 2, 4, Decimal("30.00"),
         3, 1, 2, 2, 1 / 3, 1.0),
        # no brand in the catalog: the latest non-null one on events; views b4, a8, d2;
        # carts a7, d1, d3; units a6 1 + b6 3. Viewed in a|s2 (cart only before the view), b's
        # second (no cart), d|x1 (cart d3 after the view d2): 1 of 3. Carted in a|s2 and d|x1,
        # bought in neither (a6 and b6 are other sessions): 0 of 2.
        ("p2", "Tea", "food", "leaf", Decimal("5.50"), True, 3, 3, 4, Decimal("17.50"),
         3, 1, 2, 0, 1 / 3, 0.0),
        # only on events: latest non-null category 'toys' (c4), price 7.00 (c5); viewed in b's
        # third session (no cart) and c's (cart c2 then purchases c4, c5)
        ("p3", None, "toys", None, Decimal("7.00"), False, 2, 1, 2, Decimal("14.00"),
         2, 1, 1, 1, 0.5, 1.0),
        # in the catalog, never seen: zeros and null rates
        ("p4", "Spoon", "kitchen", "acme", Decimal("3.00"), True, 0, 0, 0, Decimal("0"),
         0, 0, 0, 0, None, None),
        # bought once, never viewed nor carted: both rates null
        ("p9", None, None, None, Decimal("2.00"), False, 0, 0, 1, Decimal("2.00"),
         0, 0, 0, 0, None, None),
    ]


def test_ties_of_the_latest_attributes_break_the_same_way_every_build(tmp_path: Path) -> None:
    """Events at one instant with different attributes: the highest event_id's win, whatever
    order the rows are stored in. Two rows of one catalog (or users) file for one product (or
    user and updated_at): the file's later line wins."""
    at = "2024-01-20 10:00:00"
    ties = [
        # q1's rows stored highest id first, q2's highest id last: an order-dependent pick
        # gets one of the two wrong
        _event("t3", at, "product_view", "g", "g1", "q1", price="9.00", category="c3", brand="b3"),
        _event("t1", at, "product_view", "g", "g1", "q1", price="7.00", category="c1", brand="b1"),
        _event("t2", at, "product_view", "g", "g1", "q1", price="8.00", category="c2", brand="b2"),
        _event("u1", at, "product_view", "g", "g1", "q2", price="7.00", category="c1", brand="b1"),
        _event("u2", at, "product_view", "g", "g1", "q2", price="8.00", category="c2", brand="b2"),
        _event("u3", at, "product_view", "g", "g1", "q2", price="9.00", category="c3", brand="b3"),
    ]
    with _run_variant(tmp_path, EVENTS + ties) as ws:
        cur = ws.cursor()
        cur.executemany(f"INSERT INTO raw.products VALUES ({', '.join(['?'] * 9)})", [
            ("q3", "Second", "late", None, Decimal("2.00"), "cat", "c.csv", 3, LOADED),
            ("q3", "First", "early", None, Decimal("1.00"), "cat", "c.csv", 2, LOADED),
            ("q4", "First", "early", None, Decimal("1.00"), "cat", "c.csv", 4, LOADED),
            ("q4", "Second", "late", None, Decimal("2.00"), "cat", "c.csv", 5, LOADED),
        ])
        cur.executemany(f"INSERT INTO raw.users VALUES ({', '.join(['?'] * 10)})", [
            ("g", D(2024, 1, 20), "GB", "second", "mobile", T(2024, 1, 20), "pu", "p.csv", 5,
             LOADED),
            ("g", D(2024, 1, 20), "FR", "first", "mobile", T(2024, 1, 20), "pu", "p.csv", 4,
             LOADED),
            ("h", D(2024, 1, 20), "FR", "first", "mobile", T(2024, 1, 20), "pu", "p.csv", 6,
             LOADED),
            ("h", D(2024, 1, 20), "GB", "second", "mobile", T(2024, 1, 20), "pu", "p.csv", 7,
             LOADED),
        ])
        assert run_project(ws, full_refresh=True).published
        assert _rows(ws, "select product_id, name, category, brand, price from marts.dim_products "
                         "where product_id like 'q%' order by 1") == [
            ("q1", None, "c3", "b3", Decimal("9.00")),
            ("q2", None, "c3", "b3", Decimal("9.00")),
            ("q3", "Second", "late", None, Decimal("2.00")),
            ("q4", "Second", "late", None, Decimal("2.00")),
        ]
        assert _rows(ws, "select user_id, country, segment from marts.dim_users "
                         "where user_id in ('g', 'h') order by 1") == [
            ("g", "GB", "second"), ("h", "GB", "second")]


def test_product_rates_per_day_add_up(built: tuple[Workspace, RunResult]) -> None:
    """agg_product_day: a session × product pair counts on the day of its first view (cart)."""
    ws, _ = built
    rows = _rows(
        ws,
        "select activity_date, product_id, views, add_to_carts, view_sessions, "
        "view_to_cart_sessions, cart_sessions, cart_to_purchase_sessions "
        "from marts.agg_product_day order by 1, 2",
    )
    assert rows == [
        (D(2024, 1, 1), "p1", 2, 2, 2, 1, 2, 2),  # a|s1 and b's first view; carts a|s1, b's second
        (D(2024, 1, 1), "p2", 1, 0, 1, 0, 0, 0),  # b4
        (D(2024, 1, 2), "p2", 1, 2, 1, 1, 1, 0),  # d|x1
        (D(2024, 1, 3), "p3", 1, 0, 1, 0, 0, 0),  # b8, in a session dated 01-02
        (D(2024, 1, 4), "p2", 1, 1, 1, 0, 1, 0),  # a|s2
        (D(2024, 1, 8), "p1", 1, 0, 1, 0, 0, 0),  # a9
        (D(2024, 1, 15), "p1", 0, 0, 0, 0, 0, 0),  # c6: a purchase only
        (D(2024, 1, 15), "p3", 1, 1, 1, 1, 1, 1),
        (D(2024, 1, 15), "p9", 0, 0, 0, 0, 0, 0),
    ]


def test_product_rates_are_null_without_any_cart(tmp_path: Path) -> None:
    """A source without carts: view_to_cart_rate is null (not 0), and so is cart_to_purchase."""
    events = [e for e in EVENTS if e[2] != "add_to_cart"]
    with _run_variant(tmp_path, events) as ws:
        rows = _rows(
            ws,
            "select product_id, view_sessions, view_to_cart_rate, cart_to_purchase_rate "
            "from marts.dim_products where views > 0 order by 1",
        )
        assert rows == [("p1", 3, None, None), ("p2", 3, None, None), ("p3", 2, None, None)]


def test_dim_date(built: tuple[Workspace, RunResult]) -> None:
    ws, _ = built
    rows = _rows(
        ws,
        "select date_day, day_of_week, day_name, is_weekend, week_start, month_start, quarter, year "
        "from marts.dim_date order by 1",
    )
    assert len(rows) == 15  # 01-01 … 01-15
    assert rows[0] == (D(2024, 1, 1), 1, "Monday", False, D(2024, 1, 1), D(2024, 1, 1), 1, 2024)
    assert rows[6] == (D(2024, 1, 7), 7, "Sunday", True, D(2024, 1, 1), D(2024, 1, 1), 1, 2024)
    assert rows[14] == (D(2024, 1, 15), 1, "Monday", False, D(2024, 1, 15), D(2024, 1, 1), 1, 2024)


# -- variants ------------------------------------------------------------------------------------


def _run_variant(tmp_path: Path, events: list[tuple[Any, ...]], timeout: int = 30) -> Workspace:
    ws = Workspace.open(tmp_path / "ws")
    ws.settings.session_timeout_minutes = timeout
    _load(ws, events)
    result = run_project(ws)
    assert result.published, result.message
    return ws


def test_funnel_without_any_checkout_event(tmp_path: Path) -> None:
    """No begin_checkout anywhere: the step is skipped, view → cart → purchase still counts."""
    events = [e for e in EVENTS if e[2] != "begin_checkout"]  # drops a4 and c3
    with _run_variant(tmp_path, events) as ws:
        rows = _rows(
            ws,
            "select session_date, device, traffic_source, country, sessions, product_view_sessions, "
            "add_to_cart_sessions, checkout_sessions, purchase_sessions "
            "from marts.fct_funnel order by 1, 2, 3, 4",
        )
        assert rows == [
            (D(2024, 1, 1), "desktop", "organic", "DE", 1, 1, 1, 1, 1),
            # b2 now reaches checkout at its cart time (09:00:01) and purchase at 09:10
            (D(2024, 1, 1), "mobile", "paid", "US", 2, 2, 1, 1, 1),
            (D(2024, 1, 2), "desktop", "organic", "GB", 1, 0, 0, 0, 0),
            (D(2024, 1, 2), "mobile", "paid", "US", 1, 1, 0, 0, 0),
            # d|x1: checkout skipped (reached at the cart), but no purchase
            (D(2024, 1, 2), "tablet", "organic", "FR", 1, 1, 1, 1, 0),
            (D(2024, 1, 4), "mobile", "organic", "DE", 1, 1, 0, 0, 0),
            (D(2024, 1, 8), "desktop", "organic", "DE", 1, 1, 0, 0, 0),
            (D(2024, 1, 15), "desktop", "email", "US", 1, 1, 1, 1, 1),
        ]


def test_funnel_of_an_order_only_source(tmp_path: Path) -> None:
    """Only page views and purchases: product_view, add_to_cart and begin_checkout occur nowhere,
    so each is skipped (step 1 reached at the session's start) and the funnel is sessions →
    purchase, not zeros."""
    events = [e for e in EVENTS if e[2] in ("page_view", "purchase")]
    with _run_variant(tmp_path, events) as ws:
        rows = _rows(
            ws,
            "select session_date, device, traffic_source, country, sessions, product_view_sessions, "
            "add_to_cart_sessions, checkout_sessions, purchase_sessions "
            "from marts.fct_funnel order by 1, 2, 3, 4",
        )
        assert rows == [
            (D(2024, 1, 1), "desktop", "organic", "DE", 1, 1, 1, 1, 1),  # a|s1: 10:00 → 10:04
            # b: 08:00 page view alone; 09:10 purchase (70 minutes later: a session of its own)
            (D(2024, 1, 1), "mobile", "paid", "US", 2, 2, 2, 2, 1),
            (D(2024, 1, 2), "desktop", "organic", "GB", 1, 1, 1, 1, 0),  # e: a page view
            (D(2024, 1, 2), "mobile", "paid", "US", 1, 1, 1, 1, 0),  # b7: a page view
            (D(2024, 1, 15), "desktop", "email", "US", 1, 1, 1, 1, 1),  # c: purchases only
        ]
        starts = _rows(
            ws,
            "select session_key, product_view_at = session_start, purchase_at "
            "from intermediate.int_sessions where user_id = 'a'",
        )
        assert starts == [("a|s1", True, T(2024, 1, 1, 10, 4))]


def test_session_timeout_setting_is_used(tmp_path: Path) -> None:
    """With a 60-minute timeout b's first three sessions' gaps (30 min, 30 min 1 s) never split."""
    with _run_variant(tmp_path, EVENTS, timeout=60) as ws:
        rows = _rows(
            ws,
            "select session_key, events, duration_s from intermediate.int_sessions "
            "where user_id = 'b' order by session_start",
        )
        assert rows == [
            ("b|auto-20240101T080000", 6, 4200.0),  # 08:00 → 09:10
            ("b|auto-20240102T235000", 2, 1200.0),
        ]


def test_business_rule_tests_catch_broken_marts(tmp_path: Path) -> None:
    """The singular and expression tests are not vacuous: break each rule and it fails."""
    from shoplytics_desktop.core.models.runner import run_data_tests

    with _run_variant(tmp_path, EVENTS) as ws:
        cur = ws.cursor()
        # one cent more on 01-01, a second current version for b, an overlapping version for a,
        # a funnel row whose carts exceed its views, a week 0 below 1.0, wau above mau
        cur.execute(
            "update marts.fct_daily_engagement set revenue = revenue + 0.01, wau = 9 "
            "where activity_date = '2024-01-01'"
        )
        cur.execute(
            "insert into marts.dim_users select 'b#2', 'b', 2, null, 'US', null, 'mobile', "
            "timestamp '2024-01-01 09:00', null, true, 'events'"
        )
        cur.execute("update marts.dim_users set valid_to = timestamp '2024-01-06' where user_sk = 'a#1'")
        cur.execute(
            "update marts.fct_funnel set add_to_cart_sessions = 5 where session_date = '2024-01-08'"
        )
        cur.execute(
            "update marts.fct_cohort_retention set retention_rate = 0.5 "
            "where cohort_week = '2024-01-15' and week_number = 0"
        )
        cur.execute("update marts.dim_products set cart_to_purchase_rate = 4 / 3 where product_id = 'p2'")
        result = run_data_tests(ws)
        failed = {(t.test_type, t.model) for t in result.tests if t.blocking}
        failed_ids = {t.test_id for t in result.tests if t.blocking}
        rates = next(t for t in result.tests if t.test_id == "rates_between_0_and_1")
        assert rates.failing_rows == 1
        assert {
            "rates_between_0_and_1",
            "revenue_agrees_across_marts",
            "revenue_agrees_per_day",
            "dim_users_one_current_row",
            "dim_users_no_overlapping_versions",
        } <= failed_ids
        assert ("expression_is_true", "fct_daily_engagement") in failed  # wau 9 > mau 2
        assert ("expression_is_true", "fct_funnel") in failed
        assert ("expression_is_true", "fct_cohort_retention") in failed
        assert result.status == "error"


def test_source_sessions_and_gap_sessions_of_one_user(tmp_path: Path) -> None:
    """A source session is never split by the gap rule; the user's events without a source id
    are sessionized among themselves, even when they fall inside the source session's span."""
    events = [
        _event("m1", "2024-03-04 10:00:00", "page_view", "m", "S"),
        _event("m2", "2024-03-04 10:10:00", "product_view", "m", None, "p1"),
        _event("m3", "2024-03-04 10:20:00", "add_to_cart", "m", None, "p1"),
        _event("m4", "2024-03-04 10:50:00", "page_view", "m", "S"),  # 50 min after m1: still S
        _event("m5", "2024-03-04 11:00:01", "page_view", "m"),  # 40 min 1 s after m3: new session
    ]
    with _run_variant(tmp_path, events) as ws:
        rows = _rows(
            ws,
            "select session_key, is_derived_session, events, duration_s, reached_add_to_cart "
            "from intermediate.int_sessions order by session_start",
        )
        assert rows == [
            ("m|S", False, 2, 3000.0, False),
            ("m|auto-20240304T101000", True, 2, 600.0, True),
            ("m|auto-20240304T110001", True, 1, 0.0, False),
        ]
        # the day: one user, three sessions starting that day, 5 events
        assert _rows(
            ws, "select dau, wau, mau, sessions, events, new_users from marts.fct_daily_engagement"
        ) == [(1, 1, 1, 3, 5, 1)]
