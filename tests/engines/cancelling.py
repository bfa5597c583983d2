"""A model that runs for hours on any engine, and a reporter that cancels once it starts."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

from shoplytics_desktop.core.models.project import Project, load_project
from shoplytics_desktop.core.progress import RecordingReporter
from shoplytics_desktop.core.workspace import Workspace

#: 30,000³ joined rows: streamed and counted, so it needs no memory, only hours (PostgreSQL
#: checks for a cancel inside its loops).
SLOW_MODEL = """select count(*) as n
from raw.events a
cross join raw.events b
cross join raw.events c
where a.event_id <> b.event_id and b.event_id <> c.event_id
"""
#: 30,000² joined rows, for Spark: a task notices a cancel when it reads its next row, and in
#: a three-way cross join that is one row per 900 million joined ones, so the tasks would run on.
SLOW_MODEL_SPARK = """select count(*) as n
from raw.events a
cross join raw.events b
where a.event_id <> b.event_id and a.event_time <= b.event_time + interval 1 day
"""


def project_with_a_slow_mart(ws: Workspace, folder: Path, sql: str = SLOW_MODEL) -> Project:
    models = folder / "models"
    shutil.copytree(ws.models_dir, models)
    (models / "marts" / "zz_slow.sql").write_text(sql)
    return load_project(models)


class CancelWhenBuilding(RecordingReporter):
    """Asks to cancel (from another thread, as the app's Cancel button does) a moment after the
    run starts building ``model``."""

    def __init__(self, model: str, after: float = 1.0) -> None:
        super().__init__()
        self.model, self.after = model, after
        self.timer: threading.Timer | None = None

    def update(self, done: float, total: float, message: str = "") -> None:
        super().update(done, total, message)
        if self.timer is None and message.startswith(f"building {self.model} "):
            self.timer = threading.Timer(self.after, self.cancel)
            self.timer.start()


def run_in_thread(fn, *args, **kwargs) -> tuple[threading.Thread, dict[str, object]]:
    """Run ``fn`` on a thread; the dict gets its 'result' or its 'error'."""
    out: dict[str, object] = {}

    def target() -> None:
        try:
            out["result"] = fn(*args, **kwargs)
        except BaseException as e:  # handed to the test
            out["error"] = e

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, out
