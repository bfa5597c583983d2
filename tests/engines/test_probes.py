"""The probe suite (tests/engines/probes.py) on DuckDB and, transpiled, on each engine."""

from __future__ import annotations

import duckdb
import pytest

from shoplytics_desktop.core.engines import open_engine, parse_url
from shoplytics_desktop.core.engines.transpile import Context, transpile
from tests.engines.probes import PROBES, VARIABLES, normal

pytestmark = pytest.mark.engines


def _mismatches(run: object) -> dict[str, object]:
    out: dict[str, object] = {}
    for name, (sql, expected) in PROBES.items():
        try:
            got = normal(run(sql))  # type: ignore[operator]
        except Exception as e:
            out[name] = f"error: {str(e).splitlines()[0]}"
            continue
        if got != normal(expected):
            out[name] = got
    return out


def test_probes_on_duckdb() -> None:
    con = duckdb.connect()
    con.execute("SET VARIABLE workspace_currency = 'EUR'")
    assert _mismatches(lambda sql: con.execute(sql).fetchone()) == {}


def _on(url: str) -> dict[str, object]:
    engine = open_engine(parse_url(url))
    try:
        ctx = Context(engine.dialect, VARIABLES)
        return _mismatches(
            lambda sql: tuple(engine.count_and_sample(transpile(sql, ctx), 1)[2][0])
        )
    finally:
        engine.close()


def test_probes_on_postgres(pg_url: str) -> None:
    assert _on(pg_url) == {}


@pytest.mark.slow
def test_probes_on_spark(spark_url: str) -> None:
    assert _on(spark_url) == {}
