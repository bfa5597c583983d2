"""The SQL page: one read-only SELECT over the workspace (the rule of ``shoplytics query``), run
off the UI thread, its rows paged like the Data page's, charted, exported, and remembered."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QFont, QFontDatabase, QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from shoplytics_desktop.core.errors import ShoplyticsError
from shoplytics_desktop.core.query import QueryResult, drop_result, export_result, run_query
from shoplytics_desktop.core.workspace import Workspace
from shoplytics_desktop.ui import query_history, theme
from shoplytics_desktop.ui.sql_chart import ResultChart
from shoplytics_desktop.ui.sql_highlighter import SqlHighlighter
from shoplytics_desktop.ui.table_model import LazyTableModel
from shoplytics_desktop.ui.table_view import CopyableTableView
from shoplytics_desktop.ui.workers import Worker

log = logging.getLogger(__name__)

EXAMPLE = ("-- One read-only SELECT over the workspace's tables; bare names are looked up in\n"
           "-- marts, intermediate, staging, raw. Ctrl+Enter runs it.\n"
           "SELECT order_date, count(*) AS orders, sum(revenue) AS revenue\n"
           "FROM fct_orders\nGROUP BY order_date\nORDER BY order_date")


def one_line(error: BaseException) -> str:
    """What the page says about a failure: never a traceback."""
    if isinstance(error, ShoplyticsError):
        return error.one_line()
    text = str(error).strip()
    return f"The query failed: {text.splitlines()[0] if text else type(error).__name__}"


class SqlEditor(QPlainTextEdit):
    """Ctrl+Enter (either Enter key) asks to run; the text is not changed by it."""

    run_requested = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if (event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and event.modifiers() & Qt.KeyboardModifier.ControlModifier):
            event.accept()
            self.run_requested.emit()
            return
        super().keyPressEvent(event)


class SqlPage(QWidget):
    ran = Signal(object)  # QueryResult

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace: Workspace | None = None
        self.worker: Worker | None = None
        self.result: QueryResult | None = None
        self.model: LazyTableModel | None = None

        self.editor = SqlEditor()
        self.editor.setObjectName("sqlEditor")
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.editor.setFont(mono)
        self.editor.setPlaceholderText("SELECT … FROM fct_orders …")
        self.editor.setPlainText(EXAMPLE)
        self.highlighter = SqlHighlighter(self.editor.document())
        self.editor.run_requested.connect(self.run)

        self.run_button = QPushButton("Run")
        self.run_button.setToolTip("Run the query (Ctrl+Enter)")
        self.run_button.clicked.connect(self.run)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Save the result as CSV or Parquet")
        self.export_button.clicked.connect(self.ask_export)
        self.history = QComboBox()
        self.history.setObjectName("sqlHistory")
        self.history.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.history.setMinimumContentsLength(28)
        self.history.setToolTip("Recent queries of this workspace")
        self.history.activated.connect(self._history_chosen)
        self.message = QLabel("")
        self.message.setObjectName("sqlMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        bar = QHBoxLayout()
        for w in (self.run_button, self.cancel_button, self.export_button):
            bar.addWidget(w)
        bar.addStretch(1)
        bar.addWidget(QLabel("History"))
        bar.addWidget(self.history)

        self.view = CopyableTableView()
        self.view.horizontalHeader().setDefaultSectionSize(140)
        self.view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.view.setSortingEnabled(True)
        self.view.horizontalHeader().setSortIndicatorClearable(True)
        self.info = QLabel("")
        self.info.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        table = QWidget()
        tl = QVBoxLayout(table)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(self.view, 1)
        tl.addWidget(self.info)
        self.chart = ResultChart()
        self.tabs = QTabWidget()
        self.tabs.addTab(table, "Result")
        self.tabs.addTab(self.chart, "Chart")
        self.tabs.currentChanged.connect(lambda _i: self._chart_if_shown())

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.editor, 1)
        top_layout.addLayout(bar)
        top_layout.addWidget(self.message)
        self.split = QSplitter(Qt.Orientation.Vertical)
        self.split.setObjectName("sqlSplitter")
        self.split.addWidget(top)
        self.split.addWidget(self.tabs)
        self.split.setStretchFactor(1, 1)
        self.split.setSizes([260, 520])
        layout = QVBoxLayout(self)
        layout.addWidget(self.split)
        self._chart_stale = True
        self._update_buttons()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:  # the highlighter's colours follow
            self.highlighter.setDocument(None)
            self.highlighter = SqlHighlighter(self.editor.document())
            self.chart.draw()
        super().changeEvent(event)

    # -- workspace -----------------------------------------------------------------------------

    def set_workspace(self, ws: Workspace | None) -> None:
        self.cancel()
        self._set_result(None)
        self.workspace = ws
        self._fill_history(query_history.load(ws.folder) if ws is not None else [])
        self.say("" if ws is not None else "Open a workspace to query it.")
        self._update_buttons()

    def refresh(self) -> None:
        """The marts changed (a run): an old result stays as it was computed."""

    @property
    def busy(self) -> bool:
        return self.worker is not None

    # -- running -------------------------------------------------------------------------------

    def run(self) -> None:
        ws = self.workspace
        sql = self.editor.toPlainText()
        if ws is None or self.busy:
            return
        if not sql.strip():
            self.say("Write a SELECT first.", "warn")
            return
        worker = Worker(run_query, ws, sql, workspace=ws)
        worker.signals.result.connect(self._ran)
        worker.signals.error.connect(lambda e: self.say(one_line(e), "error"))
        worker.signals.cancelled.connect(lambda: self.say("Cancelled.", "warn"))
        worker.signals.finished.connect(self._done)
        self.worker = worker
        self._fill_history(query_history.remember(ws.folder, sql))
        self.say("Running…", "running")
        self._update_buttons()
        worker.start()

    def cancel(self) -> None:
        if self.worker is not None:
            self.say("Cancelling…", "warn")
            self.worker.cancel()

    def _ran(self, result: QueryResult) -> None:
        if self.workspace is None:
            return
        self._set_result(result)
        self.say(f"{result.rows:,} row{'s' if result.rows != 1 else ''} in {result.seconds:.3f} s.",
                 "success")
        self.ran.emit(result)

    def _done(self) -> None:
        self.worker = None
        self._update_buttons()

    def _set_result(self, result: QueryResult | None) -> None:
        old, self.result = self.result, result
        if self.model is not None:
            self.model.stop()
        self.view.setModel(None)
        self.model = None
        if old is not None and self.workspace is not None:
            drop_result(self.workspace, old)
        if result is not None and self.workspace is not None:
            model = LazyTableModel(self.workspace, "query", "result", source=result.relation,
                                   columns=list(result.columns))
            model.page_loaded.connect(lambda _n: self._update_info())
            model.count_ready.connect(lambda _n: self._update_info())
            model.failed.connect(lambda e: self.say(one_line(e), "error"))
            header = self.view.horizontalHeader()
            header.blockSignals(True)
            header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
            header.blockSignals(False)
            self.model = model
            self.view.setModel(model)
            model.start()
        self._chart_stale = True
        self._chart_if_shown()
        self._update_info()
        self._update_buttons()

    def _update_info(self) -> None:
        m, r = self.model, self.result
        if m is None or r is None:
            self.info.setText("")
            return
        if m.all_loaded and len(m.rows) >= r.rows:
            loaded = f"all {r.rows:,} rows loaded" if r.rows else "no rows"
        else:
            loaded = f"{len(m.rows):,} of {r.rows:,} rows loaded · scroll for more"
        self.info.setText(f"{loaded} · {len(r.columns)} columns · {r.seconds:.3f} s · "
                          "click a header to sort; Ctrl+C copies the selection")

    def _chart_if_shown(self) -> None:
        if self._chart_stale and self.tabs.currentWidget() is self.chart:
            self._chart_stale = False
            self.chart.set_result(self.workspace, self.result)

    # -- export --------------------------------------------------------------------------------

    def ask_export(self) -> None:
        if self.result is None:
            return
        name, chosen = QFileDialog.getSaveFileName(
            self, "Export the query result", str(Path.home() / "query.csv"),
            "CSV (*.csv);;Parquet (*.parquet)")
        if name:
            fmt = "parquet" if name.lower().endswith(".parquet") or "parquet" in chosen.lower() else "csv"
            path = Path(name)
            if path.suffix.lower() != f".{fmt}":
                path = path.with_name(path.name + f".{fmt}")
            self.export(path, fmt)

    def export(self, path: Path, fmt: str) -> bool:
        ws, result = self.workspace, self.result
        if ws is None or result is None:
            return False
        try:
            written = export_result(ws, result, path, fmt)
        except ShoplyticsError as e:
            self.say(e.one_line(), "error")
            return False
        self.say(f"Exported {written.rows:,} rows to {written.path}.", "success")
        return True

    # -- history -------------------------------------------------------------------------------

    def _fill_history(self, items: list[str]) -> None:
        self.history.clear()
        for sql in items:
            first = " ".join(line for line in sql.splitlines()
                             if line.strip() and not line.strip().startswith("--"))
            self.history.addItem(first[:90] or sql[:90], sql)
            self.history.setItemData(self.history.count() - 1, sql, Qt.ItemDataRole.ToolTipRole)
        self.history.setEnabled(bool(items))

    def history_items(self) -> list[str]:
        return [self.history.itemData(i) for i in range(self.history.count())]

    def _history_chosen(self, index: int) -> None:
        sql = self.history.itemData(index)
        if isinstance(sql, str):
            self.editor.setPlainText(sql)
            self.editor.setFocus()

    # -- state ---------------------------------------------------------------------------------

    def say(self, text: str, status: str = "") -> None:
        color = theme.status_text_color(status).name() if status in ("error", "warn") else ""
        self.message.setStyleSheet(f"color: {color};" if color else "")
        self.message.setText(text)
        self.message.setToolTip(text)

    def _update_buttons(self) -> None:
        ready = self.workspace is not None
        self.run_button.setEnabled(ready and not self.busy)
        self.cancel_button.setEnabled(self.busy)
        self.export_button.setEnabled(self.result is not None and not self.busy)
