"""A second process on a workspace another process holds: one clear line, exit code 1, within a
few seconds (no waiting on the lock, no traceback)."""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.conftest import write_events_csv
from tests.reliability.support import Snapshot, check_consistent

pytestmark = pytest.mark.reliability

CLI = [sys.executable, "-m", "shoplytics_desktop.cli"]


@contextlib.contextmanager
def _hold(folder: Path, read_only: bool) -> Iterator[subprocess.Popen[str]]:
    code = textwrap.dedent(
        f"""
        import sys, time
        from shoplytics_desktop.core.workspace import Workspace
        ws = Workspace.open({str(folder)!r}, read_only={read_only})
        print("holding", flush=True)
        sys.stdin.read()
        ws.close()
        """
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        yield holder
    finally:
        holder.kill()
        holder.wait()


def _run_all(commands: list[list[str]]) -> list[tuple[int, str, str, float]]:
    """Start the commands together; their exit code, stdout, stderr and seconds each."""
    started = time.monotonic()
    procs = [subprocess.Popen(CLI + c, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for c in commands]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=60)
        results.append((p.returncode, out, err, time.monotonic() - started))
    return results


def test_cli_against_a_workspace_held_by_a_writer(ws_dir: Path, tmp_path: Path) -> None:
    from shoplytics_desktop.core.workspace import Workspace

    with Workspace.open(ws_dir) as ws:
        before = Snapshot.take(ws)
    src = write_events_csv(tmp_path / "e.csv", 100, "second-")
    w = ["-w", str(ws_dir)]
    commands = [["run", *w], ["import", *w, str(src)], ["info", *w],
                ["export", *w, "--all", "--out", str(tmp_path / "out")]]
    with _hold(ws_dir, read_only=False) as holder:
        results = _run_all(commands)
        for cmd, (code, out, err, seconds) in zip(commands, results, strict=True):
            assert code == 1, (cmd, out, err)
            assert err.count("\n") == 1 and "Traceback" not in err, err
            assert err.startswith(f"error: The workspace {ws_dir} is in use by another Shoplytics "
                                  f"process (process {holder.pid})"), err
            # Four commands start at once on two cores: each needs ~1.6 s to start Python.
            assert seconds < 15, f"{cmd[0]} took {seconds:.1f} s"
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    with Workspace.open(ws_dir) as ws:
        check_consistent(ws)
        assert Snapshot.take(ws) == before


def test_readers_share_writers_do_not(ws_dir: Path) -> None:
    """A read-only holder (e.g. the app browsing) lets `info` read, and turns a run away."""
    w = ["-w", str(ws_dir)]
    with _hold(ws_dir, read_only=True):
        (info, run) = _run_all([["info", *w], ["run", "-q", *w]])
    assert info[0] == 0 and re.search(r"raw\s+events\s+20,000", info[1]), info
    assert run[0] == 1 and run[2].count("\n") == 1 and "is in use by another" in run[2], run
