"""What an import leaves behind when its process dies (kill -9, a crash, power loss), cleared the
next time a writer opens the workspace.

- DuckDB's spill files in the workspace's own ``tmp/`` folder (``duckdb_temp_*``): DuckDB
  removes them when it ends normally, never after a kill. Only the workspace's own folder is
  cleared: a ``temp_directory`` setting may name a folder other programs share.
- The import's reserve file (``RESERVE_FILE``, made by ``load`` while it imports), and a backup
  copy cut short (``warehouse.duckdb.bak.partial``).
- UTF-8 copies of converted files (``transcode``), in folders named after the process that made
  them, cleared once that process is gone.
- Space a failed import could not give back while it ran (``load._give_space_back``): a marker
  asks for it, and it is given back now, when no transaction of the old process holds it.

Opening as the writer holds the workspace's lock, so no other process is using these files.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

import duckdb

#: A failed import could not shrink the database file: do it on the next writer open.
RECLAIM_MARKER = ".reclaim-space"
#: Room kept free while an import runs, so that a failed one can give back what it took
#: (``load._make_reserve``).
RESERVE_FILE = ".import-reserve"
_SPILL_PREFIX = "duckdb_temp_"


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists, owned by someone else
    return True


def stale_text_folders(root: Path | None = None) -> list[Path]:
    """Conversion folders (``shoplytics-text-<pid>-…``) whose process is gone."""
    from shoplytics_desktop.core.ingest.transcode import FOLDER_PREFIX

    base = root or Path(tempfile.gettempdir())
    out = []
    with contextlib.suppress(OSError):
        for entry in base.iterdir():
            if not entry.name.startswith(FOLDER_PREFIX) or not entry.is_dir():
                continue
            pid_text = entry.name[len(FOLDER_PREFIX):].split("-", 1)[0]
            if pid_text.isdigit() and not _alive(int(pid_text)):
                out.append(entry)
    return out


def clean_leftovers(folder: Path, con: duckdb.DuckDBPyConnection, own_tmp: bool) -> list[Path]:
    """Remove what dead imports left (see the module docstring); returns what was removed.
    Call right after opening the workspace as its writer, before anything spills."""
    removed: list[Path] = []
    tmp = folder / "tmp"
    if own_tmp and tmp.is_dir():
        with contextlib.suppress(OSError):
            for entry in tmp.iterdir():
                if entry.name.startswith(_SPILL_PREFIX) and entry.is_file():
                    with contextlib.suppress(OSError):
                        entry.unlink()
                        removed.append(entry)
    # The import's reserve, and a backup copy a killed process did not finish (as big as the
    # database; the previous backup is untouched until a copy is complete).
    for left in (folder / RESERVE_FILE, folder / "warehouse.duckdb.bak.partial"):
        if left.exists():
            with contextlib.suppress(OSError):
                left.unlink()
                removed.append(left)
    for stale in stale_text_folders():
        shutil.rmtree(stale, ignore_errors=True)
        if not stale.exists():
            removed.append(stale)
    marker = folder / RECLAIM_MARKER
    if marker.exists():
        # Only then the importer: opening a workspace does without it.
        from shoplytics_desktop.core.ingest.load import reclaim_space

        reclaim_space(con)
        with contextlib.suppress(OSError):
            marker.unlink()
    return removed
