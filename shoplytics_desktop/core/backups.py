"""Backups of a workspace's database, and restoring one.

Every destructive operation (deleting a batch, replacing data, switching the model project,
restoring) first takes a *verified* backup: a copy of the checkpointed database, written under a
temporary name (a copy-on-write clone where the file system makes one: filecopy.py), opened
read-only to prove it is a workspace database, then renamed to ``warehouse.duckdb.bak``.
Restoring refuses a backup that does not open, takes the workspace's lock for the whole swap,
and keeps the database it replaces as a timestamped copy that no later restore overwrites.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb

from shoplytics_desktop.core.errors import WorkspaceError, WorkspaceLockedError, count_of
from shoplytics_desktop.core.filecopy import copy_file
from shoplytics_desktop.core.sqlutil import quote_literal

DB_FILE = "warehouse.duckdb"
BACKUP_FILE = DB_FILE + ".bak"
#: A database a restore replaced: ``warehouse.duckdb.replaced-<UTC time>`` (plus its WAL).
REPLACED_PREFIX = DB_FILE + ".replaced-"
_HEADER_BYTES = 3 * 4096
_INTERNAL = "_shoplytics"


@dataclass(frozen=True)
class DatabaseFacts:
    """What a database file holds, read from a read-only open of it."""

    path: Path
    events: int
    batches: int
    last_batch: dt.datetime | None
    modified: dt.datetime

    def describe(self) -> str:
        when = f", last import {self.last_batch:%Y-%m-%d %H:%M} UTC" if self.last_batch else ""
        return (
            f"{self.events:,} events in {count_of(self.batches, 'batch', 'batches')}{when}; "
            f"file written {self.modified:%Y-%m-%d %H:%M}"
        )


def _looks_like_duckdb(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            head = fh.read(_HEADER_BYTES)
    except OSError:
        return False
    return len(head) == _HEADER_BYTES and head[8:12] == b"DUCK"


def inspect_database(path: Path) -> DatabaseFacts:
    """Open ``path`` read-only (on its own DuckDB instance) and count what it holds. Raises
    WorkspaceError if it is not a workspace database that opens."""
    if not path.is_file():
        raise WorkspaceError(f"{path} does not exist or is not a file.")
    if not _looks_like_duckdb(path):
        raise WorkspaceError(f"{path} is not a DuckDB database (or it is damaged).")
    con = duckdb.connect(":memory:")
    try:
        # Absolute: a relative name such as md:x or s3://x would name a service (see Workspace).
        con.execute(f"ATTACH {quote_literal(os.path.abspath(path))} AS b (READ_ONLY)")
        tables = {
            f"{s}.{t}"
            for s, t in con.execute(
                "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'b'"
            ).fetchall()
        }
        if not {"raw.events", f"{_INTERNAL}.batches", f"{_INTERNAL}.meta"} <= tables:
            raise WorkspaceError(f"{path} is a DuckDB database but not a Shoplytics workspace.")
        events_row = con.execute("SELECT count(*) FROM b.raw.events").fetchone()
        batch_row = con.execute(
            f"SELECT count(DISTINCT batch_id), max(finished_at) FROM b.{_INTERNAL}.batches "
            "WHERE status = 'loaded'"
        ).fetchone()
    except duckdb.Error as e:
        if "lock" in str(e).lower():
            raise WorkspaceLockedError(
                f"{path} is in use by another Shoplytics process.",
                "Close it there (or wait for its import or run to finish), then try again.",
            ) from e
        raise WorkspaceError(
            f"{path} does not open as a workspace database: {str(e).splitlines()[0]}"
        ) from e
    finally:
        con.close()
    modified = dt.datetime.fromtimestamp(path.stat().st_mtime)
    return DatabaseFacts(
        path=path,
        events=int(events_row[0]) if events_row else 0,
        batches=int(batch_row[0]) if batch_row and batch_row[0] else 0,
        last_batch=batch_row[1] if batch_row else None,
        modified=modified,
    )


def write_backup(con: duckdb.DuckDBPyConnection, db_path: Path) -> Path:
    """Checkpoint the open database ``con`` works on and copy it to ``warehouse.duckdb.bak``
    beside it, verified to open before it replaces the previous backup."""
    folder = db_path.parent
    target = folder / BACKUP_FILE
    partial = folder / (BACKUP_FILE + ".partial")
    try:
        con.execute("CHECKPOINT")
        copy_file(db_path, partial)
        inspect_database(partial)
        os.replace(partial, target)
    except OSError as e:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        denied = e.errno in (errno.EACCES, errno.EPERM, errno.EROFS)
        raise WorkspaceError(
            f"Could not back up the workspace before changing it: {e.strerror}.",
            ("Make the workspace folder writable" if denied else "Free some disk space")
            + " and try again; nothing was changed.",
        ) from e
    except (WorkspaceError, duckdb.Error) as e:
        partial.unlink(missing_ok=True)
        raise WorkspaceError(
            f"The backup of the workspace could not be verified ({e}).",
            "Nothing was changed. Check the disk, then try again.",
        ) from e
    return target


@contextlib.contextmanager
def _exclusive(db_path: Path) -> Iterator[None]:
    """Hold the lock DuckDB's writer takes on the database file (a POSIX record lock on the
    whole file), so no other process can open the workspace while it is swapped, and refuse
    if another process has it open, even read-only. The caller must not have the file open
    itself: closing any descriptor of a file drops every POSIX lock this process holds on it."""
    if sys.platform == "win32" or not db_path.is_file():
        # Windows: DuckDB's exclusive open keeps the file from being renamed while in use.
        yield
        return
    import fcntl

    fd = os.open(db_path, os.O_RDWR)
    try:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            raise WorkspaceLockedError(
                f"The workspace {db_path.parent} is in use by another Shoplytics process.",
                "Close it there (or wait for its import or run to finish), then restore again.",
            ) from e
        yield
    finally:
        os.close(fd)


def _free_name(folder: Path, stem: str) -> Path:
    path = folder / stem
    n = 2
    while path.exists() or Path(str(path) + ".wal").exists():
        path = folder / f"{stem}-{n}"
        n += 1
    return path


@dataclass(frozen=True)
class RestoreResult:
    database: Path
    kept_as: Path | None  # where the replaced database now is (None: there was none)
    restored: DatabaseFacts


def finish_interrupted_restore(folder: Path) -> str | None:
    """Settle a restore a killed process left half done (``restore_backup`` renames the WAL,
    then the database, then the copy of the backup into place); what was done, or None. Call
    before opening the workspace's database.

    - The database is gone and the backup's copy is there: the renames had begun, so the copy
      was complete; it is put in place (the replaced database is kept as named).
    - The database is there but its WAL was moved aside alone: the WAL goes back, so the last
      writes are not lost; the restore did not happen (the copy is removed).
    - Otherwise a copy cut short: removed."""
    db, incoming = folder / DB_FILE, folder / (DB_FILE + ".restoring")
    wal = folder / (DB_FILE + ".wal")
    if not incoming.exists():
        return None
    if not db.exists():
        os.replace(incoming, db)
        return "finished the interrupted restore of the backup"
    orphans = sorted(w for w in folder.glob(REPLACED_PREFIX + "*.wal")
                     if not Path(str(w)[: -len(".wal")]).exists())
    if orphans and not wal.exists():
        try:
            with _exclusive(db):
                os.replace(orphans[-1], wal)
                incoming.unlink(missing_ok=True)
        except WorkspaceLockedError:
            return None  # another process has it open (maybe restoring it right now)
        return "undid an interrupted restore of the backup (the database is as it was)"
    # A copy cut short; one still being written by a restore under way elsewhere is recent.
    if time.time() - incoming.stat().st_mtime > 600:
        incoming.unlink(missing_ok=True)
    return None


def restore_backup(folder: Path) -> RestoreResult:
    """Put the verified backup in place of the database, under the workspace's lock; the
    replaced database (and its WAL) is kept as ``warehouse.duckdb.replaced-<time>``."""
    db, bak = folder / DB_FILE, folder / BACKUP_FILE
    if not bak.exists():
        raise WorkspaceError(f"The workspace {folder} has no backup to restore.")
    try:
        facts = inspect_database(bak)
    except WorkspaceError as e:
        raise WorkspaceError(
            f"The backup {bak} cannot be restored: {e.message}",
            "Nothing was changed. Keep the backup file for inspection; it is not usable.",
        ) from e
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    incoming = folder / (DB_FILE + ".restoring")
    try:
        copy_file(bak, incoming)
        with _exclusive(db):
            kept: Path | None = None
            if db.exists():
                kept = _free_name(folder, REPLACED_PREFIX + stamp)
                wal = folder / (DB_FILE + ".wal")
                # The WAL first: a database renamed without its WAL would lose its last writes.
                if wal.exists():
                    os.replace(wal, Path(str(kept) + ".wal"))
                os.replace(db, kept)
            os.replace(incoming, db)
    except OSError as e:
        raise WorkspaceError(
            f"Could not restore the backup of {folder}: {e.strerror}.",
            "Check the disk and the folder's permissions; the current database was not replaced.",
        ) from e
    finally:
        incoming.unlink(missing_ok=True)
    return RestoreResult(database=db, kept_as=kept, restored=facts)
