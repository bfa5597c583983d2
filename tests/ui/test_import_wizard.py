"""The import wizard on the real sample and on small hand-made files: every page, the dry run,
the load (and its cancel), presets, and the errors a user can meet."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox, QTableWidget, QTreeWidget, QTreeWidgetItem

from shoplytics_desktop.core.ingest import Mapping, import_events
from shoplytics_desktop.core.workspace import Workspace
from shoplytics_desktop.ui.import_wizard import ImportWizard
from shoplytics_desktop.ui.import_wizard.jobs import Validation
from tests.samples import REAL_SAMPLE, needs_real_sample

SAMPLE = REAL_SAMPLE
needs_sample = needs_real_sample

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
    qtbot.waitUntil(lambda: not getattr(wizard.currentPage(), "busy", False), timeout=timeout)


def _mapping(wizard: ImportWizard) -> Mapping:
    assert wizard.state.mapping is not None
    return wizard.state.mapping


def _validation(wizard: ImportWizard) -> Validation:
    assert wizard.state.validation is not None
    return wizard.state.validation


def _cell(table: QTableWidget | QTreeWidget, row: int, col: int) -> str:
    item = table.item(row, col) if isinstance(table, QTableWidget) else table.topLevelItem(row)
    assert item is not None
    return item.text(col) if isinstance(item, QTreeWidgetItem) else item.text()


def _names(wizard: ImportWizard) -> dict[str, tuple[int, str]]:
    page = wizard.names_page
    return {name: (page.counts[name], str(combo.currentData())) for name, combo in page.combos.items()}


def _error_box(wizard: ImportWizard) -> QMessageBox | None:
    boxes = [b for b in wizard.findChildren(QMessageBox) if b.isVisible()]
    return boxes[-1] if boxes else None


def _shown_error(wizard: ImportWizard) -> QMessageBox:
    box = _error_box(wizard)
    assert box is not None, "no error dialog is shown"
    return box


def _rows(ws: Workspace, sql: str) -> list[tuple]:
    return ws.cursor().execute(sql).fetchall()


@needs_sample
def test_happy_path_with_the_real_sample(qtbot, ws: Workspace) -> None:
    wizard = _wizard(qtbot, ws, [str(SAMPLE)])
    files = wizard.files_page
    assert files.paths() == [str(SAMPLE)]
    assert _cell(files.files, 0, 1) == f"{SAMPLE.stat().st_size / 1024:,.1f} KB"

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
    v = _validation(wizard)
    assert (v.report.rows_read, v.report.rows_loaded, v.report.rows_rejected) == (1000, 1000, 0)
    assert "1,000 would load" in wizard.validation_page.summary.text()
    assert wizard.validation_page.model.rowCount() == 20
    assert ws.row_count("raw", "events") == 0  # validation writes nothing

    wizard.next()
    qtbot.waitUntil(lambda: wizard.currentId() == wizard.SUMMARY, timeout=60_000)
    assert ws.row_count("raw", "events") == 1000
    assert wizard.state.report is not None
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
    report = _validation(wizard).report
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (5, 2, 3)
    table = wizard.validation_page.reasons
    shown = {_cell(table, r, 0): (_cell(table, r, 1), _cell(table, r, 2))
             for r in range(table.rowCount())}
    negative = next(k for k in shown if "price" in k)
    unparsed = next(k for k in shown if "time" in k)
    assert shown[negative] == ("2", "bad.csv:3, bad.csv:4")
    assert shown[unparsed] == ("1", "bad.csv:5")
    assert "not a date" in _cell(table, list(shown).index(unparsed), 3)
    assert wizard.validation_page.isComplete()  # two rows can still load


@needs_sample
def test_changing_an_event_name_mapping_changes_what_loads(qtbot, ws: Workspace) -> None:
    wizard = _wizard(qtbot, ws, [str(SAMPLE)])
    _next_to(qtbot, wizard, wizard.NAMES)
    combo = wizard.names_page.combos["cart"]
    combo.setCurrentIndex(combo.findData("other"))
    assert _mapping(wizard).event_types == {"cart": "other"}
    _next_to(qtbot, wizard, wizard.VALIDATION)
    wizard.next()
    qtbot.waitUntil(lambda: wizard.currentId() == wizard.SUMMARY, timeout=60_000)
    assert _rows(ws, "SELECT event_type, event_name, count(*) FROM raw.events "
                     "WHERE event_name = 'cart' GROUP BY ALL") == [("other", "cart", 3)]
    assert _rows(ws, "SELECT count(*) FROM raw.events WHERE event_type = 'add_to_cart'") == [(0,)]


@needs_sample
def test_cancel_during_load_leaves_the_workspace_unchanged(qtbot, ws: Workspace) -> None:
    wizard = _wizard(qtbot, ws, [str(SAMPLE)])
    _next_to(qtbot, wizard, wizard.VALIDATION)
    wizard.next()
    load = wizard.load_page
    assert wizard.currentPage() is load and load.state_name == "running"
    load.cancel()
    qtbot.waitUntil(lambda: load.state_name == "cancelled" and load.worker is None, timeout=30_000)
    assert wizard.currentPage() is load and not load.isComplete()
    assert "the workspace is unchanged" in load.message.text()
    assert ws.row_count("raw", "events") == 0
    assert _rows(ws, "SELECT count(*) FROM raw.rejected_events") == [(0,)]
    assert wizard.state.report is None and not wizard.run_pipeline
    wizard.back()  # the user can change the mapping and try again
    assert wizard.currentPage() is wizard.validation_page


@pytest.mark.parametrize(("content", "says"), [
    (bytes(range(256)) * 40, "does not look like a CSV, JSON or Parquet file"),
    (b"", "is empty (0 bytes)"),
])
def test_a_bad_file_is_explained_and_the_user_can_go_back(
        qtbot, ws: Workspace, tmp_path: Path, content: bytes, says: str) -> None:
    bad = tmp_path / "events.csv"
    bad.write_bytes(content)
    wizard = _wizard(qtbot, ws, [str(bad)])
    wizard.next()
    qtbot.waitUntil(lambda: _error_box(wizard) is not None, timeout=30_000)
    box = _shown_error(wizard)
    assert box.windowTitle() == "Import error" and says in box.text()
    assert "Traceback" not in box.text() and "Traceback" not in box.detailedText()
    assert not wizard.source_page.isComplete()
    assert "Go Back to pick other files" in wizard.source_page.status.text()
    box.close()
    wizard.back()
    assert wizard.currentPage() is wizard.files_page
    good = tmp_path / "good.csv"
    good.write_text(BAD_ROWS)
    wizard.files_page.files.clear()
    wizard.files_page.add_paths([str(good)])
    _next_to(qtbot, wizard, wizard.MAPPING)
    assert wizard.mapping_page.combos["event_time"].currentData() == "event_time"


def test_missing_required_mapping_disables_next(qtbot, ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text("when,action,who\n2024-01-01 10:00:00,view,a\n2024-01-01 10:05:00,buy,b\n")
    wizard = _wizard(qtbot, ws, [str(path)])
    _next_to(qtbot, wizard, wizard.MAPPING)
    page = wizard.mapping_page
    assert page.combos["event_time"].currentData() == "when"
    assert page.combos["event_type"].currentData() == "action"
    assert page.combos["user_id"].currentData() is None  # "who" is not a name it knows
    assert not page.isComplete()
    assert "Choose a source column for user_id" in page.problem.text()
    assert not wizard.button(wizard.WizardButton.NextButton).isEnabled()
    page.combos["user_id"].setCurrentIndex(page.combos["user_id"].findData("who"))
    assert page.isComplete() and page.problem.text() == ""
    assert wizard.button(wizard.WizardButton.NextButton).isEnabled()
    page.time_format.setCurrentIndex(page.time_format.findData("custom"))
    assert not page.isComplete() and "custom time format" in page.problem.text()
    page.custom_format.setText("%Y-%m-%d %H:%M:%S")
    assert page.isComplete() and _mapping(wizard).time_format == "%Y-%m-%d %H:%M:%S"
    _next_to(qtbot, wizard, wizard.VALIDATION)
    assert _validation(wizard).report.rows_loaded == 2


@needs_sample
def test_mapping_save_and_load_round_trip(qtbot, ws: Workspace, tmp_path: Path) -> None:
    wizard = _wizard(qtbot, ws, [str(SAMPLE)])
    _next_to(qtbot, wizard, wizard.NAMES)
    cart = wizard.names_page.combos["cart"]
    cart.setCurrentIndex(cart.findData("remove_from_cart"))
    preset = tmp_path / "store.yml"
    assert wizard.save_mapping_to(preset)
    assert "session_id: user_session" in preset.read_text()
    assert "cart: remove_from_cart" in preset.read_text()
    wizard.back()
    page = wizard.mapping_page
    page.combos["session_id"].setCurrentIndex(0)
    page.combos["brand"].setCurrentIndex(page.combos["brand"].findData("category_code"))
    assert _mapping(wizard).columns.get("session_id") is None
    assert wizard.load_mapping_from(preset)
    assert page.combos["session_id"].currentData() == "user_session"
    assert page.combos["brand"].currentData() == "brand"
    _next_to(qtbot, wizard, wizard.NAMES)
    assert _names(wizard)["cart"] == (3, "remove_from_cart")
    cart = wizard.names_page.combos["cart"]
    cart.setCurrentIndex(cart.findData("other"))
    assert wizard.load_mapping_from(preset)  # on the event-name page: counted again from it
    qtbot.waitUntil(lambda: not wizard.names_page.busy and bool(wizard.names_page.combos), timeout=30_000)
    assert _names(wizard)["cart"] == (3, "remove_from_cart")


def test_a_bad_mapping_file_is_explained(qtbot, ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(BAD_ROWS)
    wizard = _wizard(qtbot, ws, [str(path)])
    _next_to(qtbot, wizard, wizard.MAPPING)
    before = wizard.state.mapping
    broken = tmp_path / "broken.yml"
    broken.write_text("columns: [event_time\n  user_id: :\n")
    assert not wizard.load_mapping_from(broken)
    box = _shown_error(wizard)
    assert "is not valid YAML" in box.text()
    box.close()
    wrong = tmp_path / "wrong.yml"
    wrong.write_text("columns: {event_time: ts, event_type: event_type, user_id: user_id}\n")
    assert not wizard.load_mapping_from(wrong)
    box = _shown_error(wizard)
    assert "does not have: ts" in box.text()
    box.close()
    assert wizard.state.mapping == before and wizard.mapping_page.isComplete()


def test_dropped_files_open_the_wizard_from_the_main_window(qtbot, tmp_path: Path, monkeypatch) -> None:
    from shoplytics_desktop.ui.main_window import MainWindow
    from shoplytics_desktop.ui.page_host import PageHost, Placeholder

    monkeypatch.setattr(PageHost, "_dashboards", lambda self: Placeholder("Dashboards", ""))
    path = tmp_path / "events.csv"
    path.write_text(BAD_ROWS)
    window = MainWindow(tmp_path / "ws")
    qtbot.addWidget(window)
    window.show()
    window.open_initial()
    window.import_files([str(path)])
    wizard = window._wizard
    assert isinstance(wizard, ImportWizard) and wizard.parent() is window
    assert wizard.files_page.paths() == [str(path)]
    wizard.reject()
    window.close()


def test_an_error_during_load_is_shown_and_changes_nothing(qtbot, ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(BAD_ROWS)
    wizard = _wizard(qtbot, ws, [str(path)])
    _next_to(qtbot, wizard, wizard.VALIDATION)
    path.unlink()  # gone between the dry run and the load
    wizard.next()
    load = wizard.load_page
    qtbot.waitUntil(lambda: load.state_name == "failed" and load.worker is None, timeout=30_000)
    box = _shown_error(wizard)
    assert "does not exist" in box.text()
    assert "the workspace is unchanged" in load.message.text()
    assert ws.row_count("raw", "events") == 0 and wizard.state.report is None
    box.close()
    wizard.back()
    assert wizard.currentPage() is wizard.validation_page


def test_a_cancel_that_surfaces_as_an_error_counts_as_a_cancel(qtbot) -> None:
    from shoplytics_desktop.core.errors import ImportError_
    from shoplytics_desktop.core.progress import Reporter
    from shoplytics_desktop.ui.import_wizard.common import JobPage

    def interrupted_read(reporter: Reporter) -> None:
        while not reporter.cancel_requested:
            pass
        raise ImportError_("Cannot read events.csv as CSV: INTERRUPT Error: Interrupted!")

    page = JobPage()
    qtbot.addWidget(page)
    seen: list[str] = []
    worker = page.run_job(interrupted_read, pass_reporter=True, on_result=lambda _v: seen.append("done"),
                          on_error=lambda _e: seen.append("error"),
                          on_cancelled=lambda: seen.append("cancelled"))
    worker.cancel()
    qtbot.waitUntil(lambda: not page.busy, timeout=10_000)
    assert seen == ["cancelled"] and page.last_error is None
    assert not page.findChildren(QMessageBox)


def test_read_options_override_detection(qtbot, ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text("event_time;event_type;user_id\n2024-01-01 10:00:00;view;a\n"
                    "2024-01-01 10:05:00;purchase;b\n")
    wizard = _wizard(qtbot, ws, [str(path)])
    _next_to(qtbot, wizard, wizard.SOURCE)
    page = wizard.source_page
    assert page.fields["delimiter"].text() == "“;”" and page.model.columnCount() == 3
    page.delimiter.setCurrentIndex(page.delimiter.findData(","))  # a wrong choice: one column
    qtbot.waitUntil(lambda: page.isComplete(), timeout=30_000)
    assert page.fields["delimiter"].text() == "“,”" and page.model.columnCount() == 1
    wizard.next()
    assert not wizard.mapping_page.isComplete()  # nothing to map the user from
    wizard.back()
    page.delimiter.setCurrentIndex(page.delimiter.findData(";"))
    qtbot.waitUntil(lambda: page.isComplete(), timeout=30_000)
    assert page.model.columnCount() == 3 and _mapping(wizard).source.delimiter == ";"
    page.header.setChecked(False)
    qtbot.waitUntil(lambda: page.isComplete(), timeout=30_000)
    assert page.model.rowCount() == 3  # the header line is now a row
    assert page.fields["header"].text() == "no"
    assert _mapping(wizard).source.header is False


def test_product_catalog_and_user_profiles_load_with_the_events(
        qtbot, ws: Workspace, tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    events.write_text(BAD_ROWS)
    products = tmp_path / "products.csv"
    products.write_text("product_id,name,category,brand,price\np1,Kettle,kitchen,acme,10.00\n"
                        "p2,Toaster,kitchen,acme,3.00\n")
    users = tmp_path / "users.csv"
    users.write_text("user_id,signup_date,country,segment,updated_at\n"
                     "u1,2024-01-01,DE,new,2024-01-01\nu2,2024-02-01,FR,vip,2024-02-01\n")
    wizard = _wizard(qtbot, ws, [str(events)])
    wizard.files_page.products.edit.setText(str(products))
    wizard.files_page.users.edit.setText(str(users))
    assert wizard.files_page.products.size_label.text() == f"{products.stat().st_size} bytes"
    _next_to(qtbot, wizard, wizard.VALIDATION)
    wizard.next()
    qtbot.waitUntil(lambda: wizard.currentId() == wizard.SUMMARY, timeout=60_000)
    assert ws.row_count("raw", "events") == 2
    assert ws.row_count("raw", "products") == 2 and ws.row_count("raw", "users") == 2
    extra = wizard.summary_page.values["extra"].text()
    assert "products: 2 loaded, 0 duplicate, 0 rejected" in extra
    assert "users: 2 loaded, 0 duplicate, 0 rejected" in extra
    assert wizard.summary_page.values["rejected"].text() == "3"


def test_a_catalog_and_a_customer_list_in_a_zip_of_events_load_as_such(
        qtbot, ws: Workspace, tmp_path: Path) -> None:
    """A shop's zip of events, products and customers: the wizard names the two files of no
    events on the format page, maps the events alone and loads the others as the catalog and
    user profiles (every row of theirs was a rejected event)."""
    import zipfile

    archive = tmp_path / "shop.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("events.csv", BAD_ROWS)
        z.writestr("products.csv", "product_id,name,category,brand,price\n"
                                   "p1,Kettle,kitchen,acme,10.00\np2,Toaster,kitchen,acme,3.00\n")
        z.writestr("customers.csv", "customer_id,email,created_at,country\n"
                                    "u1,a@x.com,2024-01-01,DE\nu2,b@x.com,2024-02-01,FR\n")
    wizard = _wizard(qtbot, ws, [str(archive)])
    _next_to(qtbot, wizard, wizard.SOURCE)
    qtbot.waitUntil(lambda: wizard.currentPage().isComplete(), timeout=30_000)
    notes = wizard.source_page.fields["notes"].text()
    assert "shop.zip/products.csv holds no events but a product catalog" in notes
    assert "shop.zip/customers.csv holds no events but user profiles" in notes
    _next_to(qtbot, wizard, wizard.VALIDATION)
    assert _validation(wizard).report.rows_read == 5  # the events file's rows alone
    wizard.next()
    qtbot.waitUntil(lambda: wizard.currentId() == wizard.SUMMARY, timeout=60_000)
    assert ws.row_count("raw", "events") == 2
    assert ws.row_count("raw", "products") == 2 and ws.row_count("raw", "users") == 2
    assert "products: 2 loaded" in wizard.summary_page.values["extra"].text()


def test_a_product_catalog_on_its_own_loads_without_a_mapping(
        qtbot, ws: Workspace, tmp_path: Path) -> None:
    """A product catalog dropped on its own, after the events: the format page says it holds
    no events, Next goes straight to loading it (no mapping of events it lacks), and the
    summary counts the products."""
    products = tmp_path / "products.csv"
    products.write_text("product_id,name,category,brand,price\n"
                        "p1,Kettle,kitchen,acme,10.00\np2,Toaster,kitchen,acme,3.00\n"
                        "p3,Mug,kitchen,acme,4.50\n", encoding="utf-8")
    wizard = _wizard(qtbot, ws, [str(products)])
    _next_to(qtbot, wizard, wizard.SOURCE)
    qtbot.waitUntil(lambda: wizard.currentPage().isComplete(), timeout=30_000)
    assert "These files hold no events" in wizard.source_page.status.text()
    assert f"{products} holds no events but a product catalog" in \
        wizard.source_page.fields["notes"].text()
    assert not wizard.button(wizard.WizardButton.CustomButton1).isEnabled()  # no mapping to save
    wizard.next()
    assert wizard.currentId() == wizard.LOAD
    qtbot.waitUntil(lambda: wizard.currentId() == wizard.SUMMARY, timeout=60_000)
    assert ws.row_count("raw", "products") == 3 and ws.row_count("raw", "events") == 0
    assert wizard.summary_page.headline.text() == "No events; 3 products loaded."
    assert "products: 3 loaded, 0 duplicate, 0 rejected" in \
        wizard.summary_page.values["extra"].text()


@needs_sample
def test_closing_during_load_cancels_first(qtbot, ws: Workspace) -> None:
    wizard = _wizard(qtbot, ws, [str(SAMPLE)])
    _next_to(qtbot, wizard, wizard.VALIDATION)
    finished: list[int] = []
    wizard.finished.connect(finished.append)
    wizard.next()
    wizard.reject()  # the window's close button while loading
    qtbot.waitUntil(lambda: bool(finished), timeout=30_000)
    assert finished == [0] and wizard.load_page.worker is None
    assert ws.row_count("raw", "events") == 0


@needs_sample
def test_main_window_import_then_run_pipeline(qtbot, tmp_path: Path, monkeypatch) -> None:
    from shoplytics_desktop.ui.main_window import MainWindow
    from shoplytics_desktop.ui.page_host import PageHost, Placeholder

    monkeypatch.setattr(PageHost, "_dashboards", lambda self: Placeholder("Dashboards", ""))
    window = MainWindow(tmp_path / "ws")
    qtbot.addWidget(window)
    runs: list[bool] = []
    monkeypatch.setattr(window, "run_pipeline", lambda: runs.append(True))
    window.show()
    window.open_initial()
    window.import_files([str(SAMPLE)])
    wizard = window._wizard
    assert isinstance(wizard, ImportWizard)
    _next_to(qtbot, wizard, wizard.VALIDATION)
    wizard.next()
    qtbot.waitUntil(lambda: wizard.currentId() == wizard.SUMMARY, timeout=60_000)
    wizard.reject()  # closed with the window button: the data is in, so it counts as finished
    qtbot.waitUntil(lambda: runs == [True], timeout=5_000)
    qtbot.waitUntil(lambda: "raw.events 1,000 rows" in window.status.counts_label.text(),
                    timeout=5_000)
    window.close()


def test_importing_into_a_demo_workspace_replaces_the_demo_or_stops(
    qtbot, tmp_path: Path, monkeypatch
) -> None:
    # A shop's own data never mixes with demo data: the window asks first. Cancel: no wizard;
    # Replace: the import deletes the 2,000 generated events in its own transaction.
    from shoplytics_desktop.core.generate import GenerateSpec, generate_into
    from shoplytics_desktop.ui.main_window import MainWindow
    from shoplytics_desktop.ui.page_host import PageHost, Placeholder

    monkeypatch.setattr(PageHost, "_dashboards", lambda self: Placeholder("Dashboards", ""))
    with Workspace.open(tmp_path / "ws") as demo_ws:
        generate_into(demo_ws, GenerateSpec(events=2_000, days=5, seed=3))
    path = tmp_path / "events.csv"
    path.write_text(BAD_ROWS)
    window = MainWindow(tmp_path / "ws")
    qtbot.addWidget(window)
    monkeypatch.setattr(window, "run_pipeline", lambda: None)
    window.show()
    window.open_initial()
    for answer in ("cancel", "replace"):
        window._wizard = None
        window.import_files([str(path)])
        box = window._demo_box
        assert "demo data (2,000 generated events)" in box.text()
        button = (box.button(QMessageBox.StandardButton.Cancel) if answer == "cancel"
                  else next(b for b in box.buttons() if b.text() == "Replace the demo data"))
        button.click()
        if answer == "cancel":
            assert window._wizard is None
    wizard = window._wizard
    assert isinstance(wizard, ImportWizard) and wizard.state.replace_demo
    _next_to(qtbot, wizard, wizard.VALIDATION)
    wizard.next()
    qtbot.waitUntil(lambda: wizard.currentId() == wizard.SUMMARY, timeout=60_000)
    report = wizard.state.report
    assert report is not None and any("demo data (2,000 generated events)" in n
                                      for n in report.notes)
    kinds = _rows(window.workspace, "SELECT DISTINCT kind FROM _shoplytics.batches")
    assert kinds == [("events",)]
    wizard.reject()
    window.close()

def test_a_mapping_with_other_read_options_reads_the_files_again(
        qtbot, ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text("event_time;event_type;user_id\n2024-01-01 10:00:00;view;a\n")
    wizard = _wizard(qtbot, ws, [str(path)])
    _next_to(qtbot, wizard, wizard.SOURCE)
    preset = tmp_path / "semicolon.yml"
    assert wizard.save_mapping_to(preset) and "delimiter: ;" in preset.read_text()
    page = wizard.source_page
    page.delimiter.setCurrentIndex(page.delimiter.findData(","))
    qtbot.waitUntil(lambda: page.isComplete() and page.model.columnCount() == 1, timeout=30_000)
    wizard.next()
    assert wizard.currentId() == wizard.MAPPING and not wizard.mapping_page.isComplete()
    assert wizard.load_mapping_from(preset)
    assert wizard.currentId() == wizard.SOURCE  # back to read the files with ";"
    qtbot.waitUntil(lambda: page.isComplete(), timeout=30_000)
    assert page.model.columnCount() == 3 and page.delimiter.currentData() is None
    _next_to(qtbot, wizard, wizard.MAPPING)
    assert wizard.mapping_page.isComplete()
    assert wizard.mapping_page.combos["user_id"].currentData() == "user_id"


def test_only_the_most_frequent_event_names_get_a_combo(
        qtbot, ws: Workspace, tmp_path: Path, monkeypatch) -> None:
    from shoplytics_desktop.ui.import_wizard import check_pages

    monkeypatch.setattr(check_pages, "MAX_NAMES", 2)
    path = tmp_path / "events.csv"
    path.write_text(BAD_ROWS)  # view ×3, cart ×1, purchase ×1
    wizard = _wizard(qtbot, ws, [str(path)])
    _next_to(qtbot, wizard, wizard.NAMES)
    page = wizard.names_page
    assert page.counts == {"view": 3, "cart": 1, "purchase": 1}
    assert list(page.combos) == ["view", "cart"] and page.table.rowCount() == 2
    assert "3 event names in 5 rows. The 2 most frequent are listed; the other 1 follow" in page.status.text()


def test_nothing_loadable_is_explained_and_blocks_the_load(qtbot, ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "allbad.csv"
    path.write_text("event_time,event_type,user_id,price\nnope,view,a,1\nnah,view,b,2\n")
    wizard = _wizard(qtbot, ws, [str(path)])
    _next_to(qtbot, wizard, wizard.VALIDATION)
    page = wizard.validation_page
    box = _shown_error(wizard)
    assert "Nothing could be loaded from" in box.text() and "all 2 rows" in box.text()
    assert "event_time could not be parsed: 2 (e.g. line 2, 3)" in box.text()
    assert not page.isComplete()
    assert not wizard.button(wizard.WizardButton.NextButton).isEnabled()
    assert "Go back and fix the column mapping" in page.message.text()
    box.close()
    wizard.back()
    assert wizard.currentId() == wizard.NAMES


def test_folders_and_drops_fill_the_file_list(qtbot, ws: Workspace, tmp_path: Path) -> None:
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDropEvent

    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "a.csv").write_text(BAD_ROWS)
    (folder / "b.csv").write_text(BAD_ROWS)
    (folder / "notes.md").write_text("not data")
    wizard = _wizard(qtbot, ws, [str(folder)])
    page = wizard.files_page
    assert page.paths() == [str(folder / "a.csv"), str(folder / "b.csv")]
    assert page.total.text() == f"2 files, {2 * len(BAD_ROWS)} bytes"
    extra = tmp_path / "c.csv"
    extra.write_text(BAD_ROWS)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(extra)), QUrl.fromLocalFile(str(folder / "a.csv"))])
    page.dropEvent(QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, mime,
                              Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier))
    assert page.paths()[-1] == str(extra) and len(page.paths()) == 3  # a.csv is not added twice
    _next_to(qtbot, wizard, wizard.VALIDATION)
    assert _validation(wizard).report.rows_read == 15
    assert _validation(wizard).report.rows_duplicate == 4  # the same two valid rows, three times



def test_a_zip_archive_in_a_dated_folder_is_listed_and_read(
    qtbot, ws: Workspace, tmp_path: Path
) -> None:
    import gzip
    import zipfile

    folder = tmp_path / "export"
    (folder / "2024" / "03").mkdir(parents=True)
    (folder / "2024" / "03" / "day1.csv").write_text(BAD_ROWS)
    archive = folder / "2024" / "later.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("later/day2.csv.gz", gzip.compress(BAD_ROWS.replace("u1", "u9").encode()))
    wizard = _wizard(qtbot, ws, [str(folder)])
    page = wizard.files_page
    # The list shows the archive (what the user has), not the files unpacked from it.
    assert page.paths() == [str(folder / "2024" / "03" / "day1.csv"), str(archive)]
    _next_to(qtbot, wizard, wizard.VALIDATION)
    report = _validation(wizard).report
    # 5 rows each; u1's two valid rows are u9's in the archive, so nothing is a duplicate.
    assert (report.rows_read, report.rows_duplicate) == (10, 0)

ORDER_EXPORT = (
    "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
    "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,12/1/2010 8:26,2.55,17850,United Kingdom\n"
    "536365,71053,WHITE METAL LANTERN,6,12/1/2010 8:26,3.39,17850,United Kingdom\n"
    "536367,84879,ASSORTED COLOUR BIRD ORNAMENT,32,12/13/2010 18:34,1.69,13047,United Kingdom\n"
    "C536379,D,Discount,-1,12/14/2010 9:41,27.5,14527,United Kingdom\n"
)


def test_an_order_export_without_an_event_column_loads_as_purchases(
    qtbot, ws: Workspace, tmp_path: Path
) -> None:
    """A shop's order lines (the shape of the UCI Online Retail data): no event column, US
    dates. The invoice-lines preset recognises it: every row is a purchase, the date format is
    worked out (two- or four-digit years), and the cancelled invoice is a refund."""
    src = tmp_path / "online_retail.csv"
    src.write_text(ORDER_EXPORT, encoding="utf-8")
    wizard = _wizard(qtbot, ws, [str(src)])
    _next_to(qtbot, wizard, wizard.MAPPING)
    m = wizard.mapping_page
    assert m.combos["event_type"].currentText() == "— every row: purchase —"
    assert m.samples["event_type"].text().startswith("purchase, on every row")
    assert m.combos["event_time"].currentData() == "InvoiceDate"
    assert m.preset.currentData() == "online_retail"
    assert m.time_format.currentData() == "custom"
    assert m.custom_format.text() == "%m/%d/%y %H:%M || %m/%d/%Y %H:%M"
    assert (m.combos["order_id"].currentData(), m.combos["product_id"].currentData()) == (
        "InvoiceNo", "StockCode")
    assert m.isComplete() and _mapping(wizard).defaults.event_name == "purchase"

    m.combos["event_type"].setCurrentIndex(0)  # not mapped: Next is disabled until chosen again
    assert not m.isComplete() and _mapping(wizard).defaults.event_name is None
    m.combos["event_type"].setCurrentIndex(m.combos["event_type"].count() - 1)
    assert m.isComplete()

    _next_to(qtbot, wizard, wizard.VALIDATION)
    v = _validation(wizard)
    assert (v.report.rows_loaded, v.report.rows_rejected) == (4, 0)  # the cancellation: a refund
    wizard.next()
    qtbot.waitUntil(lambda: wizard.currentId() == wizard.SUMMARY, timeout=60_000)
    assert _rows(ws, "SELECT event_type, event_name, count(*), min(event_time), max(event_time) "
                     "FROM raw.events GROUP BY ALL ORDER BY 1") == [
        ("purchase", "purchase", 3, dt.datetime(2010, 12, 1, 8, 26), dt.datetime(2010, 12, 13, 18, 34)),
        ("refund", "cancellation", 1, dt.datetime(2010, 12, 14, 9, 41), dt.datetime(2010, 12, 14, 9, 41))]


PRESET_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "presets"
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.mark.parametrize(("vendor", "file", "loaded", "shot"), [
    ("ga4", "ga4/events_20250511.ndjson", 27, "ga4"),
    ("shopify", "shopify/orders_export.csv", 8, "shopify"),
    ("shopify_events", "shopify/customer_events.jsonl", 18, "shopify_events"),
    ("online_retail", "online_retail/invoices.csv", 14, "online_retail"),
    ("segment", "segment/tracks.ndjson", 11, "segment"),
    ("segment_warehouse", "segment_warehouse", 11, "segment_warehouse"),
    ("snowplow", "snowplow/atomic_events.csv", 18, "snowplow"),
    ("snowplow", "snowplow/enriched.tsv", 18, "snowplow_enriched_tsv"),
    ("amplitude", "amplitude/export.json", 4, "amplitude"),
    ("mixpanel", "mixpanel/ecommerce.json", 7, "mixpanel"),
])
def test_a_recognised_preset_is_shown_and_can_be_changed(
    qtbot, ws: Workspace, vendor: str, file: str, loaded: int, shot: str
) -> None:
    wizard = _wizard(qtbot, ws, [str(PRESET_FIXTURES / file)])
    wizard.resize(1000, 760)
    _next_to(qtbot, wizard, wizard.MAPPING)
    page = wizard.mapping_page
    assert _mapping(wizard).preset == vendor
    assert page.preset.currentData() == vendor
    assert page.preset_why.text().startswith("Recognised as ")
    # A nested reference shows the values it reads, not an empty sample.
    for name, label in page.samples.items():
        if page.source_of(name) is not None:
            assert label.text() and "(empty" not in label.text(), (name, label.text())
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.grab().save(str(SHOTS / f"import_preset_{shot}.png"))
    # None: generic detection; then back to the preset.
    page.preset.setCurrentIndex(page.preset.findData("none"))
    assert _mapping(wizard).preset is None
    assert page.preset_why.text().startswith("No vendor preset")
    page.preset.setCurrentIndex(page.preset.findData(vendor))
    assert _mapping(wizard).preset == vendor
    _next_to(qtbot, wizard, wizard.VALIDATION)
    assert _validation(wizard).report.rows_loaded == loaded


def test_an_ambiguous_day_month_order_is_asked_and_an_empty_funnel_is_warned(
    qtbot, ws: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "events.csv"
    path.write_text("when,event,user_id\n03/04/2024,signup,a\n05/06/2024,login,b\n"
                    "07/08/2024,signup,c\n")
    wizard = _wizard(qtbot, ws, [str(path)])
    _next_to(qtbot, wizard, wizard.MAPPING)
    page = wizard.mapping_page
    assert page.date_order.isVisibleTo(page)
    assert [page.date_order.itemText(i) for i in range(page.date_order.count())] == [
        "month first: 03/04/2024 → 2024-03-04", "day first: 03/04/2024 → 2024-04-03"]
    assert _mapping(wizard).time_format == "%m/%d/%Y"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.grab().save(str(SHOTS / "import_date_order.png"))
    page.date_order.setCurrentIndex(1)
    assert _mapping(wizard).time_format == "%d/%m/%Y"
    assert page.custom_format.text() == "%d/%m/%Y"
    _next_to(qtbot, wizard, wizard.VALIDATION)
    v = wizard.validation_page
    assert _validation(wizard).report.rows_loaded == 3
    assert v.warnings.isVisibleTo(v)
    text = v.warnings.text()
    assert "Warning: Every row maps to 'other': the funnel will be empty." in text
    assert "signup (2), login (1)" in text
    v.grab().save(str(SHOTS / "import_validation_funnel_warning.png"))
    assert _rows(ws, "SELECT 1") == [(1,)]
    assert wizard.validation_page.isComplete()  # a warning, not a block


def test_files_with_different_columns_show_each_files_proposal(
    qtbot, ws: Workspace, tmp_path: Path
) -> None:
    a = tmp_path / "a.csv"
    a.write_text("timestamp,event,user_id\n2024-01-01 10:00:00,view,u1\n")
    b = tmp_path / "b.csv"
    b.write_text("ts,action,customer_id\n2024-01-01 11:00:00,bought,u2\n")
    wizard = _wizard(qtbot, ws, [str(a), str(b)])
    _next_to(qtbot, wizard, wizard.MAPPING)
    page = wizard.mapping_page
    assert page.file_row.isVisibleTo(page)
    assert [page.file_choice.itemText(i) for i in range(page.file_choice.count())] == [
        "a.csv", "b.csv"]
    page.file_choice.setCurrentIndex(1)
    assert page.file_detail.text().startswith(
        "read on its own: event_time ← ts; event_type ← action; user_id ← customer_id.")
    assert _mapping(wizard).columns["event_time"] == ["timestamp", "ts"]
    assert page.combos["event_time"].currentData() == ["timestamp", "ts"]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.grab().save(str(SHOTS / "import_mapping_per_file.png"))
    _next_to(qtbot, wizard, wizard.VALIDATION)
    assert _validation(wizard).report.rows_loaded == 2


def test_the_zone_of_times_without_an_offset_is_chosen_on_the_mapping_page(
    qtbot, tmp_path: Path
) -> None:
    # The workspace reports in New York: its zone is offered for a local-time export, and the
    # load converts 10:00 there (EST) to 15:00 UTC.
    path = tmp_path / "local.csv"
    path.write_text("event_id,event_time,event_type,user_id\n"
                    "e1,2024-03-01 10:00:00,view,u1\ne2,2024-03-01T10:00:00Z,view,u2\n")
    workspace = Workspace.open(tmp_path / "ny")
    workspace.settings.time_zone = "America/New_York"
    try:
        wizard = _wizard(qtbot, workspace, [str(path)])
        _next_to(qtbot, wizard, wizard.MAPPING)
        page = wizard.mapping_page
        assert [page.time_zone.itemText(i) for i in range(page.time_zone.count())] == [
            "UTC", "America/New_York (the reporting time zone)"]
        assert page.time_zone.currentData() is None and _mapping(wizard).time_zone is None
        page.time_zone.setCurrentIndex(1)
        assert _mapping(wizard).time_zone == "America/New_York"
        _next_to(qtbot, wizard, wizard.SUMMARY, timeout=60_000)
        assert _rows(workspace, "SELECT event_id, CAST(event_time AS VARCHAR) FROM raw.events "
                                "ORDER BY 1") == [("e1", "2024-03-01 15:00:00"),
                                                  ("e2", "2024-03-01 10:00:00")]
    finally:
        workspace.close()


def test_the_same_file_under_another_mapping_replaces_its_batch(
        qtbot, ws: Workspace, tmp_path: Path) -> None:
    """Imported once as proposed, then again with 'cart' mapped to 'other': the check page says
    the earlier batch is replaced, and the load replaces it (the events count once)."""
    f = tmp_path / "events.csv"
    f.write_text("event_time,event_type,user_id,product_id,price\n"
                 "2024-03-01 10:00:00,view,u1,p1,10.00\n"
                 "2024-03-01 10:01:00,cart,u1,p1,10.00\n"
                 "2024-03-01 10:02:00,view,u2,p2,1.50\n"
                 "2024-03-01 10:03:00,view,u2,p3,3.00\n"
                 "2024-03-01 10:04:00,purchase,u1,p1,10.00\n")
    first = import_events(ws, [f])
    assert first.batch_id and ws.row_count("raw", "events") == 5
    wizard = _wizard(qtbot, ws, [str(f)])
    _next_to(qtbot, wizard, wizard.NAMES)
    combo = wizard.names_page.combos["cart"]
    combo.setCurrentIndex(combo.findData("other"))
    _next_to(qtbot, wizard, wizard.VALIDATION)
    summary = wizard.validation_page.summary.text()
    assert "5 would load" in summary and "0 duplicate" in summary, summary
    assert f"(batch {first.batch_id}, 5 events): this import replaces it" in summary, summary
    assert ws.row_count("raw", "events") == 5  # the check changes nothing
    wizard.next()
    qtbot.waitUntil(lambda: wizard.currentId() == wizard.SUMMARY, timeout=60_000)
    report = wizard.state.report
    assert report is not None and report.batch_id and report.batch_id != first.batch_id
    assert _rows(ws, "SELECT DISTINCT _batch_id FROM raw.events") == [(report.batch_id,)]
    assert _rows(ws, "SELECT event_type FROM raw.events WHERE event_name = 'cart'") == [
        ("other",)]
    assert "replaced by this import" in wizard.summary_page.values["notes"].text()
    assert "what it replaced comes back with File ▸ Restore backup…" in (
        wizard.summary_page.hint.text())


def test_the_summary_says_what_only_loading_found(qtbot, ws: Workspace, tmp_path: Path) -> None:
    """Events imported before that a corrected export has with other values are found as the
    rows load: the summary page shows that warning (the check page could not)."""
    head = "event_id,event_time,event_type,user_id,product_id,price\n"
    first = tmp_path / "march.csv"
    first.write_text(head + "e1,2024-03-01 10:00:00,view,u1,p1,10.00\n"
                     "e2,2024-03-01 10:01:00,purchase,u1,p1,10.00\n")
    batch = import_events(ws, [first]).batch_id
    corrected = tmp_path / "march-corrected.csv"
    corrected.write_text(head + "e2,2024-03-01 10:01:00,purchase,u1,p1,12.00\n"
                         "e3,2024-03-01 10:02:00,view,u2,p1,10.00\n")
    wizard = _wizard(qtbot, ws, [str(corrected)])
    _next_to(qtbot, wizard, wizard.VALIDATION)
    wizard.next()
    qtbot.waitUntil(lambda: wizard.currentId() == wizard.SUMMARY, timeout=60_000)
    shown = wizard.summary_page.values["warnings"]
    assert wizard.summary_page.form.isRowVisible(shown)
    assert shown.text() == (
        "1 event imported before has other values in this import (e.g. event e2 (price: 10.00 → "
        "12.00)): the earlier values are kept. To load the corrected rows, delete the earlier "
        f"batch (File ▸ Import batches…, or `shoplytics batches delete {batch}`) and import again "
        "what it held.")
    assert wizard.summary_page.values["loaded"].text() == "1"
