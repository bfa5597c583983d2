"""A self-test of the whole product, for installs and bundles: ``shoplytics self-test``.

In a temporary workspace: generate 20k events to CSV, import them through the mapping path, run the
model graph and its tests, draw every dashboard tab offscreen and export a chart to PNG, export a
mart to Parquet and read it back. It exercises the lazily loaded parts of the stack (sqlglot
dialects, DuckDB's readers and writers, polars, pydantic, pyqtgraph exporters) that a frozen app
could be missing. Prints one line per step and a one-line PASS/FAIL summary.
"""

from __future__ import annotations

import os
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

EVENTS = 20_000


@dataclass
class Step:
    name: str
    ok: bool
    seconds: float
    detail: str


class _Context:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.ws: Any = None
        self.files: list[Path] = []


def _generate(ctx: _Context) -> str:
    from shoplytics_desktop.core.generate import GenerateSpec, write_files

    ctx.files = write_files(GenerateSpec(events=EVENTS, days=30, seed=11), ctx.tmp / "files", "csv")
    return ", ".join(p.name for p in ctx.files)


def _import(ctx: _Context) -> str:
    from shoplytics_desktop.core.ingest import import_events, inspect_sources, propose_mapping
    from shoplytics_desktop.core.workspace import Workspace

    events = next(p for p in ctx.files if p.name.startswith("events"))
    products = next((p for p in ctx.files if p.name.startswith("products")), None)
    users = next((p for p in ctx.files if p.name.startswith("users")), None)
    mapping = propose_mapping(inspect_sources([events]))
    ctx.ws = Workspace.open(ctx.tmp / "ws")
    report = import_events(ctx.ws, [events], mapping, products=products, users=users)
    loaded = report.rows_loaded
    if loaded != EVENTS:
        raise AssertionError(f"imported {loaded:,} of {EVENTS:,} events")
    return f"{loaded:,} events loaded"


def _contract(ctx: _Context) -> str:
    from shoplytics_desktop.core.contract import Event

    names = [c for c in Event.model_fields]
    row = ctx.ws.cursor().execute(
        f"SELECT {', '.join(names)} FROM raw.events WHERE event_type = 'purchase' LIMIT 1"
    ).fetchone()
    Event.model_validate(dict(zip(names, row, strict=True)))
    return "a purchase row validates against the contract"


def _run(ctx: _Context) -> str:
    import sqlglot

    from shoplytics_desktop.core.models.runner import run_project

    # a dialect other than DuckDB's is loaded lazily by sqlglot: make sure it is there
    sqlglot.transpile("SELECT DATE_TRUNC('week', x) FROM t", read="duckdb", write="postgres")
    result = run_project(ctx.ws)
    if not result.published:
        raise AssertionError(result.message)
    return f"{len(result.models)} models, {len(result.tests)} tests, {result.status}"


def _charts(ctx: _Context) -> str:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from shoplytics_desktop.ui.dashboards import DashboardsPage
    from shoplytics_desktop.ui.dashboards.charts import ChartFrame

    app = QApplication.instance() or QApplication(["shoplytics-self-test"])
    page = DashboardsPage(ctx.ws)
    page.resize(1280, 860)
    page.show()
    drawn: set[str] = set()
    loop = QEventLoop()

    def on_drawn(title: str, _ms: float) -> None:
        drawn.add(title)
        page.load_all()

    page.drawn.connect(on_drawn)
    deadline = time.monotonic() + 90

    def tick() -> None:
        titles = {t.title for t in page.tab_list}
        if drawn >= titles or time.monotonic() > deadline:
            loop.quit()

    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(50)
    loop.exec()
    timer.stop()
    missing = {t.title for t in page.tab_list} - drawn
    if missing:
        raise AssertionError(f"tabs not drawn: {', '.join(sorted(missing))}")
    for i in range(len(page.tab_list)):
        page.tabs.setCurrentIndex(i)
        app.processEvents()
        page.grab()
    chart = next(c for c in page.tab_list[0].charts_and_tables() if isinstance(c, ChartFrame))
    png = chart.export_png(ctx.tmp / "chart.png")
    if png.read_bytes()[:8] != b"\x89PNG\r\n\x1a\n":
        raise AssertionError("the exported chart is not a PNG file")
    page.close()
    page.deleteLater()
    return f"{len(drawn)} tabs drawn, {png.name} {png.stat().st_size:,} bytes"


def _export(ctx: _Context) -> str:
    import polars as pl

    from shoplytics_desktop.core.export import export_tables

    files = export_tables(ctx.ws, ["marts.fct_daily_engagement"], ctx.tmp / "export", "parquet")
    frame = pl.read_parquet(files[0].path)
    if frame.height != files[0].rows or frame.height == 0:
        raise AssertionError(f"read back {frame.height} rows, expected {files[0].rows}")
    return f"{frame.height} rows written and read back"


STEPS: list[tuple[str, Callable[[_Context], str]]] = [
    ("generate", _generate),
    ("import", _import),
    ("contract", _contract),
    ("run", _run),
    ("charts", _charts),
    ("export", _export),
]


def run_selftest(echo: Callable[[str], None] = print) -> bool:
    results: list[Step] = []
    with tempfile.TemporaryDirectory(prefix="shoplytics-selftest-") as tmp:
        ctx = _Context(Path(tmp))
        try:
            for name, fn in STEPS:
                t0 = time.perf_counter()
                try:
                    detail, ok = fn(ctx), True
                except Exception as e:  # a failed step is reported, and the rest still run
                    detail, ok = f"{type(e).__name__}: {e}", False
                    echo(traceback.format_exc().rstrip())
                step = Step(name, ok, time.perf_counter() - t0, detail)
                results.append(step)
                echo(f"  {'ok  ' if ok else 'FAIL'} {name:<9} {step.seconds:6.2f}s  {detail}")
                if not ok and name in ("generate", "import"):
                    break  # nothing after these can run
        finally:
            if ctx.ws is not None:
                ctx.ws.close()
    passed = sum(s.ok for s in results)
    ok = passed == len(STEPS)
    total = sum(s.seconds for s in results)
    echo(f"self-test {'PASS' if ok else 'FAIL'}: {passed}/{len(STEPS)} steps in {total:.1f}s")
    return ok
