"""Run the model graph on an engine: push the raw tables that changed, build every model in a
build schema, run the data tests there, publish all or nothing, and pull the marts back into the
workspace's ``marts`` schema (one DuckDB transaction), so the dashboards read them as usual.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from shoplytics_desktop.core import history
from shoplytics_desktop.core.engines.base import RAW_SCHEMA, Engine, EngineError, EngineURL
from shoplytics_desktop.core.engines.transpile import Context, TranspileError, transpile
from shoplytics_desktop.core.errors import ModelError
from shoplytics_desktop.core.models.datatests import (
    SAMPLE_ROWS,
    TestResult,
    _jsonable,
    _result,
    compile_test,
)
from shoplytics_desktop.core.models.project import DataTest, Project
from shoplytics_desktop.core.models.runner import (
    ModelResult,
    RunResult,
    _finish_run,
    _record_run,
    _start_run,
    load_workspace_project,
)
from shoplytics_desktop.core.progress import NullReporter, Reporter
from shoplytics_desktop.core.sqlutil import quote_ident
from shoplytics_desktop.core.workspace import Workspace


def variables(ws: Workspace) -> dict[str, object]:
    """The DuckDB variables the runner sets, inlined into the SQL sent to an engine."""
    return {
        "session_timeout_minutes": int(ws.settings.session_timeout_minutes),
        "workspace_currency": ws.settings.currency,
        "time_zone": ws.settings.time_zone,
    }


def _sources(project: Project) -> list[str]:
    names = {s.lower() for m in project.models.values() for s in m.sources}
    for t in project.tests:
        for rel in [t.model or "", str(t.args.get("to", ""))]:
            if rel.lower().startswith("raw."):
                names.add(rel.lower())
        if t.sql:
            names.update(
                f"raw.{w.split('.', 1)[1]}" for w in t.sql.lower().replace("\n", " ").split()
                if w.startswith("raw.") and w[4:].isidentifier()
            )
    return sorted(n for n in names if n.startswith("raw."))


@dataclass
class RawRows:
    """The rows of some batches of a workspace raw table, written as an engine wants them."""

    cur: duckdb.DuckDBPyConnection
    table: str
    columns: list[tuple[str, str]]
    batches: list[str] | None  # None: every row

    def _select(self) -> tuple[str, list[Any]]:
        cols = ", ".join(quote_ident(n) for n, _ in self.columns)
        sql = f"SELECT {cols} FROM raw.{quote_ident(self.table)}"
        if self.batches is None:
            return sql, []
        return sql + " WHERE _batch_id IN (SELECT unnest(?::VARCHAR[]))", [self.batches]

    def __call__(self, path: Path) -> int:
        """As CSV (PostgreSQL's COPY): NULL is an empty field, '' a quoted one."""
        if self.batches == []:
            return 0
        sql, params = self._select()
        row = self.cur.execute(
            f"COPY ({sql}) TO '{path}' (FORMAT csv, HEADER false)", params
        ).fetchone()
        return int(row[0]) if row else 0

    def arrow(self) -> Any:
        """As a pyarrow RecordBatchReader (JSON as text)."""
        sql, params = self._select()
        cols = ", ".join(
            f"CAST({quote_ident(n)} AS VARCHAR) AS {quote_ident(n)}" if t == "JSON" else quote_ident(n)
            for n, t in self.columns
        )
        sql = sql.replace(", ".join(quote_ident(n) for n, _ in self.columns), cols, 1)
        return self.cur.sql(sql, params=params).to_arrow_reader()


def push_sources(
    ws: Workspace, engine: Engine, sources: Iterable[str], reporter: Reporter
) -> dict[str, int]:
    """Bring the engine's copies of the raw tables up to date, by batch id: only batches added
    since the last push are sent, and removed ones dropped. Returns rows sent per table."""
    cur = ws.cursor()
    sent: dict[str, int] = {}
    for source in sources:
        table = source.split(".", 1)[1]
        columns = [(r[0], r[1]) for r in cur.execute(f"DESCRIBE raw.{quote_ident(table)}").fetchall()]
        local = {r[0] for r in cur.execute(f"SELECT DISTINCT _batch_id FROM raw.{quote_ident(table)}").fetchall()}
        state = engine.raw_state(table)
        replace = state is None or [c.lower() for c in state[0]] != [n.lower() for n, _ in columns]
        remote = set() if state is None else state[1]
        add, drop = sorted(local - remote), remote - local
        if drop and not getattr(engine, "can_delete", True):
            replace = True
        if replace:
            add, drop = sorted(local), set()
        if not add and not drop and not replace:
            reporter.log(f"raw.{table}: up to date on the engine")
            sent[table] = 0
            continue
        reporter.update(0, 1, f"sending raw.{table} ({len(add)} batch(es))")
        rows = engine.push_raw(
            table, columns, RawRows(cur, table, columns, None if replace else add), drop, replace
        )
        reporter.log(f"raw.{table}: {rows:,} rows sent, {len(drop)} batch(es) dropped")
        sent[table] = rows
    return sent


def duckdb_types(ws: Workspace, project: Project) -> dict[str, list[tuple[str, str]]]:
    """Each model's columns and their DuckDB types, as the DuckDB run would make them: the
    models bound as views over empty copies of the raw tables, in memory."""
    mem = duckdb.connect()
    try:
        for schema in ("raw", "staging", "intermediate", "marts"):
            mem.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        for (ddl,) in ws.cursor().execute(
            "SELECT sql FROM duckdb_tables() WHERE schema_name = 'raw'"
        ).fetchall():
            mem.execute(ddl)
        for name, value in variables(ws).items():
            literal = value if isinstance(value, int) else "'" + str(value).replace("'", "''") + "'"
            mem.execute(f"SET VARIABLE {name} = {literal}")
        out = {}
        for name in project.order():
            model = project.models[name]
            mem.execute(f"CREATE VIEW {model.relation} AS\n{model.sql}")
            out[name] = [(r[0], r[1]) for r in mem.execute(f"DESCRIBE {model.relation}").fetchall()]
        return out
    finally:
        mem.close()


def _context(ws: Workspace, engine: Engine, project: Project, schema: str) -> Context:
    relations = {m.relation.lower(): f"{schema}.{m.name}" for m in project.models.values()}
    for source in _sources(project):
        relations[source] = f"{RAW_SCHEMA}.{source.split('.', 1)[1]}"
    columns = {
        f"raw.{t}": [r[0] for r in ws.cursor().execute(f"DESCRIBE raw.{quote_ident(t)}").fetchall()]
        for t in (s.split(".", 1)[1] for s in _sources(project))
    }
    return Context(engine.dialect, variables(ws), relations, columns)


def _test_on_engine(
    engine: Engine, test: DataTest, project: Project, ctx: Context
) -> TestResult:
    result = _result(test)
    started = time.perf_counter()
    try:
        sql = transpile(compile_test(test, project.models), ctx, test.path or test.test_id)
        failing, names, sample = engine.count_and_sample(sql, SAMPLE_ROWS)
        result.failing_rows = failing
        if failing:
            result.sample = [
                {n: _jsonable(v) for n, v in zip(names, r, strict=True)} for r in sample
            ]
            result.status = "warn" if test.severity == "warn" else "fail"
            result.message = f"{failing:,} failing row(s)"
    except TranspileError as e:
        result.status, result.message = "error", e.one_line()
    except Exception as e:  # the engine's own error type
        if isinstance(e, EngineError | KeyboardInterrupt):
            raise
        result.status = "error"
        result.message = f"the test could not run on the engine: {_first_line(e)}"
    result.seconds = time.perf_counter() - started
    return result


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def _run_tests(
    engine: Engine, project: Project, names: list[str], ctx: Context, result: RunResult,
    reporter: Reporter,
) -> None:
    tests = project.tests_to_run(names)
    for i, test in enumerate(tests):
        reporter.check_cancelled()
        reporter.update(i, len(tests), f"testing {test.test_id}")
        result.tests.append(_test_on_engine(engine, test, project, ctx))


def run_on_engine(
    ws: Workspace,
    url: EngineURL,
    password: str | None = None,
    pull: bool = True,
    reporter: Reporter | None = None,
    project: Project | None = None,
    engine: Engine | None = None,
) -> RunResult:
    """Build every model on the engine and test it there; publish all or nothing; then (unless
    ``pull`` is off) replace the workspace's marts with the engine's, in one transaction."""
    from shoplytics_desktop.core.engines import open_engine

    reporter = reporter or NullReporter()
    started = time.perf_counter()
    project = project or load_workspace_project(ws)
    names = project.order()
    own = engine is None
    engine = engine or open_engine(url, password)
    result = RunResult(run_id=_start_run(ws, "run", f"--on {url.redacted()}"), kind="run")
    result.models = [
        ModelResult(n, project.models[n].layer, "table") for n in names
    ]
    build: str | None = None
    try:
        push_sources(ws, engine, _sources(project), reporter)
        build = engine.begin_build()
        ctx = _context(ws, engine, project, build)
        for mr in result.models:
            reporter.check_cancelled()
            reporter.update(0, len(names), f"building {mr.name} on {url.redacted()}")
            model = project.models[mr.name]
            t0 = time.perf_counter()
            mr.status = "running"
            try:
                sql = transpile(model.sql, ctx, model.path, model.raw_sql)
                mr.rows = engine.create_table_as(f"{build}.{model.name}", sql)
            except TranspileError as e:
                mr.status, mr.error = "error", e.one_line()
                raise ModelError(e.message, e.hint + " Nothing was published.") from None
            except EngineError:
                raise
            except Exception as e:  # the engine's own error type
                mr.status, mr.error = "error", _first_line(e)
                raise ModelError(
                    f"Model {model.name} ({model.path.name}) failed on {url.redacted()}: "
                    f"{mr.error}",
                    "Nothing was published; the previous build is still shown.",
                ) from e
            ctx.columns[model.relation.lower()] = engine.columns(f"{build}.{model.name}")
            mr.status, mr.seconds = "success", time.perf_counter() - t0
            reporter.log(f"{model.relation}: {mr.rows:,} rows on the engine, {mr.seconds:.2f}s")
        _run_tests(engine, project, names, ctx, result, reporter)
        errors = sum(t.blocking for t in result.tests)
        warns = sum(1 for t in result.tests if t.status != "pass" and not t.blocking)
        if errors:
            raise ModelError(
                f"{errors} error-severity test(s) failed on {url.redacted()}.",
                "Marts not published; the previous build is still shown.",
            )
        engine.publish(build)
        build = None
        result.status = "warn" if warns else "success"
        result.message = (
            f"Built {len(names)} model(s) on {url.redacted()}; {len(result.tests)} test(s), "
            f"{warns} warning(s)."
        )
        if pull:
            pulled = pull_marts(ws, engine, project, result)
            result.message += f" Pulled {pulled} mart(s) into the workspace."
        else:
            result.message += " Published on the engine only (--no-pull)."
            result.seconds = time.perf_counter() - started
            _finish_run(ws, result)
        result.published = True
    except ModelError as e:
        result.status, result.message = "error", e.one_line()
        for mr in result.models:
            if mr.status in ("pending", "running"):
                mr.status = "skipped"
        result.seconds = time.perf_counter() - started
        _finish_run(ws, result)
    except BaseException as e:
        result.status = "error"
        result.message = (
            e.one_line() if isinstance(e, EngineError) else "The run failed; nothing was published."
        )
        result.seconds = time.perf_counter() - started
        _finish_run(ws, result)
        raise
    finally:
        if build is not None:
            engine.abandon(build)
        if own:
            engine.close()
    result.seconds = time.perf_counter() - started
    return result


def pull_marts(ws: Workspace, engine: Engine, project: Project, result: RunResult) -> int:
    """Replace the workspace's marts with the engine's published ones, with DuckDB's own column
    types, in one transaction (with the run's history)."""
    schema = engine.published_schema()
    if schema is None:
        raise EngineError("Nothing is published on the engine yet.", "Run the pipeline there first.")
    types = duckdb_types(ws, project)
    marts = [n for n in project.order() if project.models[n].layer == "marts"]
    cur = ws.cursor()
    with tempfile.TemporaryDirectory(prefix="shoplytics-pull-") as tmp:
        for name in marts:
            engine.into_duckdb(f"{schema}.{name}", cur, f"_pull_{name}", Path(tmp))
        try:
            cur.execute("BEGIN TRANSACTION")
            kinds = dict(
                cur.execute(
                    "SELECT table_name, 'TABLE' FROM duckdb_tables() WHERE schema_name = 'marts' "
                    "UNION ALL SELECT view_name, 'VIEW' FROM duckdb_views() "
                    "WHERE schema_name = 'marts' AND NOT internal"
                ).fetchall()
            )
            for name in marts:
                if kinds.get(name) == "VIEW":
                    cur.execute(f"DROP VIEW marts.{quote_ident(name)}")
                cols = ", ".join(
                    f"CAST({quote_ident(c)} AS {t}) AS {quote_ident(c)}" for c, t in types[name]
                )
                cur.execute(
                    f"CREATE OR REPLACE TABLE marts.{quote_ident(name)} AS "
                    f"SELECT {cols} FROM _pull_{name}"
                )
            history.record_published(cur, result.run_id)
            _record_run(cur, result)
            cur.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(duckdb.Error):
                cur.execute("ROLLBACK")
            raise
        finally:
            for name in marts:
                with contextlib.suppress(duckdb.Error):
                    cur.execute(f"DROP TABLE IF EXISTS _pull_{name}")
    return len(marts)


def test_on_engine(
    ws: Workspace,
    url: EngineURL,
    password: str | None = None,
    reporter: Reporter | None = None,
    project: Project | None = None,
    engine: Engine | None = None,
) -> RunResult:
    """Run the data tests against what is published on the engine."""
    from shoplytics_desktop.core.engines import open_engine

    reporter = reporter or NullReporter()
    started = time.perf_counter()
    project = project or load_workspace_project(ws)
    own = engine is None
    engine = engine or open_engine(url, password)
    result = RunResult(run_id=_start_run(ws, "test", f"--on {url.redacted()}"), kind="test")
    try:
        schema = engine.published_schema()
        if schema is None:
            raise EngineError(
                f"Nothing is published on {url.redacted()} yet.",
                f"Run the pipeline there first: shoplytics run --on {url.redacted()}",
            )
        ctx = _context(ws, engine, project, schema)
        _run_tests(engine, project, project.order(), ctx, result, reporter)
    finally:
        if own:
            engine.close()
    errors = sum(t.blocking for t in result.tests)
    warns = sum(1 for t in result.tests if t.status != "pass" and not t.blocking)
    result.status = "error" if errors else "warn" if warns else "success"
    result.message = (
        f"{len(result.tests)} test(s) on {url.redacted()}: {errors} error(s), {warns} warning(s)."
    )
    result.seconds = time.perf_counter() - started
    _finish_run(ws, result)
    return result
