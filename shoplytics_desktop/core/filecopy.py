"""Copies of a workspace's database file: a copy-on-write clone where the file system makes one.

A backup (before a batch is deleted or data replaced), a restore and a snapshot each copy the
whole database, gigabytes at 100M events: seconds to tens of seconds, and as much disk again.
On Linux file systems that clone files (Btrfs, XFS made with reflink, the default since
xfsprogs 5.1, bcachefs, OCFS2) the copy shares the original's blocks until either file changes,
so it takes no time and no space, and DuckDB's later writes to the original leave it as it was.
Elsewhere (ext4, another file system than the original's, other systems) the bytes are copied.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

#: Linux's FICLONE ioctl, _IOW(0x94, 9, int): the target file shares the source's blocks.
_FICLONE = 0x40049409


def copy_file(src: Path, dst: Path) -> bool:
    """Copy ``src`` to ``dst`` with its permission bits and times (as ``shutil.copy2``);
    whether the copy is a clone. Errors are those of a plain copy."""
    if sys.platform.startswith("linux") and _clone(src, dst):
        shutil.copystat(src, dst)
        return True
    shutil.copy2(src, dst)
    return False


def _clone(src: Path, dst: Path) -> bool:
    """Make ``dst`` a clone of ``src``; False when the file system cannot (a plain copy
    follows, which reports any real error, such as a missing source or a full disk)."""
    import fcntl

    try:
        with src.open("rb") as source, dst.open("wb") as target:
            fcntl.ioctl(target.fileno(), _FICLONE, source.fileno())
    except OSError:
        return False
    return True
