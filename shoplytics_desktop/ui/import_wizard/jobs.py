"""The import wizard's background jobs: plain functions on the core, run in ``ui.workers.Worker``.

Nothing here touches Qt, so each job can run on a pool thread and be tested without a window.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from shoplytics_desktop.core import ingest
from shoplytics_desktop.core.errors import ImportError_
from shoplytics_desktop.core.ingest.wizard import SourceHead, read_head
from shoplytics_desktop.core.progress import Reporter
from shoplytics_desktop.core.workspace import Workspace

HEAD_ROWS = 50
PREVIEW_ROWS = 20


@dataclass(frozen=True)
class Validation:
    """The dry run of an import: counts and reasons, plus the first mapped rows."""

    report: ingest.ValidationReport
    preview_columns: tuple[str, ...]
    preview_rows: tuple[tuple[Any, ...], ...]
    problem: ImportError_ | None = field(default=None)


def inspect_job(
    paths: Sequence[str], options: ingest.SourceOptions | None = None, side_files: bool = False
) -> SourceHead:
    """The files' description, their first rows and a proposal (a connection of its own);
    ``side_files``: a catalog or customer list among the files is found (``SourceHead.side``)."""
    return read_head(paths, options, HEAD_ROWS, side_files)


def counts_job(
    ws: Workspace, info: ingest.SourceInfo, mapping: ingest.Mapping
) -> list[ingest.EventNameCount]:
    return ingest.event_name_counts(ws, info, mapping)


PREVIEW_COLUMNS = ("event_time", "event_type", "event_name", "user_id", "session_id",
                   "product_id", "order_id", "price", "quantity", "currency", "category", "brand",
                   "device", "country", "traffic_source", "__reason")


def validate_job(
    ws: Workspace, info: ingest.SourceInfo, mapping: ingest.Mapping, reporter: Reporter
) -> Validation:
    reporter.update(0, 2, "Checking every row against the event contract…")
    report = ingest.validate(ws, info, mapping, reporter=reporter)
    reporter.check_cancelled()
    reporter.update(1, 2, "Mapping the first rows…")
    frame = ingest.preview(ws, info, mapping, limit=PREVIEW_ROWS)
    cols = [c for c in PREVIEW_COLUMNS if c in frame.columns]
    rows = frame.select(cols).rows()
    if "price" in cols:
        # The preview is read as floats; show prices as they will be stored, DECIMAL(12,2).
        i = cols.index("price")
        rows = [(*r[:i], _cents(r[i]), *r[i + 1:]) for r in rows]
    reporter.update(2, 2, "")
    return Validation(report, tuple(cols), tuple(rows), nothing_loadable(info, report))


def _cents(value: Any) -> Any:
    if isinstance(value, float) and math.isfinite(value):
        return Decimal(f"{value:.2f}")
    return value


def nothing_loadable(info: ingest.SourceInfo, report: ingest.ValidationReport) -> ImportError_ | None:
    """The error to show when no row of the sources would load (same words as the import's)."""
    if report.rows_loaded or report.rows_duplicate:
        return None
    reasons = "; ".join(
        f"{r.reason}: {r.count:,}" + (f" (e.g. line {r.example_lines})" if r.example_lines else "")
        for r in report.reasons[:3]
    )
    return ImportError_(
        f"Nothing could be loaded from {info.display_name}: all {report.rows_rejected:,} rows "
        f"break the event contract" + (f" ({reasons})." if reasons else "."),
        "Go back and fix the column mapping or the time format, or pick another file.",
    )


def import_job(
    ws: Workspace,
    paths: Sequence[str],
    mapping: ingest.Mapping,
    reporter: Reporter,
    products: str | None = None,
    users: str | None = None,
    replace_demo: bool = False,
) -> ingest.ImportReport:
    return ingest.import_events(ws, list(paths), mapping, reporter=reporter,
                                products=products, users=users, replace_demo=replace_demo)


def expand(items: Sequence[str | Path]) -> list[Path]:
    """Folders become their data files (zip archives among them stay archives, opened when the
    files are read); files stay as named (missing ones are reported later)."""
    out: list[Path] = []
    for item in items:
        path = Path(item).expanduser()
        out.extend(ingest_paths([path]) if path.is_dir() else [path])
    return out


def ingest_paths(items: list[Path]) -> list[Path]:
    from shoplytics_desktop.core.ingest.sources import resolve_paths

    return resolve_paths(items, open_archives=False)


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{int(size):,} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{n:,} bytes"
