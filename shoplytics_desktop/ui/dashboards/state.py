"""What the dashboards remember per workspace: the tab, range, granularity, comparison and
filters shown last, and named saved views. Kept in the workspace folder (``dashboards.json``), so
the state travels with the workspace; a read-only folder simply does not remember."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

STATE_FILE = "dashboards.json"


def state_path(folder: Path) -> Path:
    return Path(folder) / STATE_FILE


def load_state(folder: Path) -> dict[str, Any]:
    """The saved state, or {} when there is none or it cannot be read (never an error)."""
    try:
        data = json.loads(state_path(folder).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    views = data.get("views")
    data["views"] = {str(k): v for k, v in views.items() if isinstance(v, dict)} \
        if isinstance(views, dict) else {}
    if not isinstance(data.get("current"), dict):
        data.pop("current", None)
    return data


def save_state(folder: Path, state: dict[str, Any]) -> bool:
    """Write atomically; False (and a log line) when the folder cannot be written."""
    path = state_path(folder)
    try:
        fd, tmp = tempfile.mkstemp(prefix=".dashboards-", suffix=".json", dir=path.parent)
    except OSError as e:
        log.info("dashboard state not saved to %s: %s", path, e)
        return False
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(state, fh, indent=2, sort_keys=True)
        os.replace(tmp, path)
        return True
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        log.info("dashboard state not saved to %s: %s", path, e)
        return False
