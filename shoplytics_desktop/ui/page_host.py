"""Creates the pages on first use and subscribes them to the window's ``AppState``.

Pages are built lazily so the window paints before the heavier modules (sqlglot, pyqtgraph,
polars) are imported. A page follows the open workspace by listening to
``AppState.workspace_changed`` from the moment it is made; the dashboards, which need a
workspace to exist, are swapped for a placeholder when there is none.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Protocol, cast

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QStackedWidget, QVBoxLayout, QWidget

from shoplytics_desktop.core.workspace import Workspace
from shoplytics_desktop.ui import app_settings
from shoplytics_desktop.ui.app_state import AppState
from shoplytics_desktop.ui.project_state import ProjectStore

if TYPE_CHECKING:
    from shoplytics_desktop.core.models.runner import RunResult
    from shoplytics_desktop.ui.data_page import DataPage
    from shoplytics_desktop.ui.docs_page import DocsPage
    from shoplytics_desktop.ui.main_window import MainWindow
    from shoplytics_desktop.ui.pipeline_page import PipelinePage

log = logging.getLogger(__name__)


class Dashboards(Protocol):
    """What the host asks of the dashboards page (``ui.dashboards.DashboardsPage``)."""

    def set_workspace(self, ws: Workspace) -> None: ...

    def refresh(self) -> None: ...


class Placeholder(QWidget):
    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        heading = QLabel(title)
        font = heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        heading.setFont(font)
        heading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label = QLabel(text)
        self.label.setWordWrap(True)
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(heading)
        layout.addWidget(self.label)
        layout.addStretch(2)


class PageHost:
    def __init__(
        self, window: MainWindow, stack: QStackedWidget, welcome: QWidget, state: AppState
    ) -> None:
        self.window = window
        self.stack = stack
        self.state = state
        self.store = ProjectStore(window)
        self.widgets: dict[str, QWidget] = {"start": welcome}
        self.current = "start"
        self.last_page = app_settings.load_text("window/page", "dashboards")
        stack.addWidget(welcome)
        # The project store first: pages created later read the project it loads.
        state.workspace_changed.connect(self.store.set_workspace)
        state.workspace_changed.connect(self._follow_dashboards)
        state.run_finished.connect(self._run_finished)
        state.data_changed.connect(self._data_changed)
        state.settings_changed.connect(self._settings_changed)

    @property
    def workspace(self) -> Workspace | None:
        return self.state.workspace

    # -- pages ---------------------------------------------------------------------------------

    def show(self, key: str) -> None:
        widget = self.widgets.get(key) or self._create(key)
        self.stack.setCurrentWidget(widget)
        self.current = key
        if key != "start":
            self.last_page = key  # stored when the window closes, not on every click

    def _create(self, key: str) -> QWidget:
        widget: QWidget
        if key == "pipeline":
            from shoplytics_desktop.ui.pipeline_page import PipelinePage

            page = PipelinePage(self.store)
            page.run_finished.connect(self.state.finish_run)
            page.busy_changed.connect(self.state.set_busy)
            page.set_workspace(self.workspace)
            self.state.workspace_changed.connect(page.set_workspace)
            widget = page
        elif key == "data":
            from shoplytics_desktop.ui.data_page import DataPage

            data = DataPage()
            data.set_workspace(self.workspace)
            self.state.workspace_changed.connect(data.set_workspace)
            widget = data
        elif key == "sql":
            from shoplytics_desktop.ui.sql_page import SqlPage

            sql = SqlPage()
            sql.set_workspace(self.workspace)
            self.state.workspace_changed.connect(sql.set_workspace)
            widget = sql
        elif key == "docs":
            from shoplytics_desktop.ui.docs_page import DocsPage

            docs = DocsPage(self.store)
            docs.set_workspace(self.workspace)
            self.state.workspace_changed.connect(docs.set_workspace)
            widget = docs
        elif key == "dashboards":
            widget = self._dashboards()
        else:
            raise KeyError(key)
        self.widgets[key] = widget
        self.stack.addWidget(widget)
        self._restore_splitters(widget)
        return widget

    def _restore_splitters(self, widget: QWidget) -> None:
        from PySide6.QtWidgets import QSplitter

        for splitter in widget.findChildren(QSplitter):
            state = app_settings.load_bytes(f"splitters/{splitter.objectName()}") if splitter.objectName() else None
            if state is not None:
                splitter.restoreState(state)

    def _dashboards(self) -> QWidget:
        if self.workspace is None:
            return Placeholder("Dashboards", "Open a workspace to see its dashboards.")
        try:
            from shoplytics_desktop.ui.dashboards import DashboardsPage
        except ImportError as e:
            log.info("dashboards not available: %s", e)
            return Placeholder("Dashboards", "The dashboards are not part of this build yet. "
                               "The Pipeline, Data and Docs pages show the marts.")
        widget: QWidget = DashboardsPage(self.workspace, parent=None)
        self._drill_through(widget)
        return widget

    def _drill_through(self, dashboards: QWidget) -> None:
        """Right-click items on the dashboards' bars and KPI cards that open the rows behind
        them on the Data page."""
        from shoplytics_desktop.ui.drill_through import DrillThrough

        drill = DrillThrough(dashboards)
        drill.attach(dashboards)
        drill.requested.connect(self.window.show_rows)
        self.drill = drill

    def _replace(self, key: str, widget: QWidget) -> None:
        old = self.widgets.get(key)
        self.widgets[key] = widget
        self.stack.addWidget(widget)
        if old is not None:
            if self.stack.currentWidget() is old:
                self.stack.setCurrentWidget(widget)
            self.stack.removeWidget(old)
            old.deleteLater()

    def pipeline(self) -> PipelinePage:
        from shoplytics_desktop.ui.pipeline_page import PipelinePage

        page = self.widgets.get("pipeline") or self._create("pipeline")
        assert isinstance(page, PipelinePage)
        return page

    def data_page(self) -> DataPage | None:
        from shoplytics_desktop.ui.data_page import DataPage

        page = self.widgets.get("data")
        return page if isinstance(page, DataPage) else None

    def data(self) -> DataPage:
        """The Data page, created if it was not shown yet."""
        from shoplytics_desktop.ui.data_page import DataPage

        page = self.widgets.get("data") or self._create("data")
        assert isinstance(page, DataPage)
        return page

    def docs_page(self) -> DocsPage | None:
        from shoplytics_desktop.ui.docs_page import DocsPage

        page = self.widgets.get("docs")
        return page if isinstance(page, DocsPage) else None

    def _pipeline_page(self) -> PipelinePage | None:
        """The Pipeline page if it was made (it is made on first use)."""
        if "pipeline" not in self.widgets:
            return None
        return self.pipeline()

    def _dashboards_page(self) -> Dashboards | None:
        """The dashboards if they are shown (not their placeholder)."""
        dash = self.widgets.get("dashboards")
        return None if dash is None or isinstance(dash, Placeholder) else cast(Dashboards, dash)

    # -- state ---------------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self.state.busy

    def cancel(self) -> None:
        page = self._pipeline_page()
        if page is not None:
            page.cancel()

    def _follow_dashboards(self, ws: Workspace | None) -> None:
        if "dashboards" not in self.widgets:
            return  # made, for the workspace open then, when first shown
        dash = self._dashboards_page()
        if ws is not None and dash is not None:
            dash.set_workspace(ws)
            self._refresh_dashboards()
        else:
            self._replace("dashboards", self._dashboards())

    def _run_finished(self, result: RunResult) -> None:
        """A run's results: the Data page re-reads; the dashboards too when it published."""
        data = self.data_page()
        if data is not None:
            data.refresh()
        if result.published:
            self._redraw_dashboards()

    def _data_changed(self) -> None:
        """New raw data: every page that reads it re-reads."""
        data = self.data_page()
        if data is not None:
            data.refresh()
        self._redraw_dashboards()
        pipeline = self._pipeline_page()
        if pipeline is not None and not pipeline.busy:
            pipeline.refresh_history()
        self.store.refresh()  # new raw tables can change which sources resolve

    def _redraw_dashboards(self) -> None:
        if "dashboards" not in self.widgets:
            return
        if self._dashboards_page() is None:
            self._replace("dashboards", self._dashboards())
        else:
            self._refresh_dashboards()

    def _settings_changed(self) -> None:
        """The workspace settings were saved: pages that show them follow now."""
        if "dashboards" not in self.widgets:
            return
        from shoplytics_desktop.ui.dashboards import DashboardsPage

        dash = self.widgets.get("dashboards")
        if isinstance(dash, DashboardsPage) and self.workspace is not None:
            # The money stays in the currency the marts were built in until the next run: the
            # status says which, and the tabs follow it.
            dash.refresh()

    def _refresh_dashboards(self) -> None:
        dash = self._dashboards_page()
        if dash is not None:
            try:
                dash.refresh()
            except Exception:  # a chart failing must not take the window down
                log.exception("dashboards refresh failed")

    def selected_relation(self) -> str:
        data = self.data_page()
        return data.current_relation() if data is not None and self.current == "data" else ""
