"""Engagement: DAU/WAU/MAU (exact distinct users per segment), stickiness, new vs returning
users and sessions per period."""

from __future__ import annotations

from functools import partial

from PySide6.QtWidgets import QHBoxLayout, QWidget

from shoplytics_desktop.core.analytics import Engagement, engagement
from shoplytics_desktop.core.analytics.filters import Filters
from shoplytics_desktop.ui.dashboards.base import DashboardTab, Job
from shoplytics_desktop.ui.dashboards.kpi import KpiRow
from shoplytics_desktop.ui.dashboards.plots import TimeChart


class EngagementTab(DashboardTab):
    title = "Engagement"
    compares = True

    def __init__(self, currency: str = "USD", parent: QWidget | None = None) -> None:
        super().__init__(currency, parent)
        self.kpis = KpiRow(columns=6)
        self.active = TimeChart("Active users (daily; trailing 7 and 30 days)", "count", currency,
                                metric="mau")
        self.stickiness = TimeChart("Stickiness (DAU / MAU)", "rate", currency,
                                    metric="stickiness")
        self.new_returning = TimeChart("New and returning users per day", "count", currency,
                                       metric="new_users")
        self.sessions = TimeChart("Sessions", "count", currency, metric="sessions")
        row = QHBoxLayout()
        row.addWidget(self.stickiness)
        row.addWidget(self.sessions)
        self.body.addWidget(self.kpis)
        self.body.addWidget(self.active, 1)
        self.body.addWidget(self.new_returning, 1)
        self.body.addLayout(row, 1)
        self.charts = [self.active, self.stickiness, self.new_returning, self.sessions]

    def ignore_reason(self) -> str:
        return "users and sessions have no category."

    def job(self, f: Filters) -> Job:
        return partial(engagement, f=f)

    def is_empty_result(self, result: Engagement) -> bool:
        return not any(result.daily["dau"]) and not any(result.sessions["sessions"])

    def draw(self, result: Engagement, compare: Engagement | None = None,
             compare_label: str = "") -> None:
        none = "No activity in this range."
        self.kpis.set_kpis(result.kpis, result.filters, self.currency)
        filling = ("Dotted: MAU (and WAU) windows still filling up in the first 29 (6) days after "
                   "the first event, so stickiness runs high there, or a day still under way; "
                   "averages leave them out.")
        self.active.set_series(result.daily, [("dau", "DAU"), ("wau", "WAU"), ("mau", "MAU")],
                               empty_reason=none, partial_note=filling,
                               compare=compare.daily if compare is not None else None,
                               compare_label=compare_label)
        self.stickiness.set_series(result.daily, [("stickiness", "DAU / MAU")], empty_reason=none,
                                   partial_note=filling)
        self.new_returning.set_series(
            result.daily, [("new_users", "New"), ("returning_users", "Returning")],
            empty_reason=none,
        )
        self.sessions.set_series(result.sessions, [("sessions", "Sessions")], bars=["sessions"],
                                 empty_reason="No sessions in this range.",
                                 compare=compare.sessions if compare is not None else None,
                                 compare_label=compare_label)
