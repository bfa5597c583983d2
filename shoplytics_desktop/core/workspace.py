"""The workspace: a folder holding ``warehouse.duckdb`` and ``settings.json``.

One ``Workspace`` owns one DuckDB connection (the writer, or a read-only reader). Each thread works
through its own cursor (``cursor()``), and ``interrupt()`` stops whatever any of them is running.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb

from shoplytics_desktop.core import backups
from shoplytics_desktop.core.backups import BACKUP_FILE, DB_FILE
from shoplytics_desktop.core.errors import (
    WorkspaceDamagedError,
    WorkspaceError,
    WorkspaceLockedError,
)
from shoplytics_desktop.core.paths import default_models_dir, default_workspace_dir
from shoplytics_desktop.core.settings import (
    WorkspaceSettings,
    computer_time_zone,
    default_memory_limit,
    load_settings_checked,
    memory_bytes,
    save_settings,
)
from shoplytics_desktop.core.sqlutil import quote_literal

#: The name the workspace database is attached under (the file's stem, as DuckDB would name it).
CATALOG = "warehouse"
#: Rows per row group of what we write. DuckDB compresses and writes a table's full row groups
#: while CREATE TABLE AS runs, on every thread, and leaves the rest to the single-threaded
#: COMMIT. Its default, 122,880, leaves every mart smaller than that (most of them) to the
#: COMMIT; at 32,768 a full model run at 1M events takes 0.3 s less. Row groups written earlier
#: at another size stay as they are.
ROW_GROUP_SIZE = 32_768
#: 1: the first contract. 2: raw.events.currency (and the event type refund, a value only).
#: 3: _shoplytics.event_keys, the index of event ids that imports look for duplicates in (its
#: keys are written by the first import after the upgrade, see ingest/keys.py).
#: 4: _shoplytics.incremental_models (what incremental models were built from) and
#: model_runs.note (how a run built each model). 5: incremental_models.tests (the tests that
#: passed on each, so that an update checks only the rows it wrote; left empty since 6, which
#: tells the same). 6: _shoplytics.build_state (what each model and passed test was last built
#: or run from, so that a run leaves alone what nothing changed, and an update's tests check
#: only the rows it wrote when they passed on the rows before). 7: _shoplytics.removed_events
#: (the users and times of deleted batches, so that the next run updates them: removed.py).
#: 8: _shoplytics.shared_events (the events an import skipped as an earlier batch's, so that
#: deleting that batch says what it takes from later ones: ingest/batches.py). 9:
#: _shoplytics.batch_files (each event batch's files by fingerprint, so that importing them
#: again with another mapping replaces the batch: ingest/batches.py). 10: batch_files.source_file
#: (each file's name in _source_file, so that importing some of a batch's files again with
#: another mapping replaces those files' rows).
SCHEMA_VERSION = 10
#: The size of DuckDB's write-ahead log at which a commit also checkpoints (writes the logged
#: changes into the database file) before it returns. DuckDB's default, 16 MB, is about what an
#: update of a 10M-event workspace logs, so the run waited for a checkpoint (0.3 s) that
#: nothing needed yet. Committed changes are safe in the log; the app checkpoints when it is
#: idle (``Workspace.checkpoint``) and DuckDB when the workspace closes.
CHECKPOINT_THRESHOLD = "256MiB"
LAYERS = ("staging", "intermediate", "marts")
#: The workspaces some thread has a cursor on (``Workspace.release_thread``).
_WITH_CURSORS: weakref.WeakSet[Workspace] = weakref.WeakSet()
INTERNAL = "_shoplytics"
# The tables contract.raw_ddl() and _INTERNAL_DDL create.
_EXPECTED_TABLES = {
    "raw.events",
    "raw.rejected_events",
    "raw.products",
    "raw.users",
    f"{INTERNAL}.meta",
    f"{INTERNAL}.batches",
    f"{INTERNAL}.runs",
    f"{INTERNAL}.model_runs",
    f"{INTERNAL}.test_results",
    f"{INTERNAL}.event_keys",
    f"{INTERNAL}.shared_events",
    f"{INTERNAL}.batch_files",
    f"{INTERNAL}.incremental_models",
    f"{INTERNAL}.build_state",
    f"{INTERNAL}.removed_events",
}

_INTERNAL_DDL = [
    f"CREATE TABLE IF NOT EXISTS {INTERNAL}.meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
    f"""CREATE TABLE IF NOT EXISTS {INTERNAL}.batches (
        batch_id VARCHAR NOT NULL, kind VARCHAR NOT NULL, source VARCHAR, fingerprint VARCHAR,
        mapping VARCHAR, rows_read BIGINT, rows_loaded BIGINT, rows_duplicate BIGINT,
        rows_rejected BIGINT, started_at TIMESTAMP, finished_at TIMESTAMP, status VARCHAR,
        message VARCHAR)""",
    f"""CREATE TABLE IF NOT EXISTS {INTERNAL}.runs (
        run_id VARCHAR NOT NULL, kind VARCHAR NOT NULL, selection VARCHAR, models_dir VARCHAR,
        started_at TIMESTAMP, finished_at TIMESTAMP, status VARCHAR, message VARCHAR)""",
    f"""CREATE TABLE IF NOT EXISTS {INTERNAL}.model_runs (
        run_id VARCHAR NOT NULL, ordinal INTEGER, model VARCHAR, layer VARCHAR,
        materialized VARCHAR, status VARCHAR, rows BIGINT, seconds DOUBLE, error VARCHAR,
        note VARCHAR)""",
    f"""CREATE TABLE IF NOT EXISTS {INTERNAL}.test_results (
        run_id VARCHAR NOT NULL, test_id VARCHAR, test_type VARCHAR, model VARCHAR,
        column_name VARCHAR, severity VARCHAR, status VARCHAR, failing_rows BIGINT,
        sample JSON, message VARCHAR, seconds DOUBLE)""",
    f"""CREATE TABLE IF NOT EXISTS {INTERNAL}.event_keys (
        key UBIGINT NOT NULL, _batch_id VARCHAR NOT NULL)""",
    # The events a batch skipped because an earlier batch (held_by) held their ids: deleting
    # that batch takes them out of the workspace, and the later batch's file must then be
    # importable again (batches.py).
    f"""CREATE TABLE IF NOT EXISTS {INTERNAL}.shared_events (
        event_id VARCHAR NOT NULL, _batch_id VARCHAR NOT NULL, held_by VARCHAR NOT NULL)""",
    # Each event batch's files, by fingerprint and name: an import of all of them again (with
    # others, or without) under another mapping replaces the batch, of some of them those
    # files' rows (batches.py).
    f"""CREATE TABLE IF NOT EXISTS {INTERNAL}.batch_files (
        batch_id VARCHAR NOT NULL, fingerprint VARCHAR NOT NULL, source_file VARCHAR)""",
    f"""CREATE TABLE IF NOT EXISTS {INTERNAL}.incremental_models (
        model VARCHAR PRIMARY KEY, signature VARCHAR, batches VARCHAR, fingerprints VARCHAR,
        tests VARCHAR)""",
    f"""CREATE TABLE IF NOT EXISTS {INTERNAL}.build_state (
        name VARCHAR PRIMARY KEY, digest VARCHAR NOT NULL, token VARCHAR NOT NULL)""",
    f"""CREATE TABLE IF NOT EXISTS {INTERNAL}.removed_events (
        batch VARCHAR NOT NULL, user_id VARCHAR, event_time TIMESTAMP)""",
]


#: DuckDB's main header plus its two database headers come before the first data block.
_HEADER_BYTES = 3 * 4096
#: What DuckDB says of a file that is damaged or not its own.
_DAMAGED = (
    "not a valid DuckDB database",
    "Could not read enough bytes",
    "Corrupt database file",
)


def is_damage(exc: BaseException) -> bool:
    """A DuckDB error that says the database file is damaged."""
    return isinstance(exc, duckdb.Error) and any(sign in str(exc) for sign in _DAMAGED)


def damaged_error(folder: Path, detail: str = "") -> WorkspaceDamagedError:
    """The error for a database file that is damaged or not DuckDB's."""
    db, bak = folder / DB_FILE, folder / BACKUP_FILE
    if bak.exists():
        hint = (
            "Restore its backup (warehouse.duckdb.bak: `shoplytics restore-backup`, or the app "
            "offers it; the damaged file is kept) or open another workspace."
        )
    else:
        hint = "It has no backup: open another workspace, and keep the file for inspection."
    return WorkspaceDamagedError(
        f"The workspace file {db} is damaged or not a DuckDB database{detail}.", hint
    )


def _lock_holder(message: str) -> str:
    pid = re.search(r"PID (\d+)", message)
    return f" (process {pid.group(1)})" if pid else ""


def restore_setting(cur: duckdb.DuckDBPyConnection, statement: str, attempts: int = 20) -> None:
    """Put a DuckDB setting back after a job, even while a Cancel keeps interrupting the
    cursor (an interrupt stops whatever statement runs, this one included)."""
    for _ in range(attempts):
        try:
            cur.execute(statement)
            return
        except duckdb.InterruptException:
            continue
        except duckdb.Error:
            return


class Workspace:
    """An open workspace. Use as a context manager, or call ``close()``."""

    def __init__(self, folder: Path, read_only: bool = False) -> None:
        self.folder = folder
        self.read_only = read_only
        #: The workspace this one is a snapshot of (core/snapshot.py), else None.
        self.snapshot_of: Path | None = None
        loaded = load_settings_checked(folder)
        self.settings: WorkspaceSettings = loaded.settings
        #: Settings that could not be used, each named with what is used instead.
        self.settings_warnings: tuple[str, ...] = loaded.warnings
        self._local = threading.local()
        self._cursors: list[duckdb.DuckDBPyConnection] = []
        self._lock = threading.Lock()
        if not read_only:
            # A restore killed between its renames: settled before the database is opened (a
            # missing database would otherwise become a new, empty one).
            with contextlib.suppress(OSError):
                backups.finish_interrupted_restore(folder)
        is_new = not read_only and not self.db_path.exists()
        if is_new and "time_zone" not in loaded.named:
            self._take_computer_time_zone()
        self.con = self._connect()
        if not read_only:
            self._ensure_schema()
            self._clean_leftovers()

    def _take_computer_time_zone(self) -> None:
        """A new workspace reports in the computer's time zone, written to its settings so it
        stays the same on another computer. (A workspace whose settings name no zone was made
        before the setting existed: it keeps UTC, so its numbers do not change by themselves.)
        Written before the database is created: a process killed in between must not leave a
        database whose settings name no zone."""
        self.settings.time_zone = computer_time_zone()
        with contextlib.suppress(OSError):
            if "?" not in str(self.folder):  # refused by _connect: leave nothing behind
                self.folder.mkdir(parents=True, exist_ok=True)
                self.save_settings()

    # -- opening -------------------------------------------------------------------------------

    @classmethod
    def open(cls, folder: Path | str | None = None, read_only: bool = False) -> Workspace:
        path = Path(folder).expanduser() if folder else default_workspace_dir()
        return cls(path, read_only=read_only)

    @property
    def db_path(self) -> Path:
        return self.folder / DB_FILE

    @property
    def memory_limit(self) -> str | None:
        """DuckDB's memory limit: the setting, else a share of the machine's memory."""
        return self.settings.memory_limit or default_memory_limit()

    def _config(self) -> dict[str, Any]:
        s = self.settings
        # Never download an extension: a workspace reads and writes its own file only.
        config: dict[str, Any] = {"autoinstall_known_extensions": False}
        limit = self.memory_limit
        if limit:
            config["memory_limit"] = limit
        if s.threads:
            config["threads"] = s.threads
        if not self.read_only:
            tmp = Path(s.temp_directory) if s.temp_directory else self.folder / "tmp"
            config["temp_directory"] = str(tmp)
            config["checkpoint_threshold"] = CHECKPOINT_THRESHOLD
        return config

    def _connect(self) -> duckdb.DuckDBPyConnection:
        if "?" in str(self.db_path):
            # DuckDB reads what follows a '?' as options: its WAL would go to another folder.
            raise WorkspaceError(
                f"The workspace folder {self.folder} has a '?' in its path, which DuckDB cannot "
                "store a database under.",
                "Rename the folder or choose another (--workspace PATH).",
            )
        if self.read_only and not self.db_path.exists():
            raise WorkspaceError(
                f"The workspace {self.folder} has no data yet.",
                "Load some first: `shoplytics demo`, `shoplytics generate` or `shoplytics import`.",
            )
        if not self.read_only:
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise WorkspaceError(
                    f"Cannot create the workspace folder {self.folder}: {e.strerror}.",
                    "Choose a folder you can write to (--workspace PATH).",
                ) from e
        self._check_header()
        try:
            con = self._attach()
        except duckdb.ResourceInUseException as e:
            raise WorkspaceLockedError(
                f"The workspace {self.folder} is already open in this process.",
                "Close it first, or open another workspace.",
            ) from e
        except duckdb.IOException as e:
            text = str(e)
            if "lock" in text.lower():
                raise WorkspaceLockedError(
                    f"The workspace {self.folder} is in use by another Shoplytics process"
                    f"{_lock_holder(text)}.",
                    "Let its work finish or close it there, then try again.",
                ) from e
            if any(sign in text for sign in _DAMAGED):
                raise self._damaged() from e
            if "Permission denied" in text or "Read-only file system" in text:
                raise WorkspaceError(
                    f"Cannot write to the workspace {self.folder}: permission denied.",
                    "Choose a folder you can write to (--workspace PATH).",
                ) from e
            raise WorkspaceError(
                f"Cannot open the workspace {self.folder}: {text.splitlines()[0]}",
                "Check the folder, or open another workspace.",
            ) from e
        except duckdb.Error as e:
            if any(sign in str(e) for sign in _DAMAGED):
                raise self._damaged() from e
            raise WorkspaceError(
                f"Cannot open the workspace {self.folder}: {str(e).splitlines()[0]}",
                "The file may come from an incompatible DuckDB version; open another workspace.",
            ) from e
        try:
            self._check_size(con)
        except BaseException:
            con.close()
            raise
        return con

    def _attach(self) -> duckdb.DuckDBPyConnection:
        """A DuckDB instance with the workspace file attached and in use. Attached rather than
        opened directly: only ATTACH takes the row group size (ROW_GROUP_SIZE)."""
        con = duckdb.connect(":memory:", config=self._config())
        # A statement DuckDB refuses before running it (a parser, binder or catalog error, say a
        # data test naming a column that does not exist) leaves the transaction usable, so a
        # model run can report that test and go on testing; an error while running still ends
        # it. (A DuckDB without this setting keeps its own rule.)
        with contextlib.suppress(duckdb.Error):
            con.execute(
                "SET default_transaction_invalidation_policy = 'SYNTACTIC_ERRORS_DO_NOT_INVALIDATE'"
            )
        options = f"ROW_GROUP_SIZE {ROW_GROUP_SIZE}" + (", READ_ONLY" if self.read_only else "")
        try:
            # An absolute path: DuckDB reads a name that starts with md:, s3://, http:// or
            # sqlite: as a service or another format, whatever folder it names.
            path = os.path.abspath(self.db_path)
            con.execute(f"ATTACH {quote_literal(path)} AS {CATALOG} ({options})")
            con.execute(f"USE {CATALOG}")
        except BaseException:
            con.close()
            raise
        return con

    def _damaged(self, detail: str = "") -> WorkspaceError:
        return damaged_error(self.folder, detail)

    def _check_header(self) -> None:
        """Refuse a file that is not DuckDB's before DuckDB sees it: DuckDB would otherwise try
        to open a SQLite file through an extension (downloading it, then writing into it)."""
        try:
            with self.db_path.open("rb") as fh:
                head = fh.read(_HEADER_BYTES)
        except FileNotFoundError:
            return
        except IsADirectoryError as e:
            raise self._damaged(" (it is a folder)") from e
        except OSError:
            return  # DuckDB reports it, with the cause
        if head and (len(head) < _HEADER_BYTES or head[8:12] != b"DUCK"):
            raise self._damaged()

    def _check_size(self, con: duckdb.DuckDBPyConnection) -> None:
        """A truncated file opens (DuckDB reads data blocks lazily) and fails later, on some
        query. A file too short to hold the blocks in use is surely truncated: say so at open.
        (Free blocks may lie anywhere, so a file missing only its last blocks can pass.)"""
        row = con.execute(
            "SELECT used_blocks, block_size FROM pragma_database_size() "
            "WHERE database_name = current_database()"
        ).fetchone()
        if not row or not row[0]:
            return
        needed = _HEADER_BYTES + int(row[0]) * int(row[1])
        size = self.db_path.stat().st_size
        if size < needed:
            raise self._damaged(f" (truncated: {size:,} bytes, too short for {needed:,})")

    def _schema_is_current(self) -> bool:
        """Every table of this schema version exists (then opening needs no DDL)."""
        tables = {
            f"{schema}.{name}"
            for schema, name in self.con.execute(
                "SELECT schema_name, table_name FROM duckdb_tables() WHERE schema_name IN (?, ?)",
                ["raw", INTERNAL],
            ).fetchall()
        }
        if not tables >= _EXPECTED_TABLES:
            return False
        version = self.con.execute(
            f"SELECT value FROM {INTERNAL}.meta WHERE key = 'schema_version'"
        ).fetchone()
        return version == (str(SCHEMA_VERSION),)

    def _ensure_schema(self) -> None:
        con = self.con
        current = self._schema_is_current()
        con.execute("BEGIN")
        try:
            if not current:
                # The contract (pydantic) is only needed to create the tables.
                from shoplytics_desktop.core import contract

                for schema in ("raw", *LAYERS, INTERNAL):
                    con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
                for ddl in contract.raw_ddl() + _INTERNAL_DDL:
                    con.execute(ddl)
                self._migrate(contract)
            # Only one writer can hold the file, so a run still marked 'running' belongs to a
            # process that died: say so in the history.
            from shoplytics_desktop.core import history

            history.mark_interrupted(con)
            con.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(duckdb.Error):  # a failed COMMIT has ended it already
                con.execute("ROLLBACK")
            raise

    def _migrate(self, contract: Any) -> None:
        """Bring a workspace of an older schema version up to this one, in place (inside
        _ensure_schema's transaction): add the columns later versions added. A new workspace
        was just created at this version and has them all."""
        con = self.con
        row = con.execute(
            f"SELECT value FROM {INTERNAL}.meta WHERE key = 'schema_version'"
        ).fetchone()
        stored = int(row[0]) if row and str(row[0]).isdigit() else SCHEMA_VERSION
        if stored > SCHEMA_VERSION:
            raise WorkspaceError(
                f"The workspace {self.folder} was written by a newer Shoplytics (schema version "
                f"{stored}; this one knows {SCHEMA_VERSION}).",
                "Open it with the newer version, or open another workspace.",
            )
        existing = {
            (f"{schema}.{table}", column)
            for schema, table, column in con.execute(
                "SELECT table_schema, table_name, column_name FROM information_schema.columns "
                "WHERE table_catalog = current_database() AND table_schema = 'raw'"
            ).fetchall()
        }
        for table, col in contract.added_columns(stored):
            if (table, col.name) not in existing:
                con.execute(f'ALTER TABLE {table} ADD COLUMN "{col.name}" {col.sql_type}')
        con.execute(f"ALTER TABLE {INTERNAL}.model_runs ADD COLUMN IF NOT EXISTS note VARCHAR")
        con.execute(
            f"ALTER TABLE {INTERNAL}.incremental_models ADD COLUMN IF NOT EXISTS tests VARCHAR")
        con.execute(
            f"ALTER TABLE {INTERNAL}.batch_files ADD COLUMN IF NOT EXISTS source_file VARCHAR")
        con.execute(
            f"INSERT OR REPLACE INTO {INTERNAL}.meta VALUES ('schema_version', ?)",
            [str(SCHEMA_VERSION)],
        )

    def _clean_leftovers(self) -> None:
        """What killed imports left (spill files, converted copies, space not given back)."""
        from shoplytics_desktop.core.ingest.leftovers import clean_leftovers

        # Leftovers cost space, never correctness: opening goes on whatever happens here.
        with contextlib.suppress(OSError, duckdb.Error):
            clean_leftovers(self.folder, self.con, own_tmp=not self.settings.temp_directory)

    @contextlib.contextmanager
    def memory_budget(self, limit: str | None) -> Iterator[None]:
        """Run a large job within ``limit`` of DuckDB memory (it spills the rest to the temp
        folder), never above the workspace's own memory_limit; restored afterwards."""
        own = self.memory_limit
        if not limit or (own and memory_bytes(own) <= memory_bytes(limit)):
            yield
            return
        cur = self.cursor()
        cur.execute(f"SET memory_limit = {quote_literal(limit)}")
        try:
            yield
        finally:
            restore_setting(
                cur, f"SET memory_limit = {quote_literal(own)}" if own else "RESET memory_limit"
            )

    # -- connections ---------------------------------------------------------------------------

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's cursor on the workspace connection, with the settings the models read
        as session variables (see ``set_session_variables``)."""
        cur = getattr(self._local, "cursor", None)
        if cur is None:
            cur = self.con.cursor()
            cur.execute(f"USE {CATALOG}")  # a new cursor starts in DuckDB's in-memory database
            self._local.cursor = cur
            self._local.variables = None
            with self._lock:
                self._cursors.append(cur)
            _WITH_CURSORS.add(self)
        # Compared on every call (cheap: three attributes); set only when they changed.
        if self._local.variables != self._variable_values():
            self.set_session_variables(cur)
        return cur

    def _variable_values(self) -> tuple[object, ...]:
        """The settings ``set_session_variables`` sets, to tell whether a cursor has them."""
        s = self.settings
        return (s.session_timeout_minutes, s.currency, s.time_zone)

    def set_session_variables(self, cur: duckdb.DuckDBPyConnection) -> None:
        """Set the settings the models read with ``getvariable`` on ``cur`` (this thread's
        cursor, or a run's): their views too (``stg_events``' local days and currency) are read
        by queries, exports and the dashboards' drill-through as by a run."""
        s = self.settings
        values = self._variable_values()
        try:
            cur.execute(f"SET VARIABLE session_timeout_minutes = {int(s.session_timeout_minutes)}")
            # Money without a currency of its own is in the workspace currency (METRICS.md §1).
            cur.execute(f"SET VARIABLE workspace_currency = {quote_literal(s.currency)}")
            # Days, weeks and hours of day are counted in the reporting time zone (METRICS.md):
            # the models convert the UTC event times with it.
            cur.execute(f"SET VARIABLE time_zone = {quote_literal(s.time_zone)}")
        except duckdb.Error:
            # A cursor in a failed transaction refuses even this; the next call sets them.
            if cur is getattr(self._local, "cursor", None):
                self._local.variables = None
            return
        if cur is getattr(self._local, "cursor", None):
            self._local.variables = values

    def release(self) -> None:
        """End the result this thread's cursor still holds. A query read with ``fetchone`` keeps
        its transaction open until the cursor runs another statement, and an open transaction
        keeps a checkpoint out; a thread that is done with the workspace for now calls this."""
        cur = getattr(self._local, "cursor", None)
        if cur is not None:
            with contextlib.suppress(duckdb.Error):
                cur.execute("SELECT 1 WHERE false").fetchall()

    @staticmethod
    def release_thread() -> None:
        """``release`` this thread's cursor on every workspace it has one on."""
        for ws in list(_WITH_CURSORS):
            ws.release()

    @property
    def wal_path(self) -> Path:
        """DuckDB's write-ahead log of the database: changes committed since the last
        checkpoint (absent or empty when there are none)."""
        return self.db_path.with_name(self.db_path.name + ".wal")

    def checkpoint(self) -> bool:
        """Write the changes the write-ahead log holds into the database file, if it holds any;
        whether it did. Readers go on meanwhile; a writer waits for it. Refused while another
        thread's transaction holds changes: they are written at the next checkpoint, or when
        the workspace closes."""
        if self.read_only:
            return False
        try:
            if self.wal_path.stat().st_size == 0:
                return False
        except OSError:
            return False
        try:
            self.cursor().execute("CHECKPOINT")
        except duckdb.Error:
            return False
        return True

    def interrupt(self) -> None:
        """Stop the query that any thread is running on this workspace."""
        with self._lock:
            cursors = list(self._cursors)
        for cur in [self.con, *cursors]:
            with contextlib.suppress(duckdb.Error):
                cur.interrupt()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """All or nothing on this thread's cursor."""
        cur = self.cursor()
        cur.execute("BEGIN TRANSACTION")
        try:
            yield cur
        except BaseException:
            with contextlib.suppress(duckdb.Error):
                cur.execute("ROLLBACK")
            raise
        cur.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            cursors, self._cursors = self._cursors, []
        for cur in cursors:
            with contextlib.suppress(duckdb.Error):
                cur.close()
        with contextlib.suppress(duckdb.Error):
            self.con.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- backups -------------------------------------------------------------------------------

    @property
    def backup_path(self) -> Path:
        return self.folder / BACKUP_FILE

    def backup(self) -> Path:
        """A verified copy of the database, taken before a destructive operation
        (``warehouse.duckdb.bak``; see core/backups.py)."""
        return backups.write_backup(self.con, self.db_path)

    @staticmethod
    def restore_backup(folder: Path) -> backups.RestoreResult:
        """Put the verified backup in place of the database, under the workspace lock; the
        replaced file is kept as ``warehouse.duckdb.replaced-<time>``."""
        return backups.restore_backup(folder)

    # -- facts ---------------------------------------------------------------------------------

    @property
    def models_dir(self) -> Path:
        if self.settings.models_dir:
            return Path(self.settings.models_dir).expanduser()
        return default_models_dir()

    def save_settings(self) -> None:
        save_settings(self.folder, self.settings)

    def table_exists(self, schema: str, table: str) -> bool:
        row = self.cursor().execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
            [schema, table],
        ).fetchone()
        return bool(row and row[0])

    def row_count(self, schema: str, table: str) -> int:
        if not self.table_exists(schema, table):
            return 0
        row = self.cursor().execute(f'SELECT count(*) FROM "{schema}"."{table}"').fetchone()
        return int(row[0]) if row else 0

    def is_empty(self) -> bool:
        return self.row_count("raw", "events") == 0
