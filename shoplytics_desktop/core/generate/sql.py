"""SQL that turns the generator's integer codes into contract rows.

Strings are made here, inside DuckDB (multi-threaded), not in Python: ids are a data set tag, a
letter and a number; names come from small literal lists indexed by code.
"""

from __future__ import annotations

from shoplytics_desktop.core.contract import EVENT_TYPES
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
    """Contract columns of ``raw.events`` (without lineage) from a relation of expand() columns."""
    tag = spec.tag
    types = _list(EVENT_TYPES)
    return f"""
        SELECT
            '{tag}-e' || eidx AS event_id,
            make_timestamp(t * 1000000) AS event_time,
            {types}[typ + 1] AS event_type,
            {types}[typ + 1] AS event_name,
            '{tag}-u' || uidx AS user_id,
            '{tag}-s' || sidx AS session_id,
            CASE WHEN pidx >= 0 THEN '{tag}-p' || pidx END AS product_id,
            CASE WHEN oidx >= 0 THEN '{tag}-o' || oidx END AS order_id,
            CASE WHEN price >= 0 THEN (price / 100)::DECIMAL(12, 2) END AS price,
            qty::INTEGER AS quantity,
            {_pick(catalog.category_names, "cat")} AS category,
            {_pick(catalog.brand_names, "brand")} AS brand,
            {_list(b.DEVICES)}[dev + 1] AS device,
            {_list(b.COUNTRIES)}[cty + 1] AS country,
            {_list(b.SOURCES)}[src + 1] AS traffic_source,
            NULL::JSON AS properties,
            NULL::VARCHAR AS currency
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
