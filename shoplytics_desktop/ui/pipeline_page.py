"""The Pipeline page: the model graph, a model's details, Run / Test / Cancel, results, tests."""

from __future__ import annotations

import functools
import html
import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from shoplytics_desktop.core.models.datatests import TestResult
from shoplytics_desktop.core.models.runner import ModelResult, RunResult
from shoplytics_desktop.core.status import PROBLEMS, worst
from shoplytics_desktop.core.workspace import Workspace
from shoplytics_desktop.ui import theme
from shoplytics_desktop.ui.errors import show_error
from shoplytics_desktop.ui.lineage_view import LineageView
from shoplytics_desktop.ui.model_detail import ModelDetail
from shoplytics_desktop.ui.project_state import (
    ROLLED_BACK,
    LastRun,
    ProjectStore,
    column_types,
    latest_run,
    shown_status,
    shown_statuses,
)
from shoplytics_desktop.ui.run_panel import RunPanel
from shoplytics_desktop.ui.validation_panel import ValidationPanel
from shoplytics_desktop.ui.workers import Worker

if TYPE_CHECKING:
    from shoplytics_desktop.core.models.project import Project

log = logging.getLogger(__name__)

NOT_PUBLISHED = "Marts not published — the previous build is still shown."


class Banner(QLabel):
    def __init__(self) -> None:
        super().__init__()
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.hide()

    def show_message(self, text: str, status: str = "error") -> None:
        color = theme.status_color(status).name()
        self.setStyleSheet(
            f"QLabel {{ border: 2px solid {color}; border-radius: 5px; padding: 6px 10px; }}"
        )
        self.setText(text)
        self.show()


class PipelinePage(QWidget):
    run_finished = Signal(object)  # RunResult
    busy_changed = Signal(bool)

    def __init__(self, store: ProjectStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.workspace: Workspace | None = None
        self.worker: Worker | None = None
        self.last: LastRun | None = None
        self.published: LastRun | None = None  # the latest run that published
        self.types: dict[str, dict[str, str]] = {}
        self.test_results: dict[str, TestResult] = {}

        self.run_button = QPushButton("Run")
        self.run_button.setToolTip("Build every model and run the data tests (Ctrl+R). "
                                   "Marts are published only if no error-severity test fails.")
        self.test_button = QPushButton("Test")
        self.test_button.setToolTip("Run the data tests against the published models")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the run (Esc); nothing is published")
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.setMaximumWidth(260)
        self.progress.hide()  # shown once a run or test starts (idle, it looks like a text box)
        self.status = QLabel("")
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.run_button.clicked.connect(self.start_run)
        self.test_button.clicked.connect(self.start_test)
        self.cancel_button.clicked.connect(self.cancel)
        bar = QHBoxLayout()
        for w in (self.run_button, self.test_button, self.cancel_button):
            bar.addWidget(w)
        bar.addWidget(self.progress)
        bar.addWidget(self.status, 1)

        self.banner = Banner()
        self.graph = LineageView()
        self.graph.node_selected.connect(self._node_selected)
        self.detail = ModelDetail()
        self.detail.test_activated.connect(self._show_test)
        self.run_panel = RunPanel()
        self.validation = ValidationPanel()
        self.bottom = QTabWidget()
        self.bottom.addTab(self.detail, "Model")
        self.bottom.addTab(self.run_panel, "Run")
        self.bottom.addTab(self.validation, "Validation")

        self.split = QSplitter(Qt.Orientation.Vertical)
        self.split.setObjectName("pipelineSplitter")
        self.split.addWidget(self.graph)
        self.split.addWidget(self.bottom)
        self.split.setStretchFactor(0, 1)
        self.split.setStretchFactor(1, 1)
        self.split.setSizes([420, 380])

        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.banner)
        layout.addWidget(self.split, 1)

        store.loaded.connect(self._project_loaded)
        store.failed.connect(self._project_failed)
        self._update_buttons()

    # -- workspace -----------------------------------------------------------------------------

    @property
    def project(self) -> Project | None:
        return self.store.project

    @property
    def busy(self) -> bool:
        return self.worker is not None

    def set_workspace(self, ws: Workspace | None) -> None:
        self.workspace = ws
        self.banner.hide()
        self.detail.clear()
        self.graph.show_message("Loading the model project…")
        self.refresh_history()
        last = self.last
        if last is not None and last.status in ("error", "cancelled"):
            self.banner.show_message(
                f"<b>{NOT_PUBLISHED}</b><br>The last run ({last.started_at} UTC) "
                f"{'failed' if last.status == 'error' else 'was cancelled'}: {html.escape(last.message)}",
                "error" if last.status == "error" else "warn")
        if self.store.project is not None:
            self._project_loaded(self.store.project)
        elif self.store.error is not None:
            self._project_failed(self.store.error)
        self._update_buttons()

    def refresh_history(self) -> None:
        """Statuses, run table and test results from the workspace's run history."""
        ws = self.workspace
        if ws is None:
            self.validation.clear()
            return
        self.last = latest_run(ws, "run")
        self.published = latest_run(ws, "run", published=True)
        self.types = column_types(ws)
        any_last = latest_run(ws)
        if any_last is None:
            self.validation.clear("No tests have run yet.")
            self.test_results = {}
        else:
            self.validation.load_run(ws, any_last.run_id, self._heading(any_last))
            self.test_results = {t.test_id: t for t in self.validation.results}
        if self.last is not None and not self.busy:
            cancelled = self.last.status == "cancelled"  # what it built was rolled back
            rows = [(m, *self.last.layers.get(m, ("", "")),
                     ROLLED_BACK if cancelled and info[0] == "success" else info[0], *info[1:])
                    for m, info in self.last.models.items()]
            caption = self._heading(self.last) + (f": {self.last.message}" if self.last.message else "")
            self.run_panel.show_history(rows, caption)
        elif not self.busy:
            self.run_panel.start([], "No run yet. Press Run (Ctrl+R) to build the models and test them.")

    @staticmethod
    def _heading(run: LastRun) -> str:
        took = f" in {run.seconds:.1f} s" if run.seconds is not None else ""
        return f"Last {run.kind} {run.started_at} UTC — {run.status}{took}"

    def _project_loaded(self, project: Project) -> None:
        from shoplytics_desktop.core.models.lineage import lineage

        if self.workspace is None:
            return
        self.graph.set_graph(lineage(project), shown_statuses(self.last, self.published))
        self.graph.set_problems(self._problems())
        self._update_buttons()

    def _problems(self) -> dict[str, tuple[str, int]]:
        """Per model: the worst status among its tests that did not pass, and how many there are."""
        problems: dict[str, tuple[str, int]] = {}
        for t in self.test_results.values():
            if t.model and t.status in PROBLEMS:
                before, count = problems.get(t.model, (t.status, 0))
                problems[t.model] = (worst([before, t.status]) or t.status, count + 1)
        return problems

    def _project_failed(self, error: BaseException) -> None:
        message = getattr(error, "message", str(error))
        hint = getattr(error, "hint", "")
        self.graph.show_message(f"The model project did not load:\n{message}\n{hint}")
        self._update_buttons()

    def _node_selected(self, node_id: str) -> None:
        if not node_id:
            return
        self.detail.show_node(node_id, self.project, self.types, self.last, self.test_results)
        if not self.busy:
            self.bottom.setCurrentWidget(self.detail)

    def _show_test(self, test_id: str) -> None:
        self.bottom.setCurrentWidget(self.validation)
        self.validation.only_problems.setChecked(False)
        self.validation.select_test(test_id)

    # -- run / test / cancel -------------------------------------------------------------------

    def start_run(self, full_refresh: bool = False) -> None:
        """Run on this computer, or on the engine the workspace's settings name (pushing the
        raw tables, building and testing there, then pulling the marts back; an engine always
        builds everything). ``full_refresh``: rebuild incremental models from all events."""
        from shoplytics_desktop.core.engines.run import run_on_engine
        from shoplytics_desktop.core.models.runner import run_project

        here = functools.partial(run_project, full_refresh=True) if full_refresh else run_project
        self._start_here_or_there(here, run_on_engine,
                                  "Running a full rebuild" if full_refresh else "Running")

    def start_test(self) -> None:
        """Test what is published here, or on the engine the workspace's settings name."""
        from shoplytics_desktop.core.engines.run import test_on_engine
        from shoplytics_desktop.core.models.runner import run_data_tests

        self._start_here_or_there(run_data_tests, test_on_engine, "Testing")

    def _start_here_or_there(self, here: object, there: object, verb: str) -> None:
        ws = self.workspace
        run_on = ws.settings.run_on if ws is not None else None
        if not run_on:
            self._start(here, verb)
            return
        from shoplytics_desktop.core.engines import EngineError, parse_url

        try:
            target = parse_url(run_on)
        except EngineError as e:
            self.banner.show_message(html.escape(e.one_line()), "error")
            return
        self._start(there, f"{verb} on {target.redacted()}", target)

    def _start(self, fn: object, verb: str, *args: object) -> None:
        ws = self.workspace
        if ws is None or self.busy:
            return
        if ws.read_only:
            self.banner.show_message("This workspace is open read-only: runs and tests are disabled.", "warn")
            return
        self.banner.hide()
        worker = Worker(fn, ws, *args, workspace=ws)  # type: ignore[arg-type]
        running = verb.startswith("Running")
        worker.kwargs["listener"] = worker.emit_item
        # the parsed project when its files are unchanged: no re-parsing while the UI updates
        worker.kwargs["project"] = self.store.fresh()
        worker.signals.progress.connect(self._progress)
        worker.signals.item.connect(self._item)
        worker.signals.result.connect(self._finished)
        worker.signals.error.connect(self._failed)
        worker.signals.cancelled.connect(self._cancelled)
        worker.signals.finished.connect(self._done)
        self.worker = worker
        project = self.project
        models = [(n, project.models[n].layer, project.models[n].materialized) for n in project.order()] if project else []
        self.run_panel.start(models if running else [], f"{verb}…")
        if running:
            self.graph.clear_statuses()
            self.graph.set_status(self.run_panel.running(), "running")
        self.validation.clear(f"{verb}: test results appear here as they finish.")
        self.test_results = {}
        self.bottom.setCurrentWidget(self.run_panel if running else self.validation)
        self.progress.setRange(0, 0)
        self.progress.show()
        self.status.setText(f"{verb}…")
        self._update_buttons()
        self.busy_changed.emit(True)
        worker.start()

    def cancel(self) -> None:
        if self.worker is not None:
            self.status.setText("Cancelling…")
            self.worker.cancel()

    def _progress(self, done: float, total: float, message: str) -> None:
        if total > 0:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(1000 * done / total))
            self.progress.setFormat(f"{int(done)}/{int(total)}")
        self.status.setText(message)

    def _item(self, item: object) -> None:
        if isinstance(item, ModelResult):
            self.run_panel.update_model(item)
            self.graph.set_status(item.name, shown_status(item.status, item.note))
            self.graph.set_status(self.run_panel.running(), "running")
        elif isinstance(item, TestResult):
            self.validation.add_result(item)
            self.test_results[item.test_id] = item
            if item.status != "pass":
                self.graph.set_problems(self._problems())

    def _finished(self, result: RunResult) -> None:
        self.run_panel.finish(result.models, f"{result.status.upper()}: {result.message} ({result.seconds:.1f} s)")
        self.status.setText(result.message)
        if result.kind == "run" and not result.published:
            self.banner.show_message(f"<b>{NOT_PUBLISHED}</b><br>{html.escape(self._why(result))}", "error")
        elif result.status == "warn":
            self.banner.show_message(result.message, "warn")
        if result.failed_tests:
            self.bottom.setCurrentWidget(self.validation)
        self.run_finished.emit(result)

    @staticmethod
    def _why(result: RunResult) -> str:
        """What stopped the publish: the failed model, or the blocking tests."""
        broken = [m for m in result.models if m.status == "error"]
        if broken:
            return f"Model {broken[0].name} failed: {broken[0].error}"
        blocking = [t for t in result.tests if t.blocking]
        if blocking:
            shown = ", ".join(
                f"{t.test_id} on {t.model} ({t.failing_rows:,} rows)" if t.status == "fail"
                else f"{t.test_id} could not run" for t in blocking[:3])
            more = f" and {len(blocking) - 3} more" if len(blocking) > 3 else ""
            return f"{len(blocking)} error-severity test(s) failed: {shown}{more}. See Validation."
        return result.message

    def _failed(self, error: BaseException) -> None:
        self.status.setText("Failed.")
        self.banner.show_message(f"<b>{NOT_PUBLISHED}</b><br>{html.escape(getattr(error, 'message', str(error)))}")
        show_error(self, error)

    def _cancelled(self) -> None:
        self.status.setText("Cancelled.")
        self.banner.show_message("Cancelled — nothing was published; the previous build is still shown.", "warn")

    def _done(self) -> None:
        self.worker = None
        # The live statuses of a run that did not finish give way to the recorded ones at once
        # (the graph redraws with them when the project is re-announced).
        self.progress.setRange(0, 1000)
        self.progress.setValue(1000 if not self.banner.isVisible() else self.progress.value())
        self.busy_changed.emit(False)
        keep_banner = self.banner.isVisible()
        self.refresh_history()
        for name, status in shown_statuses(self.last, self.published).items():
            self.graph.set_status(name, status)
        self.store.refresh()  # redraws the graph with the new statuses; reloads edited SQL
        self.banner.setVisible(keep_banner)
        self._update_buttons()

    def _update_buttons(self) -> None:
        can = self.workspace is not None and not self.workspace.read_only and not self.busy
        self.run_button.setEnabled(can)
        self.test_button.setEnabled(can)
        self.cancel_button.setEnabled(self.busy)
