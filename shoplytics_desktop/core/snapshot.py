"""Snapshots: a read-only copy of a workspace that another process holds.

DuckDB takes an exclusive file lock for a writer, and on Linux a read-only open is refused while
another process holds the file too. A snapshot copies ``warehouse.duckdb`` (with its write-ahead
log, so the writer's committed rows are in it) and ``settings.json`` to a fresh temporary folder
and opens the copy read-only. The original is only read. Closing the snapshot deletes the copy,
and only the copy: a folder this module made.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from shoplytics_desktop.core.backups import DB_FILE
from shoplytics_desktop.core.errors import WorkspaceError
from shoplytics_desktop.core.filecopy import copy_file
from shoplytics_desktop.core.workspace import Workspace

#: The name every snapshot folder starts with (in the system's temporary folder).
PREFIX = "shoplytics-snapshot-"
_FILES = (DB_FILE, DB_FILE + ".wal", "settings.json")


def copy_workspace(folder: Path, into: Path | None = None) -> Path:
    """Copy the workspace's database (and its WAL and settings) to a fresh temporary folder
    (made under ``into`` if given); that folder."""
    if not (folder / DB_FILE).is_file():
        raise WorkspaceError(
            f"There is no workspace database in {folder} to take a snapshot of.",
            "Open the workspace folder itself (the one holding warehouse.duckdb).",
        )
    try:
        target = Path(tempfile.mkdtemp(prefix=PREFIX, dir=into))
    except OSError as e:
        raise WorkspaceError(
            f"Cannot make a folder for a snapshot: {e.strerror}.",
            "Check there is room in the temporary folder, or open another workspace.",
        ) from e
    for name in _FILES:
        src = folder / name
        if src.exists():
            try:
                copy_file(src, target / name)
            except OSError as e:
                shutil.rmtree(target, ignore_errors=True)
                raise WorkspaceError(
                    f"Cannot copy {src} for a snapshot: {e.strerror}.",
                    "Check there is room in the temporary folder, or open another workspace.",
                ) from e
    return target


def open_snapshot(folder: Path, into: Path | None = None) -> Workspace:
    """A read-only workspace on a fresh copy of ``folder``; ``snapshot_of`` names the
    original. Close it with ``close``, which deletes the copy."""
    copy = copy_workspace(folder, into)
    try:
        ws = Workspace.open(copy, read_only=True)
    except BaseException:
        shutil.rmtree(copy, ignore_errors=True)
        raise
    ws.snapshot_of = folder
    return ws


def is_snapshot(ws: Workspace) -> bool:
    return ws.snapshot_of is not None


def shown_folder(ws: Workspace) -> Path:
    """The folder the user opened: the original of a snapshot, else the workspace's own."""
    return ws.snapshot_of or ws.folder


def close(ws: Workspace) -> None:
    """Close a workspace; a snapshot's copy is deleted with it (never the original, and never
    a folder this module did not make)."""
    ws.close()
    if ws.snapshot_of is not None and ws.folder.name.startswith(PREFIX) and (
        ws.folder.resolve() != ws.snapshot_of.resolve()
    ):
        shutil.rmtree(ws.folder, ignore_errors=True)
