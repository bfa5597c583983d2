"""The Data page: every table by schema, and a lazily paged, filterable view of one."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from shoplytics_desktop.core import catalog, history
from shoplytics_desktop.core.workspace import INTERNAL, Workspace
from shoplytics_desktop.ui.table_model import LazyTableModel
from shoplytics_desktop.ui.table_view import CopyableTableView

SCHEMAS = ("raw", "staging", "intermediate", "marts", INTERNAL)
SCHEMA_NOTES = {
    "raw": "loaded events",
    "staging": "cleaned",
    "intermediate": "sessions, journeys",
    "marts": "published",
    INTERNAL: "run history",
}


def list_relations(ws: Workspace) -> list[tuple[str, str, str]]:
    """(schema, name, 'table' | 'view') for the app's schemas."""
    return [(r.schema, r.name, r.kind.value) for r in catalog.list_relations(ws, SCHEMAS)]


def transient_relations(ws: Workspace) -> set[str]:
    """The views that published runs last built as transient models: costly to compute, so
    they are browsed from a snapshot."""
    return history.transient_relations(ws)


class DataPage(QWidget):
    table_opened = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace: Workspace | None = None
        self.model: LazyTableModel | None = None
        self.transient: set[str] = set()

        self.tree = QTreeWidget()
        self.tree.setHeaderHidden(True)
        self.tree.setMinimumWidth(180)
        self.tree.itemSelectionChanged.connect(self._tree_selected)

        self.title = QLabel("Choose a table on the left.")
        font = self.title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.title.setFont(font)
        self.info = QLabel("")
        self.info.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter: rows whose text columns contain…")
        self.filter.setClearButtonEnabled(True)
        self.filter.setMaximumWidth(420)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(300)
        self._debounce.timeout.connect(self.apply_filter)
        self.filter.textChanged.connect(lambda _: self._debounce.start())
        self.filter.returnPressed.connect(self.apply_filter)
        self.view = CopyableTableView()
        self.view.horizontalHeader().setDefaultSectionSize(140)
        # A click on a column's header sorts by it in the database (the model's sort()); the
        # first click after opening a table starts from no order at all.
        self.view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.view.setSortingEnabled(True)
        self.view.horizontalHeader().setSortIndicatorClearable(True)
        #: The title and SQL of the query shown (drill-through), or None for a table.
        self.query: tuple[str, str] | None = None

        head = QHBoxLayout()
        head.addWidget(self.title)
        head.addStretch(1)
        head.addWidget(self.filter, 1)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(6, 0, 0, 0)
        rl.addLayout(head)
        rl.addWidget(self.info)
        rl.addWidget(self.view, 1)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("dataSplitter")
        self.splitter.addWidget(self.tree)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([230, 900])
        layout = QVBoxLayout(self)
        layout.addWidget(self.splitter)

    def set_workspace(self, ws: Workspace | None) -> None:
        self.workspace = ws
        self._close_model()
        self.title.setText("Choose a table on the left.")
        self.info.setText("")
        self.refresh()

    def refresh(self) -> None:
        """Re-read the catalog (after a run or an import); keeps the open table open."""
        current = self.current_relation()
        query = self.query
        self.tree.clear()
        ws = self.workspace
        if ws is None:
            return
        groups: dict[str, QTreeWidgetItem] = {}
        for schema in SCHEMAS:
            item = QTreeWidgetItem([schema])
            item.setToolTip(0, SCHEMA_NOTES.get(schema, ""))
            font = item.font(0)
            font.setBold(True)
            item.setFont(0, font)
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsSelectable)
            groups[schema] = item
            self.tree.addTopLevelItem(item)
        self.transient = transient_relations(ws)
        for schema, name, kind in list_relations(ws):
            relation = f"{schema}.{name}"
            child = QTreeWidgetItem([name])
            child.setData(0, Qt.ItemDataRole.UserRole, relation)
            child.setToolTip(0, f"{relation} (a view computed from its SQL when read)"
                             if relation in self.transient else f"{relation} ({kind})")
            if kind == "view":
                font = child.font(0)
                font.setItalic(True)
                child.setFont(0, font)
            groups[schema].addChild(child)
        for schema, item in groups.items():
            item.setExpanded(schema != INTERNAL)
            if item.childCount() == 0:
                item.setText(0, f"{schema} (empty)")
        if query is not None:
            self.show_query(*query)
        elif current:
            self._close_model()
            if not self.select(current):  # reselecting reopens it: its rows may have changed
                self.title.setText(f"{current} no longer exists.")
                self.info.setText("")

    def current_relation(self) -> str:
        if self.model is None or self.query is not None:
            return ""
        return f"{self.model.schema}.{self.model.table}"

    def select(self, relation: str) -> bool:
        for i in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(i)
            if group is None:
                continue
            for j in range(group.childCount()):
                child = group.child(j)
                if child is not None and child.data(0, Qt.ItemDataRole.UserRole) == relation:
                    self.tree.setCurrentItem(child)
                    return True
        return False

    def _tree_selected(self) -> None:
        items = self.tree.selectedItems()
        relation = items[0].data(0, Qt.ItemDataRole.UserRole) if items else None
        if relation and relation != self.current_relation():
            self.open_table(relation)

    def open_table(self, relation: str) -> None:
        ws = self.workspace
        if ws is None:
            return
        schema, _, table = relation.partition(".")
        self._close_model()
        self._show_model(LazyTableModel(ws, schema, table, snapshot=relation in self.transient),
                         relation)
        self.table_opened.emit(relation)

    def show_query(self, title: str, sql: str) -> bool:
        """Browse the rows of one read-only SELECT (checked by the rule of ``shoplytics query``)
        as a table: paged, filtered and sorted like one. False, with the reason shown, when the
        query is refused or cannot be read."""
        from shoplytics_desktop.core.errors import ShoplyticsError
        from shoplytics_desktop.core.query import query_columns

        ws = self.workspace
        if ws is None:
            return False
        self._close_model()
        self.tree.blockSignals(True)
        self.tree.clearSelection()
        self.tree.blockSignals(False)
        try:
            columns = query_columns(ws, sql)
        except ShoplyticsError as e:
            self.title.setText(title)
            self.info.setText(e.one_line())
            return False
        model = LazyTableModel(ws, "query", title, snapshot=True, source=f"(\n{sql}\n) AS query",
                               columns=columns)
        self.query = (title, sql)
        self._show_model(model, title)
        self.title.setToolTip(sql)
        return True

    def _show_model(self, model: LazyTableModel, title: str) -> None:
        model.count_ready.connect(lambda _n: self._update_info())
        model.page_loaded.connect(lambda _n: self._update_info())
        model.failed.connect(lambda e: self.info.setText(f"Could not read {title}: {getattr(e, 'message', e)}"))
        self.model = model
        header = self.view.horizontalHeader()
        header.blockSignals(True)  # a new table starts unsorted
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        header.blockSignals(False)
        self.view.setModel(model)
        self.title.setText(title)
        self.title.setToolTip("")
        self.filter.blockSignals(True)
        self.filter.clear()  # a filter belongs to the table it was typed for
        self.filter.blockSignals(False)
        model.start()
        self._update_info()

    def apply_filter(self) -> None:
        self._debounce.stop()
        if self.model is not None and self.model.filter_text != self.filter.text():
            self.model.set_filter(self.filter.text())
            self._update_info()

    def _update_info(self) -> None:
        m = self.model
        if m is None:
            return
        if m.computing:
            self.info.setText(f"Computing {m.schema}.{m.table} (a view: it is computed once, "
                              "then browsed from memory)…")
            return
        total = "counting…" if m.total is None else f"{m.total:,} rows"
        if m.filter_text.strip() and m.total is not None:
            total += " match the filter"
        if m.all_loaded and m.total is not None and len(m.rows) >= m.total:
            loaded = f"all {len(m.rows):,} rows loaded" if m.total != 1 else "the row is loaded"
            if m.total == 0:
                loaded = "nothing to load"
        else:
            loaded = f"{len(m.rows):,} loaded" + (" (loading…)" if m.loading else " · scroll for more")
        order = ""
        if 0 <= m.sort_column < len(m.columns):
            way = "descending" if m.sort_order == Qt.SortOrder.DescendingOrder else "ascending"
            order = f" · sorted by {m.columns[m.sort_column][0]}, {way}"
        self.info.setText(f"{total} · {len(m.columns)} columns · {loaded}{order} · "
                          "Ctrl+C copies the selection")

    def _close_model(self) -> None:
        if self.model is not None:
            self.model.stop()
        self.view.setModel(None)
        self.model = None
        self.query = None
