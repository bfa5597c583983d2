"""Drill-through from the dashboards to the rows behind a figure, shown on the Data page.

The dashboards stay as they are: this adds context-menu items to the period charts (a right
click on a bar: the rows of that period) and to the KPI cards (the rows of the whole range),
opens the rows behind a category or product bar on a double click (a single click still
filters) and behind a cell of the weekday × hour heatmap on a click, and emits
``requested(title, sql)`` with the query ``core.drill`` writes for the figure. It reaches the
dashboards only through ``tab(title)``, a tab's ``filters`` and its charts' ``periods``,
``grain``, ``labels``, ``table``, ``index_at`` and signals; a chart or tab it does not find is
left alone.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QObject, QPoint, QPointF, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QWidget

from shoplytics_desktop.core.analytics.periods import period_end
from shoplytics_desktop.core.drill import DrillRequest, drill_query, kind_of

log = logging.getLogger(__name__)

#: (tab title, chart attribute) → the metric its bars show.
CHARTS = {
    ("Overview", "revenue"): "revenue",
    ("Overview", "sessions"): "sessions",
    ("Revenue", "revenue"): "revenue",
    ("Revenue", "orders"): "orders",
}
#: (tab title, bar chart attribute) → (the metric its bars show, what a bar is: a category
#: named by its label, or a product named by the ``product_id`` column of the chart's table).
BARS = {
    ("Revenue", "categories"): ("revenue", "category"),
    ("Revenue", "top_chart"): ("revenue", "product"),
    ("Products", "rates"): ("events", "category"),
}
#: (tab title, heatmap attribute): rows are weekdays (Monday first), columns hours.
HEATMAPS = (("Behaviour", "heatmap"),)
#: Tabs whose KPI cards (attribute ``kpis``) drill through.
KPI_TABS = ("Overview", "Revenue", "Engagement")
ACTION_TEXT = {"orders": "Show the orders behind this", "sessions": "Show the sessions behind this",
               "events": "Show the events behind this"}


def request_for(filters: Any, metric: str, label: str, start: dt.date | None = None,
                end: dt.date | None = None) -> DrillRequest:
    """The figure ``metric`` under the dashboard's filters, over [start, end] within them."""
    lo = max(start, filters.start) if start else filters.start
    hi = min(end, filters.end) if end else filters.end
    return DrillRequest(metric, lo, hi, device=filters.device, country=filters.country,
                        traffic_source=filters.traffic_source, category=filters.category,
                        label=label, exclude=frozenset(getattr(filters, "exclude", ())))


class DrillThrough(QObject):
    requested = Signal(str, str)  # title, sql

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._hover: dict[int, float] = {}

    def attach(self, page: Any) -> None:
        for (tab_title, attr), metric in CHARTS.items():
            tab = _tab(page, tab_title)
            chart = getattr(tab, attr, None) if tab is not None else None
            if chart is not None and hasattr(chart, "index_at") and hasattr(chart, "plot"):
                self._attach_chart(tab, chart, metric)
        for tab_title in KPI_TABS:
            tab = _tab(page, tab_title)
            row = getattr(tab, "kpis", None) if tab is not None else None
            if isinstance(row, QWidget) and hasattr(row, "cards"):
                self._attach_kpis(tab, row)
        for (tab_title, attr), (metric, what) in BARS.items():
            tab = _tab(page, tab_title)
            chart = getattr(tab, attr, None) if tab is not None else None
            if chart is not None and hasattr(chart, "activated"):
                chart.drill_hint = f"Double-click: the {kind_of(metric)} behind this bar"
                chart.activated.connect(
                    lambda i, t=tab, c=chart, m=metric, w=what: self.drill_bar(t, c, m, w, i))
        for tab_title, attr in HEATMAPS:
            tab = _tab(page, tab_title)
            chart = getattr(tab, attr, None) if tab is not None else None
            if chart is not None and hasattr(chart, "cell_clicked"):
                chart.drill_hint = "Click: the events of this weekday and hour"
                chart.cell_clicked.connect(
                    lambda r, c, t=tab: self.drill_cell(t, weekday=r + 1, hour=c))

    # -- period charts -------------------------------------------------------------------------

    def _attach_chart(self, tab: Any, chart: Any, metric: str) -> None:
        action = QAction(ACTION_TEXT[kind_of(metric)] + " (the period under the mouse)", chart.plot)
        action.triggered.connect(lambda: self.drill_chart(tab, chart, metric))
        chart.plot.addAction(action)
        # A right click comes where the mouse last moved: remember the x there.
        chart.plot.scene().sigMouseMoved.connect(
            lambda pos, c=chart: self._hover.__setitem__(id(c), c.vb.mapSceneToView(pos).x()))

    def drill_chart(self, tab: Any, chart: Any, metric: str, x: float | None = None) -> bool:
        """Ask for the rows of the period at ``x`` (view coordinates; default: under the
        mouse). False when there is no bar there."""
        x = self._hover.get(id(chart)) if x is None else x
        filters = getattr(tab, "filters", None)
        if x is None or filters is None or getattr(chart, "is_empty", False):
            return False
        i = chart.index_at(x)
        if i is None:
            return False
        start = chart.periods[i]
        label = str(getattr(chart, "title", metric))
        req = request_for(filters, metric, label, start, period_end(start, chart.grain))
        q = drill_query(req)
        self.requested.emit(q.title, q.sql)
        return True

    # -- category and product bars, heatmap cells ---------------------------------------------

    def drill_bar(self, tab: Any, chart: Any, metric: str, what: str, i: int) -> bool:
        """Ask for the rows behind bar ``i``: a category's or a product's, over the range. The
        "Other" bar of the top-N charts stands for many: nothing to open."""
        filters = getattr(tab, "filters", None)
        labels = list(getattr(chart, "labels", []))
        if filters is None or not 0 <= i < len(labels) or str(labels[i]).startswith("Other ("):
            return False
        req = request_for(filters, metric, str(labels[i]))
        if not getattr(tab, "uses_segments", True):  # the tab's figures ignore the segments
            req = replace(req, device=None, country=None, traffic_source=None,
                          exclude=req.exclude & {"category"})
        if what == "product":
            table = getattr(chart, "table", None)
            ids = list(table.column("product_id")) if table is not None else []
            if i >= len(ids) or ids[i] is None:
                return False
            req = replace(req, product_id=str(ids[i]), label=f"product {labels[i]}")
        else:
            # The bar's category (replacing a category filter: the bar is one of the values the
            # filter keeps).
            req = replace(req, category=str(labels[i]),
                          exclude=req.exclude - {"category"}, label=f"category {labels[i]}")
        q = drill_query(req)
        self.requested.emit(q.title, q.sql)
        return True

    def drill_cell(self, tab: Any, weekday: int, hour: int) -> bool:
        """Ask for the events of one heatmap cell: a weekday (1 = Monday) and an hour."""
        filters = getattr(tab, "filters", None)
        if filters is None:
            return False
        req = replace(request_for(filters, "events", "activity", None, None), category=None,
                      exclude=frozenset(getattr(filters, "exclude", ())) - {"category"},
                      weekday=weekday, hour=hour)
        q = drill_query(req)
        self.requested.emit(q.title, q.sql)
        return True

    # -- KPI cards -----------------------------------------------------------------------------

    def _attach_kpis(self, tab: Any, row: QWidget) -> None:
        row.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        row.customContextMenuRequested.connect(lambda pos: self._kpi_menu(tab, row, pos))

    def _kpi_menu(self, tab: Any, row: Any, pos: QPoint) -> None:
        key = card_key_at(row, pos)
        if key is None:
            return
        menu = QMenu(row)
        action = menu.addAction(ACTION_TEXT[kind_of(key)])
        action.triggered.connect(lambda: self.drill_kpi(tab, key))
        menu.popup(row.mapToGlobal(pos))
        self._menu = menu  # kept while it shows

    def drill_kpi(self, tab: Any, key: str) -> bool:
        filters = getattr(tab, "filters", None)
        row = getattr(tab, "kpis", None)
        card = getattr(row, "cards", {}).get(key)
        if filters is None or card is None:
            return False
        label = card.label.text() if hasattr(card, "label") else key
        req = request_for(filters, key, label)
        if not getattr(tab, "uses_category", True):  # the tab's figures ignore the category
            req = replace(req, category=None, exclude=req.exclude - {"category"})
        q = drill_query(req)
        self.requested.emit(q.title, q.sql)
        return True


def card_key_at(row: Any, pos: QPoint | QPointF) -> str | None:
    """The key of the KPI card at ``pos`` (the row's coordinates), or None."""
    child = row.childAt(pos.toPoint() if isinstance(pos, QPointF) else pos)
    cards = {id(card): key for key, card in getattr(row, "cards", {}).items()}
    while child is not None and child is not row:
        if id(child) in cards:
            return cards[id(child)]
        child = child.parentWidget()
    return None


def _tab(page: Any, title: str) -> Any:
    try:
        return page.tab(title)
    except (StopIteration, AttributeError, KeyError):
        log.info("no dashboard tab %r to drill through from", title)
        return None
