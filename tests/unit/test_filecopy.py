"""Copies of the database file: a clone where the file system makes one, else a plain copy;
either way the copy keeps what the original held when it was made."""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path

import pytest

from shoplytics_desktop.core import filecopy
from shoplytics_desktop.core.filecopy import copy_file

#: A folder on a file system that clones files (e.g. XFS made with reflink, Btrfs), to test the
#: clone itself; without it, that test is skipped.
REFLINK_DIR = os.environ.get("SHOPLYTICS_REFLINK_DIR")


def _copy_and_change(folder: Path) -> bool:
    src, dst = folder / "db", folder / "db.bak"
    data = os.urandom(3 * 1024 * 1024)
    src.write_bytes(data)
    os.utime(src, (1_600_000_000, 1_600_000_000))
    cloned = copy_file(src, dst)
    assert dst.read_bytes() == data
    assert dst.stat().st_mtime == 1_600_000_000  # times kept, as shutil.copy2 keeps them
    # The original changes afterwards (DuckDB writing to it): the copy stays as it was.
    with src.open("r+b") as fh:
        fh.seek(1024 * 1024)
        fh.write(b"\0" * 4096)
    with src.open("ab") as fh:
        fh.write(b"more")
    assert dst.read_bytes() == data
    return cloned


def test_a_copy_keeps_what_the_original_held(tmp_path: Path) -> None:
    _copy_and_change(tmp_path)


def test_a_file_system_that_cannot_clone_gets_a_plain_copy(tmp_path: Path, monkeypatch) -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("the clone is Linux's")
    import fcntl

    def refuse(*_args: object) -> None:
        raise OSError(errno.EOPNOTSUPP, "Operation not supported")

    monkeypatch.setattr(fcntl, "ioctl", refuse)
    assert _copy_and_change(tmp_path) is False


def test_errors_are_those_of_a_plain_copy(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        copy_file(tmp_path / "missing", tmp_path / "copy")
    (tmp_path / "db").write_bytes(b"x")
    with pytest.raises(FileNotFoundError):
        copy_file(tmp_path / "db", tmp_path / "no such folder" / "copy")


@pytest.mark.skipif(not REFLINK_DIR, reason="SHOPLYTICS_REFLINK_DIR names no cloning file system")
def test_a_file_system_that_clones_gets_a_clone(tmp_path: Path) -> None:
    assert REFLINK_DIR is not None
    folder = Path(REFLINK_DIR) / tmp_path.name
    folder.mkdir()
    try:
        assert _copy_and_change(folder) is True
    finally:
        for f in folder.iterdir():
            f.unlink()
        folder.rmdir()


def test_the_clone_request_is_linux_ficlone() -> None:
    # _IOW(0x94, 9, int): direction write (1 << 30), size 4 (<< 16), type 0x94 (<< 8), number 9.
    assert filecopy._FICLONE == (1 << 30) | (4 << 16) | (0x94 << 8) | 9
