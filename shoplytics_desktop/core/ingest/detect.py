"""Inspecting the sources: format, CSV dialect (DuckDB's sniffer), columns, types and samples.

Only samples are read here; the wizard shows the result and ``propose_mapping`` works from it.
"""

from __future__ import annotations

import dataclasses
import gzip
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from shoplytics_desktop.core.errors import ImportError_
from shoplytics_desktop.core.ingest import archives, readers, transcode
from shoplytics_desktop.core.ingest.sources import (
    SourceFile,
    describe_files,
    resolve_paths,
    unread_note,
)
from shoplytics_desktop.core.sqlutil import quote_ident, quote_literal

if TYPE_CHECKING:
    from shoplytics_desktop.core.ingest.mapping import SourceOptions

SAMPLE_ROWS = 200
SAMPLES_PER_COLUMN = 20
_NESTED_DEPTH = 2


@dataclass(frozen=True)
class SourceColumn:
    """A source column; nested JSON/Parquet struct fields appear as ``parent.child``."""

    name: str
    type: str
    samples: tuple[str, ...] = ()
    path: tuple[str, ...] = ()
    #: The type the reader produces (CSV is read as text whatever ``type`` the sniffer saw).
    read_type: str = ""
    #: SQL over the ``src`` alias, for a mapping's reference (refs.py) rather than a column.
    expr: str = ""

    def sql(self, alias: str = "src") -> str:
        if self.expr:
            return self.expr
        parts = self.path or (self.name,)
        return ".".join([alias, *(quote_ident(p) for p in parts)])


@dataclass(frozen=True)
class SourceInfo:
    """What the files hold, as far as a sample tells."""

    files: tuple[SourceFile, ...]
    format: str
    columns: tuple[SourceColumn, ...]
    delimiter: str | None = None
    quote: str | None = None
    escape: str | None = None
    header: bool = True
    #: The column names of a headerless CSV (from a preset that knows the format).
    names: tuple[str, ...] = ()
    #: Lines before a CSV's header: 1 after Excel's ``sep=;`` line, which names the delimiter.
    skip: int = 0
    encoding: str = "utf-8"
    union_by_name: bool = False
    long_lines: bool = False
    #: The JSON reader's largest object: more only for a file that has a longer one.
    object_bytes: int = readers.JSON_OBJECT_BYTES
    #: Whether the JSON reader takes its columns from every object (not only the first ones).
    json_sample_all: bool = False
    #: The JSON reader's columns (name, type) as first detected: later reads take them rather
    #: than sample the files again (not where ``json_sample_all``).
    json_columns: tuple[tuple[str, str], ...] = ()
    #: NDJSON read with its malformed lines as empty rows (stage.py quarantines those lines).
    json_ignore_errors: bool = False
    row_estimate: int | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    #: UTF-8 copies the readers read instead of the files (text that is not UTF-8), in order.
    utf8_copies: tuple[str, ...] = ()
    #: The column the readers add with each row's file: ``__file`` unless the source has one.
    file_column: str = readers.FILE_COLUMN
    #: Whether the Parquet reader numbers rows (not when the source has a ``file_row_number``).
    row_number: bool = True

    @property
    def hidden_columns(self) -> list[str]:
        """The columns the readers add to the source's own."""
        numbered = self.format == "parquet" and self.row_number
        return [self.file_column] + (["file_row_number"] if numbered else [])

    def internal_name(self, base: str) -> str:
        """A name for a column the import adds (``__line`` …) that no source column has."""
        return readers.unique_name(base, [c.name for c in self.top_columns] + self.hidden_columns)

    @property
    def line_column(self) -> str:
        return self.internal_name("__line")

    @property
    def paths(self) -> list[str]:
        return [str(f.path) for f in self.files]

    @property
    def display_name(self) -> str:
        if len(self.files) == 1:
            return self.files[0].shown
        zipped = {archives.archive_of(f.path) for f in self.files}
        one = zipped.pop() if len(zipped) == 1 else None
        where = f" in {one.name}" if one is not None else ""
        return f"{len(self.files)} files{where} ({self.files[0].path.name}, …)"

    @property
    def compressed(self) -> bool:
        return any(f.compressed for f in self.files)

    @property
    def top_columns(self) -> list[SourceColumn]:
        return [c for c in self.columns if len(c.path) == 1]

    def with_read_types(self, types: Sequence[tuple[str, str]]) -> SourceInfo:
        """This source with its top-level columns read as ``types`` (name, type) say, where
        they differ from what the sample showed; nested fields keep theirs. No types: this
        source as it is."""
        if not types:
            return self
        read = dict(types)
        columns = tuple(
            dataclasses.replace(c, read_type=read[c.name])
            if len(c.path) <= 1 and c.name in read and read[c.name] != (c.read_type or c.type)
            else c
            for c in self.columns
        )
        # The columns the reader first detected are not these: a later read detects again.
        return dataclasses.replace(self, columns=columns, json_columns=())

    def column(self, name: str) -> SourceColumn | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def read_paths(self) -> list[str]:
        """The files the readers read: the UTF-8 copies when there are, else the files."""
        return list(self.utf8_copies) if self.utf8_copies else self.paths

    def reader_sql(
        self, rejects: bool = False, lenient: bool = True, lineage: bool = True
    ) -> str:
        """The reader of the files; ``lineage=False`` adds no file (or row number) column."""
        paths, encoding, compressed = self.read_paths, self.encoding, self.compressed
        file_column = self.file_column if lineage else None
        if self.utf8_copies:
            encoding, compressed = "utf-8", False
        if self.format == "csv":
            dialect = readers.Dialect(
                self.delimiter or ",", '"' if self.quote is None else self.quote,
                '"' if self.escape is None else self.escape, self.header, self.names,
                self.skip,
            )
            reader = readers.csv_reader(
                paths, dialect, encoding, compressed, self.union_by_name, rejects,
                lenient=lenient or rejects, long_lines=self.long_lines, file_column=file_column,
            )
        elif self.format == "parquet":
            reader = readers.parquet_reader(
                paths, self.union_by_name, file_column, self.row_number and lineage
            )
        else:
            reader = readers.json_reader(
                paths, self.format, compressed, self.union_by_name, file_column,
                self.object_bytes, self.json_sample_all, self.json_columns,
                self.json_ignore_errors,
            )
        fq = quote_ident(self.file_column)
        renamed = self.original_file_sql(fq)
        if renamed == fq or not lineage:
            return reader
        return f"(SELECT * REPLACE ({renamed} AS {fq}) FROM {reader})"

    def original_file_sql(self, column: str) -> str:
        """SQL turning a file name the readers report into the name of the file imported (they
        report a UTF-8 copy's name, and a name with glob characters made absolute)."""
        cases = " ".join(
            f"WHEN {quote_literal(reported)} THEN {quote_literal(original)}"
            for reported, original in (
                (readers.reported_path(read), original)
                for read, original in zip(
                    self.read_paths, [f.shown for f in self.files], strict=True)
            )
            if reported != original
        )
        return f"CASE {column} {cases} ELSE {column} END" if cases else column


def _sniff(
    con: duckdb.DuckDBPyConnection,
    f: SourceFile,
    opts: SourceOptions | None,
    long_lines: bool,
    utf8_copy: str | None = None,
    skip: int = 0,
) -> dict[str, Any]:
    path = utf8_copy or str(f.path)
    args = [
        f"skip={int(skip)}",
        f"encoding={quote_literal('utf-8' if utf8_copy else f.encoding)}",
        f"compression={quote_literal('gzip' if f.compressed and not utf8_copy else 'none')}",
        "sample_size=20480",
        "ignore_errors=true",
    ]
    if long_lines:
        args += [f"max_line_size={readers.LONG_LINE_BYTES}", f"buffer_size={readers.LONG_LINE_BYTES}"]
    if opts and opts.delimiter:
        args.append(f"delim={quote_literal(opts.delimiter)}")
    if opts and opts.quote is not None:
        args.append(f"quote={quote_literal(opts.quote)}")
        if opts.quote == "":
            args.append("escape=''")
    if opts and opts.names:
        args.append(f"names=[{', '.join(quote_literal(n) for n in opts.names)}]")
    # Data files have a header row; the sniffer guesses wrong when every column is text.
    args.append(f"header={'true' if (opts.header if opts else True) else 'false'}")
    sql = f"SELECT * FROM sniff_csv({quote_literal(readers.literal_path(path))}, {', '.join(args)})"
    try:
        row = con.execute(sql).fetchone()
        desc = [d[0] for d in con.description or []]
    except (duckdb.Error, UnicodeDecodeError) as e:
        raise readers.read_error(e, str(f.path), "csv") from e
    assert row is not None
    return dict(zip(desc, row, strict=True))


def _clean(value: Any) -> str | None:
    if value is None or value == "(empty)":
        return None
    return str(value)


def _flatten(
    con: duckdb.DuckDBPyConnection, cols: list[tuple[str, str]]
) -> list[tuple[tuple[str, ...], str]]:
    """Column paths and types, with the fields of STRUCT columns listed after their parent."""
    out: list[tuple[tuple[str, ...], str]] = []

    def walk(path: tuple[str, ...], typ: str, depth: int) -> None:
        out.append((path, typ))
        if depth >= _NESTED_DEPTH or not typ.upper().startswith("STRUCT"):
            return
        try:
            # The fields from the type itself: a DESCRIBE per STRUCT read the files again.
            children = con.type(typ).children
        except (duckdb.Error, ValueError):
            return
        for name, ctyp in children:
            # A list's element (``child``) is no level of its own: the fields of the objects
            # of {"data": {"items": [...]}} are listed as those of {"items": [...]}.
            step = 0 if typ.upper().endswith("[]") else 1
            walk((*path, str(name)), str(ctyp), depth + step)

    for name, typ in cols:
        walk((name,), typ, 0)
    return out


def _sample_values(value: Any, path: tuple[str, ...]) -> Iterator[Any]:
    """The values at ``path`` inside a sampled value: a struct's field, and at a list's
    ``child`` step each element's (the events of ``{"events": [...]}``)."""
    if not path:
        yield value
    elif isinstance(value, list) and path[0] == "child":
        for element in value:
            yield from _sample_values(element, path[1:])
    elif isinstance(value, dict):
        yield from _sample_values(value.get(path[0]), path[1:])


def inspect_sources(
    paths: Sequence[str | Path],
    options: SourceOptions | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> SourceInfo:
    """Resolve, recognise and sample the sources. Raises ``ImportError_`` with what to do."""
    own = con is None
    con = con or duckdb.connect()
    try:
        return _inspect(con, list(paths), options)
    finally:
        if own:
            con.close()


def _inspect(
    con: duckdb.DuckDBPyConnection, items: list[str | Path], options: SourceOptions | None
) -> SourceInfo:
    if not items:
        raise ImportError_("No files to import were given.", "Name one or more files or a folder.")
    forced = None if options is None or options.format == "auto" else options.format
    files = describe_files(resolve_paths([str(p) for p in items]), forced)
    fmt = files[0].format
    if fmt == "ndjson" and any(f.format == "json" for f in files):
        fmt = "json"
    encoding, copies, notes = _encoding(files, fmt, options)
    notes = unread_note(items) + notes
    if not copies and len({f.compressed for f in files}) > 1:
        # The readers take one compression for every file (a plain file would read as a damaged
        # gzip stream): the compressed ones are read from decompressed copies.
        copies = tuple(
            str(transcode.utf8_copy(f.path, f.encoding, True)) if f.compressed else str(f.path)
            for f in files
        )
        notes.append(
            f"{sum(f.compressed for f in files)} of the {len(files)} files are gzip-compressed "
            "and the others not: the compressed ones are read from decompressed copies."
        )
    dialect = _Dialect(union=len(files) > 1)
    if fmt == "csv":
        dialect = _csv_dialect(con, files, copies, options)
        notes += dialect.notes
    info = SourceInfo(
        files=tuple(files), format=fmt, columns=(), delimiter=dialect.delimiter,
        quote=dialect.quote, escape=dialect.escape, header=options.header if options else True,
        names=tuple(options.names or ()) if options else (), encoding=encoding,
        union_by_name=dialect.union, long_lines=dialect.long_lines, utf8_copies=copies,
        skip=dialect.skip,
    )
    info = _with_lineage_names(con, info, dialect.sniffs)
    columns, sampled = _sampled_columns(con, info, dialect.sniffs)
    value = _data_name(columns) if fmt == "csv" and info.header and not options else None
    if value is not None:
        # A first line whose "names" are an event's values (a time, a UUID): a file without a
        # header row, its columns named by position (column0, column1 …); also a headerless
        # export of one row (Snowplow's enriched TSV of a quiet hour), not a header without rows.
        info = dataclasses.replace(info, header=False)
        columns, sampled = _sampled_columns(con, info, None)
        if sampled:
            notes.append(f"The file has no header row (its first line holds values such as "
                         f"{value!r}): its columns are named by position (column0, column1 …) "
                         "and mapped by their values where they can be.")
    if not sampled:
        empty_what = (
            "has a header row but no data rows"
            if fmt == "csv" and columns
            else "holds no rows"
        )
        raise ImportError_(
            f"{info.display_name} {empty_what}.", "Export the data again, including its rows."
        )
    estimate = _row_estimate(con, info, fmt)
    return dataclasses.replace(
        info, columns=tuple(columns), row_estimate=estimate, notes=tuple(notes)
    )


def _encoding(
    files: list[SourceFile], fmt: str, options: SourceOptions | None
) -> tuple[str, tuple[str, ...], list[str]]:
    """The text encoding, the UTF-8 copies of files in another one, and the note saying so."""
    forced = options.encoding if options and options.encoding else None
    detected = next((f.encoding for f in files if f.encoding != "utf-8"), "utf-8")
    encoding = forced or detected
    notes: list[str] = []
    copies: tuple[str, ...] = ()
    if fmt != "parquet" and transcode.codec_name(encoding) != "utf-8":
        if not forced:
            notes.append(
                "The text is UTF-16 (as Excel's Unicode Text export); it is converted to UTF-8."
                if detected.startswith("utf-16")
                else "The text is not UTF-8; it is read as Windows-1252 (Western European, as "
                "Excel saves it)."
            )
        # Each file with its own encoding (a UTF-8 file among them stays UTF-8).
        copies = tuple(
            str(transcode.utf8_copy(f.path, forced or f.encoding, f.compressed)) for f in files
        )
    return encoding, copies, notes


@dataclass(frozen=True)
class _Dialect:
    """What DuckDB's sniffer (and the options) say about CSV files."""

    delimiter: str | None = None
    quote: str | None = None
    escape: str | None = None
    union: bool = False
    long_lines: bool = False
    sniffs: list[Any] | None = None
    notes: tuple[str, ...] = ()
    skip: int = 0


#: Excel's first line naming the delimiter of the lines after it: ``sep=;`` (maybe quoted).
_SEP_LINE = re.compile(rb'^(?:\xef\xbb\xbf)?"?sep=(.)"?[,;\t|]*\r?$')


def _sep_line(f: SourceFile, copy: str | None) -> str | None:
    """The delimiter a file's ``sep=X`` first line names, if it has one."""
    if f.compressed and copy is None:
        with gzip.open(f.path, "rb") as fh:
            line = fh.readline(256)
    else:
        with open(copy or f.path, "rb") as fh:
            line = fh.readline(256)
    m = _SEP_LINE.match(line.rstrip(b"\n"))
    return m.group(1).decode("latin-1") if m else None


#: Lines looked at for a title or blank lines above a CSV file's header.
_PREAMBLE_LINES = 30
_QUOTED = re.compile(rb'"[^"]*"')


def _preamble(f: SourceFile, copy: str | None) -> int:
    """How many lines come before the header: blank lines, or a report's title lines ("Report:
    Orders", "Generated: …") with fewer fields than the header and the rows under it, which
    agree on their number of fields. 0 when the file starts with its header (or it is unclear)."""
    opener = gzip.open if f.compressed and copy is None else open
    with opener(copy or f.path, "rb") as fh:
        lines = [fh.readline(_FIRST_LINE_BYTES) for _ in range(_PREAMBLE_LINES)]
    lines = [line.rstrip(b"\r\n") for line in lines if line]
    if not lines:
        return 0
    best = 0
    # Delimiters inside quoted fields (a user agent's "; " or ", ") are not counted.
    unquoted = [_QUOTED.sub(b'""', line) for line in lines]
    for delim in (b",", b";", b"\t", b"|"):
        counts = [line.count(delim) for line in unquoted]
        filled = [c for c, line in zip(counts, lines, strict=True) if line.strip()]
        if lines[0].strip() and filled[0] > 0 and len(set(filled[:4])) == 1:
            return 0  # the first line is a header of as many fields as the rows under it
        start = next((i for i, c in enumerate(counts) if c > 0), None)
        if not start:
            continue  # the first line has the delimiter (or no line has): no preamble by it
        block = [c for c, line in zip(counts[start:], lines[start:], strict=True)
                 if line.strip()][:4]
        if len(block) >= 2 and len(set(block)) == 1 and all(
                c < counts[start] for c in counts[:start]):
            best = max(best, start)
    if not best and lines and not lines[0].strip():
        # Blank lines only, above a header without any of the delimiters tried.
        best = next((i for i, line in enumerate(lines) if line.strip()), 0)
    return best


def _csv_dialect(
    con: duckdb.DuckDBPyConnection,
    files: list[SourceFile],
    copies: tuple[str, ...],
    options: SourceOptions | None,
) -> _Dialect:
    copy_of = dict(zip(files, copies, strict=True)) if copies else {}
    seps = {_sep_line(f, copy_of.get(f)) for f in files}
    skip = 0
    if seps != {None}:
        if len(seps) > 1:
            raise ImportError_(
                "Some of the files begin with a 'sep=' line (Excel's note of the delimiter) "
                "and others do not, or name other delimiters.",
                "Import them separately.",
            )
        skip = 1
        sep = next(iter(seps))
        if not (options and options.delimiter):
            from shoplytics_desktop.core.ingest.mapping import SourceOptions

            options = (options or SourceOptions()).model_copy(update={"delimiter": sep})
    preamble: tuple[str, ...] = ()
    if not skip and not (options and options.names):
        above = {_preamble(f, copy_of.get(f)) for f in files}
        if len(above) == 1 and (skip := above.pop()):
            preamble = (f"The first {skip} line{'s' if skip > 1 else ''} of the file"
                        f"{'s' if len(files) > 1 else ''} (a title or blank lines above the "
                        "header) are not read.",)
    long_lines = False
    try:
        sniffs = _sniff_files(con, files, options, False, copy_of, skip)
    except ImportError_ as e:
        if "longer than" not in e.message:
            raise
        long_lines = True
        sniffs = _sniff_files(con, files, options, True, copy_of, skip)
    delimiter = (options.delimiter if options and options.delimiter else None) or _clean(
        sniffs[0]["Delimiter"]
    ) or ","
    # The sniffer reports no quote when the sample has none; quoted fields may still follow.
    quote = (options.quote if options and options.quote else None) or _clean(sniffs[0]["Quote"]) or '"'
    escape = (options.escape if options and options.escape else None) or _clean(sniffs[0]["Escape"]) or quote
    if options and options.quote == "":
        quote = escape = ""
    delims = {_clean(s["Delimiter"]) for s in sniffs}
    if len(delims) > 1 and not (options and options.delimiter):
        raise ImportError_(
            "The files use different delimiters: "
            + ", ".join(f"{f.path.name} ({_clean(s['Delimiter'])!r})" for f, s in zip(files, sniffs, strict=True)),
            "Import them separately, or set source.delimiter in a mapping file.",
        )
    headers = {tuple(c["name"] for c in s["Columns"]) for s in sniffs}
    union = len(headers) > 1
    notes = preamble + ((
        "The files' columns differ: they are read together by column name, and a file "
        "without a mapped column leaves it empty (import such files separately).",
    ) if union else ())
    return _Dialect(delimiter, quote, escape, union, long_lines, sniffs, notes, skip)


def _sniff_files(
    con: duckdb.DuckDBPyConnection,
    files: list[SourceFile],
    options: SourceOptions | None,
    long_lines: bool,
    copy_of: dict[SourceFile, str],
    skip: int = 0,
) -> list[dict[str, Any]]:
    """Each file's dialect. A file that begins with the first file's first line (the header of
    a daily export) shares its sniff: sniffing 90 such files one by one took a second."""
    first = _first_line(files[0]) if files[0] not in copy_of else None
    out: list[dict[str, Any]] = []
    for f in files:
        if out and first is not None and f not in copy_of and _first_line(f) == first:
            out.append(out[0])
        else:
            out.append(_sniff(con, f, options, long_lines, copy_of.get(f), skip))
    return out


def _first_line(f: SourceFile) -> bytes | None:
    """The file's first line, when it is a whole line of an uncompressed file."""
    if f.compressed:
        return None
    with f.path.open("rb") as fh:
        line = fh.readline(_FIRST_LINE_BYTES)
    return line.rstrip(b"\r\n") if line.endswith(b"\n") and line.strip() else None


#: How much of a file's first line is compared with the first file's.
_FIRST_LINE_BYTES = 1 << 16


def _with_lineage_names(
    con: duckdb.DuckDBPyConnection, info: SourceInfo, sniffs: list[Any] | None
) -> SourceInfo:
    """The readers add a file column (and Parquet's row number): named so as to meet no column
    of the source, which keeps all of its own. JSON's columns, described here to find those
    names, are kept for every later read."""
    described: list[tuple[str, str]] = []
    try:
        if sniffs is not None:
            own = [c["name"] for s in sniffs for c in s["Columns"]]
        else:
            described, info = _described(con, info)
            own = [n for n, _ in described]
    except (duckdb.Error, UnicodeDecodeError) as e:
        raise readers.read_error(e, info.display_name, info.format) from e
    return dataclasses.replace(
        info,
        file_column=readers.unique_name(readers.FILE_COLUMN, own),
        row_number="file_row_number" not in {n.lower() for n in own},
        # JSON's columns, detected once: every later read of the files takes them.
        json_columns=tuple(described) if info.format in ("json", "ndjson") else (),
    )


def _described(
    con: duckdb.DuckDBPyConnection, info: SourceInfo
) -> tuple[list[tuple[str, str]], SourceInfo]:
    """The columns the readers give (DESCRIBE). NDJSON with a damaged line among the objects is
    described again with such lines read as nulls (stage.py quarantines them): its first try
    runs in a cursor of its own, whose failure cannot end a transaction the caller has open."""
    def describe(c: duckdb.DuckDBPyConnection, i: SourceInfo) -> list[tuple[str, str]]:
        return [(str(r[0]), str(r[1])) for r in c.execute(
            f"DESCRIBE SELECT * FROM {i.reader_sql(lineage=False)}").fetchall()]

    if info.format != "ndjson" or info.json_ignore_errors:
        return describe(con, info), info
    with con.cursor() as own:
        try:
            return describe(own, info), info
        except duckdb.InvalidInputException as e:
            if "Malformed JSON" not in str(e):
                raise
    lenient = dataclasses.replace(info, json_ignore_errors=True)
    return describe(con, lenient), lenient


_DATA_NAME = re.compile(
    r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}"
    r"|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)


def _data_name(columns: list[SourceColumn]) -> str | None:
    """A header's name that is a timestamp or a UUID (a row's value, not a name), if any."""
    return next((c.name.strip() for c in columns if _DATA_NAME.match(c.name.strip())), None)


def _sampled_columns(
    con: duckdb.DuckDBPyConnection, info: SourceInfo, sniffs: list[Any] | None
) -> tuple[list[SourceColumn], list[Any]]:
    """The columns (nested fields flattened) with sample values, and the sampled rows."""
    reader = info.reader_sql()
    try:
        exclude = ", ".join(quote_ident(h) for h in info.hidden_columns)
        described = con.execute(f"DESCRIBE SELECT * EXCLUDE ({exclude}) FROM {reader}").fetchall()
        flat = _flatten(con, [(str(r[0]), str(r[1])) for r in described])
        names = [r[0] for r in described]
        sample_sql = (
            f"SELECT {', '.join(quote_ident(n) for n in names)} FROM {reader} LIMIT {SAMPLE_ROWS}"
        )
        sample = con.execute(sample_sql).fetchall()
    except (duckdb.Error, UnicodeDecodeError) as e:
        raise readers.read_error(e, info.display_name, info.format) from e
    sniffed = {c["name"]: c["type"] for s in sniffs for c in s["Columns"]} if sniffs else {}
    columns = []
    for path, typ in flat:
        idx = names.index(path[0])
        values = _column_samples(sample, idx, path)
        # For CSV, show the type the sniffer saw; the data itself is read as text.
        shown = sniffed.get(path[0], typ) if len(path) == 1 else typ
        columns.append(SourceColumn(".".join(path), shown, tuple(values), path, typ))
    return columns, sample


def _column_samples(sample: list[Any], idx: int, path: tuple[str, ...]) -> list[str]:
    values: list[str] = []
    for row in sample:
        for v in _sample_values(row[idx], path[1:]):
            if v is None or (isinstance(v, str) and not v.strip()):
                continue
            s = str(v)
            if s not in values:
                values.append(s[:200])
            if len(values) >= SAMPLES_PER_COLUMN:
                return values
    return values


def _row_estimate(con: duckdb.DuckDBPyConnection, info: SourceInfo, fmt: str) -> int | None:
    if fmt == "parquet":
        row = con.execute(
            f"SELECT sum(num_rows) FROM parquet_file_metadata({readers.path_list(info.paths)})"
        ).fetchone()
        return int(row[0]) if row and row[0] is not None else None
    total = 0
    for f in info.files:
        if f.compressed:
            return None
        with f.path.open("rb") as fh:
            head = fh.read(1024 * 1024)
        lines = head.count(b"\n")
        if lines == 0:
            total += 1
            continue
        per_line = len(head) / lines
        total += int(f.size / per_line) - (1 if fmt == "csv" and info.header else 0)
    return max(total, 0)
