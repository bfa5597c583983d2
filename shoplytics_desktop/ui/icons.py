"""The application icon, from the PNGs in resources/icons (drawn by packaging/make_icons.py)."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QIcon


def app_icon() -> QIcon:
    from shoplytics_desktop.core.paths import resources_dir

    icon = QIcon()
    try:
        folder = resources_dir() / "icons"
    except FileNotFoundError:
        return icon
    for size in (16, 24, 32, 48, 64, 128, 256):
        path = folder / f"shoplytics-{size}.png"
        if path.exists():
            icon.addFile(str(path), QSize(size, size))
    return icon
