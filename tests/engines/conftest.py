"""One server per engine per test session (started here, stopped at the end), and two workspaces
whose DuckDB marts every engine's are compared with: one of generated events, one of imported
files in the shapes real shops export."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from shoplytics_desktop.core.generate import GenerateSpec, generate_into
from shoplytics_desktop.core.ingest import import_events
from shoplytics_desktop.core.models.runner import run_project
from shoplytics_desktop.core.workspace import Workspace
from tests.engines import servers
from tests.engines.compare import keep_duckdb_marts
from tests.samples import REAL_SAMPLE, REPO, SAME_SHAPE

#: As many events as the engine runs are checked at: enough for ties, refunds and every mart.
EVENTS = 100_000
#: A zone whose clock changes within the generated days.
TIME_ZONE = "Europe/Berlin"


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    pytest.importorskip("psycopg", reason="needs shoplytics-desktop[postgres]")
    if servers.pg_bin() is None:
        pytest.skip("PostgreSQL binaries are not installed")
    with servers.postgres_server() as pg:
        yield pg.url


@pytest.fixture(scope="session")
def spark_url() -> Iterator[str]:
    pytest.importorskip("pyspark", reason="needs shoplytics-desktop[spark]")
    pytest.importorskip("pandas", reason="needs shoplytics-desktop[spark]")
    if servers.spark_home() is None or shutil.which("java") is None:
        pytest.skip("Spark Connect needs pyspark's jars and java")
    with servers.spark_server() as sc:
        yield sc.url


@pytest.fixture(scope="session")
def generated_folder() -> Iterator[Path]:
    """A workspace with generated events, built on DuckDB, its marts kept aside. Its reporting
    time zone has a clock change within the data (Europe/Berlin, 2024-03-31), so the engines'
    days and hours of day must follow the zone as DuckDB's do. A third of the users' events
    have no session id, so the engines sessionize them by the timeout rule as DuckDB does."""
    folder = Path(tempfile.mkdtemp(prefix="shoplytics-engines-")) / "ws"
    with Workspace.open(folder) as ws:
        ws.settings.time_zone = TIME_ZONE
        ws.save_settings()
        spec = GenerateSpec(events=EVENTS, days=45, seed=11, start=dt.date(2024, 3, 10))
        generate_into(ws, spec, replace=True)
        ws.cursor().execute(
            "UPDATE raw.events SET session_id = NULL WHERE user_id IN (SELECT DISTINCT user_id "
            "FROM raw.events ORDER BY user_id LIMIT (SELECT count(DISTINCT user_id) // 3 "
            "FROM raw.events))")
        result = run_project(ws)
        assert result.status == "success", result.message
        keep_duckdb_marts(ws)
    yield folder
    shutil.rmtree(folder.parent, ignore_errors=True)


#: Files imported with the proposed mapping, no mapping file: a store's own event export (the real
#: sample when it is beside the repository, else a small file of ours in its shape) and a GA4
#: BigQuery export (nested parameters, items exploded into lines, micros timestamps).
GA4 = REPO / "tests" / "fixtures" / "presets" / "ga4" / "events_20250511.ndjson"


@pytest.fixture(scope="session")
def imported_folder() -> Iterator[Path]:
    """A workspace of imported files, built on DuckDB, its marts kept aside."""
    folder = Path(tempfile.mkdtemp(prefix="shoplytics-engines-imported-")) / "ws"
    store = REAL_SAMPLE if REAL_SAMPLE.is_file() else SAME_SHAPE
    with Workspace.open(folder) as ws:
        ws.settings.time_zone = TIME_ZONE
        ws.save_settings()
        for source in (store, GA4):
            report = import_events(ws, [source])
            assert report.validation is not None and report.validation.rows_loaded > 0
        result = run_project(ws)
        assert result.published, result.message
        keep_duckdb_marts(ws)
    yield folder
    shutil.rmtree(folder.parent, ignore_errors=True)


def _copy_of(folder: Path, tmp_path: Path) -> Iterator[Workspace]:
    """A copy of a built workspace for one test (the engines' runs change it)."""
    copy = tmp_path / "ws"
    shutil.copytree(folder, copy)
    with Workspace.open(copy) as ws:
        yield ws


@pytest.fixture
def imported_ws(imported_folder: Path, tmp_path: Path) -> Iterator[Workspace]:
    """A copy of the imported workspace for one test."""
    yield from _copy_of(imported_folder, tmp_path)


@pytest.fixture
def engine_ws(generated_folder: Path, tmp_path: Path) -> Iterator[Workspace]:
    """A copy of the generated workspace for one test."""
    yield from _copy_of(generated_folder, tmp_path)
