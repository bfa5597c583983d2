"""The global controls of the dashboards: date range (presets relative to the last day with
data), segment filters, category and granularity. One ``changed`` signal carries the Filters."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, QSignalBlocker, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QWidget,
)

from shoplytics_desktop.core.analytics.filters import (
    GRAINS,
    PRESETS,
    SEGMENT_LABELS,
    SEGMENTS,
    Filters,
    resolve_preset,
)
from shoplytics_desktop.core.analytics.status import DashboardStatus
from shoplytics_desktop.ui.dashboards.style import current_theme

ALL = "All"


def _qdate(d: dt.date) -> QDate:
    return QDate(d.year, d.month, d.day)


def _pydate(q: QDate) -> dt.date:
    return dt.date(q.year(), q.month(), q.day())


class FilterBar(QWidget):
    changed = Signal(object)  # Filters

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.first_day = self.last_day = dt.date.today()
        self.preset = QComboBox()
        for key, label in PRESETS.items():
            self.preset.addItem(label, key)
        self.preset.setCurrentIndex(list(PRESETS).index("last_30"))
        self.start = QDateEdit()
        self.end = QDateEdit()
        for edit in (self.start, self.end):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.segments: dict[str, QComboBox] = {}
        for seg in SEGMENTS:
            box = QComboBox()
            box.setToolTip(f"{SEGMENT_LABELS[seg]} filter")
            box.setMinimumContentsLength(8)
            self.segments[seg] = box
        self.category = QComboBox()
        self.category.setToolTip("Category filter (revenue and product views)")
        self.category.setMinimumContentsLength(8)
        self.grain = QComboBox()
        for g in GRAINS:
            self.grain.addItem(g.capitalize(), g)
        self.grain.setToolTip("Granularity of the time charts")
        self.reset = QPushButton("Reset")
        self.reset.setToolTip("All segments and categories, last 30 days, by day")
        self.compare = QLabel()
        self.compare.setStyleSheet(f"color: {current_theme().muted};")
        # The comparison note gives way first when the window is narrow; the controls do not.
        self.compare.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        for box in (self.preset, *self.segments.values(), self.category, self.grain):
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.preset)
        layout.addWidget(self.start)
        layout.addWidget(QLabel("…"))
        layout.addWidget(self.end)
        layout.addSpacing(12)
        for seg in SEGMENTS:
            layout.addWidget(self.segments[seg])
        layout.addWidget(self.category)
        layout.addSpacing(12)
        layout.addWidget(self.grain)
        layout.addWidget(self.reset)
        layout.addWidget(self.compare, 1)
        self._fill_options(DashboardStatus(missing=()))

        self.preset.currentIndexChanged.connect(self._preset_changed)
        self.start.dateChanged.connect(self._dates_edited)
        self.end.dateChanged.connect(self._dates_edited)
        for box in [*self.segments.values(), self.category, self.grain]:
            box.currentIndexChanged.connect(self._emit)
        self.reset.clicked.connect(self.reset_filters)

    # -- options ---------------------------------------------------------------------------------

    def _fill_options(self, status: DashboardStatus) -> None:
        def fill(box: QComboBox, all_label: str, values: tuple[str, ...]) -> None:
            current = box.currentData()
            with QSignalBlocker(box):
                box.clear()
                box.addItem(all_label, None)
                for v in values:
                    box.addItem(v, v)
                i = box.findData(current) if current is not None else 0
                box.setCurrentIndex(max(i, 0))

        fill(self.segments["device"], "All devices", status.devices)
        fill(self.segments["country"], "All countries", status.countries)
        fill(self.segments["traffic_source"], "All sources", status.traffic_sources)
        fill(self.category, "All categories", status.categories)

    def set_status(self, status: DashboardStatus) -> None:
        """New options and date bounds (after a pipeline run); keeps what still applies."""
        self._fill_options(status)
        if status.first_day is not None and status.last_day is not None:
            self.first_day, self.last_day = status.first_day, status.last_day
            for edit in (self.start, self.end):
                with QSignalBlocker(edit):
                    edit.setDateRange(_qdate(self.first_day - dt.timedelta(days=3650)),
                                      _qdate(self.last_day + dt.timedelta(days=3650)))
            self._apply_preset()
        self._update_compare()

    # -- reading ---------------------------------------------------------------------------------

    def filters(self) -> Filters:
        return Filters(
            start=_pydate(self.start.date()),
            end=_pydate(self.end.date()),
            device=self.segments["device"].currentData(),
            country=self.segments["country"].currentData(),
            traffic_source=self.segments["traffic_source"].currentData(),
            category=self.category.currentData(),
            grain=self.grain.currentData() or "day",
            preset=self.preset.currentData(),
        )

    # -- changing --------------------------------------------------------------------------------

    def set_preset(self, key: str) -> None:
        self.preset.setCurrentIndex(list(PRESETS).index(key))

    def set_range(self, start: dt.date, end: dt.date) -> None:
        """A custom range (emits once)."""
        with QSignalBlocker(self.preset), QSignalBlocker(self.start), QSignalBlocker(self.end):
            self.preset.setCurrentIndex(list(PRESETS).index("custom"))
            self.start.setDate(_qdate(start))
            self.end.setDate(_qdate(end))
        self._emit()

    def set_segment(self, name: str, value: str | None) -> None:
        box = self.segments.get(name, self.category)
        i = box.findData(value) if value is not None else 0
        if i < 0:
            box.addItem(str(value), value)
            i = box.count() - 1
        box.setCurrentIndex(i)

    def set_category(self, value: str | None) -> None:
        self.set_segment("category", value)

    def set_grain(self, grain: str) -> None:
        self.grain.setCurrentIndex(max(self.grain.findData(grain), 0))

    def reset_filters(self) -> None:
        blockers = [QSignalBlocker(w) for w in (*self.segments.values(), self.category, self.grain,
                                                self.preset)]
        for box in [*self.segments.values(), self.category, self.grain]:
            box.setCurrentIndex(0)
        self.preset.setCurrentIndex(list(PRESETS).index("last_30"))
        del blockers
        self._apply_preset()

    def _preset_changed(self) -> None:
        if self.preset.currentData() != "custom":
            self._apply_preset()

    def _apply_preset(self) -> None:
        key = self.preset.currentData()
        if key == "custom":
            self._emit()
            return
        start, end = resolve_preset(key, self.first_day, self.last_day)
        with QSignalBlocker(self.start), QSignalBlocker(self.end):
            self.start.setDate(_qdate(start))
            self.end.setDate(_qdate(end))
        self._emit()

    def _dates_edited(self) -> None:
        with QSignalBlocker(self.preset):
            self.preset.setCurrentIndex(list(PRESETS).index("custom"))
        if self.start.date() > self.end.date():
            return  # mid-edit; wait for a valid range
        self._emit()

    def _update_compare(self) -> None:
        f = self.filters()
        p = f.previous()
        text = f"{f.days} days, compared with {p.start:%Y-%m-%d} … {p.end:%Y-%m-%d}"
        self.compare.setText(text)
        self.compare.setToolTip(text)

    def _emit(self) -> None:
        self._update_compare()
        self.changed.emit(self.filters())
