"""Data tests: each compiles to a SELECT of the failing rows, as dbt and SQLMesh audits do."""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb

from shoplytics_desktop.core.models.parse import replace_refs
from shoplytics_desktop.core.models.project import DataTest, Model
from shoplytics_desktop.core.sqlutil import quote_ident, quote_literal
from shoplytics_desktop.core.status import Severity, TestStatus
from shoplytics_desktop.core.workspace import is_damage

SAMPLE_ROWS = 20


@dataclass
class TestResult:
    test_id: str
    test_type: str
    model: str | None
    column: str | None
    severity: Severity
    status: TestStatus  # error: the test itself could not run
    failing_rows: int = 0
    sample: list[dict[str, Any]] = field(default_factory=list)
    message: str = ""
    seconds: float = 0.0
    description: str = ""
    #: Its statement failed, which ends the open DuckDB transaction.
    ended_transaction: bool = False

    @property
    def blocking(self) -> bool:
        return self.severity == "error" and self.status in ("fail", "error")


def _relation(name: str, models: dict[str, Model]) -> str:
    if name in models:
        return models[name].relation
    parts = name.split(".")
    return ".".join(quote_ident(p) for p in parts)


def compile_test(test: DataTest, models: dict[str, Model], rows: str | None = None) -> str:
    """The SELECT that returns this test's failing rows. Names from the YAML are quoted and values
    are literals; SQL the project wrote (a singular test, the SELECT made around an expression)
    is what loading the project checked, kept on the test. ``rows``: a relation standing for
    the model's rows (default: the model)."""
    if test.test_type in ("singular", "expression_is_true"):
        assert test.sql is not None, "the project was loaded without its checks"
        return test.sql
    assert test.model is not None
    rel = rows or _relation(test.model, models)
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
    raise ValueError(f"unknown test type {test.test_type}")


def compile_screened(test: DataTest, models: dict[str, Model]) -> str:
    """A unique test's failing keys, found through their 64-bit hashes first: only the values
    whose hash repeats are grouped by the value itself. The same groups as ``compile_test``
    (equal values have equal hashes), for the batch's count; grouping long text keys by a
    number instead costs a fraction (int_sessions' 22.5M session keys at 100M events: 1.8 s
    against 5.0 s for that test; all 128 tests 9.3 s against 10.6 s). DuckDB's hash: the
    engines run ``compile_test``."""
    assert test.test_type == "unique" and test.model is not None and test.column
    rel = _relation(test.model, models)
    col = quote_ident(test.column)
    repeated = (
        f"(SELECT * FROM {rel} WHERE hash({col}) IN (SELECT hash({col}) FROM {rel} "
        f"WHERE {col} IS NOT NULL GROUP BY 1 HAVING count(*) > 1)) AS t"
    )
    return compile_test(test, models, rows=repeated)


#: Column types whose unique tests are counted through hashes (``compile_screened``): long
#: values cost more to group by than their hash; numbers and dates do not.
_SCREENED_TYPES = ("VARCHAR", "BLOB")


#: Tests that can check only the rows a run wrote, when they passed on the rows before: a row
#: fails not_null or accepted_values on its own, and a repeated key involves a new row.
SCOPABLE = ("not_null", "accepted_values", "unique", "unique_combination_of_columns")


#: The message of a test that passed on the rows its model's update wrote.
SCOPED = "passed on the rows this run wrote (the others passed before)"


def compile_scoped(test: DataTest, models: dict[str, Model], since: int | None) -> str:
    """The failing rows of a test over its model's rows from row id ``since`` on (None: no
    rows), checked against all its rows where keys must be unique."""
    assert test.model is not None and test.test_type in SCOPABLE
    rel = _relation(test.model, models)
    new = f"(SELECT * FROM {rel} WHERE {'rowid >= ' + str(since) if since is not None else 'false'})"
    if test.test_type in ("not_null", "accepted_values"):
        return compile_test(test, models, rows=f"{new} AS t")
    if test.test_type == "unique":
        col = quote_ident(str(test.column))
        return (
            f"SELECT {col}, count(*) AS n_records FROM {rel} WHERE {col} IN "
            f"(SELECT {col} FROM {new} AS t) GROUP BY {col} HAVING count(*) > 1"
        )
    names = [quote_ident(str(c)) for c in test.args["combination_of_columns"]]
    on = " AND ".join(f"t.{c} IS NOT DISTINCT FROM n.{c}" for c in names)
    return (
        f"SELECT {', '.join('t.' + c for c in names)}, count(*) AS n_records FROM {rel} AS t "
        f"SEMI JOIN (SELECT DISTINCT {', '.join(names)} FROM {new} AS x) AS n ON {on} "
        f"GROUP BY ALL HAVING count(*) > 1"
    )


#: The message of a per-user singular test that passed on the users its model's update rebuilt.
PER_GROUP = "passed on the {per} values this run updated (the others passed before)"


def compile_per_group(
    test: DataTest, models: dict[str, Model], groups: str
) -> tuple[str, str, str]:
    """A singular test ``-- per: <column>`` over its model's rows of the values in ``groups``
    (a table with a ``user_id`` column) only: the temp view that stands for the model in it
    (its name, and the statement that defines it) and the test's SQL reading that view (the
    test reads its model alone)."""
    assert test.model is not None and test.per is not None
    relation = models[test.model].relation
    bare = quote_ident(relation.split(".")[-1])
    sql = replace_refs(test.parsed_sql, [(ref, f"temp.main.{bare}") for ref, _ in test.refs])
    view = (f"CREATE OR REPLACE TEMP VIEW {bare} AS SELECT * FROM {relation} "
            f"WHERE {quote_ident(test.per)} IN (SELECT user_id FROM {groups})")
    return f"temp.main.{bare}", view, sql


def _run_per_group(
    cur: duckdb.DuckDBPyConnection, test: DataTest, models: dict[str, Model], groups: str
) -> TestResult:
    name, view, sql = compile_per_group(test, models, groups)
    cur.execute(view)
    try:
        result = run_test(cur, test, models, sql)
    finally:
        with contextlib.suppress(duckdb.Error):  # a test that ended the transaction
            cur.execute(f"DROP VIEW IF EXISTS {name}")
    if result.status == "pass":
        result.message = PER_GROUP.format(per=test.per)
    return result


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


def _result(test: DataTest, status: TestStatus = "pass", message: str = "") -> TestResult:
    return TestResult(
        test.test_id,
        test.test_type,
        test.model,
        test.column,
        test.severity,
        status,
        message=message,
        description=test.description,
    )


#: Generic tests whose SQL only reads columns. Once the columns exist, all but relationships
#: (which compares two columns' types) cannot fail to run, so those are counted in batches.
_COLUMN_TESTS = (
    "not_null", "unique", "accepted_values", "relationships", "unique_combination_of_columns"
)
_BATCHED = ("not_null", "unique", "accepted_values", "unique_combination_of_columns")
BATCH = 20


def _columns_needed(test: DataTest, models: dict[str, Model]) -> list[tuple[str, str]]:
    """(relation, column) pairs a column test reads, as catalog names."""
    def plain(name: str) -> str:
        return models[name].relation if name in models else name

    needed = []
    if test.model is not None:
        cols = [test.column] if test.column else []
        if test.test_type == "unique_combination_of_columns":
            cols = [str(c) for c in test.args.get("combination_of_columns", [])]
        needed += [(plain(test.model), c) for c in cols]
    if test.test_type == "relationships":
        needed.append((plain(str(test.args["to"])), str(test.args["field"])))
    return needed


def _missing_column(
    test: DataTest, models: dict[str, Model], columns: set[tuple[str, str]], relations: set[str]
) -> str | None:
    """Why a column test cannot run, from the catalog alone (None: it can)."""
    for rel, col in _columns_needed(test, models):
        if rel.lower() not in relations:
            return f"{rel} has not been built yet (run the pipeline)"
        if (rel.lower(), col.lower()) not in columns:
            return f"the test could not run: {rel} has no column '{col}'"
    return None


def run_tests(
    cur: duckdb.DuckDBPyConnection,
    tests: list[DataTest],
    models: dict[str, Model],
    on_result: Callable[[TestResult], None] | None = None,
    scopes: Mapping[str, int | None] | None = None,
    groups: Mapping[str, str] | None = None,
) -> list[TestResult]:
    """Run the tests, in as few statements as is safe, in an open transaction.

    A statement that fails while it runs ends the DuckDB transaction, so the order matters (one
    that DuckDB refuses before running it, say for a column that does not exist, does not: the
    workspace's transaction policy). Column tests are checked in the catalog first (a missing
    column is reported without running anything); the ones that cannot fail to run are counted
    BATCH at a time in one statement each (a statement costs a millisecond or two before any
    work), and only a failing one runs again for its sample rows (a batch that does not bind runs
    one by one to find the test at fault). The rest, whose SQL can fail at run time, go last, one
    by one. Once a statement has ended the transaction, the tests after it are reported as not
    run rather than with the transaction's own error. A batch's time is shared out as seconds.

    ``scopes`` maps a test id to the first row id of the rows this run wrote to its model (see
    ``compile_scoped``): that test checks those rows only; ``groups`` a per-user singular test
    to the users its model's update rebuilt (``compile_per_group``): it checks theirs only.
    """
    results: list[TestResult] = []
    broken: TestResult | None = None  # the test whose statement failed, ending the transaction
    scopes, groups = scopes or {}, groups or {}

    def sql_of(t: DataTest) -> str:
        if t.test_id in scopes:
            return compile_scoped(t, models, scopes[t.test_id])
        return compile_test(t, models)

    def done(r: TestResult) -> None:
        nonlocal broken
        if r.test_id in scopes and r.status == "pass":
            r.message = SCOPED
        if r.ended_transaction and broken is None:
            broken = r
        results.append(r)
        if on_result:
            on_result(r)

    def not_run(t: DataTest) -> TestResult:
        assert broken is not None
        return _result(t, "error", f"not run: {broken.test_id} could not run, which ends the transaction")

    types = _column_types(cur)
    columns = set(types)
    relations = {rel for rel, _ in columns}

    def count_sql_of(t: DataTest) -> str:
        """What a batch counts: the failing rows, found the cheapest way."""
        if t.test_id not in scopes and _screened(t, models, types):
            return compile_screened(t, models)
        return sql_of(t)

    batched: list[DataTest] = []
    one_by_one: list[DataTest] = []
    for t in tests:
        problem = (
            _missing_column(t, models, columns, relations) if t.test_type in _COLUMN_TESTS else None
        )
        if problem:
            done(_result(t, "error", problem))
        else:
            (batched if t.test_type in _BATCHED else one_by_one).append(t)
    for start in range(0, len(batched), BATCH):
        batch = batched[start : start + BATCH]
        for r in [not_run(t) for t in batch] if broken else _run_batch(
            cur, batch, models, sql_of, count_sql_of
        ):
            done(r)
    for t in one_by_one:
        if broken is not None:
            done(not_run(t))
            continue
        done(_run_per_group(cur, t, models, groups[t.test_id]) if t.test_id in groups
             else run_test(cur, t, models, sql_of(t)))
    return results


def _column_types(cur: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], str]:
    """(relation, column) → type of every column in the catalog, names in lower case."""
    return {
        (rel.lower(), col.lower()): data_type
        for rel, col, data_type in cur.execute(
            "SELECT schema_name || '.' || table_name, column_name, data_type FROM duckdb_columns()"
        ).fetchall()
    }


def _screened(
    test: DataTest, models: dict[str, Model], types: Mapping[tuple[str, str], str]
) -> bool:
    """Whether a batch counts ``test`` with ``compile_screened``: a unique test on text."""
    if test.test_type != "unique" or test.model not in models:
        return False
    key = (models[test.model].relation.lower(), str(test.column).lower())
    return types.get(key) in _SCREENED_TYPES


def _run_batch(
    cur: duckdb.DuckDBPyConnection,
    tests: list[DataTest],
    models: dict[str, Model],
    sql_of: Callable[[DataTest], str],
    count_sql_of: Callable[[DataTest], str],
) -> list[TestResult]:
    if len(tests) < 2:
        return [run_test(cur, t, models, sql_of(t)) for t in tests]
    started = time.perf_counter()
    counts = ", ".join(
        f"(SELECT count(*) FROM (\n{count_sql_of(t)}\n) AS failing)" for t in tests
    )
    try:
        row = cur.execute(f"SELECT {counts}").fetchone()
    except duckdb.InterruptException:
        raise
    except duckdb.Error as e:
        if is_damage(e):  # the file, not the tests: said as such (with the restore it offers)
            raise
        if refused(e):  # one of them does not bind (a type mismatch, say): find it, one by one
            return [run_test(cur, t, models, sql_of(t)) for t in tests]
        # out of memory, say: it ends the transaction for all of them
        reason = f"the test could not run (in a batch of {len(tests)}): {str(e).splitlines()[0]}"
        failed = [_result(t, "error", reason) for t in tests]
        failed[0].ended_transaction = True
        return failed
    assert row is not None
    share = (time.perf_counter() - started) / len(tests)
    results = []
    for test, failing in zip(tests, row, strict=True):
        if failing:
            results.append(run_test(cur, test, models, sql_of(test)))
        else:
            results.append(_result(test))
            results[-1].seconds = share
    return results


def run_test(
    cur: duckdb.DuckDBPyConnection,
    test: DataTest,
    models: dict[str, Model],
    sql: str | None = None,
) -> TestResult:
    """Run one test (``sql``: its SELECT of failing rows, by default ``compile_test``'s)."""
    result = _result(test)
    started = time.perf_counter()
    sql = sql or compile_test(test, models)
    try:
        row = cur.execute(f"SELECT count(*) FROM (\n{sql}\n) AS failing").fetchone()
        result.failing_rows = int(row[0]) if row else 0
        if result.failing_rows:
            rel = cur.execute(f"SELECT * FROM (\n{sql}\n) AS failing LIMIT {SAMPLE_ROWS}")
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
        missing = (
            models[test.model].relation if test.model in models else test.model or "a source"
        )
        result.message = f"{missing} has not been built yet (run the pipeline): {str(e).splitlines()[0]}"
    except duckdb.Error as e:
        if is_damage(e):
            raise
        result.status = "error"
        result.message = f"the test could not run: {_reason(e)}"
        result.ended_transaction = not refused(e)
    result.seconds = time.perf_counter() - started
    return result


def _reason(e: duckdb.Error) -> str:
    """DuckDB's first line, and the names it suggests when it has some ("Candidate bindings")."""
    lines = str(e).strip().splitlines() or [type(e).__name__]
    hint = next((line for line in lines[1:] if line.startswith("Candidate bindings:")), None)
    return f"{lines[0]} ({hint})" if hint else lines[0]


def refused(e: duckdb.Error) -> bool:
    """DuckDB refused the statement before running it (parser, binder or catalog error): the
    workspace's transaction policy leaves the transaction usable. Other errors end it."""
    return isinstance(e, (duckdb.ParserException, duckdb.BinderException, duckdb.CatalogException))


def sample_json(result: TestResult) -> str:
    return json.dumps(result.sample, default=str)

