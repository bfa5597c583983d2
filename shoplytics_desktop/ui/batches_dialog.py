"""File ▸ Import batches…: the workspace's import batches, and undoing one.

Deleting takes the workspace's verified backup first (``core.ingest.batches.delete_batch``), after
a confirmation that names the rows it removes; the backup's path is shown afterwards.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from shoplytics_desktop.core.errors import ShoplyticsError, count_of
from shoplytics_desktop.core.ingest.batches import (
    BatchInfo,
    DeleteReport,
    batch_rows,
    delete_batch,
    list_batches,
)
from shoplytics_desktop.core.workspace import Workspace
from shoplytics_desktop.ui.workers import Worker

HEADERS = ("batch", "kind", "source", "rows loaded", "duplicates", "rejected", "when", "status")
TABLE_NOUNS = {"raw.events": "event", "raw.products": "product", "raw.users": "user",
               "raw.rejected_events": "rejected event"}


def describe_rows(counts: dict[str, int]) -> str:
    parts = [count_of(n, TABLE_NOUNS.get(t, t)) for t, n in counts.items() if n]
    return ", ".join(parts) if parts else "no rows"


def _confirm(box: QMessageBox) -> object:
    box.exec()
    return box.clickedButton()


class BatchesDialog(QDialog):
    deleted = Signal(object)  # DeleteReport

    def __init__(self, ws: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws = ws
        self.worker: Worker | None = None
        #: Runs a confirmation box and returns the button clicked (replaceable in tests).
        self.confirm: Callable[[QMessageBox], object] = _confirm
        self.setWindowTitle(f"Import batches — {ws.folder.name}")
        self.resize(980, 420)
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels(list(HEADERS))
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.delete_button = QPushButton("Delete batch…")
        self.delete_button.setToolTip("Remove the batch's rows from the raw tables (a backup is taken first)")
        self.delete_button.clicked.connect(self.delete_selected)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.delete_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Every import is a batch; deleting one removes exactly the rows it "
                                "loaded. Run the pipeline afterwards to rebuild the marts."))
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.batches: list[BatchInfo] = []
        self.reload()

    def reload(self) -> None:
        self.batches = list_batches(self.ws.cursor())
        self.table.setRowCount(len(self.batches))
        for r, b in enumerate(self.batches):
            when = f"{b.started_at:%Y-%m-%d %H:%M}" if b.started_at else ""
            cells = (b.batch_id, b.kind, b.source or "", f"{b.rows_loaded:,}", f"{b.rows_duplicate:,}",
                     f"{b.rows_rejected:,}", when, b.status or "")
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text if c != 7 else (b.message or text))
                if c in (3, 4, 5):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, item)
        if not self.batches:
            self.message.setText("This workspace has no import batches.")
        self._update_buttons()

    def selected(self) -> BatchInfo | None:
        rows = {i.row() for i in self.table.selectedItems()}
        return self.batches[rows.pop()] if len(rows) == 1 else None

    def select_batch(self, batch_id: str) -> None:
        for r, b in enumerate(self.batches):
            if b.batch_id == batch_id:
                self.table.selectRow(r)
                return

    def delete_selected(self) -> None:
        batch = self.selected()
        if batch is None or self.worker is not None:
            return
        counts = batch_rows(self.ws, batch.batch_id)
        what = describe_rows(counts)
        box = QMessageBox(QMessageBox.Icon.Warning, "Delete import batch",
                          f"Delete batch {batch.batch_id} ({batch.source or batch.kind})?", parent=self)
        box.setInformativeText(
            f"This removes {what} from {self.ws.folder.name}. The workspace is backed up to "
            f"{self.ws.backup_path} first; File ▸ Restore backup… puts it back.")
        delete = box.addButton("Delete the batch", QMessageBox.ButtonRole.DestructiveRole)
        keep = box.addButton("Keep it", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep)
        if self.confirm(box) is not delete:
            return
        worker = Worker(delete_batch, self.ws, batch.batch_id, workspace=self.ws, pass_reporter=False)
        worker.signals.result.connect(self._deleted)
        worker.signals.error.connect(self._failed)
        worker.signals.finished.connect(self._done)
        self.worker = worker
        self.message.setText(f"Backing up and deleting batch {batch.batch_id}…")
        self._update_buttons()
        worker.start()

    def _deleted(self, report: DeleteReport) -> None:
        self.message.setText(
            f"Deleted batch {report.batch_id}: {describe_rows(report.rows_deleted)} removed. "
            + (f"{report.shared_note()} " if report.also_in else "")
            + f"The workspace as it was is backed up in {self.ws.backup_path}. Run the pipeline "
            "to rebuild the marts.")
        self.deleted.emit(report)

    def _failed(self, error: BaseException) -> None:
        text = error.one_line() if isinstance(error, ShoplyticsError) else str(error).splitlines()[0]
        self.message.setText(f"The batch was not deleted: {text}")

    def _done(self) -> None:
        self.worker = None
        self.reload()

    def _update_buttons(self) -> None:
        self.delete_button.setEnabled(self.selected() is not None and self.worker is None
                                      and not self.ws.read_only)
