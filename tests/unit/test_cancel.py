"""The cancel token and the outcome classifier."""

from __future__ import annotations

import gc
import threading
import time

import duckdb
import pytest

from shoplytics_desktop.core.cancel import CancelToken, Outcome, classify
from shoplytics_desktop.core.errors import Cancelled, ImportError_
from shoplytics_desktop.core.progress import NullReporter, RecordingReporter

SLOW = "SELECT count(*) FROM range(100000000000) t(i) WHERE i % 7 = 3"


class Spy:
    def __init__(self) -> None:
        self.calls = 0

    def interrupt(self) -> None:
        self.calls += 1


def test_classify() -> None:
    assert classify(Cancelled()) is Outcome.CANCELLED
    assert classify(duckdb.InterruptException("INTERRUPT Error: Interrupted!")) is Outcome.CANCELLED
    assert classify(KeyboardInterrupt()) is Outcome.INTERRUPTED
    # DuckDB's client turns a SIGINT it sees itself into this RuntimeError
    assert classify(RuntimeError("Query interrupted")) is Outcome.INTERRUPTED
    assert classify(RuntimeError("something else")) is Outcome.FAILED
    assert classify(duckdb.IOException("disk full")) is Outcome.FAILED
    # a subclass of RuntimeError is not DuckDB's interrupt
    assert classify(type("Other", (RuntimeError,), {})("Query interrupted")) is Outcome.FAILED
    # once the job's token is cancelled, an error the cancel caused is a cancel
    token = CancelToken()
    assert classify(ImportError_("cut-off read"), token) is Outcome.FAILED
    token.cancel()
    assert classify(ImportError_("cut-off read"), token) is Outcome.CANCELLED
    assert classify(KeyboardInterrupt(), token) is Outcome.INTERRUPTED


def test_cancel_interrupts_what_is_bound_and_raises_at_the_next_check() -> None:
    token = CancelToken()
    a, b, c = Spy(), Spy(), Spy()
    token.attach(a)
    with token.bind(b):
        assert token.bound == 2
        token.raise_if_cancelled()  # not yet
        token.cancel()
        assert (a.calls, b.calls, c.calls) == (1, 1, 0)
    assert token.bound == 1  # b is unbound with its block
    with pytest.raises(Cancelled):
        token.raise_if_cancelled()
    with pytest.raises(Cancelled, match=r"^Tests cancelled"):
        token.raise_if_cancelled("Tests cancelled.")
    # binding to a token already cancelled interrupts at once
    token.attach(c)
    assert c.calls == 1
    token.detach(a)
    token.interrupt()  # interrupts without a new request
    assert (a.calls, c.calls) == (1, 2)
    token.reset()
    assert not token.cancelled
    token.raise_if_cancelled()


def test_cancel_without_interrupt_only_asks() -> None:
    token, spy = CancelToken(), Spy()
    token.attach(spy)
    token.cancel(interrupt=False)
    assert token.cancelled and spy.calls == 0


def test_a_dropped_connection_is_not_kept_bound() -> None:
    token = CancelToken()
    spy = Spy()
    token.attach(spy)
    del spy
    gc.collect()
    assert token.bound == 0


def test_cancel_stops_a_running_statement_at_once() -> None:
    con = duckdb.connect()
    token = CancelToken()
    caught: list[BaseException] = []

    def work() -> None:
        try:
            with token.bind(con):
                con.execute(SLOW).fetchone()
        except BaseException as e:
            caught.append(e)

    thread = threading.Thread(target=work)
    thread.start()
    time.sleep(0.3)
    token.cancel()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert len(caught) == 1 and classify(caught[0]) is Outcome.CANCELLED
    assert con.execute("select 42").fetchone() == (42,)  # the connection works on
    con.close()


def test_reporters_cancel_through_their_token() -> None:
    shared = CancelToken()
    reporter = NullReporter(shared)
    assert reporter.token is shared and not reporter.cancel_requested
    spy = Spy()
    shared.attach(spy)
    reporter.cancel()
    assert reporter.cancel_requested and shared.cancelled and spy.calls == 1
    with pytest.raises(Cancelled):
        reporter.check_cancelled()
    recording = RecordingReporter(cancel_after=2)
    recording.update(1, 3)
    assert not recording.token.cancelled
    recording.update(2, 3)
    assert recording.token.cancelled


def test_the_run_transaction_commits_rolls_back_and_binds_its_cursor(tmp_path) -> None:
    from shoplytics_desktop.core.models.runner import run_transaction
    from shoplytics_desktop.core.workspace import Workspace

    with Workspace.open(tmp_path / "ws") as ws:
        token = CancelToken()
        with run_transaction(ws, token) as cur:
            assert token.bound == 1  # this thread's cursor, for the block only
            cur.execute("create table marts.kept as select 1 as x")
            # the run's session variables are set
            assert cur.execute("select getvariable('time_zone')").fetchone() == (
                ws.settings.time_zone,)
        assert token.bound == 0 and catalog_exists(ws, "kept")
        with run_transaction(ws, token, commit=False) as cur:
            cur.execute("create table marts.tried as select 1 as x")
        assert not catalog_exists(ws, "tried")
        with pytest.raises(ValueError), run_transaction(ws, token) as cur:
            cur.execute("create table marts.failed as select 1 as x")
            raise ValueError("a step failed")
        assert not catalog_exists(ws, "failed")
        # a cancel from another thread stops the block's statement; nothing is kept
        caught: list[BaseException] = []

        def cancel_soon() -> None:
            time.sleep(0.3)
            token.cancel()

        threading.Thread(target=cancel_soon).start()
        try:
            with run_transaction(ws, token) as cur:
                cur.execute("create table marts.slow as " + SLOW)
        except BaseException as e:
            caught.append(e)
        assert [classify(e) for e in caught] == [Outcome.CANCELLED]
        assert not catalog_exists(ws, "slow")


def catalog_exists(ws, name: str) -> bool:
    from shoplytics_desktop.core import catalog

    return catalog.exists(ws, "marts", name)
