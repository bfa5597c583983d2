"""The runner: atomic publish, rollback on error tests and model errors, cancel, history."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from shoplytics_desktop.core.errors import Cancelled, ModelError
from shoplytics_desktop.core.models.runner import ModelResult, run_data_tests, run_project
from shoplytics_desktop.core.progress import RecordingReporter
from shoplytics_desktop.core.workspace import Workspace
from tests.unit.modelproj import PROJECT, write_project
from tests.unit.modelproj import insert_users as _insert


@pytest.fixture
def ws(tmp_path: Path):
    root = write_project(tmp_path / "proj", PROJECT)
    workspace = Workspace.open(tmp_path / "ws")
    workspace.settings.models_dir = str(root)
    yield workspace
    workspace.close()


def _last_run_status(ws: Workspace) -> tuple | None:
    return ws.cursor().execute(
        "select status from _shoplytics.runs order by started_at desc limit 1"
    ).fetchone()


def _fct_users(ws: Workspace) -> list[tuple]:
    return ws.cursor().execute("select user_id, n, score from marts.fct_users order by 1").fetchall()


def test_run_builds_in_order_and_reports_rows(ws: Workspace) -> None:
    _insert(ws, ["a", "a", "b"])
    seen: list[str] = []
    result = run_project(ws, listener=lambda r: seen.append(getattr(r, "name", "") or r.test_id))
    # a has 2 events → score 20; b → 10: the warn test (score < 25) passes
    assert result.status == "success" and result.published
    assert [(m.name, m.status, m.rows) for m in result.models] == [
        ("stg_counts", "success", None),
        ("fct_users", "success", 2),
        ("fct_total", "success", 1),
    ]
    assert _fct_users(ws) == [("a", 2, 20), ("b", 1, 10)]
    assert seen[:3] == ["stg_counts", "fct_users", "fct_total"]
    assert len(result.tests) == 3 and all(t.status == "pass" for t in result.tests)


def test_warn_failure_publishes_with_warning(ws: Workspace) -> None:
    _insert(ws, ["a", "a", "a", "b"])  # a scores 30 → fails score < 25 (warn)
    result = run_project(ws)
    assert result.status == "warn" and result.published
    warn = [t for t in result.tests if t.status == "warn"]
    assert len(warn) == 1 and warn[0].failing_rows == 1
    assert warn[0].sample == [{"user_id": "a", "n": 3, "score": 30}]
    assert _fct_users(ws) == [("a", 3, 30), ("b", 1, 10)]


def test_error_test_failure_rolls_back_everything(ws: Workspace, tmp_path: Path) -> None:
    _insert(ws, ["a", "b"])
    assert run_project(ws).published
    before = _fct_users(ws)
    # make 'unique' fail: the new build would have user a twice
    write_project(
        Path(ws.models_dir),
        {"marts/fct_users.sql": "select user_id, n, n * 10 as score from stg_counts "
                                "union all select 'a', 1, 10"},
    )
    _insert(ws, ["a", "b", "c"])
    result = run_project(ws)
    assert result.status == "error" and not result.published
    assert "Marts not published" in result.message
    failed = [t for t in result.tests if t.blocking]
    assert [t.test_id for t in failed] == ["unique_fct_users_user_id"]
    assert _fct_users(ws) == before  # the previous marts, untouched
    # and the history survived the rollback
    stored = ws.cursor().execute(
        "select status, failing_rows, sample from _shoplytics.test_results "
        "where run_id = ? and test_id = 'unique_fct_users_user_id'",
        [result.run_id],
    ).fetchone()
    assert stored is not None and stored[0] == "fail" and stored[1] == 1
    assert json.loads(stored[2]) == [{"user_id": "a", "n_records": 2}]
    run = ws.cursor().execute("select status from _shoplytics.runs where run_id = ?", [result.run_id]).fetchone()
    assert run == ("error",)


def test_model_error_rolls_back_and_names_the_model(ws: Workspace) -> None:
    _insert(ws, ["a"])
    assert run_project(ws).published
    write_project(Path(ws.models_dir), {"marts/fct_total.sql": "select sum(nope) as total from fct_users"})
    _insert(ws, ["a", "b"])
    result = run_project(ws)
    assert result.status == "error"
    assert "Model fct_total (fct_total.sql) failed" in result.message
    assert [m.status for m in result.models] == ["success", "success", "error"]
    assert _fct_users(ws) == [("a", 1, 10)]  # fct_users rebuilt in the run, but rolled back


def test_cancel_between_models_rolls_back(ws: Workspace) -> None:
    _insert(ws, ["a"])
    assert run_project(ws).published
    _insert(ws, ["a", "b"])
    with pytest.raises(Cancelled):
        run_project(ws, reporter=RecordingReporter(cancel_after=2))
    assert _fct_users(ws) == [("a", 1, 10)]
    status = _last_run_status(ws)
    assert status == ("cancelled",)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT is a POSIX signal")
def test_ctrl_c_on_the_command_rolls_back_and_says_so(ws: Workspace) -> None:
    """Ctrl+C while DuckDB runs a long statement stops it at once: the run is recorded as
    cancelled, the previous marts stay, and the command says so in one line and exits 130."""
    _insert(ws, ["a"])
    assert run_project(ws).published
    write_project(
        Path(ws.models_dir),
        {"marts/fct_total.sql": "select sum(a.range * b.range) as total from range(300000) a, range(300000) b"},
    )
    _insert(ws, ["a", "b"])
    ws.save_settings()  # the command reads the model project from the settings file
    folder = ws.folder
    ws.close()
    proc = subprocess.Popen(
        [sys.executable, "-m", "shoplytics_desktop.cli", "run", "-w", str(folder)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    time.sleep(2.5)  # past start-up, inside the long model (minutes long)
    proc.send_signal(signal.SIGINT)
    sent = time.monotonic()
    _, err = proc.communicate(timeout=60)
    assert time.monotonic() - sent < 10
    assert proc.returncode == 130, err
    assert err.strip() == "Cancelled; nothing was published, the previous build is still shown."
    with Workspace.open(folder, read_only=True) as again:
        assert _fct_users(again) == [("a", 1, 10)]
        assert _last_run_status(again) == ("cancelled",)


def test_duckdbs_own_ctrl_c_error_counts_as_an_interrupt(ws: Workspace, monkeypatch) -> None:
    """DuckDB's client raises RuntimeError('Query interrupted') when it sees a SIGINT itself."""
    from shoplytics_desktop.core.models import runner

    _insert(ws, ["a"])
    assert run_project(ws).published
    _insert(ws, ["a", "b"])

    def interrupted(*_args: object) -> None:
        raise RuntimeError("Query interrupted")

    monkeypatch.setattr(runner, "_build", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_project(ws)
    assert _fct_users(ws) == [("a", 1, 10)]
    assert _last_run_status(ws) == ("cancelled",)


def test_interrupt_during_a_long_model_rolls_back(ws: Workspace) -> None:
    _insert(ws, ["a"])
    assert run_project(ws).published
    write_project(
        Path(ws.models_dir),
        {"marts/fct_total.sql": "select sum(a.range * b.range) as total from range(100000) a, range(100000) b"},
    )
    _insert(ws, ["a", "b"])

    class Interrupting(RecordingReporter):
        def update(self, done: float, total: float, message: str = "") -> None:
            super().update(done, total, message)
            if "fct_total" in message:
                threading.Timer(0.3, ws.interrupt).start()

    with pytest.raises(Cancelled):
        run_project(ws, reporter=Interrupting())
    assert _fct_users(ws) == [("a", 1, 10)]


def test_select_builds_only_the_selection(ws: Workspace) -> None:
    _insert(ws, ["a"])
    run_project(ws)
    _insert(ws, ["a", "b"])
    result = run_project(ws, select=["fct_users"])
    assert [m.name for m in result.models] == ["fct_users"]
    # stg_counts is a view, so fct_users sees both users; fct_total was not rebuilt
    assert _fct_users(ws) == [("a", 1, 10), ("b", 1, 10)]
    assert ws.cursor().execute("select total from marts.fct_total").fetchone() == (1,)
    result = run_project(ws, select=["fct_users+"])
    assert [m.name for m in result.models] == ["fct_users", "fct_total"]


def test_data_tests_alone(ws: Workspace) -> None:
    _insert(ws, ["a", "a", "a"])
    run_project(ws)
    result = run_data_tests(ws)
    assert result.kind == "test" and result.status == "warn"
    assert not result.models


def test_materialization_switch_view_to_table(ws: Workspace) -> None:
    _insert(ws, ["a"])
    run_project(ws)
    write_project(
        Path(ws.models_dir),
        {"staging/_s.yml": "models:\n  - name: stg_counts\n    config: {materialized: table}\n"},
    )
    result = run_project(ws)
    assert result.models[0] == ModelResult("stg_counts", "staging", "table", "success", 1, result.models[0].seconds)


def test_transient_model_is_built_once_tested_and_published_as_a_view(
    ws: Workspace, tmp_path: Path
) -> None:
    write_project(
        Path(ws.models_dir),
        {
            "intermediate/int_counts.sql": "select user_id, count(*) as n from raw.events group by user_id",
            "intermediate/_int.yml": """
                version: 2
                models:
                  - name: int_counts
                    config: {materialized: transient}
                    columns:
                      - name: user_id
                        tests: [unique]
            """,
            "marts/fct_users.sql": "select user_id, n, n * 10 as score from int_counts",
        },
    )
    _insert(ws, ["a", "a", "b"])
    result = run_project(ws)
    assert result.published
    by_name = {m.name: m for m in result.models}
    assert (by_name["int_counts"].materialized, by_name["int_counts"].rows) == ("transient", 2)
    assert any(t.test_id == "unique_int_counts_user_id" and t.status == "pass" for t in result.tests)
    cur = ws.cursor()
    kinds = cur.execute(
        "select table_name, 'table' from duckdb_tables() where schema_name = 'intermediate' "
        "union all select view_name, 'view' from duckdb_views() where schema_name = 'intermediate'"
    ).fetchall()
    assert kinds == [("int_counts", "view")]
    assert cur.execute("select * from intermediate.int_counts order by 1").fetchall() == [("a", 2), ("b", 1)]
    assert _fct_users(ws) == [("a", 2, 20), ("b", 1, 10)]
    assert cur.execute("select current_setting('enable_optimistic_write')").fetchone() == (True,)
    # Testing alone computes it once as a table, in a transaction it rolls back.
    tested = run_data_tests(ws)
    assert tested.status == "success"
    assert [t.test_id for t in tested.tests if t.model == "int_counts"] == ["unique_int_counts_user_id"]
    assert cur.execute(
        "select count(*) from duckdb_tables() where schema_name = 'intermediate'"
    ).fetchone() == (0,)
    # A failing error test rolls the transient model back to the published view, too.
    write_project(
        Path(ws.models_dir),
        {"marts/fct_users.sql": "select user_id, n, n * 10 as score from int_counts union all select 'a', 1, 10"},
    )
    _insert(ws, ["a", "b", "c"])
    failed = run_project(ws)
    assert not failed.published
    assert cur.execute("select count(*) from duckdb_views() where view_name = 'int_counts'").fetchone() == (1,)
    assert _fct_users(ws) == [("a", 2, 20), ("b", 1, 10)]


def test_unknown_materialization_is_named(ws: Workspace) -> None:
    write_project(
        Path(ws.models_dir),
        {"marts/_more.yml": "version: 2\nmodels:\n  - name: fct_total\n    config: {materialized: ephemeral}\n"},
    )
    with pytest.raises(ModelError, match="materialized must be one of view, table, transient, incremental; found 'ephemeral'"):
        run_project(ws)


def test_a_test_duckdb_refuses_does_not_stop_the_other_tests(ws: Workspace) -> None:
    """A singular test naming a column that does not exist (a binder error) leaves the run's
    transaction usable: it is reported, every other test still runs, and as a warning it lets
    the run publish; as an error it blocks publishing, saying it could not run."""
    def project(severity: str) -> None:
        write_project(
            Path(ws.models_dir),
            {
                "tests/typo.sql": f"""
                    -- model: fct_users
                    -- severity: {severity}
                    select * from fct_users where scroe < 0
                """,
                "marts/_marts.yml": """
                    version: 2
                    models:
                      - name: fct_users
                        tests:
                          - expression_is_true: {expression: "n > 0"}
                          - expression_is_true: {expression: "user_id = 'x'", severity: warn}
                        columns:
                          - name: user_id
                            tests:
                              - not_null
                              - unique
                              - accepted_values: {values: [1, 2], severity: SEVERITY}
                """.replace("SEVERITY", severity),
            },
        )

    _insert(ws, ["a", "b"])
    project("warn")
    result = run_project(ws)
    assert result.published and result.status == "warn", result.message
    by_id = {t.test_id: t for t in result.tests}
    assert by_id["typo"].status == "error" and "scroe" in by_id["typo"].message
    assert 'Candidate bindings: "score"' in by_id["typo"].message  # what was meant
    assert not by_id["typo"].ended_transaction
    assert by_id["expression_is_true_fct_users_n_0"].status == "pass"
    assert by_id["expression_is_true_fct_users_user_id_x"].status == "warn"
    assert by_id["accepted_values_fct_users_user_id"].status == "warn"
    assert by_id["not_null_fct_users_user_id"].status == "pass"
    assert by_id["unique_fct_users_user_id"].status == "pass"

    project("error")
    result = run_project(ws)
    assert not result.published
    assert result.message.startswith("2 error-severity test(s) failed (1 could not run).")
    assert {t.test_id for t in result.tests if t.status == "pass"} >= {
        "expression_is_true_fct_users_n_0", "not_null_fct_users_user_id", "unique_fct_users_user_id"}


def test_a_batch_that_does_not_bind_runs_its_tests_one_by_one(ws: Workspace, monkeypatch) -> None:
    from shoplytics_desktop.core.models import datatests

    compile_test = datatests.compile_test

    def one_broken(test, models):  # type: ignore[no-untyped-def]
        if test.test_type == "unique":
            return "SELECT no_such_column FROM marts.fct_users"
        return compile_test(test, models)

    monkeypatch.setattr(datatests, "compile_test", one_broken)
    # A batch counts a unique test on text through hashes: that SQL is broken the same way.
    monkeypatch.setattr(datatests, "compile_screened", one_broken)
    _insert(ws, ["a", "b"])
    result = run_project(ws)
    by_id = {t.test_id: t for t in result.tests}
    assert by_id["unique_fct_users_user_id"].status == "error"
    assert "no_such_column" in by_id["unique_fct_users_user_id"].message
    assert by_id["not_null_fct_users_user_id"].status == "pass"
    assert result.message.startswith("1 error-severity test(s) failed (1 could not run).")


def test_a_test_that_cannot_run_is_named_and_ends_the_run_cleanly(ws: Workspace) -> None:
    """A missing column is found in the catalog (nothing runs); a test whose SQL fails at run
    time ends DuckDB's transaction, so the tests after it are reported as not run and the run
    publishes nothing, even when the broken test is only a warning."""
    write_project(
        Path(ws.models_dir),
        {
            "marts/_marts.yml": """
                version: 2
                models:
                  - name: fct_users
                    tests:
                      - expression_is_true: {expression: "cast('x' || n as int) > 0", severity: warn}
                      - expression_is_true: {expression: "n > 0"}
                    columns:
                      - name: user_id
                        tests: [not_null, unique]
                      - name: nope
                        tests: [not_null]
            """,
        },
    )
    _insert(ws, ["a", "b"])
    result = run_project(ws)
    assert result.status == "error" and not result.published
    by_id = {t.test_id: t for t in result.tests}
    assert by_id["not_null_fct_users_user_id"].status == "pass"
    assert by_id["unique_fct_users_user_id"].status == "pass"
    assert by_id["not_null_fct_users_nope"].message == (
        "the test could not run: marts.fct_users has no column 'nope'"
    )
    broken = by_id["expression_is_true_fct_users_cast_x_n_as_int_0"]
    assert broken.status == "error" and "Conversion Error" in broken.message
    assert by_id["expression_is_true_fct_users_n_0"].message.startswith(
        "not run: expression_is_true_fct_users_cast_x_n_as_int_0 could not run"
    )
    assert "expression_is_true_fct_users_cast_x_n_as_int_0 could not run (Conversion Error" in (
        result.message
    )
    with pytest.raises(duckdb.CatalogException):  # nothing was published
        ws.cursor().execute("select * from marts.fct_users").fetchall()


def test_a_full_run_removes_what_it_built_for_models_that_are_gone(ws: Workspace) -> None:
    _insert(ws, ["a", "b"])
    ws.cursor().execute("create table marts.mine as select 1 as v")  # not built by a run
    assert run_project(ws).published
    (Path(ws.models_dir) / "marts" / "fct_total.sql").unlink()
    assert run_project(ws, select=["fct_users"]).published  # a selection removes nothing
    assert ws.cursor().execute("select count(*) from duckdb_tables() where table_name = 'fct_total'").fetchone() == (1,)
    log = RecordingReporter()
    assert run_project(ws, reporter=log).published
    tables = {r[0] for r in ws.cursor().execute("select table_name from duckdb_tables() where schema_name = 'marts'").fetchall()}
    assert tables == {"fct_users", "mine"}
    assert "marts.fct_total: removed, no longer a model of this project" in log.lines


def test_the_history_times_the_whole_run(ws: Workspace) -> None:
    """finished_at is the clock when the run ends, not the start of the run's transaction."""
    _insert(ws, ["a", "b"])
    result = run_project(ws)
    took = ws.cursor().execute(
        "select date_diff('microsecond', started_at, finished_at) / 1e6 from _shoplytics.runs "
        "where run_id = ?",
        [result.run_id],
    ).fetchone()[0]
    assert took >= sum(m.seconds for m in result.models) > 0


def test_unique_tests_on_text_count_through_hashes_and_stay_exact(ws: Workspace, monkeypatch) -> None:
    """A batch counts a unique test on a text column by hashes first (``compile_screened``):
    the same failing values as the plain test, and the failing test then runs again in full for
    its sample. Numbers are grouped as they are."""
    from shoplytics_desktop.core.models import datatests

    screened: list[str] = []
    compile_screened = datatests.compile_screened

    def spy(test, models):  # type: ignore[no-untyped-def]
        screened.append(test.test_id)
        return compile_screened(test, models)

    monkeypatch.setattr(datatests, "compile_screened", spy)
    write_project(
        Path(ws.models_dir),
        {
            "marts/fct_lines.sql": "select user_id, length(user_id) as width from raw.events",
            "marts/_lines.yml": """
                version: 2
                models:
                  - name: fct_lines
                    columns:
                      - name: user_id
                        tests: [unique]
                      - name: width
                        tests: [unique]
            """,
        },
    )
    _insert(ws, ["a", "c", "a", "bb", "c", "c"])
    result = run_project(ws)
    by_id = {t.test_id: t for t in result.tests}
    assert sorted(screened) == ["unique_fct_lines_user_id", "unique_fct_users_user_id"]
    text = by_id["unique_fct_lines_user_id"]
    assert (text.status, text.failing_rows) == ("fail", 2)  # a twice, c three times
    assert sorted((r["user_id"], r["n_records"]) for r in text.sample) == [("a", 2), ("c", 3)]
    width = by_id["unique_fct_lines_width"]
    assert (width.status, width.failing_rows) == ("fail", 1)  # width 1: five lines
    assert by_id["unique_fct_users_user_id"].status == "pass"
    assert not result.published
