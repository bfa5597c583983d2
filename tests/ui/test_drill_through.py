"""Drill-through: from a dashboard bar or KPI card to the orders behind it on the Data page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from shoplytics_desktop.core.workspace import Workspace
from shoplytics_desktop.ui.dashboards import DashboardsPage
from shoplytics_desktop.ui.dashboards.style import epoch
from shoplytics_desktop.ui.data_page import DataPage
from shoplytics_desktop.ui.drill_through import DrillThrough, card_key_at, period_end
from tests.unit.test_analytics import build_marts


def d(day: int) -> dt.date:
    return dt.date(2026, 3, day)


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    with Workspace.open(tmp_path / "ws") as w:
        build_marts(w)
        w.cursor().execute(
            "CREATE TABLE marts.fct_orders AS SELECT order_key AS order_id, any_value(user_id) AS user_id, "
            "min(order_time) AS order_time, min(order_date) AS order_date, sum(revenue) AS revenue "
            "FROM marts.agg_sales GROUP BY order_key")
        yield w


@pytest.fixture
def page(qtbot: QtBot, ws: Workspace) -> Iterator[DashboardsPage]:
    p = DashboardsPage(ws)
    qtbot.addWidget(p)
    p.resize(1300, 900)
    p.show()
    qtbot.waitUntil(lambda: p.status is not None and not p.busy, timeout=10_000)
    p.controls.set_range(d(5), d(8))
    p.load_all()
    qtbot.waitUntil(lambda: not p.busy, timeout=10_000)
    yield p
    p.pool.waitForDone(10_000)


def test_period_ends() -> None:
    assert period_end(d(5), "day") == d(5)
    assert period_end(d(2), "week") == d(8)
    assert period_end(dt.date(2026, 2, 1), "month") == dt.date(2026, 2, 28)
    assert period_end(dt.date(2026, 12, 1), "month") == dt.date(2026, 12, 31)


def test_a_revenue_bar_and_a_kpi_open_the_orders_behind_them(qtbot: QtBot, page: DashboardsPage,
                                                              ws: Workspace) -> None:
    drill = DrillThrough(page)
    drill.attach(page)
    asked: list[tuple[str, str]] = []
    drill.requested.connect(lambda title, sql: asked.append((title, sql)))
    rev = page.tab("Revenue")
    texts = [a.text() for a in rev.revenue.plot.actions()]  # type: ignore[attr-defined]
    assert "Show the orders behind this (the period under the mouse)" in texts

    assert drill.drill_chart(rev, rev.revenue, "revenue", x=epoch(d(8)) + 3600)  # type: ignore[attr-defined]
    assert asked[-1][0] == "Orders behind Revenue · 2026-03-08"
    assert not drill.drill_chart(rev, rev.revenue, "revenue", x=epoch(d(8)) + 30 * 86400)  # type: ignore[attr-defined]

    data = DataPage()
    qtbot.addWidget(data)
    data.set_workspace(ws)
    assert data.show_query(*asked[-1])
    qtbot.waitUntil(lambda: data.model is not None and data.model.all_loaded and data.model.total == 1,
                    timeout=5000)
    assert data.model.rows[0][0] == "o5"  # the 60.00 of 03-08

    ov = page.tab("Overview")
    card = ov.kpis.cards["revenue"]  # type: ignore[attr-defined]
    centre = card.mapTo(ov.kpis, card.rect().center())  # type: ignore[attr-defined]
    assert card_key_at(ov.kpis, centre) == "revenue"  # type: ignore[attr-defined]
    assert drill.drill_kpi(ov, "revenue")
    title, sql = asked[-1]
    assert title == "Orders behind Revenue · 2026-03-05 … 2026-03-08"
    assert data.show_query(title, sql)
    qtbot.waitUntil(lambda: data.model.all_loaded and data.model.total == 3, timeout=5000)
    assert [r[0] for r in data.model.rows] == ["o3", "o4", "o5"]  # 25 + 15 + 60 = the KPI's 100

    page.controls.set_segment("device", "mobile")
    assert drill.drill_kpi(ov, "sessions")
    assert asked[-1][0] == "Sessions behind Sessions · 2026-03-05 … 2026-03-08 · Device: mobile"


def test_category_and_product_bars_and_heatmap_cells_open_their_rows(
        qtbot: QtBot, page: DashboardsPage, ws: Workspace) -> None:
    drill = DrillThrough(page)
    drill.attach(page)
    asked: list[tuple[str, str]] = []
    drill.requested.connect(lambda title, sql: asked.append((title, sql)))
    data = DataPage()
    qtbot.addWidget(data)
    data.set_workspace(ws)

    def orders(title: str, sql: str) -> list[str]:
        assert data.show_query(title, sql)
        qtbot.waitUntil(lambda: data.model is not None and data.model.all_loaded, timeout=5000)
        return [r[0] for r in data.model.rows]  # type: ignore[union-attr]

    rev = page.tab("Revenue")
    cats = rev.categories  # type: ignore[attr-defined]
    bags = cats.labels.index("Bags")
    assert cats.hover_text(1.0, -bags).endswith("\nDouble-click: the orders behind this bar")
    # A double click on the Bags bar (horizontal bars: the i-th at y = -i).
    assert cats.activate_at(1.0, -bags) == bags
    title, sql = asked[-1]
    assert title == ("Orders behind category Bags · 2026-03-05 … 2026-03-08 · Category: Bags")
    assert orders(title, sql) == ["o3", "o4"]  # the Bags lines of 03-05 … 03-08

    top = rev.top_chart  # type: ignore[attr-defined]
    p2 = list(top.table.column("product_id")).index("p2")
    top.activated.emit(p2)
    title, sql = asked[-1]
    assert "Product: p2" in title
    assert orders(title, sql) == ["o3", "o4"]  # p2 sold in o3 (15.00) and o4 (15.00)

    # Under a device filter the bars' rows follow it: mobile Bags orders are o3 only.
    page.controls.set_segment("device", "mobile")
    qtbot.waitUntil(lambda: not page.busy, timeout=10_000)
    assert drill.drill_bar(rev, cats, "revenue", "category", cats.labels.index("Bags"))
    assert orders(*asked[-1]) == ["o3"]
    page.controls.set_segment("device", None)
    qtbot.waitUntil(lambda: not page.busy, timeout=10_000)

    page.tabs.setCurrentWidget(page.tab("Behaviour"))
    qtbot.waitUntil(lambda: not page.busy and not page.tab("Behaviour").dirty, timeout=10_000)
    heat = page.tab("Behaviour").heatmap  # type: ignore[attr-defined]
    r, c = (int(v[0]) for v in heat.values.nonzero())
    assert heat.hover_text(c + 0.5, r + 0.5).endswith(
        "\nClick: the events of this weekday and hour")
    assert heat.click_at(c + 0.5, r + 0.5) == (r, c)
    title, sql = asked[-1]
    assert f"isodow(event_date) = {r + 1}" in sql and f"hour(event_time_local) = {c}" in sql
    assert title.startswith("Events behind activity · 2026-03-05 … 2026-03-08 · Weekday: ")
    assert heat.click_at(30.5, 0.5) is None  # outside the cells: nothing


def test_engagement_cards_open_their_events_without_the_category(
        qtbot: QtBot, page: DashboardsPage) -> None:
    drill = DrillThrough(page)
    drill.attach(page)
    asked: list[tuple[str, str]] = []
    drill.requested.connect(lambda title, sql: asked.append((title, sql)))
    page.controls.set_segment("category", "Bags")
    page.controls.set_segment("device", "mobile")
    eng = page.tab("Engagement")
    page.tabs.setCurrentWidget(eng)
    qtbot.waitUntil(lambda: not page.busy and not eng.dirty, timeout=10_000)
    key = next(k for k in eng.kpis.cards if k.startswith("dau"))  # type: ignore[attr-defined]
    assert drill.drill_kpi(eng, key)
    title, sql = asked[-1]
    assert "staging.stg_events" in sql and "device = 'mobile'" in sql
    assert "category" not in sql  # engagement figures do not follow the category
    assert title.startswith("Events behind Average DAU · 2026-03-05 … 2026-03-08")
