"""Fixtures of the reliability suite: a small published workspace to copy, event files to import,
and the summary of what the suite tried (kill points, hostile inputs, bad files)."""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from shoplytics_desktop.core.generate import GenerateSpec, generate_into
from shoplytics_desktop.core.ingest import import_events
from shoplytics_desktop.core.models.runner import run_project
from shoplytics_desktop.core.sqlutil import quote_literal
from shoplytics_desktop.core.workspace import Workspace
from tests.reliability.support import FIGURES

BASE_EVENTS = 20_000


@pytest.fixture(scope="session")
def published_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with 20,000 generated events and a published build of the default models."""
    folder = tmp_path_factory.mktemp("base") / "ws"
    with Workspace.open(folder) as ws:
        generate_into(ws, GenerateSpec(events=BASE_EVENTS, days=30, seed=7))
        result = run_project(ws)
        assert result.published, result.message
    return folder


@pytest.fixture(scope="session")
def published_shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A shop's workspace for the command line, which never mixes a shop's files with demo
    data: the same 20,000 events (with their product catalog and user profiles) imported from
    files, and a published build."""
    base = tmp_path_factory.mktemp("shop")
    files = {}
    with Workspace.open(base / "generated") as gen:
        generate_into(gen, GenerateSpec(events=BASE_EVENTS, days=30, seed=7))
        for table in ("events", "products", "users"):
            files[table] = base / f"{table}.parquet"
            gen.cursor().execute(
                f"COPY (SELECT * EXCLUDE (_batch_id, _source_file, _source_line, _loaded_at) "
                f"FROM raw.{table}) TO {quote_literal(str(files[table]))} (FORMAT parquet)")
    folder = base / "ws"
    with Workspace.open(folder) as ws:
        import_events(ws, [files["events"]], products=files["products"], users=files["users"])
        result = run_project(ws)
        assert result.published, result.message
    return folder


@pytest.fixture
def shop_ws_dir(published_shop: Path, tmp_path: Path) -> Path:
    """A private copy of the shop's workspace."""
    folder = tmp_path / "shop"
    shutil.copytree(published_shop, folder)
    return folder


@pytest.fixture
def ws_dir(published_ws: Path, tmp_path: Path) -> Path:
    """A private copy of the published workspace."""
    folder = tmp_path / "ws"
    shutil.copytree(published_ws, folder)
    return folder


@pytest.fixture
def ws(ws_dir: Path) -> Iterator[Workspace]:
    with Workspace.open(ws_dir) as w:
        yield w


def write_events_csv(path: Path, rows: int, prefix: str) -> Path:
    """``rows`` valid events with ids ``<prefix><n>``, written by DuckDB."""
    con = duckdb.connect()
    try:
        con.execute(
            f"""COPY (SELECT {quote_literal(prefix)} || i AS event_id,
                         TIMESTAMP '2024-01-01' + to_seconds(i) AS event_time,
                         CASE i % 4 WHEN 0 THEN 'page_view' WHEN 1 THEN 'product_view'
                              WHEN 2 THEN 'add_to_cart' ELSE 'page_view' END AS event_type,
                         'u' || (i % 5000) AS user_id, 's' || (i // 10) AS session_id,
                         'p' || (i % 300) AS product_id, 9.99 AS price
                  FROM range({rows}) t(i))
                TO {quote_literal(str(path))} (HEADER)"""
        )
    finally:
        con.close()
    return path


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not FIGURES:
        return
    terminalreporter.section("reliability figures")
    for name, values in sorted(FIGURES.items()):
        counts = Counter(values)
        shown = ", ".join(v if n == 1 else f"{v} ×{n}" for v, n in counts.items())
        terminalreporter.write_line(f"{name}: {len(values)}  [{shown}]")
