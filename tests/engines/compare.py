"""Compare the marts an engine published (pulled into the workspace) with DuckDB's own run."""

from __future__ import annotations

from shoplytics_desktop.core.sqlutil import quote_ident
from shoplytics_desktop.core.workspace import Workspace

KEPT = "duckdb_marts"


def mart_names(ws: Workspace) -> list[str]:
    rows = ws.cursor().execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'marts' ORDER BY 1"
    ).fetchall()
    return [r[0] for r in rows]


def keep_duckdb_marts(ws: Workspace) -> list[str]:
    """Copy the marts of a DuckDB run aside, to compare an engine's with."""
    cur = ws.cursor()
    cur.execute(f"CREATE SCHEMA IF NOT EXISTS {KEPT}")
    names = mart_names(ws)
    for name in names:
        cur.execute(f"CREATE OR REPLACE TABLE {KEPT}.{quote_ident(name)} AS "
                    f"SELECT * FROM marts.{quote_ident(name)}")
    return names


def differences(ws: Workspace, names: list[str]) -> dict[str, str]:
    """Per mart that differs: why (types, or rows only one side has). Exact: no tolerance."""
    cur = ws.cursor()
    out: dict[str, str] = {}
    for name in names:
        q = quote_ident(name)
        ours = cur.execute(f"DESCRIBE {KEPT}.{q}").fetchall()
        theirs = cur.execute(f"DESCRIBE marts.{q}").fetchall()
        if [r[:2] for r in ours] != [r[:2] for r in theirs]:
            out[name] = f"columns differ: {[r[:2] for r in ours]} vs {[r[:2] for r in theirs]}"
            continue
        only_duck = cur.execute(
            f"SELECT count(*) FROM (SELECT * FROM {KEPT}.{q} EXCEPT ALL SELECT * FROM marts.{q})"
        ).fetchone()
        only_engine = cur.execute(
            f"SELECT count(*) FROM (SELECT * FROM marts.{q} EXCEPT ALL SELECT * FROM {KEPT}.{q})"
        ).fetchone()
        assert only_duck is not None and only_engine is not None
        if only_duck[0] or only_engine[0]:
            sample = cur.execute(
                f"(SELECT 'duckdb' AS side, * FROM (SELECT * FROM {KEPT}.{q} EXCEPT ALL "
                f"SELECT * FROM marts.{q}) LIMIT 2) UNION ALL (SELECT 'engine', * FROM "
                f"(SELECT * FROM marts.{q} EXCEPT ALL SELECT * FROM {KEPT}.{q}) LIMIT 2)"
            ).fetchall()
            out[name] = (f"{only_duck[0]} row(s) only in DuckDB's, {only_engine[0]} only in the "
                         f"engine's; e.g. {sample}")
    return out


def assert_imported_marts_equal(ws: Workspace, url: str) -> None:
    """Imported exports (a store's CSV with ` UTC` times and 19-digit ids, GA4's nested NDJSON)
    give the same marts on the engine at ``url`` as on DuckDB."""
    from shoplytics_desktop.core.engines import parse_url
    from shoplytics_desktop.core.engines.run import run_on_engine

    names = mart_names(ws)
    assert len(names) == 16
    result = run_on_engine(ws, parse_url(url))
    assert result.status in ("success", "warn"), result.message
    assert result.published
    assert differences(ws, names) == {}
