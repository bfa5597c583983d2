"""Run the model graph atomically and test it.

A run builds every selected model in dependency order inside ONE transaction, then runs the data
tests inside the same transaction: an error-severity failure, a model error or a cancel rolls it all
back, so readers keep seeing the previously published marts. Run history is written afterwards in a
transaction of its own, so it survives a rollback.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import re
import time
from collections.abc import Callable, Iterable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

import duckdb

from shoplytics_desktop.core import history
from shoplytics_desktop.core.cancel import CancelToken, Outcome, classify
from shoplytics_desktop.core.errors import Cancelled, ModelError, WorkspaceError
from shoplytics_desktop.core.models.datatests import TestResult, compile_test, run_tests
from shoplytics_desktop.core.models.freshness import KEPT, UNCHANGED, Freshness, forget_tests
from shoplytics_desktop.core.models.incremental import IncrementalRun
from shoplytics_desktop.core.models.project import DataTest, Model, Project, load_project
from shoplytics_desktop.core.progress import NullReporter, Reporter
from shoplytics_desktop.core.status import ModelStatus, RunKind, RunStatus
from shoplytics_desktop.core.workspace import Workspace, restore_setting


@dataclass
class ModelResult:
    name: str
    layer: str
    materialized: str
    status: ModelStatus = "pending"
    rows: int | None = None
    seconds: float = 0.0
    error: str = ""
    note: str = ""  # incremental models: how this run built it


@dataclass
class RunResult:
    run_id: str
    kind: RunKind
    status: RunStatus = RunStatus.RUNNING
    models: list[ModelResult] = field(default_factory=list)
    tests: list[TestResult] = field(default_factory=list)
    message: str = ""
    seconds: float = 0.0
    published: bool = False

    @property
    def failed_tests(self) -> list[TestResult]:
        return [t for t in self.tests if t.status != "pass"]


Listener = Callable[[ModelResult | TestResult], None]


def source_relations(ws: Workspace) -> list[str]:
    rows = ws.cursor().execute(
        "SELECT schema_name || '.' || table_name FROM duckdb_tables() WHERE schema_name = 'raw' "
        "UNION ALL SELECT schema_name || '.' || view_name FROM duckdb_views() "
        "WHERE schema_name = 'raw' AND NOT internal"
    ).fetchall()
    return [r[0] for r in rows]


def load_workspace_project(ws: Workspace) -> Project:
    return load_project(ws.models_dir, known_sources=source_relations(ws))


def _selected(project: Project, select: Iterable[str] | None) -> list[str]:
    order = project.order()
    if not select:
        return order
    chosen = project.dag.select(list(select), project.resolve)
    return [n for n in order if n in chosen]


def _session_vars(cur: duckdb.DuckDBPyConnection, ws: Workspace) -> None:
    # The settings as variables again: a run must read the settings as they are now.
    ws.set_session_variables(cur)
    cur.execute("SET search_path = 'raw,staging,intermediate,marts,main'")


class _Catalog:
    """The kind of each relation in the model layers, read once per run and kept up to date."""

    def __init__(self, cur: duckdb.DuckDBPyConnection) -> None:
        rows = cur.execute(
            "SELECT schema_name || '.' || table_name, 'TABLE' FROM duckdb_tables() "
            "UNION ALL SELECT schema_name || '.' || view_name, 'VIEW' FROM duckdb_views() "
            "WHERE NOT internal"
        ).fetchall()
        self.kinds: dict[str, str] = {name: kind for name, kind in rows}

    def make_room(self, cur: duckdb.DuckDBPyConnection, model: Model, kind: str) -> None:
        """Drop the model's relation if it exists as the other kind (CREATE OR REPLACE keeps
        the kind)."""
        existing = self.kinds.get(model.relation)
        if existing is not None and existing != kind:
            cur.execute(f"DROP {existing} {model.relation}")
        self.kinds[model.relation] = kind


def _to_retire(cur: duckdb.DuckDBPyConnection, project: Project, catalog: _Catalog) -> list[str]:
    """What earlier runs built for models this project no longer has (say, a mart that was
    renamed): relations named in the run history only, never anything else in the schemas."""
    built = history.built_relations(cur)
    current = {m.relation for m in project.models.values()}
    return sorted(r for r in built if r not in current and r in catalog.kinds)


def retired_by(ws: Workspace, project: Project) -> list[str]:
    """The relations a run of every model of ``project`` would drop (see ``_to_retire``)."""
    cur = ws.cursor()
    return _to_retire(cur, project, _Catalog(cur))


def _retire(cur: duckdb.DuckDBPyConnection, project: Project, catalog: _Catalog) -> list[str]:
    """Drop what ``_to_retire`` names."""
    retired = _to_retire(cur, project, catalog)
    for relation in retired:
        cur.execute(f"DROP {catalog.kinds.pop(relation)} {relation}")
    return retired


def _build(
    cur: duckdb.DuckDBPyConnection,
    model: Model,
    catalog: _Catalog,
    inc: IncrementalRun | None = None,
    mr: ModelResult | None = None,
) -> int | None:
    if model.materialized == "incremental" and inc is not None:
        exists = catalog.kinds.get(model.relation) == "TABLE"
        catalog.make_room(cur, model, "TABLE")
        rows, how = inc.build(model, exists)
        if mr is not None:
            mr.note = how
        return rows
    if inc is not None:
        inc.forget_fingerprint(model.relation)
    if model.materialized == "view":
        catalog.make_room(cur, model, "VIEW")
        cur.execute(f"CREATE OR REPLACE VIEW {model.relation} AS\n{model.sql}")
        return None
    catalog.make_room(cur, model, "TABLE")
    create = f"CREATE OR REPLACE TABLE {model.relation} AS\n{model.sql}"
    if model.materialized == "transient":
        # Kept in the transaction's memory: DuckDB would otherwise compress and write a large
        # table to disk as it is built, only for _publish_views to drop it.
        with _optimistic_writes(cur, enabled=False):
            row = cur.execute(create).fetchone()
    else:
        row = cur.execute(create).fetchone()
    return int(row[0]) if row else 0  # CREATE TABLE AS answers with its row count


@contextlib.contextmanager
def _optimistic_writes(cur: duckdb.DuckDBPyConnection, enabled: bool) -> Iterator[None]:
    row = cur.execute("SELECT current_setting('enable_optimistic_write')").fetchone()
    before = bool(row[0]) if row else True
    cur.execute(f"SET enable_optimistic_write = {str(enabled).lower()}")
    try:
        yield
    finally:
        restore_setting(cur, f"SET enable_optimistic_write = {str(before).lower()}")


def _publish_views(cur: duckdb.DuckDBPyConnection, project: Project, names: Iterable[str],
                   left: AbstractSet[str] = frozenset()) -> None:
    """Turn the run's transient tables into the views they are published as (same SQL); the
    ones in ``left`` were left as they were, published already."""
    for name in names:
        model = project.models[name]
        if model.materialized == "transient" and name not in left:
            cur.execute(f"DROP TABLE {model.relation}")
            cur.execute(f"CREATE VIEW {model.relation} AS\n{model.sql}")


_LINE = re.compile(r"LINE (\d+): ?")


def _position(e: duckdb.Error, model: Model) -> str:
    """' at line L, column C' of the model file, from the ``LINE n:`` and caret lines DuckDB
    appends to binder and parser errors; '' when it gives none."""
    lines = str(e).splitlines()
    for shown, caret in itertools.pairwise(lines):
        m = _LINE.match(shown)
        if not m or "^" not in caret:
            continue
        # The statement run is "CREATE ... AS" on its own line, then the model's SQL.
        line = int(m.group(1)) - 1
        source = model.raw_sql.splitlines()
        if not 1 <= line <= len(source):
            return ""
        start = caret.index("^")
        token = shown[start : start + len(caret.strip())]
        at = max(start - m.end(), 0)
        # The shown line is the executed one (references qualified, long lines cut): take the
        # token's place in the file's own line nearest the caret, else the caret's place.
        text = source[line - 1]
        found = [i for i in range(len(text)) if token.strip() and text.startswith(token, i)]
        column = min(found, key=lambda i: abs(i - at)) + 1 if found else at + 1
        return f" at line {line}, column {column}"
    return ""


def _memory_hint(ws: Workspace, e: duckdb.Error) -> str:
    """What to change when DuckDB runs out of memory: the workspace's memory_limit setting."""
    if not isinstance(e, duckdb.OutOfMemoryException) and "Out of Memory" not in str(e):
        return ""
    limit = ws.settings.memory_limit or (
        f"empty: {ws.memory_limit}, a quarter of the machine's memory" if ws.memory_limit
        else "empty: DuckDB's default"
    )
    return (
        f"The model needs more memory than the workspace's memory_limit setting ({limit}) "
        "allows, even spilling to disk: raise it (`shoplytics settings memory_limit=4GB`, or "
        "File ▸ Workspace settings in the app), or set threads=1 to need less at once. "
    )


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def _start_run(ws: Workspace, kind: RunKind, selection: str) -> str:
    try:
        return history.start_run(ws.cursor(), kind, selection, str(ws.models_dir))
    except duckdb.InterruptException as e:
        raise Cancelled() from e
    except duckdb.Error as e:
        # The first write of a run: a full disk or a read-only file shows up here.
        raise WorkspaceError(
            f"Cannot write to the workspace {ws.folder}: {_first_line(e)}",
            "Free some disk space and run again; nothing was changed.",
        ) from e


def _utc_now() -> dt.datetime:
    """The history's timestamps: naive UTC, from the clock."""
    return history.utc_now()


def _finish_run(ws: Workspace, result: RunResult) -> None:
    """Record the outcome of a run that published nothing. If even that cannot be written (a
    full disk), the run's own outcome matters more: say so in its message; reopening the
    workspace marks the run interrupted."""
    try:
        with ws.transaction() as cur:
            _record_run(cur, result)
    except duckdb.Error as e:
        result.message += f" (The run history could not be saved: {_first_line(e)})"


def _record_run(cur: duckdb.DuckDBPyConnection, result: RunResult) -> None:
    """Write the run's outcome, its models and its tests (in the caller's transaction)."""
    history.finish_run(
        cur, result.run_id, result.status, result.message, result.models, result.tests
    )


def _run_tests(
    cur: duckdb.DuckDBPyConnection,
    project: Project,
    models: Iterable[str],
    result: RunResult,
    reporter: Reporter,
    listener: Listener | None,
    done: int,
    total: int,
    inc: IncrementalRun | None = None,
    fresh: Freshness | None = None,
) -> None:
    """Run the models' tests; with ``inc`` (a model run), the tests of incremental models that
    passed on the rows before check only the rows the run wrote; with ``fresh``, a test that
    passed before on relations that have not changed since is not run again."""
    tests = project.tests_to_run(models)
    reporter.check_cancelled()
    reporter.update(done, total, f"testing {len(tests)} test(s)")

    def one(tr: TestResult) -> None:
        result.tests.append(tr)
        if listener:
            listener(tr)
        reporter.update(done + len(result.tests), total, f"tested {tr.test_id}")
        reporter.check_cancelled()

    scopes, groups = None, None
    if fresh is not None:
        sql = {t.test_id: compile_test(t, project.models) for t in tests}
        kept = {t.test_id for t in tests if fresh.kept(t, sql[t.test_id])}
        for t in tests:
            if t.test_id in kept:
                one(TestResult(t.test_id, t.test_type, t.model, t.column, t.severity, "pass",
                               message=KEPT, description=t.description))
        tests = [t for t in tests if t.test_id not in kept]
        if inc is not None:
            def before(t: DataTest) -> bool:
                return fresh.passed_before(t, sql[t.test_id])

            scopes, groups = inc.test_scopes(tests, before), inc.test_groups(tests, before)
    run_tests(cur, tests, project.models, on_result=one, scopes=scopes, groups=groups)
    if inc is not None:
        inc.drop_test_groups()


def _test_summary(result: RunResult) -> tuple[int, int]:
    errors = sum(t.blocking for t in result.tests)
    warns = sum(1 for t in result.tests if t.status != "pass" and not t.blocking)
    return errors, warns


@dataclass
class _Run:
    """One run under way: what it builds and what it has recorded so far."""

    ws: Workspace
    project: Project
    names: list[str]
    select: list[str]
    result: RunResult
    reporter: Reporter
    listener: Listener | None
    started: float = field(default_factory=time.perf_counter)
    full_refresh: bool = False
    inc: IncrementalRun | None = None  # a model run's incremental side, once it builds
    fresh: Freshness | None = None  # what a model run can leave as it is, once it builds

    @property
    def total(self) -> int:
        """Progress steps: one per model, one per test."""
        return len(self.names) + len(self.project.tests_to_run(self.names))

    def notify(self, item: ModelResult | TestResult) -> None:
        if self.listener:
            self.listener(item)

    def clock(self) -> None:
        self.result.seconds = time.perf_counter() - self.started


def _plan(
    ws: Workspace,
    kind: RunKind,
    select: Iterable[str] | None,
    project: Project | None,
    reporter: Reporter | None,
    listener: Listener | None,
    full_refresh: bool = False,
) -> _Run:
    """The project, the selected models in build order, and the run's history row."""
    started = time.perf_counter()
    project = project or load_workspace_project(ws)
    chosen = list(select or [])
    names = _selected(project, chosen)
    result = RunResult(run_id=_start_run(ws, kind, " ".join(chosen)), kind=kind)
    if kind == RunKind.RUN:
        result.models = [
            ModelResult(n, project.models[n].layer, project.models[n].materialized) for n in names
        ]
    return _Run(ws, project, names, chosen, result, reporter or NullReporter(), listener, started,
                full_refresh)


@contextlib.contextmanager
def run_transaction(
    ws: Workspace, token: CancelToken, commit: bool = True
) -> Iterator[duckdb.DuckDBPyConnection]:
    """One transaction on this thread's cursor, bound to ``token`` (a cancel interrupts its
    statement), with the run's session variables set. It commits when the block ends normally
    (``commit``; otherwise it rolls back) and rolls back when the block raises."""
    cur = ws.cursor()
    with token.bind(cur):
        cur.execute("BEGIN TRANSACTION")
        try:
            _session_vars(cur, ws)
            yield cur
            if commit:
                _commit(cur)
                return
        except BaseException:
            _rollback(cur)
            raise
        _rollback(cur)


def _commit(cur: duckdb.DuckDBPyConnection) -> None:
    try:
        cur.execute("COMMIT")
    except duckdb.InterruptException:
        raise
    except duckdb.Error as e:
        raise ModelError(
            f"Could not publish the build: {_first_line(e)}",
            "Nothing was published; free some disk space and run again.",
        ) from e


def _retire_unused(cur: duckdb.DuckDBPyConnection, run: _Run, catalog: _Catalog) -> None:
    """A full run drops what earlier runs built for models the project no longer has."""
    if run.select:
        return
    for relation in _retire(cur, run.project, catalog):
        run.reporter.log(f"{relation}: removed, no longer a model of this project")


def _build_one(
    cur: duckdb.DuckDBPyConnection,
    run: _Run,
    mr: ModelResult,
    catalog: _Catalog,
    inc: IncrementalRun,
) -> None:
    """Build one model; a DuckDB error becomes the ModelError that ends the run."""
    model = run.project.models[mr.name]
    mr.status = "running"
    t0 = time.perf_counter()
    fresh = run.fresh
    if fresh is not None and fresh.unchanged(model, catalog.kinds.get(model.relation)):
        if model.materialized == "incremental":
            inc.left(model)
        if model.materialized in ("table", "incremental"):  # a count DuckDB keeps: no scan
            row = cur.execute(f"SELECT count(*) FROM {model.relation}").fetchone()
            mr.rows = int(row[0]) if row else 0
        mr.note = UNCHANGED
        mr.status, mr.seconds = "success", time.perf_counter() - t0
        run.notify(mr)
        return
    try:
        mr.rows = _build(cur, model, catalog, inc, mr)
        if fresh is not None:
            fresh.built(model, wrote=inc.wrote(model))
    except duckdb.InterruptException:
        raise
    except duckdb.Error as e:
        mr.status, mr.error = "error", _first_line(e)
        mr.seconds = time.perf_counter() - t0
        run.notify(mr)
        raise ModelError(
            f"Model {mr.name} ({model.path.name}) failed{_position(e, model)}: {mr.error}",
            _memory_hint(run.ws, e) + "Nothing was published; the previous build is still shown.",
        ) from e
    mr.status, mr.seconds = "success", time.perf_counter() - t0
    run.notify(mr)


def _build_models(cur: duckdb.DuckDBPyConnection, run: _Run) -> None:
    """Build the selected models in dependency order, layer after layer."""
    catalog = _Catalog(cur)
    _retire_unused(cur, run, catalog)
    inc = run.inc = IncrementalRun(cur, run.project, _model_settings(run.ws), run.full_refresh)
    run.fresh = Freshness(cur, run.project.models, inc.settings, run.result.run_id,
                          inc.token, enabled=not run.full_refresh)
    total = run.total
    for i, mr in enumerate(run.result.models):
        run.reporter.check_cancelled()
        run.reporter.update(i, total, f"building {mr.layer}.{mr.name}")
        _build_one(cur, run, mr, catalog, inc)
        run.reporter.log(
            f"{mr.layer}.{mr.name}: {mr.materialized}"
            + (f" ({mr.note})" if mr.note else "")
            + (f", {mr.rows:,} rows" if mr.rows is not None else "")
            + f", {mr.seconds:.2f}s"
        )
    inc.forget_removals()
    inc.finish()


def _check_settings_unchanged(cur: duckdb.DuckDBPyConnection, run: _Run) -> None:
    """A run of some models needs the others built with the same settings: after a settings
    change (the time zone, say) it would mix days of both, so only a full run may follow."""
    built = history.marts_settings(cur)
    now = _model_settings(run.ws)
    changed = [f"{k} {built[k]} → {now[k]}" for k in sorted(built) if k in now and built[k] != now[k]]
    if changed:
        raise ModelError(
            f"The workspace settings changed since the models were built ({'; '.join(changed)}): "
            "building only the selected ones would mix both.",
            "Nothing was built; run every model (`shoplytics run` without --select).",
        )


def _model_settings(ws: Workspace) -> dict[str, object]:
    """The workspace settings the models read (as session variables): an incremental model
    built under other values is rebuilt in full."""
    s = ws.settings
    return {"session_timeout_minutes": int(s.session_timeout_minutes),
            "currency": s.currency, "time_zone": s.time_zone}


def _decide_publish(run: _Run) -> None:
    """Raise the ModelError that keeps the build from being published, if a test calls for it;
    otherwise settle the run's status and message."""
    result = run.result
    broken = next((t for t in result.tests if t.ended_transaction), None)
    if broken is not None:
        reason = broken.message.removeprefix("the test could not run: ")
        raise ModelError(
            f"The data test {broken.test_id} could not run ({reason}), which ends the run's "
            "transaction.",
            "Nothing was published; the previous build is still shown. Fix the test and "
            "run again.",
        )
    errors, warns = _test_summary(result)
    if errors:
        broken_tests = sum(t.blocking and t.status == "error" for t in result.tests)
        unchanged = run.fresh.skipped if run.fresh is not None else frozenset()
        # The failing tests' models were left as they were, so what fails is what is published
        # (changed from outside the app).
        tested = {t.model for t in result.tests if t.blocking}
        stale = bool(tested) and None not in tested and tested <= set(unchanged)
        raise ModelError(
            f"{errors} error-severity test(s) failed"
            + (f" ({broken_tests} could not run)." if broken_tests else "."),
            "Marts not published; the previous build is still shown."
            + (" Nothing the tests read changed since it was built, so the published tables "
               "themselves fail them: `shoplytics run --full-refresh` (Pipeline ▸ Rebuild in "
               "full) builds them again." if stale else ""),
        )
    result.status = RunStatus.WARN if warns else RunStatus.SUCCESS
    left = len(run.fresh.skipped) if run.fresh is not None else 0
    kept = sum(t.message == KEPT for t in result.tests)
    result.message = (
        f"Built {len(run.names) - left} model(s)"
        + (f", {left} unchanged" if left else "")
        + f"; {len(result.tests)} test(s)"
        + (f" ({kept} passed before on the same data, not run again)" if kept else "")
        + f", {warns} warning(s)."
    )


def _publish(cur: duckdb.DuckDBPyConnection, run: _Run) -> None:
    """Turn transient tables into views, say which run published, and record the run, all in
    the run's transaction (committed by the caller)."""
    left = run.fresh.skipped if run.fresh is not None else frozenset()
    _publish_views(cur, run.project, run.names, left)
    if run.fresh is not None:  # what the models and tests were built and run from
        run.fresh.record(run.names, run.result.tests)
    # A full run also writes the zone the published days are in: the dashboards say which,
    # and whether a run is needed after the setting changed.
    history.record_published(
        cur, run.result.run_id, None if run.select else run.ws.settings.time_zone,
        None if run.select else _model_settings(run.ws),
    )
    run.clock()
    # The history commits with the marts: a process killed after this COMMIT must not
    # leave the published run marked 'running' (reopening would call it interrupted).
    _record_run(cur, run.result)


def _not_published(run: _Run, e: ModelError) -> None:
    """A model or a test kept the build from being published: the run is an error."""
    run.result.status = RunStatus.ERROR
    run.result.message = e.one_line()
    _mark_rest(run.result, "skipped")


def _stopped(run: _Run, e: BaseException, message: str) -> None:
    """The run ended by a cancel, Ctrl+C or an unexpected error: record it, and raise what the
    caller expects (Cancelled, KeyboardInterrupt for Ctrl+C, or the error itself)."""
    outcome = classify(e)
    result = run.result
    if outcome is Outcome.FAILED:
        result.status = RunStatus.ERROR
        result.message = "The run failed unexpectedly; nothing was published."
    else:
        result.status, result.message = RunStatus.CANCELLED, message
    _mark_rest(result, "skipped" if outcome is Outcome.FAILED else "cancelled")
    run.clock()
    _finish_run(run.ws, result)
    if outcome is Outcome.INTERRUPTED:  # Ctrl+C: the command line says so and exits 130
        raise KeyboardInterrupt from e
    if outcome is Outcome.CANCELLED:
        raise Cancelled(result.message if result.kind == RunKind.RUN
                        else "Tests cancelled.") from e
    raise e


_RUN_CANCELLED = "Cancelled; nothing was published, the previous build is still shown."


def run_project(
    ws: Workspace,
    select: Iterable[str] | None = None,
    reporter: Reporter | None = None,
    listener: Listener | None = None,
    project: Project | None = None,
    full_refresh: bool = False,
) -> RunResult:
    """Build the selected models and run their tests; publish all or nothing.
    ``full_refresh``: rebuild incremental models from all their input, as on a first run."""
    run = _plan(ws, RunKind.RUN, select, project, reporter, listener, full_refresh)
    result = run.result
    try:
        with run_transaction(ws, run.reporter.token) as cur:
            if run.select:
                _check_settings_unchanged(cur, run)
            _build_models(cur, run)
            _run_tests(cur, run.project, run.names, result, run.reporter, run.listener,
                       len(run.names), run.total, run.inc, run.fresh)
            _decide_publish(run)
            _publish(cur, run)
        result.published = True
        run.clock()  # publishing included
    except ModelError as e:
        _not_published(run, e)
    except BaseException as e:
        _stopped(run, e, _RUN_CANCELLED)
    if not result.published:
        run.clock()
        _finish_run(ws, result)
    run.reporter.update(run.total, run.total, result.message)
    return result


def run_data_tests(
    ws: Workspace,
    select: Iterable[str] | None = None,
    reporter: Reporter | None = None,
    listener: Listener | None = None,
    project: Project | None = None,
) -> RunResult:
    """Run the data tests alone, against what is published now."""
    run = _plan(ws, RunKind.TEST, select, project, reporter, listener)
    result, total = run.result, len(run.project.tests_to_run(run.names))
    try:
        # Transient models are published as views: compute the ones the tests read once, as
        # tables in a transaction that is rolled back (the tests write nothing), rather than
        # once per test.
        with run_transaction(ws, run.reporter.token, commit=False) as cur:
            catalog = _Catalog(cur)
            for name in _transient_read_by(run.project, run.project.tests_to_run(run.names)):
                model = run.project.models[name]
                if catalog.kinds.get(model.relation) == "VIEW":
                    run.reporter.update(0, total, f"computing {model.relation}")
                    _build(cur, model, catalog)
            _run_tests(cur, run.project, run.names, result, run.reporter, run.listener, 0, total)
    except BaseException as e:
        if classify(e) is Outcome.FAILED:
            raise
        _stopped(run, e, "Cancelled.")
    failed = [t.test_id for t in result.tests if t.status not in ("pass", "skipped")]
    if failed:
        with contextlib.suppress(duckdb.Error):
            forget_tests(ws.cursor(), failed)
    errors, warns = _test_summary(result)
    result.status = (
        RunStatus.ERROR if errors else RunStatus.WARN if warns else RunStatus.SUCCESS
    )
    result.message = f"{len(result.tests)} test(s): {errors} error(s), {warns} warning(s)."
    run.clock()
    run.reporter.update(total, total, result.message)
    _finish_run(ws, result)
    return result


def _transient_read_by(project: Project, tests: Iterable[DataTest]) -> list[str]:
    """The transient models these tests read, in build order."""
    read: set[str] = set()
    for t in tests:
        parent = project.resolve(str(t.args["to"])) if "to" in t.args else None
        read.update(filter(None, [t.model, parent, *t.args.get("depends_on", [])]))
    return [
        n for n in project.order() if n in read and project.models[n].materialized == "transient"
    ]


def _rollback(cur: duckdb.DuckDBPyConnection) -> None:
    with contextlib.suppress(duckdb.Error):
        cur.execute("ROLLBACK")


def _mark_rest(result: RunResult, status: ModelStatus) -> None:
    for mr in result.models:
        if mr.status in ("pending", "running"):
            mr.status = status
