"""The model graph on a real PostgreSQL: every mart equals DuckDB's, table by table, exactly."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import psycopg
import pytest

from shoplytics_desktop.cli import main
from shoplytics_desktop.core.engines import EngineError, open_engine, parse_url
from shoplytics_desktop.core.engines import run as engine_run
from shoplytics_desktop.core.engines.run import run_on_engine
from shoplytics_desktop.core.models.project import load_project
from shoplytics_desktop.core.workspace import Workspace
from tests.engines.compare import differences, mart_names

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
