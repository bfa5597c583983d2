"""Committed changes are written into the database file when the app is idle, not during work."""

from __future__ import annotations

from pathlib import Path

from shoplytics_desktop.core.workspace import Workspace
from shoplytics_desktop.ui.app_state import AppState
from shoplytics_desktop.ui.idle_checkpoint import IdleCheckpoint


def _logged(ws: Workspace) -> int:
    return ws.wal_path.stat().st_size if ws.wal_path.exists() else 0


def test_the_app_checkpoints_once_it_is_idle(qtbot, tmp_path: Path) -> None:
    state = AppState()
    IdleCheckpoint(state, idle_ms=20)
    with Workspace.open(tmp_path / "ws") as ws:
        state.set_workspace(ws)
        cur = ws.cursor()
        cur.execute("CREATE TABLE main.t AS SELECT range AS i FROM range(100)")
        assert _logged(ws) > 0

        # Work under way: the checkpoint waits for it.
        state.set_busy(True)
        state.announce_data_changed()
        qtbot.wait(150)
        assert _logged(ws) > 0
        state.set_busy(False)
        qtbot.waitUntil(lambda: _logged(ws) == 0, timeout=5000)

        # After a run too; and the data is all there.
        cur.execute("DELETE FROM main.t WHERE i < 50")
        assert _logged(ws) > 0
        state.finish_run(object())  # type: ignore[arg-type]
        qtbot.waitUntil(lambda: _logged(ws) == 0, timeout=5000)
        assert cur.execute("SELECT count(*) FROM main.t").fetchone() == (50,)
        state.drop_workspace()


def test_another_workspace_cancels_the_pending_checkpoint(qtbot, tmp_path: Path) -> None:
    state = AppState()
    idle = IdleCheckpoint(state, idle_ms=50)
    with Workspace.open(tmp_path / "ws") as ws:
        state.set_workspace(ws)
        ws.cursor().execute("CREATE TABLE main.t AS SELECT range AS i FROM range(100)")
        state.announce_data_changed()
        assert idle.timer.isActive()
        state.set_workspace(None)
        assert not idle.timer.isActive()
        qtbot.wait(150)
        assert _logged(ws) > 0 and idle.worker is None


def test_a_result_left_open_on_a_worker_does_not_keep_the_checkpoint_out(qtbot, tmp_path: Path) -> None:
    from shoplytics_desktop.ui.workers import Worker

    state = AppState()
    IdleCheckpoint(state, idle_ms=20)
    with Workspace.open(tmp_path / "ws") as ws:
        state.set_workspace(ws)
        ws.cursor().execute("CREATE TABLE main.t AS SELECT range AS i FROM range(100000)")
        # As the dashboards' queries do: one row read of a result that has more.
        worker = Worker(lambda: ws.cursor().execute("SELECT i FROM main.t").fetchone(),
                        pass_reporter=False)
        with qtbot.waitSignal(worker.signals.finished, timeout=5000):
            worker.start()
        ws.cursor().execute("CREATE TABLE main.u AS SELECT 1 AS x")
        assert _logged(ws) > 0
        state.announce_data_changed()
        qtbot.waitUntil(lambda: _logged(ws) == 0, timeout=5000)
        state.drop_workspace()
