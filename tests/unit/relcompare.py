"""Helpers of the tests that compare a workspace's relations row for row (incremental runs
against full rebuilds)."""

from __future__ import annotations

import shutil
from pathlib import Path

from shoplytics_desktop.core.models.runner import RunResult, run_project
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


def tables(ws: Workspace) -> list[str]:
    """The workspace's tables in staging, intermediate and marts (``schema.table``)."""
    return [f"{s}.{t}" for s, t in ws.cursor().execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE schema_name IN "
        "('staging', 'intermediate', 'marts') AND NOT temporary ORDER BY 1, 2").fetchall()]


def differences(inc: Workspace, full: Workspace, scratch: Path) -> dict[str, object]:
    """Relations whose rows differ between the two workspaces, EXCEPT ALL both ways, doubles
    compared exactly (the full one's rows go through Parquet files in ``scratch``: two
    workspaces are two databases)."""
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    mine, theirs = tables(inc), tables(full)
    differing: dict[str, object] = {}
    if mine != theirs:
        differing["tables"] = sorted(set(mine) ^ set(theirs))
    for rel in theirs:
        if rel not in mine:
            continue
        file = scratch / f"{rel}.parquet"
        full.cursor().execute(f"COPY (FROM {rel}) TO '{file}' (FORMAT parquet)")
        a, b = rel, f"read_parquet('{file}')"
        extra = one(inc, f"SELECT count(*) FROM (FROM {a} EXCEPT ALL FROM {b})")
        missing = one(inc, f"SELECT count(*) FROM (FROM {b} EXCEPT ALL FROM {a})")
        if extra or missing:
            differing[rel] = (extra, missing)
    return differing


def assert_equals_full_rebuild(ws: Workspace, result: RunResult) -> None:
    """Every relation the run built holds exactly the rows a full rebuild of the same workspace
    then gives (EXCEPT ALL both ways, in one database: the run's rows are copied aside)."""
    assert result.published, result.message
    cur = ws.cursor()
    relations = [f"{m.layer}.{m.name}" for m in result.models if m.materialized != "view"]
    cur.execute("CREATE SCHEMA IF NOT EXISTS inc_copy")
    for rel in relations:
        cur.execute(f"CREATE OR REPLACE TABLE inc_copy.{rel.split('.')[1]} AS FROM {rel}")
    full = run_project(ws, full_refresh=True)
    assert full.published, full.message
    assert all(m.note.startswith("rebuilt in full") for m in full.models if m.note)
    differing = {}
    for rel in relations:
        mine, theirs = f"inc_copy.{rel.split('.')[1]}", rel
        a = one(ws, f"SELECT count(*) FROM (FROM {mine} EXCEPT ALL FROM {theirs})")
        b = one(ws, f"SELECT count(*) FROM (FROM {theirs} EXCEPT ALL FROM {mine})")
        if a or b:
            differing[rel] = (a, b)
    cur.execute("DROP SCHEMA inc_copy CASCADE")
    assert differing == {}
