"""Shared helpers for the benchmark scripts: peak RSS, a fresh generated workspace, and an empty
OS page cache."""

from __future__ import annotations

import os
import resource
import sys
import time
from pathlib import Path


def peak_rss_mb() -> float:
    """Peak resident memory of this process (MB)."""
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024 if sys.platform != "darwin" else kb / 1024 / 1024


def generated_workspace(folder: Path, events: int, days: int = 90, seed: int = 7) -> float:
    """Fill ``folder`` with ``events`` generated events (reused if already there); returns seconds."""
    from shoplytics_desktop.core.generate import GenerateSpec, generate_into
    from shoplytics_desktop.core.workspace import Workspace

    with Workspace.open(folder) as ws:
        if ws.row_count("raw", "events") == events:
            return 0.0
        t0 = time.perf_counter()
        generate_into(ws, GenerateSpec(events=events, days=days, seed=seed), replace=True)
        return time.perf_counter() - t0


def drop_page_cache() -> bool:
    """Empty the OS page cache (Linux, as root), so that the next reads come from the disk;
    whether it could."""
    os.sync()
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError:
        return False
    return True
