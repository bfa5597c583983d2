"""Staging: the source rows of an import, numbered by line, ready to be mapped.

Parquet is mapped straight from its reader (``file_row_number`` gives the row). CSV and JSON
are first copied as read into a temp table, because their readers number nothing: DuckDB keeps
the files' order when it fills a table, so a row's rowid is its position, and numbering from it
keeps the mapping parallel (a ``row_number()`` window would run it on one thread).

A CSV is read strictly first (fast); if its reader cannot split some lines (too many or too few
fields, invalid UTF-8, an over-long line) it is read again keeping those lines in DuckDB's
rejects table, and they are quarantined with a reason. Everything here happens inside the
import's transaction, so a rollback leaves no trace.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import duckdb

from shoplytics_desktop.core.ingest import readers
from shoplytics_desktop.core.ingest.detect import SourceInfo
from shoplytics_desktop.core.ingest.readers import REJECTS_SCAN, REJECTS_TABLE
from shoplytics_desktop.core.ingest.transform import line_offset
from shoplytics_desktop.core.sqlutil import quote_ident

SRC_TABLE = "__ingest_src"
FIRSTS_TABLE = "__ingest_file_firsts"
READER_REJECTS = "__ingest_reader_rejects"

#: Why DuckDB's CSV reader could not split a line, in the user's words.
_READER_REASONS = {
    "TOO MANY COLUMNS": "row has more fields than the header",
    "MISSING COLUMNS": "row has fewer fields than the header",
    "INVALID ENCODING": "text is not valid UTF-8",
    "LINE SIZE OVER MAXIMUM": "line is longer than the maximum line size",
    "UNQUOTED VALUE": "badly quoted field (text after a closing quote)",
    "INVALID STATE": "badly quoted field",
    "CAST": "value does not fit the column type",
}


@dataclass(frozen=True)
class Staged:
    """Where the mapping reads the rows from, and how many there are."""

    source: str  # a SELECT with the source columns, __file and __line
    rows: int  # rows the mapping will see
    reader_rejects: int  # CSV lines the reader could not split (in READER_REJECTS)


def drop_stage(con: duckdb.DuckDBPyConnection) -> None:
    for t in (SRC_TABLE, FIRSTS_TABLE, READER_REJECTS):
        with contextlib.suppress(duckdb.Error):
            con.execute(f"DROP TABLE IF EXISTS temp.{t}")


def stage_sources(con: duckdb.DuckDBPyConnection, info: SourceInfo) -> Staged:
    """Stage the sources. Must run first in a fresh transaction: a CSV read that fails is
    retried leniently, which needs the aborted transaction restarted."""
    drop_stage(con)
    if info.format == "parquet":
        row = con.execute(
            f"SELECT sum(num_rows) FROM parquet_file_metadata({readers.path_list(info.paths)})"
        ).fetchone()
        source = f"SELECT *, file_row_number + 1 AS __line FROM {info.reader_sql()}"
        return Staged(source, int(row[0] or 0) if row else 0, 0)
    rejects = 0
    if info.format != "csv":
        con.execute(f"CREATE TEMP TABLE {SRC_TABLE} AS SELECT * FROM {info.reader_sql()}")
    else:
        try:
            con.execute(
                f"CREATE TEMP TABLE {SRC_TABLE} AS SELECT * FROM {info.reader_sql(lenient=False)}"
            )
        except duckdb.InterruptException:
            raise
        except (duckdb.InvalidInputException, duckdb.ConversionException):
            con.execute("ROLLBACK")
            con.execute("BEGIN TRANSACTION")
            con.execute(
                f"CREATE TEMP TABLE {SRC_TABLE} AS SELECT * FROM {info.reader_sql(rejects=True)}"
            )
            rejects = _collect_reader_rejects(con, info)
    row = con.execute(f"SELECT count(*), min(rowid) FROM {SRC_TABLE}").fetchone()
    assert row is not None
    count, base = int(row[0]), int(row[1] or 0)
    return Staged(_numbered_source(con, info, base, rejects > 0), count, rejects)


def _numbered_source(
    con: duckdb.DuckDBPyConnection, info: SourceInfo, base: int, has_rejects: bool
) -> str:
    offset = line_offset(info) + 1
    fq = quote_ident(readers.FILE_COLUMN)
    if len(info.files) == 1:
        # Rows of a table created in an open transaction are numbered from a large base.
        position = f"s.rowid - {base}"
        join = ""
    else:
        con.execute(
            f"CREATE TEMP TABLE {FIRSTS_TABLE} AS "
            f"SELECT {fq}, min(rowid) AS __first FROM {SRC_TABLE} GROUP BY 1"
        )
        position = "s.rowid - f.__first"
        join = f" JOIN {FIRSTS_TABLE} f USING ({fq})"
    line = f"{position} + {offset}"
    if has_rejects:
        header = line_offset(info)
        # The reader skips the lines it rejects, so the rows after them were numbered too low:
        # a row moves down by one for each rejected line before it (rejected line L_j, the
        # j-th of its file, comes after exactly L_j - header - j good rows).
        line = (
            f"{line} + (SELECT count(*) FROM {READER_REJECTS} r WHERE r.file = s.{fq} "
            f"AND r.line - {header} - r.j < {position} + 1)"
        )
    return f"SELECT s.*, {line} AS __line FROM {SRC_TABLE} s{join}"


def _collect_reader_rejects(con: duckdb.DuckDBPyConnection, info: SourceInfo) -> int:
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name = ?", [REJECTS_TABLE]
    ).fetchone()
    if not exists or not exists[0]:
        return 0
    cases = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in _READER_REASONS.items())
    con.execute(
        f"""CREATE TEMP TABLE {READER_REJECTS} AS
        SELECT file, line, reason, csv_line,
               row_number() OVER (PARTITION BY file ORDER BY line) AS j
        FROM (
            SELECT {info.original_file_sql("s.file_path")} AS file, CAST(e.line AS BIGINT) AS line,
                   CASE CAST(e.error_type AS VARCHAR) {cases} ELSE e.error_message END AS reason,
                   e.csv_line
            FROM temp.{REJECTS_TABLE} e JOIN temp.{REJECTS_SCAN} s USING (scan_id, file_id)
            -- One line can fail several ways; the first is enough to quarantine it.
            QUALIFY row_number() OVER (PARTITION BY s.file_path, e.line ORDER BY e.column_idx) = 1
        )"""
    )
    n = con.execute(f"SELECT count(*) FROM {READER_REJECTS}").fetchone()
    return int(n[0]) if n else 0


def reader_rejects_sql() -> str:
    """The reader's rejected lines in the shape of mapped rejected rows."""
    return (
        f"SELECT file AS _source_file, line AS _source_line, reason AS __reason, "
        f"json_object('line', csv_line) AS source_row FROM {READER_REJECTS}"
    )
