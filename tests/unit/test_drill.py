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
