"""Work run in a child process that the test kills with SIGKILL part-way through.

The children are forked from a forkserver that has already imported the app, so each one starts
in milliseconds and the kill lands at a known step: every progress update is sent to the parent
through a pipe the moment it happens, and the parent kills when it sees the step it waits for.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from shoplytics_desktop.core.export import export_tables
from shoplytics_desktop.core.generate import GenerateSpec, generate_into
from shoplytics_desktop.core.ingest import import_events
from shoplytics_desktop.core.models.runner import run_project
from shoplytics_desktop.core.progress import NullReporter
from shoplytics_desktop.core.workspace import Workspace

CTX = multiprocessing.get_context("forkserver")
CTX.set_forkserver_preload([__name__])


class PipeReporter(NullReporter):
    """Sends every update to the parent; stops dead at the update naming ``hold``, so that a
    kill waiting for that step lands exactly there."""

    def __init__(self, conn: Connection, hold: str | None) -> None:
        super().__init__()
        self.conn = conn
        self.hold = hold

    def update(self, done: float, total: float, message: str = "") -> None:
        self.conn.send(("update", message))
        if self.hold and self.hold in message:
            time.sleep(3600)

    def log(self, message: str) -> None:
        self.conn.send(("log", message))


def _serve(
    conn: Connection, hold: str | None, folder: str, work: Callable[[Workspace, PipeReporter], Any]
) -> None:
    ws = Workspace.open(Path(folder))
    conn.send(("opened", ""))
    result = work(ws, PipeReporter(conn, hold))
    # The work has returned (committed), the workspace is still open: a kill now must keep it.
    conn.send(("done", result))
    ws.close()
    conn.send(("closed", ""))
    time.sleep(3600)


def import_child(conn: Connection, hold: str | None, folder: str, path: str) -> None:
    def work(ws: Workspace, rep: PipeReporter) -> str | None:
        return import_events(ws, [path], reporter=rep).batch_id

    _serve(conn, hold, folder, work)


def run_child(conn: Connection, hold: str | None, folder: str) -> None:
    def work(ws: Workspace, rep: PipeReporter) -> str:
        # A full rebuild, so every kill point lands in real work (with nothing new, an
        # incremental run leaves the incremental models as they are).
        result = run_project(ws, reporter=rep, full_refresh=True)
        return f"{result.run_id} {result.status}"

    _serve(conn, hold, folder, work)


def export_child(
    conn: Connection, hold: str | None, folder: str, tables: list[str], out: str, fmt: str
) -> None:
    def work(ws: Workspace, rep: PipeReporter) -> list[str]:
        return [str(f.path) for f in export_tables(ws, tables, Path(out), fmt, reporter=rep)]

    _serve(conn, hold, folder, work)


def generate_child(conn: Connection, hold: str | None, folder: str, events: int, seed: int) -> None:
    def work(ws: Workspace, rep: PipeReporter) -> str:
        return generate_into(ws, GenerateSpec(events=events, days=30, seed=seed), rep).batch_id

    _serve(conn, hold, folder, work)


@dataclass
class Killed:
    """What the child said before it died."""

    label: str
    messages: list[tuple[str, Any]] = field(default_factory=list)

    @property
    def done(self) -> Any:
        for kind, value in self.messages:
            if kind == "done":
                return value
        return None

    @property
    def finished(self) -> bool:
        return any(kind == "done" for kind, _ in self.messages)


def kill_when(
    target: Callable[..., None],
    args: tuple[Any, ...],
    trigger: str | Callable[[], bool],
    delay: float = 0.0,
    label: str = "",
    timeout: float = 30.0,
) -> Killed:
    """Start ``target`` in a child; wait for a message containing ``trigger`` (or, if it is a
    function, until it returns true), wait ``delay`` seconds more, then SIGKILL the child.
    Without a delay the child stops at the progress update naming the trigger, so the kill lands
    exactly at that step. Fails if the trigger never comes."""
    receiver, sender = CTX.Pipe(duplex=False)
    hold = trigger if isinstance(trigger, str) and not delay else None
    proc = CTX.Process(target=target, args=(sender, hold, *args), daemon=True)
    proc.start()
    sender.close()
    name = label or (trigger if isinstance(trigger, str) else "condition")
    out = Killed(label=f"{name}+{delay:.2f}s")
    deadline = time.monotonic() + timeout
    try:
        while True:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"the child never reached '{name}': {out.messages}"
            if callable(trigger):
                if trigger():
                    break
                if receiver.poll(0.005):
                    out.messages.append(_receive(receiver, name, out))
                continue
            if not receiver.poll(remaining):
                continue
            msg = _receive(receiver, name, out)
            out.messages.append(msg)
            if trigger in f"{msg[0]} {msg[1]}":
                break
        if delay:
            time.sleep(delay)
    finally:
        assert proc.pid is not None
        os.kill(proc.pid, signal.SIGKILL)
        proc.join(10)
    # What the child managed to send before it died.
    while receiver.poll(0):
        try:
            out.messages.append(receiver.recv())
        except (EOFError, OSError):
            break
    receiver.close()
    assert proc.exitcode == -signal.SIGKILL, f"the child ended by itself ({proc.exitcode})"
    return out


def _receive(receiver: Connection, name: str, out: Killed) -> tuple[str, Any]:
    try:
        msg: tuple[str, Any] = receiver.recv()
    except EOFError as e:
        raise AssertionError(f"the child died before '{name}': {out.messages}") from e
    return msg
