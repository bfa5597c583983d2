"""The model graph on a real PostgreSQL: every mart equals DuckDB's, table by table, exactly."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import psycopg
import pytest

from shoplytics_desktop.cli import main
from shoplytics_desktop.core.engines import EngineError, check_connection, open_engine, parse_url
from shoplytics_desktop.core.engines import run as engine_run
from shoplytics_desktop.core.engines.run import run_on_engine
from shoplytics_desktop.core.errors import Cancelled
from shoplytics_desktop.core.models.project import load_project
from shoplytics_desktop.core.workspace import Workspace
from tests.engines.cancelling import CancelWhenBuilding, project_with_a_slow_mart, run_in_thread
from tests.engines.compare import assert_imported_marts_equal, differences, mart_names

pytestmark = pytest.mark.engines


def test_every_mart_equals_duckdbs(engine_ws: Workspace, pg_url: str) -> None:
    names = mart_names(engine_ws)
    assert len(names) == 16
    result = run_on_engine(engine_ws, parse_url(pg_url))
    assert result.status == "success", result.message
    assert result.published
    assert all(m.status == "success" for m in result.models)
    assert result.tests and not result.failed_tests
    assert differences(engine_ws, names) == {}

    # A second run sends nothing: the engine already has every batch.
    again = run_on_engine(engine_ws, parse_url(pg_url))
    assert again.status == "success"
    with psycopg.connect(pg_url) as con:
        n = con.execute("SELECT count(*) FROM shoplytics_raw.events").fetchone()
    assert n is not None and n[0] == engine_ws.row_count("raw", "events")

    tested = engine_run.test_on_engine(engine_ws, parse_url(pg_url))
    assert tested.status == "success" and len(tested.tests) == len(result.tests)


def test_every_mart_equals_duckdbs_on_imported_files(imported_ws: Workspace, pg_url: str) -> None:
    assert_imported_marts_equal(imported_ws, pg_url)


def test_a_failing_test_blocks_publishing(engine_ws: Workspace, pg_url: str, tmp_path: Path) -> None:
    run_on_engine(engine_ws, parse_url(pg_url))
    with psycopg.connect(pg_url) as con:
        before = con.execute("SELECT count(*) FROM shoplytics.fct_orders").fetchone()
    models = tmp_path / "models"
    shutil.copytree(engine_ws.models_dir, models)
    (models / "tests" / "always_fails.sql").write_text("select * from fct_orders\n")
    project = load_project(models)
    result = run_on_engine(engine_ws, parse_url(pg_url), project=project)
    assert result.status == "error"
    assert not result.published
    assert "not published" in result.message
    with psycopg.connect(pg_url) as con:
        after = con.execute("SELECT count(*) FROM shoplytics.fct_orders").fetchone()
        build = con.execute(
            "SELECT count(*) FROM information_schema.schemata WHERE schema_name = 'shoplytics_build'"
        ).fetchone()
    assert after == before
    assert build == (0,)


def test_an_unreachable_server_is_a_quick_clear_error() -> None:
    started = time.monotonic()
    with pytest.raises(EngineError, match="Cannot connect to PostgreSQL at postgresql://"):
        open_engine(parse_url("postgresql://nobody@127.0.0.1:1/nowhere"))
    assert time.monotonic() - started < 30  # bounded by the connect timeout, not a retry loop


def test_a_missing_privilege_says_what_to_grant(engine_ws: Workspace, pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as con:
        con.execute("DROP ROLE IF EXISTS reader")
        con.execute("CREATE ROLE reader LOGIN")
    url = parse_url(pg_url.replace("postgres@", "reader@"))
    with pytest.raises(EngineError, match="permission denied") as e:
        run_on_engine(engine_ws, url)
    assert "GRANT CREATE ON DATABASE postgres TO reader" in e.value.hint


def test_the_password_is_never_written(engine_ws: Workspace, pg_url: str, monkeypatch) -> None:
    secret = "s3cret-pw-9f2"
    with psycopg.connect(pg_url, autocommit=True) as con:
        con.execute(f"ALTER ROLE postgres PASSWORD '{secret}'")
    monkeypatch.setenv("SHOPLYTICS_ENGINE_PASSWORD", secret)
    folder = engine_ws.folder
    engine_ws.close()
    code = main(["run", "--workspace", str(folder), "--on", pg_url, "--quiet"])
    assert code == 0
    url_with_password = pg_url.replace("postgres@", f"postgres:{secret}@")
    assert main(["test", "--workspace", str(folder), "--on", url_with_password]) == 0
    for path in folder.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path
    with Workspace.open(folder) as ws:
        history = ws.cursor().execute("SELECT string_agg(selection, ' ') FROM _shoplytics.runs").fetchone()
    assert history is not None and "--on postgresql://postgres@127.0.0.1" in str(history[0])


def _published_counts(pg_url: str) -> dict[str, int]:
    with psycopg.connect(pg_url) as con:
        tables = [
            r[0] for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'shoplytics'"
            ).fetchall()
        ]
        return {
            t: con.execute(f'SELECT count(*) FROM shoplytics."{t}"').fetchone()[0]  # type: ignore[index]
            for t in tables
        }


def test_a_selection_builds_tests_and_pulls_only_the_selected_models(
    engine_ws: Workspace, pg_url: str
) -> None:
    run_on_engine(engine_ws, parse_url(pg_url))
    before = _published_counts(pg_url)
    cur = engine_ws.cursor()
    cur.execute("DELETE FROM marts.fct_orders")
    cur.execute("DELETE FROM marts.dim_products")

    result = run_on_engine(engine_ws, parse_url(pg_url), select=["fct_orders+"])

    assert result.status == "success", result.message
    chosen = ["fct_orders", "agg_sales", "fct_daily_engagement", "agg_engagement_segments",
              "fct_revenue"]
    assert [m.name for m in result.models] == chosen
    assert all(m.status == "success" for m in result.models)
    tested = {t.model for t in result.tests}
    assert tested <= set(chosen) | {None} and "fct_orders" in tested
    # Every model is still published on the server, the unselected ones as they were.
    assert _published_counts(pg_url) == before
    # Pulled back: the selected marts only.
    assert engine_ws.row_count("marts", "fct_orders") == before["fct_orders"]
    assert engine_ws.row_count("marts", "dim_products") == 0
    assert differences(engine_ws, chosen[1:]) == {}
    selection = engine_ws.cursor().execute(
        "SELECT selection FROM _shoplytics.runs WHERE run_id = ?", [result.run_id]
    ).fetchone()
    assert selection is not None and selection[0].endswith("--select fct_orders+")


def test_the_command_line_runs_a_selection_on_the_engine(engine_ws: Workspace, pg_url: str, capsys) -> None:
    run_on_engine(engine_ws, parse_url(pg_url))
    folder = engine_ws.folder
    engine_ws.close()
    assert main(["run", "--workspace", str(folder), "--on", pg_url, "--select", "dim_users"]) == 0
    out = capsys.readouterr().out
    assert "Built 1 model(s) on postgresql://postgres@127.0.0.1" in out
    assert main(["test", "--workspace", str(folder), "--on", pg_url, "-s", "dim_users"]) == 0


def test_a_model_that_cannot_be_transpiled_names_file_line_and_what_to_write(
    engine_ws: Workspace, pg_url: str, tmp_path: Path
) -> None:
    models = tmp_path / "models"
    shutil.copytree(engine_ws.models_dir, models)
    (models / "marts" / "zz_hash.sql").write_text(
        "-- a checksum per user\nselect user_id,\n    hash(user_id) as h\nfrom staging.stg_users\n"
    )
    result = run_on_engine(engine_ws, parse_url(pg_url), project=load_project(models))
    assert result.status == "error" and not result.published
    assert "zz_hash.sql, line 3: hash()" in result.message
    failed = next(m for m in result.models if m.name == "zz_hash")
    assert failed.status == "error" and "line 3" in failed.error


def test_cancel_stops_the_statement_on_the_server_and_keeps_the_published_marts(
    engine_ws: Workspace, pg_url: str, tmp_path: Path
) -> None:
    run_on_engine(engine_ws, parse_url(pg_url))
    before = _published_counts(pg_url)
    project = project_with_a_slow_mart(engine_ws, tmp_path)
    reporter = CancelWhenBuilding("zz_slow")
    thread, out = run_in_thread(
        run_on_engine, engine_ws, parse_url(pg_url), reporter=reporter, project=project
    )
    thread.join(180)  # the statement alone would run for hours
    if thread.is_alive():  # leave the server usable for the other tests
        with psycopg.connect(pg_url, autocommit=True) as con:
            con.execute("SELECT pg_cancel_backend(pid) FROM pg_stat_activity "
                        "WHERE application_name = 'shoplytics' AND state = 'active'")
        thread.join(60)
        pytest.fail("the cancel did not stop the statement on the server")
    assert isinstance(out.get("error"), Cancelled), out
    assert _published_counts(pg_url) == before
    with psycopg.connect(pg_url) as con:
        build = con.execute(
            "SELECT count(*) FROM information_schema.schemata WHERE schema_name = 'shoplytics_build'"
        ).fetchone()
        active = con.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'shoplytics'"
        ).fetchone()
    assert build == (0,) and active == (0,)
    status = engine_ws.cursor().execute(
        "SELECT status, message FROM _shoplytics.runs ORDER BY started_at DESC LIMIT 1"
    ).fetchone()
    assert status is not None and status[0] == "cancelled" and "nothing was published" in status[1]
    slow = engine_ws.cursor().execute(
        "SELECT status FROM _shoplytics.model_runs WHERE model = 'zz_slow'"
    ).fetchall()
    assert slow == [("cancelled",)]  # stopped inside the statement, not after it


def test_check_connection_says_what_it_reached_and_what_is_missing(pg_url: str) -> None:
    assert "Connected to PostgreSQL 1" in check_connection(pg_url)
    with psycopg.connect(pg_url, autocommit=True) as con:
        con.execute("DROP ROLE IF EXISTS visitor")
        con.execute("CREATE ROLE visitor LOGIN")
        con.execute("REVOKE CREATE ON DATABASE postgres FROM PUBLIC")
    with pytest.raises(EngineError, match="may not create schemas") as e:
        check_connection(pg_url.replace("postgres@", "visitor@"))
    assert e.value.hint == "Grant it: GRANT CREATE ON DATABASE postgres TO visitor"
    with psycopg.connect(pg_url, autocommit=True) as con:
        con.execute("GRANT CREATE ON DATABASE postgres TO PUBLIC")


def test_a_wrong_password_is_a_clear_error_that_does_not_repeat_it(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as con:
        con.execute("DROP ROLE IF EXISTS guarded")
        con.execute("CREATE ROLE guarded LOGIN PASSWORD 'right-one'")
        con.execute("GRANT CREATE ON DATABASE postgres TO guarded")
        hba = con.execute("SHOW hba_file").fetchone()
    assert hba is not None
    # The test server trusts every local user: make this one need its password.
    path = Path(hba[0])
    path.write_text("host all guarded 127.0.0.1/32 scram-sha-256\n" + path.read_text())
    with psycopg.connect(pg_url, autocommit=True) as con:
        con.execute("SELECT pg_reload_conf()")
    url = pg_url.replace("postgres@", "guarded@")
    with pytest.raises(EngineError, match="password authentication failed") as e:
        check_connection(url, password="wr0ng-pw-77")
    assert "wr0ng-pw-77" not in e.value.one_line() + e.value.hint + repr(e.value)
    assert "Connected" in check_connection(url, password="right-one")


def test_a_selection_needs_a_full_run_there_first(engine_ws: Workspace, pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as con:
        con.execute("DROP DATABASE IF EXISTS fresh")
        con.execute("CREATE DATABASE fresh")
    url = parse_url(pg_url.rsplit("/", 1)[0] + "/fresh")
    with pytest.raises(EngineError, match=r"Nothing is published on postgresql://.*/fresh yet") as e:
        run_on_engine(engine_ws, url, select=["dim_users"])
    assert "shoplytics run --on postgresql://" in e.value.hint
    status = engine_ws.cursor().execute(
        "SELECT status FROM _shoplytics.runs ORDER BY started_at DESC LIMIT 1"
    ).fetchone()
    assert status == ("error",)
