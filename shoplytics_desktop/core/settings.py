"""Per-workspace settings, stored as ``settings.json`` beside the DuckDB file."""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from shoplytics_desktop.core.errors import WorkspaceError

SETTINGS_FILE = "settings.json"
_UNITS = {"": 1, "B": 1, "BYTES": 1, "K": 1e3, "KB": 1e3, "M": 1e6, "MB": 1e6, "G": 1e9,
          "GB": 1e9, "T": 1e12, "TB": 1e12, "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}


def memory_bytes(text: str) -> int:
    """'512MB', '4 GiB', … as bytes (the forms MEMORY_PATTERN accepts)."""
    m = re.match(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$", text)
    if not m or m.group(2).upper() not in _UNITS:
        raise ValueError(f"not a memory size: {text!r}")
    return int(float(m.group(1)) * _UNITS[m.group(2).upper()])


class WorkspaceSettings(BaseModel):
    model_config = ConfigDict(extra="ignore")

    memory_limit: str | None = Field(
        default=None,
        description="DuckDB memory_limit, e.g. '4GB'. Empty: DuckDB's default (80% of RAM).",
    )
    import_memory_limit: str | None = Field(
        default="512MB",
        description=(
            "DuckDB memory while importing: what does not fit spills to the temp folder, so an "
            "import needs the same memory whatever the file size. Empty: memory_limit."
        ),
    )
    threads: int | None = Field(default=None, ge=1, description="DuckDB threads. Empty: all cores.")
    temp_directory: str | None = Field(
        default=None, description="Where DuckDB spills. Empty: the workspace's tmp/ folder."
    )
    session_timeout_minutes: int = Field(default=30, ge=1, le=24 * 60)
    models_dir: str | None = Field(
        default=None, description="A model project to use instead of the one shipped with the app."
    )
    currency: str = Field(default="USD", min_length=3, max_length=3)

    @field_validator("memory_limit", "import_memory_limit")
    @classmethod
    def _a_size(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        try:
            if memory_bytes(value) < 16_000_000:
                raise ValueError("at least 16MB is needed")
        except ValueError as e:
            if "at least" in str(e):
                raise
            raise ValueError("write a size such as 512MB or 4GB") from None
        return value.strip()


def load_settings(folder: Path) -> WorkspaceSettings:
    path = folder / SETTINGS_FILE
    if not path.exists():
        return WorkspaceSettings()
    try:
        return WorkspaceSettings.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, ValidationError) as e:
        raise WorkspaceError(
            f"The workspace settings file {path} is not valid ({str(e).splitlines()[0]}).",
            "Fix or delete the file; defaults are used when it is missing.",
        ) from e


def save_settings(folder: Path, settings: WorkspaceSettings) -> None:
    """Write atomically: a temporary file in the same folder, then rename."""
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".settings-", suffix=".json", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(settings.model_dump_json(indent=2))
        os.replace(tmp, folder / SETTINGS_FILE)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
