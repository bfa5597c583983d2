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
import dataclasses
import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb

from shoplytics_desktop.core.ingest import readers
from shoplytics_desktop.core.ingest.detect import SourceInfo
from shoplytics_desktop.core.ingest.readers import REJECTS_SCAN, REJECTS_TABLE
from shoplytics_desktop.core.ingest.transform import line_offset
from shoplytics_desktop.core.sqlutil import lookup_sql, quote_ident, quote_literal
from shoplytics_desktop.core.workspace import restore_setting

SRC_TABLE = "__ingest_src"
FIRSTS_TABLE = "__ingest_file_firsts"
READER_REJECTS = "__ingest_reader_rejects"
#: The CSV records that span several lines (file, line as numbered, lines it adds): see
#: ``shift_lines``.
MULTILINE_TABLE = "__ingest_multiline"
#: The blank lines of NDJSON files read for their malformed lines (file, line, j: the j-th).
BLANK_LINES = "__ingest_blank_lines"
#: The staged rows of those malformed lines (row_id), left out of the mapped rows.
MALFORMED_ROWS = "__ingest_malformed_rows"
#: Up to this many files, each file's first row is looked up in a literal (see
#: ``_numbered_source``); the lookup reads the literal through, 0.12 s per million rows at 90.
_LOOKUP_FILES = 100
#: How much of an over-long line a rejected row keeps.
_LINE_SHOWN = 10_000

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
    #: The staged columns' types, where the JSON reader took them from every object rather
    #: than a sample (a number column holding text later is text): for ``with_read_types``.
    read_types: tuple[tuple[str, str], ...] = ()
    #: CSV: the source's file and line columns, for ``shift_lines``.
    lines_of: tuple[str, str] | None = None


def drop_stage(con: duckdb.DuckDBPyConnection) -> None:
    for t in (SRC_TABLE, FIRSTS_TABLE, READER_REJECTS, MULTILINE_TABLE, BLANK_LINES,
              MALFORMED_ROWS):
        with contextlib.suppress(duckdb.Error):
            con.execute(f"DROP TABLE IF EXISTS temp.{t}")


def stage_sources(con: duckdb.DuckDBPyConnection, info: SourceInfo) -> Staged:
    """Stage the sources. Must run first in a fresh transaction: a CSV read that fails is
    retried leniently, which needs the aborted transaction restarted."""
    drop_stage(con)
    if info.format == "parquet" and info.row_number:
        row = con.execute(
            f"SELECT sum(num_rows) FROM parquet_file_metadata({readers.path_list(info.paths)})"
        ).fetchone()
        source = (
            f"SELECT *, file_row_number + 1 AS {quote_ident(info.line_column)} "
            f"FROM {info.reader_sql()}"
        )
        return Staged(source, int(row[0] or 0) if row else 0, 0)
    rejects = 0
    read_types: tuple[tuple[str, str], ...] = ()
    # A source column named rowid would hide the table's row ids, which number the lines: it is
    # staged under another name and given its own back in ``_numbered_source``.
    rowid = _rowid_column(info)
    rename = (
        f" RENAME ({quote_ident(rowid)} AS {quote_ident(info.internal_name('__rowid'))})"
        if rowid
        else ""
    )
    if info.format != "csv":
        sampled_all, read = _stage_json(con, info, rename)
        if sampled_all:
            read_types = tuple(
                (str(r[0]), str(r[1])) for r in con.execute(f"DESCRIBE {SRC_TABLE}").fetchall()
            )
        if read.json_ignore_errors:
            rejects = _reject_malformed_json_lines(con, read)
    else:
        try:
            con.execute(
                f"CREATE TEMP TABLE {SRC_TABLE} AS "
                f"SELECT *{rename} FROM {info.reader_sql(lenient=False)}"
            )
        except duckdb.InterruptException:
            raise
        except (duckdb.InvalidInputException, duckdb.ConversionException):
            _restart(con)
            con.execute(
                f"CREATE TEMP TABLE {SRC_TABLE} AS "
                f"SELECT *{rename} FROM {info.reader_sql(rejects=True)}"
            )
            rejects = _collect_reader_rejects(con, info)
        rejects += _reject_unended_long_lines(con, info, rejects > 0)
    row = con.execute(f"SELECT count(*), min(rowid) FROM {SRC_TABLE}").fetchone()
    assert row is not None
    count, base = int(row[0]), int(row[1] or 0)
    # The CSV reader skips the lines it rejects (the rows after them are numbered up); the JSON
    # reader keeps a malformed line's place, as a row the mapping leaves out.
    csv_rejects = rejects > 0 and info.format == "csv"
    json_rejects = rejects > 0 and not csv_rejects
    return Staged(_numbered_source(con, info, base,
                                   READER_REJECTS if csv_rejects else
                                   BLANK_LINES if json_rejects else None,
                                   MALFORMED_ROWS if json_rejects else None),
                  count - rejects if json_rejects else count, rejects, read_types,
                  (info.file_column, info.line_column) if info.format == "csv" else None)


def shift_lines(con: duckdb.DuckDBPyConnection, staged: Staged) -> bool:
    """Find the staged CSV records that span several lines (a quoted value with line breaks:
    an address, a note). The rows are numbered by record, and so are the lines DuckDB's reader
    rejects; each such record moves the lines after it down by its extra lines
    (``physical_line_sql``). Run only once rows are rejected: it reads every text value. True
    when there are any."""
    if staged.lines_of is None:
        return False
    file, line = staged.lines_of
    text = [quote_ident(str(r[0])) for r in con.execute(f"DESCRIBE {staged.source}").fetchall()
            if str(r[1]) == "VARCHAR" and str(r[0]) not in (file, line)]
    if not text:
        return False
    breaks = " + ".join(f"coalesce(length({c}) - length(replace({c}, chr(10), '')), 0)"
                        for c in text)
    spans = " OR ".join(f"contains({c}, chr(10))" for c in text)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {MULTILINE_TABLE} AS SELECT {quote_ident(file)} "
                f"AS file, {quote_ident(line)} AS line, {breaks} AS n FROM ({staged.source}) "
                f"WHERE {spans}")
    row = con.execute(f"SELECT count(*) FROM {MULTILINE_TABLE}").fetchone()
    return bool(row and row[0])


def physical_line_sql(file: str, line: str) -> str:
    """The line of the file where a record numbered ``line`` starts, after ``shift_lines``."""
    return (f"{line} + coalesce((SELECT sum(m.n) FROM {MULTILINE_TABLE} m "
            f"WHERE m.file IS NOT DISTINCT FROM {file} AND m.line < {line}), 0)")


def _stage_json(
    con: duckdb.DuckDBPyConnection, info: SourceInfo, rename: str
) -> tuple[bool, SourceInfo]:
    """Stage JSON as read with the reader's usual buffers and the columns of its first objects.
    A file the reader stops in is read again: with the columns of every object when a later
    one has a key or a type the first ones lacked; with room for an object that does not fit
    the buffers (a line of many megabytes), on one thread, since the reader holds two such
    buffers per thread within the import's memory budget; NDJSON with a malformed line (a
    damaged or cut export), with such lines as rows of nulls. Whether the columns came from
    every object, and the reading that staged the rows."""
    with contextlib.ExitStack() as one_thread:
        while True:
            try:
                con.execute(
                    f"CREATE TEMP TABLE {SRC_TABLE} AS SELECT *{rename} FROM {info.reader_sql()}"
                )
                return info.json_sample_all, info
            except duckdb.InvalidInputException as e:
                retry = _json_retry(info, str(e))
                if retry is None:
                    raise
            _restart(con)
            if retry.object_bytes != info.object_bytes and info.object_bytes == (
                readers.JSON_OBJECT_BYTES
            ):
                one_thread.enter_context(_single_thread(con))
            info = retry


@contextlib.contextmanager
def _single_thread(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """DuckDB on one thread until the block ends. An error in the block ends the transaction,
    and no setting can change in an ended one: the transaction is begun again first (staging
    runs first in it, so nothing is lost), else the workspace would stay on one thread."""
    row = con.execute("SELECT current_setting('threads')").fetchone()
    threads = int(row[0]) if row else 1
    con.execute("SET threads = 1")
    try:
        yield
    except BaseException:
        with contextlib.suppress(duckdb.Error):
            _restart(con)
        raise
    finally:
        restore_setting(con, f"SET threads = {threads}")


def _restart(con: duckdb.DuckDBPyConnection) -> None:
    """Begin the staging's transaction again after a read that failed in it."""
    con.execute("ROLLBACK")
    con.execute("BEGIN TRANSACTION")


def _json_retry(info: SourceInfo, error: str) -> SourceInfo | None:
    """How to read a JSON file again after the reader's ``error``; None: not again."""
    if readers.json_schema_too_narrow(error) and not info.json_sample_all:
        return dataclasses.replace(info, json_sample_all=True)
    if info.format == "ndjson" and "Malformed JSON" in error and not info.json_ignore_errors:
        return dataclasses.replace(info, json_ignore_errors=True)
    size = readers.json_object_bytes_for(error, info.object_bytes)
    return None if size is None else dataclasses.replace(info, object_bytes=size)


def _malformed_lines(
    path: Path, compressed: bool, blanks: list[int]
) -> Iterator[tuple[int, int, bytes]]:
    """(line, record, text) of the lines of an NDJSON file that are no JSON object: the line's
    number in the file, and its place among the non-blank lines (the reader's rows). The blank
    lines' numbers go to ``blanks``."""
    opener = gzip.open if compressed else open
    record = 0
    with opener(path, "rb") as fh:
        for number, raw in enumerate(fh, start=1):
            text = raw.strip()
            if not text:
                blanks.append(number)  # the reader skips blank lines
                continue
            record += 1
            try:
                ok = isinstance(json.loads(text), dict)
            except ValueError:
                ok = False
            if not ok:
                yield number, record, text


def _reject_malformed_json_lines(con: duckdb.DuckDBPyConnection, info: SourceInfo) -> int:
    """Quarantine the malformed lines of NDJSON read with them as rows of nulls: those rows are
    left out of the mapped rows (``MALFORMED_ROWS``; they keep their places, so the others keep
    their line numbers), and the lines go to the reader's rejects with their reason."""
    fq = quote_ident(info.file_column)
    firsts = dict(con.execute(f"SELECT {fq}, min(rowid) FROM {SRC_TABLE} GROUP BY 1").fetchall())
    con.execute(f"CREATE TEMP TABLE {READER_REJECTS} (file VARCHAR, line BIGINT, reason VARCHAR, "
                "csv_line VARCHAR, j BIGINT)")
    con.execute(f"CREATE TEMP TABLE {MALFORMED_ROWS} (row_id BIGINT)")
    con.execute(f"CREATE TEMP TABLE {BLANK_LINES} (file VARCHAR, line BIGINT, j BIGINT)")
    found = 0
    for read, f in zip(info.read_paths, info.files, strict=True):
        name = next((n for n in (f.shown, str(f.path), readers.reported_path(read))
                     if n in firsts), None)
        if name is None:
            continue
        compressed = f.compressed and not info.utf8_copies
        blanks: list[int] = []
        bad = list(_malformed_lines(Path(read), compressed, blanks))
        if blanks:
            # The rows after a blank line are numbered up by one (see ``_numbered_source``).
            con.executemany(f"INSERT INTO {BLANK_LINES} VALUES (?, ?, ?)",
                            [[name, line, j] for j, line in enumerate(blanks, start=1)])
        if not bad:
            continue
        con.execute(f"INSERT INTO {MALFORMED_ROWS} SELECT unnest(?::BIGINT[])",
                    [[int(firsts[name]) + record - 1 for _, record, _ in bad]])
        con.executemany(
            f"INSERT INTO {READER_REJECTS} VALUES (?, ?, ?, ?, ?)",
            [[name, line, "line is not a valid JSON object",
              text[:_LINE_SHOWN].decode("utf-8", errors="replace"), j]
             for j, (line, _, text) in enumerate(bad, start=1)])
        found += len(bad)
    return found


def _rowid_column(info: SourceInfo) -> str | None:
    return next((c.name for c in info.top_columns if c.name.lower() == "rowid"), None)


def _numbered_source(
    con: duckdb.DuckDBPyConnection, info: SourceInfo, base: int, skipped: str | None,
    left_out: str | None = None,
) -> str:
    """The staged rows with their lines. ``skipped``: a table of the lines the reader skipped
    (file, line, j: the j-th of its file), after which rows are numbered up; ``left_out``: a
    table of staged rows (row_id) that are no rows of the source (numbered all the same)."""
    offset = line_offset(info) + 1
    fq = quote_ident(info.file_column)
    if len(info.files) == 1:
        # Rows of a table created in an open transaction are numbered from a large base.
        position = f"s.rowid - {base}"
        join = ""
    else:
        firsts = con.execute(
            f"SELECT {fq}, min(rowid) AS __first FROM {SRC_TABLE} GROUP BY 1"
        ).fetchall()
        if len(firsts) <= _LOOKUP_FILES:
            # Each file's first row looked up in a literal: joining the rows to a table of
            # firsts slowed every window over them (Shopify orders in 90 files: 10.3 -> 8.4 s).
            lookup = lookup_sql(((str(f), str(int(n))) for f, n in firsts), f"s.{fq}")
            position = f"s.rowid - {lookup}"
            join = ""
        else:  # the lookup is a search through the literal: with many files, a join
            values = ", ".join(f"({quote_literal(str(f))}, {int(n)})" for f, n in firsts)
            con.execute(f"CREATE TEMP TABLE {FIRSTS_TABLE} AS "
                        f"SELECT * FROM (VALUES {values}) AS t({fq}, __first)")
            position = "s.rowid - f.__first"
            join = f" JOIN {FIRSTS_TABLE} f USING ({fq})"
    line = f"{position} + {offset}"
    if skipped:
        header = line_offset(info)
        # The reader skips the lines it rejects (CSV) or blank lines (NDJSON), so the rows
        # after them were numbered too low: a row moves down by one for each such line before
        # it (skipped line L_j, the j-th of its file, comes after exactly L_j - header - j rows).
        line = (
            f"{line} + (SELECT count(*) FROM {skipped} r WHERE r.file = s.{fq} "
            f"AND r.line - {header} - r.j < {position} + 1)"
        )
    columns = "s.*"
    rowid = _rowid_column(info)
    if rowid:
        columns += f" RENAME ({quote_ident(info.internal_name('__rowid'))} AS {quote_ident(rowid)})"
    where = f" WHERE s.rowid NOT IN (SELECT row_id FROM {left_out})" if left_out else ""
    return (f"SELECT {columns}, {line} AS {quote_ident(info.line_column)} "
            f"FROM {SRC_TABLE} s{join}{where}")


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


def _unended_long_line(path: Path, limit: int) -> bytes | None:
    """The start of the file's last line when no newline ends it and it is longer than
    ``limit`` bytes: DuckDB's CSV reader skips such a line without a word."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        fh.seek(max(0, size - 1))
        if fh.read(1) in (b"\n", b"\r", b""):
            return None
        pos, length = size, 0
        while pos > 0 and length <= limit:
            step = min(1024 * 1024, pos)
            pos -= step
            fh.seek(pos)
            chunk = fh.read(step)
            end = max(chunk.rfind(b"\n"), chunk.rfind(b"\r"))
            if end >= 0:
                length += step - end - 1
                break
            length += step
        if length <= limit:
            return None
        fh.seek(size - length)
        return fh.read(_LINE_SHOWN)


def _reject_unended_long_lines(
    con: duckdb.DuckDBPyConnection, info: SourceInfo, have_rejects: bool
) -> int:
    """Quarantine the over-long last lines the reader skipped (see ``_unended_long_line``);
    only the ends of the files are read, and a gzip file is not checked."""
    limit = readers.LONG_LINE_BYTES if info.long_lines else readers.MAX_LINE_BYTES
    found = []
    for read, f in zip(info.read_paths, info.files, strict=True):
        if f.compressed and not info.utf8_copies:
            continue
        head = _unended_long_line(Path(read), limit)
        if head is not None:
            found.append((str(f.path), head))
    if not found:
        return 0
    if not have_rejects:
        con.execute(
            f"CREATE TEMP TABLE {READER_REJECTS} (file VARCHAR, line BIGINT, reason VARCHAR, "
            "csv_line VARCHAR, j BIGINT)"
        )
    fq = quote_ident(info.file_column)
    added = 0
    for name, head in found:
        row = con.execute(
            f"""SELECT (SELECT count(*) FROM {SRC_TABLE} WHERE {fq} = $f),
                       (SELECT count(*) FROM {READER_REJECTS} WHERE file = $f),
                       (SELECT max(line) FROM {READER_REJECTS} WHERE file = $f)""",
            {"f": name},
        ).fetchone()
        assert row is not None
        rows, rejected, last = int(row[0]), int(row[1]), row[2]
        line = line_offset(info) + rows + rejected + 1
        if last is not None and last >= line:
            continue  # the reader reported it itself
        text = head.decode("utf-8", errors="replace") + " …"
        con.execute(
            f"INSERT INTO {READER_REJECTS} VALUES (?, ?, ?, ?, ?)",
            [name, line, _READER_REASONS["LINE SIZE OVER MAXIMUM"], text, rejected + 1],
        )
        added += 1
    return added


def reader_rejects_sql() -> str:
    """The reader's rejected lines in the shape of mapped rejected rows."""
    return (
        f"SELECT file AS _source_file, line AS _source_line, reason AS __reason, "
        f"json_object('line', csv_line) AS source_row FROM {READER_REJECTS}"
    )
