"""The menu bar, with the platform's standard shortcuts where one exists."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu

if TYPE_CHECKING:
    from shoplytics_desktop.ui.main_window import MainWindow


def build_menus(w: MainWindow) -> dict[str, QAction]:
    bar = w.menuBar()
    actions: dict[str, QAction] = {}

    def add(menu: QMenu, key: str, text: str, slot: Callable[..., object],
            shortcut: QKeySequence | QKeySequence.StandardKey | Qt.Key | str | None = None,
            tip: str = "") -> QAction:
        action = QAction(text, w)
        if shortcut is not None:
            action.setShortcut(shortcut if isinstance(shortcut, QKeySequence) else QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(slot)
        menu.addAction(action)
        actions[key] = action
        return action

    file = bar.addMenu("&File")
    add(file, "new", "&New workspace…", lambda: w.new_workspace(), QKeySequence.StandardKey.New,
        "Create a workspace in an empty folder")
    add(file, "open", "&Open workspace…", w.choose_workspace, QKeySequence.StandardKey.Open)
    w.recent_menu = file.addMenu("Open &recent")
    w.recent_menu.aboutToShow.connect(w.fill_recent_menu)
    file.addSeparator()
    add(file, "import", "&Import…", w.import_files, "Ctrl+I", "Import event files (CSV, JSON Lines, Parquet)")
    add(file, "batches", "Import &batches…", w.show_batches, None,
        "List the import batches; delete one (a backup is taken first)")
    add(file, "generate", "&Generate demo data…", w.generate_data, None, "Fill the workspace with a synthetic shop")
    add(file, "export", "&Export…", w.export_tables, "Ctrl+E", "Export marts or any table to CSV or Parquet")
    add(file, "restore", "&Restore backup…", w.restore_backup, None,
        "Put the automatic backup back (the current data is kept beside it)")
    file.addSeparator()
    prefs = add(file, "settings", "Workspace &settings…", w.edit_settings, QKeySequence.StandardKey.Preferences,
                "Memory, threads, session timeout, model project, currency")
    prefs.setMenuRole(QAction.MenuRole.PreferencesRole)
    if prefs.shortcut().isEmpty():
        prefs.setShortcut(QKeySequence("Ctrl+,"))
    file.addSeparator()
    quit_action = add(file, "quit", "&Quit", w.close, QKeySequence.StandardKey.Quit)
    quit_action.setMenuRole(QAction.MenuRole.QuitRole)
    if quit_action.shortcut().isEmpty():  # some platforms define no standard Quit key
        quit_action.setShortcut(QKeySequence("Ctrl+Q"))

    pipeline = bar.addMenu("&Pipeline")
    add(pipeline, "run", "&Run", w.run_pipeline, "Ctrl+R", "Build the models and run the data tests")
    add(pipeline, "full_refresh", "Rebuild in &full", w.run_pipeline_full, None,
        "Build and test every model: incremental ones from all events, not only where new "
        "batches change them, and the ones nothing changed for too")
    add(pipeline, "test", "&Test", w.test_pipeline, "Ctrl+T", "Run the data tests on the published models")
    cancel = add(pipeline, "cancel", "&Cancel", w.cancel_work, Qt.Key.Key_Escape, "Stop the running work")
    cancel.setEnabled(False)

    view = bar.addMenu("&View")
    group = QActionGroup(w)
    for i, (key, title) in enumerate(w.PAGES):
        action = add(view, f"page:{key}", title, lambda _=False, k=key: w.show_page(k), f"Ctrl+{i + 1}")
        action.setCheckable(True)
        group.addAction(action)

    help_menu = bar.addMenu("&Help")
    add(help_menu, "shortcuts", "&Keyboard shortcuts", w.show_shortcuts, QKeySequence.StandardKey.HelpContents,
        "Every action's keyboard shortcut")
    add(help_menu, "definitions", "&Metric definitions", w.show_definitions, None,
        "What each column of the marts means, from the model project's docs")
    help_menu.addSeparator()
    about = add(help_menu, "about", "&About Shoplytics", w.about)
    about.setMenuRole(QAction.MenuRole.AboutRole)
    add(help_menu, "logs", "Open &log folder", w.open_log_folder)
    return actions
