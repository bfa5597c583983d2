"""What every dashboard tab shares: the filters it was last asked for, the query job that runs
off the UI thread (with the comparison period's when the time charts compare), the drawing of
its result, a note on the filters that do not apply, and a "the filters hide all data" state
instead of zeros and empty tables."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QFrame,
    QLabel,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from shoplytics_desktop.core.analytics.filters import COMPARES, Filters
from shoplytics_desktop.core.workspace import Workspace
from shoplytics_desktop.ui.dashboards.charts import ChartFrame
from shoplytics_desktop.ui.dashboards.style import current_theme
from shoplytics_desktop.ui.dashboards.tables import DataTable

Job = Callable[[Workspace], Any]


@dataclass(frozen=True)
class Compared:
    """A tab's result and the same query over the comparison period."""

    result: Any
    other: Any
    label: str

    @property
    def filters(self) -> Filters:
        return self.result.filters


def compared_job(main: Job, other: Job | None, label: str) -> Job:
    if other is None:
        return main

    def run(ws: Workspace) -> Compared:
        return Compared(main(ws), other(ws), label)

    return run


class PairRow(QWidget):
    """Two panels side by side, stacked one above the other when the row is narrower than
    ``stack_below`` pixels (a wide table beside a chart would otherwise scroll sideways)."""

    def __init__(self, left: QWidget, right: QWidget, stack_below: int) -> None:
        super().__init__()
        self.stack_below = stack_below
        self.box = QBoxLayout(QBoxLayout.Direction.LeftToRight, self)
        self.box.setContentsMargins(0, 0, 0, 0)
        self.box.addWidget(left, 1)
        self.box.addWidget(right, 1)

    @property
    def stacked(self) -> bool:
        return self.box.direction() == QBoxLayout.Direction.TopToBottom

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        # Stacking changes the height only, so the width that decided it stays the same.
        want = (QBoxLayout.Direction.TopToBottom if event.size().width() < self.stack_below
                else QBoxLayout.Direction.LeftToRight)
        if self.box.direction() != want:
            self.box.setDirection(want)


class DashboardTab(QWidget):
    """Subclasses set ``title``, build their charts in ``self.body`` and implement ``job`` and
    ``draw``. ``drill`` asks the page to set a filter: (name, value), e.g. ('category', 'Bags')."""

    title = ""
    uses_segments = True
    uses_category = False
    #: Whether the tab's time charts draw the comparison period.
    compares = False
    drill = Signal(str, object)
    #: The tab changed a parameter of its own query (e.g. the funnel's breakdown).
    requery = Signal()
    #: The user asked to clear the filters (from the "filters hide all data" state).
    reset_requested = Signal()

    def __init__(self, currency: str = "USD", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.currency = currency
        #: The data's first day (from the dashboards' status): a comparison period wholly
        #: before it has no data to compare with.
        self.first_day: dt.date | None = None
        self.filters: Filters | None = None
        self.dirty = True
        self.generation = 0
        self.last_result: Any = None
        self.last_ms: float | None = None
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setStyleSheet(f"color: {current_theme().muted};")
        self.note.setVisible(False)
        # Money is shown in the workspace currency: this says what other currencies hold.
        self.money_note = QLabel()
        self.money_note.setWordWrap(True)
        self.money_note.setStyleSheet(f"color: {current_theme().muted};")
        self.money_note.setVisible(False)
        inner = QWidget()
        self.body = QVBoxLayout(inner)
        self.body.setContentsMargins(6, 6, 6, 6)
        self.body.setSpacing(8)
        self.body.addWidget(self.note)
        self.body.addWidget(self.money_note)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(inner)
        self.scroll_area = scroll
        self.hidden_by_filters = QWidget()
        self.hidden_label = QLabel()
        self.hidden_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hidden_label.setWordWrap(True)
        self.hidden_label.setStyleSheet("font-size: 15px;")
        self.reset_button = QPushButton("Reset filters")
        self.reset_button.clicked.connect(self.reset_requested.emit)
        hidden = QVBoxLayout(self.hidden_by_filters)
        hidden.addStretch(1)
        hidden.addWidget(self.hidden_label)
        hidden.addWidget(self.reset_button, 0, Qt.AlignmentFlag.AlignHCenter)
        hidden.addStretch(2)
        self.stack = QStackedWidget()
        self.stack.addWidget(scroll)
        self.stack.addWidget(self.hidden_by_filters)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.stack)

    def set_money_note(self, text: str) -> None:
        self.money_note.setText(text)
        self.money_note.setVisible(bool(text))

    def charts_and_tables(self) -> list[QWidget]:
        return [*getattr(self, "charts", []), *self.findChildren(DataTable)]

    def set_time_zone(self, zone: str) -> None:
        """The reporting time zone the marts' days and hours are in (for tabs that name it)."""

    def set_currency(self, currency: str) -> None:
        self.currency = currency
        for w in self.charts_and_tables():
            if isinstance(w, ChartFrame):
                w.set_currency(currency)
            elif isinstance(w, DataTable):
                w.currency = currency

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self.note.setStyleSheet(f"color: {current_theme().muted};")
            self.money_note.setStyleSheet(f"color: {current_theme().muted};")
            for chart in getattr(self, "charts", []):
                chart.refresh_theme()
            if self.last_result is not None:
                self.show_result(self.last_result)

    def set_filters(self, f: Filters) -> None:
        if f != self.filters:
            self.filters = f
            self.dirty = True
        self._update_note(f)

    def _update_note(self, f: Filters) -> None:
        ignored = []
        if not self.uses_segments and f.has_segment_filter:
            ignored.append("device, country and traffic source filters")
        if not self.uses_category and f.has_category_filter:
            ignored.append("the category filter")
        self.note.setText(
            ("This tab ignores " + " and ".join(ignored) + ": " + self.ignore_reason())
            if ignored else ""
        )
        self.note.setVisible(bool(ignored))

    def ignore_reason(self) -> str:
        return "its mart has no such columns."

    def job(self, f: Filters) -> Job:
        raise NotImplementedError

    def full_job(self, f: Filters) -> Job:
        """The tab's query, and the comparison period's when its time charts compare."""
        other = f.compared() if self.compares else None
        return compared_job(self.job(f), self.job(other) if other else None,
                            COMPARES.get(f.compare, "").lower())

    def draw(self, result: Any, compare: Any = None, compare_label: str = "") -> None:
        raise NotImplementedError

    def is_empty_result(self, result: Any) -> bool:
        """Whether the result holds no data at all (subclasses say how to tell)."""
        return False

    @property
    def filters_hide_all(self) -> bool:
        return self.stack.currentWidget() is self.hidden_by_filters

    def show_result(self, result: Any) -> None:
        self.last_result = result
        self.dirty = False
        main, other, label = ((result.result, result.other, result.label)
                              if isinstance(result, Compared) else (result, None, ""))
        f: Filters = main.filters
        compared = f.compared() if other is not None else None
        if compared is not None and self.first_day is not None and compared.end < self.first_day:
            # Nothing to compare with (the data starts later): say so, rather than draw zeros.
            other, label = None, f"{label}: no data"
        filtered = ((self.uses_segments and f.has_segment_filter)
                    or (self.uses_category and f.has_category_filter))
        if filtered and self.is_empty_result(main):
            self.hidden_label.setText(
                f"The filters hide all data in this range ({f.describe()}).")
            self.stack.setCurrentWidget(self.hidden_by_filters)
            return
        self.stack.setCurrentWidget(self.scroll_area)
        context = f.describe() + (f"; dashed: {label}" if other is not None
                                  else f"; {label}" if label else "")
        for chart in getattr(self, "charts", []):
            chart.context = context
        self.draw(main, other, label)
