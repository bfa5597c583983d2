"""Progress reporting and cancellation for long work.

Core functions take a ``Reporter``; they call ``reporter.update`` as they go and
``reporter.check_cancelled()`` at safe points. The CLI passes a text reporter, the app a reporter
that forwards to a Qt signal, tests a ``RecordingReporter``. A reporter's ``token`` is the job's
cancel token (core/cancel.py): core binds the connections it runs long statements on to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from shoplytics_desktop.core.cancel import CancelToken


class Reporter(Protocol):
    def update(self, done: float, total: float, message: str = "") -> None: ...

    def log(self, message: str) -> None: ...

    def check_cancelled(self) -> None:
        """Raise ``Cancelled`` if the user asked to stop."""
        ...

    @property
    def cancel_requested(self) -> bool: ...

    @property
    def token(self) -> CancelToken: ...


class NullReporter:
    """Reports nothing; can still be cancelled from another thread."""

    def __init__(self, token: CancelToken | None = None) -> None:
        self._token = token or CancelToken()

    def update(self, done: float, total: float, message: str = "") -> None:
        pass

    def log(self, message: str) -> None:
        pass

    @property
    def token(self) -> CancelToken:
        return self._token

    def cancel(self) -> None:
        """Ask the work to stop, and stop the statement it runs on a connection bound to the
        token."""
        self._token.cancel()

    @property
    def cancel_requested(self) -> bool:
        return self._token.cancelled

    def check_cancelled(self) -> None:
        self._token.raise_if_cancelled()


@dataclass
class RecordingReporter(NullReporter):
    """Keeps every update and log line (for tests), optionally cancelling after N updates."""

    cancel_after: int | None = None
    updates: list[tuple[float, float, str]] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        NullReporter.__init__(self)

    def update(self, done: float, total: float, message: str = "") -> None:
        self.updates.append((done, total, message))
        if self.cancel_after is not None and len(self.updates) >= self.cancel_after:
            self.cancel()

    def log(self, message: str) -> None:
        self.lines.append(message)
