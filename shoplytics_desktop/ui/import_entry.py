"""Where the app meets the import wizard (``ui.import_wizard``), which may not be in this build."""

from __future__ import annotations

import inspect
from typing import Any

from PySide6.QtWidgets import QMessageBox, QWidget

from shoplytics_desktop.core.workspace import Workspace


def make_import_wizard(cls: type, ws: Workspace, files: list[str], parent: QWidget) -> Any:
    """Build the wizard, handing it the dropped files under whichever name it takes them."""
    params = inspect.signature(cls).parameters
    kwargs: dict[str, Any] = {}
    for name in ("files", "paths"):
        if name in params:
            kwargs[name] = files
            break
    if "parent" in params:
        kwargs["parent"] = parent
    return cls(ws, **kwargs)


def import_wizard(parent: QWidget, ws: Workspace, files: list[str]) -> Any:
    """The import wizard for ``files``, or None (the user has been told how to import instead)."""
    try:
        from shoplytics_desktop.ui.import_wizard import ImportWizard
    except ModuleNotFoundError as e:
        if e.name not in ("shoplytics_desktop.ui.import_wizard", None):
            raise  # the wizard is there but something it needs is not: the error dialog says so
        QMessageBox.information(parent, "Import",
                                "The import wizard is not part of this build. Use the command line: "
                                "shoplytics import FILE… --workspace " + str(ws.folder))
        return None
    return make_import_wizard(ImportWizard, ws, files, parent)
