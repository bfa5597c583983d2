"""What the presets share: column checks that give a score with reasons, the vocabulary table,
and the read options of a source."""

from __future__ import annotations

import csv
import functools
from collections.abc import Iterable
from pathlib import Path

from shoplytics_desktop.core.ingest.detect import SourceInfo
from shoplytics_desktop.core.ingest.mapping import normalize_name

# Re-exported: the presets read a source as it was detected.
from shoplytics_desktop.core.ingest.mapping import source_options as source_options

_VOCABULARY = Path(__file__).resolve().parent / "vocabulary.csv"


@functools.cache
def _table() -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    with _VOCABULARY.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            out.setdefault(row["vendor"], {})[row["name"]] = row["event_type"]
    return out


def vocabulary(vendor: str) -> dict[str, str]:
    """The vendor's event names → contract types (a copy, to put in a mapping)."""
    return dict(_table().get(vendor, {}))


def names(info: SourceInfo) -> set[str]:
    """Every column name, nested ones as ``parent.child``."""
    return {c.name for c in info.columns}


def find(info: SourceInfo, *candidates: str) -> str | None:
    """The first candidate the source has, compared by exact name, then normalised."""
    have = names(info)
    for c in candidates:
        if c in have:
            return c
    by_norm = {normalize_name(n): n for n in have}
    for c in candidates:
        hit = by_norm.get(normalize_name(c))
        if hit is not None:
            return hit
    return None


def score_columns(
    info: SourceInfo, required: Iterable[str], optional: Iterable[str] = (), what: str = "columns"
) -> tuple[float, list[str]]:
    """0.6 + up to 0.4 for optional columns when every required one is there; else at most 0.4.

    Columns are compared normalised, so ``Lineitem price`` and ``lineitem_price`` agree."""
    req, opt = list(required), list(optional)
    have_req = [c for c in req if find(info, c)]
    have_opt = [c for c in opt if find(info, c)]
    missing = [c for c in req if c not in have_req]
    if missing:
        score = 0.4 * len(have_req) / max(len(req), 1) * (0.5 if len(have_req) < len(req) else 1)
        return score, [f"lacks {', '.join(missing[:4])}"]
    score = 0.6 + 0.4 * (len(have_opt) / len(opt) if opt else 1.0)
    reasons = [f"{what} {', '.join(have_req)}"]
    if have_opt:
        shown = ", ".join(have_opt[:6]) + (" …" if len(have_opt) > 6 else "")
        reasons.append(f"{len(have_opt)} of {len(opt)} further columns ({shown})")
    return score, reasons


def samples(info: SourceInfo, name: str | None) -> tuple[str, ...]:
    col = info.column(name) if name else None
    return col.samples if col else ()


def present(info: SourceInfo, mapping: dict[str, str]) -> dict[str, str]:
    """The entries of a name → source table whose source column the file has."""
    have = names(info)
    return {k: v for k, v in mapping.items() if v in have}


def usable(info: SourceInfo, candidates: Iterable[str], explode: str | None = None) -> list[str]:
    """The references among ``candidates`` that fit the file's structure (a field that the
    export left out, or a struct without it, is skipped)."""
    from shoplytics_desktop.core.errors import ImportError_
    from shoplytics_desktop.core.ingest.refs import Scope

    have = names(info)
    try:
        scope = Scope([(c.name, c.read_type or c.type) for c in info.top_columns], explode)
    except ImportError_:
        scope = Scope([(c.name, c.read_type or c.type) for c in info.top_columns], None)
    out = []
    for c in candidates:
        if c in have:
            out.append(c)
            continue
        try:
            scope.compile(c)
        except ImportError_:
            continue
        out.append(c)
    return out


def pick(info: SourceInfo, candidates: Iterable[str], explode: str | None = None) -> str | list[str] | None:
    """The usable candidates as a mapping's source: one name, a first-non-empty list, or None."""
    found = usable(info, candidates, explode)
    if not found:
        return None
    return found[0] if len(found) == 1 else found


def is_array(info: SourceInfo, ref: str) -> bool:
    """Whether the field ``ref`` names holds a list (or JSON that may), to explode."""
    from shoplytics_desktop.core.ingest.refs import Scope

    scope = Scope([(c.name, c.read_type or c.type) for c in info.top_columns])
    t = scope.compile(ref).type.upper()
    return t.endswith("]") or t == "JSON"
