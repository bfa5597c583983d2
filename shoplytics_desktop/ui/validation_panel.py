"""Every data test of the last run, with its status; a failure's sample rows below it."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from shoplytics_desktop.core import history
from shoplytics_desktop.core.models.datatests import TestResult
from shoplytics_desktop.core.status import TEST_STATUSES
from shoplytics_desktop.core.workspace import Workspace
from shoplytics_desktop.ui import theme
from shoplytics_desktop.ui.table_view import CopyableTableView, format_cell, is_numeric

HEADERS = ("status", "test", "model", "column", "severity", "failing rows", "message")
_WORST_FIRST = {s: i for i, s in enumerate(reversed(TEST_STATUSES))}


def load_test_results(ws: Workspace, run_id: str) -> list[TestResult]:
    return history.test_results(ws, run_id)


class ValidationPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.results: list[TestResult] = []
        self.summary = QLabel("No tests have run yet.")
        self.summary.setWordWrap(True)
        self.only_problems = QCheckBox("Only tests that did not pass")
        self.only_problems.toggled.connect(lambda _: self._fill())
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.only_problems)

        self.model = QStandardItemModel(0, len(HEADERS), self)
        self.model.setHorizontalHeaderLabels(list(HEADERS))
        self.table = CopyableTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.selectionModel().currentRowChanged.connect(lambda cur, _prev: self._show_sample(cur.row()))

        self.sample_label = QLabel("Select a failing test to see sample failing rows.")
        self.sample_label.setWordWrap(True)
        self.sample_model = QStandardItemModel(self)
        self.sample = CopyableTableView()
        self.sample.setModel(self.sample_model)
        self.sample.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        bottom = QWidget()
        bl = QVBoxLayout(bottom)
        bl.setContentsMargins(0, 0, 0, 0)
        bl.addWidget(self.sample_label)
        bl.addWidget(self.sample)

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("validationSplitter")
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(bottom)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.splitter, 1)

    # -- data ----------------------------------------------------------------------------------

    def clear(self, message: str = "No tests have run yet.") -> None:
        self.results = []
        self._fill()
        self.summary.setText(message)

    def set_results(self, results: list[TestResult], heading: str = "") -> None:
        self.results = sorted(results, key=lambda t: (_WORST_FIRST.get(t.status, 9), t.model or "", t.test_id))
        self._fill(heading)

    def add_result(self, result: TestResult) -> None:
        """Live: a test finished during a run."""
        self.results.append(result)
        self._append_row(result)
        self._update_summary()

    def load_run(self, ws: Workspace, run_id: str, heading: str = "") -> None:
        self.set_results(load_test_results(ws, run_id), heading)

    def _fill(self, heading: str = "") -> None:
        self.table.setSortingEnabled(False)
        self.model.removeRows(0, self.model.rowCount())
        for r in self.results:
            self._append_row(r)
        # problems first, as sorted above; a click on a header sorts by that column
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)
        self.table.resizeColumnsToContents()
        for col in range(len(HEADERS) - 1):
            self.table.setColumnWidth(col, min(self.table.columnWidth(col), 300))
        self.table.horizontalHeader().setSectionResizeMode(len(HEADERS) - 1, QHeaderView.ResizeMode.Stretch)
        self._update_summary(heading)
        self.sample_model.clear()
        self.sample_label.setText("Select a failing test to see sample failing rows.")
        first_problem = next((i for i in range(self.model.rowCount())
                              if self.model.item(i, 0).text() != "pass"), None)
        if first_problem is not None:
            self.table.selectRow(first_problem)

    def _append_row(self, r: TestResult) -> None:
        if self.only_problems.isChecked() and r.status == "pass":
            return
        status = QStandardItem(r.status)
        status.setForeground(theme.status_text_color(r.status))
        font = status.font()
        font.setBold(r.status != "pass")
        status.setFont(font)
        status.setData(r, Qt.ItemDataRole.UserRole)
        status.setToolTip(r.description or r.test_type)
        failing = QStandardItem()
        failing.setData(r.failing_rows, Qt.ItemDataRole.DisplayRole)
        failing.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        cells = [status, QStandardItem(r.test_id), QStandardItem(r.model or ""),
                 QStandardItem(r.column or ""), QStandardItem(r.severity), failing,
                 QStandardItem(r.message)]
        self.model.appendRow(cells)

    def _update_summary(self, heading: str = "") -> None:
        counts: dict[str, int] = {}
        for r in self.results:
            counts[r.status] = counts.get(r.status, 0) + 1
        if not self.results:
            self.summary.setText(heading or "No tests in this run.")
            return
        parts = [f"{counts[s]} {s}" for s in TEST_STATUSES if counts.get(s)]
        self.summary.setText((heading + " — " if heading else "") + f"{len(self.results)} tests: " + ", ".join(parts))

    def _show_sample(self, row: int) -> None:
        self.sample_model.clear()
        if row < 0:
            return
        result: TestResult | None = self.model.item(row, 0).data(Qt.ItemDataRole.UserRole)
        if result is None:
            return
        if result.status == "pass":
            self.sample_label.setText(f"{result.test_id} passed: no failing rows.")
            return
        if not result.sample:
            self.sample_label.setText(f"{result.test_id}: {result.message or result.status}")
            return
        shown = len(result.sample)
        self.sample_label.setText(
            f"{result.test_id}: {result.failing_rows:,} failing row(s)"
            + (f", the first {shown} shown" if shown < result.failing_rows else "")
        )
        columns: list[str] = []
        for rec in result.sample:
            columns += [c for c in rec if c not in columns]
        self.sample_model.setHorizontalHeaderLabels(columns)
        for rec in result.sample:
            items = []
            for c in columns:
                value: Any = rec.get(c)
                item = QStandardItem(format_cell(value))
                if is_numeric(value):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                items.append(item)
            self.sample_model.appendRow(items)
        self.sample.resizeColumnsToContents()

    def select_test(self, test_id: str) -> None:
        for i in range(self.model.rowCount()):
            if self.model.item(i, 1).text() == test_id:
                self.table.selectRow(i)
                return


