"""Run core work off the UI thread.

Core functions are plain Python taking a ``reporter``; a ``Worker`` runs one on the global thread
pool and turns the reporter's calls into Qt signals (delivered on the UI thread). The worker binds
its thread's cursor on the workspace to the reporter's cancel token, so ``cancel()`` (the token's)
stops a long DuckDB statement at once, and other work on the same workspace carries on.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any, ClassVar

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from shoplytics_desktop.core.cancel import Interruptible, Outcome, classify
from shoplytics_desktop.core.errors import Cancelled
from shoplytics_desktop.core.progress import NullReporter
from shoplytics_desktop.core.workspace import Workspace

log = logging.getLogger(__name__)


class WorkerSignals(QObject):
    progress = Signal(float, float, str)  # done, total, message
    message = Signal(str)
    item = Signal(object)  # structured partial results (e.g. a model finished)
    result = Signal(object)
    error = Signal(object)  # the exception
    cancelled = Signal()
    finished = Signal()  # always, after result/error/cancelled

    def __init__(self, on_release: Callable[[], None]) -> None:
        super().__init__()
        self._on_release = on_release
        # A slot of this object runs on the UI thread (queued), after every earlier signal.
        self.finished.connect(self._release)

    @Slot()
    def _release(self) -> None:
        self._on_release()


class SignalReporter(NullReporter):
    def __init__(self, signals: WorkerSignals) -> None:
        super().__init__()
        self._signals = signals

    def update(self, done: float, total: float, message: str = "") -> None:
        self._signals.progress.emit(float(done), float(total), message)

    def log(self, message: str) -> None:
        self._signals.message.emit(message)


class Worker(QRunnable):
    """Calls ``fn(*args, reporter=…, **kwargs)`` on a pool thread."""

    # Workers (and their signal objects) stay alive until the UI thread has had every signal.
    _alive: ClassVar[set[Worker]] = set()

    def __init__(
        self,
        fn: Callable[..., Any],
        *args: Any,
        workspace: Workspace | None = None,
        pass_reporter: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__()
        self.setAutoDelete(False)
        self.fn, self.args, self.kwargs = fn, args, kwargs
        self.workspace = workspace
        self.signals = WorkerSignals(lambda: Worker._alive.discard(self))
        self.reporter = SignalReporter(self.signals)
        self.pass_reporter = pass_reporter
        self.traceback_text = ""
        self._cursor: Interruptible | None = None

    def emit_item(self, obj: object) -> None:
        """For use as a core listener callback: forwards structured results to the UI."""
        self.signals.item.emit(obj)

    def run(self) -> None:
        token = self.reporter.token
        try:
            if self.workspace is not None:
                # this pool thread's cursor, the one the core function works through (a cursor per
                # thread): a cancel interrupts it alone, not other work running on the workspace
                self._cursor = self.workspace.cursor()
                token.attach(self._cursor)
            kwargs = dict(self.kwargs)
            if self.pass_reporter:
                kwargs["reporter"] = self.reporter
            value = self.fn(*self.args, **kwargs)
        except BaseException as e:
            # A cancel may stop a statement outside the core function's own cancel handling
            # (e.g. while it records the start of a run): a cancel too, once asked for.
            if isinstance(e, Cancelled) or (
                classify(e) is Outcome.CANCELLED and self.cancel_requested
            ):
                self.signals.cancelled.emit()
            else:  # reported to the one error sink in the UI
                self._failed(e)
        else:
            self.signals.result.emit(value)
        finally:
            if self._cursor is not None:
                token.detach(self._cursor)
            # A result left open on this pool thread would keep the idle checkpoint out.
            Workspace.release_thread()
            self.signals.finished.emit()

    def _failed(self, e: BaseException) -> None:
        self.traceback_text = "".join(traceback.format_exception(e))
        log.error("worker failed: %s", self.traceback_text)
        self.signals.error.emit(e)

    def cancel(self) -> None:
        """Ask the work to stop; the statement its cursor runs stops at once."""
        self.reporter.cancel()

    @property
    def cancel_requested(self) -> bool:
        return self.reporter.cancel_requested

    def start(self, pool: QThreadPool | None = None) -> Worker:
        Worker._alive.add(self)
        (pool or QThreadPool.globalInstance()).start(self)
        return self
