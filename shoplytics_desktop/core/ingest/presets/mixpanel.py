"""Mixpanel's raw event export: one JSON object per line, ``{"event": …, "properties": {…}}``.

``properties.time`` is epoch seconds, ``properties.distinct_id`` the user (``$device:…`` before
identification), ``properties.$insert_id`` the deduplication id; ``mp_country_code`` a code;
Mixpanel's raw export is not deduplicated, and an event is a duplicate only where its name,
distinct_id, time and $insert_id are all another's (Mixpanel's own rule: a reused insert id on
other events names other events), so those four together are the event id;
product and price properties are the project's own (``product_id``, ``price``, ``quantity``,
``category``, ``brand``, ``order_id``, ``currency`` by Mixpanel's e-commerce guidance). An order's
products as an array (``products``, ``$cart``, ``cart`` or ``items``) give one line each on
purchase and refund events; events without one keep their own product properties. The device
class comes from ``$device`` (iPhone, iPad), then ``$os``.
"""

from __future__ import annotations

from shoplytics_desktop.core.ingest.detect import SourceInfo
from shoplytics_desktop.core.ingest.mapping import Defaults, Mapping
from shoplytics_desktop.core.ingest.presets.common import (
    find,
    is_array,
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


#: Arrays of an order's products, by the names projects give them.
_ARRAYS = ("properties.products", "properties.$cart", "properties.cart", "properties.items")


#: Mixpanel's deduplication key, its insert id first (what a user looks an event up by).
_KEY = ("properties.$insert_id", "event", "properties.distinct_id", "properties.time")


def _event_id(info: SourceInfo) -> str | None:
    """The four fields Mixpanel deduplicates by, as one id (NULL where one is missing: the
    event's hash then); the insert id alone where the export lacks one of the others."""
    found = usable(info, _KEY)
    if len(found) == len(_KEY):
        return "concat(" + ", '|', ".join(_KEY) + ")"
    return _KEY[0] if _KEY[0] in found else None


def plan(info: SourceInfo) -> Mapping:
    explode = next((a for a in _ARRAYS if usable(info, [a]) and is_array(info, a)), None)

    def col(*c: str) -> str | list[str] | None:
        return pick(info, c, explode)

    p = "properties."
    el = f"{explode}[]." if explode else None

    def line(field: str, *top: str) -> str | list[str] | None:
        # The exploded product's field first, then the event's own.
        return col(*([el + f for f in field.split("|")] if el else []), *(p + t for t in top))

    device = usable(info, [p + "$device", p + "$os"])
    columns = {
        "event_id": _event_id(info),
        "event_time": col(p + "time"),
        "event_type": col("event"),
        "user_id": col(p + "$user_id", p + "distinct_id"),
        "product_id": line("product_id|id|sku", "product_id", "productId", "sku"),
        "order_id": col(p + "order_id", p + "orderId"),
        "price": line("price", "price"),
        "quantity": line("quantity", "quantity"),
        "category": line("category", "category"),
        "brand": line("brand", "brand"),
        "currency": col(p + "currency"),
        "device": col(p + "$device_type", p + "device_type")
        or (f"device_class({', '.join(device)})" if device else None),
        "country": col(p + "mp_country_code"),
        "traffic_source": col(p + "utm_medium"),
    }
    props = {"revenue": p + "revenue", "url": p + "$current_url", "os": p + "$os",
             "browser": p + "$browser", "distinct_id": p + "distinct_id"}
    if el:
        props["product_name"] = el + "name"
    return Mapping(
        source=source_options(info),
        columns={k: v for k, v in columns.items() if v},  # type: ignore[misc]
        # properties.time is epoch seconds, or milliseconds from the Export API's time_in_ms:
        # told apart by magnitude (timeparse.epoch_by_magnitude).
        time_format="auto",
        event_types=vocabulary(NAME),  # type: ignore[arg-type]
        defaults=Defaults(),
        keep_unmapped=False,
        properties_fields={k: v for k, v in props.items() if usable(info, [v], explode)},
        country_names=True,
        explode=explode,
        # The products of an order (or a refund) are its lines; a cart view's are not.
        explode_events=[n for n, t in vocabulary(NAME).items() if t in ("purchase", "refund")]
        if explode else [],
    )
