"""Workspace settings from the app: validation in the dialog, saved to settings.json, and the
workspace reopened with DuckDB's new memory limit."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtWidgets import QLabel, QLineEdit, QSpinBox

from shoplytics_desktop.core.workspace import Workspace
from shoplytics_desktop.ui.main_window import MainWindow
from shoplytics_desktop.ui.settings_dialog import SettingsDialog
from tests.ui.conftest import window_on


def test_settings_are_validated_saved_and_applied(qtbot, passing_ws: Workspace, monkeypatch) -> None:
    folder = passing_ws.folder
    window = window_on(qtbot, passing_ws, monkeypatch)
    qtbot.waitUntil(lambda: window.workspace is not None, timeout=5000)
    assert window.menu_actions["settings"].isEnabled()
    window.menu_actions["settings"].trigger()
    dialog = window._dialog
    assert isinstance(dialog, SettingsDialog) and dialog.isVisible()
    memory = dialog.findChild(QLineEdit, "memory_limit")
    error = dialog.findChild(QLabel, "settings_error")
    memory.setText("lots")
    dialog.accept()
    assert dialog.isVisible() and error.isVisible()
    assert "DuckDB memory limit: write a size such as 512MB or 4GB" in error.text()
    memory.setText("300MB")
    dialog.findChild(QSpinBox, "session_timeout_minutes").setValue(45)
    dialog.findChild(QLineEdit, "import_memory_limit").setText("")
    dialog.accept()
    assert not dialog.isVisible()
    saved = json.loads((folder / "settings.json").read_text(encoding="utf-8"))
    assert (saved["memory_limit"], saved["session_timeout_minutes"]) == ("300MB", 45)
    assert saved["import_memory_limit"] is None and saved["models_dir"]  # the rest kept
    # Memory is DuckDB's open-time setting: the workspace was reopened with it.
    qtbot.waitUntil(lambda: window.workspace is not None, timeout=5000)
    ws = window.workspace
    assert ws.cursor().execute("select current_setting('memory_limit')").fetchone() == ("286.1 MiB",)
    assert ws.settings.session_timeout_minutes == 45
    window.close()


def test_settings_are_not_offered_for_a_read_only_workspace(qtbot, passing_ws: Workspace) -> None:
    folder: Path = passing_ws.folder
    passing_ws.close()
    window = MainWindow(None)
    qtbot.addWidget(window)
    window.open_workspace(folder, read_only=True)
    assert not window.menu_actions["settings"].isEnabled()
    window.close()


def test_the_time_zone_is_chosen_from_a_list_and_checked(qtbot, passing_ws: Workspace) -> None:
    from PySide6.QtWidgets import QComboBox

    dialog = SettingsDialog(passing_ws)
    qtbot.addWidget(dialog)
    box = dialog.findChild(QComboBox, "time_zone")
    assert box.currentText() == "UTC" and box.findText("Europe/Berlin") >= 0
    # completion on any part of the name, whatever the case
    completer = box.completer()
    completer.setCompletionPrefix("berl")
    assert completer.currentCompletion() == "Europe/Berlin"
    box.setCurrentText("Moon/Tranquility")
    dialog.accept()
    assert "Reporting time zone" in dialog.findChild(QLabel, "settings_error").text()
    box.setCurrentText("asia/tokyo")
    dialog.accept()
    assert dialog.accepted_settings is not None
    assert dialog.accepted_settings.time_zone == "Asia/Tokyo"
    assert not dialog.needs_reopen()  # the next run uses it; nothing to reopen
