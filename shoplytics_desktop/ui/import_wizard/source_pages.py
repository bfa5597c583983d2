"""Pages 1–2: which files, and what they turned out to be (format, dialect, first rows)."""

from __future__ import annotations

import contextlib
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from shoplytics_desktop.core import ingest
from shoplytics_desktop.core.errors import ShoplyticsError
from shoplytics_desktop.ui.drops import accept_file_drag, dropped_files
from shoplytics_desktop.ui.errors import show_error
from shoplytics_desktop.ui.import_wizard.common import (
    ImportState,
    JobPage,
    RowsModel,
    set_kind,
    status_label,
)
from shoplytics_desktop.ui.import_wizard.jobs import SourceHead, expand, human_size, inspect_job
from shoplytics_desktop.ui.table_view import CopyableTableView

DELIMITERS: tuple[tuple[str, str | None], ...] = (
    ("as detected", None), ("comma ,", ","), ("semicolon ;", ";"), ("tab", "\t"), ("pipe |", "|"))
DATA_FILTER = ("Data files (*.csv *.tsv *.txt *.psv *.tab *.json *.jsonl *.ndjson *.parquet *.pq "
               "*.gz *.zip);;All files (*)")


def _size(path: Path) -> str:
    try:
        return human_size(path.stat().st_size)
    except OSError:
        return "missing"


class SideFile(QWidget):
    """An optional extra file (product catalog, user profiles): a path, Browse…, its size."""

    def __init__(self, title: str) -> None:
        super().__init__()
        self.title = title
        self.edit = QLineEdit()
        self.edit.setPlaceholderText("none")
        self.edit.setClearButtonEnabled(True)
        self.size_label = QLabel()
        self.size_label.setMinimumWidth(80)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addWidget(self.size_label)
        row.addWidget(browse)
        self.edit.textChanged.connect(self._changed)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.title, self.edit.text(), DATA_FILTER)
        if path:
            self.edit.setText(path)

    def _changed(self, text: str) -> None:
        self.size_label.setText(_size(Path(text)) if text.strip() else "")

    def path(self) -> str | None:
        return self.edit.text().strip() or None


class FilesPage(JobPage):
    def __init__(self, state: ImportState) -> None:
        super().__init__()
        self.state = state
        self.setTitle("Import events: choose the files")
        self.setSubTitle("CSV/TSV, JSON, NDJSON or Parquet exports, optionally gzip-compressed or "
                         "in a zip archive; a folder brings the files of its subfolders too. "
                         "Several files of one format are read together as one batch.")
        self.files = QTreeWidget()
        self.files.setColumnCount(3)
        self.files.setHeaderLabels(["File", "Size", "Folder"])
        self.files.setRootIsDecorated(False)
        self.files.setAlternatingRowColors(True)
        header = self.files.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        add = QPushButton("Add files…")
        add.clicked.connect(self._add_files)
        folder = QPushButton("Add folder…")
        folder.clicked.connect(self._add_folder)
        self.remove = QPushButton("Remove")
        self.remove.clicked.connect(self._remove)
        buttons = QHBoxLayout()
        for b in (add, folder, self.remove):
            buttons.addWidget(b)
        buttons.addStretch(1)
        self.total = QLabel()
        buttons.addWidget(self.total)
        self.products = SideFile("Product catalog")
        self.users = SideFile("User profiles")
        extras = QFormLayout()
        extras.addRow("Product catalog (optional):", self.products)
        extras.addRow("User profiles (optional):", self.users)
        self.problem = status_label("warn")
        layout = QVBoxLayout(self)
        layout.addWidget(self.files, 1)
        layout.addLayout(buttons)
        layout.addSpacing(8)
        layout.addLayout(extras)
        layout.addWidget(self.problem)
        self.files.itemSelectionChanged.connect(
            lambda: self.remove.setEnabled(bool(self.files.selectedItems())))
        self.remove.setEnabled(False)
        self.setAcceptDrops(True)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        accept_file_drag(event)

    def dropEvent(self, event: QDropEvent) -> None:
        files = dropped_files(event)
        if files:
            self.add_paths(files)

    def add_paths(self, items: list[str]) -> None:
        """Files as named, folders as their data files; a folder without any says so."""
        known = set(self.paths())
        for item in items:
            try:
                found = expand([item])
            except ShoplyticsError as e:
                show_error(self, e)
                continue
            for path in found:
                if str(path) in known:
                    continue
                known.add(str(path))
                row = QTreeWidgetItem([path.name, _size(path), str(path.parent)])
                row.setToolTip(0, str(path))
                row.setData(0, Qt.ItemDataRole.UserRole, str(path))
                self.files.addTopLevelItem(row)
        self._changed()

    def paths(self) -> list[str]:
        items = (self.files.topLevelItem(i) for i in range(self.files.topLevelItemCount()))
        return [str(item.data(0, Qt.ItemDataRole.UserRole)) for item in items if item is not None]

    def _add_files(self) -> None:
        start = str(Path(self.paths()[-1]).parent) if self.paths() else str(Path.home())
        files, _ = QFileDialog.getOpenFileNames(self, "Event files", start, DATA_FILTER)
        self.add_paths(files)

    def _add_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "A folder of event files", str(Path.home()))
        if folder:
            self.add_paths([folder])

    def _remove(self) -> None:
        for item in self.files.selectedItems():
            self.files.takeTopLevelItem(self.files.indexOfTopLevelItem(item))
        self._changed()

    def _changed(self) -> None:
        total = 0
        for p in self.paths():
            with contextlib.suppress(OSError):
                total += Path(p).stat().st_size
        n = len(self.paths())
        self.total.setText(f"{n} file{'s' if n != 1 else ''}, {human_size(total)}" if n else "")
        self.problem.setText("" if n else "Add the event files to import (or drop them on the main window).")
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return bool(self.paths())

    def validatePage(self) -> bool:
        if self.paths() != self.state.paths:
            self.state.read_options = None  # chosen for other files
        self.state.paths = self.paths()
        self.state.products = self.products.path()
        self.state.users = self.users.path()
        return True


class SourcePage(JobPage):
    """Runs ``inspect_sources`` (in a worker) and shows what it found and the first rows."""

    def __init__(self, state: ImportState) -> None:
        super().__init__()
        self.state = state
        self.setTitle("Detected format")
        self.setSubTitle("What the files are, as read from their first bytes and rows. "
                         "Nothing is written yet.")
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)
        self.bar.setMaximumHeight(12)
        self.bar.setTextVisible(False)
        self.status = status_label("")
        self.form = QFormLayout()
        self.fields: dict[str, QLabel] = {}
        for key, label in (("files", "Files:"), ("format", "Format:"), ("delimiter", "Delimiter:"), ("header", "Header row:"),
                           ("encoding", "Encoding:"), ("rows", "Rows:"), ("notes", "Notes:")):
            value = QLabel()
            value.setWordWrap(True)
            self.fields[key] = value
            self.form.addRow(label, value)
        # Overrides for when detection guessed wrong (a header read as one column, say).
        self.delimiter = QComboBox()
        for text, delimiter in DELIMITERS:
            self.delimiter.addItem(text, delimiter)
        self.header = QCheckBox("the first line names the columns")
        self.header.setChecked(True)
        self.delimiter.currentIndexChanged.connect(self._options_changed)
        self.header.toggled.connect(self._options_changed)
        self.overrides = QWidget()
        row = QHBoxLayout(self.overrides)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Read with delimiter"))
        row.addWidget(self.delimiter)
        row.addSpacing(16)
        row.addWidget(self.header)
        row.addStretch(1)
        self.model = RowsModel()
        self.table = CopyableTableView()
        self.table.setModel(self.model)
        self.table_title = QLabel()
        # Hidden while nothing is known, so a failure shows its message and not empty fields.
        self.details = QWidget()
        details = QVBoxLayout(self.details)
        details.setContentsMargins(0, 0, 0, 0)
        details.addLayout(self.form)
        details.addWidget(self.overrides)
        details.addSpacing(6)
        details.addWidget(self.table_title)
        details.addWidget(self.table, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.bar)
        layout.addWidget(self.status)
        layout.addWidget(self.details, 1)
        layout.addStretch(0)  # takes the space only while the details are hidden

    def options(self) -> ingest.SourceOptions | None:
        """The read options chosen here, else those of a loaded mapping, else None (detect)."""
        if self.state.read_options is not None:
            return self.state.read_options
        if self.state.mapping is not None and self.state.mapping_loaded:
            return self.state.mapping.source
        return None

    def key(self) -> tuple[object, ...]:
        src = self.options()
        return (tuple(self.state.paths), src.model_dump_json() if src else None)

    def _options_changed(self) -> None:
        delimiter, header = self.delimiter.currentData(), self.header.isChecked()
        self.state.read_options = (
            None if delimiter is None and header
            else ingest.SourceOptions(format="csv", delimiter=delimiter, header=header))
        self.initializePage()

    def _sync_controls(self) -> None:
        opts = self.state.read_options
        for widget in (self.delimiter, self.header):
            widget.blockSignals(True)
        self.delimiter.setCurrentIndex(max(0, self.delimiter.findData(opts.delimiter if opts else None)))
        self.header.setChecked(opts.header if opts else True)
        for widget in (self.delimiter, self.header):
            widget.blockSignals(False)

    def initializePage(self) -> None:
        self._sync_controls()
        if self.state.head is not None and self.state.head_key == self.key():
            self._apply_side(self.state.head)
            self._show(self.state.head)
            return
        self.state.head = None
        self.state.head_key = None
        self._clear("Reading the files…")
        self.bar.show()
        key = self.key()
        # A catalog or customer list among the files is looked for unless one was chosen.
        side = self.state.products is None and self.state.users is None and not (
            self.state.mapping is not None and self.state.mapping_loaded)
        self.run_job(inspect_job, list(self.state.paths), self.options(), side,
                     on_result=lambda head: self._inspected(head, key), on_error=self._failed_inspect)

    def _apply_side(self, head: SourceHead) -> None:
        """The catalog or customer list found among the files is imported as one (the Files
        page's choice, made again on each pass through it, is empty then)."""
        side = dict(head.side)
        if self.state.products is None:
            self.state.products = side.get("products")
        if self.state.users is None:
            self.state.users = side.get("users")

    def cleanupPage(self) -> None:
        self.stop_job()

    def job_finished(self) -> None:
        self.bar.hide()

    def _clear(self, status: str, kind: str = "") -> None:
        self.status.setText(status)
        set_kind(self.status, kind)
        # A wrong delimiter choice can make the files unreadable: keep the choice reachable.
        self.details.setVisible(self.state.read_options is not None)
        for value in self.fields.values():
            value.setText("")
        self.model.set_rows([], [])
        self.table_title.setText("")

    def _failed_inspect(self, error: BaseException) -> None:
        message = getattr(error, "message", str(error))
        self._clear(f"These files cannot be imported: {message}\nGo Back to pick other files.", "error")

    def _inspected(self, head: SourceHead, key: tuple[object, ...]) -> None:
        state = self.state
        state.head, state.head_key = head, key
        self._apply_side(head)
        keep = False
        if state.mapping is not None and state.mapping_loaded:
            try:
                ingest.check_mapping(state.mapping, head.info)
                keep = True
            except ShoplyticsError as e:
                # The loaded mapping does not fit these files: say why, start from a proposal.
                show_error(self, e)
                state.mapping_loaded = False
        if not keep:
            state.mapping = (head.proposal.mapping if head.proposal is not None
                             else ingest.propose_mapping(head.info))
        if state.read_options is not None and state.mapping is not None:
            # The import reads the files again with the mapping's options: carry these over.
            source = state.mapping.source.model_copy(
                update={"delimiter": head.info.delimiter, "header": head.info.header})
            state.mapping = state.mapping.model_copy(update={"source": source})
        state.validation = None
        self._show(head)

    def _show(self, head: SourceHead) -> None:
        info = head.info
        self.status.setText(
            "These files hold no events: Next loads them as the workspace's product catalog "
            "or user profiles (see the notes), without a mapping." if head.catalogs_only else "")
        set_kind(self.status, "success" if head.catalogs_only else "")
        self.details.show()
        f = self.fields
        f["files"].setText(info.display_name)
        f["format"].setText(info.format.upper() + (" (gzip-compressed)" if info.compressed else ""))
        delim = {"\t": "tab", " ": "space"}.get(info.delimiter or "", info.delimiter or "")
        f["delimiter"].setText(f"“{delim}”" if info.format == "csv" else "— (not a CSV)")
        self.form.setRowVisible(f["delimiter"], info.format == "csv")
        self.form.setRowVisible(f["header"], info.format == "csv")
        self.overrides.setVisible(info.format == "csv")
        f["header"].setText("yes, the first line names the columns" if info.header else "no")
        f["encoding"].setText(info.encoding)
        f["rows"].setText(f"about {info.row_estimate:,}" if info.row_estimate is not None else "unknown")
        f["notes"].setText("\n".join(info.notes) or "none")
        types = {c.name: c.type for c in info.top_columns}
        headers = [f"{name}\n{types.get(name, '')}" for name in head.columns]
        self.model.set_rows(headers, head.rows, tooltips=[f"{n}: {types.get(n, '')}" for n in head.columns])
        self.table.resizeColumnsToContents()
        for col in range(len(headers)):
            if self.table.columnWidth(col) > 260:
                self.table.setColumnWidth(col, 260)
        self.table_title.setText(
            f"The first {len(head.rows)} rows as read, with each column's detected type:")

    def isComplete(self) -> bool:
        return self.state.head is not None and not self.busy
