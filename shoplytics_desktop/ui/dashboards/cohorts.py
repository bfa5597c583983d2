"""Cohorts: weekly retention heatmap (cohort rows with their sizes, week-number columns,
percentage labels) and the average retention curve."""

from __future__ import annotations

from functools import partial

from PySide6.QtWidgets import QWidget

from shoplytics_desktop.core.analytics import Cohorts, cohorts
from shoplytics_desktop.core.analytics.filters import Filters
from shoplytics_desktop.core.analytics.types import Table
from shoplytics_desktop.ui.dashboards.base import DashboardTab, Job
from shoplytics_desktop.ui.dashboards.heatmap import HeatmapChart
from shoplytics_desktop.ui.dashboards.plots import BarChart
from shoplytics_desktop.ui.dashboards.style import fmt_count, fmt_pct


class CohortsTab(DashboardTab):
    title = "Cohorts"
    uses_segments = False

    def __init__(self, currency: str = "USD", parent: QWidget | None = None) -> None:
        super().__init__(currency, parent)
        self.heatmap = HeatmapChart("Weekly retention (the cohort weeks the range touches)")
        self.heatmap.set_metric("retention")
        self.heatmap.setMinimumHeight(420)
        self.curve = BarChart("Average retention by week number (weighted by cohort size)",
                              "rate", currency, line=True, metric="retention")
        self.body.addWidget(self.heatmap, 2)
        self.body.addWidget(self.curve, 1)
        self.charts = [self.heatmap, self.curve]

    def ignore_reason(self) -> str:
        return "fct_cohort_retention has no segment or category columns."

    def job(self, f: Filters) -> Job:
        return partial(cohorts, f=f)

    def draw(self, result: Cohorts, compare: object = None, compare_label: str = "") -> None:
        none = ("No cohort in this range (cohorts are the weeks of users' first events)."
                if not result.cohort_weeks else
                "No cohort week is over yet: the average leaves weeks still under way out.")
        rows = [f"{w:%Y-%m-%d}  n={fmt_count(s)}" for w, s in
                zip(result.cohort_weeks, result.sizes, strict=True)]
        cols = [f"W{n}" for n in range(result.weeks)]

        def extra(r: int, c: int) -> str:
            a = result.active[r][c]
            return f"{fmt_count(a)} of {fmt_count(result.sizes[r])} users" if a is not None else ""

        self.heatmap.set_matrix(
            result.retention, rows, cols, result.table(), lambda v: fmt_pct(v, 0), none,
            extra=extra, row_title="cohort week", col_title="weeks since first event",
            vmax=_later_weeks_max(result), partial=result.partial,
            partial_note="Hatched: the week is not over yet (the data ends inside it); the "
                         "average curve leaves such weeks out.",
        )
        curve = Table.of(["week_number", "retention"], list(enumerate(result.curve)))
        self.curve.set_bars(cols, [("Retention", result.curve)], curve, none)


def _later_weeks_max(result: Cohorts) -> float | None:
    """Colour by weeks 1+ (week 0 is always 100% and would flatten every other cell)."""
    later = [v for row in result.retention for v in row[1:] if v is not None]
    return max(later) if later and max(later) > 0 else None
