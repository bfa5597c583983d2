"""The global controls of the dashboards: date range (presets relative to the last day with
data), multi-value or exclude filters per dimension, granularity, the comparison line and saved
views. The controls flow onto more lines when the window is narrow. One ``changed`` signal
carries the Filters."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QDate, QEvent, QObject, QSignalBlocker, Qt, Signal
from PySide6.QtGui import QAction, QKeyEvent, QResizeEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
    QWidgetAction,
)

from shoplytics_desktop.core.analytics.filters import (
    COMPARES,
    DIMENSION_LABELS,
    DIMENSIONS,
    GRAINS,
    PRESETS,
    Filters,
    resolve_preset,
)
from shoplytics_desktop.core.analytics.status import DashboardStatus
from shoplytics_desktop.ui.dashboards.flow import FlowLayout
from shoplytics_desktop.ui.dashboards.style import current_theme

ALL = "All"
_PLURAL = {"device": "devices", "country": "countries", "traffic_source": "sources",
           "category": "categories"}


def _qdate(d: dt.date) -> QDate:
    return QDate(d.year, d.month, d.day)


def _pydate(q: QDate) -> dt.date:
    return dt.date(q.year(), q.month(), q.day())


class ValuePicker(QWidget):
    """The popup of a dimension filter: a search box that narrows the list, the values as
    check boxes, "Select all shown", "Clear" and "Exclude these". Keyboard: type to search,
    Down to the list, Space to tick, Enter in the search box ticks the only value shown."""

    def __init__(self, owner: MultiSelect) -> None:
        super().__init__()
        self.owner = owner
        self.search = QLineEdit()
        self.search.setPlaceholderText(f"Search {_PLURAL[owner.name]}…")
        self.search.setClearButtonEnabled(True)
        self.list = QListWidget()
        self.list.setMinimumWidth(220)
        self.list.setUniformItemSizes(True)
        self.count = QLabel()
        self.count.setStyleSheet(f"color: {current_theme().muted};")
        self.all_shown = QPushButton("Select all shown")
        self.clear = QPushButton("Clear")
        self.clear.setToolTip(f"All {_PLURAL[owner.name]} (no filter)")
        self.exclude = QCheckBox("Exclude these")
        self.exclude.setToolTip("Keep everything but the ticked values")
        buttons = QHBoxLayout()
        buttons.addWidget(self.all_shown)
        buttons.addWidget(self.clear)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        for w in (self.search, self.list, self.count):
            layout.addWidget(w)
        layout.addLayout(buttons)
        layout.addWidget(self.exclude)
        self.search.textChanged.connect(self.narrow)
        self.search.returnPressed.connect(self._enter)
        self.search.installEventFilter(self)
        self.list.itemChanged.connect(self._item_changed)
        self.all_shown.clicked.connect(self.select_all_shown)
        self.clear.clicked.connect(lambda: owner.set_values((), False))
        self.exclude.toggled.connect(owner._set_exclude)

    def fill(self, values: list[str], selected: list[str], exclude: bool) -> None:
        chosen = set(selected)
        with QSignalBlocker(self.list), QSignalBlocker(self.exclude):
            self.exclude.setChecked(exclude)
            n = self.list.count()
            if n == len(values) and all(self.list.item(i).text() == v
                                        for i, v in enumerate(values)):
                for i, v in enumerate(values):  # the same values: only the ticks change
                    self.list.item(i).setCheckState(Qt.CheckState.Checked if v in chosen
                                                    else Qt.CheckState.Unchecked)
                return
            # Hidden rows first: clearing a list with thousands of them is quadratic in Qt.
            self.list.clearPropertyFlags()
            self.list.clear()
            for v in values:
                item = QListWidgetItem(v)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Checked if v in chosen
                                   else Qt.CheckState.Unchecked)
                self.list.addItem(item)
        self.narrow(self.search.text())

    def shown(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())
                if not self.list.item(i).isHidden()]

    def narrow(self, text: str) -> None:
        """Show the values containing ``text`` (any case)."""
        needle = text.strip().casefold()
        for i in range(self.list.count()):
            item = self.list.item(i)
            item.setHidden(bool(needle) and needle not in item.text().casefold())
        n, total = len(self.shown()), self.list.count()
        self.count.setText(f"{n} of {total} shown" if needle else f"{total} values")
        self.all_shown.setEnabled(n > 0)

    def select_all_shown(self) -> None:
        picked = list(self.owner.selected)
        have = set(picked)
        picked += [v for v in self.shown() if v not in have]
        self.owner.set_values(picked, self.owner.exclude)

    def _item_changed(self, item: QListWidgetItem) -> None:
        self.owner._toggle(item.text(), item.checkState() == Qt.CheckState.Checked)

    def _enter(self) -> None:
        shown = self.shown()
        if len(shown) == 1:
            item = self.list.findItems(shown[0], Qt.MatchFlag.MatchExactly)[0]
            item.setCheckState(Qt.CheckState.Unchecked if item.checkState() == Qt.CheckState.Checked
                               else Qt.CheckState.Checked)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (watched is self.search and event.type() == QEvent.Type.KeyPress
                and isinstance(event, QKeyEvent) and event.key() == Qt.Key.Key_Down):
            shown = [i for i in range(self.list.count()) if not self.list.item(i).isHidden()]
            if shown:
                self.list.setFocus()
                self.list.setCurrentRow(shown[0])
            return True
        return super().eventFilter(watched, event)


class MultiSelect(QToolButton):
    """A dimension's filter: all values, some of them, or all but some ("Exclude these")."""

    changed = Signal()

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setToolTip(f"{DIMENSION_LABELS[name]} filter: pick one or more values; "
                        "'Exclude these' keeps everything else")
        self.options: tuple[str, ...] = ()
        self.selected: list[str] = []
        self.exclude = False
        self.menu_ = QMenu(self)
        self.picker = ValuePicker(self)
        holder = QWidgetAction(self.menu_)
        holder.setDefaultWidget(self.picker)
        self.menu_.addAction(holder)
        self.menu_.aboutToShow.connect(self._opening)
        self.setMenu(self.menu_)
        self._update_text()

    def _opening(self) -> None:
        self.picker.search.clear()
        self.picker.search.setFocus()

    def set_options(self, values: tuple[str, ...]) -> None:
        self.options = tuple(str(v) for v in values)
        self._rebuild()

    def _rebuild(self) -> None:
        known = set(self.options)
        values = list(self.options) + [v for v in self.selected if v not in known]
        self.picker.fill(values, self.selected, self.exclude)

    def _toggle(self, value: str, on: bool) -> None:
        if on and value not in self.selected:
            self.selected.append(value)
        elif not on and value in self.selected:
            self.selected.remove(value)
        self._update_text()
        self.changed.emit()

    def _set_exclude(self, on: bool) -> None:
        self.exclude = on
        self._update_text()
        if self.selected:
            self.changed.emit()

    def set_values(self, values: tuple[str, ...] | list[str], exclude: bool = False,
                   emit: bool = True) -> None:
        self.selected = [str(v) for v in values]
        self.exclude = exclude
        self._rebuild()
        self._update_text()
        if emit:
            self.changed.emit()

    def value(self) -> str | tuple[str, ...] | None:
        if not self.selected:
            return None
        return self.selected[0] if len(self.selected) == 1 else tuple(self.selected)

    def summary(self) -> str:
        """The filter in a few words ("" when it keeps every value)."""
        if not self.selected:
            return ""
        shown = ", ".join(self.selected[:3]) + (" …" if len(self.selected) > 3 else "")
        return f"{DIMENSION_LABELS[self.name]}: {'not ' if self.exclude else ''}{shown}"

    def _update_text(self) -> None:
        plural = _PLURAL[self.name]
        if not self.selected:
            text = f"All {plural}"
        elif len(self.selected) == 1:
            text = self.selected[0]
        else:
            text = f"{len(self.selected)} {plural}"
        if self.selected and self.exclude:
            text = f"Not {text}"
        self.setText(text)


class FilterBar(QWidget):
    changed = Signal(object)  # Filters
    #: Saved views: ask for a name and save; apply one; delete one.
    save_view = Signal()
    view_chosen = Signal(str)
    view_deleted = Signal(str)
    #: The bar was folded to one line (True) or opened again (False) by the user.
    collapsed_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.first_day = self.last_day = dt.date.today()
        self._make_fold()
        self.preset = QComboBox()
        for key, label in PRESETS.items():
            self.preset.addItem(label, key)
        self.preset.setCurrentIndex(list(PRESETS).index("last_30"))
        self.start = QDateEdit()
        self.end = QDateEdit()
        for edit in (self.start, self.end):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            # Room for the whole date at any scaling ("2026-11-0" was cut off).
            edit.setMinimumWidth(edit.fontMetrics().horizontalAdvance("8888-88-88") + 36)
        self.dims: dict[str, MultiSelect] = {name: MultiSelect(name) for name in DIMENSIONS}
        self.segments = {k: v for k, v in self.dims.items() if k != "category"}
        self.category = self.dims["category"]
        self.category.setToolTip("Category filter (revenue and product views); pick one or more,"
                                 " or exclude some")
        self.grain = QComboBox()
        for g in GRAINS:
            self.grain.addItem(f"By {g}", g)
        self.grain.setToolTip("Granularity of the time charts")
        self.compare_to = QComboBox()
        for key, label in COMPARES.items():
            self.compare_to.addItem(label, key)
        self.compare_to.setToolTip("A dashed line on the time charts, and a line under each KPI "
                                   "card: the previous period of the same length, or the same "
                                   "days 52 weeks earlier")
        self.reset = QPushButton("Reset")
        self.reset.setToolTip("All values, the data's last 30 days (or all of it, if shorter), "
                              "by day")
        self.views = QToolButton()
        self.views.setText("Views")
        self.views.setToolTip("Saved views of this workspace: save the current filters, pick or "
                              "delete one")
        self.views.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.views_menu = QMenu(self.views)
        self.views.setMenu(self.views_menu)
        self.set_view_names([])
        self.compare = QLabel()
        self.compare.setStyleSheet(f"color: {current_theme().muted};")
        for box in (self.preset, self.grain, self.compare_to):
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self._lay_out()
        self._fill_options(DashboardStatus(missing=()))

        self.preset.currentIndexChanged.connect(self._preset_changed)
        self.start.dateChanged.connect(self._dates_edited)
        self.end.dateChanged.connect(self._dates_edited)
        for dim in self.dims.values():
            dim.changed.connect(self._emit)
        for box in (self.grain, self.compare_to):
            box.currentIndexChanged.connect(self._emit)
        self.reset.clicked.connect(self.reset_filters)

    def _make_fold(self) -> None:
        """The fold button and the one-line summary shown in the filters' place when folded."""
        self.collapsed = False
        self.fold = QToolButton()
        self.fold.setAutoRaise(True)
        self.fold.setCheckable(True)
        self.fold.setArrowType(Qt.ArrowType.UpArrow)
        self.fold.setToolTip("Fold the filters to one line (a summary of them shows instead)")
        self.fold.toggled.connect(self._fold_clicked)
        self.summary = QLabel()
        self.summary.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.summary.setVisible(False)

    def _lay_out(self) -> None:
        """The controls flow onto more lines when narrow; the fold button stays at the left."""
        self.flow = QWidget()
        flow = FlowLayout(self.flow, spacing=6)
        flow.setContentsMargins(0, 0, 0, 0)
        for w in (self.preset, self.start, QLabel("…"), self.end, *self.dims.values(),
                  self.grain, self.compare_to, self.reset, self.views, self.compare):
            flow.addWidget(w)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(6)
        layout.addWidget(self.fold, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.flow, 1)
        layout.addWidget(self.summary, 1)

    # -- options ---------------------------------------------------------------------------------

    def _fill_options(self, status: DashboardStatus) -> None:
        self.dims["device"].set_options(status.devices)
        self.dims["country"].set_options(status.countries)
        self.dims["traffic_source"].set_options(status.traffic_sources)
        self.dims["category"].set_options(status.categories)

    def set_status(self, status: DashboardStatus, emit: bool = True) -> None:
        """New options and date bounds (after a pipeline run); keeps what still applies."""
        self._fill_options(status)
        if status.first_day is not None and status.last_day is not None:
            self.first_day, self.last_day = status.first_day, status.last_day
            for edit in (self.start, self.end):
                with QSignalBlocker(edit):
                    edit.setDateRange(_qdate(self.first_day - dt.timedelta(days=3650)),
                                      _qdate(self.last_day + dt.timedelta(days=3650)))
            if emit:
                self._apply_preset()
                return
            key = self.preset.currentData()
            if key != "custom":
                self._set_dates(*resolve_preset(key, self.first_day, self.last_day))
        self._update_compare()
        self._update_summary()

    def set_view_names(self, names: list[str]) -> None:
        menu = self.views_menu
        menu.clear()
        save = QAction("Save current view…", menu)
        save.triggered.connect(self.save_view.emit)
        menu.addAction(save)
        if names:
            menu.addSeparator()
            for name in names:
                action = QAction(name, menu)
                action.triggered.connect(lambda _=False, n=name: self.view_chosen.emit(n))
                menu.addAction(action)
            delete = menu.addMenu("Delete view")
            for name in names:
                action = QAction(name, delete)
                action.triggered.connect(lambda _=False, n=name: self.view_deleted.emit(n))
                delete.addAction(action)

    # -- reading ---------------------------------------------------------------------------------

    def filters(self) -> Filters:
        return Filters(
            start=_pydate(self.start.date()),
            end=_pydate(self.end.date()),
            device=self.dims["device"].value(),
            country=self.dims["country"].value(),
            traffic_source=self.dims["traffic_source"].value(),
            category=self.dims["category"].value(),
            grain=self.grain.currentData() or "day",
            preset=self.preset.currentData(),
            exclude=frozenset(n for n, d in self.dims.items() if d.exclude and d.selected),
            compare=self.compare_to.currentData() or "none",
        )

    def state(self) -> dict[str, Any]:
        """What a saved view or the workspace remembers (JSON-ready)."""
        f = self.filters()
        return {
            "preset": self.preset.currentData(),
            "start": f.start.isoformat(),
            "end": f.end.isoformat(),
            "grain": f.grain,
            "compare": f.compare,
            "filters": {n: {"values": list(d.selected), "exclude": d.exclude}
                        for n, d in self.dims.items() if d.selected},
        }

    def apply_state(self, state: dict[str, Any]) -> None:
        """Restore a state (emits once); unknown or malformed parts fall back to defaults."""
        widgets = [self.preset, self.start, self.end, self.grain, self.compare_to,
                   *self.dims.values()]
        blockers = [QSignalBlocker(w) for w in widgets]
        preset = state.get("preset")
        self.preset.setCurrentIndex(max(self.preset.findData(preset), 0)
                                    if preset in PRESETS else list(PRESETS).index("last_30"))
        self.grain.setCurrentIndex(max(self.grain.findData(state.get("grain")), 0))
        self.compare_to.setCurrentIndex(max(self.compare_to.findData(state.get("compare")), 0))
        dims = state.get("filters") or {}
        for name, dim in self.dims.items():
            entry = dims.get(name) if isinstance(dims, dict) else None
            if isinstance(entry, dict):
                dim.set_values(tuple(str(v) for v in entry.get("values") or ()),
                               bool(entry.get("exclude")), emit=False)
            else:
                dim.set_values((), False, emit=False)
        if self.preset.currentData() == "custom":
            try:
                start = dt.date.fromisoformat(str(state.get("start")))
                end = dt.date.fromisoformat(str(state.get("end")))
                self._set_dates(min(start, end), max(start, end))
            except ValueError:
                self.preset.setCurrentIndex(list(PRESETS).index("last_30"))
        del blockers
        self._apply_preset()

    # -- changing --------------------------------------------------------------------------------

    def _set_dates(self, start: dt.date, end: dt.date) -> None:
        with QSignalBlocker(self.start), QSignalBlocker(self.end):
            self.start.setDate(_qdate(start))
            self.end.setDate(_qdate(end))

    def set_preset(self, key: str) -> None:
        self.preset.setCurrentIndex(list(PRESETS).index(key))

    def set_range(self, start: dt.date, end: dt.date) -> None:
        """A custom range (emits once)."""
        with QSignalBlocker(self.preset):
            self.preset.setCurrentIndex(list(PRESETS).index("custom"))
        self._set_dates(start, end)
        self._emit()

    def set_segment(self, name: str, value: str | None, exclude: bool = False) -> None:
        """Keep only ``value`` of a dimension (None: all values)."""
        dim = self.dims.get(name, self.category)
        dim.set_values(() if value is None else (value,), exclude)

    def set_values(self, name: str, values: tuple[str, ...], exclude: bool = False) -> None:
        self.dims[name].set_values(values, exclude)

    def set_category(self, value: str | None) -> None:
        self.set_segment("category", value)

    def set_grain(self, grain: str) -> None:
        self.grain.setCurrentIndex(max(self.grain.findData(grain), 0))

    def set_compare(self, key: str) -> None:
        self.compare_to.setCurrentIndex(max(self.compare_to.findData(key), 0))

    def reset_filters(self) -> None:
        blockers = [QSignalBlocker(w) for w in (*self.dims.values(), self.grain, self.preset,
                                                self.compare_to)]
        for dim in self.dims.values():
            dim.set_values((), False, emit=False)
        self.grain.setCurrentIndex(0)
        self.compare_to.setCurrentIndex(0)
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
        self._set_dates(*resolve_preset(key, self.first_day, self.last_day))
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
        text = f"{f.days} day{'s' if f.days != 1 else ''}, compared with {p.start:%Y-%m-%d} … {p.end:%Y-%m-%d}"
        self.compare.setText(text)
        self.compare.setToolTip("The KPI changes compare the range with the period of the same "
                                "length just before it: " + text)

    def _emit(self) -> None:
        self._update_compare()
        self._update_summary()
        self.changed.emit(self.filters())

    # -- folding ---------------------------------------------------------------------------------

    def set_collapsed(self, on: bool) -> None:
        """Fold the bar to one line with a summary of the filters, or open it (no signal)."""
        self.collapsed = on
        with QSignalBlocker(self.fold):
            self.fold.setChecked(on)
        self.fold.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.UpArrow)
        self.fold.setToolTip("Show the filters" if on else
                             "Fold the filters to one line (a summary of them shows instead)")
        self.flow.setVisible(not on)
        self.summary.setVisible(on)
        self._update_summary()

    def _fold_clicked(self, on: bool) -> None:
        self.set_collapsed(on)
        self.collapsed_changed.emit(on)

    def summary_text(self) -> str:
        """The filters in one line: range, granularity, comparison and every active filter."""
        f = self.filters()
        preset = self.preset.currentText() if self.preset.currentData() != "custom" else ""
        dates = f"{f.start:%Y-%m-%d} … {f.end:%Y-%m-%d}"
        parts = [f"{preset} ({dates})" if preset else dates, self.grain.currentText().lower()]
        if f.compare != "none":
            parts.append("vs " + self.compare_to.currentText().lower())
        parts += [t for d in self.dims.values() if (t := d.summary())]
        if len(parts) == 2 + (f.compare != "none"):
            parts.append("no filters")
        return " · ".join(parts)

    def _update_summary(self) -> None:
        if not self.collapsed:
            return
        text = self.summary_text()
        self.summary.setToolTip(text)
        width = max(60, self.summary.width())
        self.summary.setText(self.summary.fontMetrics().elidedText(
            text, Qt.TextElideMode.ElideRight, width))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._update_summary()
