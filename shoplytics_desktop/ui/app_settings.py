"""What the app remembers between sessions (QSettings, organisation "Shoplytics").

Tests point QSettings at a temporary folder (``QSettings.setPath``), so nothing here touches the
real user's settings when the suite runs.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

ORGANIZATION = "Shoplytics"
APPLICATION = "Shoplytics Desktop"
MAX_RECENT = 8


def settings() -> QSettings:
    return QSettings(ORGANIZATION, APPLICATION)


def last_workspace() -> str | None:
    value = settings().value("workspace/last")
    return str(value) if value else None


def recent_workspaces() -> list[str]:
    value = settings().value("workspace/recent", [])
    if isinstance(value, str):  # QSettings returns a bare string for a one-item list
        value = [value]
    if not isinstance(value, list):
        return []
    return [str(v) for v in value if v]


def remember_workspace(folder: Path) -> None:
    path = str(folder)
    s = settings()
    s.setValue("workspace/last", path)
    recent = [p for p in recent_workspaces() if p != path]
    s.setValue("workspace/recent", [path, *recent][:MAX_RECENT])


def save_bytes(key: str, value: QByteArray) -> None:
    settings().setValue(key, value)


def load_bytes(key: str) -> QByteArray | None:
    value = settings().value(key)
    return value if isinstance(value, QByteArray) and not value.isEmpty() else None


def save_text(key: str, value: str) -> None:
    settings().setValue(key, value)


def load_text(key: str, default: str = "") -> str:
    value = settings().value(key)
    return str(value) if value is not None else default
