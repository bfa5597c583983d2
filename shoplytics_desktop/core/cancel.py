"""One cancel token per job, and one way to tell how a job ended.

A ``CancelToken`` is what a Cancel button (or Ctrl+C) presses. Whatever can run a long DuckDB
statement for the job — a cursor, a connection, a whole workspace — is bound to the token while
the job uses it, so ``cancel()`` stops a running statement at once instead of at the job's next
``raise_if_cancelled()``. Binding to a token that is already cancelled interrupts at once too.

``classify`` is the one place that decides whether an exception that ended a job is a cancel
(the user asked), an interrupt (Ctrl+C stopped the process's work) or a failure.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Iterator
from enum import StrEnum
from typing import Protocol

import duckdb

from shoplytics_desktop.core.errors import Cancelled


class Interruptible(Protocol):
    """A DuckDB connection or cursor, or a workspace: anything whose running statement can be
    stopped from another thread."""

    def interrupt(self) -> None: ...


class Outcome(StrEnum):
    CANCELLED = "cancelled"  # the user pressed Cancel (or a first Ctrl+C asked the job to stop)
    INTERRUPTED = "interrupted"  # Ctrl+C reached the work itself (KeyboardInterrupt)
    FAILED = "failed"


def classify(exc: BaseException, token: CancelToken | None = None) -> Outcome:
    """How the job that raised ``exc`` ended.

    Ctrl+C that reaches the work is a KeyboardInterrupt, or, while DuckDB runs a statement, the
    RuntimeError('Query interrupted') DuckDB's client raises in its place. A cancel is our own
    ``Cancelled``, or DuckDB's InterruptException (``interrupt()`` stopped the statement), or any
    error at all once ``token`` was cancelled: the statement a cancel stopped may fail in
    another way (a cut-off read, a rolled-back transaction)."""
    if isinstance(exc, KeyboardInterrupt) or (
        type(exc) is RuntimeError and str(exc).startswith("Query interrupted")
    ):
        return Outcome.INTERRUPTED
    if isinstance(exc, (Cancelled, duckdb.InterruptException)):
        return Outcome.CANCELLED
    if token is not None and token.cancelled and isinstance(exc, Exception):
        return Outcome.CANCELLED
    return Outcome.FAILED


class CancelToken:
    """Asked to stop once, from any thread; stops the statements bound to it."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        # Weak: a workspace closed and dropped while bound must not be kept open by its token.
        self._bound: weakref.WeakSet[Interruptible] = weakref.WeakSet()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def cancel(self, interrupt: bool = True) -> None:
        """Ask the job to stop; ``interrupt``: stop the statements bound now, too."""
        self._event.set()
        if interrupt:
            self.interrupt()

    def interrupt(self) -> None:
        """Stop whatever the bound connections are running, without asking the job to stop."""
        with self._lock:
            bound = list(self._bound)
        for target in bound:
            with contextlib.suppress(duckdb.Error, RuntimeError):
                target.interrupt()

    def reset(self) -> None:
        """Ready for the next job (a command line's token serves one command at a time)."""
        self._event.clear()

    def raise_if_cancelled(self, message: str | None = None) -> None:
        if self._event.is_set():
            raise Cancelled() if message is None else Cancelled(message)

    def attach(self, target: Interruptible) -> None:
        """Bind ``target`` until ``detach`` (or until it is garbage); a token already
        cancelled interrupts it at once."""
        with self._lock:
            self._bound.add(target)
        if self._event.is_set():
            with contextlib.suppress(duckdb.Error, RuntimeError):
                target.interrupt()

    def detach(self, target: Interruptible) -> None:
        with self._lock:
            self._bound.discard(target)

    @property
    def bound(self) -> int:
        """How many connections are bound now."""
        with self._lock:
            return len(self._bound)

    @contextlib.contextmanager
    def bind(self, target: Interruptible) -> Iterator[None]:
        """Bind ``target`` for the block: a cancel meanwhile interrupts its statement."""
        self.attach(target)
        try:
            yield
        finally:
            self.detach(target)
