"""Run core work off the UI thread.

Core functions are plain Python taking a ``reporter``; a ``Worker`` runs one on the global thread
pool and turns the reporter's calls into Qt signals (delivered on the UI thread). ``cancel()`` asks
the reporter to stop and interrupts the statement this worker is running on the workspace (its
thread's cursor), so a cancel takes effect inside a long DuckDB statement too, and other work on
the same workspace carries on.
"""

from __future__ import annotations

import contextlib
import logging
import traceback
from collections.abc import Callable
from typing import Any, ClassVar

import duckdb
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

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
        self._cursor: duckdb.DuckDBPyConnection | None = None

    def emit_item(self, obj: object) -> None:
        """For use as a core listener callback: forwards structured results to the UI."""
        self.signals.item.emit(obj)

    def run(self) -> None:
        try:
            if self.workspace is not None:
                # this pool thread's cursor, the one the core function works through (a cursor per
                # thread): cancel interrupts it alone, not other work running on the workspace
                self._cursor = self.workspace.cursor()
            kwargs = dict(self.kwargs)
            if self.pass_reporter:
                kwargs["reporter"] = self.reporter
            value = self.fn(*self.args, **kwargs)
        except Cancelled:
            self.signals.cancelled.emit()
        except duckdb.InterruptException as e:
            # cancel() interrupts the running statement, which may be outside the core function's
            # own cancel handling (e.g. while it records the start of a run)
            if self.cancel_requested:
                self.signals.cancelled.emit()
            else:
                self._failed(e)
        except BaseException as e:  # reported to the one error sink in the UI
            self._failed(e)
        else:
            self.signals.result.emit(value)
        finally:
            self.signals.finished.emit()

    def _failed(self, e: BaseException) -> None:
        self.traceback_text = "".join(traceback.format_exception(e))
        log.error("worker failed: %s", self.traceback_text)
        e.__dict__.setdefault("details", self.traceback_text)
        self.signals.error.emit(e)

    def cancel(self) -> None:
        self.reporter.cancel()
        cursor = self._cursor
        if cursor is not None:
            with contextlib.suppress(duckdb.Error):
                cursor.interrupt()

    @property
    def cancel_requested(self) -> bool:
        return self.reporter.cancel_requested

    def start(self, pool: QThreadPool | None = None) -> Worker:
        Worker._alive.add(self)
        (pool or QThreadPool.globalInstance()).start(self)
        return self
