"""Checkpoint the workspace when the app is idle, not while the user waits for a result.

A commit leaves its changes in DuckDB's write-ahead log (safe there: a killed process replays
it at the next open) unless the log has grown past ``CHECKPOINT_THRESHOLD``; writing them into
the database file (a checkpoint) is left to a quiet moment. Shortly after a run finished or the
data changed, and when no work holds the workspace, a pool thread checkpoints; dashboards keep
reading meanwhile. Closing the workspace checkpoints whatever is left.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer

from shoplytics_desktop.ui.app_state import AppState
from shoplytics_desktop.ui.workers import Worker

#: How long the app stays quiet before it checkpoints (ms): a run's dashboards draw first.
IDLE_MS = 2000


class IdleCheckpoint(QObject):
    def __init__(self, state: AppState, idle_ms: int = IDLE_MS) -> None:
        super().__init__(state)
        self.state = state
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(idle_ms)
        self.timer.timeout.connect(self._checkpoint)
        self.worker: Worker | None = None
        state.run_finished.connect(lambda _result: self.timer.start())
        state.data_changed.connect(self.timer.start)
        state.workspace_changed.connect(lambda _ws: self.timer.stop())

    def _checkpoint(self) -> None:
        ws = self.state.workspace
        if ws is None or ws.read_only:
            return
        if self.state.busy or self.worker is not None:
            self.timer.start()  # after the work under way
            return
        ws.release()  # this thread's last result, if it holds one
        worker = Worker(ws.checkpoint, workspace=ws, pass_reporter=False)
        worker.signals.finished.connect(self._finished)
        self.worker = worker.start()

    def _finished(self) -> None:
        self.worker = None
