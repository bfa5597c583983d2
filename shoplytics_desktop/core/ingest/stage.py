"""Staging: the mapped, validated rows of an import in a temp table, and their counts.

The stage lives inside the import's transaction, so a dry run (or a failure) rolls it away with
everything else. Counting and loading then work on the stage set-wise.
"""

from __future__ import annotations

import contextlib

import duckdb

from shoplytics_desktop.core.ingest.detect import SourceInfo
from shoplytics_desktop.core.ingest.mapping import Mapping
from shoplytics_desktop.core.ingest.readers import REJECTS_SCAN, REJECTS_TABLE
from shoplytics_desktop.core.ingest.report import ReasonCount, RejectExample, ValidationReport
from shoplytics_desktop.core.ingest.transform import line_offset, mapped_sql

_TABLE = "__ingest_stage_rows"
#: What the rest of the import reads: the staged rows with their lines filled in.
STAGE = "__ingest_stage"
_READER_REJECTS = "__ingest_reader_rejects"

#: Why DuckDB's CSV reader could not split a line, in the user's words.
_READER_REASONS = {
    "TOO MANY COLUMNS": "row has more fields than the header",
    "MISSING COLUMNS": "row has fewer fields than the header",
    "INVALID ENCODING": "text is not valid UTF-8",
    "LINE SIZE OVER MAXIMUM": "line is longer than 2 MB",
    "UNQUOTED VALUE": "badly quoted field (text after a closing quote)",
    "INVALID STATE": "badly quoted field",
    "CAST": "value does not fit the column type",
}


def _drop(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"DROP VIEW IF EXISTS temp.{STAGE}")
    for t in (_TABLE, _READER_REJECTS):
        con.execute(f"DROP TABLE IF EXISTS temp.{t}")


def build_stage(con: duckdb.DuckDBPyConnection, info: SourceInfo, mapping: Mapping) -> None:
    """Create the view ``temp.__ingest_stage`` over every row of the sources (``STAGE_COLUMNS``).

    Must run first in a fresh transaction: a CSV that the strict (fast) read cannot split is read
    again keeping the bad lines, which needs the failed transaction restarted.
    """
    _drop(con)
    has_rejects = False
    if info.format != "csv":
        con.execute(f"CREATE TEMP TABLE {_TABLE} AS {mapped_sql(info, mapping, numbered=False)}")
    else:
        try:
            con.execute(
                f"CREATE TEMP TABLE {_TABLE} AS "
                f"{mapped_sql(info, mapping, strict=True, numbered=False)}"
            )
        except duckdb.InterruptException:
            raise
        except (duckdb.InvalidInputException, duckdb.ConversionException):
            con.execute("ROLLBACK")
            con.execute("BEGIN TRANSACTION")
            con.execute(
                f"CREATE TEMP TABLE {_TABLE} AS "
                f"{mapped_sql(info, mapping, rejects=True, numbered=False)}"
            )
            has_rejects = _add_reader_rejects(con, info)
    _create_view(con, info, has_rejects)


def _create_view(con: duckdb.DuckDBPyConnection, info: SourceInfo, has_rejects: bool) -> None:
    """Lines from the stage's rowid: CTAS keeps the readers' file order (DuckDB preserves
    insertion order), so a row's rowid is its position in the scan."""
    if info.format == "parquet":
        con.execute(f"CREATE TEMP VIEW {STAGE} AS SELECT * FROM {_TABLE}")
        return
    offset = line_offset(info) + 1
    if len(info.files) == 1:
        # Rows of a table created in an open transaction are numbered from a large base.
        row = con.execute(f"SELECT min(rowid) FROM {_TABLE}").fetchone()
        base = int(row[0]) if row and row[0] is not None else 0
        line = f"s.rowid - {base} + {offset}"
        join = ""
    else:
        line = f"s.rowid - f.__first + {offset}"
        join = (
            f" JOIN (SELECT _source_file, min(rowid) AS __first FROM {_TABLE} "
            "WHERE _source_line IS NULL GROUP BY 1) f USING (_source_file)"
        )
    if has_rejects:
        header = line_offset(info)
        # The reader skips the lines it rejects, so the rows after them were numbered too low:
        # a row moves down by one for each rejected line before it (rejected line L_j, the
        # j-th, comes after exactly L_j - header - j good rows).
        line = (
            f"{line} + (SELECT count(*) FROM {_READER_REJECTS} r WHERE r.file = s._source_file "
            f"AND r.line - {header} - r.j < {line} - {header})"
        )
    con.execute(
        f"""CREATE TEMP VIEW {STAGE} AS
        SELECT s.* REPLACE (CAST(coalesce(s._source_line, {line}) AS BIGINT) AS _source_line)
        FROM {_TABLE} s{join}"""
    )


def _add_reader_rejects(con: duckdb.DuckDBPyConnection, info: SourceInfo) -> bool:
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name = ?", [REJECTS_TABLE]
    ).fetchone()
    if not exists or not exists[0]:
        return False
    cases = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in _READER_REASONS.items())
    con.execute(
        f"""CREATE TEMP TABLE {_READER_REJECTS} AS
        SELECT file, line, reason, csv_line,
               row_number() OVER (PARTITION BY file ORDER BY line) AS j
        FROM (
            SELECT s.file_path AS file, CAST(e.line AS BIGINT) AS line,
                   CASE CAST(e.error_type AS VARCHAR) {cases} ELSE e.error_message END AS reason,
                   e.csv_line
            FROM temp.{REJECTS_TABLE} e JOIN temp.{REJECTS_SCAN} s USING (scan_id, file_id)
            -- One line can fail several ways; the first is enough to quarantine it.
            QUALIFY row_number() OVER (PARTITION BY s.file_path, e.line ORDER BY e.column_idx) = 1
        )"""
    )
    n = con.execute(f"SELECT count(*) FROM {_READER_REJECTS}").fetchone()
    if not n or not n[0]:
        return False
    con.execute(
        f"""INSERT INTO {_TABLE} (_source_file, _source_line, __reason, source_row)
        SELECT file, line, reason, json_object('line', csv_line) FROM {_READER_REJECTS}"""
    )
    return True


def _has_events_table(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'raw' AND table_name = 'events' "
        "AND NOT temporary"
    ).fetchone()
    return bool(row and row[0])


def summarize(con: duckdb.DuckDBPyConnection, examples: int = 3) -> ValidationReport:
    """Counts of the stage against the workspace: loaded, duplicate (in batch or already loaded),
    rejected, and the reject reasons with their first example lines."""
    row = con.execute(
        f"""SELECT count(*),
                   count(*) FILTER (WHERE __reason IS NOT NULL),
                   count(*) FILTER (WHERE __reason IS NULL),
                   count(DISTINCT event_id) FILTER (WHERE __reason IS NULL)
            FROM {STAGE}"""
    ).fetchone()
    assert row is not None
    total, rejected, valid, distinct = (int(v or 0) for v in row)
    existing = existing_rows = 0
    if valid and _has_events_table(con):
        r = con.execute(
            f"""SELECT count(DISTINCT s.event_id), count(*) FROM {STAGE} s
                WHERE s.__reason IS NULL
                  AND s.event_id IN (SELECT event_id FROM raw.events)"""
        ).fetchone()
        if r:
            existing, existing_rows = int(r[0] or 0), int(r[1] or 0)
    loaded = distinct - existing
    reasons = []
    if rejected:
        for reason, count, ex in con.execute(
            f"""SELECT __reason, count(*),
                       list({{'file': _source_file, 'line': _source_line, 'row': source_row}}
                            ORDER BY _source_file, _source_line)[1:{int(examples)}]
                FROM {STAGE} WHERE __reason IS NOT NULL
                GROUP BY 1 ORDER BY 2 DESC, 1"""
        ).fetchall():
            reasons.append(
                ReasonCount(
                    str(reason),
                    int(count),
                    tuple(RejectExample(e["file"], e["line"], e["row"]) for e in ex),
                )
            )
    return ValidationReport(
        rows_read=total,
        rows_loaded=loaded,
        rows_duplicate=valid - loaded,
        rows_rejected=rejected,
        duplicates_existing=existing_rows,
        reasons=tuple(reasons),
    )


def drop_stage(con: duckdb.DuckDBPyConnection) -> None:
    with contextlib.suppress(duckdb.Error):
        _drop(con)
