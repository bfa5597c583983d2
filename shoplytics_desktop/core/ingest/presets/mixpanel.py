"""Mixpanel's raw event export: one JSON object per line, ``{"event": …, "properties": {…}}``.

``properties.time`` is epoch seconds, ``properties.distinct_id`` the user (``$device:…`` before
identification), ``properties.$insert_id`` the deduplication id; ``mp_country_code`` a code;
product and price properties are the project's own (``product_id``, ``price``, ``quantity``,
``category``, ``brand``, ``order_id``, ``currency`` by Mixpanel's e-commerce guidance).
"""

from __future__ import annotations

from shoplytics_desktop.core.ingest.detect import SourceInfo
from shoplytics_desktop.core.ingest.mapping import Defaults, Mapping
from shoplytics_desktop.core.ingest.presets.common import (
    find,
    pick,
    score_columns,
    source_options,
    usable,
    vocabulary,
)

NAME = "mixpanel"
TITLE = "Mixpanel export"


def recognize(info: SourceInfo) -> tuple[float, list[str]]:
    score, reasons = score_columns(
        info,
        ["event", "properties.time", "properties.distinct_id"],
        ["properties.$insert_id", "properties.mp_country_code", "properties.$os",
         "properties.$browser", "properties.$device_id", "properties.mp_lib"],
    )
    if len(info.top_columns) > 3 and not find(info, "properties.$insert_id"):
        score *= 0.9
    return score, reasons


def plan(info: SourceInfo) -> Mapping:
    def col(*c: str) -> str | list[str] | None:
        return pick(info, c)

    p = "properties."
    columns = {
        "event_id": col(p + "$insert_id"),
        "event_time": col(p + "time"),
        "event_type": col("event"),
        "user_id": col(p + "$user_id", p + "distinct_id"),
        "product_id": col(p + "product_id", p + "productId", p + "sku"),
        "order_id": col(p + "order_id", p + "orderId"),
        "price": col(p + "price"),
        "quantity": col(p + "quantity"),
        "category": col(p + "category"),
        "brand": col(p + "brand"),
        "currency": col(p + "currency"),
        "device": col(p + "$device_type", p + "device_type"),
        "country": col(p + "mp_country_code"),
        "traffic_source": col(p + "utm_medium"),
    }
    props = {"revenue": p + "revenue", "url": p + "$current_url", "os": p + "$os",
             "browser": p + "$browser", "distinct_id": p + "distinct_id"}
    return Mapping(
        source=source_options(info),
        columns={k: v for k, v in columns.items() if v},  # type: ignore[misc]
        time_format="epoch_s",
        event_types=vocabulary(NAME),  # type: ignore[arg-type]
        defaults=Defaults(),
        keep_unmapped=False,
        properties_fields={k: v for k, v in props.items() if usable(info, [v])},
        country_names=True,
    )
