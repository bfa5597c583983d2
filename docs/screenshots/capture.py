"""Screenshots of every dashboard tab in the real main window, at 1000 × 660 and 1600 × 1000.

Two workspaces, built from scratch in a temporary folder:

* ``dash``: generated demo data (60,000 events over 400 days), pipeline run;
* ``real``: the real-shape sample export (``../shared/data/real/`` beside the repository, or the
  ``--real`` file given), imported through the importer with the mapping it proposes, pipeline
  run.

Each tab is saved as ``<dash|real>_<tab>_<1000|1600>.png`` in this folder (or ``--out``). Run it
under a real X server so fonts and widgets render as a user sees them::

    xvfb-run -a -s "-screen 0 1920x1200x24" python docs/screenshots/capture.py

The app's settings (window geometry, recent workspaces) go to a temporary folder, not yours.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

HERE = Path(__file__).resolve().parent
REAL_SAMPLES = (
    HERE.parents[2] / "shared" / "data" / "real" / "multi-category-store-2019-10-sample.csv",
    HERE.parents[1] / "tests" / "fixtures" / "import" / "store_shape.csv",
)
SIZES = ((1000, 660), (1600, 1000))


def build_demo(folder: Path) -> Path:
    from shoplytics_desktop.core.generate import GenerateSpec, generate_into
    from shoplytics_desktop.core.models.runner import run_project
    from shoplytics_desktop.core.workspace import Workspace

    with Workspace.open(folder) as ws:
        generate_into(ws, GenerateSpec(events=60_000, days=400, seed=42,
                                       start=dt.date(2025, 1, 6)))
        result = run_project(ws)
        if not result.published:
            raise SystemExit(f"the pipeline did not publish the demo marts: {result.message}")
    return folder


def build_real(folder: Path, source: Path) -> Path:
    from shoplytics_desktop.core.ingest import import_events, inspect_sources, propose_mapping
    from shoplytics_desktop.core.models.runner import run_project
    from shoplytics_desktop.core.workspace import Workspace

    with Workspace.open(folder) as ws:
        mapping = propose_mapping(inspect_sources([source]))
        report = import_events(ws, [source], mapping)
        print(f"imported {report.rows_loaded:,} rows of {source.name}")
        result = run_project(ws)
        if not result.published:
            raise SystemExit(f"the pipeline did not publish the imported marts: {result.message}")
    return folder


def settle(app: QApplication, page: object, seconds: float = 60.0) -> None:
    """Let queries finish and the charts paint."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        if getattr(page, "status", None) is not None and not getattr(page, "busy", True):
            break
        time.sleep(0.01)
    for _ in range(20):
        app.processEvents()
        time.sleep(0.005)


def capture(app: QApplication, folder: Path, prefix: str, out: Path) -> list[Path]:
    from shoplytics_desktop.ui.main_window import MainWindow

    win = MainWindow(folder)
    win.show()
    win.open_initial()
    win.show_page("dashboards")
    page = win.pages.widgets["dashboards"]
    settle(app, page)
    saved = []
    for width, height in SIZES:
        win.resize(width, height)
        settle(app, page)
        for i, tab in enumerate(page.tab_list):
            page.tabs.setCurrentIndex(i)
            settle(app, page)
            path = out / f"{prefix}_{tab.title.lower()}_{width}.png"
            win.grab().save(str(path))
            saved.append(path)
            print(f"saved {path} ({win.width()} × {win.height()})")
    win.close()
    win.deleteLater()
    app.processEvents()
    return saved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=HERE, help="folder for the PNGs")
    parser.add_argument("--only", choices=("dash", "real"), help="one of the two workspaces")
    parser.add_argument("--real", type=Path, help="the real-shape export to import")
    args = parser.parse_args(argv)
    source = args.real or next((p for p in REAL_SAMPLES if p.exists()), None)
    if args.only != "dash" and (source is None or not source.exists()):
        print("No real-shape sample found; give one with --real.", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="shoplytics-shots-") as tmp:
        root = Path(tmp)
        for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
            QSettings.setPath(fmt, QSettings.Scope.UserScope, str(root / "settings"))
        app = QApplication.instance() or QApplication(["shoplytics-screenshots"])
        args.out.mkdir(parents=True, exist_ok=True)
        if args.only in (None, "dash"):
            capture(app, build_demo(root / "demo"), "dash", args.out)
        if args.only in (None, "real"):
            assert source is not None
            capture(app, build_real(root / "real", source), "real", args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
