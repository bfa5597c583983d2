"""Text files that are not UTF-8, made UTF-8 for DuckDB's readers.

DuckDB reads UTF-8 (and strict Latin-1) text only. Files from Windows and Excel are usually
Windows-1252: Latin-1 plus curly quotes, dashes and the euro sign in bytes 0x80–0x9F, which
DuckDB's Latin-1 reader refuses for the whole file. Such a file is decoded here, streaming in
1 MB chunks, into a UTF-8 copy in a private temporary folder (removed when the process ends);
the readers read the copy and report the original file's name (see ``SourceInfo``).

The five bytes Windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) decode as Latin-1
would (to U+0081 …), so no byte is lost and every file decodes.
"""

from __future__ import annotations

import atexit
import codecs
import gzip
import itertools
import os
import shutil
import tempfile
import threading
import zlib
from pathlib import Path

from shoplytics_desktop.core.errors import ImportError_

CHUNK_BYTES = 1024 * 1024
_ERRORS = "shoplytics-latin1"


def _as_latin1(err: UnicodeError) -> tuple[str, int]:
    if not isinstance(err, UnicodeDecodeError):
        raise err
    return err.object[err.start : err.end].decode("latin-1"), err.end


codecs.register_error(_ERRORS, _as_latin1)

_lock = threading.Lock()
_folder_lock = threading.Lock()
_folder: Path | None = None
_copies: dict[tuple[str, int, int, str], Path] = {}
_counter = itertools.count(1)


#: Conversion folders are named ``shoplytics-text-<pid>-…``: a process that dies without its
#: atexit cleanup (kill -9) leaves its folder, which ``leftovers`` removes once the pid is gone.
FOLDER_PREFIX = "shoplytics-text-"


def scratch_folder() -> Path:
    """The process's private temporary folder for files the readers read instead of the
    user's (UTF-8 copies, files unpacked from an archive)."""
    global _folder
    with _folder_lock:
        if _folder is None or not _folder.exists():
            _folder = Path(tempfile.mkdtemp(prefix=f"{FOLDER_PREFIX}{os.getpid()}-"))
            atexit.register(shutil.rmtree, _folder, True)
        return _folder


def codec_name(encoding: str) -> str:
    """Python's name for an encoding a mapping file may give (e.g. 'windows-1252')."""
    try:
        return codecs.lookup(encoding).name
    except LookupError as e:
        raise ImportError_(
            f"Unknown text encoding '{encoding}'.",
            "Use utf-8, cp1252 (Windows, Excel), latin-1 or utf-16 in source.encoding.",
        ) from e


def utf8_copy(path: Path, encoding: str, compressed: bool) -> Path:
    """A UTF-8 copy of ``path`` (decompressed), made once per file version and encoding."""
    codec = codec_name(encoding)
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns, codec)
    with _lock:
        done = _copies.get(key)
        if done is not None and done.exists():
            return done
        name = path.name.removesuffix(".gz").removesuffix(".GZ")
        out = scratch_folder() / f"{next(_counter)}-{name}"
    decoder = codecs.getincrementaldecoder(codec)(errors=_ERRORS)
    try:
        opener = gzip.open if compressed else open
        with opener(path, "rb") as src, out.open("w", encoding="utf-8", newline="") as dst:
            while chunk := src.read(CHUNK_BYTES):
                dst.write(decoder.decode(chunk))
            dst.write(decoder.decode(b"", final=True))
    except (EOFError, zlib.error, gzip.BadGzipFile) as e:
        out.unlink(missing_ok=True)
        raise ImportError_(
            f"{path} is a truncated or damaged gzip file ({e}).",
            "Download or export it again, or import the uncompressed file.",
        ) from e
    except OSError as e:
        out.unlink(missing_ok=True)
        raise ImportError_(
            f"Cannot convert {path} from {codec} to UTF-8: {e.strerror or e}.",
            "Free some disk space in the temporary folder, or save the file as UTF-8.",
        ) from e
    with _lock:
        _copies[key] = out
    return out
