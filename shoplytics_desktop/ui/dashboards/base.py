"""What every dashboard tab shares: the filters it was last asked for, the query job that runs
off the UI thread, the drawing of its result, and a note on the filters that do not apply."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, Signal
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QVBoxLayout, QWidget

from shoplytics_desktop.core.analytics.filters import Filters
from shoplytics_desktop.core.workspace import Workspace
from shoplytics_desktop.ui.dashboards.charts import ChartFrame
from shoplytics_desktop.ui.dashboards.style import current_theme
from shoplytics_desktop.ui.dashboards.tables import DataTable

Job = Callable[[Workspace], Any]


class DashboardTab(QWidget):
    """Subclasses set ``title``, build their charts in ``self.body`` and implement ``job`` and
    ``draw``. ``drill`` asks the page to set a filter: (name, value), e.g. ('category', 'Bags')."""

    title = ""
    uses_segments = True
    uses_category = False
    drill = Signal(str, object)
    #: The tab changed a parameter of its own query (e.g. the funnel's breakdown).
    requery = Signal()

    def __init__(self, currency: str = "USD", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.currency = currency
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
        scroll.setWidget(inner)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

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
                self.draw(self.last_result)

    def set_filters(self, f: Filters) -> None:
        if f != self.filters:
            self.filters = f
            self.dirty = True
        self._update_note(f)

    def _update_note(self, f: Filters) -> None:
        ignored = []
        if not self.uses_segments and f.has_segment_filter:
            ignored.append("device, country and traffic source filters")
        if not self.uses_category and f.category is not None:
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

    def draw(self, result: Any) -> None:
        raise NotImplementedError

    def show_result(self, result: Any) -> None:
        self.last_result = result
        self.dirty = False
        self.draw(result)
