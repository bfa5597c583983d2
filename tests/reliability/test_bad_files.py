"""A damaged, truncated or foreign ``warehouse.duckdb``: one clear WorkspaceError on opening (never
a raw DuckDB error, never an attempt to read it as something else), and ``restore_backup`` brings
back the last backup. Destructive operations take that backup first."""

from __future__ import annotations

import gzip
import os
import random
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from shoplytics_desktop.cli import main
from shoplytics_desktop.core.errors import WorkspaceError, WorkspaceLockedError
from shoplytics_desktop.core.ingest import delete_batch, import_events
from shoplytics_desktop.core.workspace import BACKUP_FILE, DB_FILE, Workspace
from tests.reliability.conftest import write_events_csv
from tests.reliability.support import Snapshot, check_consistent, record_figure

pytestmark = pytest.mark.reliability


def _random(db: Path, good: bytes) -> None:
    db.write_bytes(random.Random(3).randbytes(65_536))


def _sqlite(db: Path, good: bytes) -> None:
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE events (id INTEGER)")
    con.execute("INSERT INTO events VALUES (1)")
    con.commit()
    con.close()


def _parquet(db: Path, good: bytes) -> None:
    con = duckdb.connect()
    con.execute(f"COPY (SELECT 1 AS x) TO '{db}' (FORMAT parquet)")
    con.close()


def _text(db: Path, good: bytes) -> None:
    db.write_text("this is not a database\n" * 100)


def _empty(db: Path, good: bytes) -> None:
    db.write_bytes(b"")


def _cut(size: Callable[[int], int]) -> Callable[[Path, bytes], None]:
    def make(db: Path, good: bytes) -> None:
        db.write_bytes(good[: size(len(good))])

    return make


def _patched(offset: int, value: bytes) -> Callable[[Path, bytes], None]:
    def make(db: Path, good: bytes) -> None:
        data = bytearray(good)
        data[offset : offset + len(value)] = value
        db.write_bytes(bytes(data))

    return make


def _bitflips(db: Path, good: bytes) -> None:
    data = bytearray(good)
    for i in range(8192, len(data), 4099):
        data[i] ^= 0xFF
    db.write_bytes(bytes(data))


def _folder(db: Path, good: bytes) -> None:
    db.mkdir()


def _gzipped(db: Path, good: bytes) -> None:
    db.write_bytes(gzip.compress(good, compresslevel=1))


BAD_FILES: dict[str, Callable[[Path, bytes], None]] = {
    "random bytes": _random,
    "a SQLite database": _sqlite,
    "a Parquet file": _parquet,
    "a text file": _text,
    "an empty file": _empty,
    "a gzipped copy of the workspace": _gzipped,
    "truncated to 100 bytes": _cut(lambda n: 100),
    "truncated to 8 KiB (headers cut)": _cut(lambda n: 8192),
    "truncated to a quarter": _cut(lambda n: n // 4),
    "truncated to half": _cut(lambda n: n // 2),
    "storage version changed (incompatible format)": _patched(12, (12_345).to_bytes(8, "little")),
    "magic bytes changed": _patched(8, b"DUCX"),
    "bit flips in every block": _bitflips,
    "a folder instead of the file": _folder,
}


@pytest.fixture(scope="module")
def backed_up(published_ws: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Snapshot]:
    folder = tmp_path_factory.mktemp("bad") / "ws"
    shutil.copytree(published_ws, folder)
    with Workspace.open(folder) as ws:
        ws.backup()
        snap = Snapshot.take(ws)
    return folder, snap


@pytest.mark.parametrize("kind", list(BAD_FILES))
def test_bad_workspace_file_is_one_clear_error_and_the_backup_restores(
    kind: str, backed_up: tuple[Path, Snapshot], tmp_path: Path
) -> None:
    source, snap = backed_up
    folder = tmp_path / "ws"
    folder.mkdir()
    shutil.copy2(source / BACKUP_FILE, folder / BACKUP_FILE)
    good = (source / BACKUP_FILE).read_bytes()
    db = folder / DB_FILE
    BAD_FILES[kind](db, good)
    for read_only in (False, True):
        with pytest.raises(WorkspaceError) as err:
            Workspace.open(folder, read_only=read_only).close()
        assert not isinstance(err.value, WorkspaceLockedError)
        assert "damaged or not a DuckDB database" in err.value.message
        assert "warehouse.duckdb.bak" in err.value.hint
    assert not (folder / (DB_FILE + ".wal")).exists(), "opening wrote beside the bad file"
    result = Workspace.restore_backup(folder)
    with Workspace.open(folder) as ws:
        check_consistent(ws)
        assert Snapshot.take(ws) == snap
    assert result.kept_as is not None and result.kept_as.exists(), "the damaged file is kept aside"
    record_figure("bad workspace files", [kind])


def test_bad_file_through_the_command_line(backed_up: tuple[Path, Snapshot], tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "ws"
    folder.mkdir()
    _sqlite(folder / DB_FILE, b"")
    for argv in (["info"], ["run"], ["batches"]):
        assert main([*argv, "-w", str(folder)]) == 1
        err = capsys.readouterr().err
        assert err.startswith("error: The workspace file") and err.count("\n") == 1, err
    con = sqlite3.connect(folder / DB_FILE)
    assert con.execute("SELECT name FROM sqlite_master").fetchall() == [("events",)], (
        "the SQLite file was changed"
    )
    con.close()


def test_garbage_wal_beside_a_good_file(backed_up: tuple[Path, Snapshot], tmp_path: Path) -> None:
    """A write-ahead log that is not one (e.g. copied from elsewhere): the database opens with
    its checkpointed contents intact."""
    source, snap = backed_up
    folder = tmp_path / "ws"
    folder.mkdir()
    shutil.copy2(source / BACKUP_FILE, folder / DB_FILE)
    (folder / (DB_FILE + ".wal")).write_bytes(os.urandom(5000))
    try:
        ws = Workspace.open(folder)
    except WorkspaceError:
        pass  # refusing it clearly is fine too
    else:
        with ws:
            check_consistent(ws)
            assert Snapshot.take(ws) == snap
    record_figure("bad workspace files", ["garbage write-ahead log"])


def test_restore_without_a_backup_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="has no backup to restore"):
        Workspace.restore_backup(tmp_path)


def test_backup_then_restore_after_a_bad_change(ws_dir: Path) -> None:
    """The backup/restore round trip itself: a backup taken with uncommitted WAL contents holds
    them (backup checkpoints first), and restoring undoes a later change."""
    with Workspace.open(ws_dir) as ws:
        ws.cursor().execute("CREATE TABLE marts.keep AS SELECT 42 AS answer")
        ws.backup()
        snap = Snapshot.take(ws)
        ws.cursor().execute("DELETE FROM raw.events")
    Workspace.restore_backup(ws_dir)
    with Workspace.open(ws_dir) as ws:
        assert Snapshot.take(ws) == snap


@pytest.fixture
def with_batch(ws_dir: Path, tmp_path: Path) -> tuple[Path, str]:
    src = write_events_csv(tmp_path / "batch.csv", 500, "del-")
    with Workspace.open(ws_dir) as ws:
        batch = import_events(ws, [src]).batch_id
    assert batch
    (ws_dir / BACKUP_FILE).unlink(missing_ok=True)
    return ws_dir, batch


def _backup_holds(folder: Path, batch: str) -> bool:
    bak = folder / BACKUP_FILE
    if not bak.exists():
        return False
    con = duckdb.connect(str(bak), read_only=True)
    try:
        row = con.execute("SELECT count(*) FROM raw.events WHERE _batch_id = ?", [batch]).fetchone()
    finally:
        con.close()
    return row == (500,)


def test_batch_delete_takes_a_backup_first(with_batch: tuple[Path, str]) -> None:
    folder, batch = with_batch
    with Workspace.open(folder) as ws:
        delete_batch(ws, batch)
    assert _backup_holds(folder, batch)


def test_batch_delete_command_takes_a_backup_first(with_batch: tuple[Path, str]) -> None:
    folder, batch = with_batch
    out = subprocess.run(
        [sys.executable, "-m", "shoplytics_desktop.cli", "batches", "delete", batch, "-w", str(folder)],
        capture_output=True, text=True, timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert f"backed up in {folder / BACKUP_FILE}" in out.stdout
    assert _backup_holds(folder, batch)
