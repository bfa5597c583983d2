"""Analysts' queries: one read-only SELECT over the workspace's tables, checked by the one rule
``shoplytics query`` uses, run into a result kept in memory, paged, charted and exported.

The result is computed once into DuckDB's in-memory database (which every cursor of the
workspace sees and nothing writes to the workspace file), so paging, sorting and exporting it
never run the query again, and the time shown is the query's own.
"""

from __future__ import annotations

import contextlib
import difflib
import itertools
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from shoplytics_desktop.core.errors import Cancelled, ExportError, QueryError
from shoplytics_desktop.core.export import FORMATS, ExportedFile, select_columns
from shoplytics_desktop.core.progress import NullReporter, Reporter
from shoplytics_desktop.core.sqlutil import quote_ident, quote_literal
from shoplytics_desktop.core.workspace import CATALOG, Workspace

#: Where a query looks for a bare table name, in this order.
QUERY_SEARCH_PATH = ("marts", "intermediate", "staging", "raw", "main")
_RESULT_IDS = itertools.count(1)


def check_query(cur: duckdb.DuckDBPyConnection, sql: str) -> None:
    """One read-only SELECT over the workspace's own tables and views (the same check as a
    model's, any relation of the workspace allowed); raises QueryError saying why not."""
    from shoplytics_desktop.core.models.sqlsafety import UnsafeSQL, check_select, position

    known = {
        (s.lower(), n.lower())
        for s, n in cur.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = ? "
            "UNION ALL SELECT schema_name, view_name FROM duckdb_views() "
            "WHERE database_name = ? AND NOT internal",
            [CATALOG, CATALOG],
        ).fetchall()
    }
    try:
        for rel in check_select(sql):
            schemas = [rel.schema.lower()] if rel.schema else list(QUERY_SEARCH_PATH)
            if rel.catalog.lower() not in ("", CATALOG) or not any(
                (s, rel.name.lower()) in known for s in schemas
            ):
                names = sorted(f"{s}.{n}" for s, n in known) + sorted(n for _, n in known)
                close = difflib.get_close_matches(rel.display, names, n=1, cutoff=0.5)
                raise UnsafeSQL(
                    f"it reads '{rel.display}', which is no table or view of the workspace",
                    rel.offset,
                    f"Did you mean '{close[0]}'?" if close else "`shoplytics models` lists them.",
                )
    except UnsafeSQL as e:
        at = position(sql, e.offset)
        where = f" (line {at[0]}, column {at[1]})" if at else ""
        raise QueryError(
            f"The query was refused{where}: {e.reason}.",
            e.hint or "`query` runs one read-only SELECT over the workspace's tables.",
        ) from e


@contextlib.contextmanager
def query_search_path(cur: duckdb.DuckDBPyConnection) -> Any:
    """Bare names resolve as ``shoplytics query`` resolves them, for the time of one query (the
    cursor is shared by other work on this thread: its own path is put back)."""
    row = cur.execute("SELECT current_setting('search_path')").fetchone()
    old = str(row[0]) if row and row[0] is not None else ""
    cur.execute(f"SET search_path = {quote_literal(','.join(QUERY_SEARCH_PATH))}")
    try:
        yield cur
    finally:
        with contextlib.suppress(duckdb.Error):
            if old:
                cur.execute(f"SET search_path = {quote_literal(old)}")
            else:
                cur.execute("RESET search_path")


@dataclass(frozen=True)
class QueryResult:
    sql: str
    #: The in-memory table holding the rows (``memory.main."…"``).
    relation: str
    columns: tuple[tuple[str, str], ...]
    rows: int
    seconds: float

    @property
    def names(self) -> list[str]:
        return [c for c, _ in self.columns]


def run_query(ws: Workspace, sql: str, reporter: Reporter | None = None) -> QueryResult:
    """Check ``sql`` and compute its rows into memory. QueryError: refused or failed (one line);
    Cancelled: interrupted."""
    reporter = reporter or NullReporter()
    cur = ws.cursor()
    target = f"memory.main.{quote_ident(f'query_{next(_RESULT_IDS)}')}"
    with query_search_path(cur):
        check_query(cur, sql)
        reporter.check_cancelled()
        started = time.perf_counter()
        try:
            # The checked text stays as it is; the new lines keep a trailing comment closed.
            cur.execute(f"CREATE TABLE {target} AS\n{sql}\n")
        except duckdb.InterruptException as e:
            drop_result_table(ws, target)
            raise Cancelled("Query cancelled.") from e
        except duckdb.Error as e:
            drop_result_table(ws, target)
            raise QueryError(
                f"The query failed: {str(e).strip().splitlines()[0]}",
                "Only queries that read the workspace's tables are run.",
            ) from e
        seconds = time.perf_counter() - started
    columns = tuple(
        (str(r[0]), str(r[1])) for r in cur.execute(f"DESCRIBE {target}").fetchall()
    )
    row = cur.execute(f"SELECT count(*) FROM {target}").fetchone()
    return QueryResult(sql, target, columns, int(row[0]) if row else 0, seconds)


def query_columns(ws: Workspace, sql: str) -> list[tuple[str, str]]:
    """The names and types of the columns ``sql`` returns, once it passes the check (DuckDB binds
    the query; it does not run it)."""
    cur = ws.cursor()
    with query_search_path(cur):
        check_query(cur, sql)
        try:
            rows = cur.execute(f"DESCRIBE\n{sql}\n").fetchall()
        except duckdb.Error as e:
            raise QueryError(f"The query failed: {str(e).strip().splitlines()[0]}") from e
    return [(str(r[0]), str(r[1])) for r in rows]


def drop_result_table(ws: Workspace, relation: str) -> None:
    with contextlib.suppress(duckdb.Error):  # the workspace may be closed already
        ws.cursor().execute(f"DROP TABLE IF EXISTS {relation}")


def drop_result(ws: Workspace, result: QueryResult) -> None:
    drop_result_table(ws, result.relation)


def export_result(
    ws: Workspace, result: QueryResult, path: Path, fmt: str, sanitize_csv: bool = True
) -> ExportedFile:
    """Write the result's rows to ``path`` (written beside it first, then renamed: a failure
    leaves no file)."""
    if fmt not in FORMATS:
        raise ExportError(f"Unknown export format '{fmt}'.", f"Choose one of: {', '.join(FORMATS)}.")
    path = Path(path)
    folder = path.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        raise ExportError(f"Cannot write to the folder {folder}.", "Choose a folder you can write to.")
    if path.is_dir():
        raise ExportError(f"{path} is a folder; no file was written.", "Choose a file name.")
    tmp = path.with_name(f".{path.name}.partial")
    options = "FORMAT csv, HEADER true" if fmt == "csv" else "FORMAT parquet, COMPRESSION zstd"
    query = select_columns(list(result.columns), result.relation, sanitize_csv and fmt == "csv")
    try:
        ws.cursor().execute(f"COPY ({query}) TO {quote_literal(str(tmp))} ({options})")
        os.replace(tmp, path)
    except duckdb.InterruptException as e:
        tmp.unlink(missing_ok=True)
        raise Cancelled("Export cancelled; no file was written.") from e
    except (duckdb.Error, OSError) as e:
        tmp.unlink(missing_ok=True)
        raise ExportError(
            f"Exporting the query result to {path} failed: {str(e).splitlines()[0]}",
            "Check the disk has room and the folder is writable; no file was written.",
        ) from e
    return ExportedFile("query", path, result.rows)


@dataclass(frozen=True)
class ChartData:
    x: list[Any]
    y: list[float | None]
    #: Rows left out (the chart shows the first ``limit``).
    truncated: int


def chart_data(ws: Workspace, result: QueryResult, x: str, y: str, limit: int = 5000) -> ChartData:
    """The first ``limit`` (x, y) pairs in the result's order; y as a number (NULL if not one)."""
    names = result.names
    if x not in names or y not in names:
        raise QueryError(f"The result has no column '{x if x not in names else y}'.")
    rows = ws.cursor().execute(
        f"SELECT {quote_ident(x)}, TRY_CAST({quote_ident(y)} AS DOUBLE) FROM {result.relation} "
        f"LIMIT {int(limit)}"
    ).fetchall()
    return ChartData([r[0] for r in rows], [r[1] for r in rows], max(result.rows - len(rows), 0))


@dataclass
class QueryStream:
    """A checked read-only query's result, read as it comes (the command line's ``query``)."""

    names: list[str]
    _rel: duckdb.DuckDBPyConnection
    _sql: str

    def fetch(self, n: int) -> list[tuple[Any, ...]]:
        """Up to ``n`` more rows ([] when none are left)."""
        try:
            return [tuple(r) for r in self._rel.fetchmany(n)]
        except duckdb.Error as e:
            raise _failed(e) from e

    def batches(self, limit: int | None, size: int = 10_000) -> Iterator[list[tuple[Any, ...]]]:
        """The rows a batch at a time, ``limit`` of them at most (None: all)."""
        left = limit
        while left is None or left > 0:
            batch = self.fetch(size if left is None else min(size, left))
            if not batch:
                return
            if left is not None:
                left -= len(batch)
            yield batch


def _failed(e: duckdb.Error) -> QueryError:
    """DuckDB's reason, with a hint that fits it: a query that tried to write is told that only
    reading is allowed, any other (a typo, a cast, an overflow) to fix the query."""
    first = str(e).strip().splitlines()[0]
    writes = isinstance(e, duckdb.PermissionException) or "read-only" in first.lower() \
        or "read only" in first.lower()
    return QueryError(
        f"The query failed: {first}",
        "The workspace is opened read-only; only queries that read are allowed." if writes
        else "Fix the query and run it again.",
    )


def stream_query(ws: Workspace, sql: str) -> QueryStream:
    """Check ``sql`` by the one rule and start it on this thread's cursor, which from then on
    reaches no file but the workspace (the process's DuckDB refuses external access)."""
    cur = ws.cursor()
    cur.execute(f"SET search_path = '{','.join(QUERY_SEARCH_PATH)}'")
    check_query(cur, sql)
    cur.execute("SET enable_external_access = false")
    try:
        rel = cur.execute(sql)
    except duckdb.Error as e:
        raise _failed(e) from e
    return QueryStream([d[0] for d in rel.description or []], rel, sql)
