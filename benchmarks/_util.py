"""Shared helpers for the benchmark scripts: peak RSS and a fresh generated workspace."""

from __future__ import annotations

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
