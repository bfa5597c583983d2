"""SQL that turns the generator's integer codes into contract rows.

Strings are made here, inside DuckDB (multi-threaded), not in Python: ids are a data set tag, a
letter and a number; names come from small literal lists indexed by code.
"""

from __future__ import annotations

from shoplytics_desktop.core.contract import EVENT_COLUMN_NAMES, EVENT_TYPES
from shoplytics_desktop.core.generate import behaviour as b
from shoplytics_desktop.core.generate.catalog import Catalog
from shoplytics_desktop.core.generate.spec import ResolvedSpec
from shoplytics_desktop.core.sqlutil import quote_literal


def _list(values: tuple[str, ...] | list[str]) -> str:
    return "[" + ", ".join(quote_literal(v) for v in values) + "]"


def _pick(values: tuple[str, ...] | list[str], code: str) -> str:
    """The name of a 0-based code; NULL for a negative code."""
    return f"CASE WHEN {code} >= 0 THEN {_list(values)}[{code} + 1] END"


def events_select(spec: ResolvedSpec, catalog: Catalog, source: str) -> str:
    """Contract columns of ``raw.events`` (without lineage), in the contract's order, from a
    relation of expand() columns. A contract column the generator has no value for is an error
    here, not a silently empty column."""
    tag = spec.tag
    types = _list(EVENT_TYPES)
    values = {
        "event_id": f"'{tag}-e' || eidx",
        "event_time": "make_timestamp(t * 1000000)",
        "event_type": f"{types}[typ + 1]",
        "event_name": f"{types}[typ + 1]",
        "user_id": f"'{tag}-u' || uidx",
        "session_id": f"'{tag}-s' || sidx",
        "product_id": f"CASE WHEN pidx >= 0 THEN '{tag}-p' || pidx END",
        "order_id": f"CASE WHEN oidx >= 0 THEN '{tag}-o' || oidx END",
        "price": "CASE WHEN price >= 0 THEN (price / 100)::DECIMAL(12, 2) END",
        "quantity": "qty::INTEGER",
        "category": _pick(catalog.category_names, "cat"),
        "brand": _pick(catalog.brand_names, "brand"),
        "device": f"{_list(b.DEVICES)}[dev + 1]",
        "country": f"{_list(b.COUNTRIES)}[cty + 1]",
        "traffic_source": f"{_list(b.SOURCES)}[src + 1]",
        "properties": "NULL::JSON",
        "currency": "NULL::VARCHAR",
    }
    columns = ",\n            ".join(f"{values[name]} AS {name}" for name in EVENT_COLUMN_NAMES)
    return f"""
        SELECT
            {columns}
        FROM {source}"""


def products_select(spec: ResolvedSpec, catalog: Catalog, source: str) -> str:
    return f"""
        SELECT
            '{spec.tag}-p' || pidx AS product_id,
            name,
            {_pick(catalog.category_names, "cat")} AS category,
            {_pick(catalog.brand_names, "brand")} AS brand,
            (price / 100)::DECIMAL(12, 2) AS price
        FROM {source}
        ORDER BY pidx"""


def users_select(spec: ResolvedSpec, source: str) -> str:
    return f"""
        SELECT
            '{spec.tag}-u' || uidx AS user_id,
            DATE '1970-01-01' + (signup_s // 86400)::INTEGER AS signup_date,
            {_list(b.COUNTRIES)}[cty + 1] AS country,
            {_list(b.SEGMENTS)}[seg + 1] AS segment,
            {_list(b.DEVICES)}[dev + 1] AS device,
            make_timestamp(updated_s * 1000000) AS updated_at
        FROM {source}
        ORDER BY uidx, updated_s"""
