"""Export tables to CSV or Parquet with DuckDB's COPY.

Files are written under temporary names and renamed once every table is written, so a failure or
a cancel leaves no file behind: neither a partial one nor some of the tables. CSV cells that a
spreadsheet would run as a formula are neutralised by default.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

from shoplytics_desktop.core.errors import Cancelled, ExportError
from shoplytics_desktop.core.progress import NullReporter, Reporter
from shoplytics_desktop.core.sqlutil import quote_ident, quote_literal
from shoplytics_desktop.core.workspace import Workspace

FORMATS = ("csv", "parquet")


@dataclass(frozen=True)
class ExportedFile:
    table: str
    path: Path
    rows: int


def _columns(cur: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[tuple[str, str]]:
    return [
        (r[0], r[1])
        for r in cur.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            [schema, table],
        ).fetchall()
    ]


def _is_text(dtype: str) -> bool:
    upper = dtype.upper()
    return upper in ("VARCHAR", "BLOB") or upper.startswith("ENUM(")


def _select(schema: str, table: str, cols: list[tuple[str, str]], sanitize: bool) -> str:
    return select_columns(cols, f"{quote_ident(schema)}.{quote_ident(table)}", sanitize)


def select_columns(cols: list[tuple[str, str]], source: str, sanitize: bool) -> str:
    """A SELECT of ``cols`` from ``source`` (a quoted relation), text defused for spreadsheets
    when ``sanitize``."""
    parts = []
    for name, dtype in cols:
        q = quote_ident(name)
        if sanitize and _is_text(dtype):
            # A leading = + - @ (or tab/CR) makes spreadsheets evaluate the cell; a quote defuses it.
            # ENUM and BLOB cells are written as their text, so they are checked as text too.
            v = q if dtype.upper() == "VARCHAR" else f"CAST({q} AS VARCHAR)"
            parts.append(
                f"CASE WHEN regexp_matches({v}, '^[=+\\-@\\t\\r]') THEN '''' || {v} ELSE {v} END AS {q}"
            )
        else:
            parts.append(q)
    return f"SELECT {', '.join(parts)} FROM {source}"


_Target = tuple[str, str, list[tuple[str, str]], Path]  # schema, table, columns, file


def export_tables(
    ws: Workspace,
    tables: list[str],
    out_dir: Path,
    fmt: str,
    force: bool = False,
    sanitize_csv: bool = True,
    reporter: Reporter | None = None,
) -> list[ExportedFile]:
    """Export ``schema.table`` names to ``out_dir/<table>.<fmt>``."""
    reporter = reporter or NullReporter()
    if fmt not in FORMATS:
        raise ExportError(
            f"Unknown export format '{fmt}'.", f"Choose one of: {', '.join(FORMATS)}."
        )
    if not tables:
        raise ExportError(
            "There is nothing to export: the workspace has no marts yet.",
            "Run the pipeline first (`shoplytics run`), then export.",
        )
    _check_folder(out_dir)
    cur = ws.cursor()
    targets = _targets(cur, tables, out_dir, fmt, force)
    # Every table goes to a temporary file first; the files get their names only once all are
    # written, so a cancel or an error part-way leaves no file, complete or not, behind.
    written: list[ExportedFile] = []
    pending: list[tuple[Path, Path]] = []
    options = "FORMAT csv, HEADER true" if fmt == "csv" else "FORMAT parquet, COMPRESSION zstd"
    try:
        for i, (schema, table, cols, path) in enumerate(targets):
            reporter.check_cancelled()
            reporter.update(i, len(targets), f"exporting {schema}.{table}")
            tmp = path.with_name(f".{path.name}.partial")
            pending.append((tmp, path))
            query = _select(schema, table, cols, sanitize_csv and fmt == "csv")
            rows = _copy(cur, query, tmp, options, schema, table, path)
            written.append(ExportedFile(f"{schema}.{table}", path, rows))
        reporter.check_cancelled()
        _put_in_place(pending)
    except BaseException:
        for tmp, _ in pending:
            with contextlib.suppress(OSError):
                tmp.unlink()
        raise
    reporter.update(len(targets), len(targets), "export done")
    return written


def _check_folder(out_dir: Path) -> None:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ExportError(
            f"Cannot create the export folder {out_dir}: {e.strerror}.", "Choose another folder."
        ) from e
    if not os.access(out_dir, os.W_OK):
        raise ExportError(f"The export folder {out_dir} is not writable.", "Choose another folder.")


def _targets(
    cur: duckdb.DuckDBPyConnection, tables: list[str], out_dir: Path, fmt: str, force: bool
) -> list[_Target]:
    """The tables to export and their files, each checked before anything is written."""
    targets: list[_Target] = []
    for full in tables:
        schema, _, table = full.rpartition(".")
        schema = schema or "marts"
        if any(t[:2] == (schema, table) for t in targets):
            continue  # named twice
        cols = _columns(cur, schema, table)
        if not cols:
            raise ExportError(
                f"There is no table {schema}.{table} to export.",
                "Run the pipeline first, or list tables with `shoplytics info`.",
            )
        path = out_dir / f"{table}.{fmt}"
        if path.is_dir():
            raise ExportError(
                f"{path} is a folder; no file was written.",
                "Move it away or export to another folder.",
            )
        if path.exists() and not force:
            raise ExportError(
                f"{path} already exists.", "Use --force to overwrite it, or choose another folder."
            )
        if any(t[3] == path for t in targets):
            raise ExportError(
                f"Two of the tables would both be written to {path}.",
                "Export tables of the same name from different schemas to separate folders.",
            )
        targets.append((schema, table, cols, path))
    return targets


def _copy(
    cur: duckdb.DuckDBPyConnection,
    query: str,
    tmp: Path,
    options: str,
    schema: str,
    table: str,
    path: Path,
) -> int:
    """Write the query's rows to ``tmp``; the table's row count."""
    try:
        cur.execute(f"COPY ({query}) TO {quote_literal(str(tmp))} ({options})")
        row = cur.execute(
            f"SELECT count(*) FROM {quote_ident(schema)}.{quote_ident(table)}"
        ).fetchone()
    except duckdb.InterruptException as e:
        raise Cancelled("Export cancelled; no file was written.") from e
    except (duckdb.Error, OSError) as e:
        raise ExportError(
            f"Exporting {schema}.{table} to {path} failed: {str(e).splitlines()[0]}",
            "Check the disk has room and the folder is writable; no file was written.",
        ) from e
    return int(row[0]) if row else 0


def _put_in_place(pending: list[tuple[Path, Path]]) -> None:
    """Rename every written file to its name, all or none: a file that is replaced is first
    moved aside, and put back (with every new file removed) if any rename fails, so an export
    never leaves a mix of new and old files."""
    placed: list[tuple[Path, Path | None]] = []
    try:
        for tmp, path in pending:
            previous = None
            if path.exists() or path.is_symlink():
                previous = path.with_name(f".{path.name}.previous")
                os.replace(path, previous)
            placed.append((path, previous))
            os.replace(tmp, path)
    except OSError as e:
        failed = path  # the file that could not be put in place (the loop below reuses names)
        for done, previous in reversed(placed):
            with contextlib.suppress(OSError):
                if previous is not None:
                    os.replace(previous, done)
                else:
                    done.unlink(missing_ok=True)
        raise ExportError(
            f"Could not put the export in place as {failed}: {e.strerror}; the folder is as it "
            "was before the export.",
            "Check the folder is writable and try again.",
        ) from e
    for _, previous in placed:
        if previous is not None:
            with contextlib.suppress(OSError):
                previous.unlink()
