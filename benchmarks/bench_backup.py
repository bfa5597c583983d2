"""Time the backup a destructive operation takes first (deleting a batch, replacing data,
restoring): ``Workspace.backup()`` on existing workspaces, against copying the file.

    python benchmarks/bench_backup.py benchmarks/out/run-10000000 [--repeat 3] [--cold]

For each workspace it prints the database's size, the seconds of each backup (a checkpoint, the
copy, opening the copy to verify it), whether the copy was a clone (file systems that clone
files: Btrfs, XFS with reflink; see core/filecopy.py) and the disk space the backup took, and the
seconds of a plain byte copy of the same file (``shutil.copyfile``) for comparison. ``--cold``
drops the OS page cache before each (as root), as when the workspace has not been read lately.
To see a clone on a machine whose disks do not clone, make a small XFS file system in a file:

    truncate -s 4G xfs.img && mkfs.xfs -m reflink=1 xfs.img && mount -o loop xfs.img /mnt/xfs
    cp -r benchmarks/out/run-10000000 /mnt/xfs/ && python benchmarks/bench_backup.py /mnt/xfs/run-10000000
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._util import drop_page_cache
from shoplytics_desktop.core.workspace import Workspace


def _maybe_cold(cold: bool) -> None:
    if cold and not drop_page_cache():
        print("  (the page cache could not be dropped: not root, or not Linux)")


def one_workspace(folder: Path, repeat: int, cold: bool) -> None:
    times, used = [], []
    size = 0.0
    for _ in range(repeat):
        with Workspace.open(folder) as ws:
            ws.backup_path.unlink(missing_ok=True)
            _maybe_cold(cold)
            free = shutil.disk_usage(folder).free
            t0 = time.perf_counter()
            ws.backup()
            times.append(time.perf_counter() - t0)
            used.append((free - shutil.disk_usage(folder).free) / 1e9)
            size = ws.db_path.stat().st_size / 1e9
    plain = []
    target = folder / "bench_backup.copy"
    for _ in range(repeat):
        _maybe_cold(cold)
        t0 = time.perf_counter()
        shutil.copyfile(folder / "warehouse.duckdb", target)
        plain.append(time.perf_counter() - t0)
        target.unlink()
    print(f"{folder}: database {size:.2f} GB")
    print(f"  backup      median {statistics.median(times):7.3f} s  (runs: "
          f"{', '.join(f'{t:.3f}' for t in times)}); "
          f"disk space taken {statistics.median(used):.2f} GB"
          f"{' (a clone)' if statistics.median(used) < 0.01 * size else ''}")
    print(f"  plain copy  median {statistics.median(plain):7.3f} s  (runs: "
          f"{', '.join(f'{t:.3f}' for t in plain)})", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("workspace", type=Path, nargs="+")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cold", action="store_true", help="drop the OS page cache before each")
    args = ap.parse_args()
    for folder in args.workspace:
        one_workspace(folder, args.repeat, args.cold)


if __name__ == "__main__":
    main()
