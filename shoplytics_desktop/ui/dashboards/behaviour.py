"""Behaviour: session duration distribution (log-scale bins), time to first purchase and the
hour-of-day × weekday activity heatmap (in the reporting time zone)."""

from __future__ import annotations

from functools import partial

from PySide6.QtWidgets import QHBoxLayout, QWidget

from shoplytics_desktop.core.analytics import Behaviour, behaviour
from shoplytics_desktop.core.analytics.behaviour import WEEKDAYS, duration_tick
from shoplytics_desktop.core.analytics.filters import Filters
from shoplytics_desktop.ui.dashboards.base import DashboardTab, Job
from shoplytics_desktop.ui.dashboards.heatmap import HeatmapChart
from shoplytics_desktop.ui.dashboards.plots import BarChart
from shoplytics_desktop.ui.dashboards.style import compact, fmt_count, fmt_pct
from shoplytics_desktop.ui.numbers import number_locale


class BehaviourTab(DashboardTab):
    title = "Behaviour"

    def __init__(self, currency: str = "USD", parent: QWidget | None = None) -> None:
        super().__init__(currency, parent)
        self.durations = BarChart("Session duration (sessions per log-scale bin)", "count",
                                  currency, metric="session_duration")
        self.time_to_purchase = BarChart(
            "Time to first purchase (buyers whose first purchase is in the range)", "count",
            currency, metric="time_to_first_purchase")
        self.time_zone = "UTC"
        self.heatmap = HeatmapChart(_heatmap_title(self.time_zone))
        self.heatmap.set_metric("events")
        self.heatmap.setMinimumHeight(300)
        row = QHBoxLayout()
        row.addWidget(self.durations)
        row.addWidget(self.time_to_purchase)
        self.body.addLayout(row, 1)
        self.body.addWidget(self.heatmap, 1)
        self.charts = [self.durations, self.time_to_purchase, self.heatmap]

    def set_time_zone(self, zone: str) -> None:
        self.time_zone = zone
        self.heatmap.title = _heatmap_title(zone)
        self.heatmap.title_label.setText(f"<b>{self.heatmap.title}</b>")
        self.heatmap.fit_title()

    def ignore_reason(self) -> str:
        return "sessions and activity have no category."

    def job(self, f: Filters) -> Job:
        return partial(behaviour, f=f)

    def is_empty_result(self, result: Behaviour) -> bool:
        return not any(result.durations.column("sessions")) and not any(map(any, result.heatmap))

    def draw(self, result: Behaviour, compare: object = None, compare_label: str = "") -> None:
        d = result.durations
        median = result.median_duration_bin
        self.durations.set_bars(
            d.column("duration"), [("Sessions", d.column("sessions"))], d,
            "No sessions in this range.",
            highlight=d.column("duration")[median] if median is not None else None,
            ticks=[_local(duration_tick(k)) for k in d.column("bin")],
        )
        if median is not None:
            self.durations.title_label.setText(
                "<b>Session duration</b> (median in the highlighted bin)")
            self.durations.fit_title()
        t = result.time_to_purchase
        self.time_to_purchase.set_bars(
            t.column("time_to_first_purchase"), [("Buyers", t.column("buyers"))], t,
            "No first purchases in this range.",
        )
        total = sum(sum(r) for r in result.heatmap)
        self.heatmap.fmt = compact
        self.heatmap.set_matrix(
            result.heatmap, list(WEEKDAYS), [f"{h:02d}" for h in range(24)],
            result.heatmap_table, compact, "No events in this range.",
            extra=lambda r, c: (f"{fmt_pct(result.heatmap[r][c] / total)} of events"
                                if total else ""),
            col_title=f"hour ({self.time_zone})", labels=False,
        )
        self.heatmap.fmt = fmt_count


def _local(text: str) -> str:
    """A short duration ("2.1m") with the locale's decimal separator ("2,1m" in German)."""
    return text.replace(".", number_locale().decimalPoint())


def _heatmap_title(zone: str) -> str:
    return f"Activity by hour of day ({zone}) and weekday (events)"
