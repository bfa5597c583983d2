"""Export tables to CSV or Parquet with DuckDB's COPY.

Files are written under a temporary name and renamed when complete, so a failure or a cancel never
leaves a partial file behind. CSV cells that a spreadsheet would run as a formula are neutralised by
default.
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


def _select(schema: str, table: str, cols: list[tuple[str, str]], sanitize: bool) -> str:
    parts = []
    for name, dtype in cols:
        q = quote_ident(name)
        if sanitize and dtype.upper() == "VARCHAR":
            # A leading = + - @ (or tab/CR) makes spreadsheets evaluate the cell; a quote defuses it.
            parts.append(
                f"CASE WHEN regexp_matches({q}, '^[=+\\-@\\t\\r]') THEN '''' || {q} ELSE {q} END AS {q}"
            )
        else:
            parts.append(q)
    return f"SELECT {', '.join(parts)} FROM {quote_ident(schema)}.{quote_ident(table)}"


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
        raise ExportError(f"Unknown export format '{fmt}'.", f"Choose one of: {', '.join(FORMATS)}.")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ExportError(
            f"Cannot create the export folder {out_dir}: {e.strerror}.", "Choose another folder."
        ) from e
    if not os.access(out_dir, os.W_OK):
        raise ExportError(f"The export folder {out_dir} is not writable.", "Choose another folder.")
    cur = ws.cursor()
    targets = []
    for full in tables:
        schema, _, table = full.rpartition(".")
        schema = schema or "marts"
        cols = _columns(cur, schema, table)
        if not cols:
            raise ExportError(
                f"There is no table {schema}.{table} to export.",
                "Run the pipeline first, or list tables with `shoplytics info`.",
            )
        path = out_dir / f"{table}.{fmt}"
        if path.exists() and not force:
            raise ExportError(
                f"{path} already exists.", "Use --force to overwrite it, or choose another folder."
            )
        targets.append((schema, table, cols, path))
    written = []
    for i, (schema, table, cols, path) in enumerate(targets):
        reporter.check_cancelled()
        reporter.update(i, len(targets), f"exporting {schema}.{table}")
        tmp = path.with_name(f".{path.name}.partial")
        options = "FORMAT csv, HEADER true" if fmt == "csv" else "FORMAT parquet, COMPRESSION zstd"
        query = _select(schema, table, cols, sanitize_csv and fmt == "csv")
        try:
            cur.execute(f"COPY ({query}) TO {quote_literal(str(tmp))} ({options})")
            os.replace(tmp, path)
        except duckdb.InterruptException as e:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise Cancelled("Export cancelled; no partial file was left.") from e
        except (duckdb.Error, OSError) as e:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise ExportError(
                f"Exporting {schema}.{table} to {path} failed: {str(e).splitlines()[0]}",
                "Check the disk has room and the folder is writable.",
            ) from e
        row = cur.execute(f"SELECT count(*) FROM {quote_ident(schema)}.{quote_ident(table)}").fetchone()
        written.append(ExportedFile(f"{schema}.{table}", path, int(row[0]) if row else 0))
    reporter.update(len(targets), len(targets), "export done")
    return written
