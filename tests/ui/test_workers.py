"""Cancelling one worker stops its own statement and leaves other work on the workspace running."""

from __future__ import annotations

from pathlib import Path

from shoplytics_desktop.core.workspace import Workspace
from shoplytics_desktop.ui.workers import Worker

SLOW = "SELECT count(*) FROM range(100000000000) t(i) WHERE i % 7 = 3"


def _slow(ws: Workspace, reporter: object) -> int:
    row = ws.cursor().execute(SLOW).fetchone()
    return int(row[0]) if row else 0


def test_cancel_interrupts_only_its_own_statement(qtbot, tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "ws") as ws:
        outcome: dict[str, str] = {}
        first = Worker(_slow, ws, workspace=ws)
        second = Worker(_slow, ws, workspace=ws)
        for name, worker in (("first", first), ("second", second)):
            worker.signals.cancelled.connect(lambda n=name: outcome.setdefault(n, "cancelled"))
            worker.signals.error.connect(lambda e, n=name: outcome.setdefault(n, f"error {e}"))
            worker.signals.result.connect(lambda v, n=name: outcome.setdefault(n, "finished"))
            worker.start()
        qtbot.waitUntil(lambda: first._cursor is not None and second._cursor is not None, timeout=5000)
        qtbot.wait(300)
        first.cancel()
        qtbot.waitUntil(lambda: "first" in outcome, timeout=10_000)
        assert outcome == {"first": "cancelled"}  # the second query is still running
        qtbot.wait(300)
        assert "second" not in outcome
        second.cancel()
        qtbot.waitUntil(lambda: "second" in outcome, timeout=10_000)
        assert outcome == {"first": "cancelled", "second": "cancelled"}
