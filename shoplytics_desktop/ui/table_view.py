"""A table view that copies its selection as tab-separated text (Ctrl+C), and cell formatting."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget


def format_cell(value: Any) -> str:
    """How one database value reads in a cell (and in a copied TSV)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6g}" if abs(value) < 1e15 else repr(value)
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def is_numeric(value: Any) -> bool:
    return isinstance(value, int | float | decimal.Decimal) and not isinstance(value, bool)


def selection_as_tsv(view: QTableView) -> str:
    """The selected cells as TSV, laid out in their bounding rectangle (gaps stay empty)."""
    indexes: list[QModelIndex] = view.selectionModel().selectedIndexes() if view.selectionModel() else []
    if not indexes:
        return ""
    rows = sorted({i.row() for i in indexes})
    cols = sorted({i.column() for i in indexes})
    picked = {(i.row(), i.column()): i for i in indexes}
    raw_value = getattr(view.model(), "raw_value", None)  # NULL copies as an empty cell
    lines = []
    for r in rows:
        cells = []
        for c in cols:
            index = picked.get((r, c))
            if index is None:
                text = ""
            elif raw_value is not None:
                text = format_cell(raw_value(index))
            else:
                text = index.data(Qt.ItemDataRole.DisplayRole)
            cells.append(str(text or "").replace("\t", " ").replace("\n", " "))
        lines.append("\t".join(cells))
    return "\n".join(lines)


class CopyableTableView(QTableView):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.horizontalHeader().setStretchLastSection(True)

    def keyPressEvent(self, event: Any) -> None:
        if event.matches(QKeySequence.StandardKey.Copy):
            self.copy_selection()
            event.accept()
            return
        super().keyPressEvent(event)

    def copy_selection(self) -> str:
        text = selection_as_tsv(self)
        QGuiApplication.clipboard().setText(text)
        return text
