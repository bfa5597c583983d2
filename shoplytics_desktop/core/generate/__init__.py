"""Synthetic shop data: users, sessions and orders with causal, seasonal behaviour (vectorised).

Public API, used by the CLI (``shoplytics generate``, ``shoplytics demo``) and the app's wizard:
``generate_into`` loads a data set into a workspace, ``generate_frames`` returns polars frames and
``write_files`` writes files for the import path. All three produce the same data for a spec.

The names are imported on first use (numpy and polars are heavy), so a command that only needs
``FORMATS`` for its help text starts fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shoplytics_desktop.core.generate.formats import FORMATS, VENDOR_FILES, vendor_preset
from shoplytics_desktop.core.lazy import lazy_names

if TYPE_CHECKING:
    from shoplytics_desktop.core.generate.files import (
        GeneratedData,
        check_format,
        check_out_dir,
        check_targets,
        generate_frames,
        write_files,
    )
    from shoplytics_desktop.core.generate.load import GenerateSummary, generate_into
    from shoplytics_desktop.core.generate.spec import GenerateSpec, ResolvedSpec, resolve

_HOMES = {
    "GeneratedData": "files",
    "check_format": "files",
    "check_out_dir": "files",
    "check_targets": "files",
    "generate_frames": "files",
    "write_files": "files",
    "GenerateSummary": "load",
    "generate_into": "load",
    "GenerateSpec": "spec",
    "ResolvedSpec": "spec",
    "resolve": "spec",
}


__getattr__, __dir__ = lazy_names(__name__, _HOMES, globals())


__all__ = [
    "FORMATS",
    "VENDOR_FILES",
    "GenerateSpec",
    "GenerateSummary",
    "GeneratedData",
    "ResolvedSpec",
    "check_format",
    "check_out_dir",
    "check_targets",
    "generate_frames",
    "generate_into",
    "resolve",
    "vendor_preset",
    "write_files",
]
