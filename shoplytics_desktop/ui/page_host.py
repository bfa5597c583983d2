"""Creates the pages on first use and keeps them in step with the open workspace.

Pages are built lazily so the window paints before the heavier modules (sqlglot, pyqtgraph,
polars) are imported. The dashboards come from ``ui.dashboards`` when that package is present.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QStackedWidget, QVBoxLayout, QWidget

from shoplytics_desktop.core.workspace import Workspace
from shoplytics_desktop.ui import app_settings
from shoplytics_desktop.ui.project_state import ProjectStore

if TYPE_CHECKING:
    from shoplytics_desktop.ui.data_page import DataPage
    from shoplytics_desktop.ui.docs_page import DocsPage
    from shoplytics_desktop.ui.main_window import MainWindow
    from shoplytics_desktop.ui.pipeline_page import PipelinePage

log = logging.getLogger(__name__)


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
    def __init__(self, window: MainWindow, stack: QStackedWidget, welcome: QWidget) -> None:
        self.window = window
        self.stack = stack
        self.workspace: Workspace | None = None
        self.store = ProjectStore(window)
        self.widgets: dict[str, QWidget] = {"start": welcome}
        self.current = "start"
        self.last_page = app_settings.load_text("window/page", "dashboards")
        stack.addWidget(welcome)

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
            page.run_finished.connect(self.window.on_run_finished)
            page.busy_changed.connect(self.window.on_busy)
            page.set_workspace(self.workspace)
            widget = page
        elif key == "data":
            from shoplytics_desktop.ui.data_page import DataPage

            data = DataPage()
            data.set_workspace(self.workspace)
            widget = data
        elif key == "sql":
            from shoplytics_desktop.ui.sql_page import SqlPage

            sql = SqlPage()
            sql.set_workspace(self.workspace)
            widget = sql
        elif key == "docs":
            from shoplytics_desktop.ui.docs_page import DocsPage

            docs = DocsPage(self.store)
            docs.set_workspace(self.workspace)
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
        return self.widgets.get("data")  # type: ignore[return-value]

    def data(self) -> DataPage:
        """The Data page, created if it was not shown yet."""
        from shoplytics_desktop.ui.data_page import DataPage

        page = self.widgets.get("data") or self._create("data")
        assert isinstance(page, DataPage)
        return page

    def docs_page(self) -> DocsPage | None:
        return self.widgets.get("docs")  # type: ignore[return-value]

    # -- state ---------------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        page = self.widgets.get("pipeline")
        return bool(page is not None and getattr(page, "busy", False))

    def cancel(self) -> None:
        page = self.widgets.get("pipeline")
        if page is not None:
            page.cancel()  # type: ignore[attr-defined]

    def set_workspace(self, ws: Workspace | None) -> None:
        self.workspace = ws
        self.store.set_workspace(ws)
        for key in ("pipeline", "data", "sql", "docs"):
            page: Any = self.widgets.get(key)
            if page is not None:
                page.set_workspace(ws)
        if "dashboards" in self.widgets:
            dash: Any = self.widgets["dashboards"]
            if ws is not None and hasattr(dash, "set_workspace"):
                dash.set_workspace(ws)
                self._refresh_dashboards()
            else:
                self._replace("dashboards", self._dashboards())

    def data_changed(self, run_result: Any = None) -> None:
        """New raw data or a finished run: re-read what the pages show."""
        data: Any = self.widgets.get("data")
        if data is not None:
            data.refresh()
        published = run_result is None or getattr(run_result, "published", False)
        if published and "dashboards" in self.widgets:
            if isinstance(self.widgets["dashboards"], Placeholder):
                self._replace("dashboards", self._dashboards())
            else:
                self._refresh_dashboards()
        if run_result is None:
            pipeline: Any = self.widgets.get("pipeline")
            if pipeline is not None and not pipeline.busy:
                pipeline.refresh_history()
            self.store.refresh()  # new raw tables can change which sources resolve

    def settings_changed(self) -> None:
        """The workspace settings were saved: pages that show them follow now."""
        dash: Any = self.widgets.get("dashboards")
        if dash is not None and self.workspace is not None and hasattr(dash, "set_currency"):
            dash.set_currency(self.workspace.settings.currency)

    def _refresh_dashboards(self) -> None:
        dash: Any = self.widgets.get("dashboards")
        if dash is not None and hasattr(dash, "refresh"):
            try:
                dash.refresh()
            except Exception:  # a chart failing must not take the window down
                log.exception("dashboards refresh failed")

    def selected_relation(self) -> str:
        data: Any = self.widgets.get("data")
        return data.current_relation() if data is not None and self.current == "data" else ""
