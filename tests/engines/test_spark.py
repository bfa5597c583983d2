"""The model graph on a real Spark Connect server: every mart equals DuckDB's, exactly."""

from __future__ import annotations

import pytest

from shoplytics_desktop.core.engines import EngineError, open_engine, parse_url
from shoplytics_desktop.core.engines.run import run_on_engine
from shoplytics_desktop.core.workspace import Workspace
from tests.engines.compare import differences, mart_names

pytestmark = [pytest.mark.engines, pytest.mark.slow]


def test_every_mart_equals_duckdbs(engine_ws: Workspace, spark_url: str) -> None:
    names = mart_names(engine_ws)
    result = run_on_engine(engine_ws, parse_url(spark_url))
    assert result.status == "success", result.message
    assert result.tests and not result.failed_tests
    assert differences(engine_ws, names) == {}


def test_an_unreachable_spark_server_is_a_clear_error() -> None:
    pytest.importorskip("pyspark")
    with pytest.raises(EngineError, match=r"Cannot connect to Spark Connect at sc://127\.0\.0\.1:1"):
        open_engine(parse_url("sc://127.0.0.1:1"))
