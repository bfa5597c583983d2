"""One model in detail: description, last run, SQL (highlighted), columns with types, tests."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, Signal
from PySide6.QtGui import QFontDatabase, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from shoplytics_desktop.core.models.datatests import TestResult
from shoplytics_desktop.ui import theme
from shoplytics_desktop.ui.project_state import shown_status
from shoplytics_desktop.ui.sql_highlighter import SqlHighlighter
from shoplytics_desktop.ui.table_view import CopyableTableView

if TYPE_CHECKING:
    from shoplytics_desktop.core.models.project import Project
    from shoplytics_desktop.ui.project_state import LastRun


def _table(headers: list[str]) -> tuple[CopyableTableView, QStandardItemModel]:
    model = QStandardItemModel(0, len(headers))
    model.setHorizontalHeaderLabels(headers)
    view = CopyableTableView()
    view.setModel(model)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.verticalHeader().hide()
    return view, model


class ModelDetail(QWidget):
    test_activated = Signal(str)  # a test's id, double-clicked in the Tests tab

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel("Select a model in the graph.")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setWordWrap(True)
        self.description = QLabel("")
        self.description.setWordWrap(True)
        self.last_run = QLabel("")
        self.last_run.setWordWrap(True)

        self.sql = QPlainTextEdit()
        self.sql.setReadOnly(True)
        self.sql.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.sql.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.highlighter = SqlHighlighter(self.sql.document())
        self.columns_view, self.columns = _table(["column", "type", "description"])
        self.tests_view, self.tests = _table(["test", "column", "severity", "last result"])
        self.tests_view.setToolTip("Double-click a test to see it in the Validation tab")
        self.tests_view.doubleClicked.connect(
            lambda index: self.test_activated.emit(self.tests.item(index.row(), 0).text()))
        self.tabs = QTabWidget()
        self.tabs.addTab(self.sql, "SQL")
        self.tabs.addTab(self.columns_view, "Columns")
        self.tabs.addTab(self.tests_view, "Tests")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.description)
        layout.addWidget(self.last_run)
        layout.addWidget(self.tabs, 1)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "highlighter"):  # light/dark switch
            self.highlighter.setDocument(None)
            self.highlighter = SqlHighlighter(self.sql.document())
        super().changeEvent(event)

    def show_node(
        self,
        node_id: str,
        project: Project | None,
        types: dict[str, dict[str, str]],
        last: LastRun | None,
        tests: dict[str, TestResult],
    ) -> None:
        _schema, _, name = node_id.partition(".")
        model = project.models.get(name) if project else None
        if model is None or model.relation != node_id:
            self._show_source(node_id, types.get(node_id, {}))
            return
        self.title.setText(f"{model.relation}  ·  {model.materialized}")
        self.description.setText(model.description or "No description in the YAML.")
        ups = [project.models[d].relation for d in model.depends_on] + model.sources if project else []
        text = f"Reads: {', '.join(ups) or '—'}"
        run = last.models.get(name) if last else None
        if run is not None:
            status, rows, seconds, note = run
            shown = shown_status(status, note)  # 'unchanged' coloured as in the graph
            color = theme.status_text_color(shown).name()
            text += (f"<br>Last run ({last.started_at if last else ''}): "
                     f"<b style='color:{color}'>{shown}</b>")
            if rows is not None:
                text += f" · {rows:,} rows"
            text += f" · {seconds:.2f} s"
            if note:
                # A built model's note says how it was built; a failed one's is the error.
                label = {"success": "How built", "error": "Error"}.get(status, "Why")
                text += f"<br>{label}: {html.escape(note)}"
        else:
            text += "<br>Not built in the latest run."
        self.last_run.setText(text)
        self.sql.setPlainText(model.raw_sql)
        col_types = types.get(model.relation, {})
        docs = {c.name: c.description for c in model.columns}
        names = [c.name for c in model.columns] + [c for c in col_types if c not in docs]
        self._fill(self.columns, [(c, col_types.get(c, "(not built)"), docs.get(c, "")) for c in names])
        rows_t: list[tuple[str, ...]] = []
        for t in project.tests_for([name]) if project else []:
            res = tests.get(t.test_id)
            result = "—" if res is None else (
                res.status + (f" ({res.failing_rows:,} rows)" if res.failing_rows else ""))
            rows_t.append((t.test_id, t.column or "", t.severity, result))
        self._fill(self.tests, rows_t, status_col=3)
        self.tabs.setTabText(2, f"Tests ({len(rows_t)})")
        self.tabs.setTabText(1, f"Columns ({len(names)})")

    def _show_source(self, node_id: str, col_types: dict[str, str]) -> None:
        self.title.setText(f"{node_id}  ·  source")
        self.description.setText("A source table, loaded by import or the generator.")
        self.last_run.setText("")
        self.sql.setPlainText(f"-- {node_id} is loaded data, not a model: it has no SQL.")
        self._fill(self.columns, [(c, t, "") for c, t in col_types.items()])
        self._fill(self.tests, [])
        self.tabs.setTabText(1, f"Columns ({len(col_types)})")
        self.tabs.setTabText(2, "Tests (0)")

    def clear(self) -> None:
        self.title.setText("Select a model in the graph.")
        self.description.setText("")
        self.last_run.setText("")
        self.sql.setPlainText("")
        self._fill(self.columns, [])
        self._fill(self.tests, [])

    def _fill(self, model: QStandardItemModel, rows: Sequence[tuple[str, ...]], status_col: int = -1) -> None:
        model.removeRows(0, model.rowCount())
        for row in rows:
            items = [QStandardItem(str(v)) for v in row]
            if status_col >= 0:
                status = row[status_col].split(" ")[0]
                items[status_col].setForeground(theme.status_text_color(status))
            model.appendRow(items)
        view = self.columns_view if model is self.columns else self.tests_view
        view.resizeColumnsToContents()
        view.horizontalHeader().setSectionResizeMode(model.columnCount() - 1, QHeaderView.ResizeMode.Stretch)
