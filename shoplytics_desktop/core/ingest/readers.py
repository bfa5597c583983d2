"""DuckDB table-function calls that stream the source files, and their errors in plain words.

CSV is read with every column as text (``all_varchar``): a column of mixed types then never
fails the whole read, and each value is parsed (or rejected with a reason) by the mapping's SQL.
Rows that the CSV reader itself cannot split (too many or too few fields, invalid UTF-8, an
over-long line) are not fatal: DuckDB keeps them in a rejects table with their line and the
import quarantines them with a reason.

Line numbers count records, the header being line 1: they are the file's physical lines unless a
quoted value spans several lines, which then counts once (DuckDB's rejects table counts the same
way, so lines of loaded and rejected rows agree).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from shoplytics_desktop.core.errors import Cancelled, ImportError_
from shoplytics_desktop.core.sqlutil import quote_literal

FILE_COLUMN = "__file"
REJECTS_TABLE = "__ingest_csv_rejects"
REJECTS_SCAN = "__ingest_csv_scans"
#: DuckDB's default maximum CSV line. Files whose sample holds a longer line are read with
#: ``LONG_LINE_BYTES`` instead (bigger buffers cost time on every file, so only then); lines
#: longer than the limit in force are quarantined with a reason.
MAX_LINE_BYTES = 2_000_000
LONG_LINE_BYTES = 64 * 1024 * 1024
#: The CSV reader's buffer. DuckDB's default (32 MB, one per thread) alone overran a 64MB
#: memory limit on any file over 32 MB, where spilling cannot help; 8 MB reads as fast.
CSV_BUFFER_BYTES = 8 * 1024 * 1024
#: The JSON reader's largest object (an NDJSON line, an element of an array): DuckDB's own
#: default. The reader holds two buffers of this size per thread, so the 64 and 256 MB used
#: before overran the import's 512 MB budget on big files; a file with a longer object is read
#: again with room for it (``json_object_bytes_for``).
JSON_OBJECT_BYTES = 16 * 1024 * 1024
#: Beyond this, an object is not an event: the file is refused with DuckDB's reason.
JSON_OBJECT_MAX_BYTES = 1024 * 1024 * 1024


@dataclass(frozen=True)
class Dialect:
    """The CSV dialect, or None fields for non-CSV formats."""

    delimiter: str
    quote: str
    escape: str
    header: bool = True
    #: The column names of a headerless file.
    names: tuple[str, ...] = ()
    #: Lines before the header (Excel's ``sep=;`` line).
    skip: int = 0


#: What DuckDB's file readers (and sniff_csv) expand as a glob in the path they are given.
_GLOB_CHARS = re.compile(r"[\[*?]")


def literal_path(path: str) -> str:
    """``path`` as DuckDB's readers must be given it to read that one file, not a pattern.

    They glob every path, so ``sales[2024].csv`` would read ``sales2.csv``. Each glob character
    becomes a class of itself (``[[]``, ``[*]``, ``[?]``); the path is made absolute first,
    because a globbed name is reported normalized (see ``reported_path``)."""
    if not _GLOB_CHARS.search(path):
        return path
    return _GLOB_CHARS.sub(lambda m: f"[{m.group(0)}]", os.path.abspath(path))


def reported_path(path: str) -> str:
    """The name DuckDB's ``filename`` column gives the rows of ``path`` read via ``literal_path``."""
    return os.path.abspath(path) if _GLOB_CHARS.search(path) else path


def path_list(paths: list[str]) -> str:
    """A DuckDB list of files, each read literally (see ``literal_path``)."""
    return "[" + ", ".join(quote_literal(literal_path(p)) for p in paths) + "]"


def unique_name(base: str, taken: list[str] | set[str]) -> str:
    """``base``, or ``base_1``, ``base_2`` …: a column name none of ``taken`` has (DuckDB's
    names are case-insensitive), so that a name the import adds never meets a source column."""
    lower = {t.lower() for t in taken}
    name, n = base, 0
    while name.lower() in lower:
        n += 1
        name = f"{base}_{n}"
    return name


def _file_opt(file_column: str | None) -> list[str]:
    return [f"filename={quote_literal(file_column)}"] if file_column else []


def csv_reader(
    paths: list[str],
    dialect: Dialect,
    encoding: str,
    compressed: bool,
    union_by_name: bool = False,
    rejects: bool = False,
    lenient: bool = True,
    long_lines: bool = False,
    file_column: str | None = FILE_COLUMN,
) -> str:
    opts = [
        f"delim={quote_literal(dialect.delimiter)}",
        f"quote={quote_literal(dialect.quote)}",
        f"escape={quote_literal(dialect.escape)}",
        f"header={'true' if dialect.header else 'false'}",
        *([f"names=[{', '.join(quote_literal(n) for n in dialect.names)}]"] if dialect.names else []),
        # Never let the reader's own detection skip leading lines: with a short file whose last
        # line has an extra field it would take that line's shape and skip the header.
        f"skip={int(dialect.skip)}",
        "all_varchar=true",
        *_file_opt(file_column),
        f"encoding={quote_literal(encoding)}",
        f"compression={quote_literal('gzip' if compressed else 'none')}",
    ]
    if long_lines:
        opts += [f"max_line_size={LONG_LINE_BYTES}", f"buffer_size={LONG_LINE_BYTES}"]
    else:
        opts.append(f"buffer_size={CSV_BUFFER_BYTES}")
    if lenient:
        # Samples skip rows the reader cannot split; the import first reads strictly (fast) and
        # only on such an error reads again keeping them (``rejects``) to quarantine them.
        opts.append("ignore_errors=true")
    if union_by_name:
        opts.append("union_by_name=true")
    if rejects:
        opts += [
            "store_rejects=true",
            f"rejects_table={quote_literal(REJECTS_TABLE)}",
            f"rejects_scan={quote_literal(REJECTS_SCAN)}",
        ]
    return f"read_csv({path_list(paths)}, {', '.join(opts)})"


#: DuckDB's JSON sample (objects), and the least it samples of each of several files.
JSON_SAMPLE = 20_480
JSON_FILE_SAMPLE_MIN = 1_024


def json_reader(
    paths: list[str],
    fmt: str,
    compressed: bool,
    union_by_name: bool = False,
    file_column: str | None = FILE_COLUMN,
    object_bytes: int = JSON_OBJECT_BYTES,
    sample_all: bool = False,
    columns: Sequence[tuple[str, str]] = (),
    ignore_errors: bool = False,
) -> str:
    """``columns`` (name, type): the columns to read, as an earlier read detected them; the
    reader then samples nothing (with several files it sampled every one on each read: three
    seconds per read of 90 daily GA4 files, a million events). ``ignore_errors``: a malformed
    line of NDJSON is read as a row of nulls, in its place."""
    json_format = {"json": "auto", "ndjson": "newline_delimited"}.get(fmt, "auto")
    opts = [
        f"format={quote_literal(json_format)}",
        *_file_opt(file_column),
        f"compression={quote_literal('gzip' if compressed else 'none')}",
        # An array is read element by element, one line or many: its elements are the objects.
        f"maximum_object_size={object_bytes}",
    ]
    if sample_all:
        # The columns and types from every object, not the first ones: a key that first
        # appears late, or a number that later comes as text, fit.
        opts.append("sample_size=-1")
    elif columns:
        listed = ", ".join(f"{quote_literal(n)}: {quote_literal(t)}" for n, t in columns)
        opts.append(f"columns={{{listed}}}")
    elif len(paths) > 1:
        # The reader samples each file: the objects of one file's sample, shared among them
        # (a key the sample misses is read again with every object's, see stage.py).
        opts.append(f"sample_size={max(JSON_FILE_SAMPLE_MIN, JSON_SAMPLE // len(paths))}")
    if union_by_name:
        opts.append("union_by_name=true")
    if ignore_errors:
        opts.append("ignore_errors=true")
    return f"read_json({path_list(paths)}, {', '.join(opts)})"


def json_object_bytes_for(error: str, current: int) -> int | None:
    """The object size to read a JSON file with again, from DuckDB's error that an object is
    longer than ``current`` ("... exceeded ... (>N bytes)"): room for it, rounded up to a power
    of two; None for any other error, or past ``JSON_OBJECT_MAX_BYTES``."""
    if "maximum_object_size" not in error:
        return None
    found = re.search(r"\(>(\d+) bytes\)", error)
    needed = max(int(found.group(1)) if found else 0, current + 1)
    size = 1 << (needed - 1).bit_length()
    return size if size <= JSON_OBJECT_MAX_BYTES else None


def json_schema_too_narrow(error: str) -> bool:
    """Whether DuckDB's JSON reader stopped at an object its sample did not foresee: a key the
    first objects lacked, or a value of another type than theirs."""
    return "JSON transform error" in error


def parquet_reader(
    paths: list[str],
    union_by_name: bool = False,
    file_column: str | None = FILE_COLUMN,
    row_number: bool = True,
) -> str:
    opts = _file_opt(file_column) + (["file_row_number=true"] if row_number else [])
    if union_by_name:
        opts.append("union_by_name=true")
    return f"read_parquet({path_list(paths)}" + "".join(f", {o}" for o in opts) + ")"


def read_error(e: duckdb.Error | UnicodeDecodeError, files: str, fmt: str) -> ImportError_ | Cancelled:
    """A DuckDB reader error as a message that names the file and says what to do.

    An interrupt is the user's cancel arriving while a file is read, not a reading problem. A
    UnicodeDecodeError is DuckDB's message itself, quoting the row it refused cut in the middle
    of a character, which Python cannot decode."""
    if isinstance(e, UnicodeDecodeError):
        return ImportError_(
            f"{files} cannot be read as {fmt.upper()}: DuckDB refused one of its rows (and its "
            "message, quoting the row, could not be shown).",
            "Check the file for a malformed row (in JSON, a key repeated in one object is a "
            "common cause), or export it again.",
        )
    if isinstance(e, duckdb.InterruptException):
        return Cancelled("Import cancelled; the workspace is unchanged.")
    text = str(e)
    lines = text.splitlines()
    first = lines[0] if lines else type(e).__name__
    if "CSV Error" in first:
        # DuckDB puts the useful sentence after the offending line's text.
        detail = next(
            (ln for ln in lines[1:] if ln.strip() and not ln.startswith(("Original Line", " "))),
            "",
        )
        first = f"{first.removeprefix('Invalid Input Error: ')}: {detail}".rstrip(": ")
    low = text.lower()
    if "out of memory" in low:
        return ImportError_(
            f"Importing {files} ran out of memory ({first}); nothing was loaded.",
            "Raise the import_memory_limit or memory_limit setting (e.g. `shoplytics settings "
            "import_memory_limit=1GB`), or lower the threads setting; DuckDB spills what it "
            "can to disk (the temp_directory setting: the workspace's tmp/ folder unless set).",
        )
    if "no space left on device" in low or "disk quota exceeded" in low:
        return ImportError_(
            f"The disk is full while importing {files} ({first}); nothing was loaded.",
            "Free some disk space (the workspace and its tmp/ folder need room for the data), "
            "then import again.",
        )
    if "not possible to automatically detect the csv parsing dialect" in low:
        return ImportError_(
            f"{files} could not be split into columns with the detected delimiter and quote "
            "(a quoted value that is never closed is the usual cause).",
            "Fix the quoting in the file, or set source.delimiter / source.quote in a mapping "
            "file.",
        )
    if "maximum line size of" in low:
        return ImportError_(
            f"{files} has a line longer than {LONG_LINE_BYTES // (1024 * 1024)} MB ({first}).",
            "Check that it is a line-based CSV/TSV file; very long values cannot be imported.",
        )
    if "gzip" in low or "zlib" in low or "inflate" in low or "decompress" in low:
        return ImportError_(
            f"{files} is a truncated or damaged gzip file ({first}).",
            "Download or export it again, or import the uncompressed file.",
        )
    if fmt in ("json", "ndjson") and "utf-8" in low:
        return ImportError_(
            f"{files} is not UTF-8 text: {first}",
            "JSON files must be UTF-8; convert it (e.g. iconv -f latin1 -t utf-8) and retry.",
        )
    if fmt in ("json", "ndjson") and ("json" in low or "malformed" in low):
        return ImportError_(
            f"{files} is not valid JSON: {first}",
            "Fix the file at the position shown (each NDJSON line must be one JSON object).",
        )
    if fmt == "parquet":
        return ImportError_(
            f"{files} cannot be read as Parquet: {first}",
            "Export it again; the file may be damaged or use an unsupported encoding.",
        )
    if "unicode" in low or "utf" in low:
        return ImportError_(
            f"{files} is not valid UTF-8 text: {first}",
            "Save it as UTF-8, or set source.encoding: latin-1 in a mapping file.",
        )
    return ImportError_(
        f"Cannot read {files} as {fmt.upper()}: {first}",
        "Check the file, or set the format options (delimiter, quote) in a mapping file.",
    )
