"""Per-model progress of a run: one row per model, filled in live from the runner's listener."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QVBoxLayout, QWidget

from shoplytics_desktop.core.models.runner import ModelResult
from shoplytics_desktop.ui import theme
from shoplytics_desktop.ui.project_state import shown_status
from shoplytics_desktop.ui.table_view import CopyableTableView

HEADERS = ("model", "layer", "kind", "status", "rows", "seconds", "error / how built")
STATUS_COL, ROWS_COL, SECONDS_COL, ERROR_COL = 3, 4, 5, 6


class RunPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.caption = QLabel("No run yet. Press Run (Ctrl+R) to build the models and test them.")
        self.caption.setWordWrap(True)
        self.model = QStandardItemModel(0, len(HEADERS), self)
        self.model.setHorizontalHeaderLabels(list(HEADERS))
        self.table = CopyableTableView()
        self.table.setModel(self.model)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        layout = QVBoxLayout(self)
        layout.addWidget(self.caption)
        layout.addWidget(self.table, 1)
        self._rows: dict[str, int] = {}

    def start(self, models: Sequence[tuple[str, str, str]], caption: str = "Running…") -> None:
        """``models``: (name, layer, materialized) in build order, all pending."""
        self.model.removeRows(0, self.model.rowCount())
        self._rows = {}
        for name, layer, kind in models:
            self._rows[name] = self.model.rowCount()
            self.model.appendRow([QStandardItem(name), QStandardItem(layer), QStandardItem(kind),
                                  QStandardItem("pending"), QStandardItem(""), QStandardItem(""),
                                  QStandardItem("")])
            self._style(self._rows[name], "pending")
        self.caption.setText(caption)
        self._mark_next_running()
        self._resize()

    def show_history(self, rows: list[tuple[str, str, str, str, int | None, float, str]], caption: str) -> None:
        """A finished run from the history tables: (model, layer, kind, status, rows, s, error)."""
        self.start([(r[0], r[1], r[2]) for r in rows], caption)
        for name, _layer, _kind, status, n, seconds, error in rows:
            self._set(name, status, n, seconds, error)
        self._resize()

    def update_model(self, result: ModelResult) -> None:
        if result.name not in self._rows:
            self._rows[result.name] = self.model.rowCount()
            self.model.appendRow([QStandardItem(result.name), QStandardItem(result.layer),
                                  QStandardItem(result.materialized)] + [QStandardItem("") for _ in range(4)])
        self._set(result.name, result.status, result.rows, result.seconds,
                  result.error or result.note)
        self._mark_next_running()
        for col in (ROWS_COL, SECONDS_COL):
            self.table.resizeColumnToContents(col)
        self.table.scrollTo(self.model.index(self._rows[result.name], 0))

    def finish(self, models: list[ModelResult], caption: str) -> None:
        for m in models:
            if m.name in self._rows:
                self._set(m.name, m.status, m.rows, m.seconds, m.error or m.note)
        self.caption.setText(caption)
        self._resize()

    def running(self) -> str:
        """The model shown as building now, or ""."""
        for name, row in self._rows.items():
            if self.model.item(row, STATUS_COL).text() == "running":
                return name
        return ""

    def status_of(self, name: str) -> str:
        row = self._rows.get(name)
        return self.model.item(row, STATUS_COL).text() if row is not None else ""

    def note_of(self, name: str) -> str:
        """The last column: the model's error, or how the run built it."""
        row = self._rows.get(name)
        return self.model.item(row, ERROR_COL).text() if row is not None else ""

    def rows_text(self, name: str) -> str:
        row = self._rows.get(name)
        return self.model.item(row, ROWS_COL).text() if row is not None else ""

    # -- internals -----------------------------------------------------------------------------

    def _set(self, name: str, status: str, rows: int | None, seconds: float, error: str) -> None:
        row = self._rows[name]
        status = shown_status(status, error)  # 'unchanged': left as it was, as its note says
        self.model.item(row, STATUS_COL).setText(status)
        self.model.item(row, ROWS_COL).setText("" if rows is None else f"{rows:,}")
        self.model.item(row, SECONDS_COL).setText(f"{seconds:.2f}" if status not in ("pending", "skipped", "cancelled") else "")
        self.model.item(row, ERROR_COL).setText(error or "")
        self.model.item(row, ERROR_COL).setToolTip(error or "")
        self._style(row, status)

    def _style(self, row: int, status: str) -> None:
        item = self.model.item(row, STATUS_COL)
        item.setForeground(theme.status_text_color(status))
        font = item.font()
        font.setBold(status in ("error", "running"))
        item.setFont(font)
        for col in (ROWS_COL, SECONDS_COL):
            self.model.item(row, col).setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def _mark_next_running(self) -> None:
        """The runner reports a model when it is done; the next pending one is the one building."""
        for row in range(self.model.rowCount()):
            status = self.model.item(row, STATUS_COL).text()
            if status == "running":
                return
            if status == "pending":
                if self.caption.text().startswith("Running") or self.caption.text().startswith("Testing"):
                    self.model.item(row, STATUS_COL).setText("running")
                    self._style(row, "running")
                return

    def _resize(self) -> None:
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(ERROR_COL, QHeaderView.ResizeMode.Stretch)
