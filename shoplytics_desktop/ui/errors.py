"""The one error sink of the app: every failure reaches the user through ``show_error``."""

from __future__ import annotations

import logging
import traceback

from PySide6.QtWidgets import QMessageBox, QWidget

from shoplytics_desktop.core.errors import ShoplyticsError

log = logging.getLogger(__name__)

# A box without a parent would be garbage-collected as soon as the caller drops it.
_parentless: set[QMessageBox] = set()


def describe(exc: BaseException) -> tuple[str, str, str]:
    """Title, plain message, and details for an exception. The user never sees a traceback: an
    expected error's details are what it says itself, an unexpected one's are written to the
    log file (``show_error`` logs it) and the box says where."""
    if isinstance(exc, ShoplyticsError):
        text = exc.message + (f"\n\n{exc.hint}" if exc.hint else "")
        return exc.title, text, ""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return (
        "Unexpected error",
        f"Something went wrong: {first}\n\nNothing was changed. The details are in the log file.",
        f"{type(exc).__name__}: {first}\n\nThe full report is in the log file in {_log_folder()}.",
    )


def _log_folder() -> str:
    from shoplytics_desktop.core.paths import log_dir

    return str(log_dir())


def show_error(parent: QWidget | None, exc: BaseException) -> QMessageBox:
    title, text, details = describe(exc)
    if not isinstance(exc, ShoplyticsError):
        log.error("unexpected error: %s", "".join(traceback.format_exception(exc)))
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning if isinstance(exc, ShoplyticsError) else QMessageBox.Icon.Critical)
    box.setWindowTitle(title)
    box.setText(text)
    if details:
        box.setDetailedText(details)
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    if parent is None:
        _parentless.add(box)
        box.finished.connect(lambda _result: _parentless.discard(box))
    box.open()  # window-modal, does not block the event loop (and tests)
    return box
