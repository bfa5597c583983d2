"""Generate demo data: choose the size, watch it load (cancellable), see what was made.

The work is ``core.generate.generate_into`` in a worker, exactly what ``shoplytics generate`` runs.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDateEdit,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from shoplytics_desktop.core.errors import ShoplyticsError, count_of
from shoplytics_desktop.core.ingest.batches import imported_batches
from shoplytics_desktop.core.workspace import Workspace
from shoplytics_desktop.ui import theme
from shoplytics_desktop.ui.errors import show_error
from shoplytics_desktop.ui.progress_box import ProgressBox
from shoplytics_desktop.ui.workers import Worker

if TYPE_CHECKING:
    from shoplytics_desktop.core.generate import GenerateSpec, GenerateSummary

#: Measured on generated data: bytes per event in warehouse.duckdb, side tables included.
BYTES_PER_EVENT = 48
EVENTS_PER_USER = 12


def estimate(events: int, users: int) -> tuple[int, float]:
    """Rows (events + user snapshots + products, roughly) and megabytes on disk."""
    users = users or max(1, round(events / EVENTS_PER_USER))
    rows = events + int(users * 1.1) + 1000
    return rows, events * BYTES_PER_EVENT / 1e6


class ParamsPage(QWizardPage):
    def __init__(self, ws: Workspace) -> None:
        super().__init__()
        self.setTitle("Generate demo data")
        self.setSubTitle("A synthetic shop with realistic users, sessions, carts and orders. "
                         "The same settings always produce the same data.")
        self.events = QSpinBox()
        self.events.setRange(1_000, 100_000_000)
        self.events.setSingleStep(50_000)
        self.events.setGroupSeparatorShown(True)
        self.events.setValue(200_000)
        self.users = QSpinBox()
        self.users.setRange(0, 50_000_000)
        self.users.setSingleStep(1_000)
        self.users.setGroupSeparatorShown(True)
        self.users.setSpecialValueText("automatic (one per 12 events)")
        self.days = QSpinBox()
        self.days.setRange(1, 3650)
        self.days.setValue(90)
        self.start = QDateEdit()
        self.start.setCalendarPopup(True)
        self.start.setDisplayFormat("yyyy-MM-dd")
        self._start_touched = False
        self.start.dateChanged.connect(lambda _d: setattr(self, "_start_touched", self.start.hasFocus() or self._start_touched))
        self.seed = QSpinBox()
        self.seed.setRange(0, 2_000_000_000)
        self.seed.setValue(42)
        self.random_seed = QPushButton("Random")
        self.random_seed.setToolTip("Pick a random seed for a different shop")
        self.random_seed.clicked.connect(lambda: self.seed.setValue(random.randint(0, 999_999)))
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.seed, 1)
        seed_row.addWidget(self.random_seed)
        self.ws = ws
        # Demo data never mixes with a shop's own: with imported data, the choice is a separate
        # demo workspace (the default) or deleting the imports (with a backup).
        self.imported = imported_batches(ws)
        self.demo_folder = ws.folder.parent / f"{ws.folder.name}-demo"
        self.replace = QCheckBox("Replace the demo data generated before (a backup is kept)")
        self.replace.setChecked(True)
        self.replace.setVisible(not ws.is_empty() and not self.imported.batches)
        self.imports_note = QLabel(
            f"This workspace holds imported data ({count_of(self.imported.batches, 'batch', 'batches')}, "
            f"{self.imported.events:,} events). Demo data is never mixed with it.")
        self.imports_note.setWordWrap(True)
        self.to_demo = QRadioButton(f"Generate into a separate demo workspace: {self.demo_folder}")
        self.to_demo.setChecked(True)
        self.replace_imports = QRadioButton(
            "Delete the imported data and generate here instead (a backup is kept)")
        for w in (self.imports_note, self.to_demo, self.replace_imports):
            w.setVisible(bool(self.imported.batches))
        self.estimate = QLabel()
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet(f"color: {theme.status_text_color('error').name()};")
        form = QFormLayout(self)
        form.addRow("Events:", self.events)
        form.addRow("Users:", self.users)
        form.addRow("Days:", self.days)
        form.addRow("Start date:", self.start)
        form.addRow("Seed:", seed_row)
        form.addRow("", self.replace)
        form.addRow("", self.imports_note)
        form.addRow("", self.to_demo)
        form.addRow("", self.replace_imports)
        form.addRow("Size:", self.estimate)
        form.addRow("", self.problem)
        for box in (self.events, self.users, self.days):
            box.valueChanged.connect(self._changed)
        self._changed()

    def _changed(self) -> None:
        if not self._start_touched:
            today = dt.datetime.now(dt.UTC).date()
            start = today - dt.timedelta(days=self.days.value())
            self.start.blockSignals(True)
            self.start.setDate(QDate(start.year, start.month, start.day))
            self.start.blockSignals(False)
        rows, mb = estimate(self.events.value(), self.users.value())
        self.estimate.setText(f"about {rows:,} rows, {mb:,.0f} MB on disk")
        self.problem.setText("")

    def spec(self) -> GenerateSpec:
        from shoplytics_desktop.core.generate import GenerateSpec

        d = self.start.date()
        return GenerateSpec(events=self.events.value(), days=self.days.value(),
                            users=self.users.value() or None, seed=self.seed.value(),
                            start=dt.date(d.year(), d.month(), d.day()))

    def target_folder(self) -> Path | None:
        """The separate demo workspace to generate into, or None for this one."""
        if self.imported.batches and self.to_demo.isChecked():
            return self.demo_folder
        return None

    def job(self) -> tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]:
        """What the progress page runs: the generator's function, its arguments and options."""
        from shoplytics_desktop.core.generate.load import generate_demo_workspace, generate_into

        target = self.target_folder()
        if target is not None:
            return generate_demo_workspace, (target, self.spec()), {}
        if self.imported.batches:
            return generate_into, (self.ws, self.spec()), {"replace": True,
                                                            "replace_imports": True}
        replace = self.replace.isChecked() and self.replace.isVisible()
        return generate_into, (self.ws, self.spec()), {"replace": replace}

    def validatePage(self) -> bool:
        from shoplytics_desktop.core.generate import resolve

        wizard = self.wizard()
        if isinstance(wizard, GenerateWizard) and wizard.progress.worker is not None:
            self.problem.setText("Still stopping the previous attempt; try again in a moment.")
            return False
        try:
            resolve(self.spec())
        except ShoplyticsError as e:
            self.problem.setText(e.one_line())
            return False
        return True


class ProgressPage(QWizardPage):
    def __init__(self, ws: Workspace) -> None:
        super().__init__()
        self.ws = ws
        self.setTitle("Generating")
        self.setSubTitle("Building users, sessions and orders, then loading them in one transaction.")
        self.box = ProgressBox(self.cancel)
        self.bar, self.message, self.cancel_button = self.box.bar, self.box.message, self.box.cancel_button
        QVBoxLayout(self).addWidget(self.box)
        self.worker: Worker | None = None
        self.summary: GenerateSummary | None = None
        self.state = "idle"  # idle | running | done | cancelled | failed
        self.on_stopped: list[object] = []

    def initializePage(self) -> None:
        wizard = self.wizard()
        assert isinstance(wizard, GenerateWizard)
        fn, args, options = wizard.params.job()
        self.summary = None
        self.state = "running"
        self.box.start()
        worker = Worker(fn, *args, workspace=self.ws, **options)
        worker.signals.progress.connect(self._progress)
        worker.signals.message.connect(self.message.setText)
        worker.signals.result.connect(self._done)
        worker.signals.error.connect(self._failed)
        worker.signals.cancelled.connect(self._cancelled)
        worker.signals.finished.connect(self._finished)
        self.worker = worker
        wizard.started_at = dt.datetime.now()
        worker.start()
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self.state == "done"

    def cleanupPage(self) -> None:
        """Going back stops the generator; nothing is loaded."""
        self.cancel()

    def cancel(self) -> None:
        if self.worker is not None:
            self.box.cancelling()
            self.worker.cancel()

    def _progress(self, done: float, total: float, message: str) -> None:
        self.box.progress(done, total, message, unit="events")

    def _done(self, summary: GenerateSummary) -> None:
        self.summary = summary
        self.state = "done"
        self.box.finish()

    def _failed(self, error: BaseException) -> None:
        self.state = "failed"
        self.message.setText(f"Generating failed; nothing was changed. {getattr(error, 'message', error)}")
        show_error(self, error)

    def _cancelled(self) -> None:
        self.state = "cancelled"
        self.message.setText("Cancelled; nothing was changed. Go back to change the settings, or close.")

    def _finished(self) -> None:
        self.worker = None
        self.cancel_button.setEnabled(False)
        self.completeChanged.emit()
        wizard = self.wizard()
        if self.state == "done" and wizard is not None:
            wizard.next()
        for callback in self.on_stopped:
            callback()  # type: ignore[operator]


class SummaryPage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Demo data ready")
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["table", "rows"])
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.run_pipeline = QCheckBox("Run the pipeline now (build and test the marts)")
        self.run_pipeline.setChecked(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.details)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.run_pipeline)

    def initializePage(self) -> None:
        wizard = self.wizard()
        assert isinstance(wizard, GenerateWizard)
        summary = wizard.progress.summary
        if summary is None:
            return
        rows = summary.table_rows()
        self.table.setRowCount(len(rows))
        for i, (table, n) in enumerate(rows.items()):
            self.table.setItem(i, 0, QTableWidgetItem(table))
            item = QTableWidgetItem(f"{n:,}")
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(i, 1, item)
        self.table.resizeColumnsToContents()
        last = summary.end - dt.timedelta(days=1)
        target = wizard.params.target_folder()
        where = f" into the demo workspace {target}, which opens next" if target else ""
        removed = (f" {count_of(summary.removed_batches, 'earlier batch', 'earlier batches')} removed; the workspace as "
                   f"it was is backed up in {summary.backup}." if summary.backup else "")
        if summary.already_loaded:
            text = "This exact data set was already loaded; nothing was added."
        else:
            text = (f"{summary.users:,} users made {summary.sessions:,} sessions and {summary.orders:,} "
                    f"orders between {summary.start.isoformat()} and {last.isoformat()}. "
                    f"Generated and loaded{where} in {summary.seconds:.1f} s.{removed}")
        self.details.setText(text)


def _preload() -> None:
    """Import the generator (numpy, polars) off the UI thread while the user picks the size."""
    import shoplytics_desktop.core.generate  # noqa: F401


class GenerateWizard(QWizard):
    def __init__(self, ws: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        if "shoplytics_desktop.core.generate" not in sys.modules:
            Worker(_preload, pass_reporter=False).start()
        self.setWindowTitle("Generate demo data")
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage, True)
        self.params = ParamsPage(ws)
        self.progress = ProgressPage(ws)
        self.summary_page = SummaryPage()
        self.addPage(self.params)
        self.addPage(self.progress)
        self.addPage(self.summary_page)
        self.started_at: dt.datetime | None = None
        self.resize(620, 520)

    @property
    def summary(self) -> GenerateSummary | None:
        return self.progress.summary

    @property
    def opens_folder(self) -> Path | None:
        """The demo workspace generated into, which the window opens afterwards."""
        return self.params.target_folder() if self.summary is not None else None

    @property
    def run_pipeline(self) -> bool:
        return self.summary is not None and self.summary_page.run_pipeline.isChecked()

    def reject(self) -> None:
        """Closing while generating cancels first, then closes when the worker has stopped."""
        if self.progress.worker is not None:
            self.progress.on_stopped.append(super().reject)
            self.progress.cancel()
            return
        super().reject()
