"""The run history: every model run and test run, with its models and its data tests.

Three tables in the workspace's ``_shoplytics`` schema hold it (``runs``, ``model_runs`` and
``test_results``, created by core/workspace.py), and two keys of ``_shoplytics.meta`` say which run
published the marts last. This module is the only code that reads or writes them; every
statement names its columns.

Writers take the cursor of the caller's transaction (a run records its outcome in the same
transaction that publishes the marts); readers take the workspace.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import duckdb

from shoplytics_desktop.core.models.datatests import TestResult, sample_json
from shoplytics_desktop.core.status import RunKind, RunStatus

if TYPE_CHECKING:
    from shoplytics_desktop.core.workspace import Workspace

#: The schema of the history tables (core/workspace.py's INTERNAL).
SCHEMA = "_shoplytics"
RUNS = f"{SCHEMA}.runs"
MODEL_RUNS = f"{SCHEMA}.model_runs"
TEST_RESULTS = f"{SCHEMA}.test_results"
META = f"{SCHEMA}.meta"

#: What a run that died with its process says once the workspace is opened again.
INTERRUPTED_MESSAGE = "The process stopped before the run finished; nothing was published."


_PUBLISHED = tuple(s.value for s in RunStatus if s.published)


class ModelRow(Protocol):
    """What the history keeps of one model of a run (the runner's ModelResult is one)."""

    @property
    def name(self) -> str: ...
    @property
    def layer(self) -> str: ...
    @property
    def materialized(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def rows(self) -> int | None: ...
    @property
    def seconds(self) -> float: ...
    @property
    def note(self) -> str: ...
    @property
    def error(self) -> str: ...


@dataclass(frozen=True)
class ModelRecord:
    """One model of a recorded run."""

    name: str
    layer: str
    materialized: str
    status: str
    rows: int | None
    seconds: float
    error: str = ""
    note: str = ""  # how the run built it (incremental models)

    @property
    def relation(self) -> str:
        return f"{self.layer}.{self.name}"


@dataclass(frozen=True)
class RunRecord:
    """One recorded run; ``models`` in build order (empty unless asked for)."""

    run_id: str
    kind: str
    status: str
    message: str
    selection: str
    models_dir: str
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    models: tuple[ModelRecord, ...] = field(default=())

    @property
    def seconds(self) -> float | None:
        """Wall time from start to finish; None while running or when never finished."""
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    @property
    def published(self) -> bool:
        return self.kind == RunKind.RUN and self.status in _PUBLISHED

    @property
    def started(self) -> str:
        """The start as the app shows it: 'YYYY-MM-DD HH:MM:SS' (UTC), '' if unknown."""
        return self.started_at.strftime("%Y-%m-%d %H:%M:%S") if self.started_at else ""


@dataclass(frozen=True)
class Publication:
    """Which run published the marts last, and when (UTC, as written)."""

    run_id: str
    at: str


def utc_now() -> dt.datetime:
    """The history's timestamps: naive UTC, from the clock (not now(), which inside a
    transaction is the transaction's start)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def new_run_id(now: dt.datetime | None = None) -> str:
    """'20261205T021500-1a2b3c': sortable by time, unique by its random tail."""
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%S")
    return f"{stamp}-{uuid.uuid4().hex[:6]}"


# -- writing ------------------------------------------------------------------------------------


def _insert(
    cur: duckdb.DuckDBPyConnection, table: str, columns: Sequence[str],
    rows: Sequence[Sequence[object]],
) -> None:
    """One INSERT naming its columns, for all rows (executemany runs a statement per row)."""
    if not rows:
        return
    one = "(" + ", ".join("?" * len(columns)) + ")"
    cur.execute(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES " + ", ".join([one] * len(rows)),
        [v for row in rows for v in row],
    )


def start_run(
    cur: duckdb.DuckDBPyConnection,
    kind: RunKind | str,
    selection: str = "",
    models_dir: str = "",
    run_id: str | None = None,
) -> str:
    """Record a run as running; its id. Errors are DuckDB's (the caller says what they mean)."""
    run_id = run_id or new_run_id()
    _insert(
        cur,
        RUNS,
        ("run_id", "kind", "selection", "models_dir", "started_at", "status"),
        [(run_id, str(kind), selection, models_dir, utc_now(), RunStatus.RUNNING.value)],
    )
    return run_id


def record_models(
    cur: duckdb.DuckDBPyConnection, run_id: str, models: Iterable[ModelRow]
) -> None:
    _insert(
        cur,
        MODEL_RUNS,
        ("run_id", "ordinal", "model", "layer", "materialized", "status", "rows", "seconds",
         "error", "note"),
        [
            (run_id, i, m.name, m.layer, m.materialized, str(m.status), m.rows, m.seconds,
             m.error or None, m.note or None)
            for i, m in enumerate(models)
        ],
    )


def record_tests(
    cur: duckdb.DuckDBPyConnection, run_id: str, tests: Iterable[TestResult]
) -> None:
    _insert(
        cur,
        TEST_RESULTS,
        ("run_id", "test_id", "test_type", "model", "column_name", "severity", "status",
         "failing_rows", "sample", "message", "seconds"),
        [
            (run_id, t.test_id, t.test_type, t.model, t.column, t.severity, str(t.status),
             t.failing_rows, sample_json(t), t.message or None, t.seconds)
            for t in tests
        ],
    )


def finish_run(
    cur: duckdb.DuckDBPyConnection,
    run_id: str,
    status: RunStatus | str,
    message: str,
    models: Iterable[ModelRow] = (),
    tests: Iterable[TestResult] = (),
) -> None:
    """Record a run's outcome, its models and its tests (in the caller's transaction)."""
    cur.execute(
        f"UPDATE {RUNS} SET finished_at = ?, status = ?, message = ? WHERE run_id = ?",
        [utc_now(), str(status), message, run_id],
    )
    record_models(cur, run_id, models)
    record_tests(cur, run_id, tests)


def record_published(
    cur: duckdb.DuckDBPyConnection, run_id: str, time_zone: str | None = None,
    settings: dict[str, object] | None = None,
) -> Publication:
    """Say that ``run_id`` published the marts now; ``time_zone``: the zone their days are in,
    ``settings``: every workspace setting the models read (both written by a full run only)."""
    published = Publication(run_id, utc_now().strftime("%Y-%m-%d %H:%M:%S"))
    values = [("last_published_run", run_id), ("last_published_at", published.at)]
    if time_zone is not None:
        values.append(("marts_time_zone", time_zone))
    if settings is not None:
        values.append(("marts_settings", json.dumps(settings, sort_keys=True)))
    cur.execute(
        f"INSERT OR REPLACE INTO {META} (key, value) VALUES "
        + ", ".join(["(?, ?)"] * len(values)),
        [v for pair in values for v in pair],
    )
    return published


def marts_settings(cur: duckdb.DuckDBPyConnection) -> dict[str, object]:
    """The settings the models read when a full run last published them, as far as known: a
    build from before they were recorded knows its time zone only, one never published none."""
    row = cur.execute(f"SELECT value FROM {META} WHERE key = 'marts_settings'").fetchone()
    if row is not None:
        with contextlib.suppress(ValueError):
            value = json.loads(str(row[0]))
            if isinstance(value, dict):
                return value
    zone = cur.execute(f"SELECT value FROM {META} WHERE key = 'marts_time_zone'").fetchone()
    return {"time_zone": str(zone[0])} if zone else {}


def mark_interrupted(cur: duckdb.DuckDBPyConnection) -> None:
    """Runs still marked running belong to a process that died (only one writer can hold the
    file): say so."""
    cur.execute(
        f"UPDATE {RUNS} SET status = ?, message = ? WHERE status = ?",
        [RunStatus.INTERRUPTED.value, INTERRUPTED_MESSAGE, RunStatus.RUNNING.value],
    )


def built_relations(cur: duckdb.DuckDBPyConnection) -> set[str]:
    """'layer.model' of every model some run built successfully."""
    rows = cur.execute(
        f"SELECT DISTINCT layer || '.' || model FROM {MODEL_RUNS} WHERE status = 'success'"
    ).fetchall()
    return {str(r[0]) for r in rows}


# -- reading ------------------------------------------------------------------------------------

_RUN_COLUMNS = (
    "run_id, kind, coalesce(status, ''), coalesce(message, ''), coalesce(selection, ''), "
    "coalesce(models_dir, ''), started_at, finished_at"
)


def _run(row: tuple[object, ...]) -> RunRecord:
    run_id, kind, status, message, selection, models_dir, started, finished = row
    return RunRecord(
        str(run_id), str(kind), str(status), str(message), str(selection), str(models_dir),
        started if isinstance(started, dt.datetime) else None,
        finished if isinstance(finished, dt.datetime) else None,
    )


def list_runs(
    ws: Workspace,
    kind: RunKind | str | None = None,
    published: bool = False,
    limit: int | None = None,
) -> list[RunRecord]:
    """Runs, latest first (of ``kind``; ``published``: those that published their build)."""
    where, params = [], []
    if kind:
        where.append("kind = ?")
        params.append(str(kind))
    if published:
        where.append("kind = 'run' AND status IN (" + ", ".join("?" * len(_PUBLISHED)) + ")")
        params.extend(_PUBLISHED)
    sql = (
        f"SELECT {_RUN_COLUMNS} FROM {RUNS}"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY started_at DESC NULLS LAST, run_id DESC"
        + (f" LIMIT {int(limit)}" if limit is not None else "")
    )
    return [_run(tuple(r)) for r in ws.cursor().execute(sql, params).fetchall()]


def model_results(ws: Workspace, run_id: str) -> list[ModelRecord]:
    """The models of a run, in build order."""
    cur = ws.cursor()
    # A workspace of schema version 3 or older opened read-only has no note column.
    has_note = cur.execute(
        "SELECT count(*) FROM duckdb_columns() WHERE schema_name = '_shoplytics' "
        "AND table_name = 'model_runs' AND column_name = 'note'"
    ).fetchone()
    note = "coalesce(note, '')" if has_note and has_note[0] else "''"
    rows = cur.execute(
        f"SELECT model, layer, materialized, status, rows, seconds, coalesce(error, ''), {note} "
        f"FROM {MODEL_RUNS} WHERE run_id = ? ORDER BY ordinal",
        [run_id],
    ).fetchall()
    return [
        ModelRecord(str(m), str(layer), str(mat), str(status),
                    None if rows_ is None else int(rows_), float(secs or 0), str(err), str(nt))
        for m, layer, mat, status, rows_, secs, err, nt in rows
    ]


def latest_run(
    ws: Workspace, kind: RunKind | str | None = None, published: bool = False
) -> RunRecord | None:
    """The latest run (of ``kind``; ``published``: the latest that published its build), with
    its models."""
    runs = list_runs(ws, kind, published, limit=1)
    if not runs:
        return None
    run = runs[0]
    return dataclasses.replace(run, models=tuple(model_results(ws, run.run_id)))


def test_results(ws: Workspace, run_id: str) -> list[TestResult]:
    """The data tests of a run, as they were recorded (a sample that does not parse is
    empty)."""
    rows = ws.cursor().execute(
        "SELECT test_id, test_type, model, column_name, severity, status, failing_rows, "
        f"sample::VARCHAR, coalesce(message, ''), seconds FROM {TEST_RESULTS} WHERE run_id = ?",
        [run_id],
    ).fetchall()
    results = []
    for test_id, ttype, model, column, severity, status, failing, sample, message, secs in rows:
        try:
            parsed = json.loads(sample) if sample else []
        except ValueError:
            parsed = []
        results.append(TestResult(test_id, ttype, model, column, severity, status,
                                   int(failing or 0), parsed, message, float(secs or 0)))
    return results


def last_published(ws: Workspace) -> Publication | None:
    """The run that published the marts last, or None if none has."""
    rows = dict(
        ws.cursor().execute(
            f"SELECT key, value FROM {META} "
            "WHERE key IN ('last_published_run', 'last_published_at')"
        ).fetchall()
    )
    if "last_published_at" not in rows:
        return None
    return Publication(str(rows.get("last_published_run") or ""), str(rows["last_published_at"]))


def transient_relations(ws: Workspace) -> set[str]:
    """'layer.model' of the views that the latest published run of each model built as a
    transient model (costly to compute: the Data page browses them from a snapshot)."""
    marks = ", ".join("?" * len(_PUBLISHED))
    try:
        rows = ws.cursor().execute(
            "SELECT layer || '.' || model FROM ("
            "  SELECT m.layer, m.model, m.materialized, row_number() OVER ("
            "    PARTITION BY m.layer, m.model ORDER BY r.started_at DESC) AS latest"
            f"  FROM {MODEL_RUNS} AS m JOIN {RUNS} AS r USING (run_id)"
            f"  WHERE r.kind = 'run' AND r.status IN ({marks}) AND m.status = 'success'"
            ") WHERE latest = 1 AND materialized = 'transient'",
            list(_PUBLISHED),
        ).fetchall()
    except duckdb.Error:  # a workspace from before the run history had these columns
        return set()
    return {str(r[0]) for r in rows}
