"""The dashboards page on hand-written marts (tests/unit/test_analytics.py's fixture): every
tab draws with data and without, filters reach every tab, hover reads exact values, exports
write valid files, clicks drill down, and stale results are dropped."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from shoplytics_desktop.core.workspace import Workspace
from shoplytics_desktop.ui.dashboards import DashboardsPage
from shoplytics_desktop.ui.dashboards.charts import ChartFrame
from shoplytics_desktop.ui.dashboards.style import epoch
from shoplytics_desktop.ui.dashboards.tables import DataTable
from tests.unit.test_analytics import build_marts


def d(day: int) -> dt.date:
    return dt.date(2026, 3, day)


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    with Workspace.open(tmp_path / "ws") as w:
        build_marts(w)
        yield w


def settle(qtbot: QtBot, page: DashboardsPage) -> None:
    qtbot.waitUntil(lambda: page.status is not None and not page.busy, timeout=10_000)


@pytest.fixture
def page(qtbot: QtBot, ws: Workspace) -> Iterator[DashboardsPage]:
    p = DashboardsPage(ws)
    qtbot.addWidget(p)
    p.resize(1300, 900)
    settle(qtbot, p)
    p.controls.set_range(d(5), d(8))
    settle(qtbot, p)
    yield p
    p.pool.waitForDone(10_000)


def load_everything(qtbot: QtBot, page: DashboardsPage) -> None:
    page.load_all()
    settle(qtbot, page)


def test_missing_marts_say_why(qtbot: QtBot, tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "empty") as w:
        p = DashboardsPage(w)
        qtbot.addWidget(p)
        settle(qtbot, p)
        assert p.stack.currentWidget() is p.empty
        # No events at all: the way forward is data, not a pipeline run.
        assert "generate demo data or import your files" in p.empty.text()
        assert "pipeline" not in p.empty.text()
        from tests.ui.conftest import insert_events

        insert_events(w, ["a"])
        p.refresh()
        settle(qtbot, p)
        assert p.empty.text().startswith("Run the pipeline (Pipeline ▸ Run, Ctrl+R)")
        assert p.controls.isHidden()  # no filter bar of made-up dates
        # After a pipeline run, refresh() picks the marts up.
        build_marts(w)
        p.refresh()
        settle(qtbot, p)
        assert p.stack.currentWidget() is p.tabs and not p.controls.isHidden()
        p.pool.waitForDone(10_000)


def test_every_tab_renders_with_data(qtbot: QtBot, page: DashboardsPage) -> None:
    load_everything(qtbot, page)
    for tab in page.tab_list:
        assert not tab.dirty, tab.title
        assert tab.last_result is not None, tab.title
        charts: list[ChartFrame] = tab.charts  # type: ignore[attr-defined]
        assert all(not c.is_empty for c in charts), tab.title
    ov = page.tab("Overview")
    assert ov.kpis.cards["revenue"].value.text() == "$100.00"  # type: ignore[attr-defined]
    assert ov.kpis.cards["revenue"].delta.text() == "▲ +150.0%"  # type: ignore[attr-defined]
    assert ov.kpis.cards["conversion"].delta.text() == "▼ -5.00 pts"  # type: ignore[attr-defined]
    products = page.tab("Products")
    products.table.search.setText("tote")  # type: ignore[attr-defined]
    assert [r[0] for r in products.table.visible_rows()] == ["p2"]  # type: ignore[attr-defined]


def test_every_tab_renders_empty_data_with_a_reason(qtbot: QtBot, page: DashboardsPage) -> None:
    page.controls.set_range(dt.date(2026, 4, 1), dt.date(2026, 4, 30))
    load_everything(qtbot, page)
    reasons = {
        c.empty_reason for tab in page.tab_list for c in tab.charts  # type: ignore[attr-defined]
    }
    assert all(not tab.dirty for tab in page.tab_list)
    assert "" not in reasons
    assert "No purchases in this range." in reasons
    assert "No sessions in this range." in reasons
    assert page.tab("Products").table.is_empty  # type: ignore[attr-defined]


def test_filters_propagate_to_every_tab(qtbot: QtBot, page: DashboardsPage) -> None:
    page.controls.set_segment("device", "mobile")
    page.controls.set_grain("week")
    for tab in page.tab_list:
        assert tab.filters is not None
        assert (tab.filters.device, tab.filters.grain) == ("mobile", "week")
        assert (tab.filters.start, tab.filters.end) == (d(5), d(8))
    load_everything(qtbot, page)
    for tab in page.tab_list:
        assert tab.last_result.filters.device == "mobile", tab.title
    ov = page.tab("Overview").last_result.overview
    assert ov.kpi("revenue").value == 85.0  # mobile only
    # Tabs whose marts have no segment columns say so.
    assert "ignores device, country and traffic source" in page.tab("Cohorts").note.text()
    assert page.tab("Cohorts").note.isVisibleTo(page.tab("Cohorts"))
    page.controls.reset_filters()
    assert all(t.filters is not None and t.filters.device is None for t in page.tab_list)


def test_presets_follow_the_last_day_with_data(qtbot: QtBot, page: DashboardsPage) -> None:
    page.controls.set_preset("last_7")
    f = page.filters()
    assert (f.start, f.end) == (d(2), d(8))  # relative to 03-08, not the clock
    assert "compared with 2026-02-23 … 2026-03-01" in page.controls.compare.text()


def test_hover_shows_exact_values(qtbot: QtBot, page: DashboardsPage) -> None:
    load_everything(qtbot, page)
    ov = page.tab("Overview")
    text = ov.revenue.hover_at(epoch(d(8)) + 3600, 10.0)  # type: ignore[attr-defined]
    assert text == "Sun 2026-03-08 — Revenue: $60.00"
    assert ov.revenue.tooltip_text == text  # type: ignore[attr-defined]
    eng = page.tab("Engagement")
    # The data starts on 03-01: WAU and MAU windows are still filling up on 03-05.
    assert eng.active.hover_at(epoch(d(5)), 1.0) == (  # type: ignore[attr-defined]
        "Thu 2026-03-05 — DAU: 4, WAU: 6 (incomplete), MAU: 6 (incomplete)")
    funnel = page.tab("Funnel")
    assert funnel.steps.hover_at(1.0, -4.0).startswith(  # type: ignore[attr-defined]
        "Purchase — 3 (3 · 60.0% of previous · 40.0% drop-off · 15.0% of sessions)")
    cohorts = page.tab("Cohorts")
    assert cohorts.heatmap.hover_at(1.5, 0.5) == (  # type: ignore[attr-defined]
        "2026-03-02  n=20 · W1: 25% (5 of 20 users) — week not over yet")
    behaviour = page.tab("Behaviour")
    assert behaviour.heatmap.hover_at(9.5, 3.5).startswith("Thu · 09: 10")  # type: ignore[attr-defined]
    assert ov.revenue.hover_at(epoch(d(8)) + 30 * 86400, 0) == ""  # type: ignore[attr-defined]


def test_click_drills_down(qtbot: QtBot, page: DashboardsPage) -> None:
    load_everything(qtbot, page)
    rev = page.tab("Revenue")
    assert rev.categories.click_at(10.0, -1.0) == "Bags"  # type: ignore[attr-defined]
    assert all(t.filters is not None and t.filters.category == "Bags" for t in page.tab_list)
    funnel = page.tab("Funnel")
    funnel.steps.click_at(1.0, -2.0)  # type: ignore[attr-defined]
    assert funnel.focus_step == "Add to cart"  # type: ignore[attr-defined]
    funnel.breakdown_chart.click_at(0.0, 0.1)  # type: ignore[attr-defined]
    assert page.filters().device == "mobile"


def test_export_png_svg_and_csv(qtbot: QtBot, page: DashboardsPage, tmp_path: Path) -> None:
    load_everything(qtbot, page)
    for chart in (page.tab("Revenue").revenue, page.tab("Cohorts").heatmap,  # type: ignore[attr-defined]
                  page.tab("Funnel").steps):  # type: ignore[attr-defined]
        png = chart.export_png(tmp_path / f"{chart.title[:10]}.png")
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        svg = chart.export_svg(tmp_path / f"{chart.title[:10]}.svg")
        assert ET.parse(svg).getroot().tag.endswith("svg")
    csv = page.tab("Funnel").steps.csv_text()  # type: ignore[attr-defined]
    assert csv.splitlines()[0] == "step,sessions,step_conversion,drop_off,share_of_sessions"
    assert csv.splitlines()[-1] == "Purchase,3,0.6,0.4,0.15"


def test_stale_results_are_dropped(qtbot: QtBot, page: DashboardsPage) -> None:
    load_everything(qtbot, page)
    ov = page.tab("Overview")
    old_result, old_gen = ov.last_result, ov.generation
    page.controls.set_segment("device", "mobile")  # a newer request for the visible tab
    page._loaded(ov, old_gen, old_result)  # the older answer arrives late
    settle(qtbot, page)
    assert ov.last_result.filters.device == "mobile"


def test_set_workspace_switches_data(qtbot: QtBot, page: DashboardsPage, tmp_path: Path) -> None:
    from PySide6.QtWidgets import QMessageBox

    ov = page.tab("Overview")
    old_gen = ov.generation
    with Workspace.open(tmp_path / "other") as other:
        page.set_workspace(other)
        # A query on the old workspace failing late (its connection closed) is ignored.
        page._failed(ov, old_gen, RuntimeError("Connection already closed"))
        assert not page.findChildren(QMessageBox)
        settle(qtbot, page)
        assert "generate demo data or import your files" in page.empty.text()
        page.pool.waitForDone(10_000)


def test_products_table_sorts_and_searches(qtbot: QtBot, page: DashboardsPage) -> None:
    page.tabs.setCurrentWidget(page.tab("Products"))
    settle(qtbot, page)
    table = page.tab("Products").table  # type: ignore[attr-defined]
    assert [r[0] for r in table.visible_rows()] == ["p3", "p2", "p1"]  # by revenue
    views = table.table.columns.index("views")
    table.view.sortByColumn(views, Qt.SortOrder.AscendingOrder)
    assert [r[0] for r in table.visible_rows()] == ["p2", "p3", "p1"]  # 8, 12, 25 views
    c2p = table.table.columns.index("cart_to_purchase_rate")
    table.view.sortByColumn(c2p, Qt.SortOrder.DescendingOrder)
    assert [r[0] for r in table.visible_rows()] == ["p2", "p1", "p3"]  # None sorts last
    table.search.setText("acme")
    assert {r[0] for r in table.visible_rows()} == {"p1", "p3"}
    assert table.csv_text().splitlines()[1].startswith("p1,Runner,Shoes,Acme,25,5,1,10.0,0.2,0.2")


def test_palette_switch_and_currency(qtbot: QtBot, page: DashboardsPage, tmp_path: Path) -> None:
    from PySide6.QtGui import QColor, QPalette
    from PySide6.QtWidgets import QApplication

    load_everything(qtbot, page)
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    old = app.palette()
    dark = QPalette(old)
    dark.setColor(QPalette.ColorRole.Window, QColor("#202020"))
    dark.setColor(QPalette.ColorRole.Base, QColor("#181818"))
    dark.setColor(QPalette.ColorRole.Text, QColor("#eeeeee"))
    try:
        app.setPalette(dark)
        qtbot.waitUntil(lambda: page.tab("Overview").revenue.theme.dark)  # type: ignore[attr-defined]
        assert not page.tab("Overview").revenue.is_empty  # type: ignore[attr-defined]
    finally:
        app.setPalette(old)
    ov = page.tab("Overview")
    ov.set_currency("EUR")
    ov.draw(ov.last_result)
    assert ov.kpis.cards["revenue"].value.text() == "€100.00"  # type: ignore[attr-defined]
    assert ov.revenue.hover_at(epoch(d(8)), 1.0).endswith("€60.00")  # type: ignore[attr-defined]


def test_status_answer_survives_a_tab_query_started_meanwhile(
    qtbot: QtBot, page: DashboardsPage
) -> None:
    page.refresh()
    page.tabs.setCurrentWidget(page.tab("Cohorts"))  # starts a tab query before the status is in
    settle(qtbot, page)
    assert not page.busy and page.stack.currentWidget() is page.tabs


def test_two_conversion_figures_have_two_names(qtbot: QtBot, page: DashboardsPage) -> None:
    """Session conversion (Overview) and funnel completion (Funnel) differ; neither is labelled
    plain 'conversion'."""
    from PySide6.QtWidgets import QLabel

    load_everything(qtbot, page)
    texts = [w.text() for tab in page.tab_list for w in tab.findChildren(QLabel)]
    plain = [t for t in texts if t.strip().lower().replace("<b>", "").replace("</b>", "")
             in ("conversion", "conversion rate", "overall conversion")]
    assert plain == []
    assert page.tab("Overview").kpis.cards["conversion"].label.text() == "Session conversion"  # type: ignore[attr-defined]
    assert page.tab("Funnel").summary.text().startswith("Funnel completion <b>")  # type: ignore[attr-defined]


def test_refunds_and_other_currencies_show_on_revenue(qtbot: QtBot, page: DashboardsPage, ws: Workspace) -> None:
    cur = ws.cursor()
    cur.execute(
        "CREATE OR REPLACE TABLE marts.agg_sales AS SELECT *, 'USD' AS currency FROM marts.agg_sales "
        "UNION ALL SELECT 'o7', 7, 4, TIMESTAMP '2026-03-06 11:00', DATE '2026-03-06', 'u4', 'p3', "
        "'Hats', 'mobile', 'US', 'paid', 1, 50.00, 'EUR'"
    )
    cur.execute(
        "CREATE TABLE marts.agg_refunds AS SELECT DATE '2026-03-05' AS refund_date, 'p1' AS product_id, "
        "'Shoes' AS category, 'mobile' AS device, 'US' AS country, 'paid' AS traffic_source, "
        "'USD' AS currency, 1::BIGINT AS refund_items, 1::BIGINT AS units, 10.00::DECIMAL(18,2) AS refunds"
    )
    page.refresh()
    settle(qtbot, page)
    load_everything(qtbot, page)
    rev = page.tab("Revenue")
    cards = rev.kpis.cards  # type: ignore[attr-defined]
    assert list(cards)[:3] == ["revenue", "net_revenue", "refunds"]
    assert (cards["net_revenue"].value.text(), cards["refunds"].value.text()) == ("$90.00", "$10.00")
    assert rev.money_note.text() == "Amounts are in USD; not included: 50.00 EUR revenue in other currencies."
    assert not rev.money_note.isHidden()


# -- layout, hover, incomplete periods, numbers, state ------------------------------------------


def test_main_window_with_dashboards_fits_1000_by_660(
    qtbot: QtBot, ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shoplytics_desktop.ui.page_host import PageHost
    from tests.ui.conftest import window_on

    monkeypatch.setattr(PageHost, "_dashboards", lambda self: DashboardsPage(self.workspace))
    window = window_on(qtbot, ws, monkeypatch,
                       dashboards=lambda self: DashboardsPage(self.workspace))
    window.show_page("dashboards")
    page = window.pages.widgets["dashboards"]
    assert isinstance(page, DashboardsPage)
    settle(qtbot, page)
    load_everything(qtbot, page)
    hint = window.minimumSizeHint()
    assert hint.width() <= 1000 and hint.height() <= 660, hint
    window.resize(1000, 660)
    qtbot.waitUntil(lambda: window.width() <= 1000)
    for tab in page.tab_list:
        page.tabs.setCurrentWidget(tab)
        settle(qtbot, page)
        # No tab scrolls sideways: its content fits the viewport's width.
        inner = tab.scroll_area.widget()
        assert inner.minimumSizeHint().width() <= tab.scroll_area.viewport().width() + 1, tab.title
        # Nor does any table inside it.
        for table in tab.findChildren(DataTable):
            if table.isVisible():
                qtbot.waitUntil(lambda t=table: not t.view.horizontalScrollBar().isVisible())
    # The funnel's by-segment table goes below its chart at this width, and beside it when wide.
    funnel = page.tab("Funnel")
    assert funnel.breakdown_row.stacked  # type: ignore[attr-defined]
    # The filter bar wraps onto more lines rather than widening the window.
    assert page.controls.height() > page.controls.preset.height() * 1.5
    # The comparison note shows whole.
    note = page.controls.compare
    assert note.width() >= note.sizeHint().width()
    page.pool.waitForDone(10_000)


def test_tooltip_follows_and_clears_when_the_data_changes(qtbot: QtBot, page: DashboardsPage) -> None:
    load_everything(qtbot, page)
    chart = page.tab("Overview").revenue  # type: ignore[attr-defined]
    assert chart.hover_at(epoch(d(6)), 5.0) == "Fri 2026-03-06 — Revenue: $15.00"
    assert chart.tooltip_text and not chart.tip.isHidden()
    assert chart.crosshair.isVisible() and chart.crosshair.value() == epoch(d(6))
    page.controls.set_segment("device", "mobile")
    settle(qtbot, page)
    assert chart.tooltip_text == "" and chart.tip.isHidden()
    assert not chart.crosshair.isVisible()
    chart.hover_at(epoch(d(8)), 5.0)
    page.controls.set_range(d(5), d(7))  # a range change clears it too
    settle(qtbot, page)
    assert chart.tip.isHidden()


def test_incomplete_periods_are_marked(qtbot: QtBot, page: DashboardsPage) -> None:
    page.controls.set_range(d(1), d(10))
    page.controls.set_grain("week")
    load_everything(qtbot, page)
    chart = page.tab("Overview").revenue  # type: ignore[attr-defined]
    # Weeks of 02-23 (cut by the range) and 03-09 (after the data's end) are incomplete.
    assert [bool(f) for f in chart.partial[0]] == [True, False, True]
    assert "incomplete period" in chart.note_label.text()
    assert not chart.note_label.isHidden()
    bars = chart._items[0][0]
    styles = [b.style() for b in bars.opts["brushes"]]
    assert styles == [Qt.BrushStyle.BDiagPattern, Qt.BrushStyle.SolidPattern,
                      Qt.BrushStyle.BDiagPattern]
    cohorts = page.tab("Cohorts")
    assert cohorts.heatmap.partial  # type: ignore[attr-defined]
    assert "not over yet" in cohorts.heatmap.note_label.text()  # type: ignore[attr-defined]


def test_value_notes_beside_horizontal_bars_stay_inside_the_plot(qtbot: QtBot) -> None:
    """Each note is as many pixels wide at any scale: the view leaves every bar its note, and
    works that out again when the chart is made narrower (the notes were cut off at 1000 px)."""
    from PySide6.QtGui import QFontMetrics

    from shoplytics_desktop.ui.dashboards.plots import BarChart

    chart = BarChart("Steps", "count", horizontal=True)
    qtbot.addWidget(chart)
    chart.resize(1200, 300)
    chart.show()
    notes = ["372", "372 · 100.0% of previous · 0.0% drop-off · 100.0% of sessions", "3 · 0.8%"]
    chart.set_bars(["Sessions", "Product view", "Cart"], [("count", [372, 372, 3])], table=None,
                   notes=notes)  # type: ignore[arg-type]

    def fits() -> bool:
        (x0, x1), width = chart.vb.viewRange()[0], chart.vb.width()
        note_px = QFontMetrics(chart.plot.font()).horizontalAdvance(notes[1])
        return 372 / (x1 - x0) * width + note_px <= width

    qtbot.waitUntil(fits)
    wide = chart.vb.viewRange()[0][1]
    chart.resize(700, 300)
    qtbot.waitUntil(lambda: chart.vb.width() < 650)
    assert fits() and chart.vb.viewRange()[0][1] > wide
    chart.vb.setRange(xRange=(0, 100), padding=0)  # zoomed in: the reset comes back to the fit
    chart.reset_zoom()
    assert fits()


def test_axis_numbers_have_one_format(qtbot: QtBot) -> None:
    from shoplytics_desktop.ui.dashboards.plots import period_labels
    from shoplytics_desktop.ui.dashboards.style import format_ticks

    assert format_ticks([0, 5000, 10000, 15000]) == ["0", "5k", "10k", "15k"]
    assert format_ticks([0, 2500, 5000, 7500], "money") == ["$0", "$2.5k", "$5.0k", "$7.5k"]
    assert format_ticks([0, 250, 500], "count") == ["0", "250", "500"]
    assert format_ticks([0, 0.005, 0.01], "rate") == ["0%", "0.5%", "1.0%"]
    assert format_ticks([0, 1e6, 2e6], "money", "CAD") == ["CA$0", "CA$1M", "CA$2M"]
    assert period_labels([dt.date(2025, 10, 29), dt.date(2025, 10, 31), dt.date(2025, 11, 3),
                          dt.date(2026, 1, 5)], "day") == ["Oct 29, 2025", "31", "Nov 3",
                                                           "Jan 5, 2026"]
    assert period_labels([dt.date(2025, 12, 1), dt.date(2026, 1, 1)], "month") == [
        "Dec 2025", "Jan 2026"]


def test_many_categories_show_top_n_and_other(qtbot: QtBot, page: DashboardsPage, ws: Workspace) -> None:
    ws.cursor().execute(
        "INSERT INTO marts.agg_sales SELECT 'x' || i, 100 + i, 1, TIMESTAMP '2026-03-06 12:00', "
        "DATE '2026-03-06', 'u1', 'p' || i, (2053013555631882655 + i)::VARCHAR, 'mobile', 'US', "
        "'paid', 1, i FROM range(1, 120) t(i)"
    )
    load_everything(qtbot, page)
    cats = page.tab("Revenue").categories  # type: ignore[attr-defined]
    assert len(cats.labels) == 10 and cats.labels[-1].startswith("Other (")
    assert cats.labels[0] == "2053013555631882774"  # full raw id, not cut
    assert cats.horizontal


def test_filters_are_saved_and_restored_per_workspace(
    qtbot: QtBot, page: DashboardsPage, ws: Workspace, tmp_path: Path
) -> None:
    page.controls.set_values("device", ("mobile", "desktop"))
    page.controls.set_values("country", ("DE",), exclude=True)
    page.controls.set_grain("week")
    page.controls.set_compare("previous")
    page.tabs.setCurrentWidget(page.tab("Revenue"))
    settle(qtbot, page)
    page.save_view("Mobile and desktop")
    assert (ws.folder / "dashboards.json").exists()
    f = page.filters()
    assert f.device == ("mobile", "desktop") and f.excludes("country")

    # Another workspace starts from its own data's range, without those filters.
    with Workspace.open(tmp_path / "other") as other:
        build_marts(other)
        page.set_workspace(other)
        settle(qtbot, page)
        g = page.filters()
        assert g.device is None and g.grain == "day" and g.compare == "none"
        assert (g.start, g.end) == (d(1), d(8))  # 8 days of data: shorter than 30
        assert page.view_names() == []
        page.pool.waitForDone(10_000)

    # A new page on the first workspace (a restart) restores tab, range, grain and filters.
    again = DashboardsPage(ws)
    qtbot.addWidget(again)
    settle(qtbot, again)
    h = again.filters()
    assert (h.start, h.end, h.grain, h.compare) == (d(5), d(8), "week", "previous")
    assert h.device == ("mobile", "desktop") and h.excludes("country")
    assert again.current_tab.title == "Revenue"
    assert again.view_names() == ["Mobile and desktop"]
    again.controls.reset_filters()
    settle(qtbot, again)
    again.apply_view("Mobile and desktop")
    assert again.filters().device == ("mobile", "desktop")
    again.delete_view("Mobile and desktop")
    assert again.view_names() == []
    again.pool.waitForDone(10_000)


def test_filters_hiding_all_data_say_so(qtbot: QtBot, page: DashboardsPage) -> None:
    page.controls.set_segment("country", "FR")
    load_everything(qtbot, page)
    ov = page.tab("Overview")
    assert ov.filters_hide_all
    assert "The filters hide all data" in ov.hidden_label.text()
    assert page.tab("Cohorts").filters_hide_all is False  # it ignores segment filters
    ov.reset_button.click()
    settle(qtbot, page)
    assert page.filters().country is None
    load_everything(qtbot, page)
    assert not ov.filters_hide_all


def test_currency_applies_at_once(qtbot: QtBot, page: DashboardsPage, ws: Workspace) -> None:
    load_everything(qtbot, page)
    ws.settings.currency = "EUR"
    page.set_currency("EUR")
    settle(qtbot, page)
    ov = page.tab("Overview")
    assert ov.kpis.cards["revenue"].value.text().startswith("€")  # type: ignore[attr-defined]
    assert "(EUR)" in ov.revenue.title_label.text()  # type: ignore[attr-defined]


def test_comparison_line_on_time_charts(qtbot: QtBot, page: DashboardsPage) -> None:
    page.controls.set_compare("previous")
    load_everything(qtbot, page)
    chart = page.tab("Overview").revenue  # type: ignore[attr-defined]
    # Previous period 03-01 … 03-04: 0, 10, 30, 0, drawn against 03-05 … 03-08.
    assert [list(y) for _, y in chart.compare] == [[0.0, 10.0, 30.0, 0.0]]
    assert chart.hover_at(epoch(d(7)), 1.0).endswith("Revenue (previous period): $30.00")


def test_exported_png_has_a_header_and_a_sensible_size(
    qtbot: QtBot, page: DashboardsPage, tmp_path: Path
) -> None:
    from PySide6.QtGui import QImage

    page.controls.set_segment("device", "mobile")
    load_everything(qtbot, page)
    chart = page.tab("Overview").revenue  # type: ignore[attr-defined]
    assert "Device: mobile" in chart.context and "2026-03-05 … 2026-03-08" in chart.context
    path = chart.export_png(tmp_path / "revenue.png")
    image = QImage(str(path))
    assert image.width() == 1600 and image.height() >= 900


def test_every_kpi_and_chart_title_explains_itself(qtbot: QtBot, page: DashboardsPage) -> None:
    load_everything(qtbot, page)
    for tab in page.tab_list:
        for card in getattr(tab, "kpis", None).cards.values() if hasattr(tab, "kpis") else []:
            assert card.label.toolTip(), (tab.title, card.label.text())
        for chart in tab.charts:  # type: ignore[attr-defined]
            assert chart.title_label.toolTip(), (tab.title, chart.title)
    products = page.tab("Products").table  # type: ignore[attr-defined]
    col = products.table.columns.index("view_to_cart_rate")
    tip = products.model.headerData(col, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
    assert "sessions" in tip


def test_kpi_cards_say_a_comparison_period_before_the_data_has_none(
    qtbot: QtBot, page: DashboardsPage
) -> None:
    # The data starts 03-01: last year has none, so the cards say so instead of "$0.00"; the
    # previous period's line gives its figure, not the change the line above shows already.
    ov = page.tab("Overview")
    page.controls.set_compare("year")
    settle(qtbot, page)
    card = ov.kpis.cards["revenue"]  # type: ignore[attr-defined]
    assert card.versus.text() == "Same period last year: no data"
    assert not card.versus.isHidden()
    page.controls.set_compare("previous")
    settle(qtbot, page)
    assert card.versus.text().startswith("Previous period: $") and "(" not in card.versus.text()
