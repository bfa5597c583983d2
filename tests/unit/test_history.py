"""The run history: typed records written with named columns, read back by id, latest, kind and
publication; and a workspace whose history was written by the previous statements (positional
VALUES lists) reads the same."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from shoplytics_desktop.core import history
from shoplytics_desktop.core.history import RunKind, RunStatus
from shoplytics_desktop.core.models import datatests
from shoplytics_desktop.core.models.runner import ModelResult, run_data_tests, run_project
from shoplytics_desktop.core.workspace import Workspace
from tests.unit.modelproj import PROJECT, write_project
from tests.unit.modelproj import insert_users as _insert

#: The history tables' columns as workspaces have them on disk: a change needs a migration.
ON_DISK = {
    "runs": ["run_id", "kind", "selection", "models_dir", "started_at", "finished_at", "status",
             "message"],
    "model_runs": ["run_id", "ordinal", "model", "layer", "materialized", "status", "rows",
                   "seconds", "error", "note"],  # note: schema version 4
    "test_results": ["run_id", "test_id", "test_type", "model", "column_name", "severity",
                     "status", "failing_rows", "sample", "message", "seconds"],
}


@pytest.fixture
def ws(tmp_path: Path):
    workspace = Workspace.open(tmp_path / "ws")
    yield workspace
    workspace.close()


def _test(test_id: str, status: str, failing: int = 0, sample: list | None = None) -> datatests.TestResult:
    return datatests.TestResult(test_id, "not_null", "fct_users", "user_id", "error", status, failing,
                      sample or [], "" if status == "pass" else "2 rows", 0.25)


def test_the_tables_keep_their_columns(ws: Workspace) -> None:
    for table, columns in ON_DISK.items():
        found = [r[0] for r in ws.cursor().execute(
            "select column_name from information_schema.columns "
            "where table_schema = '_shoplytics' and table_name = ? order by ordinal_position",
            [table]).fetchall()]
        assert found == columns, table


def test_a_run_is_written_and_read_back(ws: Workspace) -> None:
    cur = ws.cursor()
    run_id = history.start_run(cur, RunKind.RUN, "fct_users+", "/models")
    running = history.latest_run(ws)
    assert running is not None and running.status == RunStatus.RUNNING
    assert running.seconds is None and not running.published and running.models == ()
    models = [ModelResult("stg_counts", "staging", "view", "success", None, 0.5),
              ModelResult("fct_users", "marts", "table", "error", 12, 1.25, "boom")]
    history.finish_run(cur, run_id, RunStatus.ERROR, "1 model failed", models,
                       [_test("t_pass", "pass"), _test("t_fail", "fail", 2, [{"user_id": None}])])
    run = history.latest_run(ws, RunKind.RUN)
    assert run is not None
    assert (run.run_id, run.kind, run.status, run.message, run.selection, run.models_dir) == (
        run_id, "run", "error", "1 model failed", "fct_users+", "/models")
    assert run.seconds is not None and run.seconds >= 0 and not run.published
    assert [(m.relation, m.materialized, m.status, m.rows, m.seconds, m.error)
            for m in run.models] == [
        ("staging.stg_counts", "view", "success", None, 0.5, ""),
        ("marts.fct_users", "table", "error", 12, 1.25, "boom"),
    ]
    tests = {t.test_id: t for t in history.test_results(ws, run_id)}
    assert tests["t_fail"].failing_rows == 2 and tests["t_fail"].sample == [{"user_id": None}]
    assert tests["t_fail"].message == "2 rows" and tests["t_pass"].message == ""
    assert tests["t_pass"].seconds == 0.25
    assert history.latest_run(ws, RunKind.TEST) is None
    assert history.latest_run(ws, published=True) is None


def test_latest_published_and_listing_order(ws: Workspace) -> None:
    cur = ws.cursor()
    ids = []
    for status in (RunStatus.SUCCESS, RunStatus.WARN, RunStatus.CANCELLED):
        run_id = history.start_run(cur, RunKind.RUN)
        history.finish_run(cur, run_id, status, str(status))
        ids.append(run_id)
    test_id = history.start_run(cur, RunKind.TEST)
    history.finish_run(cur, test_id, RunStatus.SUCCESS, "tests")
    # the same second: the listing is by start time (microseconds), then id
    assert [r.run_id for r in history.list_runs(ws)] == [test_id, *reversed(ids)]
    assert [r.run_id for r in history.list_runs(ws, RunKind.RUN, limit=2)] == [ids[2], ids[1]]
    published = history.latest_run(ws, published=True)
    assert published is not None and published.run_id == ids[1] and published.status == "warn"
    assert [r.run_id for r in history.list_runs(ws, published=True)] == [ids[1], ids[0]]


def test_publication_is_recorded_in_meta(ws: Workspace) -> None:
    assert history.last_published(ws) is None
    cur = ws.cursor()
    mark = history.record_published(cur, "r1", "Europe/Paris")
    assert history.last_published(ws) == mark and mark.run_id == "r1"
    assert dt.datetime.strptime(mark.at, "%Y-%m-%d %H:%M:%S")
    history.record_published(cur, "r2")  # a selection: the zone stays as the full run wrote it
    meta = dict(cur.execute("select key, value from _shoplytics.meta").fetchall())
    assert meta["last_published_run"] == "r2" and meta["marts_time_zone"] == "Europe/Paris"


def test_a_run_left_running_is_marked_interrupted_on_reopen(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "ws") as ws:
        run_id = history.start_run(ws.cursor(), RunKind.RUN)
    with Workspace.open(tmp_path / "ws") as ws:
        run = history.latest_run(ws)
        assert run is not None and run.run_id == run_id
        assert run.status == RunStatus.INTERRUPTED
        assert run.message == history.INTERRUPTED_MESSAGE


def _previous_code_writes(ws: Workspace) -> None:
    """The rows exactly as the runner wrote them before this module: positional VALUES lists
    in the tables' on-disk column order."""
    cur = ws.cursor()
    start = dt.datetime(2026, 11, 30, 8, 0, 0)
    cur.execute("INSERT INTO _shoplytics.runs VALUES (?, ?, ?, ?, ?, NULL, 'running', NULL)",
                ["20261130T080000-abcdef", "run", "", "/old/models", start])
    cur.execute(
        "UPDATE _shoplytics.runs SET finished_at = ?, status = ?, message = ? WHERE run_id = ?",
        [start + dt.timedelta(seconds=2.5), "warn", "Built 2 model(s); 1 test(s), 1 warning(s).",
         "20261130T080000-abcdef"])
    cur.execute(
        # The nine columns the previous statements filled (note, of schema version 4, stays null).
        "INSERT INTO _shoplytics.model_runs (run_id, ordinal, model, layer, materialized, status, "
        "rows, seconds, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        ["20261130T080000-abcdef", 0, "int_sessions", "intermediate", "transient", "success",
         710, 0.75, None,
         "20261130T080000-abcdef", 1, "fct_orders", "marts", "table", "success", 35, 0.5, None])
    cur.execute(
        "INSERT INTO _shoplytics.test_results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        ["20261130T080000-abcdef", "not_null_fct_orders_order_id", "not_null", "fct_orders",
         "order_id", "warn", "fail", 3, '[{"order_id": null}]', "3 rows", 0.125])
    cur.execute("INSERT OR REPLACE INTO _shoplytics.meta VALUES ('last_published_run', ?), "
                "('last_published_at', ?)", ["20261130T080000-abcdef", "2026-11-30 08:00:02"])


def test_a_history_written_by_the_previous_statements_reads_the_same(ws: Workspace) -> None:
    _previous_code_writes(ws)
    run = history.latest_run(ws, RunKind.RUN, published=True)
    assert run is not None and run.run_id == "20261130T080000-abcdef" and run.published
    assert run.started == "2026-11-30 08:00:00" and run.seconds == 2.5
    assert [(m.name, m.rows, m.seconds) for m in run.models] == [
        ("int_sessions", 710, 0.75), ("fct_orders", 35, 0.5)]
    [test] = history.test_results(ws, run.run_id)
    assert (test.status, test.failing_rows, test.sample, test.severity) == (
        "fail", 3, [{"order_id": None}], "warn")
    assert history.last_published(ws) == history.Publication(
        "20261130T080000-abcdef", "2026-11-30 08:00:02")
    assert history.transient_relations(ws) == {"intermediate.int_sessions"}
    assert history.built_relations(ws.cursor()) == {"intermediate.int_sessions", "marts.fct_orders"}


def test_the_runner_writes_through_the_history(tmp_path: Path) -> None:
    root = write_project(tmp_path / "proj", PROJECT)
    with Workspace.open(tmp_path / "ws") as ws:
        ws.settings.models_dir = str(root)
        _insert(ws, ["a", "a", "b"])
        result = run_project(ws)
        tests = run_data_tests(ws)
        run = history.latest_run(ws, RunKind.RUN)
        assert run is not None and run.run_id == result.run_id and run.status == "success"
        assert [(m.name, m.rows) for m in run.models] == [
            ("stg_counts", None), ("fct_users", 2), ("fct_total", 1)]
        assert len(history.test_results(ws, result.run_id)) == 3
        last = history.latest_run(ws)
        assert last is not None and last.run_id == tests.run_id and last.kind == "test"
        published = history.last_published(ws)
        assert published is not None and published.run_id == result.run_id
