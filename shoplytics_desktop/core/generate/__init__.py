"""Synthetic shop data: users, sessions and orders with causal, seasonal behaviour (vectorised).

Public API, used by the CLI (``shoplytics generate``, ``shoplytics demo``) and the app's wizard:
``generate_into`` loads a data set into a workspace, ``generate_frames`` returns polars frames and
``write_files`` writes files for the import path. All three produce the same data for a spec.
"""

from shoplytics_desktop.core.generate.files import (
    FORMATS,
    GeneratedData,
    check_format,
    check_out_dir,
    generate_frames,
    write_files,
)
from shoplytics_desktop.core.generate.load import GenerateSummary, generate_into
from shoplytics_desktop.core.generate.spec import GenerateSpec, ResolvedSpec, resolve

__all__ = [
    "FORMATS",
    "GenerateSpec",
    "GenerateSummary",
    "GeneratedData",
    "ResolvedSpec",
    "check_format",
    "check_out_dir",
    "generate_frames",
    "generate_into",
    "resolve",
    "write_files",
]
