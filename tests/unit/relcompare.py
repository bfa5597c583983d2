"""Helpers of the tests that compare a workspace's relations row for row (incremental runs
against full rebuilds)."""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

from shoplytics_desktop.core.models.runner import RunResult
from shoplytics_desktop.core.workspace import Workspace


def one(ws: Workspace, sql: str) -> object:
    """The first column of the query's first row."""
    row = ws.cursor().execute(sql).fetchone()
    assert row is not None
    return row[0]


def both(pair: tuple[Workspace, Workspace], sql: str) -> None:
    """The same statement in both workspaces of a comparison."""
    for ws in pair:
        ws.cursor().execute(sql)


def published(result: RunResult) -> RunResult:
    """The run's result, asserting that it published."""
    assert result.published, result.message
    return result


LAYERS = ("staging", "intermediate", "marts")


def tables(ws: Workspace, schemas: Sequence[str] = LAYERS) -> list[str]:
    """The workspace's tables in these schemas (``schema.table``)."""
    return [f"{s}.{t}" for s, t in ws.cursor().execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE list_contains(?, schema_name) "
        "AND NOT temporary ORDER BY 1, 2", [list(schemas)]).fetchall()]


def differences(
    inc: Workspace, full: Workspace, scratch: Path, schemas: Sequence[str] = LAYERS,
    exclude: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, object]:
    """Relations whose rows differ between the two workspaces, EXCEPT ALL both ways, doubles
    compared exactly (the full one's rows go through Parquet files in ``scratch``: two
    workspaces are two databases). ``exclude``: columns left out of a relation's rows
    (``schema.table`` → names)."""
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    mine, theirs = tables(inc, schemas), tables(full, schemas)
    differing: dict[str, object] = {}
    if mine != theirs:
        differing["tables"] = sorted(set(mine) ^ set(theirs))
    for rel in theirs:
        if rel not in mine:
            continue
        file = scratch / f"{rel}.parquet"
        skip = (exclude or {}).get(rel)
        cols = f"* EXCLUDE ({', '.join(skip)})" if skip else "*"
        full.cursor().execute(f"COPY (SELECT {cols} FROM {rel}) TO '{file}' (FORMAT parquet)")
        a, b = f"(SELECT {cols} FROM {rel})", f"read_parquet('{file}')"
        extra = one(inc, f"SELECT count(*) FROM (FROM {a} EXCEPT ALL FROM {b})")
        missing = one(inc, f"SELECT count(*) FROM (FROM {b} EXCEPT ALL FROM {a})")
        if extra or missing:
            differing[rel] = (extra, missing)
    return differing


def assert_equals_full_rebuild(ws: Workspace, result: RunResult) -> None:
    """Every relation the run built holds exactly the rows a full rebuild of the same workspace
    then gives (EXCEPT ALL both ways, in one database: the run's rows are copied aside; the
    benchmarks' check, ``full_rebuild_differences``)."""
    from benchmarks._util import full_rebuild_differences

    assert result.published, result.message
    check = full_rebuild_differences(ws, result)
    assert all(m.note.startswith("rebuilt in full") for m in check.full.models if m.note)
    assert check.differing == {}
