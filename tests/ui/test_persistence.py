"""Window geometry, splitters, the last page and the recent workspaces survive a restart."""

from __future__ import annotations

from pathlib import Path

from shoplytics_desktop.app import initial_workspace, parse_args
from shoplytics_desktop.core.workspace import Workspace
from shoplytics_desktop.ui import app_settings
from shoplytics_desktop.ui.main_window import MainWindow
from shoplytics_desktop.ui.page_host import PageHost, Placeholder
from tests.ui.conftest import insert_events


def _window(qtbot, folder: Path) -> MainWindow:
    window = MainWindow(folder)
    qtbot.addWidget(window)
    window.show()
    window.open_initial()
    return window


def test_state_survives_restart(qtbot, tmp_path: Path, isolated_settings: Path, monkeypatch) -> None:
    # the dashboards' own minimum width is theirs to choose; a placeholder keeps this test about
    # what the window stores
    monkeypatch.setattr(PageHost, "_dashboards", lambda self: Placeholder("Dashboards", ""))
    first, second = tmp_path / "one", tmp_path / "two"
    with Workspace.open(first) as ws:
        insert_events(ws, ["a", "b"])
    window = _window(qtbot, first)
    assert window.current_page() == "dashboards"  # a workspace with data opens on the dashboards
    window.resize(760, 560)
    window.show_page("data")
    splitter = window.pages.data_page().splitter  # type: ignore[union-attr]
    splitter.setSizes([300, 700])
    saved_sizes = splitter.sizes()
    assert window.open_workspace(second)
    window.close()
    assert (isolated_settings / "Shoplytics" / "Shoplytics Desktop.conf").exists()

    assert app_settings.recent_workspaces() == [str(second), str(first)]
    assert app_settings.last_workspace() == str(second)
    monkeypatch.delenv("SHOPLYTICS_WORKSPACE")
    assert initial_workspace(parse_args([])) == second  # no argument: the last workspace
    assert initial_workspace(parse_args(["--workspace", str(first)])) == first

    again = _window(qtbot, first)
    assert (again.width(), again.height()) == (760, 560)
    assert again.current_page() == "data"  # the last page shown
    again.show_page("data")
    assert again.pages.data_page().splitter.sizes() == saved_sizes  # type: ignore[union-attr]
    recent = [again.welcome.recent.item(i).text() for i in range(again.welcome.recent.count())]
    assert recent == [str(first), str(second)]
    again.fill_recent_menu()
    assert [a.text() for a in again.recent_menu.actions()] == [str(first), str(second)]
    again.close()
