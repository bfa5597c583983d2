"""The dashboards page: global controls over seven tabs. Only the visible tab queries; the others
are marked stale and query when shown. Queries run on a small pool of their own; each start
bumps a generation counter and results of an older generation are dropped, so the newest filter
always wins. A superseded query is flagged as cancelled rather than interrupted: interrupting
DuckDB would stop every statement on the workspace connection, a pipeline run included, and
every dashboard query reads small marts, so it finishes within milliseconds anyway.

The tab, range, granularity, comparison and filters belong to the workspace: they are saved in
its folder on every change and restored when it opens again (a workspace never seen before
starts from its data's own last 30 days, or all of it when shorter); named views are saved
there too."""

from __future__ import annotations

import time
from typing import Any

import shiboken6
from PySide6.QtCore import Qt, QThreadPool, Signal
from PySide6.QtWidgets import (
    QInputDialog,
    QLabel,
    QSizePolicy,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from shoplytics_desktop.core.analytics import DashboardStatus, Filters, dashboard_status
from shoplytics_desktop.core.catalog import is_missing_relation
from shoplytics_desktop.core.workspace import Workspace
from shoplytics_desktop.ui.dashboards.base import DashboardTab
from shoplytics_desktop.ui.dashboards.behaviour import BehaviourTab
from shoplytics_desktop.ui.dashboards.cohorts import CohortsTab
from shoplytics_desktop.ui.dashboards.controls import FilterBar
from shoplytics_desktop.ui.dashboards.engagement import EngagementTab
from shoplytics_desktop.ui.dashboards.funnel import FunnelTab
from shoplytics_desktop.ui.dashboards.overview import OverviewTab
from shoplytics_desktop.ui.dashboards.products import ProductsTab
from shoplytics_desktop.ui.dashboards.revenue import RevenueTab
from shoplytics_desktop.ui.dashboards.state import load_state, save_state
from shoplytics_desktop.ui.dashboards.style import current_theme
from shoplytics_desktop.ui.errors import show_error
from shoplytics_desktop.ui.workers import Worker

TAB_TYPES: tuple[type[DashboardTab], ...] = (
    OverviewTab, EngagementTab, FunnelTab, RevenueTab, ProductsTab, BehaviourTab, CohortsTab,
)


class DashboardsPage(QWidget):
    #: A tab has its new data: (tab title, milliseconds from request to charts updated; the
    #: paint follows in the event loop — benchmarks/bench_dashboards.py --ui times both).
    drawn = Signal(str, float)
    status_changed = Signal(object)  # DashboardStatus

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws = workspace
        self.status: DashboardStatus | None = None
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(2)
        self._generation = 0
        self._workers: dict[DashboardTab, Worker] = {}
        self._status_pending = False
        self._status_generation = 0
        self._started: dict[DashboardTab, float] = {}
        #: Whether this workspace's saved state has been applied (after its first status).
        self._restored = False
        self.saved: dict[str, Any] = load_state(workspace.folder)

        self.controls = FilterBar()
        self.controls.set_view_names(sorted(self.saved.get("views", {})))
        self.controls.set_collapsed(self.saved.get("collapsed") is True)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.setUsesScrollButtons(True)
        currency = workspace.settings.currency
        self.tab_list: list[DashboardTab] = [cls(currency) for cls in TAB_TYPES]
        for tab in self.tab_list:
            self.tabs.addTab(tab, tab.title)
            tab.drill.connect(self.controls.set_segment)
            tab.requery.connect(lambda t=tab: self._load(t))
            tab.reset_requested.connect(self.controls.reset_filters)

        self.empty = QLabel()
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setStyleSheet(f"color: {current_theme().muted}; font-size: 15px;")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.tabs)
        self.timing = QLabel()
        self.timing.setStyleSheet(f"color: {current_theme().muted};")
        self.timing.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.timing.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.controls)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.timing)

        self.controls.changed.connect(self._filters_changed)
        self.controls.save_view.connect(self._ask_view_name)
        self.controls.view_chosen.connect(self.apply_view)
        self.controls.view_deleted.connect(self.delete_view)
        self.controls.collapsed_changed.connect(self._collapsed_changed)
        self.tabs.currentChanged.connect(self._tab_changed)
        self.show_empty("Loading…")
        self.refresh()

    # -- public ----------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Re-read what the marts hold (options, date bounds), then redraw the visible tab."""
        for tab in self.tab_list:
            tab.dirty = True
        # A counter of its own: a tab query started meanwhile must not orphan this answer.
        self._status_generation += 1
        gen = self._status_generation
        self._status_pending = True
        worker = Worker(dashboard_status, self.ws, pass_reporter=False)
        worker.signals.result.connect(lambda s, g=gen: self._status_ready(g, s))
        worker.signals.error.connect(lambda e, g=gen: self._status_failed(g, e))
        self._status_worker = worker
        worker.start(self.pool)

    def set_workspace(self, ws: Workspace) -> None:
        self._cancel_all()
        self.ws = ws
        self._restored = False
        self.saved = load_state(ws.folder)
        self.controls.set_view_names(sorted(self.saved.get("views", {})))
        self.controls.set_collapsed(self.saved.get("collapsed") is True)
        for tab in self.tab_list:
            tab.set_currency(ws.settings.currency)
            tab.filters = None
            tab.last_result = None
        self.show_empty("Loading…")
        self.refresh()

    def set_currency(self, currency: str) -> None:
        """The workspace currency changed: money is re-read in it and redrawn now."""
        for tab in self.tab_list:
            tab.set_currency(currency)
            tab.dirty = True
        if self.status is not None and self.status.ready and self.tabs.count():
            self._load(self.current_tab)

    # -- saved state and views -------------------------------------------------------------------

    def view_state(self) -> dict[str, Any]:
        return {**self.controls.state(), "tab": self.current_tab.title}

    def apply_view_state(self, state: dict[str, Any]) -> None:
        titles = [t.title for t in self.tab_list]
        if state.get("tab") in titles:
            self.tabs.setCurrentIndex(titles.index(state["tab"]))
        self.controls.apply_state(state)

    def save_state(self) -> None:
        if not self._restored:
            return  # nothing shown yet: keep what was saved
        self.saved["current"] = self.view_state()
        self.saved["version"] = 1
        save_state(self.ws.folder, self.saved)

    def _collapsed_changed(self, on: bool) -> None:
        """Whether the filter bar is folded belongs to the workspace, like its filters."""
        self.saved["collapsed"] = on
        self.saved["version"] = 1
        save_state(self.ws.folder, self.saved)

    def view_names(self) -> list[str]:
        return sorted(self.saved.get("views", {}))

    def save_view(self, name: str) -> None:
        name = name.strip()
        if not name:
            return
        self.saved.setdefault("views", {})[name] = self.view_state()
        self.controls.set_view_names(self.view_names())
        self.save_state()

    def apply_view(self, name: str) -> None:
        state = self.saved.get("views", {}).get(name)
        if isinstance(state, dict):
            self.apply_view_state(state)

    def delete_view(self, name: str) -> None:
        if self.saved.get("views", {}).pop(name, None) is not None:
            self.controls.set_view_names(self.view_names())
            self.save_state()

    def _ask_view_name(self) -> None:
        name, ok = QInputDialog.getText(self, "Save view", "Name of this view (range, "
                                        "granularity, comparison, filters and tab):")
        if ok and name.strip():
            self.save_view(name)

    def filters(self) -> Filters:
        return self.controls.filters()

    @property
    def current_tab(self) -> DashboardTab:
        tab = self.tabs.currentWidget()
        assert isinstance(tab, DashboardTab)
        return tab

    def tab(self, title: str) -> DashboardTab:
        return next(t for t in self.tab_list if t.title == title)

    @property
    def busy(self) -> bool:
        return self._status_pending or bool(self._workers)

    def show_empty(self, reason: str) -> None:
        self.empty.setText(reason)
        self.stack.setCurrentWidget(self.empty)
        # Without marts there are no dates or values to filter by: no filter bar of made-up ones.
        if reason != "Loading…":
            self.controls.hide()

    def load_all(self) -> None:
        """Query every stale tab now (screenshots, tests); normally only the visible one is."""
        for tab in self.tab_list:
            if tab.dirty and tab.filters is not None:
                self._load(tab)

    # -- status ----------------------------------------------------------------------------------

    def _status_ready(self, gen: int, status: DashboardStatus) -> None:
        if not shiboken6.isValid(self) or gen != self._status_generation:
            return
        self._status_pending = False
        self.status = status
        self.status_changed.emit(status)
        if not status.ready:
            self.show_empty(status.reason)
            return
        self.stack.setCurrentWidget(self.tabs)
        self.controls.setVisible(True)
        for tab in self.tab_list:
            tab.set_time_zone(status.time_zone)
            tab.first_day = status.first_day
            if status.currency and status.currency != tab.currency:
                # The marts' money is in the currency of their last run (a changed setting
                # applies at the next run): labels follow what the numbers are in.
                tab.set_currency(status.currency)
                tab.dirty = True
        if self._restored:
            self.controls.set_status(status)  # emits changed → _filters_changed
            return
        # The workspace's first status: its saved state, or its data's own range.
        self.controls.set_status(status, emit=False)
        current = self.saved.get("current")
        self._restored = True
        if isinstance(current, dict):
            self.apply_view_state(current)
        else:
            self.controls.reset_filters()

    def _status_failed(self, gen: int, error: BaseException) -> None:
        if shiboken6.isValid(self) and gen == self._status_generation:
            self._status_pending = False
            self.show_empty(f"The dashboards cannot read the marts: {error}")

    # -- loading ---------------------------------------------------------------------------------

    def _filters_changed(self, f: Filters) -> None:
        for tab in self.tab_list:
            tab.set_filters(f)
        if self.status is not None and self.status.ready:
            self._load(self.current_tab)
        self.save_state()

    def _tab_changed(self) -> None:
        self.save_state()
        tab = self.current_tab
        # The timing line speaks of the tab on show (not of the last one drawn elsewhere).
        self.timing.setText(f"{tab.title}: drawn in {tab.last_ms:.0f} ms"
                            if tab.last_ms is not None else "")
        if tab.dirty and tab.filters is not None and self.status is not None and self.status.ready:
            self._load(tab)

    def _load(self, tab: DashboardTab) -> None:
        if tab.filters is None:
            return
        old = self._workers.pop(tab, None)
        if old is not None:
            old.reporter.cancel()  # superseded: its result will be dropped
        self._generation += 1
        gen = tab.generation = self._generation
        self._started[tab] = time.perf_counter()
        worker = Worker(tab.full_job(tab.filters), self.ws, pass_reporter=False)
        worker.signals.result.connect(lambda r, t=tab, g=gen: self._loaded(t, g, r))
        worker.signals.error.connect(lambda e, t=tab, g=gen: self._failed(t, g, e))
        self._workers[tab] = worker
        worker.start(self.pool)

    def _loaded(self, tab: DashboardTab, gen: int, result: Any) -> None:
        if not shiboken6.isValid(self) or gen != tab.generation:
            return  # a newer request for this tab is under way
        self._workers.pop(tab, None)
        tab.show_result(result)
        ms = (time.perf_counter() - self._started.pop(tab, time.perf_counter())) * 1000
        tab.last_ms = ms
        if tab is self.current_tab:
            self.timing.setText(f"{tab.title}: drawn in {ms:.0f} ms")
        self.drawn.emit(tab.title, ms)

    def _failed(self, tab: DashboardTab, gen: int, error: BaseException) -> None:
        if not shiboken6.isValid(self) or gen != tab.generation:
            return
        self._workers.pop(tab, None)
        if is_missing_relation(error):
            self.show_empty("Run the pipeline (Pipeline ▸ Run, Ctrl+R) to build the marts "
                            "again: one the dashboards read is missing or out of date.")
            return
        show_error(self, error)

    def _cancel_all(self) -> None:
        """Drop whatever is under way: results and errors of these queries are ignored (the
        old workspace may be closed under them)."""
        self._generation += 1
        self._status_generation += 1
        self._status_pending = False
        for tab in self.tab_list:
            tab.generation = -1
        for worker in self._workers.values():
            worker.reporter.cancel()
        self._workers.clear()
