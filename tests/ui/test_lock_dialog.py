"""A workspace held by another process: the dialog, and the read-only snapshot it offers."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from shoplytics_desktop.core.workspace import Workspace
from shoplytics_desktop.ui.main_window import MainWindow
from shoplytics_desktop.ui.workspace_open import LockedChoice, LockedDialog, Opener, close_workspace
from tests.ui.conftest import insert_events

HOLDER = """
import sys, time
from shoplytics_desktop.core.workspace import Workspace
ws = Workspace.open(sys.argv[1])
ws.cursor().execute("INSERT INTO raw.events (event_id, event_time, event_type, event_name, user_id, "
    "quantity, device, country, traffic_source, _batch_id, _loaded_at) VALUES ('late', "
    "TIMESTAMP '2024-02-01', 'other', 'x', 'z', 1, 'd', 'XX', 't', 'b', now())")
print("holding", flush=True)
sys.stdin.read()
"""


@pytest.fixture
def held(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "held"
    with Workspace.open(folder) as ws:
        insert_events(ws, ["a", "b", "c"])
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(folder)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "holding"
    yield folder
    proc.communicate("", timeout=30)


def test_locked_workspace_offers_read_only_then_snapshot(qtbot, held: Path) -> None:
    dialogs: list[LockedDialog] = []
    answers = iter([LockedChoice.READ_ONLY, LockedChoice.SNAPSHOT])

    def ask(dialog: LockedDialog) -> LockedChoice:
        dialogs.append(dialog)
        return next(answers)

    opener = Opener(None)
    opener.ask = ask
    ws = opener.open(held)
    assert ws is not None
    try:
        # first: "in use" with read-only offered; read-only fails under the writer's lock on Linux,
        # so the second dialog offers a snapshot
        assert "in use by another Shoplytics process" in dialogs[0].text()
        assert dialogs[0].button_for(LockedChoice.READ_ONLY).text() == "Open read-only"
        assert "not possible while the other process writes" in dialogs[1].informativeText()
        assert dialogs[1].button_for(LockedChoice.SNAPSHOT).text() == "Open a snapshot"
        assert ws.read_only and ws.folder != held and ws.snapshot_of == held  # type: ignore[attr-defined]
        # the snapshot holds the committed rows, including the holder's own insert
        assert ws.row_count("raw", "events") == 4
    finally:
        close_workspace(ws)
    assert not ws.folder.exists()  # the temporary copy goes with it


def test_window_opens_a_snapshot_read_only(qtbot, held: Path) -> None:
    window = MainWindow(held)
    qtbot.addWidget(window)
    window.opener.ask = lambda dialog: (
        LockedChoice.SNAPSHOT if dialog.informativeText().startswith("Opening it read-only") else LockedChoice.READ_ONLY)
    window.show()
    window.open_initial()
    assert window.workspace is not None and window.workspace.read_only
    assert "(read-only snapshot)" in window.status.workspace_label.text()
    assert str(held) in window.status.workspace_label.text()
    assert not window.menu_actions["run"].isEnabled() and not window.menu_actions["generate"].isEnabled()
    assert window.menu_actions["export"].isEnabled()
    copy = window.workspace.folder
    window.close()
    assert not copy.exists()  # closing the window deletes the snapshot


def test_choosing_another_workspace(qtbot, held: Path, monkeypatch) -> None:
    window = MainWindow(None)
    qtbot.addWidget(window)
    chosen: list[bool] = []
    monkeypatch.setattr(window, "choose_workspace", lambda: chosen.append(True))
    window.opener.ask = lambda dialog: LockedChoice.OTHER
    assert not window.open_workspace(held)
    qtbot.waitUntil(lambda: chosen == [True], timeout=2000)
    assert window.workspace is None
    window.close()


def test_damaged_workspace_offers_its_backup(qtbot, tmp_path: Path) -> None:
    folder = tmp_path / "ws"
    with Workspace.open(folder) as ws:
        ws.cursor().execute("create table marts.keep as select 7 as answer")
        ws.backup()
    (folder / "warehouse.duckdb").write_bytes(b"damaged" * 1000)
    asked: list[str] = []
    opener = Opener(None)
    opener.confirm_restore = lambda f, e: asked.append(e.message) or True
    ws = opener.open(folder)
    assert ws is not None and len(asked) == 1 and "damaged" in asked[0]
    assert ws.cursor().execute("select answer from marts.keep").fetchone() == (7,)
    assert [p.read_bytes() for p in folder.glob("warehouse.duckdb.replaced-*")] == [b"damaged" * 1000]
    ws.close()
    # declining keeps the damaged file as it is and reports the error
    (folder / "warehouse.duckdb").write_bytes(b"damaged again" * 1000)
    opener.confirm_restore = lambda f, e: False
    assert opener.open(folder) is None
    assert opener.last_error is not None and "damaged" in opener.last_error.message
