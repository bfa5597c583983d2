"""Counting what an import does or would do: loaded, duplicate, rejected, grouped reasons.

``count_mapped`` answers without writing (the wizard's validation step and dry runs) by
aggregating over the mapped rows; ``reasons`` groups rejected rows wherever they are (the
mapped rows of a dry run, or ``raw.rejected_events`` of a batch just written).
"""

from __future__ import annotations

import duckdb

from shoplytics_desktop.core.ingest import keys
from shoplytics_desktop.core.ingest.report import ReasonCount, RejectExample, ValidationReport
from shoplytics_desktop.core.ingest.stage import (
    Staged,
    physical_line_sql,
    reader_rejects_sql,
    shift_lines,
)

EXAMPLES = 3


def has_events(con: duckdb.DuckDBPyConnection, exclude_batch: str | None = None) -> bool:
    """Whether raw.events exists and holds a row (of another batch than ``exclude_batch``):
    only then must duplicates be looked for there."""
    row = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'raw' AND table_name = 'events' "
        "AND NOT temporary"
    ).fetchone()
    if not row or not row[0]:
        return False
    return con.execute(
        "SELECT 1 FROM raw.events WHERE _batch_id IS DISTINCT FROM ? LIMIT 1", [exclude_batch]
    ).fetchone() is not None


def reasons(
    con: duckdb.DuckDBPyConnection, rejected_sql: str, params: list[object] | None = None
) -> tuple[ReasonCount, ...]:
    """Reasons with counts and their first example lines, most frequent first.

    ``rejected_sql`` selects ``_source_file, _source_line, __reason, source_row``.
    """
    # The first examples by place in the files, kept as the rows stream by (arg_min's n
    # smallest): a list of every rejected row, sorted and then cut, held each row's text in
    # memory, and a million rejected rows of a wide export ran out of the import's budget.
    rows = con.execute(
        f"""SELECT __reason, count(*),
                   arg_min({{'file': _source_file, 'line': _source_line,
                             'row': CAST(source_row AS VARCHAR)}},
                           (_source_file, _source_line), {EXAMPLES})
            FROM ({rejected_sql}) GROUP BY 1 ORDER BY 2 DESC, 1""",
        params or [],
    ).fetchall()
    return tuple(
        ReasonCount(str(r), int(n), tuple(RejectExample(e["file"], e["line"], e["row"]) for e in ex))
        for r, n, ex in rows
    )


def count_mapped(
    con: duckdb.DuckDBPyConnection, mapped: str, staged: Staged, kept: str = "TRUE"
) -> ValidationReport:
    """What importing ``mapped`` would do, writing nothing. Only the held events (``e``) for which
    ``kept`` holds count as already imported."""
    row = con.execute(
        f"""SELECT count(*) FILTER (WHERE __reason IS NOT NULL),
                   count(*) FILTER (WHERE __reason IS NULL),
                   count(DISTINCT event_id) FILTER (WHERE __reason IS NULL)
            FROM ({mapped})"""
    ).fetchone()
    assert row is not None
    rejected, valid, distinct = (int(v or 0) for v in row)
    existing = existing_rows = 0
    found = keys.count_existing(con, mapped, kept) if valid and has_events(con) else None
    if found is not None:
        existing, existing_rows = found
    elif valid and has_events(con):
        # EXISTS rather than IN: DuckDB then builds the join's hash table on the smaller side
        # (mostly the file's rows), and reads only the workspace's event_id column.
        r = con.execute(
            f"""SELECT count(DISTINCT m.event_id), count(*) FROM ({mapped}) m
                WHERE m.__reason IS NULL
                  AND EXISTS (SELECT 1 FROM raw.events e
                              WHERE e.event_id = m.event_id AND {kept})"""
        ).fetchone()
        if r:
            existing, existing_rows = int(r[0] or 0), int(r[1] or 0)
    rejected_sql = (
        f"SELECT _source_file, _source_line, __reason, source_row FROM ({mapped}) "
        "WHERE __reason IS NOT NULL"
    )
    if staged.reader_rejects:
        rejected_sql += f" UNION ALL {reader_rejects_sql()}"
    if (rejected or staged.reader_rejects) and shift_lines(con, staged):
        rejected_sql = (f"SELECT _source_file, {physical_line_sql('_source_file', '_source_line')} "
                        f"AS _source_line, __reason, source_row FROM ({rejected_sql})")
    loaded = distinct - existing
    return ValidationReport(
        rows_read=rejected + valid + staged.reader_rejects,
        rows_loaded=loaded,
        rows_duplicate=valid - loaded,
        rows_rejected=rejected + staged.reader_rejects,
        duplicates_existing=existing_rows,
        source_rows=staged.rows + staged.reader_rejects,
        reasons=reasons(con, rejected_sql) if rejected or staged.reader_rejects else (),
    )
