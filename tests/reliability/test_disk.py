"""A full disk and an unwritable folder during export, import, generate and a model run: a clear
error that says what to do, no partial file, and the workspace exactly as it was.

A full disk is a small tmpfs mounted for the test (as root); without permission to mount, these
tests are skipped.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from shoplytics_desktop.cli import main
from shoplytics_desktop.core.errors import (
    Cancelled,
    ExportError,
    GenerateError,
    ImportError_,
    ShoplyticsError,
    WorkspaceError,
)
from shoplytics_desktop.core.export import export_tables
from shoplytics_desktop.core.generate import GenerateSpec, generate_into
from shoplytics_desktop.core.ingest import import_events
from shoplytics_desktop.core.ingest.leftovers import RESERVE_FILE
from shoplytics_desktop.core.models.runner import run_project
from shoplytics_desktop.core.progress import NullReporter
from shoplytics_desktop.core.workspace import BACKUP_FILE, DB_FILE, Workspace
from tests.reliability.conftest import write_events_csv
from tests.reliability.support import Snapshot, check_consistent

pytestmark = pytest.mark.reliability


@contextlib.contextmanager
def tmpfs(folder: Path, size: str, read_only: bool = False) -> Iterator[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    options = f"size={size}" + (",ro" if read_only else "")
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
                              capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError) as e:
        pytest.skip(f"cannot mount a tmpfs to fill up ({e}); run as root to test a full disk")
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs to fill up ({done.stderr.strip()}); run as root")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True, timeout=20)


def _fill(folder: Path) -> None:
    """Leave only a few KiB free. Unbuffered: a write the disk takes only in part would leave
    the rest in a buffer, and closing the file would fail trying to write it."""
    with (folder / "filler").open("wb", buffering=0) as fh, contextlib.suppress(OSError):
        while True:
            fh.write(b"\0" * 65_536)
            fh.flush()


# -- export --------------------------------------------------------------------------------------


def test_export_to_a_full_disk(ws: Workspace, tmp_path: Path) -> None:
    ws.cursor().execute(
        "CREATE TABLE staging.wide AS SELECT i, md5(i::VARCHAR) AS a, md5((i + 1)::VARCHAR) AS b "
        "FROM range(50000) t(i)"
    )
    with tmpfs(tmp_path / "full", "1m") as out:
        (out / "wide.csv").write_text("the previous export\n")
        for fmt in ("csv", "parquet"):
            with pytest.raises(ExportError) as err:
                export_tables(ws, ["staging.wide"], out, fmt, force=True)
            assert "No space left on device" in err.value.message
            assert "staging.wide" in err.value.message and "disk has room" in err.value.hint
            # Nothing partial, and the file it would have replaced is untouched.
            assert sorted(p.name for p in out.iterdir()) == ["wide.csv"]
            assert (out / "wide.csv").read_text() == "the previous export\n"


def test_export_to_a_read_only_folder(ws: Workspace, tmp_path: Path, capsys) -> None:
    with tmpfs(tmp_path / "ro", "1m", read_only=True) as out:
        with pytest.raises(ExportError, match="is not writable") as err:
            export_tables(ws, ["marts.dim_users"], out, "csv")
        assert err.value.hint == "Choose another folder."
        with pytest.raises(ExportError, match="Cannot create the export folder"):
            export_tables(ws, ["marts.dim_users"], out / "sub", "csv")
        ws.close()
        code = main(["export", "-w", str(ws.folder), "--all", "--out", str(out)])
        err_text = capsys.readouterr().err
        assert code == 1 and err_text.count("\n") == 1 and "is not writable" in err_text
        assert list(out.iterdir()) == []


# -- writing to the workspace --------------------------------------------------------------------


@pytest.fixture
def full_ws(published_ws: Path, tmp_path: Path) -> Iterator[tuple[Path, Snapshot]]:
    """The published workspace on a filesystem with almost no room left."""
    size = sum(p.stat().st_size for p in published_ws.iterdir() if p.is_file())
    with tmpfs(tmp_path / "disk", f"{size // 1024 + 1024}k") as disk:
        folder = disk / "ws"
        shutil.copytree(published_ws, folder)
        (folder / BACKUP_FILE).unlink(missing_ok=True)
        with Workspace.open(folder) as ws:
            snap = Snapshot.take(ws)
        _fill(disk)
        yield folder, snap


def _unchanged(folder: Path, before: Snapshot) -> None:
    with Workspace.open(folder) as ws:
        check_consistent(ws)
        after = Snapshot.take(ws)
    assert after.raw == before.raw and after.marts == before.marts
    assert after.batches == before.batches and after.last_published == before.last_published


def test_import_generate_run_and_backup_on_a_full_disk(
    full_ws: tuple[Path, Snapshot], tmp_path: Path
) -> None:
    folder, before = full_ws
    src = write_events_csv(tmp_path / "e.csv", 300_000, "full-")
    with Workspace.open(folder) as ws:
        with pytest.raises(ImportError_) as imp:
            import_events(ws, [src])
        assert "No space left on device" in imp.value.message
        with pytest.raises(GenerateError, match="No space left on device") as gen:
            generate_into(ws, GenerateSpec(events=200_000, days=30, seed=99))
        assert "disk space" in gen.value.hint
        with pytest.raises(WorkspaceError, match="No space left on device") as run:
            run_project(ws)
        assert "disk space" in run.value.hint
        with pytest.raises(WorkspaceError, match="No space left on device") as bak:
            ws.backup()
        assert "nothing was changed" in bak.value.hint
        assert not (folder / (BACKUP_FILE + ".partial")).exists()
    _unchanged(folder, before)
    (folder.parent / "filler").unlink()  # some room again: the workspace works as before
    small = write_events_csv(tmp_path / "small.csv", 1000, "small-")
    with Workspace.open(folder) as ws:
        assert import_events(ws, [small]).batch_id
        assert ws.row_count("raw", "events") == before.event_rows + 1000


#: What a checkpoint may add: the blocks it writes before the old ones are free (256 KB each).
SLACK = 1024 * 1024


def _free(folder: Path) -> int:
    st = os.statvfs(folder)
    return st.f_bavail * st.f_frsize


def test_a_failed_import_gives_the_disk_space_back(published_ws: Path, tmp_path: Path) -> None:
    """An import that fills the disk grew the database file until the disk was full, and the
    file stayed that size, even after closing: the disk stayed full. Now the space is given
    back."""
    src = write_events_csv(tmp_path / "e.csv", 1_000_000, "fill-")
    size = sum(p.stat().st_size for p in published_ws.iterdir() if p.is_file())
    with tmpfs(tmp_path / "disk", f"{size // 1024 + 6 * 1024}k") as disk:
        folder = disk / "ws"
        shutil.copytree(published_ws, folder)
        (folder / BACKUP_FILE).unlink(missing_ok=True)
        db = folder / DB_FILE
        with Workspace.open(folder) as ws:
            before = Snapshot.take(ws)
            ws.cursor().execute("CHECKPOINT")
        db_size, free = db.stat().st_size, _free(disk)
        with Workspace.open(folder) as ws, pytest.raises(ImportError_, match="No space left"):
            import_events(ws, [src])
        # Given back by the import itself, or (blocks DuckDB holds until the database closes)
        # at the latest when the workspace is next opened for writing.
        Workspace.open(folder).close()
        assert db.stat().st_size <= db_size + SLACK, (db_size, db.stat().st_size)
        assert _free(disk) >= free - SLACK, (free, _free(disk))
        assert not (folder / RESERVE_FILE).exists()
        _unchanged(folder, before)


def test_a_cancelled_import_gives_the_space_back(ws_dir: Path, tmp_path: Path) -> None:
    src = write_events_csv(tmp_path / "e.csv", 1_000_000, "cancel-")
    db = ws_dir / DB_FILE
    with Workspace.open(ws_dir) as ws:
        ws.cursor().execute("CHECKPOINT")
        size = db.stat().st_size
        grown = [0]

        class StopWhileLoading(NullReporter):
            def update(self, done: float, total: float, message: str = "") -> None:
                if message.startswith("Mapping"):
                    def cancel_once_grown() -> None:
                        for _ in range(400):
                            grown[0] = max(grown[0], db.stat().st_size - size)
                            if grown[0] > 4 * SLACK:
                                break
                            time.sleep(0.005)
                        self.cancel()

                    threading.Thread(target=cancel_once_grown, daemon=True).start()

        with pytest.raises(Cancelled):
            import_events(ws, [src], reporter=StopWhileLoading())
        assert grown[0] > 4 * SLACK, "the import was cancelled before it wrote anything"
        assert db.stat().st_size <= size + SLACK, (size, db.stat().st_size)
        check_consistent(ws)


def test_import_on_a_full_disk_blames_the_disk_not_the_file(
    full_ws: tuple[Path, Snapshot], tmp_path: Path
) -> None:
    folder, _ = full_ws
    src = write_events_csv(tmp_path / "e.csv", 300_000, "full-")
    with Workspace.open(folder) as ws, pytest.raises(ImportError_) as imp:
        import_events(ws, [src])
    assert not imp.value.message.startswith(f"Cannot read {src}")
    assert "space" in imp.value.hint


def test_model_run_when_the_disk_fills_up_mid_build(
    published_ws: Path, tmp_path: Path, capsys
) -> None:
    """Room for the run's history, not for the build: one line, exit 1, nothing published."""
    size = sum(p.stat().st_size for p in published_ws.iterdir() if p.is_file())
    with tmpfs(tmp_path / "disk", f"{size // 1024 + 2048}k") as disk:
        folder = disk / "ws"
        shutil.copytree(published_ws, folder)
        (folder / BACKUP_FILE).unlink(missing_ok=True)
        with Workspace.open(folder) as ws:
            before = Snapshot.take(ws)
            # Fill the free blocks inside the file too, so the build must grow the file.
            ws.cursor().execute("CHECKPOINT")
        (folder / "tmp").mkdir(exist_ok=True)
        with (disk / "filler").open("wb") as fh, contextlib.suppress(OSError):
            fh.write(b"\0" * (1024 * 1024 + 512 * 1024))
        code = main(["run", "-q", "-w", str(folder)])
        out = capsys.readouterr()
        assert "Traceback" not in out.err
        if code == 0:
            pytest.skip("the build fitted in the room left; nothing to test")
        assert code == 1
        text = out.out + out.err
        assert "No space left on device" in text and "Nothing was published" in text, text
        with Workspace.open(folder) as ws:
            check_consistent(ws)
            after = Snapshot.take(ws)
        assert after.marts == before.marts and after.last_published == before.last_published


def test_everything_a_full_disk_can_fail_is_a_shoplytics_error() -> None:
    """The error types the tests above expect are the user-facing ones."""
    for cls in (ExportError, GenerateError, ImportError_, WorkspaceError):
        assert issubclass(cls, ShoplyticsError)
