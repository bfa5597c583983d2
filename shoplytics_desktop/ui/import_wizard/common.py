"""What the import wizard's pages share: the state they fill in, a rows model, a job-running page."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QLabel, QWizardPage

from shoplytics_desktop.core import ingest
from shoplytics_desktop.core.cancel import Outcome, classify
from shoplytics_desktop.ui import theme
from shoplytics_desktop.ui.errors import show_error
from shoplytics_desktop.ui.import_wizard.jobs import SourceHead, Validation
from shoplytics_desktop.ui.table_view import format_cell, is_numeric
from shoplytics_desktop.ui.workers import Worker

Index = QModelIndex | QPersistentModelIndex


@dataclass
class ImportState:
    """Everything the pages decide, in one place; the pages read and write it, never each other."""

    paths: list[str] = field(default_factory=list)
    products: str | None = None
    users: str | None = None
    head: SourceHead | None = None
    #: The paths and read options ``head`` was inspected with (re-inspect when they change).
    head_key: tuple[Any, ...] | None = None
    #: Read options chosen on the source page (None: detect, or the loaded mapping's).
    read_options: ingest.SourceOptions | None = None
    mapping: ingest.Mapping | None = None
    #: True when the mapping came from a file: a new inspection keeps it instead of proposing.
    mapping_loaded: bool = False
    validation: Validation | None = None
    report: ingest.ImportReport | None = None
    #: Delete the workspace's demo data in the import's transaction (the user said so).
    replace_demo: bool = False

    @property
    def info(self) -> ingest.SourceInfo | None:
        return self.head.info if self.head else None


class RowsModel(QAbstractTableModel):
    """A read-only table over a list of rows (small: previews and reasons)."""

    def __init__(self, headers: Sequence[str] = (), rows: Sequence[Sequence[Any]] = (),
                 tooltips: Sequence[str] = ()) -> None:
        super().__init__()
        self.headers = list(headers)
        self.rows = [tuple(r) for r in rows]
        self.tooltips = list(tooltips)
        #: Rows with a value in this column are drawn in the error colour (rejected rows).
        self.highlight: int | None = None

    def set_rows(self, headers: Sequence[str], rows: Sequence[Sequence[Any]],
                 tooltips: Sequence[str] = ()) -> None:
        self.beginResetModel()
        self.headers, self.rows, self.tooltips = list(headers), [tuple(r) for r in rows], list(tooltips)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers)

    def raw_value(self, index: Index) -> Any:
        return self.rows[index.row()][index.column()]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        value = self.raw_value(index)
        if role == Qt.ItemDataRole.DisplayRole:
            text = format_cell(value)
            return text if len(text) <= 200 else text[:199] + "…"
        if role == Qt.ItemDataRole.ToolTipRole and value is not None:
            return format_cell(value)
        if (role == Qt.ItemDataRole.ForegroundRole and self.highlight is not None
                and self.rows[index.row()][self.highlight] is not None):
            return theme.status_text_color("error")
        if role == Qt.ItemDataRole.TextAlignmentRole and is_numeric(value):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.headers):
            if role == Qt.ItemDataRole.DisplayRole:
                return self.headers[section]
            if role == Qt.ItemDataRole.ToolTipRole and section < len(self.tooltips):
                return self.tooltips[section]
        if orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole:
            return str(section + 1)
        return None


def status_label(kind: str = "error") -> QLabel:
    """A wrapped label for a page's one-sentence status, coloured by ``kind`` (and said in words)."""
    label = QLabel()
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    set_kind(label, kind)
    return label


def set_kind(label: QLabel, kind: str) -> None:
    label.setStyleSheet(f"color: {theme.status_text_color(kind).name()};" if kind else "")


class JobPage(QWizardPage):
    """A page that runs one background job at a time; a newer job makes an older one's result stale."""

    def __init__(self) -> None:
        super().__init__()
        self.worker: Worker | None = None
        self.last_error: BaseException | None = None
        self._generation = 0

    @property
    def busy(self) -> bool:
        return self.worker is not None

    def run_job(
        self,
        fn: Callable[..., Any],
        *args: Any,
        on_result: Callable[[Any], None],
        on_error: Callable[[BaseException], None] | None = None,
        on_cancelled: Callable[[], None] | None = None,
        on_progress: Callable[[float, float, str], None] | None = None,
        workspace: Any = None,
        pass_reporter: bool = False,
        **kwargs: Any,
    ) -> Worker:
        self.stop_job()
        self._generation += 1
        gen = self._generation
        self.last_error = None
        worker = Worker(fn, *args, workspace=workspace, pass_reporter=pass_reporter, **kwargs)

        def current() -> bool:
            return gen == self._generation

        worker.signals.result.connect(lambda value: on_result(value) if current() else None)
        def failed(error: BaseException) -> None:
            if not current():
                return
            if classify(error, worker.reporter.token) is Outcome.CANCELLED:
                # A cancel can surface as a read error when it interrupts DuckDB mid-read; the
                # user asked to stop, so it is a cancel (the work is rolled back either way).
                if on_cancelled is not None:
                    on_cancelled()
                return
            self._job_failed(error, on_error)

        worker.signals.error.connect(failed)
        if on_cancelled is not None:
            worker.signals.cancelled.connect(lambda: on_cancelled() if current() else None)
        if on_progress is not None:
            worker.signals.progress.connect(lambda d, t, m: on_progress(d, t, m) if current() else None)
        worker.signals.finished.connect(lambda: self._finished(worker))
        self.worker = worker
        worker.start()
        self.completeChanged.emit()
        return worker

    def _job_failed(self, error: BaseException, on_error: Callable[[BaseException], None] | None) -> None:
        self.last_error = error
        if on_error is not None:
            on_error(error)
        show_error(self, error)

    def _finished(self, worker: Worker) -> None:
        if self.worker is worker:
            self.worker = None
        self.completeChanged.emit()
        self.job_finished()

    def job_finished(self) -> None:
        """Called after every job, whatever its outcome."""

    def stop_job(self) -> None:
        """Cancel the running job and ignore whatever it still reports."""
        if self.worker is not None:
            self._generation += 1
            self.worker.cancel()
            self.worker = None
