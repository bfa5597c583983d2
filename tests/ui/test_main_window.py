"""The main window as a whole: menus and shortcuts, a run from the menu, drops, page switching."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QKeySequence
from PySide6.QtWidgets import QWidget

from shoplytics_desktop.core.workspace import Workspace
from shoplytics_desktop.ui.main_window import MainWindow
from shoplytics_desktop.ui.page_host import PageHost, Placeholder
from tests.ui.conftest import window_on

_window = window_on


def test_menus_follow_platform_shortcuts(qtbot, tmp_path: Path) -> None:
    window = MainWindow(None)
    qtbot.addWidget(window)
    a = window.menu_actions
    assert a["open"].shortcut() == QKeySequence(QKeySequence.StandardKey.Open)
    assert a["import"].shortcut().toString() == "Ctrl+I"
    assert a["run"].shortcut().toString() == "Ctrl+R"
    assert a["quit"].shortcut().toString() == "Ctrl+Q"
    assert a["cancel"].shortcut() == QKeySequence(Qt.Key.Key_Escape)
    assert [m.title() for m in window.menuBar().findChildren(type(window.recent_menu))
            if m.title() in ("&File", "&Pipeline", "&View", "&Help")] == ["&File", "&Pipeline", "&View", "&Help"]
    # no workspace: nothing to run or export
    assert not a["run"].isEnabled() and not a["export"].isEnabled()
    a["page:data"].trigger()
    assert window.current_page() == "data" and window.nav.currentRow() == 3
    window.close()


def test_run_from_menu_updates_pages_and_status(qtbot, passing_ws: Workspace, monkeypatch) -> None:
    window = _window(qtbot, passing_ws, monkeypatch)
    assert window.current_page() == "dashboards"
    assert window.status.built_label.text() == "·  Marts not built yet"
    window.menu_actions["run"].trigger()
    page = window.pages.pipeline()
    assert window.current_page() == "pipeline" and page.busy
    assert window.menu_actions["cancel"].isEnabled() and not window.menu_actions["run"].isEnabled()
    qtbot.waitUntil(lambda: not page.busy, timeout=20_000)
    assert not window.menu_actions["cancel"].isEnabled() and window.menu_actions["run"].isEnabled()
    qtbot.waitUntil(lambda: "marts: 1 tables, 3 rows" in window.status.counts_label.text(), timeout=5000)
    assert "raw.events 4 rows" in window.status.counts_label.text()
    assert window.status.built_label.text().startswith("·  Marts built 20")
    # the data page lists the new mart, and Export offers it
    window.show_page("data")
    data = window.pages.data_page()
    assert data is not None and data.select("marts.fct_users")
    window.export_tables()
    assert window._dialog.selected_tables() == ["marts.fct_users"]
    window._dialog.close()
    window.close()


def test_dropped_files_go_to_the_import_wizard(qtbot, passing_ws: Workspace, monkeypatch, tmp_path: Path) -> None:
    window = _window(qtbot, passing_ws, monkeypatch)
    received: list[list[str]] = []
    monkeypatch.setattr(window, "import_files", lambda files=None: received.append(list(files or [])))
    csv = tmp_path / "events.csv"
    csv.write_text("event_id\n1\n")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(csv))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    assert received == [[str(csv)]]
    window.close()


def test_generate_then_run_pipeline(qtbot, tmp_path: Path, monkeypatch) -> None:
    """The wizard's "Run pipeline now" (checked by default) runs the shipped models on the new data."""
    monkeypatch.setattr(PageHost, "_dashboards", lambda self: Placeholder("Dashboards", ""))
    window = MainWindow(tmp_path / "shop")
    qtbot.addWidget(window)
    window.show()
    window.open_initial()
    assert window.current_page() == "start"
    window.welcome.generate_button.click()
    wizard = window._wizard
    wizard.params.events.setValue(20_000)
    wizard.params.days.setValue(14)
    wizard.next()
    qtbot.waitUntil(lambda: wizard.currentPage() is wizard.summary_page, timeout=60_000)
    assert wizard.summary_page.run_pipeline.isChecked()
    results: list[object] = []
    wizard.accept()
    page = window.pages.pipeline()
    assert window.current_page() == "pipeline" and page.busy
    page.run_finished.connect(results.append)
    qtbot.waitUntil(lambda: bool(results) and not page.busy, timeout=120_000)
    result = results[0]
    assert result.models and all(m.status == "success" for m in result.models)  # type: ignore[attr-defined]
    assert window.workspace is not None and window.workspace.row_count("raw", "events") == 20_000
    qtbot.waitUntil(lambda: "raw.events 20,000 rows" in window.status.counts_label.text(), timeout=5000)
    window.close()


def test_files_on_the_command_line_are_imported(qtbot, tmp_path: Path, monkeypatch) -> None:
    from shoplytics_desktop.app import parse_args

    args = parse_args(["--workspace", str(tmp_path / "ws"), "a.csv", "b.parquet"])
    assert args.files == ["a.csv", "b.parquet"] and args.workspace == str(tmp_path / "ws")


class FakeDashboards(QWidget):
    """Stands in for ui.dashboards.DashboardsPage: records refreshes and workspace switches."""

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.refreshes = 0
        self.switches: list[Path] = []

    def refresh(self) -> None:
        self.refreshes += 1

    def set_workspace(self, ws: Workspace) -> None:
        self.workspace = ws
        self.switches.append(ws.folder)


def test_dashboards_refresh_after_published_run_and_switch(
    qtbot, failing_ws: Workspace, monkeypatch, tmp_path: Path
) -> None:
    window = window_on(qtbot, failing_ws, monkeypatch, lambda self: FakeDashboards(self.workspace))
    dash = window.pages.widgets["dashboards"]
    assert isinstance(dash, FakeDashboards) and dash.workspace is window.workspace
    page = window.pages.pipeline()
    window.run_pipeline()  # the error test fails: nothing published, the dashboards stay as they are
    qtbot.waitUntil(lambda: not page.busy, timeout=20_000)
    assert dash.refreshes == 0
    assert window.open_workspace(tmp_path / "other")
    assert dash.switches == [tmp_path / "other"] and dash.refreshes == 1
    window.close()


def test_dashboards_refresh_after_published_run(qtbot, passing_ws: Workspace, monkeypatch) -> None:
    window = window_on(qtbot, passing_ws, monkeypatch, lambda self: FakeDashboards(self.workspace))
    dash = window.pages.widgets["dashboards"]
    window.run_pipeline()
    qtbot.waitUntil(lambda: not window.pages.pipeline().busy, timeout=20_000)
    assert isinstance(dash, FakeDashboards) and dash.refreshes == 1
    window.close()


def test_import_wizard_gets_the_files(qtbot, passing_ws: Workspace, monkeypatch) -> None:
    import types

    from PySide6.QtWidgets import QWizard

    made: list[tuple[Workspace, list[str]]] = []

    class FakeImportWizard(QWizard):
        run_pipeline = False

        def __init__(self, workspace: Workspace, paths: list[str] | None = None,
                     parent: QWidget | None = None) -> None:
            super().__init__(parent)
            made.append((workspace, list(paths or [])))

    monkeypatch.setitem(__import__("sys").modules, "shoplytics_desktop.ui.import_wizard",
                        types.SimpleNamespace(ImportWizard=FakeImportWizard))
    window = _window(qtbot, passing_ws, monkeypatch)
    window.import_files(["/data/events.csv"])
    assert made == [(window.workspace, ["/data/events.csv"])]
    wizard = window._wizard
    assert isinstance(wizard, FakeImportWizard) and wizard.parent() is window
    wizard.accept()  # loaded: the status bar recounts
    qtbot.waitUntil(lambda: "raw.events 4 rows" in window.status.counts_label.text(), timeout=5000)
    window.close()


def test_opening_the_open_workspace_again_keeps_it(qtbot, passing_ws: Workspace, monkeypatch) -> None:
    """A process holds a workspace file once: choosing it again (File ▸ Open, recent list) keeps
    the open one, and asking for it read-only closes it first, without an error dialog."""
    window = window_on(qtbot, passing_ws, monkeypatch)
    first = window.workspace
    assert first is not None and not first.read_only
    assert window.open_workspace(first.folder / ".." / first.folder.name)
    assert window.workspace is first
    assert window.open_workspace(first.folder, read_only=True)
    assert window.workspace is not first and window.workspace.read_only
    assert window.workspace.cursor().execute("select count(*) from raw.events").fetchone()[0] > 0
    window.close()
