"""Finding the files of an import and telling what each one is, from its first bytes.

Only a small sample of each file is read here (magic bytes, the first 64 KB of text): the data
itself streams through DuckDB's readers later.
"""

from __future__ import annotations

import glob
import gzip
import os
import unicodedata
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from shoplytics_desktop.core.errors import ImportError_
from shoplytics_desktop.core.ingest import archives

Format = Literal["csv", "json", "ndjson", "parquet"]
FORMATS: tuple[str, ...] = ("csv", "json", "ndjson", "parquet")

SAMPLE_BYTES = 64 * 1024
_TEXT_SUFFIXES = {".csv", ".tsv", ".txt", ".psv", ".tab", ".json", ".jsonl", ".ndjson"}
_DATA_SUFFIXES = _TEXT_SUFFIXES | {".parquet", ".pq", ".gz"}


@dataclass(frozen=True)
class SourceFile:
    """One input file and what its first bytes say about it."""

    path: Path
    format: Format
    compressed: bool
    encoding: str
    size: int
    #: What the user knows the file as, where ``path`` is a copy: ``<archive>/<member>``.
    label: str | None = None

    @property
    def shown(self) -> str:
        return self.label or str(self.path)


def resolve_paths(items: Sequence[str | Path], open_archives: bool = True) -> list[Path]:
    """Files named directly, the data files of a folder and its subfolders, or the matches of a
    glob, in order; a zip archive as the data files it holds (``open_archives``, see
    ``archives``), else as itself."""
    out: list[Path] = []
    for item in items:
        text = str(item)
        path = Path(text).expanduser()
        if path.is_dir():
            found = folder_files(path)
            if not found:
                raise ImportError_(
                    f"The folder {path} holds no data files (.csv, .tsv, .txt, .json, .ndjson, "
                    ".parquet, optionally .gz, or .zip archives of them; README and LICENSE "
                    "files are not data).",
                    "Point at the files themselves or at another folder.",
                )
            out.extend(found)
        elif path.is_file():
            out.append(path)
        elif path.exists():
            raise ImportError_(
                f"{path} is not a file on disk (a device or a pipe): an import reads files.",
                "Save the data to a file and import that.",
            )
        elif any(ch in text for ch in "*?["):
            matches = sorted(Path(p) for p in glob.glob(str(path), recursive=True))
            files = [p for p in matches if p.is_file()]
            if not files:
                raise ImportError_(f"No file matches {text}.", "Check the pattern and the folder.")
            out.extend(files)
        else:
            raise ImportError_(f"The file {text} does not exist.", "Check the path and try again.")
    # The same file named twice (a glob and a name) would be imported twice.
    seen: set[Path] = set()
    unique = []
    for p in out:
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(p)
    if not open_archives:
        return unique
    return [f for p in unique for f in (archives.data_files(p) if archives.is_archive(p) else [p])]


def folder_files(folder: Path) -> list[Path]:
    """The data files and zip archives in a folder and its subfolders, by path: exports land in
    dated folders (Segment's and Snowplow's buckets, ``events_20240101/``, Spark's ``part-``
    files). Hidden files and folders are skipped, as are the ``_SUCCESS``/``.crc`` markers and
    README files beside the data."""
    found = [p for p in _visible_files(folder) if is_data_file(p) or archives.is_archive(p)]
    return sorted(found, key=lambda p: p.relative_to(folder).parts)


def _visible_files(folder: Path) -> Iterator[Path]:
    """The files of a folder and its subfolders, without hidden ones and macOS's __MACOSX."""
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__MACOSX")
        here = Path(root)
        yield from (p for p in (here / n for n in sorted(names))
                    if not p.name.startswith(".") and p.is_file())


#: Files a folder or zip archive of exports may hold that look like data but that no reader here
#: reads, with what to do about each.
_UNREAD = {
    ".xlsx": "an Excel workbook: save it as CSV", ".xls": "an Excel workbook: save it as CSV",
    ".xlsm": "an Excel workbook: save it as CSV", ".ods": "a spreadsheet: save it as CSV",
    ".numbers": "a spreadsheet: save it as CSV",
    ".bz2": "bzip2: unpack it, or compress it with gzip", ".xz": "xz: unpack it",
    ".zst": "zstd: unpack it", ".7z": "a 7-Zip archive: unpack it",
    ".rar": "a RAR archive: unpack it", ".tar": "a tar archive: unpack it",
    ".tgz": "a tar archive: unpack it", ".avro": "Avro: export it as Parquet or CSV",
    ".orc": "ORC: export it as Parquet or CSV",
}
_SHOWN_UNREAD = 5


def unread_note(items: Sequence[str | Path]) -> list[str]:
    """A note naming the files of the folders and zip archives given that look like data but
    are not read (an .xlsx beside the CSVs, a .csv.bz2, a zip inside the zip), so that none is
    left out without a word."""
    found: list[str] = []
    for item in items:
        path = Path(str(item)).expanduser()
        if path.is_dir():
            found += [f"{f.relative_to(path)} ({why})" for f in _visible_files(path)
                      if (why := unread_reason(f.name))]
        elif path.is_file() and archives.is_archive(path):
            found += [f"{path.name}/{m} ({why})" for m, why in archives.unread_members(path)]
    if not found:
        return []
    more = f" and {len(found) - _SHOWN_UNREAD} more" if len(found) > _SHOWN_UNREAD else ""
    return [f"Not read: {', '.join(found[:_SHOWN_UNREAD])}{more}."]


def unread_reason(name: str) -> str | None:
    """Why a file of this name is not read, where it looks like data (see ``_UNREAD``)."""
    return _UNREAD.get(Path(name).suffix.lower())


#: Text files an export folder often holds beside its data (README.txt …): not data.
_NOT_DATA_STEMS = {"readme", "license", "licence", "changelog", "notes", "manifest"}


def is_data_file(path: Path) -> bool:
    """Whether a file's name says it holds data we read (not a README beside it)."""
    return (path.suffix.lower() in _DATA_SUFFIXES
            and path.name.lower().split(".")[0] not in _NOT_DATA_STEMS)


def _read_head(path: Path, name: str | Path) -> tuple[bytes, bool]:
    """The first bytes of the file's content (decompressed when gzip) and whether it is gzip."""
    try:
        with path.open("rb") as fh:
            raw = fh.read(SAMPLE_BYTES)
    except OSError as e:
        raise ImportError_(
            f"Cannot read {name}: {e.strerror}.", "Check that the file exists and is readable."
        ) from e
    if raw[:2] != b"\x1f\x8b":
        return raw, False
    try:
        # A decompressobj returns what it can from a prefix, without needing the whole stream.
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(raw, SAMPLE_BYTES), True
    except zlib.error as e:
        raise ImportError_(
            f"{name} is a damaged gzip file ({e}).",
            "Download or export it again, or import the uncompressed file.",
        ) from e


def check_gzip_complete(path: Path, name: str | Path | None = None) -> None:
    """Fail early, with a clear message, on a gzip file that was cut short.

    Decompressing costs about as much as DuckDB's own read, so only small files are checked here;
    a truncated large file is reported when DuckDB's reader hits its end.
    """
    if path.stat().st_size > 64 * 1024 * 1024:
        return
    try:
        with gzip.open(path, "rb") as fh:
            while fh.read(4 * 1024 * 1024):
                pass
    except (EOFError, OSError, zlib.error) as e:
        raise ImportError_(
            f"{name or path} is a truncated or damaged gzip file ({e}).",
            "Download or export it again, or import the uncompressed file.",
        ) from e


def _looks_binary(sample: bytes) -> bool:
    # NUL bytes after the text only (a copy that was cut short and padded, a disk image's
    # preallocated file) are padding, which the readers pass over: the text is the data.
    sample = sample[:8192].rstrip(b"\x00") if len(sample) <= 8192 else sample[:8192]
    if not sample:
        return False
    if b"\x00" in sample:
        # UTF-16 text has NULs too, but DuckDB reads it only with an explicit encoding; treat it
        # as not-a-data-file rather than guess.
        return True
    control = sum(1 for b in sample[:8192] if b < 9 or 13 < b < 32)
    return control / min(len(sample), 8192) > 0.05


def _utf16_without_bom(sample: bytes) -> str | None:
    """'utf-16-le' or 'utf-16-be' for text of that encoding without its byte-order mark (ASCII
    characters then have a NUL byte beside each): its NULs would read as binary data."""
    even, odd = sample[0:4096:2], sample[1:4096:2]
    if len(odd) < 16:
        return None
    for zeros, text, codec in ((odd, even, "utf-16-le"), (even, odd, "utf-16-be")):
        if zeros.count(0) > 0.9 * len(zeros) and text.count(0) == 0:
            return codec
    return None


def _unlikely_text(text: str) -> bool:
    """Decoded text with many unassigned, private or control characters is not a data file."""
    sample = text[:4096]
    odd = sum(
        1
        for c in sample
        if c == "\ufffd" or (c not in "\t\r\n" and unicodedata.category(c) in ("Cc", "Cn", "Co", "Cs"))
    )
    return odd > 0.05 * max(len(sample), 1)


def _encoding(sample: bytes) -> str:
    """utf-8 when the sample decodes as UTF-8 (a cut multibyte character at its end is fine),
    or when it holds more UTF-8 characters beyond ASCII than bytes UTF-8 cannot read: a UTF-8
    file with a stray Windows-1252 line stays UTF-8 (that line is quarantined with its reason)
    rather than every other accented character being read wrongly."""
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as e:
        if e.start >= len(sample) - 3 and e.reason == "unexpected end of data":
            return "utf-8"
        text = sample[:-3].decode("utf-8", errors="replace")
        unread = text.count("\ufffd")
        if sum(1 for c in text if c > "\x7f") - unread > unread:
            return "utf-8"
        # Windows-1252 (Latin-1 plus curly quotes, dashes, €) decodes every byte (see
        # transcode.py); western-European and Excel exports are the usual non-UTF-8 files.
        return "cp1252"


def _text_format(path: Path, text: str) -> Format:
    stripped = text.lstrip("\ufeff \t\r\n")
    name = path.name.lower().removesuffix(".gz")
    if stripped.startswith("["):
        return "json"
    if stripped.startswith("{"):
        first = stripped.split("\n", 1)[0].strip()
        if first == "{" or _objects_follow(first):
            # Objects one after another, pretty-printed over lines (jq's output) or several on
            # a line: not one per line, whatever the name says; the JSON reader reads them.
            return "json"
        return "ndjson" if first.endswith("}") or name.endswith((".jsonl", ".ndjson")) else "json"
    return "csv"


def _objects_follow(line: str) -> bool:
    """Whether one JSON object ends and the next begins on ``line`` (``}{``, outside strings)."""
    in_string = escaped = False
    last = ""
    for ch in line:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            continue
        if ch == '"':
            in_string = True
        elif ch == "{" and last == "}":
            return True
        if not ch.isspace():
            last = ch
    return False


def describe_file(path: Path, forced: Format | None = None) -> SourceFile:
    """Format, compression and encoding of one file, or a clear error for what cannot be read."""
    size = path.stat().st_size
    label = archives.label(path)
    name = label or path
    if size == 0:
        raise ImportError_(f"{name} is empty (0 bytes).", "Export the data again and import that file.")
    head, compressed = _read_head(path, name)
    if head[:4] == b"PAR1" and not compressed:
        with path.open("rb") as fh:
            fh.seek(max(0, size - 4))
            tail = fh.read(4)
        if tail != b"PAR1":
            raise ImportError_(
                f"{name} is a damaged or incomplete Parquet file (no footer).",
                "Export it again; the file was probably cut short while copying.",
            )
        return SourceFile(path, forced or "parquet", False, "utf-8", size, label)
    if compressed and not head:
        raise ImportError_(f"{name} is an empty gzip file.", "Export the data again.")
    if compressed:
        check_gzip_complete(path, name)
    if forced == "parquet":
        raise ImportError_(f"{name} is not a Parquet file.", "Drop the --format option or fix it.")
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        # UTF-16 with its byte-order mark: Excel's "Unicode Text" export (tab-separated).
        text = head[: len(head) // 2 * 2].decode("utf-16", errors="replace")
        if not text.strip("\ufeff \t\r\n"):
            raise ImportError_(f"{name} holds only blank space.", "Export the data again.")
        if _unlikely_text(text):
            raise ImportError_(
                f"{name} does not look like a CSV, JSON or Parquet file (it holds binary data).",
                "Import a CSV/TSV, JSON, NDJSON or Parquet export (optionally gzip-compressed).",
            )
        return SourceFile(path, forced or _text_format(path, text), compressed, "utf-16", size,
                          label)
    bomless = _utf16_without_bom(head)
    if bomless:
        text = head[: len(head) // 2 * 2].decode(bomless, errors="replace")
        if text.strip() and not _unlikely_text(text):
            return SourceFile(path, forced or _text_format(path, text), compressed, bomless, size,
                              label)
    if _looks_binary(head):
        why = unread_reason(str(name)) or (
            "an Excel workbook: save it as CSV" if head[:4] == b"PK\x03\x04" and
            b"xl/" in head[:4096] else None)
        raise ImportError_(
            f"{name} is {why}." if why else
            f"{name} does not look like a CSV, JSON or Parquet file (it holds binary data).",
            "Import a CSV/TSV, JSON, NDJSON or Parquet export (optionally gzip-compressed).",
        )
    encoding = _encoding(head)
    text = head.decode(encoding, errors="replace")
    if not text.strip():
        raise ImportError_(f"{name} holds only blank space.", "Export the data again.")
    return SourceFile(path, forced or _text_format(path, text), compressed, encoding, size, label)


def describe_files(paths: list[Path], forced: Format | None = None) -> list[SourceFile]:
    files = [describe_file(p, forced) for p in paths]
    kinds = {("json" if f.format == "ndjson" else f.format) for f in files}
    if len(kinds) > 1:
        listing = ", ".join(f"{Path(f.shown).name} ({f.format})" for f in files)
        raise ImportError_(
            f"One import takes files of one format, but these differ: {listing}.",
            "Import each format separately.",
        )
    return files
