"""QApplication bootstrap: arguments, logging, the last-resort error hook, the main window.

Kept light on imports: the window paints first, then the workspace is opened and the heavier
modules (sqlglot, polars, pyqtgraph) load as pages need them.
"""

from __future__ import annotations

import argparse
import logging
import logging.handlers
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from shoplytics_desktop.ui.main_window import MainWindow

log = logging.getLogger("shoplytics_desktop")
LOG_FILE = "shoplytics-desktop.log"


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="shoplytics-desktop", description="Shoplytics Desktop")
    parser.add_argument("--workspace", "-w", metavar="PATH", default=None,
                        help="workspace folder (default: $SHOPLYTICS_WORKSPACE, the last one opened, "
                             "or the user's default workspace)")
    parser.add_argument("files", nargs="*", metavar="FILE",
                        help="event files to import (as when dropped on the window)")
    parser.add_argument("--self-test", action="store_true",
                        help="check this installation end to end, headless, and exit 0 (PASS) or 1")
    args, _qt_args = parser.parse_known_args(list(argv))
    return args


def setup_logging() -> Path | None:
    from shoplytics_desktop.core.paths import log_dir

    root = logging.getLogger()
    root.setLevel(logging.INFO)
    try:
        folder = log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            folder / LOG_FILE, maxBytes=2_000_000, backupCount=3, encoding="utf-8")
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    return folder / LOG_FILE


def install_excepthook() -> None:
    """Any exception that escapes a slot goes to the log and the one error dialog, never a traceback."""

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, exc, tb)
            return
        details = "".join(traceback.format_exception(kind, exc, tb))
        log.error("uncaught exception: %s", details)
        try:
            from PySide6.QtWidgets import QApplication

            from shoplytics_desktop.ui.errors import show_error

            if QApplication.instance() is not None:
                show_error(QApplication.activeWindow(), exc)
        except Exception:  # the hook itself must never raise
            log.exception("could not show the error dialog")

    sys.excepthook = hook


def initial_workspace(args: argparse.Namespace) -> Path:
    from shoplytics_desktop.core.paths import default_workspace_dir
    from shoplytics_desktop.ui import app_settings

    if args.workspace:
        return Path(args.workspace).expanduser()
    if os.environ.get("SHOPLYTICS_WORKSPACE"):
        return default_workspace_dir()
    last = app_settings.last_workspace()
    return Path(last) if last else default_workspace_dir()


def build(argv: Sequence[str] | None = None) -> tuple[QApplication, MainWindow]:
    """The application and its shown main window; the workspace opens right after first paint."""
    from PySide6.QtCore import QThreadPool, QTimer
    from PySide6.QtWidgets import QApplication

    from shoplytics_desktop.ui import app_settings

    # Workers run Python (SQL parsing, numpy set-up) while the UI thread makes many short Qt calls,
    # each of which releases and re-takes the GIL; a shorter switch interval keeps those waits from
    # adding up to a visible stall.
    sys.setswitchinterval(0.001)
    argv = list(sys.argv if argv is None else argv)
    args = parse_args(argv[1:])
    app = QApplication.instance() or QApplication(argv)
    assert isinstance(app, QApplication)
    app.setOrganizationName(app_settings.ORGANIZATION)
    app.setApplicationName(app_settings.APPLICATION)
    # No display name: Qt would append it to every window title ("Shoplytics — acme —
    # Shoplytics"); the main window's title names the app once itself.
    app.setDesktopFileName("shoplytics")
    from shoplytics_desktop.ui import theme

    theme.follow_system(app)  # light or dark as the system is, also when it changes
    # a run, a page fetch and a row count can all be in flight: more than the core count
    pool = QThreadPool.globalInstance()
    pool.setMaxThreadCount(max(pool.maxThreadCount(), 4))
    log_file = setup_logging()
    log.info("starting Shoplytics Desktop (log: %s)", log_file)
    install_excepthook()

    from shoplytics_desktop.ui.icons import app_icon
    from shoplytics_desktop.ui.main_window import MainWindow

    app.setWindowIcon(app_icon())
    window = MainWindow(initial_workspace(args))
    window.show()
    app.processEvents()  # the first paint, before the workspace and its page load
    QTimer.singleShot(0, window.open_initial)
    if args.files:  # e.g. "Open with Shoplytics" from a file manager (the .desktop file's %F)
        files = [str(Path(f).expanduser()) for f in args.files]
        window.ready.connect(lambda: window.import_files(files) if window.workspace else None)
    return app, window


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(list(sys.argv if argv is None else argv)[1:])
    if args.self_test:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        from shoplytics_desktop.selftest import run_selftest

        return 0 if run_selftest() else 1
    app, _window = build(argv)
    return int(app.exec())
