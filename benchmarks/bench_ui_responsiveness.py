"""Does the UI thread stay responsive while long work runs in workers?

A QTimer ticks every 10 ms on the UI thread and records the gap between ticks: a gap far above
10 ms means the event loop was blocked that long (the window could not repaint or react). Phases,
each driven through the real window:

1. generate: the Generate wizard loads ``--events`` events (default 1,000,000);
2. run: Pipeline ▸ Run builds and tests every model on them, with live per-model progress;
3. browse: the Data page opens raw.events and fetches pages as the view scrolls, with a filter.

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_ui_responsiveness.py [--events 1000000]

Target: no gap above 100 ms in any phase.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

from PySide6.QtCore import QElapsedTimer, QSettings, QTimer
from PySide6.QtWidgets import QApplication

TICK_MS = 10


class Heartbeat:
    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)
        self.clock = QElapsedTimer()
        self.gaps: list[float] = []
        self.worst_at = ""
        self.phase = ""

    def watch(self, threshold_ms: float = 60.0) -> None:
        """Print the UI thread's stack whenever it has not ticked for ``threshold_ms`` (--trace)."""
        main_id = threading.main_thread().ident
        self.last = time.perf_counter()
        self.timer.timeout.connect(lambda: setattr(self, "last", time.perf_counter()))

        def loop() -> None:
            reported = 0.0
            while True:
                time.sleep(0.02)
                stalled = (time.perf_counter() - self.last) * 1000
                if stalled > threshold_ms and self.timer.isActive() and self.last != reported:
                    reported = self.last
                    frame = sys._current_frames().get(main_id)
                    where = "".join(traceback.format_stack(frame, limit=12)) if frame else "?"
                    print(f"--- UI thread stalled {stalled:.0f} ms in {self.phase}:\n{where}", file=sys.stderr)

        threading.Thread(target=loop, daemon=True).start()

    def start(self, phase: str) -> None:
        self.phase, self.gaps = phase, []
        self.clock.start()
        self.timer.start()

    def _tick(self) -> None:
        gap = self.clock.nsecsElapsed() / 1e6
        self.clock.restart()
        self.gaps.append(gap)

    def stop(self) -> dict[str, float]:
        self.timer.stop()
        gaps = sorted(self.gaps) or [0.0]
        return {
            "ticks": len(gaps),
            "max": gaps[-1],
            "p99": gaps[int(0.99 * (len(gaps) - 1))],
            "median": statistics.median(gaps),
            "over_100": sum(g > 100 for g in gaps),
        }


def wait(app: QApplication, condition, timeout: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the phase did not finish in time")
        app.processEvents()
        time.sleep(0.002)


def report(phase: str, stats: dict[str, float], seconds: float) -> None:
    verdict = "OK" if stats["max"] <= 100 else "BLOCKED"
    print(f"{phase:<9} {seconds:7.1f} s  ticks {int(stats['ticks']):6d}  median gap {stats['median']:5.1f} ms  "
          f"p99 {stats['p99']:6.1f} ms  max {stats['max']:6.1f} ms  gaps>100ms {int(stats['over_100'])}  {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--trace", action="store_true", help="print where the UI thread stalls")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="shoplytics-bench-ui-"))
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(tmp / "settings"))
    from shoplytics_desktop.app import build

    app, window = build(["shoplytics-desktop", "--workspace", str(tmp / "ws")])
    window.resize(1400, 900)
    wait(app, lambda: window.is_ready, 30)
    beat = Heartbeat()
    if args.trace:
        beat.watch()
    print(f"workspace {tmp / 'ws'}; {args.events:,} events; heartbeat every {TICK_MS} ms")

    # 1. generate through the wizard: a user spends a moment on the first page, then clicks Next
    t0 = time.perf_counter()
    beat.start("generate")
    window.generate_data()
    wizard = window._wizard
    wizard.params.events.setValue(args.events)
    wizard.params.days.setValue(args.days)
    wizard.summary_page.run_pipeline.setChecked(False)
    deadline = time.perf_counter() + 1.5
    wait(app, lambda: time.perf_counter() > deadline, 5)
    wizard.next()
    wait(app, lambda: wizard.currentPage() is wizard.summary_page or wizard.progress.state in ("failed", "cancelled"), 900)
    report("generate", beat.stop(), time.perf_counter() - t0)
    if wizard.progress.state != "done":
        sys.exit("generating failed")
    wizard.accept()

    # 2. run the pipeline from the menu action
    page = window.pages.pipeline()
    wait(app, lambda: not page.busy and page.store.project is not None, 60)
    results = []
    page.run_finished.connect(results.append)
    t0 = time.perf_counter()
    beat.start("run")
    window.menu_actions["run"].trigger()
    wait(app, lambda: bool(results) and not page.busy, 1800)
    stats = beat.stop()
    report("run", stats, time.perf_counter() - t0)
    result = results[0]
    print(f"          pipeline {result.status}: {result.message} ({result.seconds:.1f} s); "
          f"run panel rows: {page.run_panel.model.rowCount()}")

    # 3. browse raw.events: first page, scroll to fetch more pages, then filter
    window.show_page("data")
    data = window.pages.data_page()
    t0 = time.perf_counter()
    beat.start("browse")
    data.select("raw.events")
    model = data.model
    wait(app, lambda: model.rowCount() > 0 and model.total is not None, 120)
    for _ in range(5):
        data.view.scrollToBottom()
        target = model.rowCount() + model.page_size
        wait(app, lambda t=target: not model.loading and (model.rowCount() >= t or not model.canFetchMore()), 120)
    scrolled = model.rowCount()
    data.filter.setText("purchase")
    data.apply_filter()
    wait(app, lambda: model.total is not None and not model.loading, 120)
    report("browse", beat.stop(), time.perf_counter() - t0)
    print(f"          scrolled through {scrolled:,} rows in pages of {model.page_size}; "
          f"filter 'purchase' matches {model.total:,} rows")
    window.close()
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
