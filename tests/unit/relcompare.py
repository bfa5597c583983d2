"""Helpers of the tests that compare a workspace's relations row for row (incremental runs
against full rebuilds)."""

from __future__ import annotations

from shoplytics_desktop.core.workspace import Workspace


def one(ws: Workspace, sql: str) -> object:
    """The first column of the query's first row."""
    row = ws.cursor().execute(sql).fetchone()
    assert row is not None
    return row[0]
