"""Zip archives of event files, read as the files they hold.

Some exports come zipped: Amplitude's Export API returns one zip of gzipped JSON files, an hour
each; other tools zip a folder of daily CSVs. DuckDB's readers cannot look inside a zip, so an
archive's data files are copied out once (as they are: a ``.json.gz`` member stays gzip) into the
import's private temporary folder (``transcode.scratch_folder``, removed when the process ends,
and by ``leftovers`` after a kill) and read from there. Everything the user sees names them as
``<archive>/<member>``: previews, errors, each row's source file.

Members are written under names of our own making (a numbered folder each, holding the member's
base name), never under the paths the archive gives, so an archive cannot write outside the
folder (``../`` or absolute names).
"""

from __future__ import annotations

import itertools
import shutil
import threading
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from shoplytics_desktop.core.errors import ImportError_

ARCHIVE_SUFFIXES = (".zip",)

_lock = threading.Lock()
_extracted: dict[tuple[str, int, int], list[Path]] = {}
_labels: dict[str, str] = {}
_archive_of: dict[str, Path] = {}
_counter = itertools.count(1)


def is_archive(path: Path) -> bool:
    return path.suffix.lower() in ARCHIVE_SUFFIXES


def label(path: Path) -> str | None:
    """``<archive>/<member>`` for a file copied out of an archive, else None."""
    return _labels.get(str(path))


def archive_of(path: Path) -> Path | None:
    """The archive a file was copied out of, else None."""
    return _archive_of.get(str(path))


def _member_name(name: str) -> str:
    return name.replace("\\", "/").rsplit("/", 1)[-1]


def _wanted(info: zipfile.ZipInfo) -> bool:
    from shoplytics_desktop.core.ingest.sources import is_data_file

    if info.is_dir():
        return False
    parts = PurePosixPath(info.filename.replace("\\", "/")).parts
    # macOS adds __MACOSX/ resource forks and .DS_Store files to the zips it makes.
    if any((p.startswith(".") and p not in (".", "..")) or p == "__MACOSX" for p in parts):
        return False
    return is_data_file(Path(_member_name(info.filename)))


def unread_members(path: Path) -> list[tuple[str, str]]:
    """The archive's members that look like data but are not read, with why (a zip inside it
    is not opened)."""
    from shoplytics_desktop.core.ingest.sources import unread_reason

    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        return []  # data_files says what is wrong with it
    out = []
    for info in sorted(infos, key=lambda i: i.filename):
        parts = PurePosixPath(info.filename.replace("\\", "/")).parts
        if info.is_dir() or any(p.startswith(".") or p == "__MACOSX" for p in parts):
            continue
        name = _member_name(info.filename)
        why = ("a zip inside the zip: unpack it and import its files" if is_archive(Path(name))
               else unread_reason(name))
        if why:
            out.append((info.filename, why))
    return out


def data_files(path: Path) -> list[Path]:
    """The archive's data files, copied out (once per version of the archive), in name order."""
    from shoplytics_desktop.core.ingest.transcode import scratch_folder

    try:
        stat = path.stat()
    except OSError as e:
        raise ImportError_(f"Cannot read {path}: {e.strerror}.",
                           "Check that the file exists and is readable.") from e
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    with _lock:
        done = _extracted.get(key)
        if done is not None and all(p.exists() for p in done):
            return list(done)
        folder = scratch_folder() / f"zip-{next(_counter)}"
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as e:
        raise ImportError_(
            f"{path} is not a readable zip archive ({e}).",
            "Download or export it again; the file was probably cut short while copying.",
        ) from e
    out: list[Path] = []
    labels: dict[str, str] = {}
    current = ""
    try:
        with archive:
            members = sorted((i for i in archive.infolist() if _wanted(i)),
                             key=lambda i: i.filename)
            if not members:
                raise ImportError_(
                    f"The zip archive {path} holds no data files (.csv, .tsv, .txt, .json, "
                    ".ndjson, .parquet, optionally .gz).",
                    "Check that it is the export you meant, or unpack it and import its files.",
                )
            for n, info in enumerate(members, 1):
                current = info.filename
                target = folder / str(n) / _member_name(info.filename)
                target.parent.mkdir(parents=True)
                with archive.open(info) as src, target.open("wb") as dst:
                    shutil.copyfileobj(src, dst, 1024 * 1024)
                out.append(target)
                labels[str(target)] = f"{path}/{info.filename}"
    except (ImportError_, RuntimeError, OSError, zipfile.BadZipFile, zlib.error,
            NotImplementedError, EOFError, ValueError) as e:
        shutil.rmtree(folder, ignore_errors=True)
        if isinstance(e, ImportError_):
            raise
        raise _unpack_error(path, e, current) from e
    with _lock:
        _extracted[key] = out
        _labels.update(labels)
        _archive_of.update(dict.fromkeys(labels, path))
    return list(out)


def _unpack_error(path: Path, e: Exception, member: str) -> ImportError_:
    if isinstance(e, RuntimeError):
        # zipfile's word for an encrypted member without a password.
        return ImportError_(f"{path} is password-protected ({e}).",
                            "Unpack it with its password and import the files it holds.")
    if isinstance(e, OSError) and not isinstance(e, zipfile.BadZipFile):
        return ImportError_(
            f"Cannot unpack {path}: {e.strerror or e}.",
            "Free some disk space in the temporary folder, or unpack it and import its files.")
    return ImportError_(
        f"{path} is a damaged zip archive, or packed in a way it cannot be read "
        f"({e}{'; in ' + member if member else ''}).",
        "Download or export it again, or unpack it and import the files it holds.")
