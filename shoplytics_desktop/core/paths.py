"""Where the app's own files live, in all three ways it runs.

An editable checkout finds ``sql_models/`` and ``resources/`` at the repository root, an installed
wheel ships them as ``shoplytics_desktop/_bundled/``, and the PyInstaller bundle unpacks them under
``sys._MEIPASS``. These functions are the only place that knows this.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from platformdirs import user_cache_dir, user_data_dir, user_log_dir

APP_NAME = "Shoplytics"
_PACKAGE_DIR = Path(__file__).resolve().parent.parent


def _locate(name: str) -> Path:
    candidates = []
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        candidates.append(Path(frozen_root) / name)
    candidates.append(_PACKAGE_DIR / "_bundled" / name)
    candidates.append(_PACKAGE_DIR.parent / name)
    for path in candidates:
        if path.is_dir():
            return path
    raise FileNotFoundError(
        f"The app's '{name}' folder is missing (looked in: {', '.join(map(str, candidates))}). "
        "Reinstall Shoplytics."
    )


def default_models_dir() -> Path:
    """The model project that ships with the app."""
    return _locate("sql_models")


def shipped_parses_file() -> Path:
    """The shipped model project's parses: package data beside the code that reads them (the
    PyInstaller spec copies it to the same place under ``sys._MEIPASS``), never a file in a
    model folder, which anyone sharing a project could write."""
    name = Path("core") / "models" / "_shipped_parses.json"
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root and (Path(frozen_root) / "shoplytics_desktop" / name).is_file():
        return Path(frozen_root) / "shoplytics_desktop" / name
    return _PACKAGE_DIR / name


def resources_dir() -> Path:
    return _locate("resources")


def default_workspace_dir() -> Path:
    env = os.environ.get("SHOPLYTICS_WORKSPACE")
    if env:
        return Path(env).expanduser()
    return Path(user_data_dir(APP_NAME, appauthor=False)) / "default"


def log_dir() -> Path:
    return Path(user_log_dir(APP_NAME, appauthor=False))


def cache_dir() -> Path:
    """Where derived data that can always be recomputed lives (e.g. parsed model SQL)."""
    env = os.environ.get("SHOPLYTICS_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    return Path(user_cache_dir(APP_NAME, appauthor=False))
