"""Snapshots: a read-only copy of a workspace, deleted with it; the original is never touched."""

from __future__ import annotations

from pathlib import Path

import pytest

from shoplytics_desktop.core import snapshot
from shoplytics_desktop.core.backups import DB_FILE
from shoplytics_desktop.core.errors import WorkspaceError
from shoplytics_desktop.core.workspace import Workspace


def _workspace_with_rows(folder: Path) -> None:
    with Workspace.open(folder) as ws:
        ws.cursor().execute("create table marts.t as select range as i from range(7)")


def test_a_snapshot_is_a_read_only_copy_deleted_on_close(tmp_path: Path) -> None:
    original = tmp_path / "ws"
    _workspace_with_rows(original)
    before = (original / DB_FILE).read_bytes()
    ws = snapshot.open_snapshot(original, into=tmp_path)
    try:
        assert snapshot.is_snapshot(ws) and ws.snapshot_of == original and ws.read_only
        assert ws.folder != original and ws.folder.parent == tmp_path
        assert ws.folder.name.startswith(snapshot.PREFIX)
        assert snapshot.shown_folder(ws) == original
        assert ws.row_count("marts", "t") == 7
        # the copy is independent of the original
        with Workspace.open(original) as writer:
            writer.cursor().execute("insert into marts.t values (99)")
        assert ws.row_count("marts", "t") == 7
    finally:
        snapshot.close(ws)
    assert not ws.folder.exists()
    assert original.exists() and (original / DB_FILE).stat().st_size >= len(before)


def test_closing_an_ordinary_workspace_deletes_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "ws"
    _workspace_with_rows(folder)
    ws = Workspace.open(folder)
    assert not snapshot.is_snapshot(ws) and snapshot.shown_folder(ws) == folder
    snapshot.close(ws)
    assert (folder / DB_FILE).exists()


def test_a_folder_without_a_workspace_says_so(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="no workspace database"):
        snapshot.open_snapshot(tmp_path / "empty", into=tmp_path)
    assert not any(p.name.startswith(snapshot.PREFIX) for p in tmp_path.iterdir())


def test_a_copy_that_does_not_open_is_removed(tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / DB_FILE).write_bytes(b"not a database" * 2000)
    with pytest.raises(WorkspaceError):
        snapshot.open_snapshot(folder, into=tmp_path)
    assert not any(p.name.startswith(snapshot.PREFIX) for p in tmp_path.iterdir())
    assert (folder / DB_FILE).exists()
