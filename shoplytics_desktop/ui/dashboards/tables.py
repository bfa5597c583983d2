"""A sortable, searchable table of a ``Table`` result, with copy/save as CSV."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QStackedWidget,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from shoplytics_desktop.core.analytics.types import Table
from shoplytics_desktop.ui.dashboards.csvdata import save_csv, table_csv
from shoplytics_desktop.ui.dashboards.style import current_theme, fmt_count, fmt_money, fmt_pct

Index = QModelIndex | QPersistentModelIndex
SORT_ROLE = Qt.ItemDataRole.UserRole + 1


class TableModel(QAbstractTableModel):
    """Display text formatted per column kind; the raw value is the sort role."""

    def __init__(self, table: Table, kinds: dict[str, str], currency: str, labels: dict[str, str]) -> None:
        super().__init__()
        self.t, self.kinds, self.currency, self.labels = table, kinds, currency, labels

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.t.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.t.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        v = self.t.rows[index.row()][index.column()]
        kind = self.kinds.get(self.t.columns[index.column()], "")
        if role == Qt.ItemDataRole.DisplayRole:
            if v is None:
                return "—"
            if kind == "money":
                return fmt_money(float(v), self.currency)
            if kind == "rate":
                return fmt_pct(float(v), 1)
            if kind == "count":
                return fmt_count(float(v))
            return v.isoformat() if isinstance(v, dt.date) else str(v)
        if role == SORT_ROLE:
            if v is None:
                return float("-inf") if kind else ""
            return v.isoformat() if isinstance(v, dt.date) else v
        if role == Qt.ItemDataRole.TextAlignmentRole and kind:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            col = self.t.columns[section]
            return self.labels.get(col, col.replace("_", " ").capitalize())
        return None


class DataTable(QFrame):
    def __init__(
        self,
        title: str,
        kinds: dict[str, str] | None = None,
        labels: dict[str, str] | None = None,
        searchable: bool = False,
        currency: str = "USD",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title, self.kinds, self.labels, self.currency = title, kinds or {}, labels or {}, currency
        self._table: Table | None = None
        header = QHBoxLayout()
        header.setContentsMargins(4, 2, 4, 0)
        header.addWidget(QLabel(f"<b>{title}</b>"))
        header.addStretch(1)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search…")
        self.search.setClearButtonEnabled(True)
        self.search.setMaximumWidth(220)
        self.search.setVisible(searchable)
        header.addWidget(self.search)
        self.buttons: dict[str, QToolButton] = {}
        for key, text, tip, slot in (
            ("copy", "Copy", "Copy the table as CSV", self.copy_csv),
            ("csv", "CSV", "Save the table as CSV", self._ask_csv),
        ):
            b = QToolButton()
            b.setText(text)
            b.setToolTip(tip)
            b.setAutoRaise(True)
            b.clicked.connect(slot)
            self.buttons[key] = b
            header.addWidget(b)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSortRole(SORT_ROLE)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.search.textChanged.connect(self.proxy.setFilterFixedString)
        self.view = QTableView()
        self.view.setModel(self.proxy)
        self.view.setSortingEnabled(True)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().setVisible(False)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.empty_label = QLabel()
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_label.setStyleSheet(f"color: {current_theme().muted}; font-size: 13px;")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.view)
        self.stack.addWidget(self.empty_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(header)
        layout.addWidget(self.stack, 1)

    def set_table(self, table: Table, empty_reason: str = "No rows in this range.",
                  sort_column: str | None = None) -> None:
        self._table = table
        if not table.rows:
            self.empty_label.setText(empty_reason)
            self.stack.setCurrentWidget(self.empty_label)
            return
        self.proxy.setSourceModel(TableModel(table, self.kinds, self.currency, self.labels))
        self.stack.setCurrentWidget(self.view)
        if sort_column in table.columns:
            self.view.sortByColumn(table.columns.index(sort_column), Qt.SortOrder.DescendingOrder)
        self.view.resizeColumnsToContents()

    @property
    def table(self) -> Table | None:
        return self._table

    @property
    def is_empty(self) -> bool:
        return self.stack.currentWidget() is self.empty_label

    def visible_rows(self) -> list[tuple[Any, ...]]:
        """The rows as shown (search and sort applied), raw values."""
        out = []
        for r in range(self.proxy.rowCount()):
            src = self.proxy.mapToSource(self.proxy.index(r, 0)).row()
            assert self._table is not None
            out.append(self._table.rows[src])
        return out

    def csv_text(self) -> str:
        if self._table is None:
            return ""
        return table_csv(Table.of(self._table.columns, self.visible_rows()))

    def copy_csv(self) -> None:
        QGuiApplication.clipboard().setText(self.csv_text())

    def _ask_csv(self) -> None:
        if self._table is None:
            return
        name, _ = QFileDialog.getSaveFileName(self, f"Save '{self.title}'", "table.csv", "CSV (*.csv)")
        if name:
            from pathlib import Path

            from shoplytics_desktop.core.errors import ExportError
            from shoplytics_desktop.ui.errors import show_error

            try:
                save_csv(Table.of(self._table.columns, self.visible_rows()), Path(name))
            except OSError as e:
                show_error(self, ExportError(f"Cannot save {name}: {e.strerror}.", "Choose another file."))
