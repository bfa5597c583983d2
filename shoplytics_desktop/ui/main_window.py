"""The main window: navigation, pages, menus, status bar, workspace switching, persistence."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, QThreadPool, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QStyle,
    QWidget,
    QWizard,
)

from shoplytics_desktop import __version__
from shoplytics_desktop.core.errors import ShoplyticsError
from shoplytics_desktop.core.paths import log_dir
from shoplytics_desktop.core.workspace import DB_FILE, Workspace
from shoplytics_desktop.ui import app_settings
from shoplytics_desktop.ui.app_state import AppState
from shoplytics_desktop.ui.drops import accept_file_drag, dropped_files
from shoplytics_desktop.ui.errors import show_error
from shoplytics_desktop.ui.idle_checkpoint import IdleCheckpoint
from shoplytics_desktop.ui.page_host import PageHost
from shoplytics_desktop.ui.status_bar import StatusBar
from shoplytics_desktop.ui.welcome import WelcomePage
from shoplytics_desktop.ui.workspace_open import Opener, close_workspace

if TYPE_CHECKING:
    from shoplytics_desktop.ui.generate_wizard import GenerateWizard
    from shoplytics_desktop.ui.settings_dialog import SettingsDialog

log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    PAGES = (("start", "Start"), ("dashboards", "Dashboards"), ("pipeline", "Pipeline"),
             ("data", "Data"), ("sql", "SQL"), ("docs", "Docs"))
    ready = Signal()  # the first workspace is open (or failed to open) and shown

    def __init__(self, workspace_path: Path | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from shoplytics_desktop.ui.menus import build_menus

        self.setWindowTitle("Shoplytics")
        self.setAcceptDrops(True)
        #: The open workspace, the last run, whether work is under way: what the pages,
        #: the status bar and the menus follow.
        self.state = AppState(self)
        # Committed changes reach the database file when the app is idle, not while a run waits.
        self.idle_checkpoint = IdleCheckpoint(self.state)
        #: The menus' actions by key (filled once the menus are built, after the pages).
        self.menu_actions: dict[str, QAction] = {}
        #: The dialog open now (kept referenced while it is shown).
        self._dialog: QDialog | None = None
        #: The wizard open now (generate or import).
        self._wizard: QWizard | None = None
        self.opener = Opener(self)
        self._initial_path = workspace_path
        self.is_ready = False

        self.nav = QListWidget()
        self.nav.setObjectName("navigation")
        self.nav.setIconSize(QSize(20, 20))
        self.nav.setSpacing(2)
        self.nav.setFixedWidth(170)
        icons = {"start": QStyle.StandardPixmap.SP_DirHomeIcon,
                 "dashboards": QStyle.StandardPixmap.SP_FileDialogDetailedView,
                 "pipeline": QStyle.StandardPixmap.SP_BrowserReload,
                 "data": QStyle.StandardPixmap.SP_FileDialogListView,
                 "sql": QStyle.StandardPixmap.SP_FileDialogContentsView,
                 "docs": QStyle.StandardPixmap.SP_FileDialogInfoView}
        for key, title in self.PAGES:
            item = QListWidgetItem(self.style().standardIcon(icons[key]), title)
            item.setData(Qt.ItemDataRole.UserRole, key)
            item.setSizeHint(QSize(120, 34))
            self.nav.addItem(item)
        self.nav.currentRowChanged.connect(lambda row: self.show_page(self.PAGES[row][0]) if row >= 0 else None)

        self.stack = QStackedWidget()
        self.welcome = WelcomePage()
        self.welcome.generate_requested.connect(self.generate_data)
        self.welcome.import_requested.connect(self.import_files)
        self.welcome.open_requested.connect(self.choose_workspace)
        self.welcome.recent_requested.connect(lambda p: self.open_workspace(Path(p)))
        self.pages = PageHost(self, self.stack, self.welcome, self.state)

        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.nav)
        row.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.status = StatusBar(self)
        self.setStatusBar(self.status)
        self.state.workspace_changed.connect(self.status.set_workspace)
        self.state.data_changed.connect(self._recount)
        self.state.run_finished.connect(self._run_finished)
        self.state.busy_changed.connect(lambda _busy: self._update_actions())
        self.recent_menu: QMenu
        self.menu_actions = build_menus(self)
        self.resize(1280, 820)
        self._restore_geometry()
        self.show_page("start")
        self._update_actions()

    # -- startup -------------------------------------------------------------------------------

    def open_initial(self) -> None:
        """Open the starting workspace after the window has painted; never fail the start."""
        path = self._initial_path
        try:
            if path is not None:
                self.open_workspace(path, quiet_errors=False, initial=True)
        finally:
            self.is_ready = True
            self.ready.emit()

    # -- pages ---------------------------------------------------------------------------------

    def show_page(self, key: str) -> None:
        self.pages.show(key)
        row = [k for k, _ in self.PAGES].index(key)
        if self.nav.currentRow() != row:
            self.nav.blockSignals(True)
            self.nav.setCurrentRow(row)
            self.nav.blockSignals(False)
        action = self.menu_actions.get(f"page:{key}")
        if action is not None:
            action.setChecked(True)

    def current_page(self) -> str:
        return self.pages.current

    def show_rows(self, title: str, sql: str) -> None:
        """Drill-through: the rows of a read-only query (the figure's) on the Data page."""
        if self.workspace is None:
            return
        self.show_page("data")
        self.pages.data().show_query(title, sql)

    # -- workspaces ----------------------------------------------------------------------------

    def open_workspace(self, folder: Path, quiet_errors: bool = False, initial: bool = False,
                       read_only: bool = False) -> bool:
        if self.pages.busy:
            QMessageBox.information(self, "Work in progress",
                                    "Wait for the running work to finish, or cancel it (Esc), "
                                    "before switching workspaces.")
            return False
        folder = Path(folder).expanduser()
        current = self.workspace
        if current is not None and _same_folder(current, folder):
            # One process holds a workspace file once: choosing the open one again keeps it,
            # and asking for it in the other mode closes it first.
            if current.read_only == read_only:
                return True
            self._set_workspace(None)
        ws = self.opener.open(folder, read_only=read_only, quiet=quiet_errors)
        if ws is None:
            if self.opener.wants_other:
                QTimer.singleShot(0, self.choose_workspace)
            if initial:
                self._set_workspace(None)
            return False
        if ws.snapshot_of is None:
            app_settings.remember_workspace(ws.folder)
        self._set_workspace(ws)
        if ws.settings_warnings:
            self._warn_settings(ws)
        return True

    def _warn_settings(self, ws: Workspace) -> None:
        """Name the settings that could not be used; the workspace is open regardless."""
        box = QMessageBox(QMessageBox.Icon.Warning, "Workspace settings",
                          "Some settings of this workspace could not be used; defaults are used "
                          "instead. Fix them in File ▸ Workspace settings….", parent=self)
        box.setInformativeText("\n\n".join(ws.settings_warnings))
        self.settings_warning_box = box
        box.open()

    def restore_backup(self) -> None:
        """Put the workspace's backup back, only after the user has seen what each holds and
        chosen to (the default button keeps the current data)."""
        from shoplytics_desktop.ui.workspace_open import restore_question

        ws = self._need_writable("Restore backup")
        if ws is None:
            return
        folder = ws.folder
        if not ws.backup_path.exists():
            QMessageBox.information(self, "Restore backup", f"{folder} has no backup yet.")
            return
        current = f"{ws.row_count('raw', 'events'):,} events"
        box = QMessageBox(QMessageBox.Icon.Warning, "Restore backup",
                          f"Replace the current data of {folder.name} ({current}) with its "
                          "backup?", parent=self)
        box.setInformativeText(restore_question(folder))
        restore = box.addButton("Restore the backup", QMessageBox.ButtonRole.AcceptRole)
        keep = box.addButton("Keep the current data", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep)
        if self.confirm(box) is not restore:
            return
        self._set_workspace(None)
        try:
            result = Workspace.restore_backup(folder)
        except ShoplyticsError as e:
            show_error(self, e)
        else:
            kept = f" The replaced data is kept as {result.kept_as.name}." if result.kept_as else ""
            self.status.showMessage(f"Backup restored.{kept}", 10000)
        self.open_workspace(folder)

    def confirm(self, box: QMessageBox) -> object:
        """Run a confirmation box and return the button clicked (replaceable in tests)."""
        box.exec()
        return box.clickedButton()

    @property
    def workspace(self) -> Workspace | None:
        return self.state.workspace

    def _set_workspace(self, ws: Workspace | None) -> None:
        old = self.workspace
        self.state.drop_workspace()
        if old is not None and old is not ws:
            old.interrupt()
            QThreadPool.globalInstance().waitForDone(3000)
            close_workspace(old)
        name = ws.folder.name if ws else ""
        self.setWindowTitle(f"Shoplytics — {name}" if ws else "Shoplytics")
        self.state.set_workspace(ws)  # the status bar and the pages follow
        self._update_welcome()
        self._update_actions()
        if ws is None or ws.is_empty():
            self.show_page("start")
        else:
            last = self.pages.last_page
            self.show_page(last if last in dict(self.PAGES) and last != "start" else "dashboards")

    def _update_welcome(self) -> None:
        ws = self.workspace
        self.welcome.set_state(str(ws.snapshot_of or ws.folder) if ws else None,
                               ws.is_empty() if ws else True, app_settings.recent_workspaces(),
                               ws.read_only if ws else False)

    def choose_workspace(self) -> None:
        start = str(self.workspace.folder.parent) if self.workspace else str(Path.home())
        folder = QFileDialog.getExistingDirectory(self, "Open workspace", start)
        if not folder:
            return
        path = Path(folder)
        if not (path / DB_FILE).exists():
            answer = QMessageBox.question(
                self, "No workspace here",
                f"{path} holds no Shoplytics workspace ({DB_FILE}).\n\nCreate a new workspace in it?")
            if answer != QMessageBox.StandardButton.Yes:
                return
        self.open_workspace(path)

    def ask_new_folder(self) -> Path | None:
        """A save-style dialog: type the name of a new folder (or pick an empty one)."""
        start = self.workspace.folder.parent if self.workspace else Path.home()
        name, _ = QFileDialog.getSaveFileName(
            self, "New workspace: name a new folder", str(start / "new-shop"), "Workspace folder (*)",
            options=QFileDialog.Option.DontConfirmOverwrite)
        return Path(name) if name else None

    def new_workspace(self, folder: Path | None = None) -> bool:
        """Create the workspace folder when it does not exist, and open the workspace in it."""
        path = folder if folder is not None else self.ask_new_folder()
        if path is None:
            return False
        path = Path(path).expanduser()
        if path.exists() and not path.is_dir():
            QMessageBox.warning(self, "New workspace", f"{path} is a file, not a folder. Choose another name.")
            return False
        if (path / DB_FILE).exists():
            QMessageBox.information(self, "Workspace exists",
                                    f"{path} already holds a workspace; it is opened as it is.")
        else:
            try:
                path.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                QMessageBox.warning(self, "New workspace",
                                    f"Cannot create the folder {path}: {e.strerror}. Choose a folder you can write to.")
                return False
        return self.open_workspace(path)

    def fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = app_settings.recent_workspaces()
        for path in recent:
            action = self.recent_menu.addAction(path)
            action.triggered.connect(lambda _=False, p=path: self.open_workspace(Path(p)))
        if not recent:
            self.recent_menu.addAction("(none)").setEnabled(False)

    # -- commands ------------------------------------------------------------------------------

    def _need_writable(self, what: str) -> Workspace | None:
        ws = self.workspace
        if ws is None:
            QMessageBox.information(self, what, "Open or create a workspace first (File ▸ Open workspace…).")
            return None
        if ws.read_only:
            QMessageBox.information(self, what, "This workspace is open read-only; it cannot be changed.")
            return None
        if self.pages.busy:
            QMessageBox.information(self, what, "Wait for the running work to finish, or cancel it (Esc).")
            return None
        return ws

    def generate_data(self) -> None:
        from shoplytics_desktop.ui.generate_wizard import GenerateWizard

        ws = self._need_writable("Generate demo data")
        if ws is None:
            return
        wizard = GenerateWizard(ws, self)
        self._wizard = wizard
        wizard.finished.connect(lambda _r: self._after_generate(wizard))
        wizard.open()

    def _after_generate(self, wizard: GenerateWizard) -> None:
        demo = wizard.opens_folder
        if demo is not None:  # generated into a separate demo workspace: show it
            if self.open_workspace(demo) and wizard.run_pipeline:
                self.run_pipeline()
            return
        self._after_load(wizard.summary is not None, wizard.run_pipeline)

    def import_files(self, files: list[str] | None = None) -> None:
        ws = self._need_writable("Import")
        if ws is None:
            return
        from shoplytics_desktop.core.ingest.batches import demo_data

        demo = demo_data(ws)
        if not demo.batches:
            self._open_import_wizard(ws, files, replace_demo=False)
            return
        # A shop's own data never mixes with demo data: replace it, or keep it and stop here.
        box = QMessageBox(QMessageBox.Icon.Question, "Import into a workspace with demo data",
                          f"This workspace holds demo data ({demo.events:,} generated events). "
                          "Your files would mix with it.", parent=self)
        box.setInformativeText(
            "Replace the demo data with your files (it is deleted when the import loads, after "
            "a backup), or cancel and make a new workspace for them (File ▸ New workspace…).")
        replace = box.addButton("Replace the demo data", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(replace)
        self._demo_box = box

        def answered(_result: int) -> None:
            if box.clickedButton() is replace:
                self._open_import_wizard(ws, files, replace_demo=True)

        box.finished.connect(answered)
        box.open()

    def _open_import_wizard(self, ws: Workspace, files: list[str] | None,
                            replace_demo: bool) -> None:
        from shoplytics_desktop.ui.import_wizard import ImportWizard

        wizard = ImportWizard(ws, [str(f) for f in files or []], self)
        if replace_demo:
            wizard.state.replace_demo = True
        self._wizard = wizard
        wizard.finished.connect(lambda r: self._after_load(bool(r), wizard.run_pipeline))
        wizard.open()

    def _after_load(self, loaded: bool, run: bool) -> None:
        if not loaded or self.workspace is None:
            return
        self.state.announce_data_changed()  # the status bar recounts, the pages re-read
        self._update_welcome()
        if run:
            self.run_pipeline()

    def show_batches(self) -> None:
        from shoplytics_desktop.ui.batches_dialog import BatchesDialog

        ws = self.workspace
        if ws is None:
            QMessageBox.information(self, "Import batches", "Open a workspace first.")
            return
        dialog = BatchesDialog(ws, self)
        dialog.deleted.connect(lambda _r: self._after_load(True, False))
        self._dialog = dialog
        dialog.open()

    def show_shortcuts(self) -> None:
        from shoplytics_desktop.ui.help_dialogs import ShortcutsDialog

        dialog = ShortcutsDialog(self)
        self._dialog = dialog
        dialog.open()

    def show_definitions(self) -> None:
        from shoplytics_desktop.ui.help_dialogs import DefinitionsDialog

        store = self.pages.store
        reason = "" if store.error is None else f"The model project did not load: {getattr(store.error, 'message', store.error)}"
        dialog = DefinitionsDialog(store.project if self.workspace else None, self, reason)
        self._dialog = dialog
        dialog.open()

    def export_tables(self) -> None:
        from shoplytics_desktop.ui.export_dialog import ExportDialog

        if self.workspace is None:
            QMessageBox.information(self, "Export", "Open a workspace first.")
            return
        dialog = ExportDialog(self.workspace, self, preselect=self.pages.selected_relation())
        self._dialog = dialog
        dialog.open()

    def edit_settings(self) -> None:
        from shoplytics_desktop.ui.settings_dialog import SettingsDialog

        ws = self._need_writable("Workspace settings")
        if ws is None:
            return
        dialog = SettingsDialog(ws, self)
        self._dialog = dialog
        dialog.accepted.connect(lambda: self._apply_settings(dialog))
        dialog.open()

    def _apply_settings(self, dialog: SettingsDialog) -> None:
        ws, new = dialog.ws, dialog.accepted_settings
        if new is None or ws is not self.workspace:
            return
        reopen = dialog.needs_reopen()
        old = ws.settings
        try:
            if new.models_dir != old.models_dir:
                ws.backup()  # the next run rebuilds every model from the other project
            ws.settings = new
            ws.save_settings()
        except (OSError, ShoplyticsError) as e:  # a full disk, a read-only folder
            ws.settings = old
            log.warning("saving workspace settings failed: %s", e)
            QMessageBox.warning(self, "Workspace settings", f"The settings could not be saved: {e}")
            return
        changes = []
        if new.time_zone != old.time_zone:
            changes.append(f"days in {new.time_zone}")
        if new.currency != old.currency:
            changes.append(f"money in {new.currency}")
        if new.session_timeout_minutes != old.session_timeout_minutes:
            changes.append(f"{new.session_timeout_minutes}-minute sessions")
        if changes:
            # Until the run, the dashboards keep the last run's numbers (and say in what).
            self.status.showMessage(
                f"Settings saved. Run the pipeline to count {' and '.join(changes)}.", 30000)
        else:
            self.status.showMessage("Workspace settings saved.", 5000)
        self.state.announce_settings_changed()  # e.g. the currency: shown at once, no restart
        if reopen:
            folder = ws.folder
            self._set_workspace(None)
            self.open_workspace(folder)

    def run_pipeline(self) -> None:
        if self._need_writable("Run") is None:
            return
        self.show_page("pipeline")
        self.pages.pipeline().start_run()

    def run_pipeline_full(self) -> None:
        """Run with every incremental model rebuilt from all events."""
        if self._need_writable("Run") is None:
            return
        self.show_page("pipeline")
        self.pages.pipeline().start_run(full_refresh=True)

    def test_pipeline(self) -> None:
        if self._need_writable("Test") is None:
            return
        self.show_page("pipeline")
        self.pages.pipeline().start_test()

    def cancel_work(self) -> None:
        self.pages.cancel()

    def _run_finished(self, _result: object) -> None:
        # A message asking for this run (after a settings change) is answered now.
        self.status.clearMessage()
        self._recount()
        self._update_welcome()

    def _recount(self) -> None:
        """The status bar re-reads the row counts and the build time."""
        if self.workspace is not None:
            self.status.set_workspace(self.workspace)

    def _update_actions(self) -> None:
        if not self.menu_actions:
            return
        ws = self.workspace
        busy = self.pages.busy
        writable = ws is not None and not ws.read_only and not busy
        for key in ("run", "test", "generate", "import", "settings", "restore"):
            self.menu_actions[key].setEnabled(writable)
        self.menu_actions["export"].setEnabled(ws is not None)
        self.menu_actions["batches"].setEnabled(ws is not None and not busy)
        self.menu_actions["cancel"].setEnabled(busy)

    def about(self) -> None:
        QMessageBox.about(
            self, "About Shoplytics",
            f"<h3>Shoplytics Desktop {__version__}</h3>"
            "<p>E-commerce event analytics on an embedded DuckDB: import or generate events, "
            "build and test the models, read the dashboards.</p>"
            f"<p>Everything here can also be done with the <code>shoplytics</code> command line.</p>"
            f"<p>Log files: {log_dir()}</p>")

    def open_log_folder(self) -> None:
        folder = log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    # -- drag and drop -------------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        accept_file_drag(event)

    def dropEvent(self, event: QDropEvent) -> None:
        files = dropped_files(event)
        if files:
            self.import_files(files)

    # -- persistence ---------------------------------------------------------------------------

    def _restore_geometry(self) -> None:
        geometry = app_settings.load_bytes("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = app_settings.load_bytes("window/state")
        if state is not None:
            self.restoreState(state)
        self.restore_splitters()

    def restore_splitters(self) -> None:
        for splitter in self.findChildren(QSplitter):
            if splitter.objectName():
                state = app_settings.load_bytes(f"splitters/{splitter.objectName()}")
                if state is not None:
                    splitter.restoreState(state)

    def save_state(self) -> None:
        app_settings.save_bytes("window/geometry", self.saveGeometry())
        app_settings.save_bytes("window/state", self.saveState())
        for splitter in self.findChildren(QSplitter):
            if splitter.objectName():
                app_settings.save_bytes(f"splitters/{splitter.objectName()}", splitter.saveState())
        app_settings.save_text("window/page", self.pages.last_page)
        app_settings.settings().sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.pages.busy:
            answer = QMessageBox.question(self, "Work in progress",
                                          "Work is still running. Cancel it and quit? Nothing half-done is kept.")
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
            self.pages.cancel()
        self.save_state()
        self._set_workspace_closed()
        event.accept()

    def _set_workspace_closed(self) -> None:
        ws = self.workspace
        self.state.drop_workspace()
        if ws is not None:
            ws.interrupt()
            QThreadPool.globalInstance().waitForDone(5000)
            close_workspace(ws)


def _same_folder(ws: Workspace, folder: Path) -> bool:
    """``folder`` is the open workspace's own (not the workspace a snapshot was copied from)."""
    try:
        return ws.folder.resolve() == folder.resolve()
    except OSError:
        return False
