"""The app's Run button with "Run the pipeline on" set to PostgreSQL: the worker pushes, builds,
tests, publishes and pulls the marts back; Cancel stops the statement on the server."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import psycopg
import pytest
from PySide6.QtCore import QThreadPool

from shoplytics_desktop.core.workspace import Workspace
from shoplytics_desktop.ui.pipeline_page import PipelinePage
from shoplytics_desktop.ui.project_state import ProjectStore
from tests.engines.cancelling import project_with_a_slow_mart
from tests.engines.compare import differences, mart_names

pytestmark = pytest.mark.engines


def _page(qtbot, ws: Workspace) -> PipelinePage:
    store = ProjectStore()
    page = PipelinePage(store)
    qtbot.addWidget(page)
    page.show()
    store.set_workspace(ws)
    page.set_workspace(ws)
    qtbot.waitUntil(lambda: store.project is not None, timeout=30_000)
    return page


def test_the_run_button_runs_on_postgresql_and_pulls_the_marts(
    qtbot, engine_ws: Workspace, pg_url: str
) -> None:
    engine_ws.settings.run_on = pg_url
    engine_ws.save_settings()
    names = mart_names(engine_ws)
    for name in names:
        engine_ws.cursor().execute(f"DELETE FROM marts.{name}")
    page = _page(qtbot, engine_ws)
    progress: list[str] = []
    with qtbot.waitSignal(page.run_finished, timeout=600_000) as finished:
        page.start_run()
        assert page.status.text().startswith("Running on postgresql://postgres@127.0.0.1")
        page.worker.signals.progress.connect(lambda d, t, m: progress.append(m))
    result = finished.args[0]
    assert result.status == "success" and result.published, result.message
    assert "Pulled 16 mart(s) into the workspace" in result.message
    assert any(m.startswith("building fct_orders on postgresql://") for m in progress)
    qtbot.waitUntil(lambda: not page.busy, timeout=10_000)
    # The dashboards read the workspace's marts: the engine's, equal to DuckDB's.
    assert differences(engine_ws, names) == {}
    # Test runs the data tests on the engine too.
    with qtbot.waitSignal(page.run_finished, timeout=300_000) as tested:
        page.start_test()
        assert page.status.text().startswith("Testing on postgresql://")
    assert tested.args[0].kind == "test" and tested.args[0].status == "success"
    assert len(tested.args[0].tests) == len(result.tests)
    qtbot.waitUntil(lambda: not page.busy, timeout=10_000)
    QThreadPool.globalInstance().waitForDone(10_000)


def test_cancel_in_the_app_stops_the_run_on_the_server(
    qtbot, engine_ws: Workspace, pg_url: str, tmp_path
) -> None:
    project = project_with_a_slow_mart(engine_ws, tmp_path)
    engine_ws.settings.run_on = pg_url
    engine_ws.settings.models_dir = str(project.root)
    engine_ws.save_settings()
    page = _page(qtbot, engine_ws)
    started: list[bool] = []
    with qtbot.waitSignal(page.busy_changed, timeout=600_000, check_params_cb=lambda b: not b):
        page.start_run()
        page.worker.signals.progress.connect(
            lambda d, t, m: started.append(True) if m.startswith("building zz_slow") else None
        )
        qtbot.waitUntil(lambda: bool(started), timeout=300_000)
        qtbot.wait(1000)
        page.cancel()
    assert page.status.text() == "Cancelled."
    with psycopg.connect(pg_url) as con:
        active = con.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'shoplytics'"
        ).fetchone()
    assert active == (0,)
    status = engine_ws.cursor().execute(
        "SELECT status FROM _shoplytics.runs ORDER BY started_at DESC LIMIT 1"
    ).fetchone()
    assert status == ("cancelled",)
    QThreadPool.globalInstance().waitForDone(10_000)
