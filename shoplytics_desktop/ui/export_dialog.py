"""Export tables to CSV or Parquet with ``core.export.export_tables``, in a worker."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from shoplytics_desktop.core.export import ExportedFile, export_tables
from shoplytics_desktop.core.workspace import Workspace
from shoplytics_desktop.ui import app_settings
from shoplytics_desktop.ui.data_page import list_relations
from shoplytics_desktop.ui.errors import show_error
from shoplytics_desktop.ui.workers import Worker


class ExportDialog(QDialog):
    def __init__(self, ws: Workspace, parent: QWidget | None = None, preselect: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle("Export tables")
        self.ws = ws
        self.worker: Worker | None = None
        self.files: list[ExportedFile] = []
        self.confirm = self._ask_overwrite  # replaceable in tests

        self.all_schemas = QCheckBox("Show every schema (not only the marts)")
        self.all_schemas.toggled.connect(lambda _: self._fill_tables(preselect))
        self.tables = QListWidget()
        self.csv = QRadioButton("CSV (spreadsheets)")
        self.parquet = QRadioButton("Parquet (analytics tools)")
        self.csv.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.csv)
        group.addButton(self.parquet)
        formats = QHBoxLayout()
        formats.addWidget(self.csv)
        formats.addWidget(self.parquet)
        formats.addStretch(1)
        self.folder = QLineEdit(app_settings.load_text("export/folder", str(Path.home() / "shoplytics-export")))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(browse)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.message = QLabel("")
        self.message.setWordWrap(True)

        self.buttons = QDialogButtonBox()
        self.export_button = self.buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.show_button = self.buttons.addButton("Show in folder", QDialogButtonBox.ButtonRole.ActionRole)
        self.show_button.setEnabled(False)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.export_button.clicked.connect(self.start_export)
        self.show_button.clicked.connect(self.show_in_folder)
        self.close_button.clicked.connect(self._close_or_cancel)

        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Tables to export:"))
        layout.addWidget(self.tables, 1)
        layout.addWidget(self.all_schemas)
        layout.addWidget(QLabel("Format:"))
        layout.addLayout(formats)
        layout.addWidget(QLabel("Folder (one file per table):"))
        layout.addLayout(folder_row)
        layout.addWidget(self.progress)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.resize(520, 520)
        self._fill_tables(preselect)

    # -- choices -------------------------------------------------------------------------------

    def _fill_tables(self, preselect: str = "") -> None:
        self.tables.clear()
        for schema, name, kind in list_relations(self.ws):
            if schema.startswith("_") or (not self.all_schemas.isChecked() and schema != "marts"):
                continue
            relation = f"{schema}.{name}"
            item = QListWidgetItem(relation + ("  (view)" if kind == "view" else ""))
            item.setData(Qt.ItemDataRole.UserRole, relation)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            checked = relation == preselect if preselect else schema == "marts"
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
            self.tables.addItem(item)
        if self.tables.count() == 0:
            self.message.setText("There are no marts yet: run the pipeline first, or show every schema.")

    def selected_tables(self) -> list[str]:
        return [
            self.tables.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.tables.count())
            if self.tables.item(i).checkState() == Qt.CheckState.Checked
        ]

    @property
    def fmt(self) -> str:
        return "parquet" if self.parquet.isChecked() else "csv"

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export to folder", self.folder.text())
        if folder:
            self.folder.setText(folder)

    def _ask_overwrite(self, existing: list[Path]) -> bool:
        names = "\n".join(f"  {p.name}" for p in existing[:10]) + ("\n  …" if len(existing) > 10 else "")
        answer = QMessageBox.question(
            self, "Overwrite files?",
            f"These files already exist in {existing[0].parent}:\n{names}\n\nOverwrite them?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    # -- export --------------------------------------------------------------------------------

    def start_export(self) -> None:
        tables = self.selected_tables()
        if not tables:
            self.message.setText("Tick at least one table.")
            return
        out = Path(self.folder.text()).expanduser()
        existing = [out / f"{t.rpartition('.')[2]}.{self.fmt}" for t in tables]
        existing = [p for p in existing if p.exists()]
        force = False
        if existing:
            if not self.confirm(existing):
                self.message.setText("Nothing exported: choose another folder, or allow overwriting.")
                return
            force = True
        app_settings.save_text("export/folder", str(out))
        self.out_dir = out
        worker = Worker(export_tables, self.ws, tables, out, self.fmt, force=force, workspace=self.ws)
        worker.signals.progress.connect(self._progress)
        worker.signals.result.connect(self._done)
        worker.signals.error.connect(self._failed)
        worker.signals.cancelled.connect(lambda: self.message.setText("Export cancelled; no partial file was left."))
        worker.signals.finished.connect(self._finished)
        self.worker = worker
        self.export_button.setEnabled(False)
        self.close_button.setText("Cancel")
        self.message.setText(f"Exporting {len(tables)} table(s)…")
        worker.start()

    def _progress(self, done: float, total: float, message: str) -> None:
        if total:
            self.progress.setValue(int(100 * done / total))
        self.message.setText(message)

    def _done(self, files: list[ExportedFile]) -> None:
        self.files = files
        self.progress.setValue(100)
        rows = sum(f.rows for f in files)
        self.message.setText(f"Exported {len(files)} file(s), {rows:,} rows, to {self.out_dir}.")
        self.show_button.setEnabled(True)

    def _failed(self, error: BaseException) -> None:
        self.message.setText("The export failed; no partial file was left.")
        show_error(self, error)

    def _finished(self) -> None:
        self.worker = None
        self.export_button.setEnabled(True)
        self.close_button.setText("Close")

    def _close_or_cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
        else:
            self.reject()

    def reject(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
            return
        super().reject()

    def show_in_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.out_dir)))
