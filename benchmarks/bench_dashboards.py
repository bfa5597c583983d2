"""Time every dashboard tab's queries (and, with --ui, the full redraw) on generated data.

    python benchmarks/bench_dashboards.py                     # 1M events
    python benchmarks/bench_dashboards.py --events 10000000   # 10M events
    python benchmarks/bench_dashboards.py --ui                # also time query + draw per tab

The workspace lives under benchmarks/out/dash-<events>/ and is reused: generation and the
pipeline run happen only when the events or the marts are missing (their times are printed).
Each tab is timed over several filter combinations, ``--repeat`` times each for its queries and
``--ui-repeat`` times each for a redraw (half of ``--repeat`` unless given); the figures are
milliseconds per tab redraw, p50 and max over all combinations.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from benchmarks._util import generated_workspace, peak_rss_mb  # noqa: E402
from shoplytics_desktop.core import analytics as A  # noqa: E402
from shoplytics_desktop.core.analytics import Filters  # noqa: E402
from shoplytics_desktop.core.workspace import Workspace  # noqa: E402

TABS: dict[str, Callable[..., Any]] = {
    "Overview": A.overview,
    "Engagement": A.engagement,
    "Funnel": A.funnel,
    "Revenue": A.revenue,
    "Products": A.products,
    "Behaviour": A.behaviour,
    "Cohorts": A.cohorts,
}


def combinations(status: A.DashboardStatus) -> list[tuple[str, Filters]]:
    assert status.first_day and status.last_day
    first, last = status.first_day, status.last_day

    def preset(key: str) -> Filters:
        start, end = A.resolve_preset(key, first, last)
        return Filters(start, end, preset=key)

    device = status.devices[0] if status.devices else None
    country = status.countries[0] if status.countries else None
    source = status.traffic_sources[-1] if status.traffic_sources else None
    category = status.categories[0] if status.categories else None
    return [
        ("all time", preset("all")),
        ("all time, by month", replace(preset("all"), grain="month")),
        ("last 30 days", preset("last_30")),
        ("last 7 days, device", replace(preset("last_7"), device=device)),
        ("last 90 days, country + source, by week",
         replace(preset("last_90"), country=country, traffic_source=source, grain="week")),
        ("last month, category", replace(preset("last_month"), category=category)),
        ("all time, all segments",
         replace(preset("all"), device=device, country=country, traffic_source=source)),
    ]


def ensure(folder: Path, events: int, days: int) -> Workspace:
    gen_s = generated_workspace(folder, events, days=days)
    if gen_s:
        print(f"generated {events:,} events in {gen_s:.1f}s")
    ws = Workspace.open(folder)
    status = A.dashboard_status(ws)
    last_run = ws.cursor().execute(
        "SELECT max(finished_at) FROM _shoplytics.runs WHERE status IN ('success', 'warn')"
    ).fetchone()
    last_load = ws.cursor().execute("SELECT max(_loaded_at) FROM raw.events").fetchone()
    stale = bool(last_run and last_load and last_run[0] and last_load[0]
                 and last_run[0] < last_load[0])
    if not status.ready or stale or gen_s:
        from shoplytics_desktop.core.models.runner import run_project

        t0 = time.perf_counter()
        result = run_project(ws)
        print(f"pipeline: {result.status} in {time.perf_counter() - t0:.1f}s — {result.message}")
        for m in sorted(result.models, key=lambda m: -m.seconds)[:12]:
            print(f"    {m.name:<26} {m.seconds:6.2f}s  {m.rows or 0:>12,} rows")
    return ws


def time_queries(ws: Workspace, combos: list[tuple[str, Filters]], repeat: int) -> None:
    print(f"\nqueries per tab (ms), {len(combos)} filter combinations × {repeat}:")
    print(f"  {'tab':<11} {'p50':>7} {'max':>7}   slowest combination")
    for tab, fn in TABS.items():
        samples: list[tuple[float, str]] = []
        for label, f in combos:
            fn(ws, f)  # warm
            for _ in range(repeat):
                t0 = time.perf_counter()
                fn(ws, f)
                samples.append(((time.perf_counter() - t0) * 1000, label))
        ms = [s for s, _ in samples]
        worst = max(samples)
        print(f"  {tab:<11} {statistics.median(ms):7.1f} {max(ms):7.1f}   {worst[1]}")


def time_ui(ws: Workspace, combos: list[tuple[str, Filters]], repeat: int) -> None:
    """Filter change → query → charts updated → painted, through the real page (offscreen).

    Each sample: set every control of a combination except the grain, wait until idle, then
    time one grain switch until the page is idle and every pending paint has run."""
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from shoplytics_desktop.ui.dashboards import DashboardsPage

    app = QApplication.instance() or QApplication([])
    page = DashboardsPage(ws)
    page.resize(1400, 1000)
    page.show()

    # Wait as the app's event loop does: blocked until an event comes (the query thread's
    # result, a paint), not spinning, which would compete with the query thread for the GIL.
    # The timer wakes the wait now and then to check the time-out.
    waker = QTimer()
    waker.start(20)

    def idle() -> None:
        end = time.perf_counter() + 30
        while (page.busy or page.status is None) and time.perf_counter() < end:
            app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
        QCoreApplication.sendPostedEvents()
        app.processEvents()  # the paints the redraw scheduled

    idle()
    print(f"\nredraw per tab (ms, filter change → painted, offscreen), {len(combos)} combinations"
          f" × {repeat}:")
    print(f"  {'tab':<11} {'p50':>7} {'max':>7}")
    for i, tab in enumerate(page.tab_list):
        page.tabs.setCurrentIndex(i)
        idle()
        total: list[float] = []
        for _, f in combos:
            page.controls.set_range(f.start, f.end)
            for seg in A.SEGMENTS:
                page.controls.set_segment(seg, f.segment(seg))
            page.controls.set_category(f.category)
            idle()
            for r in range(repeat):
                grain = f.grain if r % 2 else ("week" if f.grain == "day" else "day")
                if page.controls.filters().grain == grain:
                    grain = "month"
                t0 = time.perf_counter()
                page.controls.set_grain(grain)
                idle()
                total.append((time.perf_counter() - t0) * 1000)
        print(f"  {tab.title:<11} {statistics.median(total):7.1f} {max(total):7.1f}")
    page.close()


def screenshots(ws: Workspace, out: Path, preset: str = "last_90") -> None:
    """Grab every tab at 1400 × 1000 (offscreen) into ``out``/dash_<tab>.png."""
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from shoplytics_desktop.ui.dashboards import DashboardsPage

    app = QApplication.instance() or QApplication([])
    page = DashboardsPage(ws)
    page.resize(1400, 1000)
    page.show()

    def settle() -> None:
        end = time.perf_counter() + 30
        while (page.busy or page.status is None) and time.perf_counter() < end:
            app.processEvents()
            time.sleep(0.005)
        for _ in range(10):
            app.processEvents()

    settle()
    page.controls.set_preset(preset)
    settle()
    out.mkdir(parents=True, exist_ok=True)
    for i, tab in enumerate(page.tab_list):
        page.tabs.setCurrentIndex(i)
        settle()
        path = out / f"dash_{tab.title.lower()}.png"
        page.grab().save(str(path))
        print(f"saved {path}")
    page.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--days", type=int, default=180)
    ap.add_argument("--repeat", type=int, default=5, help="times each combination's queries run")
    ap.add_argument("--ui", action="store_true", help="also time query + draw through the page")
    ap.add_argument("--ui-repeat", type=int, default=None,
                    help="redraws per combination with --ui (default: half of --repeat, at least "
                         "1: a redraw also paints, so it takes longer than its queries)")
    ap.add_argument("--workspace", type=Path, default=None)
    ap.add_argument("--screenshots", type=Path, default=None,
                    help="save a PNG of every tab into this folder (e.g. docs/screenshots)")
    args = ap.parse_args()
    folder = args.workspace or ROOT / "out" / f"dash-{args.events}"
    ws = ensure(folder, args.events, args.days)
    status = A.dashboard_status(ws)
    if not status.ready:
        sys.exit(f"The dashboards cannot run: {status.reason}")
    sizes = ws.cursor().execute(
        "SELECT table_name, estimated_size FROM duckdb_tables() WHERE schema_name = 'marts' "
        "AND (table_name LIKE 'agg_%' OR table_name IN ('fct_funnel', 'fct_cohort_retention')) "
        "ORDER BY 1"
    ).fetchall()
    print(f"{args.events:,} events, {status.first_day} … {status.last_day}; dashboard marts: "
          + ", ".join(f"{n} {s:,}" for n, s in sizes))
    if args.screenshots:
        screenshots(ws, args.screenshots)
        ws.close()
        return
    combos = combinations(status)
    time_queries(ws, combos, args.repeat)
    if args.ui:
        time_ui(ws, combos, args.ui_repeat or max(1, args.repeat // 2))
    limit = ws.cursor().execute("SELECT current_setting('memory_limit')").fetchone()
    ws.close()
    print(f"\npeak RSS of this process {peak_rss_mb():,.0f} MB "
          f"(DuckDB memory_limit {limit[0] if limit else '?'})")


if __name__ == "__main__":
    main()
