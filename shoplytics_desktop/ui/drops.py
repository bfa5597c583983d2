"""Files dropped from a file manager: which drags to accept, and the local paths they carry."""

from __future__ import annotations

from PySide6.QtGui import QDragEnterEvent, QDropEvent


def accept_file_drag(event: QDragEnterEvent) -> None:
    """Accept a drag that carries at least one local file."""
    if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
        event.acceptProposedAction()


def dropped_files(event: QDropEvent) -> list[str]:
    """The local files of a drop (accepting the drop when there are any)."""
    files = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
    if files:
        event.acceptProposedAction()
    return files
