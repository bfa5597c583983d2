"""Time a Cancel: from ``CancelToken.cancel()`` to the job's thread getting its exception back.

    python benchmarks/bench_cancel.py              # 20 cancels of each kind
    python benchmarks/bench_cancel.py --repeat 50

Two kinds: a long DuckDB statement on a cursor bound to the token (the token interrupts it), and
a model run on a generated workspace cancelled while it builds (the runner's transaction cursor is
bound to the reporter's token; the rollback and the history write are included).
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

SLOW = "SELECT count(*) FROM range(100000000000) t(i) WHERE i % 7 = 3"


def _time_cancel(start: Callable[[threading.Event], None], cancel: Callable[[], None],
                 wait: float) -> float:
    """Seconds from ``cancel()`` to the end of ``start`` on its thread."""
    running = threading.Event()
    ended: list[float] = []

    def work() -> None:
        with contextlib.suppress(BaseException):  # the cancel's exception is the expected end
            start(running)
        ended.append(time.perf_counter())

    thread = threading.Thread(target=work)
    thread.start()
    running.wait(30)
    time.sleep(wait)
    t0 = time.perf_counter()
    cancel()
    thread.join(120)
    return ended[0] - t0 if ended else float("nan")


def bench_statement(repeat: int) -> list[float]:
    import duckdb

    from shoplytics_desktop.core.cancel import CancelToken

    con = duckdb.connect()
    times = []
    for _ in range(repeat):
        token = CancelToken()
        cur = con.cursor()

        def start(running: threading.Event, cur=cur, token=token) -> None:
            with token.bind(cur):
                running.set()
                cur.execute(SLOW).fetchone()

        times.append(_time_cancel(start, token.cancel, 0.2))
        cur.close()
    con.close()
    return times


def bench_run(repeat: int, events: int) -> list[float]:
    from benchmarks._util import generated_workspace
    from shoplytics_desktop.core import history
    from shoplytics_desktop.core.models.runner import run_project
    from shoplytics_desktop.core.progress import NullReporter
    from shoplytics_desktop.core.workspace import Workspace

    folder = Path(tempfile.mkdtemp(prefix="bench-cancel-"))
    generated_workspace(folder, events, days=60)
    class Started(NullReporter):
        """Says when the run starts building int_sessions (the costliest model)."""

        def __init__(self, running: threading.Event) -> None:
            super().__init__()
            self.running = running

        def update(self, done: float, total: float, message: str = "") -> None:
            if "int_sessions" in message:
                self.running.set()

    times = []
    statuses: list[str] = []
    with Workspace.open(folder) as ws:
        run_project(ws)  # the first run publishes; the cancelled ones roll back to it
        for _ in range(repeat):
            running = threading.Event()
            reporter = Started(running)

            def start(started: threading.Event, reporter: Started = reporter) -> None:
                reporter.running = started
                run_project(ws, reporter=reporter)

            times.append(_time_cancel(start, reporter.cancel, 0.05))
            last = history.latest_run(ws)
            statuses.append(last.status if last else "?")
    print(f"model run outcomes: {statuses.count('cancelled')} cancelled of {len(statuses)}")
    return times


def _report(name: str, times: list[float]) -> None:
    ms = sorted(t * 1000 for t in times)
    print(f"{name}: n={len(ms)} median {statistics.median(ms):.1f} ms, "
          f"p90 {ms[int(0.9 * (len(ms) - 1))]:.1f} ms, max {ms[-1]:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--events", type=int, default=200_000)
    args = parser.parse_args()
    _report("cancel a running statement", bench_statement(args.repeat))
    _report(f"cancel a model run mid-build ({args.events:,} events, rollback + history)",
            bench_run(args.repeat, args.events))


if __name__ == "__main__":
    main()
