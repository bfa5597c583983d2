"""Helpers shared by the command modules: workspace argument, progress output, tables."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from shoplytics_desktop.core.cancel import CancelToken
from shoplytics_desktop.core.errors import WorkspaceError
from shoplytics_desktop.core.paths import default_workspace_dir, log_dir
from shoplytics_desktop.core.progress import NullReporter
from shoplytics_desktop.core.workspace import Workspace, damaged_error, is_damage


def add_workspace_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--workspace",
        "-w",
        metavar="PATH",
        default=None,
        help="workspace folder (default: $SHOPLYTICS_WORKSPACE or the user's default workspace)",
    )


#: The command's cancel token: Ctrl+C presses it. The workspaces the command has open are bound
#: to it (what Ctrl+C interrupts), and so is any other connection core binds for a job.
CTRL_C = CancelToken()


def open_workspace(args: argparse.Namespace, read_only: bool = False) -> Workspace:
    ws = Workspace.open(getattr(args, "workspace", None), read_only=read_only)
    for warning in ws.settings_warnings:
        print(f"warning: {warning}", file=sys.stderr)
    CTRL_C.attach(ws)
    return ws


@contextlib.contextmanager
def ctrl_c_stops_statements() -> Iterator[None]:
    """Make Ctrl+C stop a running DuckDB statement at once.

    Python runs its SIGINT handler between bytecodes of the main thread, and DuckDB looks for a
    pending signal only between its tasks, so a long statement could run on for seconds (or
    minutes) after Ctrl+C. The signal's wake-up byte reaches this watcher thread at once, and
    ``interrupt()`` stops the statement; its transaction rolls back as for a Cancel.

    Meanwhile the first Ctrl+C only cancels the CTRL_C token, so that the command's reporter
    stops the work at its next check, as a Cancel in the app would, and the command records and
    says so; a second Ctrl+C, or one while nothing is bound to the token (no workspace open, no
    job's connection), stops the command at once.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    CTRL_C.reset()

    def on_sigint(signum: int, frame: object) -> None:
        if CTRL_C.cancelled or not CTRL_C.bound:
            raise KeyboardInterrupt
        CTRL_C.cancel(interrupt=False)  # the watcher has interrupted the statements already

    reader, writer = socket.socketpair()
    writer.setblocking(False)
    try:
        previous = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    except (ValueError, OSError):
        reader.close()
        writer.close()
        yield
        return
    previous_handler = signal.signal(signal.SIGINT, on_sigint)

    def watch() -> None:
        while True:
            try:
                data = reader.recv(64)
            except OSError:
                return
            if not data:  # the writer closed: the command is over
                return
            if int(signal.SIGINT) in data:
                CTRL_C.interrupt()

    watcher = threading.Thread(target=watch, name="ctrl-c", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous_handler)
        signal.set_wakeup_fd(previous)
        writer.close()
        watcher.join(timeout=1)
        reader.close()


class TextReporter(NullReporter):
    """Progress on stderr: a rewritten line on a terminal, sparse lines otherwise."""

    def __init__(self, quiet: bool = False) -> None:
        super().__init__(CTRL_C)  # Ctrl+C is this command's Cancel
        self.quiet = quiet
        self._tty = sys.stderr.isatty()
        self._last = 0.0

    def update(self, done: float, total: float, message: str = "") -> None:
        if self.quiet or not self._tty:
            return
        now = time.monotonic()
        if now - self._last < 0.1 and done < total:
            return
        self._last = now
        pct = f"{100 * done / total:5.1f}%" if total else ""
        sys.stderr.write(f"\r{pct} {message[:70]:<70}")
        if total and done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    def log(self, message: str) -> None:
        if not self.quiet:
            if self._tty:
                sys.stderr.write("\r" + " " * 78 + "\r")
            print(message, file=sys.stderr)


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    def fmt(v: Any) -> str:
        if v is None:
            return ""
        if isinstance(v, float):
            return f"{v:,.4g}" if abs(v) < 1 else f"{v:,.2f}"
        if isinstance(v, int) and not isinstance(v, bool):
            return f"{v:,}"
        return str(v)

    cells = [[fmt(v) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, c in enumerate(row):
            widths[i] = max(widths[i], len(c))
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    for row in cells:
        out.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(out)


def workspace_folder(args: argparse.Namespace) -> Path:
    """The folder ``--workspace`` names, else the user's default workspace (as
    ``Workspace.open`` resolves it), without opening or creating anything."""
    folder = getattr(args, "workspace", None)
    return Path(folder).expanduser() if folder else default_workspace_dir()


def require_workspace(args: argparse.Namespace, nothing_to: str, first: str,
                      database: bool = True) -> Path:
    """The workspace folder, which must hold a database (``database``; else exist at all): a
    command that reads what is there must not turn a mistyped path into a new, empty
    workspace."""
    from shoplytics_desktop.core.backups import DB_FILE

    folder = workspace_folder(args)
    if not (folder / DB_FILE if database else folder).exists():
        raise WorkspaceError(f"There is no workspace at {folder}: nothing to {nothing_to}.",
                             f"Check the path (--workspace), or {first}.")
    return folder


def damaged_workspace(args: argparse.Namespace, exc: BaseException) -> WorkspaceError | None:
    """DuckDB finds a damaged data block only when a query reads it: say so as at open, with
    the restore the workspace offers, instead of an unexpected error."""
    if not is_damage(exc):
        return None
    return damaged_error(workspace_folder(args), f" ({str(exc).splitlines()[0]})")


def log_exception(exc: BaseException) -> Path:
    """Write the traceback of an unexpected error to the log folder and return the file."""
    folder = log_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "shoplytics-cli.log"
        with path.open("a", encoding="utf-8") as fh:
            fh.write(f"\n--- {dt.datetime.now().isoformat()} ---\n")
            fh.write("".join(traceback.format_exception(exc)))
        return path
    except OSError:
        return Path("(log unavailable)")
