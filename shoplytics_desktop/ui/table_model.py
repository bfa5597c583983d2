"""A lazily paged table model over any workspace table or view.

Pages of ``PAGE_SIZE`` rows are fetched with LIMIT/OFFSET in a worker as the view scrolls
(``canFetchMore``/``fetchMore``), so a 10-million-row table costs one page of memory; the row
count runs in a worker too. The filter is an ILIKE over the text columns, with the search text
passed as a parameter and identifiers quoted.

A view that is costly to compute (a transient model: every page would compute all of it again)
can be browsed from a snapshot instead: computed once into DuckDB's in-memory database, which
every cursor of the workspace sees and nothing writes to the workspace file, and dropped when the
table is closed. If the snapshot cannot be made (not enough memory), the view is paged directly.
"""

from __future__ import annotations

import itertools
import logging
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QFont, QGuiApplication, QPalette

from shoplytics_desktop.core import catalog
from shoplytics_desktop.core.catalog import filter_clause, order_clause
from shoplytics_desktop.core.sqlutil import quote_ident
from shoplytics_desktop.core.workspace import Workspace
from shoplytics_desktop.ui.numbers import ColumnFormat
from shoplytics_desktop.ui.table_view import format_cell, is_numeric
from shoplytics_desktop.ui.workers import Worker

log = logging.getLogger(__name__)

PAGE_SIZE = 500
Index = QModelIndex | QPersistentModelIndex


def table_columns(ws: Workspace, schema: str, table: str) -> list[tuple[str, str]]:
    return [(c.name, c.type) for c in catalog.columns(ws, schema, table)]


_SNAPSHOT_IDS = itertools.count(1)


def _snapshot(ws: Workspace, relation: str, target: str) -> int:
    return catalog.copy_to_memory(ws, relation, target)


def _drop_snapshot(ws: Workspace, target: str) -> None:
    catalog.drop_memory_table(ws, target)


class LazyTableModel(QAbstractTableModel):
    count_ready = Signal(int)  # rows matching the filter
    page_loaded = Signal(int)  # rows loaded so far
    failed = Signal(object)

    def __init__(self, ws: Workspace, schema: str, table: str, page_size: int = PAGE_SIZE,
                 snapshot: bool = False, source: str | None = None,
                 columns: list[tuple[str, str]] | None = None) -> None:
        """``source``: a quoted relation or a parenthesised query with an alias to read instead
        of ``schema.table`` (then ``columns`` names its columns and types)."""
        super().__init__()
        self.ws, self.schema, self.table = ws, schema, table
        self._source = source
        self.page_size = page_size
        #: snapshot: not yet made; pages come from ``source`` once it is (or has failed)
        self.snapshot = snapshot
        self.snapshot_table: str | None = None
        self._snapshot_state = "wanted" if snapshot else "none"
        self.columns = columns if columns is not None else table_columns(ws, schema, table)
        self.rows: list[tuple[Any, ...]] = []
        #: One number format per column, in the user's locale (the display only: copies and
        #: exports keep the database values).
        self.formats = [ColumnFormat(name, dtype) for name, dtype in self.columns]
        self.total: int | None = None
        self.filter_text = ""
        self._where = ""
        self._params: list[str] = []
        #: The column rows are sorted by (-1: the source's own order), and how.
        self.sort_column = -1
        self.sort_order = Qt.SortOrder.AscendingOrder
        self._order = ""
        self._exhausted = False
        self._loading = False
        self._generation = 0
        self._workers: list[Worker] = []

    @property
    def relation(self) -> str:
        return self._source or f"{quote_ident(self.schema)}.{quote_ident(self.table)}"

    @property
    def source(self) -> str:
        """What pages and counts read: the snapshot once it is made, else the relation."""
        return self.snapshot_table if self._snapshot_state == "made" and self.snapshot_table else self.relation

    @property
    def browse(self) -> catalog.Browse:
        """What the next page and count read: the source under the filter and the sort."""
        return catalog.Browse(self.source, tuple(self.columns), self.filter_text, self.sort_column,
                              self.sort_order == Qt.SortOrder.DescendingOrder)

    @property
    def computing(self) -> bool:
        """The snapshot of a view is being computed."""
        return self._snapshot_state == "computing"

    @property
    def loading(self) -> bool:
        return self._loading or self.computing

    @property
    def all_loaded(self) -> bool:
        """Every row matching the filter is in ``rows``."""
        return self._exhausted and not self.loading

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
            if value is None:
                return "NULL"
            text = self.formats[index.column()].text(value) if is_numeric(value) else None
            return format_cell(value) if text is None else text
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
        return not parent.isValid() and not self._exhausted and not self._loading and not self.computing

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid() or self._exhausted or self._loading or self.computing:
            return
        self._loading = True
        generation = self._generation
        worker = Worker(catalog.read_page, self.ws, self.browse, len(self.rows), self.page_size,
                        workspace=None, pass_reporter=False)
        worker.signals.result.connect(lambda rows: self._page(generation, rows))
        worker.signals.error.connect(lambda e: self._error(generation, e))
        self._start(worker)

    # -- loading -------------------------------------------------------------------------------

    def start(self) -> None:
        """Count the rows and fetch the first page (a wanted snapshot is made first)."""
        if self._snapshot_state == "wanted":
            self._make_snapshot()
            return
        if self._snapshot_state == "computing":
            return
        if self._snapshot_state == "made" and not self._where and self.total is not None:
            self.count_ready.emit(self.total)  # the snapshot's own row count
        else:
            self._count()
        self.fetchMore()

    def _make_snapshot(self) -> None:
        self._snapshot_state = "computing"
        target = catalog.memory_table(f"browse_{next(_SNAPSHOT_IDS)}_{self.table}")
        worker = Worker(_snapshot, self.ws, self.relation, target, pass_reporter=False)
        worker.signals.result.connect(lambda n: self._snapshot_made(target, n))
        worker.signals.error.connect(lambda e: self._snapshot_failed(target, e))
        self._start(worker)

    def _snapshot_made(self, target: str, rows: int) -> None:
        if self._snapshot_state != "computing":  # closed meanwhile
            _drop_snapshot(self.ws, target)
            return
        self.snapshot_table, self._snapshot_state = target, "made"
        if not self._where:
            self.total = rows
        self.start()

    def _snapshot_failed(self, target: str, error: BaseException) -> None:
        _drop_snapshot(self.ws, target)
        if self._snapshot_state != "computing":
            return
        log.warning("browsing %s without a snapshot: %s", self.relation, error)
        self._snapshot_state = "none"
        self.start()

    def set_filter(self, text: str) -> None:
        self.filter_text = text
        self._where, self._params = filter_clause(self.columns, text)
        self._reload()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sorted by the database (every page, under the filter); -1: the source's own order."""
        if column == self.sort_column and (column < 0 or order == self.sort_order):
            return
        self.sort_column, self.sort_order = column, order
        self._order = order_clause(self.columns, column, order == Qt.SortOrder.DescendingOrder)
        self._reload()

    def _reload(self) -> None:
        """Forget the rows and read them again (the filter or the order changed)."""
        self.beginResetModel()
        self._generation += 1
        self.rows = []
        self.total = None
        self._exhausted = False
        self._loading = False
        self.endResetModel()
        self.start()

    def _count(self) -> None:
        generation = self._generation
        worker = Worker(catalog.count_matching, self.ws, self.browse, pass_reporter=False)
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
            for i, fmt in enumerate(self.formats):
                fmt.learn([r[i] for r in rows[:200]])
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
        """Forget work in flight (the page is closing or showing another table), and drop the
        snapshot."""
        self._generation += 1
        if self.snapshot_table is not None:
            _drop_snapshot(self.ws, self.snapshot_table)
            self.snapshot_table = None
        self._snapshot_state = "closed"
