"""Run the model graph on an engine: push the raw tables that changed, build every model in a
build schema, run the data tests there, publish all or nothing, and pull the marts back into the
workspace's ``marts`` schema (one DuckDB transaction), so the dashboards read them as usual.
"""

from __future__ import annotations

import contextlib
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from shoplytics_desktop.core import history
from shoplytics_desktop.core.cancel import Outcome, classify
from shoplytics_desktop.core.engines.base import RAW_SCHEMA, Engine, EngineError, EngineURL
from shoplytics_desktop.core.engines.transpile import Context, TranspileError, transpile
from shoplytics_desktop.core.errors import Cancelled, ModelError
from shoplytics_desktop.core.models.datatests import (
    SAMPLE_ROWS,
    TestResult,
    _jsonable,
    _result,
    compile_test,
)
from shoplytics_desktop.core.models.incremental import forget_state
from shoplytics_desktop.core.models.project import DataTest, Project
from shoplytics_desktop.core.models.runner import (
    Listener,
    ModelResult,
    RunResult,
    _finish_run,
    _mark_rest,
    _record_run,
    _selected,
    _start_run,
    load_workspace_project,
)
from shoplytics_desktop.core.progress import NullReporter, Reporter
from shoplytics_desktop.core.sqlutil import quote_ident
from shoplytics_desktop.core.status import RunKind, RunStatus
from shoplytics_desktop.core.workspace import Workspace


def variables(ws: Workspace) -> dict[str, object]:
    """The DuckDB variables the runner sets, inlined into the SQL sent to an engine."""
    return {
        "session_timeout_minutes": int(ws.settings.session_timeout_minutes),
        "workspace_currency": ws.settings.currency,
        "time_zone": ws.settings.time_zone,
    }


def _sources(project: Project, models: Iterable[str] | None = None) -> list[str]:
    """The raw tables the models (every model by default) and their tests read."""
    wanted = set(project.models) if models is None else set(models)
    names = {s.lower() for m in project.models.values() if m.name in wanted for s in m.sources}
    for t in project.tests_to_run(wanted):
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


def _context(
    ws: Workspace, engine: Engine, project: Project, schema: str,
    built: Iterable[str] | None = None, published: str | None = None,
) -> Context:
    """Where the SQL's relations are on the engine: the models of ``built`` (every model by
    default) in ``schema``, the others in the ``published`` one."""
    built = set(project.models) if built is None else set(built)
    relations = {
        m.relation.lower(): f"{schema if m.name in built else published}.{m.name}"
        for m in project.models.values()
    }
    for source in _sources(project):
        relations[source] = f"{RAW_SCHEMA}.{source.split('.', 1)[1]}"
    columns = {
        f"raw.{t}": [r[0] for r in ws.cursor().execute(f"DESCRIBE raw.{quote_ident(t)}").fetchall()]
        for t in (s.split(".", 1)[1] for s in _sources(project))
    }
    for name in set(project.models) - built:  # read from the published build, as it is
        with contextlib.suppress(Exception):
            columns[project.models[name].relation.lower()] = engine.columns(f"{published}.{name}")
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
    reporter: Reporter, listener: Listener | None = None,
) -> None:
    tests = project.tests_to_run(names)
    for i, test in enumerate(tests):
        reporter.check_cancelled()
        reporter.update(i, len(tests), f"testing {test.test_id}")
        result.tests.append(_test_on_engine(engine, test, project, ctx))
        if listener:
            listener(result.tests[-1])
    reporter.check_cancelled()  # a cancel during the last test made it an error


def _test_summary(result: RunResult) -> tuple[int, int]:
    errors = sum(t.blocking for t in result.tests)
    warns = sum(1 for t in result.tests if t.status != "pass" and not t.blocking)
    return errors, warns


@contextlib.contextmanager
def cancel_on_server(engine: Engine, reporter: Reporter) -> Iterator[None]:
    """While the block runs, a cancel asked of ``reporter`` (from any thread) also stops the
    statement running on the engine: checking between statements alone would wait for a
    model that takes minutes."""
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.1):
            if reporter.cancel_requested:
                with contextlib.suppress(Exception):  # a connection already gone
                    engine.cancel()
                return

    watcher = threading.Thread(target=watch, name="engine-cancel", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()


def _selection(url: EngineURL, select: Iterable[str] | None) -> str:
    """What the run history shows as the run's selection."""
    return f"--on {url.redacted()}" + (" --select " + " ".join(select) if select else "")


@dataclass
class _Run:
    """One run on an engine: what it builds, where, and how it is going."""

    ws: Workspace
    url: EngineURL
    engine: Engine
    project: Project
    names: list[str]  # the selected models, in build order
    selected: bool  # a --select run: the other models stay as published
    result: RunResult
    reporter: Reporter
    listener: Listener | None
    started: float = field(default_factory=time.perf_counter)
    build: str | None = None
    #: Seconds per step (push, build, test, publish, pull), for the caller's figures.
    timings: dict[str, float] = field(default_factory=dict)

    @contextlib.contextmanager
    def timed(self, step: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.timings[step] = self.timings.get(step, 0.0) + time.perf_counter() - t0

    def tell(self, item: ModelResult | TestResult) -> None:
        if self.listener:
            self.listener(item)

    @property
    def kept(self) -> list[str]:
        """The models a --select run leaves as published (carried into the new build)."""
        return [n for n in self.project.order() if n not in self.names]


def run_on_engine(
    ws: Workspace,
    url: EngineURL,
    password: str | None = None,
    pull: bool = True,
    reporter: Reporter | None = None,
    project: Project | None = None,
    engine: Engine | None = None,
    select: Iterable[str] | None = None,
    listener: Listener | None = None,
    timings: dict[str, float] | None = None,
) -> RunResult:
    """Build the selected models (every model by default) on the engine and test them there;
    publish all or nothing; then (unless ``pull`` is off) replace the workspace's marts among
    them with the engine's, in one transaction. A cancel stops the statement on the server.
    ``timings``, if given, gets the seconds of each step (push, build, test, publish, pull)."""
    from shoplytics_desktop.core.engines import open_engine

    project = project or load_workspace_project(ws)
    select = list(select) if select else None
    names = _selected(project, select)
    own = engine is None
    engine = engine or open_engine(url, password)
    try:
        run = _Run(
            ws, url, engine, project, names, bool(select) and len(names) < len(project.models),
            RunResult(run_id=_start_run(ws, RunKind.RUN, _selection(url, select)), kind=RunKind.RUN),
            reporter or NullReporter(), listener,
        )
        run.result.models = [ModelResult(n, project.models[n].layer, "table") for n in names]
        try:
            with cancel_on_server(engine, run.reporter):
                _build_test_publish(run)
                _pull_or_record(run, pull)
        except BaseException as e:
            _failed(run, e)
        finally:
            if run.build is not None:
                engine.abandon(run.build)
            if timings is not None:
                timings.update(run.timings)
    finally:
        if own:
            engine.close()
    run.result.seconds = time.perf_counter() - run.started
    return run.result


def _build_test_publish(run: _Run) -> None:
    """Push, build, test and publish: raises ModelError (nothing published) on a failure."""
    with run.timed("push"):
        push_sources(run.ws, run.engine, _sources(run.project, run.names), run.reporter)
    published = run.engine.published_schema()
    if run.selected and published is None:
        raise EngineError(
            f"Nothing is published on {run.url.redacted()} yet, so a selection has nothing to "
            "build on.",
            f"Run the whole graph there first: shoplytics run --on {run.url.redacted()}",
        )
    run.build = run.engine.begin_build()
    ctx = _context(run.ws, run.engine, run.project, run.build, run.names, published)
    with run.timed("build"):
        for i, mr in enumerate(run.result.models):
            run.reporter.check_cancelled()
            run.reporter.update(i, len(run.names), f"building {mr.name} on {run.url.redacted()}")
            _build_model(run, mr, ctx)
    with run.timed("test"):
        _run_tests(run.engine, run.project, run.names, ctx, run.result, run.reporter, run.tell)
    errors, warns = _test_summary(run.result)
    if errors:
        raise ModelError(
            f"{errors} error-severity test(s) failed on {run.url.redacted()}.",
            "Marts not published; the previous build is still shown.",
        )
    run.reporter.check_cancelled()
    with run.timed("publish"):
        run.engine.publish(run.build, keep=run.kept if run.selected else [])
    run.build = None
    run.result.status = RunStatus.WARN if warns else RunStatus.SUCCESS
    run.result.message = (
        f"Built {len(run.names)} model(s) on {run.url.redacted()}; {len(run.result.tests)} "
        f"test(s), {warns} warning(s)."
    )


def _build_model(run: _Run, mr: ModelResult, ctx: Context) -> None:
    model = run.project.models[mr.name]
    t0 = time.perf_counter()
    mr.status = "running"
    try:
        sql = transpile(model.sql, ctx, model.path, model.raw_sql)
        mr.rows = run.engine.create_table_as(f"{run.build}.{model.name}", sql)
    except TranspileError as e:
        mr.status, mr.error = "error", e.one_line()
        run.tell(mr)
        raise ModelError(e.message, e.hint + " Nothing was published.") from None
    except EngineError:
        raise
    except Exception as e:  # the engine's own error type
        run.reporter.check_cancelled()  # a cancel stops the statement with an error
        mr.status, mr.error = "error", _first_line(e)
        run.tell(mr)
        raise ModelError(
            f"Model {model.name} ({model.path.name}) failed on {run.url.redacted()}: {mr.error}",
            "Nothing was published; the previous build is still shown.",
        ) from e
    ctx.columns[model.relation.lower()] = run.engine.columns(f"{run.build}.{model.name}")
    mr.status, mr.seconds = "success", time.perf_counter() - t0
    run.tell(mr)
    run.reporter.log(f"{model.relation}: {mr.rows:,} rows on the engine, {mr.seconds:.2f}s")


def _pull_or_record(run: _Run, pull: bool) -> None:
    result = run.result
    if pull:
        with run.timed("pull"):
            pulled = pull_marts(run.ws, run.engine, run.project, result, run.names)
        result.message += f" Pulled {pulled} mart(s) into the workspace."
    else:
        result.message += " Published on the engine only (--no-pull)."
        result.seconds = time.perf_counter() - run.started
        _finish_run(run.ws, result)
    result.published = True


def _failed(run: _Run, e: BaseException) -> None:
    """Record why the run stopped; re-raise all but a failed model or test (the result says
    those). A cancel is recorded as cancelled and raised as Cancelled."""
    result = run.result
    if run.reporter.cancel_requested and not isinstance(e, ModelError | Cancelled):
        e = Cancelled()  # the server's "statement cancelled" error, after a cancel
    outcome = classify(e, run.reporter.token)
    cancelled = outcome is not Outcome.FAILED
    result.status = RunStatus.CANCELLED if cancelled else RunStatus.ERROR
    if run.build is None and result.message:  # published on the engine, not pulled
        result.message = (
            f"Published on {run.url.redacted()}, but "
            + ("the pull was cancelled" if cancelled else f"pulling failed: {_first_line(e)}")
            + ". The workspace still shows its previous marts; run again to pull them."
        )
    elif isinstance(e, ModelError | EngineError):
        result.message = e.one_line()
    elif cancelled:
        result.message = "Cancelled; nothing was published, the previous build is still shown."
    else:
        result.message = "The run failed; nothing was published."
    _mark_rest(result, "cancelled" if cancelled else "skipped")
    result.seconds = time.perf_counter() - run.started
    _finish_run(run.ws, result)
    if isinstance(e, ModelError):
        return
    if outcome is Outcome.INTERRUPTED:
        raise KeyboardInterrupt from e
    if cancelled:
        raise Cancelled(result.message) from e
    raise e


def pull_marts(
    ws: Workspace, engine: Engine, project: Project, result: RunResult,
    models: Iterable[str] | None = None,
) -> int:
    """Replace the workspace's marts among ``models`` (every model by default) with the
    engine's published ones, with DuckDB's own column types, in one transaction (with the
    run's history)."""
    schema = engine.published_schema()
    if schema is None:
        raise EngineError("Nothing is published on the engine yet.", "Run the pipeline there first.")
    types = duckdb_types(ws, project)
    wanted = set(project.models) if models is None else set(models)
    marts = [n for n in project.order() if project.models[n].layer == "marts" and n in wanted]
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
            # The pulled marts were not built by this workspace's incremental runs: the next
            # run here rebuilds its incremental models in full.
            forget_state(cur)
            # the zone every published day is in, when the whole graph was published
            zone = ws.settings.time_zone if wanted == set(project.models) else None
            history.record_published(cur, result.run_id, zone)
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
    select: Iterable[str] | None = None,
    listener: Listener | None = None,
) -> RunResult:
    """Run the data tests of the selected models (every model by default) against what is
    published on the engine."""
    from shoplytics_desktop.core.engines import open_engine

    reporter = reporter or NullReporter()
    started = time.perf_counter()
    project = project or load_workspace_project(ws)
    own = engine is None
    engine = engine or open_engine(url, password)
    select = list(select) if select else None
    result = RunResult(run_id=_start_run(ws, RunKind.TEST, _selection(url, select)), kind=RunKind.TEST)
    try:
        schema = engine.published_schema()
        if schema is None:
            raise EngineError(
                f"Nothing is published on {url.redacted()} yet.",
                f"Run the pipeline there first: shoplytics run --on {url.redacted()}",
            )
        ctx = _context(ws, engine, project, schema)
        with cancel_on_server(engine, reporter):
            _run_tests(
                engine, project, _selected(project, select), ctx, result, reporter, listener
            )
    except BaseException as e:
        outcome = classify(e, reporter.token)
        cancelled = outcome is not Outcome.FAILED
        result.status = RunStatus.CANCELLED if cancelled else RunStatus.ERROR
        result.message = "Cancelled." if cancelled else _first_line(e)
        result.seconds = time.perf_counter() - started
        _finish_run(ws, result)
        if outcome is Outcome.INTERRUPTED:
            raise KeyboardInterrupt from e
        if cancelled:
            raise Cancelled("Tests cancelled.") from e
        raise
    finally:
        if own:
            engine.close()
    errors, warns = _test_summary(result)
    result.status = (
        RunStatus.ERROR if errors else RunStatus.WARN if warns else RunStatus.SUCCESS
    )
    result.message = (
        f"{len(result.tests)} test(s) on {url.redacted()}: {errors} error(s), {warns} warning(s)."
    )
    result.seconds = time.perf_counter() - started
    _finish_run(ws, result)
    return result
