"""Cold start of the desktop app: import time and time to first paint / to a usable window.

Each measurement is a fresh Python process (so nothing is cached in the interpreter): the parent
starts it and notes, on its own clock, when the child reports the window's first paint and when
the workspace is open and its page shown ("usable"); on the Dashboards page also when its first
tab has queried its data and painted it ("drawn"). Run:

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_startup.py [--runs 5] [--events 200000]
    # ... on workspaces that exist already (e.g. bench_run's), opened as they are, by size;
    # --cold drops the OS page cache before each start (as root), as after a reboot
    QT_QPA_PLATFORM=offscreen python benchmarks/bench_startup.py --workspace \
        benchmarks/out/run-1000000 benchmarks/out/run-10000000 benchmarks/out/run-100000000

Without QT_QPA_PLATFORM it uses the real display. Target: usable in at most 2 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import sys, time
from PySide6.QtCore import QEvent, QObject, QSettings, QTimer
for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
    QSettings.setPath(fmt, QSettings.Scope.UserScope, sys.argv[2])
from PySide6.QtWidgets import QApplication
from shoplytics_desktop.app import build
print("imported", flush=True)
if len(sys.argv) > 3:  # the page the user had open last time
    from shoplytics_desktop.ui import app_settings
    app_settings.save_text("window/page", sys.argv[3])

class FirstPaint(QObject):
    seen = False
    def eventFilter(self, obj, event):
        if not self.seen and event.type() == QEvent.Type.Paint:
            self.seen = True
            print("painted", flush=True)
        return False

qapp = QApplication(["shoplytics-desktop"])  # build() uses it; the spy sees the first paint
spy = FirstPaint()
qapp.installEventFilter(spy)
app, window = build(["shoplytics-desktop", "--workspace", sys.argv[1]])

def usable():
    app.processEvents()
    print(f"usable {window.current_page()}", flush=True)
    page = window.pages.widgets.get("dashboards")
    if window.current_page() != "dashboards" or page is None:
        QTimer.singleShot(0, app.quit)
        return
    # The Dashboards page: wait until its first tab has its data and has painted it.
    def drawn():
        if page.busy or page.status is None:
            QTimer.singleShot(5, drawn)
            return
        app.processEvents()
        print("drawn", flush=True)
        QTimer.singleShot(0, app.quit)
    drawn()

if window.is_ready:
    usable()
else:
    window.ready.connect(lambda: QTimer.singleShot(0, usable))
app.exec()
"""

IMPORTS = ("PySide6.QtWidgets", "duckdb", "polars", "sqlglot", "pyqtgraph",
           "shoplytics_desktop.app", "shoplytics_desktop.ui.main_window")


def import_time(module: str) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def lazily_imported() -> list[str]:
    """Heavy modules that importing the app and building the window does NOT pull in."""
    code = ("import sys\nfrom PySide6.QtWidgets import QApplication\napp = QApplication([])\n"
            "from shoplytics_desktop.ui.main_window import MainWindow\nw = MainWindow(None)\n"
            "print(' '.join(m for m in ('polars', 'sqlglot', 'pyqtgraph', 'numpy') if m not in sys.modules))")
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return out.stdout.split()


def one_start(workspace: Path, settings: Path, page: str) -> tuple[dict[str, float], str]:
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(workspace), str(settings), page],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    marks: dict[str, float] = {}
    page = ""
    assert proc.stdout is not None
    for line in proc.stdout:
        key = line.split()[0]
        marks[key] = time.perf_counter() - t0
        if key == "usable":
            page = line.split()[1]
    proc.wait(timeout=60)
    return marks, page


def make_workspace(folder: Path, events: int) -> None:
    from shoplytics_desktop.core.generate import GenerateSpec, generate_into
    from shoplytics_desktop.core.models.runner import run_project
    from shoplytics_desktop.core.workspace import Workspace

    with Workspace.open(folder) as ws:
        generate_into(ws, GenerateSpec(events=events, days=90, seed=1), replace=True)
        result = run_project(ws)
        print(f"  workspace: {events:,} events, pipeline {result.status} in {result.seconds:.1f} s")


def _summary(runs: list[dict[str, float]]) -> None:
    for key in ("imported", "painted", "usable", "drawn"):
        values = [m[key] for m in runs if key in m]
        if not values:
            continue
        print(f"  {key:<9} median {statistics.median(values):.2f} s   max {max(values):.2f} s")


def existing(folder: Path, runs: int, cold: bool) -> None:
    """Cold starts on a workspace that exists, last on each page: does the start grow with it?
    ``cold``: the OS page cache is dropped before each start (as after a reboot)."""
    import duckdb

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from benchmarks._util import drop_page_cache

    con = duckdb.connect(str(folder / "warehouse.duckdb"), read_only=True)
    row = con.execute("SELECT count(*) FROM raw.events").fetchone()
    con.close()
    size = sum(f.stat().st_size for f in folder.iterdir() if f.is_file()) / 1e9
    print(f"\n{folder}: {row[0] if row else 0:,} events, {size:.1f} GB on disk")
    with tempfile.TemporaryDirectory() as tmp:
        for last_page in ("dashboards", "data"):
            marks = []
            for i in range(runs):
                if cold and not drop_page_cache():
                    print("  (the page cache could not be dropped: not root, or not Linux)")
                    cold = False
                marks.append(one_start(folder, Path(tmp) / f"settings-{last_page}-{i}",
                                       last_page)[0])
            print(f" cold start, last on {last_page.capitalize()} ({runs} runs"
                  f"{', the page cache dropped before each' if cold else ''}):")
            _summary(marks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--events", type=int, default=200_000, help="events in the data workspace")
    parser.add_argument("--workspace", type=Path, nargs="+", default=None,
                        help="time the start on these workspaces instead (how it grows with size)")
    parser.add_argument("--cold", action="store_true",
                        help="with --workspace: drop the OS page cache before each start (root)")
    args = parser.parse_args()
    if args.workspace:
        for folder in args.workspace:
            existing(folder, args.runs, args.cold)
        return

    print("import times (fresh interpreter each):")
    for module in IMPORTS:
        print(f"  {module:<40} {import_time(module) * 1000:7.0f} ms")
    print(f"  not imported before first paint: {', '.join(lazily_imported()) or '(none)'}")

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_workspace(root / "data", args.events)
        scenarios = (
            ("empty workspace", root / "empty", "dashboards"),
            ("workspace with data, last on Dashboards", root / "data", "dashboards"),
            ("workspace with data, last on Data", root / "data", "data"),
        )
        for n, (label, folder, last_page) in enumerate(scenarios):
            print(f"\ncold start, {label} ({args.runs} runs):")
            runs = []
            page = ""
            for i in range(args.runs):
                marks, page = one_start(folder, root / f"settings-{n}-{i}", last_page)
                runs.append(marks)
                drawn = f", first tab drawn {marks['drawn']:.2f} s" if "drawn" in marks else ""
                print(f"  run {i + 1}: imported {marks['imported']:.2f} s, first paint {marks['painted']:.2f} s, "
                      f"usable {marks['usable']:.2f} s{drawn}")
            print(f"  (opened on the {page} page)")
            _summary(runs)


if __name__ == "__main__":
    main()
