"""The window's shared state: every change is told once, after the value is set."""

from __future__ import annotations

from types import SimpleNamespace

from shoplytics_desktop.ui.app_state import AppState


def test_listeners_read_the_new_state_from_the_object(qtbot) -> None:
    state = AppState()
    seen: list[tuple[str, object]] = []
    state.workspace_changed.connect(lambda ws: seen.append(("workspace", state.workspace is ws)))
    state.run_finished.connect(lambda r: seen.append(("run", state.last_run is r)))
    state.busy_changed.connect(lambda busy: seen.append(("busy", state.busy == busy)))
    state.data_changed.connect(lambda: seen.append(("data", True)))
    state.settings_changed.connect(lambda: seen.append(("settings", True)))

    ws = SimpleNamespace(folder="w")
    state.set_workspace(ws)  # type: ignore[arg-type]
    state.set_busy(True)
    state.set_busy(True)  # no change: not told again
    run = SimpleNamespace(published=True)
    state.finish_run(run)  # type: ignore[arg-type]
    state.set_busy(False)
    state.announce_data_changed()
    state.announce_settings_changed()
    assert seen == [("workspace", True), ("busy", True), ("run", True), ("busy", True),
                    ("data", True), ("settings", True)]
    assert state.last_run is run

    state.set_workspace(ws)  # the same one again: told again, and the last run is forgotten
    assert seen[-1] == ("workspace", True) and state.last_run is None
    state.drop_workspace()  # closing on the way out: nobody is told
    assert state.workspace is None and len(seen) == 7
