"""File ▸ New workspace and Import batches, the window title, Help ▸ Keyboard shortcuts and
Metric definitions."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from shoplytics_desktop.core.workspace import DB_FILE, Workspace
from shoplytics_desktop.ui.batches_dialog import BatchesDialog
from shoplytics_desktop.ui.help_dialogs import DefinitionsDialog, ShortcutsDialog, shortcuts
from tests.ui.conftest import window_on


def test_new_workspace_creates_the_folder_and_titles_the_window_once(
        qtbot, passing_ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    window = window_on(qtbot, passing_ws, monkeypatch)
    assert window.windowTitle() == f"Shoplytics — {passing_ws.folder.name}"
    target = tmp_path / "shops" / "acme"
    assert not target.exists()
    monkeypatch.setattr(window, "ask_new_folder", lambda: target)
    window.menu_actions["new"].trigger()
    assert (target / DB_FILE).exists()
    assert window.workspace is not None and window.workspace.folder == target
    assert window.windowTitle() == "Shoplytics — acme"
    assert window.windowTitle().count("acme") == 1 and window.windowTitle().count("Shoplytics") == 1


def test_shortcuts_are_read_from_the_actions(qtbot, passing_ws: Workspace,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    window = window_on(qtbot, passing_ws, monkeypatch)
    found = {(s.where, s.action): s.keys for s in shortcuts(window)}
    assert found[("Pipeline", "Run")] == "Ctrl+R"
    assert found[("View", "SQL")] == "Ctrl+5"
    assert found[("View", "Docs")] == "Ctrl+6"
    assert found[("File", "Import")] == "Ctrl+I"
    window.menu_actions["run"].setShortcut("Ctrl+Shift+R")  # read live, not from a list
    dialog = ShortcutsDialog(window)
    qtbot.addWidget(dialog)
    assert ["Ctrl+Shift+R", "Run", "Pipeline"] in dialog.visible_rows()
    dialog.search.setText("query")
    assert [r[1] for r in dialog.visible_rows()] == ["Run the query"]


def test_metric_definitions_come_from_the_project_docs(qtbot, passing_ws: Workspace,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    window = window_on(qtbot, passing_ws, monkeypatch)
    qtbot.waitUntil(lambda: window.pages.store.project is not None, timeout=10_000)
    window.menu_actions["definitions"].trigger()
    dialog = window._dialog
    assert isinstance(dialog, DefinitionsDialog)
    rows = dialog.visible_rows()
    assert ["user_id", "marts.fct_users", "The user."] in rows
    assert ["n", "marts.fct_users", "Events of the user."] in rows
    dialog.search.setText("events of the user")
    assert dialog.visible_rows() == [["n", "marts.fct_users", "Events of the user."]]
    # The dashboards' figures come first, each with its formula.
    dialog.search.setText("session conversion")
    assert dialog.visible_rows()[0][:2] == ["Session conversion", "dashboards"]


def test_import_batches_lists_and_deletes_one_after_a_backup(qtbot, passing_ws: Workspace) -> None:
    ws = passing_ws
    cur = ws.cursor()
    cur.execute("UPDATE raw.events SET _batch_id = 'b2' WHERE user_id = 'c'")
    cur.execute(
        "INSERT INTO _shoplytics.batches (batch_id, kind, source, rows_read, rows_loaded, "
        "rows_duplicate, rows_rejected, started_at, status) VALUES "
        "('b', 'events', 'first.csv', 3, 3, 0, 0, TIMESTAMP '2024-01-02 10:00', 'loaded'), "
        "('b2', 'events', 'second.csv', 1, 1, 0, 0, TIMESTAMP '2024-01-03 10:00', 'loaded')")
    dialog = BatchesDialog(ws)
    qtbot.addWidget(dialog)
    assert [(b.batch_id, b.source, b.rows_loaded) for b in dialog.batches] == [
        ("b", "first.csv", 3), ("b2", "second.csv", 1)]
    assert dialog.table.item(1, 6).text() == "2024-01-03 10:00"
    asked: list[str] = []

    def decline(box: QMessageBox) -> object:
        asked.append(box.text() + " " + box.informativeText())
        return None

    dialog.confirm = decline
    dialog.select_batch("b2")
    dialog.delete_selected()
    assert "Delete batch b2 (second.csv)?" in asked[0] and "removes 1 event from" in asked[0]
    assert ws.row_count("raw", "events") == 4  # declined: nothing changed

    dialog.confirm = lambda box: next(b for b in box.buttons() if b.text() == "Delete the batch")
    with qtbot.waitSignal(dialog.deleted, timeout=20_000) as deleted:
        dialog.delete_selected()
    assert deleted.args[0].rows_deleted["raw.events"] == 1
    qtbot.waitUntil(lambda: dialog.worker is None, timeout=5000)
    assert ws.row_count("raw", "events") == 3
    assert ws.backup_path.exists()
    assert str(ws.backup_path) in dialog.message.text()
    assert "1 event removed" in dialog.message.text()
    assert [b.batch_id for b in dialog.batches] == ["b"]
