"""A lazily paged table model over any workspace table or view.

Pages of ``PAGE_SIZE`` rows are fetched with LIMIT/OFFSET in a worker as the view scrolls
(``canFetchMore``/``fetchMore``), so a 10-million-row table costs one page of memory; the row
count runs in a worker too. The filter is an ILIKE over the text columns, with the search text
passed as a parameter and identifiers quoted.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QFont, QGuiApplication, QPalette

from shoplytics_desktop.core.sqlutil import quote_ident
from shoplytics_desktop.core.workspace import Workspace
from shoplytics_desktop.ui.table_view import format_cell, is_numeric
from shoplytics_desktop.ui.workers import Worker

log = logging.getLogger(__name__)

PAGE_SIZE = 500
TEXT_TYPES = ("VARCHAR", "JSON", "UUID")
Index = QModelIndex | QPersistentModelIndex


def table_columns(ws: Workspace, schema: str, table: str) -> list[tuple[str, str]]:
    return [
        (r[0], r[1])
        for r in ws.cursor().execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            [schema, table],
        ).fetchall()
    ]


def filter_clause(columns: list[tuple[str, str]], text: str) -> tuple[str, list[str]]:
    """A WHERE clause matching ``text`` in any text column, and its parameters."""
    text = text.strip()
    if not text:
        return "", []
    cols = [name for name, dtype in columns if dtype.upper().split("(")[0] in TEXT_TYPES]
    if not cols:
        return " WHERE false", []
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    parts = [f"CAST({quote_ident(c)} AS VARCHAR) ILIKE ? ESCAPE '\\'" for c in cols]
    return " WHERE " + " OR ".join(parts), [pattern] * len(cols)


def _fetch_page(ws: Workspace, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    return ws.cursor().execute(sql, params).fetchall()


def _count(ws: Workspace, sql: str, params: list[Any]) -> int:
    row = ws.cursor().execute(sql, params).fetchone()
    return int(row[0]) if row else 0


class LazyTableModel(QAbstractTableModel):
    count_ready = Signal(int)  # rows matching the filter
    page_loaded = Signal(int)  # rows loaded so far
    failed = Signal(object)

    def __init__(self, ws: Workspace, schema: str, table: str, page_size: int = PAGE_SIZE) -> None:
        super().__init__()
        self.ws, self.schema, self.table = ws, schema, table
        self.page_size = page_size
        self.columns = table_columns(ws, schema, table)
        self.rows: list[tuple[Any, ...]] = []
        self.total: int | None = None
        self.filter_text = ""
        self._where = ""
        self._params: list[str] = []
        self._exhausted = False
        self._loading = False
        self._generation = 0
        self._workers: list[Worker] = []

    @property
    def relation(self) -> str:
        return f"{quote_ident(self.schema)}.{quote_ident(self.table)}"

    @property
    def loading(self) -> bool:
        return self._loading

    # -- Qt model API --------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        value = self.rows[index.row()][index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return "NULL" if value is None else format_cell(value)
        if value is None and role == Qt.ItemDataRole.ForegroundRole:
            return QGuiApplication.palette().color(QPalette.ColorRole.PlaceholderText)
        if value is None and role == Qt.ItemDataRole.FontRole:
            font = QFont()
            font.setItalic(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            return "NULL" if value is None else format_cell(value)[:2000]
        if role == Qt.ItemDataRole.TextAlignmentRole and is_numeric(value):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.UserRole:
            return value
        return None

    def raw_value(self, index: Index) -> Any:
        """The database value behind a cell (None for NULL); copies use it, not the display text."""
        return self.rows[index.row()][index.column()]

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.columns):
            name, dtype = self.columns[section]
            if role == Qt.ItemDataRole.DisplayRole:
                return f"{name}\n{dtype.lower()}"
            if role == Qt.ItemDataRole.ToolTipRole:
                return f"{name}: {dtype}"
        if orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole:
            return str(section + 1)
        return None

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and not self._exhausted and not self._loading

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid() or self._exhausted or self._loading:
            return
        self._loading = True
        generation = self._generation
        sql = (f"SELECT * FROM {self.relation}{self._where} "
               f"LIMIT {self.page_size} OFFSET {len(self.rows)}")
        worker = Worker(_fetch_page, self.ws, sql, list(self._params), workspace=None, pass_reporter=False)
        worker.signals.result.connect(lambda rows: self._page(generation, rows))
        worker.signals.error.connect(lambda e: self._error(generation, e))
        self._start(worker)

    # -- loading -------------------------------------------------------------------------------

    def start(self) -> None:
        """Count the rows and fetch the first page."""
        self._count()
        self.fetchMore()

    def set_filter(self, text: str) -> None:
        self.beginResetModel()
        self._generation += 1
        self.filter_text = text
        self._where, self._params = filter_clause(self.columns, text)
        self.rows = []
        self.total = None
        self._exhausted = False
        self._loading = False
        self.endResetModel()
        self.start()

    def _count(self) -> None:
        generation = self._generation
        worker = Worker(_count, self.ws, f"SELECT count(*) FROM {self.relation}{self._where}",
                        list(self._params), pass_reporter=False)
        worker.signals.result.connect(lambda n: self._counted(generation, n))
        worker.signals.error.connect(lambda e: self._error(generation, e))
        self._start(worker)

    def _start(self, worker: Worker) -> None:
        self._workers.append(worker)
        worker.signals.finished.connect(lambda: self._workers.remove(worker) if worker in self._workers else None)
        worker.start()

    def _counted(self, generation: int, n: int) -> None:
        if generation == self._generation:
            self.total = n
            self.count_ready.emit(n)

    def _page(self, generation: int, rows: list[tuple[Any, ...]]) -> None:
        if generation != self._generation:
            return
        self._loading = False
        if len(rows) < self.page_size:
            self._exhausted = True
        if rows:
            first = len(self.rows)
            self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
            self.rows.extend(rows)
            self.endInsertRows()
        self.page_loaded.emit(len(self.rows))

    def _error(self, generation: int, error: BaseException) -> None:
        if generation != self._generation:
            return
        self._loading = False
        self._exhausted = True
        log.warning("table page failed: %s", error)
        self.failed.emit(error)

    def stop(self) -> None:
        """Forget work in flight (the page is closing or showing another table)."""
        self._generation += 1
