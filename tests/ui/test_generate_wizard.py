"""The generate wizard: a small data set end to end, and Cancel leaving the workspace unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shoplytics_desktop.core.workspace import Workspace
from shoplytics_desktop.ui.generate_wizard import GenerateWizard, estimate


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    workspace = Workspace.open(tmp_path / "ws")
    yield workspace
    workspace.close()


def test_estimate_scales_with_events() -> None:
    rows, mb = estimate(1_200_000, 0)
    assert rows == 1_200_000 + 110_000 + 1000  # 100,000 automatic users, ~1.1 snapshots each
    assert mb == pytest.approx(1_200_000 * 48 / 1e6)


def test_generate_small_data_set(qtbot, ws: Workspace) -> None:
    wizard = GenerateWizard(ws)
    qtbot.addWidget(wizard)
    wizard.show()
    params = wizard.params
    assert not params.replace.isVisible()  # nothing to replace in an empty workspace
    params.events.setValue(5_000)
    params.days.setValue(10)
    params.seed.setValue(3)
    assert "5,000" in params.estimate.text() or "about" in params.estimate.text()
    wizard.next()
    assert wizard.currentPage() is wizard.progress
    qtbot.waitUntil(lambda: wizard.currentPage() is wizard.summary_page, timeout=60_000)
    table = wizard.summary_page.table
    rows = {table.item(r, 0).text(): table.item(r, 1).text() for r in range(table.rowCount())}
    assert rows["raw.events"] == "5,000"
    assert ws.row_count("raw", "events") == 5_000
    assert int(rows["raw.products"].replace(",", "")) == ws.row_count("raw", "products")
    assert wizard.summary is not None and wizard.summary.events == 5_000
    assert "Generated and loaded in" in wizard.summary_page.details.text()
    assert wizard.run_pipeline  # checked by default
    assert wizard.progress.bar.value() == 1000


def test_bad_spec_is_explained_on_the_page(qtbot, ws: Workspace) -> None:
    wizard = GenerateWizard(ws)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.params.users.setValue(9_000)
    wizard.params.events.setValue(1_000)  # more users than events
    wizard.next()
    assert wizard.currentPage() is wizard.params
    assert "users must be at most 1,000" in wizard.params.problem.text()


def test_cancel_leaves_workspace_unchanged(qtbot, ws: Workspace) -> None:
    wizard = GenerateWizard(ws)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.params.events.setValue(3_000_000)
    wizard.next()
    progress = wizard.progress
    assert progress.state == "running"
    progress.cancel()
    qtbot.waitUntil(lambda: progress.state == "cancelled" and progress.worker is None, timeout=60_000)
    assert wizard.currentPage() is progress and not progress.isComplete()
    assert "Cancelled; nothing was changed" in progress.message.text()
    assert ws.row_count("raw", "events") == 0
    assert wizard.summary is None and not wizard.run_pipeline
