"""Numbers in the user's locale on cards and tables, sparklines that mark the incomplete period,
searchable value filters and the folding filter bar."""

from __future__ import annotations

import datetime as dt
import decimal
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QLocale, Qt
from PySide6.QtGui import QColor
from pytestqt.qtbot import QtBot

from shoplytics_desktop.core.analytics.types import Table
from shoplytics_desktop.core.workspace import Workspace
from shoplytics_desktop.ui.dashboards import DashboardsPage
from shoplytics_desktop.ui.dashboards.controls import FilterBar, MultiSelect
from shoplytics_desktop.ui.dashboards.kpi import Sparkline, complete_average
from shoplytics_desktop.ui.dashboards.style import fmt_change, fmt_money, fmt_pct, format_ticks
from shoplytics_desktop.ui.dashboards.tables import DataTable
from shoplytics_desktop.ui.numbers import ColumnFormat, float_decimals
from tests.unit.test_analytics import build_marts

NBSP = "\u00a0"


@pytest.fixture
def locale() -> Iterator[None]:
    before = QLocale()
    yield
    QLocale.setDefault(before)


def use(name: str) -> None:
    QLocale.setDefault(QLocale(name))


def cells(table: DataTable) -> list[list[str]]:
    m = table.model
    assert m is not None
    return [[m.data(m.index(r, c)) for c in range(m.columnCount())] for r in range(m.rowCount())]


# -- locale ----------------------------------------------------------------------------------------


def test_money_counts_and_rates_follow_the_locale(locale: None) -> None:
    use("en_US")
    assert fmt_money(1234.5, "EUR") == "€1,234.50"
    assert fmt_money(-1234.5, "USD") == "-$1,234.50"
    assert fmt_money(10, "CAD") == "CA$10.00"  # "$" alone would be ambiguous
    assert fmt_money(10, "CHF") == f"CHF{NBSP}10.00"  # a code, kept apart from the digits
    assert fmt_pct(0.12345) == "12.3%"
    assert fmt_change(-0.01, "rate") == "▼ -1.00 pts"
    use("de_DE")
    assert fmt_money(1234.5, "EUR") == f"1.234,50{NBSP}€"
    assert fmt_money(-1234.5, "USD") == f"-1.234,50{NBSP}$"
    assert fmt_pct(0.12345) == "12,3%"
    assert fmt_change(0.0123, "count") == "▲ +1,2%"
    # The axes read the same way as the cards.
    assert format_ticks([0, 2500, 5000], "money", "EUR") == [f"0{NBSP}€", f"2,5k{NBSP}€",
                                                               f"5,0k{NBSP}€"]
    assert format_ticks([0, 5000, 10000]) == ["0", "5k", "10k"]
    from shoplytics_desktop.ui.dashboards.behaviour import _local

    assert _local("2.1m") == "2,1m"  # the session duration axis


def test_a_table_has_one_format_per_column_in_each_locale(qtbot: QtBot, locale: None) -> None:
    table = Table.of(["name", "views", "revenue", "rate"],
                     [("a", 1234, 1234.5, 0.125), ("b", 2.5, 99, 0.5)])
    for name, expected in (
        ("en_US", [["a", "1,234.0", "€1,234.50", "12.5%"], ["b", "2.5", "€99.00", "50.0%"]]),
        ("de_DE", [["a", "1.234,0", f"1.234,50{NBSP}€", "12,5%"],
                   ["b", "2,5", f"99,00{NBSP}€", "50,0%"]]),
    ):
        use(name)
        t = DataTable("t", kinds={"views": "count", "revenue": "money", "rate": "rate"},
                      currency="EUR")
        qtbot.addWidget(t)
        t.set_table(table)
        assert cells(t) == expected, name


def test_kpi_cards_follow_the_locale(qtbot: QtBot, tmp_path: Path, locale: None) -> None:
    use("de_DE")
    with Workspace.open(tmp_path / "ws") as w:
        build_marts(w)
        w.cursor().execute("CREATE OR REPLACE TABLE marts.agg_sales AS SELECT * REPLACE "
                           "(revenue * 100 AS revenue) FROM marts.agg_sales")
        p = DashboardsPage(w)
        qtbot.addWidget(p)
        qtbot.waitUntil(lambda: p.status is not None and not p.busy, timeout=10_000)
        p.controls.set_range(dt.date(2026, 3, 5), dt.date(2026, 3, 8))
        qtbot.waitUntil(lambda: not p.busy, timeout=10_000)
        cards = p.tab("Overview").kpis.cards  # type: ignore[attr-defined]
        # o3 25 + o4 15 + o5 60 = 100, times 100; 3 orders.
        assert cards["revenue"].value.text() == f"10.000,00{NBSP}$"
        assert cards["orders"].value.text() == "3"
        p.pool.waitForDone(10_000)


def test_data_page_columns_read_in_the_locale(locale: None) -> None:
    use("de_DE")
    assert ColumnFormat("revenue", "DECIMAL(18,2)").text(decimal.Decimal("1234.5")) == "1.234,50"
    assert ColumnFormat("events", "BIGINT").text(1234567) == "1.234.567"
    # Identifiers, keys and years are not amounts: left as they are.
    assert ColumnFormat("category_id", "BIGINT").text(2053013555631882655) is None
    assert ColumnFormat("year", "INTEGER").text(2026) is None
    price = ColumnFormat("price", "DOUBLE")
    price.learn([1.5, 2.25, 3.0])
    assert [price.text(v) for v in (1.5, 2.25, 3.0)] == ["1,50", "2,25", "3,00"]
    use("en_US")
    assert ColumnFormat("events", "BIGINT").text(1234567) == "1,234,567"
    assert float_decimals([0.1 + 0.2, 7.0]) == 1


# -- sparklines ------------------------------------------------------------------------------------


def test_the_incomplete_period_is_dotted_and_left_out_of_the_average(qtbot: QtBot) -> None:
    assert complete_average([2, 4, None, 100], [False, False, False, True]) == 3.0
    assert complete_average([2, 4], []) == 3.0
    spark = Sparkline()
    qtbot.addWidget(spark)
    spark.set_values([2, 4, 100], ["a", "b", "c"], QColor("blue"), "#ffffff",
                     [False, False, True])
    assert spark.average == 3.0
    assert spark.mean_line is not None and spark.mean_line.value() == 3.0
    # The solid line stops at the last complete period; the dotted part joins it to the rest.
    solid = spark.curve.getData()[1]  # type: ignore[union-attr]
    dotted = spark.dotted.getData()[1]  # type: ignore[union-attr]
    assert list(solid[:2]) == [2, 4] and solid[2] != solid[2]
    assert list(dotted[1:]) == [4, 100]
    assert spark.text_at(2) == "c (incomplete: left out of the average)"
    assert spark.text_at(1) == "b"


# -- value filters ---------------------------------------------------------------------------------


@pytest.fixture
def categories(qtbot: QtBot) -> MultiSelect:
    m = MultiSelect("category")
    qtbot.addWidget(m)
    m.set_options(tuple(str(1000 + i) for i in range(150)))  # 150 numeric category ids
    return m


def test_the_search_box_narrows_a_long_list(categories: MultiSelect) -> None:
    picker = categories.picker
    assert picker.list.count() == 150 and picker.count.text() == "150 values"
    picker.search.setText("111")
    # 1110 … 1119 and 1111 once: ten values contain "111".
    assert picker.shown() == [str(v) for v in range(1110, 1120)]
    assert picker.count.text() == "10 of 150 shown"
    changes: list[int] = []
    categories.changed.connect(lambda: changes.append(1))
    picker.select_all_shown()
    assert categories.selected == [str(v) for v in range(1110, 1120)]
    assert categories.text() == "10 categories" and changes
    picker.search.setText("1149")
    picker.select_all_shown()  # adds to what is ticked
    assert len(categories.selected) == 11 and categories.value()[-1] == "1149"  # type: ignore[index]
    picker.clear.click()
    assert categories.selected == [] and categories.text() == "All categories"
    assert picker.shown() == ["1149"]  # the search stays while the popup is open


def test_the_picker_works_from_the_keyboard(qtbot: QtBot, categories: MultiSelect) -> None:
    picker = categories.picker
    categories.show()
    picker.show()
    qtbot.keyClicks(picker.search, "1042")
    qtbot.keyClick(picker.search, Qt.Key.Key_Return)  # the only value shown: ticked
    assert categories.selected == ["1042"]
    picker.search.setText("105")
    qtbot.keyClick(picker.search, Qt.Key.Key_Down)
    assert picker.list.currentItem().text() == "1050"
    picker.list.setFocus()
    qtbot.keyClick(picker.list, Qt.Key.Key_Space)
    assert categories.selected == ["1042", "1050"]
    picker.exclude.setChecked(True)
    assert categories.exclude and categories.text() == "Not 2 categories"
    assert categories.summary() == "Category: not 1042, 1050"


# -- folding the filter bar ------------------------------------------------------------------------


def test_a_folded_bar_is_one_line_with_a_summary(qtbot: QtBot) -> None:
    bar = FilterBar()
    qtbot.addWidget(bar)
    bar.resize(618, 200)
    bar.show()
    bar.set_range(dt.date(2026, 3, 2), dt.date(2026, 3, 8))
    bar.dims["device"].set_options(("desktop", "mobile"))
    bar.set_segment("device", "mobile")
    bar.set_compare("year")
    open_height = bar.sizeHint().height()
    bar.fold.click()
    assert bar.collapsed and not bar.flow.isVisible() and bar.summary.isVisible()
    assert bar.summary_text() == ("2026-03-02 … 2026-03-08 · by day · vs same period last year"
                                  " · Device: mobile")
    assert bar.sizeHint().height() <= open_height
    assert bar.sizeHint().height() < 2 * bar.summary.fontMetrics().height() + 16
    bar.fold.click()
    assert not bar.collapsed and bar.flow.isVisible()


def test_the_fold_is_remembered_per_workspace(qtbot: QtBot, tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "ws") as w:
        build_marts(w)
        p = DashboardsPage(w)
        qtbot.addWidget(p)
        qtbot.waitUntil(lambda: p.status is not None and not p.busy, timeout=10_000)
        p.controls.fold.click()
        assert json.loads((w.folder / "dashboards.json").read_text())["collapsed"] is True
        p.pool.waitForDone(10_000)
        again = DashboardsPage(w)
        qtbot.addWidget(again)
        assert again.controls.collapsed
        qtbot.waitUntil(lambda: again.status is not None and not again.busy, timeout=10_000)
        again.pool.waitForDone(10_000)
    with Workspace.open(tmp_path / "other") as other:
        build_marts(other)
        fresh = DashboardsPage(other)
        qtbot.addWidget(fresh)
        assert not fresh.controls.collapsed
        qtbot.waitUntil(lambda: fresh.status is not None and not fresh.busy, timeout=10_000)
        fresh.pool.waitForDone(10_000)


# -- fitting the window ----------------------------------------------------------------------------


def test_long_text_columns_narrow_instead_of_scrolling_sideways(qtbot: QtBot) -> None:
    long = "A product name far longer than the table has room for " * 2
    table = Table.of(["product_id", "name", "category", "views", "revenue"],
                     [(f"p{i}", long, "appliances.environment.water_heater", i, 10.0 * i)
                      for i in range(5)])
    t = DataTable("t", kinds={"views": "count", "revenue": "money"})
    qtbot.addWidget(t)
    t.resize(420, 300)
    t.show()
    t.set_table(table)
    qtbot.waitExposed(t)
    header = t.view.horizontalHeader()
    assert header.length() <= t.view.viewport().width()
    assert not t.view.horizontalScrollBar().isVisible()
    # The numbers keep their width; the texts elide, and read in full on hover.
    m = t.model
    assert m is not None
    assert m.data(m.index(0, 2), Qt.ItemDataRole.ToolTipRole) == "appliances.environment.water_heater"
    t.resize(1600, 300)
    qtbot.waitUntil(lambda: header.sectionSize(2) > 72)  # widened again with the window


def test_the_timing_line_speaks_of_the_tab_on_show(qtbot: QtBot, tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "ws") as w:
        build_marts(w)
        p = DashboardsPage(w)
        qtbot.addWidget(p)
        qtbot.waitUntil(lambda: p.status is not None and not p.busy, timeout=10_000)
        p.load_all()
        qtbot.waitUntil(lambda: not p.busy, timeout=10_000)
        p.tabs.setCurrentWidget(p.tab("Cohorts"))
        assert p.timing.text().startswith("Cohorts: drawn in ")
        p.tabs.setCurrentWidget(p.tab("Overview"))
        assert p.timing.text().startswith("Overview: drawn in ")
        p.pool.waitForDone(10_000)


def test_a_wrapped_chart_title_gets_its_lines_and_gives_them_back(qtbot: QtBot) -> None:
    from shoplytics_desktop.ui.dashboards.plots import TimeChart

    chart = TimeChart("Average order value over the whole range", "money")
    qtbot.addWidget(chart)
    chart.resize(360, 300)
    chart.show()
    qtbot.waitExposed(chart)
    label = chart.title_label
    line = label.fontMetrics().height()
    qtbot.waitUntil(lambda: label.minimumHeight() >= 2 * line)  # two lines beside the buttons
    chart.resize(1400, 300)
    qtbot.waitUntil(lambda: label.minimumHeight() < 2 * line)  # one line again


def test_a_single_day_is_drawn_from_zero_and_a_week_wide(qtbot: QtBot) -> None:
    # One day of 330 users: the value axis runs from 0 (not 329.6 … 330.4) and the time axis
    # spans at least a week (one period is not a bar as wide as the chart).
    import datetime as dt

    from shoplytics_desktop.core.analytics.types import TimeSeries
    from shoplytics_desktop.ui.dashboards.plots import TimeChart

    chart = TimeChart("Active users", "count")
    qtbot.addWidget(chart)
    chart.resize(800, 300)
    chart.show()
    chart.set_series(TimeSeries((dt.date(2019, 10, 1),), {"dau": (330.0,)}), [("dau", "DAU")])
    (x0, x1), (y0, y1) = chart.vb.viewRange()
    assert y0 == 0 and 330 < y1 < 360
    assert x1 - x0 >= 7 * 86400

def test_the_data_page_shows_numbers_in_the_locale_and_copies_them_raw(
        qtbot: QtBot, tmp_path: Path, locale: None) -> None:
    from shoplytics_desktop.ui.table_model import LazyTableModel

    use("de_DE")
    with Workspace.open(tmp_path / "ws") as w:
        w.cursor().execute(
            "CREATE TABLE main.t AS SELECT * FROM (VALUES "
            "(1234567::BIGINT, 1234.5::DECIMAL(12,2), 2053013555631882655::BIGINT, 0.25::DOUBLE), "
            "(8::BIGINT, 0.1::DECIMAL(12,2), 7::BIGINT, 1.5::DOUBLE)"
            ") v(events, revenue, category_id, share)")
        model = LazyTableModel(w, "main", "t")
        model.start()
        qtbot.waitUntil(lambda: model.rowCount() == 2, timeout=5000)
        shown = [[model.data(model.index(r, c)) for c in range(4)] for r in range(2)]
        # One format per column: the double column takes the decimals its values need (2).
        assert shown == [["1.234.567", "1.234,50", "2053013555631882655", "0,25"],
                         ["8", "0,10", "7", "1,50"]]
        assert model.raw_value(model.index(0, 0)) == 1234567  # copies keep the value
        model.stop()
