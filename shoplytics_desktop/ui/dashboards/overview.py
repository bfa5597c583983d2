"""Overview: KPI cards with deltas and sparklines, revenue and sessions over time."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from PySide6.QtWidgets import QHBoxLayout, QWidget

from shoplytics_desktop.core.analytics import Overview, overview
from shoplytics_desktop.core.analytics.filters import Filters, periods
from shoplytics_desktop.core.analytics.types import TimeSeries
from shoplytics_desktop.core.workspace import Workspace
from shoplytics_desktop.ui.dashboards.base import DashboardTab, Job
from shoplytics_desktop.ui.dashboards.kpi import KpiRow
from shoplytics_desktop.ui.dashboards.plots import TimeChart


@dataclass(frozen=True)
class OverviewData:
    overview: Overview
    series: TimeSeries

    @property
    def filters(self) -> Filters:
        return self.overview.filters


def _load(ws: Workspace, f: Filters) -> OverviewData:
    ov = overview(ws, f)
    ts = TimeSeries(
        tuple(periods(f)),
        {
            "revenue": ov.kpi("revenue").spark,
            "orders": ov.kpi("orders").spark,
            "sessions": ov.kpi("sessions").spark,
            "conversion": ov.kpi("conversion").spark,
        },
        f.grain,
        partial=ov.partial,
    )
    return OverviewData(ov, ts)


class OverviewTab(DashboardTab):
    title = "Overview"
    uses_category = True
    compares = True

    def __init__(self, currency: str = "USD", parent: QWidget | None = None) -> None:
        super().__init__(currency, parent)
        self.kpis = KpiRow(columns=3)
        self.revenue = TimeChart("Revenue", "money", currency, metric="revenue")
        self.sessions = TimeChart("Sessions", "count", currency, metric="sessions")
        self.conversion = TimeChart("Session conversion", "rate", currency, metric="conversion")
        row = QHBoxLayout()
        row.addWidget(self.sessions)
        row.addWidget(self.conversion)
        self.body.addWidget(self.kpis)
        self.body.addWidget(self.revenue, 1)
        self.body.addLayout(row, 1)
        self.charts = [self.revenue, self.sessions, self.conversion]

    def ignore_reason(self) -> str:
        return ("sessions, session conversion and stickiness have no category (revenue, orders and "
                "AOV follow it).")

    def _update_note(self, f: Filters) -> None:
        super()._update_note(f)
        if f.has_category_filter:
            self.note.setText("Revenue, orders and AOV are for the category "
                              f"'{f.describe_dimension('category')}'; sessions, session conversion "
                              "and stickiness are not.")
            self.note.setVisible(True)

    def job(self, f: Filters) -> Job:
        return partial(_load, f=f)

    def is_empty_result(self, result: OverviewData) -> bool:
        ov = result.overview
        return not ov.kpi("sessions").value and not ov.kpi("orders").value

    def draw(self, result: OverviewData, compare: OverviewData | None = None,
             compare_label: str = "") -> None:
        ov, ts = result.overview, result.series
        f = ov.filters
        other = compare.series if compare is not None else None
        self.kpis.set_kpis(ov.kpis, f, self.currency, ov.partial,
                           compare.overview.kpis if compare is not None else None, compare_label)
        self.set_money_note(ov.currency_note)
        self.revenue.set_series(ts, [("revenue", "Revenue")], bars=["revenue"],
                                empty_reason="No purchases in this range.", compare=other,
                                compare_label=compare_label)
        self.sessions.set_series(ts, [("sessions", "Sessions")], bars=["sessions"],
                                 empty_reason="No sessions in this range.", compare=other,
                                 compare_label=compare_label)
        self.conversion.set_series(ts, [("conversion", "Sessions with a purchase")],
                                   empty_reason="No sessions in this range.", compare=other,
                                   compare_label=compare_label)


