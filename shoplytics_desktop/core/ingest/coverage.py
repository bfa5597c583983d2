"""Whether a batch feeds the funnel: warnings when no row would be a view, a cart or a purchase.

An unknown event name maps to ``other`` (kept as activity); that is right for a newsletter
signup and silently wrong for a shop's own word for a purchase. So an import says which funnel
types it would have none of, and lists the names mapped to ``other`` with their counts for the
user to map.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

#: Named in a warning when missing, with what the dashboards then show.
_STEPS = (
    ("product_view", "no product_view events: the funnel starts at the session "
                     "(its product-view step is skipped)"),
    ("add_to_cart", "no add_to_cart events: the funnel skips that step"),
    ("purchase", "no purchase events: orders, revenue and conversion will be zero"),
)
SHOWN_NAMES = 10


def funnel_warnings(
    counts: Iterable[tuple[str | None, str | None, int]], held: Iterable[str] = (),
    chosen: Iterable[str] = (),
) -> tuple[str, ...]:
    """Warnings from (event name, event type, rows) of the rows that would load; a step type
    the workspace already ``held`` is not missing (a day's file of page views only, imported
    beside earlier days' purchases). Names the mapping itself maps to ``other`` (``chosen``:
    an order export's cancelled status) are not listed for the user to map."""
    by_type: dict[str, int] = {}
    others: dict[str, int] = {}
    for name, event_type, n in counts:
        t = event_type or "other"
        by_type[t] = by_type.get(t, 0) + int(n)
        if t == "other":
            key = "(empty)" if name is None else str(name)
            others[key] = others.get(key, 0) + int(n)
    total = sum(by_type.values())
    if not total:
        return ()
    out: list[str] = []
    held = set(held)
    for name in chosen:
        others.pop(name, None)
    if by_type.get("other", 0) == total and not held:
        out.append("every row maps to 'other': the funnel will be empty")
    else:
        out += [text for t, text in _STEPS if not by_type.get(t) and t not in held]
    if out and others:
        ranked = sorted(others.items(), key=lambda kv: (-kv[1], kv[0]))
        listed = ", ".join(f"{name} ({n:,})" for name, n in ranked[:SHOWN_NAMES])
        more = f" and {len(ranked) - SHOWN_NAMES:,} more" if len(ranked) > SHOWN_NAMES else ""
        out.append(f"event names mapped to 'other' (map those that are views, carts or "
                   f"purchases): {listed}{more}")
    return tuple(out)


def batch_warnings(
    con: duckdb.DuckDBPyConnection, rows_sql: str, params: list[object] | None = None,
    event_types: dict[str, str] | None = None,
) -> tuple[str, ...]:
    """``funnel_warnings`` of the rows ``rows_sql`` selects (columns event_name, event_type);
    ``event_types``: the mapping's own (its names mapped to ``other`` are not listed)."""
    rows = con.execute(
        f"SELECT event_name, event_type, count(*) FROM ({rows_sql}) GROUP BY 1, 2",
        params or [],
    ).fetchall()
    counts = [(r[0], r[1], int(r[2])) for r in rows]
    missing = [t for t, _ in _STEPS if not any(c[1] == t for c in counts)]
    chosen = [n for n, t in (event_types or {}).items() if t == "other"]
    return funnel_warnings(counts, _held_types(con, missing) if counts and missing else (),
                           chosen)


def _held_types(con: duckdb.DuckDBPyConnection, types: list[str]) -> list[str]:
    """Which of the event types the workspace's events have (none without raw.events)."""
    row = con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'raw' "
                      "AND table_name = 'events' AND NOT temporary").fetchone()
    if not row or not row[0]:
        return []
    # One EXISTS per type: each stops at its first row.
    return [t for t in types if con.execute(
        "SELECT EXISTS (SELECT 1 FROM raw.events WHERE event_type = ?)", [t]).fetchone() == (True,)]
