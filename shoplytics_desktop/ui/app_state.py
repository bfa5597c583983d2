"""What the whole window shares, in one object that says when it changes.

The open workspace, the last run that finished and whether work is under way live here; the
parts of the window that show them (pages, status bar, menus) subscribe to the signals instead
of being told one by one. Changing a value emits its signal once, after the value is set, so a
listener always reads the new state from the object itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

if TYPE_CHECKING:
    from shoplytics_desktop.core.models.runner import RunResult
    from shoplytics_desktop.core.workspace import Workspace


class AppState(QObject):
    #: Another workspace was opened, or the open one closed (None). Also emitted when the same
    #: workspace is set again: every listener re-reads it.
    workspace_changed = Signal(object)  # Workspace | None
    #: A run or test of the models finished (published or not).
    run_finished = Signal(object)  # RunResult
    #: New raw data: an import, demo data, a deleted batch, a restored backup.
    data_changed = Signal()
    #: The workspace settings were saved.
    settings_changed = Signal()
    #: Work that holds the workspace started (True) or ended (False).
    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._workspace: Workspace | None = None
        self._last_run: RunResult | None = None
        self._busy = False

    @property
    def workspace(self) -> Workspace | None:
        return self._workspace

    @property
    def last_run(self) -> RunResult | None:
        """The last run that finished in this workspace since it was opened."""
        return self._last_run

    @property
    def busy(self) -> bool:
        return self._busy

    def set_workspace(self, ws: Workspace | None) -> None:
        self._workspace = ws
        self._last_run = None
        self.workspace_changed.emit(ws)

    def drop_workspace(self) -> None:
        """Forget the workspace without telling anyone: the window is closing it on its way
        out (or before it sets the next one)."""
        self._workspace = None
        self._last_run = None

    def finish_run(self, result: RunResult) -> None:
        self._last_run = result
        self.run_finished.emit(result)

    def set_busy(self, busy: bool) -> None:
        if busy != self._busy:
            self._busy = busy
            self.busy_changed.emit(busy)

    def announce_data_changed(self) -> None:
        self.data_changed.emit()

    def announce_settings_changed(self) -> None:
        self.settings_changed.emit()
