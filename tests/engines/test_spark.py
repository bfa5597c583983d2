"""The model graph on a real Spark Connect server: every mart equals DuckDB's, exactly."""

from __future__ import annotations

import pytest

from shoplytics_desktop.core.engines import EngineError, check_connection, open_engine, parse_url
from shoplytics_desktop.core.engines.run import run_on_engine
from shoplytics_desktop.core.errors import Cancelled
from shoplytics_desktop.core.workspace import Workspace
from tests.engines.cancelling import (
    SLOW_MODEL_SPARK,
    CancelWhenBuilding,
    project_with_a_slow_mart,
    run_in_thread,
)
from tests.engines.compare import assert_imported_marts_equal, differences, mart_names

pytestmark = [pytest.mark.engines, pytest.mark.slow]


def test_every_mart_equals_duckdbs(engine_ws: Workspace, spark_url: str) -> None:
    names = mart_names(engine_ws)
    result = run_on_engine(engine_ws, parse_url(spark_url))
    assert result.status == "success", result.message
    assert result.tests and not result.failed_tests
    assert differences(engine_ws, names) == {}


def test_every_mart_equals_duckdbs_on_imported_files(imported_ws: Workspace, spark_url: str) -> None:
    assert_imported_marts_equal(imported_ws, spark_url)


def test_an_unreachable_spark_server_is_a_clear_error() -> None:
    pytest.importorskip("pyspark")
    with pytest.raises(EngineError, match=r"Cannot connect to Spark Connect at sc://127\.0\.0\.1:1"):
        open_engine(parse_url("sc://127.0.0.1:1"))


def test_a_selection_keeps_the_other_models_published(engine_ws: Workspace, spark_url: str) -> None:
    first = run_on_engine(engine_ws, parse_url(spark_url))
    assert first.status == "success", first.message
    engine_ws.cursor().execute("DELETE FROM marts.dim_products")
    result = run_on_engine(engine_ws, parse_url(spark_url), select=["dim_users"])
    assert result.status == "success", result.message
    assert [m.name for m in result.models] == ["dim_users"]
    assert engine_ws.row_count("marts", "dim_products") == 0  # not pulled
    engine = open_engine(parse_url(spark_url))
    try:
        schema = engine.published_schema()
        assert schema is not None
        tables = {t.name for t in engine.spark.catalog.listTables(schema)}  # type: ignore[attr-defined]
    finally:
        engine.close()
    assert len(tables) == len(first.models)  # the unselected models came along
    assert "connected to spark" in check_connection(spark_url).lower()


def test_cancel_interrupts_the_spark_session(engine_ws: Workspace, spark_url: str, tmp_path) -> None:
    first = run_on_engine(engine_ws, parse_url(spark_url))
    assert first.status == "success", first.message
    engine = open_engine(parse_url(spark_url))
    try:
        published = engine.published_schema()
    finally:
        engine.close()
    project = project_with_a_slow_mart(engine_ws, tmp_path, SLOW_MODEL_SPARK)
    reporter = CancelWhenBuilding("zz_slow", after=2.0)
    thread, out = run_in_thread(
        run_on_engine, engine_ws, parse_url(spark_url), reporter=reporter, project=project
    )
    thread.join(600)
    assert not thread.is_alive(), "the cancel did not interrupt the Spark session"
    assert isinstance(out.get("error"), Cancelled), out
    # Stopped inside the statement: a cancel seen only between statements would let it finish.
    slow = engine_ws.cursor().execute(
        "SELECT r.status, m.status FROM _shoplytics.runs r JOIN _shoplytics.model_runs m "
        "USING (run_id) WHERE m.model = 'zz_slow' ORDER BY r.started_at DESC LIMIT 1"
    ).fetchone()
    assert slow == ("cancelled", "cancelled")
    engine = open_engine(parse_url(spark_url))
    try:
        assert engine.published_schema() == published
        builds = [d.name for d in engine.spark.catalog.listDatabases()  # type: ignore[attr-defined]
                  if d.name.startswith("shoplytics_build_")]
    finally:
        engine.close()
    assert published in builds and len(builds) <= 2


def test_raw_rows_go_up_in_chunks_through_a_staging_table(
    engine_ws: Workspace, spark_url: str, monkeypatch
) -> None:
    from shoplytics_desktop.core.engines import spark as spark_engine
    from shoplytics_desktop.core.engines.run import RawRows

    monkeypatch.setattr(spark_engine, "CHUNK_ROWS", 7_000)
    cur = engine_ws.cursor()
    columns = [(r[0], r[1]) for r in cur.execute("DESCRIBE raw.events").fetchall()]
    expected = cur.execute("SELECT count(*) FROM raw.events").fetchall()[0][0]
    engine = open_engine(parse_url(spark_url))
    try:
        sent = engine.push_raw("events_chunked", columns, RawRows(cur, "events", columns, None),
                               set(), True)
        assert sent == expected
        state = engine.raw_state("events_chunked")
        assert state is not None and [c for c in state[0]] == [n for n, _ in columns]
        local = {r[0] for r in cur.execute("SELECT DISTINCT _batch_id FROM raw.events").fetchall()}
        assert state[1] == local
        engine.push_raw("events_chunked", columns, RawRows(cur, "events", columns, None),
                        set(), False)
        n = engine.spark.sql("SELECT count(*) FROM shoplytics_raw.events_chunked").collect()  # type: ignore[attr-defined]
        assert n[0][0] == 2 * expected
        assert not engine.spark.catalog.tableExists("shoplytics_raw.events_chunked__incoming")  # type: ignore[attr-defined]
    finally:
        engine.close()
