"""Helpers of the tests that compare a workspace's relations row for row (incremental runs
against full rebuilds)."""

from __future__ import annotations

from shoplytics_desktop.core.workspace import Workspace


def one(ws: Workspace, sql: str) -> object:
    """The first column of the query's first row."""
    row = ws.cursor().execute(sql).fetchone()
    assert row is not None
    return row[0]


def rounded_columns(ws: Workspace, relation: str) -> str:
    """The relation's columns as a select list, its floating columns rounded: sums of doubles
    may add up in another order in a partial build."""
    schema, name = relation.split(".")
    cols = ws.cursor().execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = ? "
        "AND table_name = ? ORDER BY column_index", [schema, name]).fetchall()
    return ", ".join(
        f'round("{c}", 6) AS "{c}"' if t in ("DOUBLE", "FLOAT") else f'"{c}"' for c, t in cols
    )
