"""What a killed import leaves (DuckDB's spill files in the workspace's tmp/ folder, the UTF-8 copy
of a converted file in the temp folder) is removed when a writer next opens the workspace; files
that are not ours, and conversions of live processes, are left alone."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from shoplytics_desktop.core.ingest.leftovers import RECLAIM_MARKER, RESERVE_FILE
from shoplytics_desktop.core.ingest.transcode import FOLDER_PREFIX
from shoplytics_desktop.core.workspace import Workspace
from tests.reliability.children import import_child, kill_when
from tests.reliability.conftest import write_events_csv
from tests.reliability.support import check_consistent, record_figure

pytestmark = [pytest.mark.reliability, pytest.mark.slow]


def _spill_files(folder: Path) -> list[Path]:
    tmp = folder / "tmp"
    return [p for p in tmp.iterdir() if p.name.startswith("duckdb_temp")] if tmp.is_dir() else []


def test_a_killed_import_leaves_nothing_once_reopened(ws_dir: Path, tmp_path: Path) -> None:
    with Workspace.open(ws_dir) as ws:
        ws.settings.import_memory_limit = "64MB"  # so that the import spills
        ws.save_settings()
    plain = write_events_csv(tmp_path / "plain.csv", 1_000_000, "left-")
    src = tmp_path / "latin.csv"
    with plain.open("rb") as fh, src.open("wb") as out:
        out.write(fh.readline())
        # A Windows-1252 byte early on: the file is converted to a UTF-8 copy first.
        out.write(b"left-x,2024-01-01 00:00:00,page_view,u1,s1,p\xe9,9.99\n")
        shutil.copyfileobj(fh, out)
    seen: dict[str, list[Path]] = {}

    def spilling() -> bool:
        spill = _spill_files(ws_dir)
        if sum(p.stat().st_size for p in spill if p.exists()) > 8 * 1024 * 1024:
            seen["spill"] = spill
            return True
        return False

    kill_when(import_child, (str(ws_dir), str(src)), spilling, label="spilling", timeout=120)
    assert _spill_files(ws_dir), "the kill left no spill file: nothing to test"
    folders = [p for p in Path(tempfile.gettempdir()).iterdir()
               if p.name.startswith(FOLDER_PREFIX) and not _is_alive_folder(p)]
    assert folders, "the kill left no converted copy: nothing to test"
    # Someone else's file in tmp/, and a live process's conversion folder, must stay.
    (ws_dir / "tmp" / "notes.txt").write_text("not ours")
    live = Path(tempfile.mkdtemp(prefix=f"{FOLDER_PREFIX}{os.getppid()}-"))
    try:
        with Workspace.open(ws_dir) as ws:
            check_consistent(ws)
        assert _spill_files(ws_dir) == []
        assert not any(p.exists() for p in folders)
        assert (ws_dir / "tmp" / "notes.txt").exists() and live.exists()
    finally:
        shutil.rmtree(live, ignore_errors=True)
    record_figure("leftovers", [f"spill files removed: {len(seen['spill'])}",
                                f"conversion folders removed: {len(folders)}"])


def _is_alive_folder(path: Path) -> bool:
    pid = path.name[len(FOLDER_PREFIX):].split("-", 1)[0]
    if not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def test_a_reserve_file_and_a_reclaim_marker_are_handled_on_open(ws_dir: Path) -> None:
    (ws_dir / RESERVE_FILE).write_bytes(b"\0" * 1000)
    (ws_dir / RECLAIM_MARKER).touch()
    with Workspace.open(ws_dir) as ws:
        check_consistent(ws)
    assert not (ws_dir / RESERVE_FILE).exists() and not (ws_dir / RECLAIM_MARKER).exists()
    # A read-only opener is not the writer: it leaves things as they are.
    (ws_dir / RESERVE_FILE).write_bytes(b"\0")
    Workspace.open(ws_dir, read_only=True).close()
    assert (ws_dir / RESERVE_FILE).exists()
