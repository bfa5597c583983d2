"""Funnel: horizontal step bars with counts, step conversion, share of sessions and the drop-off
between steps; a breakdown by a chosen segment (clicking a step picks the step it compares);
funnel completion (sessions reaching the last step, in order) over time. Session conversion
(sessions with any purchase) is the Overview's: the two differ, so neither is called plain
"conversion"."""

from __future__ import annotations

from functools import partial

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QWidget

from shoplytics_desktop.core.analytics import Funnel, funnel
from shoplytics_desktop.core.analytics.filters import SEGMENT_LABELS, SEGMENTS, Filters
from shoplytics_desktop.core.analytics.funnel import STEPS
from shoplytics_desktop.core.analytics.types import Table, ratio, top_n_other
from shoplytics_desktop.ui.dashboards.base import DashboardTab, Job, PairRow
from shoplytics_desktop.ui.dashboards.plots import BarChart, TimeChart
from shoplytics_desktop.ui.dashboards.style import fmt_change, fmt_count, fmt_pct
from shoplytics_desktop.ui.dashboards.tables import DataTable


def step_note(count: int, step_conversion: float | None, overall: float | None) -> str:
    if step_conversion is None:
        return f"{fmt_count(count)}"
    return (f"{fmt_count(count)} · {fmt_pct(step_conversion)} of previous · "
            f"{fmt_pct(1 - step_conversion)} drop-off · {fmt_pct(overall)} of sessions")


class FunnelTab(DashboardTab):
    title = "Funnel"
    compares = True
    #: Breakdown values shown before the rest is summed into "Other".
    TOP_N = 10

    def __init__(self, currency: str = "USD", parent: QWidget | None = None) -> None:
        super().__init__(currency, parent)
        self.breakdown_by = "device"
        self.focus_step = STEPS[-1][1]
        self.summary = QLabel()
        self.summary.setStyleSheet("font-size: 15px;")
        self.summary.setWordWrap(True)
        self.summary.setMinimumWidth(120)
        self.steps = BarChart("Funnel steps (sessions) — click a step to compare it below",
                              "count", currency, horizontal=True, metric="step_conversion")
        self.steps.setMinimumHeight(260)
        self.by = QComboBox()
        for seg in SEGMENTS:
            self.by.addItem(SEGMENT_LABELS[seg], seg)
        self.breakdown_chart = BarChart("Step conversion by segment", "rate", currency,
                                        horizontal=True, metric="step_conversion")
        self.breakdown_table = DataTable(
            "Funnel by segment",
            kinds={**{c: "count" for c, _ in STEPS}, "funnel_completion": "rate"},
            labels={**{c: label for c, label in STEPS}, "funnel_completion": "Funnel completion"},
            currency=currency,
        )
        self.over_time = TimeChart("Funnel completion over time", "rate", currency,
                                   metric="funnel_completion")
        header = QHBoxLayout()
        header.addWidget(self.summary, 1)
        header.addWidget(QLabel("Break down by"))
        header.addWidget(self.by)
        # The by-segment table has a column per step: beside the chart it needs ~1100 px.
        self.breakdown_row = PairRow(self.breakdown_chart, self.breakdown_table, stack_below=1100)
        self.body.addLayout(header)
        self.body.addWidget(self.steps, 1)
        self.body.addWidget(self.breakdown_row, 1)
        self.body.addWidget(self.over_time, 1)
        self.charts = [self.steps, self.breakdown_chart, self.over_time]
        self.by.currentIndexChanged.connect(self._by_changed)
        self.steps.clicked.connect(self.set_focus_step)
        self.breakdown_chart.clicked.connect(lambda v: self.drill.emit(self.breakdown_by, v))

    def ignore_reason(self) -> str:
        return "sessions have no category."

    def _by_changed(self) -> None:
        self.breakdown_by = self.by.currentData()
        self.dirty = True
        self.requery.emit()

    def set_focus_step(self, label: str) -> None:
        self.focus_step = label
        if isinstance(self.last_result, Funnel):
            self._render_breakdown(self.last_result)

    def job(self, f: Filters) -> Job:
        return partial(funnel, f=f, breakdown_by=self.breakdown_by)

    def is_empty_result(self, result: Funnel) -> bool:
        return result.is_empty

    def draw(self, result: Funnel, compare: Funnel | None = None, compare_label: str = "") -> None:
        steps = result.steps
        if result.is_empty:
            self.summary.setText("No sessions in this range.")
        else:
            change = _diff(result.overall, result.previous_overall)
            versus = "" if change is None else " vs previous period"
            self.summary.setText(
                f"Funnel completion <b>{fmt_pct(result.overall, 2)}</b> "
                f"({fmt_change(change, 'rate')}{versus}) · {fmt_count(steps[0].sessions)} sessions"
            )
            self.summary.setToolTip(
                "Funnel completion: sessions that reached every step, in order, out of all "
                "sessions. Session conversion (Overview) counts every session with a purchase, "
                "whatever came before it, so it is higher where people buy without viewing or "
                "carting first.")
        self.steps.set_bars(
            [s.label for s in steps], [("Sessions", [s.sessions for s in steps])],
            result.table(), "No sessions in this range.",
            notes=[step_note(s.sessions, s.step_conversion, s.overall) for s in steps],
            highlight=self.focus_step,
        )
        self._render_breakdown(result)
        self.breakdown_table.set_table(result.breakdown, "No sessions in this range.",
                                       sort_column="sessions")
        self.over_time.set_series(
            result.over_time,
            [("completion", "Funnel completion (every step, in order)"),
             ("view_to_purchase", "Product view → purchase")],
            empty_reason="No sessions in this range.",
            compare=compare.over_time if compare is not None else None,
            compare_label=compare_label,
        )

    def _render_breakdown(self, result: Funnel) -> None:
        labels = [label for _, label in STEPS]
        i = labels.index(self.focus_step) if self.focus_step in labels else len(labels) - 1
        col, prev = STEPS[i][0], STEPS[max(i - 1, 0)][0]
        seg = result.breakdown_by
        t = top_n_other(result.breakdown, seg, self.TOP_N, sums=[c for c, _ in STEPS],
                        ratios={"funnel_completion": (STEPS[-1][0], "sessions")})
        values = [ratio(a, b) for a, b in zip(t.column(col), t.column(prev), strict=True)]
        overall = [ratio(a, b) for a, b in zip(t.column(col), t.column("sessions"), strict=True)]
        title = (f"{labels[i]}: step conversion by {SEGMENT_LABELS[seg].lower()}"
                 if i else f"Sessions by {SEGMENT_LABELS[seg].lower()}")
        self.breakdown_chart.title_label.setText(f"<b>{title}</b> — click to filter")
        self.breakdown_chart.set_kind("rate" if i else "count")
        groups = ([("Step conversion", values), ("Share of sessions", overall)] if i
                  else [("Sessions", t.column("sessions"))])
        data = Table.of([seg, "step_conversion", "share_of_sessions"],
                        list(zip(t.column(seg), values, overall, strict=True)))
        self.breakdown_chart.set_bars([str(v) for v in t.column(seg)], groups, data,
                                      "No sessions in this range.")


def _diff(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b
