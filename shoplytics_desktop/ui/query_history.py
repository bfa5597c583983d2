"""The recent queries of the SQL page, kept per workspace in the app's settings (a read-only
workspace keeps its history too)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from shoplytics_desktop.ui import app_settings

MAX_ENTRIES = 30


def _key(folder: Path) -> str:
    try:
        name = str(Path(folder).expanduser().resolve())
    except OSError:
        name = str(folder)
    return "sql_history/" + hashlib.sha1(name.encode()).hexdigest()[:16]


def load(folder: Path) -> list[str]:
    """Newest first."""
    text = app_settings.load_text(_key(folder), "[]")
    try:
        items = json.loads(text)
    except ValueError:
        return []
    return [s for s in items if isinstance(s, str)] if isinstance(items, list) else []


def remember(folder: Path, sql: str) -> list[str]:
    """Put ``sql`` first (once), keep the latest ``MAX_ENTRIES``; returns the new list."""
    sql = sql.strip()
    if not sql:
        return load(folder)
    items = [sql, *(s for s in load(folder) if s.strip() != sql)][:MAX_ENTRIES]
    app_settings.save_text(_key(folder), json.dumps(items))
    return items
