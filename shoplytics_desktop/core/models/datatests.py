"""Data tests: each compiles to a SELECT of the failing rows, as dbt and SQLMesh audits do."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb

from shoplytics_desktop.core.models.project import DataTest, Model
from shoplytics_desktop.core.sqlutil import quote_ident, quote_literal

SAMPLE_ROWS = 20


@dataclass
class TestResult:
    test_id: str
    test_type: str
    model: str | None
    column: str | None
    severity: str
    status: str  # pass | warn | fail | error (the test itself could not run)
    failing_rows: int = 0
    sample: list[dict[str, Any]] = field(default_factory=list)
    message: str = ""
    seconds: float = 0.0
    description: str = ""

    @property
    def blocking(self) -> bool:
        return self.severity == "error" and self.status in ("fail", "error")


def _relation(name: str, models: dict[str, Model]) -> str:
    if name in models:
        return models[name].relation
    parts = name.split(".")
    return ".".join(quote_ident(p) for p in parts)


def compile_test(test: DataTest, models: dict[str, Model]) -> str:
    """The SELECT that returns this test's failing rows."""
    if test.test_type == "singular":
        assert test.sql is not None
        return test.sql
    assert test.model is not None
    rel = _relation(test.model, models)
    col = quote_ident(test.column) if test.column else ""
    a = test.args
    match test.test_type:
        case "not_null":
            return f"SELECT * FROM {rel} WHERE {col} IS NULL"
        case "unique":
            return (
                f"SELECT {col}, count(*) AS n_records FROM {rel} WHERE {col} IS NOT NULL "
                f"GROUP BY {col} HAVING count(*) > 1"
            )
        case "accepted_values":
            values = ", ".join(quote_literal(str(v)) for v in a["values"])
            return (
                f"SELECT {col}, count(*) AS n_records FROM {rel} "
                f"WHERE {col} IS NOT NULL AND CAST({col} AS VARCHAR) NOT IN ({values}) GROUP BY {col}"
            )
        case "relationships":
            parent = _relation(str(a["to"]), models)
            field_ = quote_ident(str(a["field"]))
            return (
                f"SELECT child.{col} FROM {rel} AS child ANTI JOIN {parent} AS parent "
                f"ON child.{col} = parent.{field_} WHERE child.{col} IS NOT NULL"
            )
        case "unique_combination_of_columns":
            cols = ", ".join(quote_ident(str(c)) for c in a["combination_of_columns"])
            return f"SELECT {cols}, count(*) AS n_records FROM {rel} GROUP BY ALL HAVING count(*) > 1"
        case "expression_is_true":
            return f"SELECT * FROM {rel} WHERE NOT coalesce(({a['expression']}), false)"
    raise ValueError(f"unknown test type {test.test_type}")


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return str(value)


def run_test(
    cur: duckdb.DuckDBPyConnection, test: DataTest, models: dict[str, Model]
) -> TestResult:
    result = TestResult(
        test.test_id,
        test.test_type,
        test.model,
        test.column,
        test.severity,
        "pass",
        description=test.description,
    )
    started = time.perf_counter()
    sql = compile_test(test, models)
    try:
        row = cur.execute(f"SELECT count(*) FROM ({sql}) AS failing").fetchone()
        result.failing_rows = int(row[0]) if row else 0
        if result.failing_rows:
            rel = cur.execute(f"SELECT * FROM ({sql}) AS failing LIMIT {SAMPLE_ROWS}")
            names = [d[0] for d in rel.description or []]
            result.sample = [
                {n: _jsonable(v) for n, v in zip(names, r, strict=True)} for r in rel.fetchall()
            ]
            result.status = "warn" if test.severity == "warn" else "fail"
            result.message = f"{result.failing_rows:,} failing row(s)"
    except duckdb.InterruptException:
        raise
    except duckdb.CatalogException as e:
        result.status = "error"
        missing = models[test.model].relation if test.model in models else test.model
        result.message = f"{missing} has not been built yet (run the pipeline): {str(e).splitlines()[0]}"
    except duckdb.Error as e:
        result.status = "error"
        result.message = f"the test could not run: {str(e).splitlines()[0]}"
    result.seconds = time.perf_counter() - started
    return result


def sample_json(result: TestResult) -> str:
    return json.dumps(result.sample, default=str)


TestListener = Callable[[TestResult], None]
