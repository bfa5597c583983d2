"""First start: the welcome page on an empty workspace; a damaged workspace still starts."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QApplication, QMessageBox

from shoplytics_desktop.core.workspace import DB_FILE
from shoplytics_desktop.ui import app_settings
from shoplytics_desktop.ui.main_window import MainWindow


def _visible_boxes() -> list[QMessageBox]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]


def test_welcome_page_on_empty_workspace(qtbot, tmp_path: Path) -> None:
    folder = tmp_path / "shop"
    window = MainWindow(folder)
    qtbot.addWidget(window)
    window.show()
    window.open_initial()
    assert window.workspace is not None and window.workspace.folder == folder
    assert window.current_page() == "start"
    welcome = window.welcome
    assert "has no events yet" in welcome.subtitle.text()
    assert welcome.generate_button.title == "Generate demo data"
    assert welcome.import_button.title == "Import event files"
    assert welcome.open_button.title == "Open workspace…"
    assert welcome.generate_button.isEnabled() and welcome.import_button.isEnabled()
    # the opened workspace is remembered and listed
    assert app_settings.recent_workspaces() == [str(folder)]
    assert welcome.recent.count() == 1 and welcome.recent.item(0).text() == str(folder)
    assert window.windowTitle() == "Shoplytics — shop"
    qtbot.waitUntil(lambda: "raw.events 0 rows" in window.status.counts_label.text(), timeout=5000)
    assert window.status.built_label.text() == "·  Marts not built yet"
    assert str(folder) in window.status.workspace_label.text()
    window.close()


def test_damaged_workspace_still_starts(qtbot, tmp_path: Path) -> None:
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / DB_FILE).write_bytes(b"this is not a database" * 100)
    window = MainWindow(folder)
    qtbot.addWidget(window)
    window.show()
    window.open_initial()
    assert window.is_ready and window.workspace is None
    assert window.current_page() == "start"
    assert "No workspace is open" in window.welcome.subtitle.text()
    boxes = _visible_boxes()
    assert boxes and "damaged or not a DuckDB database" in boxes[0].text()
    assert boxes[0].windowTitle() == "Workspace damaged"
    for box in boxes:
        box.close()
    window.close()
