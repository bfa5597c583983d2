"""The question a user brings: "what was conversion on mobile last week vs the same week last
year, and which orders were they?" — answered in the app's own widgets on generated data that
spans more than a year, and checked against counts made in Python from the raw events."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from shoplytics_desktop.core.generate import GenerateSpec, generate_into
from shoplytics_desktop.core.models.runner import run_project
from shoplytics_desktop.core.workspace import Workspace
from shoplytics_desktop.ui.dashboards import DashboardsPage
from shoplytics_desktop.ui.dashboards.style import fmt_pct
from shoplytics_desktop.ui.data_page import DataPage
from shoplytics_desktop.ui.drill_through import DrillThrough

START = dt.date(2024, 11, 4)  # a Monday; 482 days of data, to 2026-02-28
WEEK = (dt.date(2026, 2, 16), dt.date(2026, 2, 22))  # Monday … Sunday, complete
LAST_YEAR = (dt.date(2025, 2, 17), dt.date(2025, 2, 23))  # the same days 52 weeks earlier


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("e2e") / "ws"
    with Workspace.open(folder) as ws:
        generate_into(ws, GenerateSpec(events=100_000, days=482, seed=7, start=START))
        assert run_project(ws).published
    return folder


@pytest.fixture
def ws(generated: Path) -> Iterator[Workspace]:
    with Workspace.open(generated) as w:
        yield w


def raw_events(ws: Workspace) -> list[tuple]:
    return ws.cursor().execute(
        "SELECT user_id, session_id, event_time, event_id, event_type, device, order_id "
        "FROM raw.events").fetchall()


def by_hand(events: list[tuple], first: dt.date, last: dt.date) -> tuple[float, set[str]]:
    """Session conversion and the orders of mobile in [first, last], from the raw rows: a
    session is its user's source session id, on the day and device of its first event; an
    order is on the day of its first line, and is mobile when one of its lines is."""
    sessions: dict[tuple, list[tuple]] = defaultdict(list)
    orders: dict[str, list[tuple]] = defaultdict(list)
    for e in events:
        sessions[(e[0], e[1])].append(e)
        if e[4] == "purchase":
            assert e[6] is not None  # generated purchases always carry their order id
            orders[e[6]].append(e)
    mobile = [s for s in sessions.values()
              if (f := min(s, key=lambda e: (e[2], e[3])))[5] == "mobile"
              and first <= f[2].date() <= last]
    bought = [s for s in mobile if any(e[4] == "purchase" for e in s)]
    picked = {o for o, lines in orders.items()
              if first <= min(e[2] for e in lines).date() <= last
              and any(e[5] == "mobile" for e in lines)}
    return len(bought) / len(mobile), picked


def test_mobile_conversion_last_week_vs_last_year_and_its_orders(qtbot: QtBot,
                                                                  ws: Workspace) -> None:
    conversion, orders = by_hand(raw_events(ws), *WEEK)
    conversion_ly, _ = by_hand(raw_events(ws), *LAST_YEAR)
    assert orders and 0 < conversion < 1 and 0 < conversion_ly < 1

    page = DashboardsPage(ws)
    qtbot.addWidget(page)
    page.resize(1300, 900)
    page.show()
    qtbot.waitUntil(lambda: page.status is not None and not page.busy, timeout=20_000)
    drill = DrillThrough(page)
    drill.attach(page)
    data = DataPage()
    qtbot.addWidget(data)
    data.set_workspace(ws)
    drill.requested.connect(data.show_query)

    # The user: a week's range, mobile only, compared with the same period last year.
    page.controls.set_range(*WEEK)
    page.controls.dims["device"].picker.search.setText("mob")
    page.controls.dims["device"].picker.select_all_shown()
    page.controls.set_compare("year")
    ov = page.tab("Overview")
    qtbot.waitUntil(lambda: not page.busy and not ov.dirty, timeout=20_000)
    f = page.filters()
    assert (f.start, f.end, f.device, f.compare) == (*WEEK, "mobile", "year")
    compared = f.compared()
    assert compared is not None and (compared.start, compared.end) == LAST_YEAR

    card = ov.kpis.cards["conversion"]  # type: ignore[attr-defined]
    assert card.label.text() == "Session conversion"
    assert card.value.text() == fmt_pct(conversion, 2)
    assert card.compare_value == pytest.approx(conversion_ly)
    assert card.versus.isVisibleTo(ov)
    assert card.versus.text().startswith(f"Same period last year: {fmt_pct(conversion_ly, 2)} (")

    # … and which orders were they: the Orders card drills through to the Data page.
    assert drill.drill_kpi(ov, "orders")
    qtbot.waitUntil(lambda: data.model is not None and data.model.all_loaded, timeout=20_000)
    assert data.model is not None
    assert data.model.total == len(orders)
    assert {r[0] for r in data.model.rows} == orders
    assert ov.kpis.cards["orders"].value.text() == str(len(orders))  # type: ignore[attr-defined]
    page.pool.waitForDone(10_000)
