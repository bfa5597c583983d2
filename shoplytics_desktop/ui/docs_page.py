"""The Docs page: the generated data dictionary, rendered, beside the lineage diagram."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QLabel, QSplitter, QTextBrowser, QVBoxLayout, QWidget

from shoplytics_desktop.core.workspace import Workspace
from shoplytics_desktop.ui.lineage_view import LineageView
from shoplytics_desktop.ui.project_state import (
    ProjectStore,
    column_types,
    latest_run,
    shown_statuses,
)

if TYPE_CHECKING:
    from shoplytics_desktop.core.models.project import Project


class DocsPage(QWidget):
    def __init__(self, store: ProjectStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.workspace: Workspace | None = None
        self.browser = QTextBrowser()
        self.browser.setOpenLinks(False)
        self.graph = LineageView()
        self.graph.node_selected.connect(self._scroll_to)
        hint = QLabel("Click a model in the diagram to jump to its entry.")
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(hint)
        rl.addWidget(self.graph, 1)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("docsSplitterVertical")
        self.splitter.addWidget(right)
        self.splitter.addWidget(self.browser)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setSizes([340, 500])
        layout = QVBoxLayout(self)
        layout.addWidget(self.splitter)
        store.loaded.connect(self._render)
        store.failed.connect(self._failed)

    def set_workspace(self, ws: Workspace | None) -> None:
        self.workspace = ws
        self.browser.setMarkdown("Loading the model project…")
        if self.store.project is not None:
            self._render(self.store.project)
        elif self.store.error is not None:
            self._failed(self.store.error)

    def refresh(self) -> None:
        if self.store.project is not None:
            self._render(self.store.project)

    def _render(self, project: Project) -> None:
        from shoplytics_desktop.core.models.docs import data_dictionary
        from shoplytics_desktop.core.models.lineage import lineage

        ws = self.workspace
        if ws is None:
            return
        types = column_types(ws, ("staging", "intermediate", "marts"))
        scroll = self.browser.verticalScrollBar().value()
        self.browser.setMarkdown(data_dictionary(project, types))
        self.browser.verticalScrollBar().setValue(scroll)
        last = latest_run(ws, "run")
        published = latest_run(ws, "run", published=True)
        self.graph.set_graph(lineage(project), shown_statuses(last, published))

    def _failed(self, error: BaseException) -> None:
        message = getattr(error, "message", str(error))
        hint = getattr(error, "hint", "")
        self.browser.setMarkdown(f"# The model project did not load\n\n{message}\n\n{hint}")
        self.graph.show_message("No model graph.")

    def _scroll_to(self, node_id: str) -> None:
        """Bring the model's own heading to the top (its name also appears in others' lineage)."""
        doc = self.browser.document()
        block = doc.begin()
        while block.isValid():
            if block.blockFormat().headingLevel() > 0 and block.text().strip() == node_id:
                self.browser.setTextCursor(QTextCursor(block))
                top = doc.documentLayout().blockBoundingRect(block).top()
                self.browser.verticalScrollBar().setValue(int(top))
                return
            block = block.next()
