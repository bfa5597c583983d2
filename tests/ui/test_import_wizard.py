"""The import wizard on the real sample and on small hand-made files: every page, the dry run,
the load (and its cancel), presets, and the errors a user can meet."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from shoplytics_desktop.core.workspace import Workspace
from shoplytics_desktop.ui.import_wizard import ImportWizard

SAMPLE = (Path(__file__).resolve().parents[3] / "shared" / "data" / "real"
          / "multi-category-store-2019-10-sample.csv")
needs_sample = pytest.mark.skipif(not SAMPLE.exists(), reason="the real sample is not here")

BAD_ROWS = """event_time,event_type,user_id,product_id,price
2024-03-01 10:00:00,view,u1,p1,10.00
2024-03-01 10:01:00,cart,u1,p1,-5.00
2024-03-01 10:02:00,view,u2,p2,-1.50
not a date,view,u2,p2,3.00
2024-03-01 10:04:00,purchase,u1,p1,10.00
"""


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    workspace = Workspace.open(tmp_path / "ws")
    yield workspace
    workspace.close()


def _wizard(qtbot, ws: Workspace, files: list[str]) -> ImportWizard:
    wizard = ImportWizard(ws, files=files)
    qtbot.addWidget(wizard)
    wizard.show()
    return wizard


def _next_to(qtbot, wizard: ImportWizard, page_id: int, timeout: int = 30_000) -> None:
    """Press Next until ``page_id``, waiting for each page's background job to finish."""
    while wizard.currentId() < page_id:
        page = wizard.currentPage()
        qtbot.waitUntil(page.isComplete, timeout=timeout)
        wizard.next()
    qtbot.waitUntil(lambda: not wizard.currentPage().busy, timeout=timeout)


def _names(wizard: ImportWizard) -> dict[str, tuple[int, str]]:
    page = wizard.names_page
    return {name: (page.counts[name], str(combo.currentData())) for name, combo in page.combos.items()}


def _error_box(wizard: ImportWizard) -> QMessageBox | None:
    boxes = [b for b in wizard.findChildren(QMessageBox) if b.isVisible()]
    return boxes[-1] if boxes else None


def _rows(ws: Workspace, sql: str) -> list[tuple]:
    return ws.cursor().execute(sql).fetchall()


@needs_sample
def test_happy_path_with_the_real_sample(qtbot, ws: Workspace) -> None:
    wizard = _wizard(qtbot, ws, [str(SAMPLE)])
    files = wizard.files_page
    assert files.paths() == [str(SAMPLE)]
    assert files.files.topLevelItem(0).text(1) == f"{SAMPLE.stat().st_size / 1024:,.1f} KB"

    _next_to(qtbot, wizard, wizard.SOURCE)
    src = wizard.source_page
    assert src.fields["format"].text() == "CSV"
    assert src.fields["delimiter"].text() == "“,”"
    assert src.fields["encoding"].text() == "utf-8"
    assert src.fields["rows"].text() == "about 1,000"
    assert src.model.headers[0] == "event_time\nTIMESTAMP"
    assert src.model.rows[0][1] == "view" and src.model.rowCount() == 50

    _next_to(qtbot, wizard, wizard.MAPPING)
    m = wizard.mapping_page
    assert m.combos["event_time"].currentData() == "event_time"
    assert m.combos["event_type"].currentData() == "event_type"
    assert m.combos["user_id"].currentData() == "user_id"
    assert m.combos["session_id"].currentData() == "user_session"
    assert m.combos["category"].currentData() == ["category_code", "category_id"]
    assert m.combos["order_id"].currentData() is None
    assert m.samples["event_time"].text().startswith("2019-10-01 00:00:00 UTC")
    assert m.samples["device"].text() == "default when not mapped: unknown"
    assert m.time_format.currentData() == "auto" and m.isComplete()
    assert "Every source column is mapped" in m.unmapped.text()

    _next_to(qtbot, wizard, wizard.NAMES)
    assert _names(wizard) == {"view": (987, "product_view"), "cart": (3, "add_to_cart"),
                              "purchase": (10, "purchase")}

    _next_to(qtbot, wizard, wizard.VALIDATION)
    v = wizard.state.validation
    assert v is not None
    assert (v.report.rows_read, v.report.rows_loaded, v.report.rows_rejected) == (1000, 1000, 0)
    assert "1,000 would load" in wizard.validation_page.summary.text()
    assert wizard.validation_page.model.rowCount() == 20
    assert ws.row_count("raw", "events") == 0  # validation writes nothing

    wizard.next()
    qtbot.waitUntil(lambda: wizard.currentId() == wizard.SUMMARY, timeout=60_000)
    assert ws.row_count("raw", "events") == 1000
    batch = wizard.state.report.batch_id
    assert batch and _rows(ws, "SELECT DISTINCT _batch_id FROM raw.events") == [(batch,)]
    assert _rows(ws, "SELECT event_type, count(*) FROM raw.events GROUP BY 1 ORDER BY 1") == [
        ("add_to_cart", 3), ("product_view", 987), ("purchase", 10)]
    s = wizard.summary_page.values
    assert (s["loaded"].text(), s["duplicate"].text(), s["rejected"].text()) == ("1,000", "0", "0")
    assert s["batch"].text() == batch and s["time"].text().endswith(" s")
    assert wizard.run_pipeline  # checked by default
    wizard.summary_page.run_pipeline.setChecked(False)
    assert not wizard.run_pipeline


def test_bad_rows_are_grouped_by_reason(qtbot, ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(BAD_ROWS)
    wizard = _wizard(qtbot, ws, [str(path)])
    _next_to(qtbot, wizard, wizard.VALIDATION)
    report = wizard.state.validation.report
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (5, 2, 3)
    table = wizard.validation_page.reasons
    shown = {table.item(r, 0).text(): (table.item(r, 1).text(), table.item(r, 2).text())
             for r in range(table.rowCount())}
    negative = next(k for k in shown if "price" in k)
    unparsed = next(k for k in shown if "time" in k)
    assert shown[negative] == ("2", "bad.csv:3, bad.csv:4")
    assert shown[unparsed] == ("1", "bad.csv:5")
    assert "not a date" in table.item(list(shown).index(unparsed), 3).text()
    assert wizard.validation_page.isComplete()  # two rows can still load
