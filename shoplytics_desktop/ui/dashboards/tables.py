"""A sortable, searchable table of a ``Table`` result, with copy/save as CSV."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QGuiApplication, QResizeEvent, QShowEvent
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

from shoplytics_desktop.core.analytics.glossary import tooltip as metric_tooltip
from shoplytics_desktop.core.analytics.types import Table
from shoplytics_desktop.ui.dashboards.csvdata import save_csv, table_csv
from shoplytics_desktop.ui.dashboards.style import (
    count_decimals,
    current_theme,
    fmt_count,
    fmt_money,
    fmt_pct,
)

Index = QModelIndex | QPersistentModelIndex


def _two_lines(label: str) -> str:
    """A heading on two lines, broken at the space nearest its middle."""
    spaces = [i for i, ch in enumerate(label) if ch == " "]
    if not spaces:
        return label
    cut = min(spaces, key=lambda i: abs(i - len(label) / 2))
    return label[:cut] + "\n" + label[cut + 1:]


class TableModel(QAbstractTableModel):
    """Display text formatted per column kind. Sorting and searching happen here in Python on
    the row tuples (a proxy model would call ``data()`` per comparison: slow at thousands of
    rows)."""

    def __init__(self, table: Table, kinds: dict[str, str], currency: str, labels: dict[str, str]) -> None:
        super().__init__()
        self.t, self.kinds, self.currency, self.labels = table, kinds, currency, labels
        self.rows: list[tuple[Any, ...]] = list(table.rows)
        self._search = ""
        self.wrap_headers = False
        self._sort: tuple[int, Qt.SortOrder] | None = None
        self._text = [" ".join("" if v is None else str(v) for v in r).lower() for r in table.rows]
        #: One format per column: counts are whole numbers unless any needs a decimal.
        self.decimals = [count_decimals([r[i] for r in table.rows])
                         if kinds.get(c) == "count" else 0 for i, c in enumerate(table.columns)]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.t.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        v = self.rows[index.row()][index.column()]
        kind = self.kinds.get(self.t.columns[index.column()], "")
        if role == Qt.ItemDataRole.DisplayRole:
            if v is None:
                return "—"
            if kind == "money":
                return fmt_money(float(v), self.currency)
            if kind == "rate":
                # Small shares keep two decimals (0.54 %, not 0.5 %), as the headlines show them.
                return fmt_pct(float(v), 2 if abs(float(v)) < 0.1 else 1)
            if kind == "count":
                return fmt_count(float(v), self.decimals[index.column()])
            return v.isoformat() if isinstance(v, dt.date) else str(v)
        if role == Qt.ItemDataRole.TextAlignmentRole and kind:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and not kind and v is not None:
            return str(v)  # a narrowed text column elides: the whole text on hover
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        col = self.t.columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            label = self.labels.get(col, col.replace("_", " ").capitalize())
            # A tight table stacks the words of its headings (narrower number columns).
            return _two_lines(label) if self.wrap_headers else label
        if role == Qt.ItemDataRole.ToolTipRole:
            return metric_tooltip(col) or None
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._sort = (column, order)
        self._rebuild()

    def clear_sort(self) -> None:
        self._sort = None
        self._rebuild()

    def set_search(self, text: str) -> None:
        self._search = text.strip().lower()
        self._rebuild()

    def _rebuild(self) -> None:
        self.beginResetModel()
        rows = [r for r, txt in zip(self.t.rows, self._text, strict=True)
                if not self._search or self._search in txt]
        if self._sort is not None:
            col, order = self._sort
            # Nulls last whichever the direction; numbers by value, the rest as text.
            present = [r for r in rows if r[col] is not None]
            missing = [r for r in rows if r[col] is None]
            numeric = all(isinstance(r[col], int | float) for r in present)
            present.sort(key=lambda r: r[col] if numeric else str(r[col]).lower(),
                         reverse=order == Qt.SortOrder.DescendingOrder)
            rows = present + missing
        self.rows = rows
        self.endResetModel()


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
        self.model: TableModel | None = None
        self._stretch = -1
        self._natural: list[int] = []
        self.search.textChanged.connect(self._search_changed)
        self.view = QTableView()
        self.view.setMinimumWidth(160)  # scrolls inside itself; never widens the page
        self.view.setWordWrap(False)  # a narrowed text column elides on one line
        self.view.setSortingEnabled(True)
        self.view.horizontalHeader().setResizeContentsPrecision(60)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().setVisible(False)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.view.horizontalHeader().setStretchLastSection(False)
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
        first = self.model is None
        self.model = TableModel(table, self.kinds, self.currency, self.labels)
        self.model.set_search(self.search.text())
        self.view.setModel(self.model)
        self.stack.setCurrentWidget(self.view)
        header = self.view.horizontalHeader()
        if first and sort_column in table.columns:
            self.view.sortByColumn(table.columns.index(sort_column), Qt.SortOrder.DescendingOrder)
        elif first:
            header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)  # keep the query's order
            self.model.clear_sort()
        elif 0 <= header.sortIndicatorSection() < len(table.columns):
            self.model.sort(header.sortIndicatorSection(), header.sortIndicatorOrder())
        if first:
            self.view.resizeColumnsToContents()
            self._natural = [header.sectionSize(i) for i in range(len(table.columns))]
            # The widest text column takes the spare width (not the last, numeric one).
            stretch = "name" if "name" in table.columns else table.columns[0]
            self._stretch = table.columns.index(stretch)
            header.setSectionResizeMode(self._stretch, QHeaderView.ResizeMode.Stretch)
            self.fit_width()

    #: Narrowest a text column is made to fit the table's width (its text elides, in full on
    #: hover).
    MIN_TEXT_WIDTH = 72
    #: What the stretching column (a product's name) keeps before the other text columns are
    #: cut: it is what a reader scans first.
    STRETCH_WIDTH = 150

    def fit_width(self) -> None:
        """Narrow the widest text columns (not the numbers) until every column fits the
        visible width, so the table does not scroll sideways when it need not."""
        columns = self.model.t.columns if self.model is not None else []
        if not columns or len(self._natural) != len(columns) or not self.isVisible():
            return
        header = self.view.horizontalHeader()
        # From the columns' natural widths each time, so they widen again with the window.
        widths = {i: w for i, w in enumerate(self._natural) if i != self._stretch}
        excess = sum(widths.values()) + self.STRETCH_WIDTH - self.view.viewport().width()
        assert self.model is not None
        if excess > 0 and not self.model.wrap_headers:
            # Too wide: headings on several lines first make the number columns (wide for
            # their headings alone: "Cart → purchase") narrower, before any text is cut.
            self.model.wrap_headers = True
            self.model.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(columns) - 1)
            for i in range(len(columns)):
                if i != self._stretch:
                    self.view.resizeColumnToContents(i)
            self._natural = [header.sectionSize(i) for i in range(len(columns))]
            self.fit_width()
            return
        for i in sorted((i for i in widths if not self.kinds.get(columns[i])),
                        key=lambda i: -widths[i]):
            cut = max(0, min(excess, widths[i] - self.MIN_TEXT_WIDTH))
            excess -= cut
            if header.sectionSize(i) != widths[i] - cut:
                header.resizeSection(i, widths[i] - cut)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit_width()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.fit_width()

    def _search_changed(self, text: str) -> None:
        if self.model is not None:
            self.model.set_search(text)

    @property
    def table(self) -> Table | None:
        return self._table

    @property
    def is_empty(self) -> bool:
        return self.stack.currentWidget() is self.empty_label

    def visible_rows(self) -> list[tuple[Any, ...]]:
        """The rows as shown (search and sort applied), raw values."""
        return list(self.model.rows) if self.model is not None else []

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
