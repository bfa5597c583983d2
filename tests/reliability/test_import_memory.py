"""Importing under a small memory limit: a CSV larger than the limit loads (DuckDB spills what it
must to the temp folder), and where even that cannot work the error says it is memory and names
the settings to change, not the file's delimiter."""

from __future__ import annotations

from pathlib import Path

import pytest

from shoplytics_desktop.core.errors import ImportError_
from shoplytics_desktop.core.ingest import import_events
from shoplytics_desktop.core.workspace import Workspace
from tests.reliability.conftest import write_events_csv
from tests.reliability.support import check_consistent

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

ROWS = 1_000_000  # about 62 MB of CSV


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_events_csv(tmp_path_factory.mktemp("mem") / "big.csv", ROWS, "mem-")


@pytest.mark.parametrize("setting", ["import_memory_limit", "memory_limit"])
def test_a_csv_larger_than_the_memory_limit_imports(big_csv: Path, tmp_path: Path,
                                                    setting: str) -> None:
    assert big_csv.stat().st_size > 48 * 1024 * 1024
    folder = tmp_path / "ws"
    with Workspace.open(folder) as ws:
        setattr(ws.settings, setting, "64MB")
        ws.save_settings()
    with Workspace.open(folder) as ws:
        report = import_events(ws, [big_csv])
        assert report.validation is not None and report.validation.rows_loaded == ROWS
        check_consistent(ws)


def test_too_little_memory_is_named_as_such(big_csv: Path, tmp_path: Path) -> None:
    folder = tmp_path / "ws"
    with Workspace.open(folder) as ws:
        ws.settings.import_memory_limit = "16MB"
        ws.save_settings()
    with Workspace.open(folder) as ws:
        try:
            report = import_events(ws, [big_csv])
        except ImportError_ as e:
            assert "ran out of memory" in e.message and "delimiter" not in e.hint, e
            assert "import_memory_limit" in e.hint
            assert ws.row_count("raw", "events") == 0
        else:  # spilling made even this work: fine too
            assert report.validation is not None and report.validation.rows_loaded == ROWS
