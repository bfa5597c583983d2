"""Big data on a small machine: a model run over a million events under a tight memory_limit
completes by spilling to the temp directory, and where even that cannot work, the error names the
setting to change."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from shoplytics_desktop.cli import main
from shoplytics_desktop.core.generate import GenerateSpec, generate_into
from shoplytics_desktop.core.models.runner import run_project
from shoplytics_desktop.core.workspace import Workspace
from tests.reliability.support import Snapshot, check_consistent, record_figure

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

EVENTS = 1_000_000


@contextmanager
def spill_watch(folder: Path) -> Iterator[list[int]]:
    """The most bytes seen in ``folder`` while the block runs."""
    peak = [0]
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(0.005):
            with suppress(OSError):
                peak[0] = max(peak[0], sum(e.stat().st_size for e in os.scandir(folder)))

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    try:
        yield peak
    finally:
        stop.set()
        thread.join()


def _limit(folder: Path, memory_limit: str, spill: Path, threads: int | None = None) -> None:
    with Workspace.open(folder) as ws:
        ws.settings.memory_limit = memory_limit
        ws.settings.temp_directory = str(spill)
        ws.settings.threads = threads
        ws.save_settings()


def test_a_million_events_under_a_tight_memory_limit(tmp_path: Path, capsys) -> None:
    folder, spill = tmp_path / "ws", tmp_path / "spill"
    with Workspace.open(folder) as ws:
        generate_into(ws, GenerateSpec(events=EVENTS, days=60, seed=5))
    figures = []
    # The whole project at 200MB; then the heaviest model (sessionizing every event) at 112MB on
    # one thread, where it must spill. (Its first-event attributes are the fields of one arg_min
    # by a (time, id) key that every engine orders alike: it fits in 160MB without spilling, and
    # needs the temp directory below about 128MB.)
    for memory_limit, threads, select in (("200MB", None, None), ("112MB", 1, ["int_sessions"])):
        _limit(folder, memory_limit, spill, threads)
        with Workspace.open(folder) as ws, spill_watch(spill) as peak:
            setting = ws.cursor().execute("SELECT current_setting('memory_limit')").fetchone()
            assert setting is not None and setting[0].endswith("MiB")
            result = run_project(ws, select=select, full_refresh=True)
        assert result.published, result.message
        assert result.status == "success"
        what = f"all {len(result.models)} models" if select is None else "int_sessions"
        figures.append(f"{memory_limit}: {what} built, {peak[0] / 1e6:.0f} MB spilled")
    assert peak[0] > 0, "at 112MB int_sessions should have spilled to the temp directory"
    with Workspace.open(folder) as ws:
        check_consistent(ws)
        published = Snapshot.take(ws)
        assert ws.row_count("raw", "events") == EVENTS
        assert ws.row_count("marts", "fct_orders") > 0

    # Too little even to spill: the message says which setting to raise, and nothing changes.
    # (A full rebuild: an update with no new events now fits in 40MB.)
    _limit(folder, "40MB", spill)
    assert main(["run", "-q", "--full-refresh", "-w", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "Out of Memory" in out and "memory_limit setting (40MB)" in out, out
    assert "shoplytics settings memory_limit=" in out and "Nothing was published" in out
    with Workspace.open(folder) as ws:
        after = Snapshot.take(ws)
    assert after.marts == published.marts and after.last_published == published.last_published
    figures.append("40MB: clear error naming memory_limit")
    # An update that runs out of memory says so too (not that the transaction it ended is
    # aborted, the error of the next statement).
    with Workspace.open(folder) as ws:
        generate_into(ws, GenerateSpec(events=300_000, days=60, seed=6))
    assert main(["run", "-q", "-w", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "Out of Memory" in out and "transaction is aborted" not in out, out
    figures.append("40MB update: the same clear error")
    record_figure("memory limits", figures)
