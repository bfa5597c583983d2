"""The one error sink: a ShoplyticsError's dialog, and uncaught exceptions routed to it and the log."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication, QMessageBox

from shoplytics_desktop import app
from shoplytics_desktop.core.errors import WorkspaceError
from shoplytics_desktop.ui.errors import show_error


def _boxes() -> list[QMessageBox]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]


def test_error_dialog_for_a_shoplytics_error(qtbot) -> None:
    error = WorkspaceError("The workspace /x is damaged.", "Restore it from its backup.")
    box = show_error(None, error)
    qtbot.addWidget(box)
    assert box.windowTitle() == "Workspace error"
    assert box.text() == "The workspace /x is damaged.\n\nRestore it from its backup."
    assert box.icon() == QMessageBox.Icon.Warning
    # What the error says is the whole story: no traceback, no details to show.
    assert box.detailedText() == ""
    box.close()


def test_uncaught_exception_goes_to_dialog_and_log(qtbot, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("shoplytics_desktop.core.paths.log_dir", lambda: tmp_path / "logs")
    root = logging.getLogger()
    before = list(root.handlers)
    old_hook = sys.excepthook
    try:
        log_file = app.setup_logging()
        app.install_excepthook()
        try:
            raise RuntimeError("boom in a slot")
        except RuntimeError as e:
            sys.excepthook(type(e), e, e.__traceback__)
        boxes = _boxes()
        assert len(boxes) == 1
        assert boxes[0].windowTitle() == "Unexpected error"
        assert "Something went wrong: boom in a slot" in boxes[0].text()
        # The traceback goes to the log; the box names the error and where the log is.
        details = boxes[0].detailedText()
        assert "Traceback" not in details and "RuntimeError: boom in a slot" in details
        assert str(tmp_path / "logs") in details
        boxes[0].close()
        for handler in root.handlers:
            handler.flush()
        assert log_file is not None and log_file.parent == tmp_path / "logs"
        text = log_file.read_text()
        assert "uncaught exception" in text and "RuntimeError: boom in a slot" in text
        assert "Traceback" in text
    finally:
        sys.excepthook = old_hook
        for handler in root.handlers[:]:
            if handler not in before:
                root.removeHandler(handler)
                handler.close()
