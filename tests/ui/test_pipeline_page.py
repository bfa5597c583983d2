"""The pipeline page: a run fills the run panel live; a failing error test shows in validation."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from shoplytics_desktop.core.models.freshness import KEPT, UNCHANGED
from shoplytics_desktop.core.models.runner import ModelResult
from shoplytics_desktop.core.workspace import Workspace
from shoplytics_desktop.ui.pipeline_page import NOT_PUBLISHED, PipelinePage
from shoplytics_desktop.ui.project_state import ProjectStore


def _page(qtbot, ws: Workspace) -> PipelinePage:
    store = ProjectStore()
    page = PipelinePage(store)
    qtbot.addWidget(page)
    page.resize(1200, 800)
    page.show()
    store.set_workspace(ws)
    page.set_workspace(ws)
    qtbot.waitUntil(lambda: store.project is not None, timeout=10_000)
    return page


def test_run_with_failing_error_test(qtbot, failing_ws: Workspace) -> None:
    page = _page(qtbot, failing_ws)
    # the graph: raw.events → stg_counts → fct_users, left to right
    assert set(page.graph.items_by_id) == {"raw.events", "staging.stg_counts", "marts.fct_users"}
    xs = {k: item.pos().x() for k, item in page.graph.items_by_id.items()}
    assert xs["raw.events"] < xs["staging.stg_counts"] < xs["marts.fct_users"]

    seen: list[str] = []
    with qtbot.waitSignal(page.run_finished, timeout=20_000) as finished:
        page.start_run()
        assert page.busy and page.cancel_button.isEnabled() and not page.run_button.isEnabled()
        page.worker.signals.item.connect(  # type: ignore[union-attr]
            lambda item: seen.append(item.name if isinstance(item, ModelResult) else item.test_id))
    result = finished.args[0]
    qtbot.waitUntil(lambda: not page.busy, timeout=5000)

    assert result.status == "error" and not result.published
    assert seen[:2] == ["stg_counts", "fct_users"]  # the listener reported each model live
    # the run panel filled in: both models built, with their row counts
    assert page.run_panel.status_of("stg_counts") == "success"
    assert page.run_panel.status_of("fct_users") == "success"
    assert page.run_panel.rows_text("fct_users") == "3"
    assert page.banner.isVisible() and NOT_PUBLISHED in page.banner.text()

    # validation: every test of the run, the failing one first, with its failing rows
    v = page.validation
    statuses = {v.model.item(r, 1).text(): v.model.item(r, 0).text() for r in range(v.model.rowCount())}
    assert statuses == {
        "not_null_fct_users_user_id": "pass",
        "unique_fct_users_user_id": "pass",
        "expression_is_true_fct_users_n_n_3": "fail",
    }
    assert v.model.item(0, 1).text() == "expression_is_true_fct_users_n_n_3"
    assert v.model.item(0, 5).data(Qt.ItemDataRole.DisplayRole) == 2
    assert "3 tests: 2 pass, 1 fail" in v.summary.text()
    # selecting the failure shows its sample rows: users a (3 events) and c (4)
    v.table.selectRow(0)
    sample = v.sample_model
    headers = [sample.horizontalHeaderItem(c).text() for c in range(sample.columnCount())]
    assert headers == ["user_id", "n", "score"]
    rows = sorted((sample.item(r, 0).text(), sample.item(r, 1).text()) for r in range(sample.rowCount()))
    assert rows == [("a", "3"), ("c", "4")]
    assert "2 failing row(s)" in v.sample_label.text()

    # the marts were rolled back: nothing published
    assert not failing_ws.table_exists("marts", "fct_users")
    # the graph shows the last run's statuses, and the failed test on fct_users
    qtbot.waitUntil(lambda: page.graph.items_by_id.get("marts.fct_users") is not None
                    and page.graph.items_by_id["marts.fct_users"].status == "success", timeout=5000)
    assert page.graph.items_by_id["marts.fct_users"].problem == ("fail", 1)
    assert page.graph.items_by_id["staging.stg_counts"].problem is None


def test_run_success_publishes_and_shows_model(qtbot, passing_ws: Workspace) -> None:
    page = _page(qtbot, passing_ws)
    with qtbot.waitSignal(page.run_finished, timeout=20_000) as finished:
        page.start_run()
    assert finished.args[0].published
    qtbot.waitUntil(lambda: not page.busy, timeout=5000)
    assert not page.banner.isVisible()
    assert passing_ws.row_count("marts", "fct_users") == 3
    qtbot.waitUntil(lambda: "marts.fct_users" in page.graph.items_by_id, timeout=5000)
    page.graph.select("marts.fct_users")
    detail = page.detail
    assert detail.title.text().startswith("marts.fct_users")
    assert "success" in detail.last_run.text() and "3 rows" in detail.last_run.text()
    assert "from stg_counts" in detail.sql.toPlainText()
    cols = {detail.columns.item(r, 0).text(): detail.columns.item(r, 1).text()
            for r in range(detail.columns.rowCount())}
    assert cols == {"user_id": "VARCHAR", "n": "BIGINT", "score": "BIGINT"}
    assert detail.tests.rowCount() == 3


def test_cancel_keeps_previous_build(qtbot, passing_ws: Workspace) -> None:
    page = _page(qtbot, passing_ws)
    with qtbot.waitSignal(page.run_finished, timeout=20_000):
        page.start_run()
    qtbot.waitUntil(lambda: not page.busy, timeout=5000)
    # cancelled before its first model: the marts stay as they were
    page.start_run()
    page.cancel()
    qtbot.waitUntil(lambda: not page.busy, timeout=20_000)
    assert page.status.text() == "Cancelled."
    assert page.banner.isVisible() and "previous build is still shown" in page.banner.text()
    assert passing_ws.row_count("marts", "fct_users") == 3
    assert page.last is not None and page.last.status in ("cancelled", "success")


def test_double_clicked_test_opens_validation(qtbot, failing_ws: Workspace) -> None:
    page = _page(qtbot, failing_ws)
    with qtbot.waitSignal(page.run_finished, timeout=20_000):
        page.start_run()
    qtbot.waitUntil(lambda: not page.busy and "marts.fct_users" in page.graph.items_by_id, timeout=5000)
    page.graph.select("marts.fct_users")
    tests = page.detail.tests
    rows = {tests.item(r, 0).text(): tests.item(r, 3).text() for r in range(tests.rowCount())}
    assert rows["expression_is_true_fct_users_n_n_3"] == "fail (2 rows)"
    row = next(r for r in range(tests.rowCount()) if tests.item(r, 0).text().startswith("unique"))
    page.detail.tests_view.doubleClicked.emit(tests.index(row, 0))
    assert page.bottom.currentWidget() is page.validation
    current = page.validation.table.currentIndex().row()
    assert page.validation.model.item(current, 1).text() == "unique_fct_users_user_id"
    assert "passed: no failing rows" in page.validation.sample_label.text()


def test_edited_sql_is_picked_up_by_the_next_run(qtbot, passing_ws: Workspace) -> None:
    page = _page(qtbot, passing_ws)
    assert page.store.fresh() is page.project  # unchanged files: the parsed project is reused
    with qtbot.waitSignal(page.run_finished, timeout=20_000):
        page.start_run()
    qtbot.waitUntil(lambda: not page.busy, timeout=5000)
    sql = Path(passing_ws.models_dir) / "marts" / "fct_users.sql"
    sql.write_text("select user_id, n, n * 10 as score, n * 2 as double_n from stg_counts\n")
    assert page.store.fresh() is None
    with qtbot.waitSignal(page.run_finished, timeout=20_000) as finished:
        page.start_run()
    assert finished.args[0].published
    cols = [r[0] for r in passing_ws.cursor().execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'fct_users' "
        "ORDER BY ordinal_position").fetchall()]
    assert cols == ["user_id", "n", "score", "double_n"]
    qtbot.waitUntil(lambda: page.store.fresh() is not None and "double_n" in page.project.models["fct_users"].raw_sql,
                    timeout=10_000)


def _cancelled_run(ws: Workspace) -> None:
    """A run cancelled once its first model (stg_counts) is built: nothing is published."""
    import pytest

    from shoplytics_desktop.core.errors import Cancelled
    from shoplytics_desktop.core.models.runner import run_project
    from shoplytics_desktop.core.progress import NullReporter

    reporter = NullReporter()
    with pytest.raises(Cancelled):
        run_project(ws, reporter=reporter, listener=lambda _m: reporter.cancel())


def test_a_cancelled_run_shows_no_model_as_built(qtbot, passing_ws: Workspace) -> None:
    from shoplytics_desktop.ui.project_state import latest_run

    _cancelled_run(passing_ws)
    last = latest_run(passing_ws, "run")
    assert last is not None and last.status == "cancelled"
    assert last.models["stg_counts"][0] == "success"  # built, then rolled back
    page = _page(qtbot, passing_ws)
    qtbot.waitUntil(lambda: "staging.stg_counts" in page.graph.items_by_id, timeout=5000)
    graph = {k: i.status for k, i in page.graph.items_by_id.items() if not k.startswith("raw.")}
    assert graph == {"staging.stg_counts": "cancelled", "marts.fct_users": "cancelled"}
    assert page.run_panel.status_of("stg_counts") == "rolled back"
    assert page.run_panel.status_of("fct_users") == "cancelled"


def test_after_a_cancelled_run_models_show_their_published_state(qtbot, passing_ws: Workspace) -> None:
    page = _page(qtbot, passing_ws)
    with qtbot.waitSignal(page.run_finished, timeout=20_000):
        page.start_run()
    qtbot.waitUntil(lambda: not page.busy, timeout=5000)
    passing_ws.cursor().execute("UPDATE raw.events SET user_id = 'z' WHERE user_id = 'a'")
    _cancelled_run(passing_ws)
    page.refresh_history()
    page.store.refresh()
    qtbot.waitUntil(lambda: page.graph.items_by_id.get("marts.fct_users") is not None
                    and page.graph.items_by_id["marts.fct_users"].status == "success", timeout=5000)
    assert page.graph.items_by_id["staging.stg_counts"].status == "success"  # the published build's
    assert page.last is not None and page.last.status == "cancelled"
    assert page.run_panel.status_of("stg_counts") == "rolled back"


def test_run_panel_says_how_incremental_models_were_built(qtbot, tmp_path: Path) -> None:
    from shoplytics_desktop.core.generate import GenerateSpec, generate_into

    ws = Workspace.open(tmp_path / "ws")
    try:
        generate_into(ws, GenerateSpec(events=3000, days=7, seed=3))
        page = _page(qtbot, ws)
        # The second run has nothing new: every model is left as it is.
        for full, expected, table in (
                (False, "rebuilt in full: its first build", ""),
                (False, UNCHANGED, UNCHANGED),
                (True, "rebuilt in full: a full refresh was asked for", "")):
            with qtbot.waitSignal(page.run_finished, timeout=30_000) as finished:
                page.start_run(full_refresh=full)
            qtbot.waitUntil(lambda: not page.busy, timeout=5000)
            assert finished.args[0].published
            assert page.run_panel.note_of("int_sessions") == expected
            assert page.run_panel.note_of("agg_sales") == table
            # The graph says which models the run left as they were.
            qtbot.waitUntil(lambda: "marts.agg_sales" in page.graph.items_by_id, timeout=5000)
            node = page.graph.items_by_id["marts.agg_sales"]
            assert node.status == ("unchanged" if table == UNCHANGED else "success")
            # So does the run table's status column.
            assert page.run_panel.status_of("agg_sales") == node.status
            # The validation panel says which tests passed on the same data before.
            v = page.validation
            messages = {v.model.item(r, 1).text(): v.model.item(r, 6).text()
                        for r in range(v.model.rowCount())}
            assert (messages["not_null_agg_sales_order_key"] == KEPT) == (table == UNCHANGED)
    finally:
        ws.close()


def test_the_model_panel_says_how_a_model_was_built_or_why_it_failed(qtbot) -> None:
    """The last run's note: how a built model was built (not labelled an error), the error of a
    failed one, both as text (a note with '<' is not read as markup)."""
    from shoplytics_desktop.core.models.project import Model
    from shoplytics_desktop.ui.model_detail import ModelDetail
    from shoplytics_desktop.ui.project_state import LastRun

    detail = ModelDetail()
    qtbot.addWidget(detail)
    model = Model(name="fct_x", layer="marts", path=Path("fct_x.sql"), raw_sql="select 1",
                  materialized="incremental")

    class _Project:
        def __init__(self) -> None:
            self.models = {"fct_x": model}

        def tests_for(self, names: list[str]) -> list[object]:
            return []

    def shown(status: str, note: str) -> str:
        last = LastRun("r1", "run", "success", "", "2026-12-05 10:00:00",
                       models={"fct_x": (status, 10, 0.5, note)})
        detail.show_node("marts.fct_x", _Project(), {}, last, {})  # type: ignore[arg-type]
        return detail.last_run.text()

    built = shown("success", "updated for 3 user(s) with new events")
    assert "How built: updated for 3 user(s) with new events" in built and "Error" not in built
    assert ">success<" in built
    assert ">unchanged<" in shown("success", UNCHANGED)
    failed = shown("error", "Binder Error: column a < b not found")
    assert "Error: Binder Error: column a &lt; b not found" in failed
    assert "Why: upstream failed" in shown("skipped", "upstream failed")
