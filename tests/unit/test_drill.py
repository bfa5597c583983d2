"""Drill-through: the rows behind a dashboard figure are the ones the figure counts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shoplytics_desktop.core.drill import DrillRequest, drill_query
from shoplytics_desktop.core.query import query_columns
from shoplytics_desktop.core.workspace import Workspace
from tests.unit.test_analytics import build_marts, d


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    with Workspace.open(tmp_path / "ws") as w:
        build_marts(w)
        cur = w.cursor()
        cur.execute(
            "CREATE TABLE marts.fct_orders AS SELECT order_key AS order_id, any_value(user_id) AS user_id, "
            "min(order_time) AS order_time, min(order_date) AS order_date, sum(revenue) AS revenue "
            "FROM marts.agg_sales GROUP BY order_key"
        )
        cur.execute(
            "CREATE TABLE staging.stg_events AS SELECT * FROM (VALUES "
            "('e1', TIMESTAMP '2026-03-05 10:00', DATE '2026-03-05', 'mobile', 'US', 'paid', 'Bags', 'p2'), "
            "('e2', TIMESTAMP '2026-03-06 10:00', DATE '2026-03-06', 'desktop', 'US', 'email', 'Bags', 'p2'), "
            "('e3', TIMESTAMP '2026-03-09 10:00', DATE '2026-03-09', 'mobile', 'US', 'paid', 'Hats', 'p3')"
            ") t(event_id, event_time, event_date, device, country, traffic_source, category, product_id)"
        )
        yield w


def _rows(ws: Workspace, sql: str) -> list[tuple]:
    return ws.cursor().execute(sql).fetchall()


def test_orders_behind_revenue_follow_the_segments_category_and_days(ws: Workspace) -> None:
    q = drill_query(DrillRequest("revenue", d(5), d(8), device="mobile", label="Revenue"))
    assert q.kind == "orders"
    assert q.title == "Orders behind Revenue · 2026-03-05 … 2026-03-08 · Device: mobile"
    # mobile orders in the range: o3 (25) and o5 (60), the 85 the KPI shows
    rows = _rows(ws, q.sql)
    assert [(r[0], float(r[4])) for r in rows] == [("o3", 25.0), ("o5", 60.0)]
    bags = drill_query(DrillRequest("orders", d(5), d(8), category="Bags"))
    assert [r[0] for r in _rows(ws, bags.sql)] == ["o3", "o4"]  # orders with a Bags line
    one_day = drill_query(DrillRequest("revenue", d(8), d(8)))
    assert [r[0] for r in _rows(ws, one_day.sql)] == ["o5"]
    assert one_day.title.endswith("· 2026-03-08")
    product = drill_query(DrillRequest("units", d(1), d(9), product_id="p1"))
    assert [r[0] for r in _rows(ws, product.sql)] == ["o1", "o3", "o6"]


def test_events_and_values_are_quoted(ws: Workspace) -> None:
    q = drill_query(DrillRequest("events", d(5), d(9), category="Bags"))
    assert q.kind == "events"
    assert [r[0] for r in _rows(ws, q.sql)] == ["e1", "e2"]
    odd = drill_query(DrillRequest("revenue", d(5), d(8), country="O'Brien'; DROP TABLE x; --"))
    assert _rows(ws, odd.sql) == []
    assert query_columns(ws, odd.sql)[0] == ("order_id", "VARCHAR")  # passes the query check


def test_sessions_ignore_category_and_reversed_ranges_are_put_right() -> None:
    q = drill_query(DrillRequest("sessions", d(8), d(5), category="Bags", label="Sessions"))
    assert q.kind == "sessions"
    assert "category" not in q.sql and "intermediate.int_sessions" in q.sql
    assert "BETWEEN DATE '2026-03-05' AND DATE '2026-03-08'" in q.sql
    assert q.title == "Sessions behind Sessions · 2026-03-05 … 2026-03-08"


@pytest.fixture
def events_ws(tmp_path: Path) -> Iterator[Workspace]:
    """Seven events over two weeks: 2026-03-02 and 03-09 are Mondays, 03-04 a Wednesday. The
    local time is two hours ahead of UTC (the reporting zone's clock)."""
    with Workspace.open(tmp_path / "ev") as w:
        w.cursor().execute(
            "CREATE TABLE staging.stg_events AS SELECT event_id, event_time, "
            "event_time + INTERVAL 2 HOUR AS event_time_local, event_date, device, country, "
            "traffic_source, category, product_id FROM (VALUES "
            "('a', TIMESTAMP '2026-03-02 12:10', DATE '2026-03-02', 'mobile', 'US', 'paid', 'Bags', 'p1'), "
            "('b', TIMESTAMP '2026-03-02 12:50', DATE '2026-03-02', 'desktop', 'US', 'paid', 'Bags', 'p1'), "
            "('c', TIMESTAMP '2026-03-02 13:05', DATE '2026-03-02', 'mobile', 'DE', 'email', 'Hats', 'p2'), "
            "('d', TIMESTAMP '2026-03-04 12:30', DATE '2026-03-04', 'mobile', 'US', 'paid', 'Bags', 'p1'), "
            "('e', TIMESTAMP '2026-03-09 12:00', DATE '2026-03-09', 'tablet', 'FR', 'paid', 'Shoes', 'p3'), "
            "('f', TIMESTAMP '2026-03-09 12:59', DATE '2026-03-09', 'mobile', 'US', 'organic', 'Bags', 'p1'), "
            "('g', TIMESTAMP '2026-03-16 12:20', DATE '2026-03-16', 'mobile', 'US', 'paid', 'Bags', 'p1')"
            ") t(event_id, event_time, event_date, device, country, traffic_source, category, product_id)"
        )
        yield w


def test_a_heatmap_cell_is_its_weekday_and_local_hour(events_ws: Workspace) -> None:
    # Mondays 03-02 … 03-15, 14:00–14:59 local (12:xx UTC): a, b, e and f (not c at 15:05
    # local, not d on a Wednesday, not g after the range).
    q = drill_query(DrillRequest("events", d(2), d(15), weekday=1, hour=14, label="activity"))
    assert q.kind == "events"
    assert [r[0] for r in _rows(events_ws, q.sql)] == ["a", "b", "e", "f"]
    assert q.title == ("Events behind activity · 2026-03-02 … 2026-03-15 · Weekday: Mon · "
                       "Hour: 14:00–14:59")
    mobile = drill_query(DrillRequest("events", d(2), d(15), device="mobile", weekday=1, hour=14))
    assert [r[0] for r in _rows(events_ws, mobile.sql)] == ["a", "f"]
    wednesday = drill_query(DrillRequest("events", d(1), d(31), weekday=3, hour=14))
    assert [r[0] for r in _rows(events_ws, wednesday.sql)] == ["d"]
    with pytest.raises(ValueError, match="hour must be 0 to 23"):
        DrillRequest("events", d(2), d(15), hour=24)
    with pytest.raises(ValueError, match="weekday must be 1"):
        DrillRequest("events", d(2), d(15), weekday=0)


def test_several_values_and_excluded_values_filter_as_the_dashboards_do(events_ws: Workspace) -> None:
    both = drill_query(DrillRequest("events", d(1), d(31), device=("mobile", "tablet")))
    assert [r[0] for r in _rows(events_ws, both.sql)] == ["a", "c", "d", "e", "f", "g"]
    assert "Device: mobile, tablet" in both.title
    not_us = drill_query(DrillRequest("events", d(1), d(31), country="US",
                                      exclude=frozenset({"country"})))
    assert [r[0] for r in _rows(events_ws, not_us.sql)] == ["c", "e"]
    assert "Country: not US" in not_us.title
    bags = drill_query(DrillRequest("events", d(1), d(8), category=("Bags", "Hats"),
                                    traffic_source="paid"))
    assert [r[0] for r in _rows(events_ws, bags.sql)] == ["a", "b", "d"]
