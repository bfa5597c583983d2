"""The workspace's model project, loaded once off the UI thread and shared by the pages."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from shoplytics_desktop.core import catalog, history
from shoplytics_desktop.core.models.freshness import UNCHANGED
from shoplytics_desktop.core.workspace import Workspace
from shoplytics_desktop.ui.workers import Worker

if TYPE_CHECKING:
    from shoplytics_desktop.core.models.project import Project

log = logging.getLogger(__name__)


@dataclass
class LastRun:
    """The latest run in the run history, with its per-model rows, as the pages show it."""

    run_id: str
    kind: str
    status: str
    message: str
    started_at: str
    seconds: float | None = None
    models: dict[str, tuple[str, int | None, float, str]] = field(default_factory=dict)
    layers: dict[str, tuple[str, str]] = field(default_factory=dict)  # model → (layer, materialized)


def latest_run(ws: Workspace, kind: str | None = None, published: bool = False) -> LastRun | None:
    """The latest run (of ``kind``); ``published``: the latest that published its build."""
    record = history.latest_run(ws, kind, published)
    if record is None:
        return None
    run = LastRun(record.run_id, record.kind, record.status, record.message, record.started,
                  record.seconds)
    for m in record.models:
        run.models[m.name] = (m.status, m.rows, m.seconds, m.error or m.note)
        run.layers[m.name] = (m.layer, m.materialized)
    return run


ROLLED_BACK = "rolled back"
#: The status the graph shows for a model a run left as it was (nothing it reads changed).
UNCHANGED_STATUS = "unchanged"


def shown_status(status: str, note: str | None) -> str:
    """The status the graph and the run table show for a model's result: 'unchanged' for a model
    the run left as it was (a success whose note says so)."""
    return UNCHANGED_STATUS if status == "success" and note == UNCHANGED else status


def shown_statuses(last: LastRun | None, published: LastRun | None) -> dict[str, str]:
    """Per model, the status the graph shows after ``last`` ('unchanged' for a model it left as
    it was). A cancelled run published nothing (what it built was rolled back): every model shows
    its state in the last published run, or 'cancelled' when no run has published it."""
    if last is None:
        return {}
    statuses = {name: shown_status(row[0], row[3]) for name, row in last.models.items()}
    if last.status != "cancelled":
        return statuses
    before = ({name: shown_status(row[0], row[3]) for name, row in published.models.items()}
              if published else {})
    return {name: before.get(name, "cancelled") for name in statuses}


def column_types(ws: Workspace, schemas: tuple[str, ...] = ("raw", "staging", "intermediate", "marts")
                 ) -> dict[str, dict[str, str]]:
    """relation → column → type (a small metadata query)."""
    return catalog.column_types(ws, schemas)


def _load(ws: Workspace) -> tuple[Project, tuple[object, ...]]:
    from shoplytics_desktop.core.models.runner import load_workspace_project

    fingerprint = ProjectStore.fingerprint(ws)  # taken first: a later change means "reload"
    return load_workspace_project(ws), fingerprint


class ProjectStore(QObject):
    """Loads the project in a worker; pages listen to ``loaded`` / ``failed``."""

    loaded = Signal(object)  # Project
    failed = Signal(object)  # the exception

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.workspace: Workspace | None = None
        self.project: Project | None = None
        self.error: BaseException | None = None
        self._generation = 0
        self._fingerprint: tuple[object, ...] = ()

    @staticmethod
    def fingerprint(ws: Workspace) -> tuple[object, ...]:
        """What the loaded project depends on: its files (name, mtime, size) and the raw tables."""
        from shoplytics_desktop.core.models.runner import source_relations

        files = []
        root = ws.models_dir
        if root.is_dir():
            for path in sorted(root.rglob("*")):
                if path.suffix in (".sql", ".yml", ".yaml"):
                    stat = path.stat()
                    files.append((str(path), stat.st_mtime_ns, stat.st_size))
        return (str(root), tuple(files), tuple(sorted(source_relations(ws))))

    def fresh(self) -> Project | None:
        """The loaded project if nothing it was built from has changed since, else None."""
        ws = self.workspace
        if ws is None or self.project is None:
            return None
        return self.project if self.fingerprint(ws) == self._fingerprint else None

    def refresh(self) -> None:
        """Reload if the model files or raw tables changed; otherwise re-announce the project."""
        if self.fresh() is not None:
            self.loaded.emit(self.project)
        else:
            self.reload()

    def set_workspace(self, ws: Workspace | None) -> None:
        self.workspace = ws
        self.project = None
        self.error = None
        self.reload()

    def reload(self) -> None:
        self._generation += 1
        ws = self.workspace
        if ws is None:
            return
        generation = self._generation
        worker = Worker(_load, ws, pass_reporter=False)
        worker.signals.result.connect(lambda r: self._done(generation, r[0], None, r[1]))
        worker.signals.error.connect(lambda e: self._done(generation, None, e))
        worker.start()

    def _done(self, generation: int, project: Project | None, error: BaseException | None,
              fingerprint: tuple[object, ...] = ()) -> None:
        if generation != self._generation:
            return
        self.project, self.error = project, error
        self._fingerprint = fingerprint
        if project is not None:
            self.loaded.emit(project)
        else:
            log.warning("model project did not load: %s", error)
            self.failed.emit(error)
