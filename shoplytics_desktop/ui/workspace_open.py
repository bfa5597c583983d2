"""Opening a workspace from the app, including one that another process holds.

DuckDB takes an exclusive file lock for a writer, and on Linux a read-only open is refused while
another process holds it too. So when read-only fails as well, the app offers a snapshot
(core/snapshot.py): a copy of ``warehouse.duckdb`` (and its write-ahead log) in a temporary
folder, opened read-only.
"""

from __future__ import annotations

import logging
from enum import Enum
from pathlib import Path

from PySide6.QtWidgets import QMessageBox, QWidget

from shoplytics_desktop.core import snapshot
from shoplytics_desktop.core.backups import inspect_database
from shoplytics_desktop.core.errors import (
    ShoplyticsError,
    WorkspaceDamagedError,
    WorkspaceError,
    WorkspaceLockedError,
)
from shoplytics_desktop.core.workspace import BACKUP_FILE, Workspace
from shoplytics_desktop.ui.errors import show_error

log = logging.getLogger(__name__)


class LockedChoice(Enum):
    READ_ONLY = "read-only"
    SNAPSHOT = "snapshot"
    OTHER = "other"
    CANCEL = "cancel"


class LockedDialog(QMessageBox):
    """Says the workspace is in use and offers what can still be done."""

    def __init__(self, parent: QWidget | None, folder: Path, error: WorkspaceLockedError,
                 read_only_failed: bool = False) -> None:
        super().__init__(parent)
        self.setIcon(QMessageBox.Icon.Warning)
        self.setWindowTitle(error.title)
        self.setText(error.message)
        if read_only_failed:
            info = (
                "Opening it read-only is not possible while the other process writes to it. "
                "You can open a snapshot instead: a copy of the workspace as it is now, read-only "
                "(later changes made by the other process will not show)."
            )
        else:
            info = (
                "Close the workspace in the other window or process and try again, or open it "
                "read-only to look at the data without changing it."
            )
        self.setInformativeText(info)
        self.choice = LockedChoice.CANCEL
        self._buttons = {}
        if not read_only_failed:
            self._buttons[self.addButton("Open read-only", QMessageBox.ButtonRole.AcceptRole)] = (
                LockedChoice.READ_ONLY
            )
        else:
            self._buttons[self.addButton("Open a snapshot", QMessageBox.ButtonRole.AcceptRole)] = (
                LockedChoice.SNAPSHOT
            )
        self._buttons[self.addButton("Open another workspace…", QMessageBox.ButtonRole.ActionRole)] = (
            LockedChoice.OTHER
        )
        cancel = self.addButton(QMessageBox.StandardButton.Cancel)
        self._buttons[cancel] = LockedChoice.CANCEL
        self.buttonClicked.connect(lambda b: setattr(self, "choice", self._buttons.get(b, LockedChoice.CANCEL)))

    def button_for(self, choice: LockedChoice) -> object:
        return next(b for b, c in self._buttons.items() if c == choice)

    def ask(self) -> LockedChoice:
        self.exec()
        return self.choice


def restore_box(parent: QWidget | None, folder: Path,
                error: WorkspaceError) -> tuple[QMessageBox, object]:
    """The question asked when a damaged workspace has a backup, and its restore button; the
    default button keeps the files as they are."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(error.title)
    box.setText(error.message)
    box.setInformativeText(restore_question(folder))
    restore = box.addButton("Restore the backup", QMessageBox.ButtonRole.AcceptRole)
    keep = box.addButton("Don't restore", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(keep)
    return box, restore


def restore_question(folder: Path) -> str:
    """What restoring would do, with what the backup holds."""
    try:
        facts = inspect_database(folder / BACKUP_FILE).describe()
    except ShoplyticsError as e:
        facts = f"it does not open: {e.message}"
    return (
        f"This workspace has a backup ({facts}). Restore it? The current file is kept beside it "
        "as warehouse.duckdb.replaced-<time>, so nothing is lost either way."
    )


def close_workspace(ws: Workspace) -> None:
    """Close a workspace; a snapshot's temporary copy is deleted with it."""
    snapshot.close(ws)


def open_snapshot(folder: Path) -> Workspace:
    return snapshot.open_snapshot(folder)


class Opener:
    """Opens workspaces for a window: asks the user what to do when one is locked.

    ``ask`` is the dialog step, replaceable in tests; it gets the dialog and returns the choice.
    """

    def __init__(self, parent: QWidget | None) -> None:
        self.parent = parent
        self.ask = lambda dialog: dialog.ask()
        self.confirm_restore = self._confirm_restore
        self.wants_other = False
        self.last_error: ShoplyticsError | None = None

    def open(self, folder: Path, read_only: bool = False, quiet: bool = False) -> Workspace | None:
        """The opened workspace, or None (the user has been told why). ``quiet``: log only."""
        self.wants_other = False
        self.last_error = None
        try:
            return Workspace.open(folder, read_only=read_only)
        except WorkspaceLockedError as e:
            try:
                return self._locked(folder, e)
            except ShoplyticsError as e2:
                self.last_error = e2
                show_error(self.parent, e2)
                return None
        except ShoplyticsError as e:
            log.warning("cannot open workspace %s: %s", folder, e.one_line())
            self.last_error = e
            if quiet:
                return None
            # Only a damaged database is worth restoring: a bad setting, a permission problem or a
            # memory limit would be no better with the backup.
            if (
                isinstance(e, WorkspaceDamagedError)
                and (folder / BACKUP_FILE).exists()
                and self.confirm_restore(folder, e)
            ):
                return self._restore(folder)
            show_error(self.parent, e)
            return None

    def _confirm_restore(self, folder: Path, error: WorkspaceError) -> bool:
        box, restore = restore_box(self.parent, folder, error)
        box.exec()
        return box.clickedButton() is restore

    def _restore(self, folder: Path) -> Workspace | None:
        # Called only once the user chose to restore, with the workspace closed.
        try:
            Workspace.restore_backup(folder)
            return Workspace.open(folder)
        except (ShoplyticsError, OSError) as e:
            err = e if isinstance(e, ShoplyticsError) else WorkspaceError(
                f"Could not restore the backup of {folder}: {e}.", "Open another workspace.")
            self.last_error = err
            show_error(self.parent, err)
            return None

    def _locked(self, folder: Path, error: WorkspaceLockedError) -> Workspace | None:
        choice = self.ask(LockedDialog(self.parent, folder, error))
        if choice == LockedChoice.READ_ONLY:
            try:
                return Workspace.open(folder, read_only=True)
            except WorkspaceLockedError as e2:
                choice = self.ask(LockedDialog(self.parent, folder, e2, read_only_failed=True))
        if choice == LockedChoice.SNAPSHOT:
            return open_snapshot(folder)
        if choice == LockedChoice.OTHER:
            self.wants_other = True
        return None
