"""Amplitude's Export API (and its S3 / warehouse exports): one JSON event per line.

Fields: ``event_type``, ``event_time`` (UTC, ``2025-05-11 13:55:16.123000``), ``user_id``
(null until identified) falling back to ``device_id``, ``session_id`` (the session's start in
epoch milliseconds; -1 outside a session), ``$insert_id`` (the deduplication id, per device
or user: two devices' events may share one), ``uuid`` (a row's own id: the event id),
``event_properties`` (revenue events: ``$productId``, ``$price``, ``$quantity``,
``$revenueType``; custom events often ``productId``, ``price``, ``quantity``), ``country``
(a name), ``platform``, ``device_type`` / ``device_family`` (``Apple iPad``, ``Mac``) and
``os_name`` (the browser on the web), which give the device class. An order's products as an
array (``products``, ``items`` or ``cart`` in ``event_properties``) give one line each on
purchase and refund events; an order without them is one line of its ``$revenue``.
"""

from __future__ import annotations

from shoplytics_desktop.core.ingest.detect import SourceInfo
from shoplytics_desktop.core.ingest.mapping import Defaults, FillDown, Mapping
from shoplytics_desktop.core.ingest.presets.common import (
    is_array,
    pick,
    score_columns,
    source_options,
    usable,
    vocabulary,
)

NAME = "amplitude"
TITLE = "Amplitude export"


def recognize(info: SourceInfo) -> tuple[float, list[str]]:
    return score_columns(
        info,
        ["event_type", "event_time", "device_id", "amplitude_id"],
        ["$insert_id", "session_id", "user_id", "event_properties", "user_properties", "uuid",
         "client_event_time", "server_upload_time", "os_name", "platform"],
    )


def _event_id(info: SourceInfo) -> str | list[str] | None:
    """A row's ``uuid``; without one, the insert id within its device (Amplitude deduplicates
    by the insert id per device or user, so another device's event may carry the same one)."""
    have = set(usable(info, ["uuid", "device_id", "$insert_id"]))
    ids = ["uuid"] if "uuid" in have else []
    if "$insert_id" in have:
        ids += ["concat(device_id, '|', $insert_id)"] if "device_id" in have else []
        ids.append("$insert_id")
    return ids[0] if len(ids) == 1 else (ids or None)


def _device(info: SourceInfo) -> str | None:
    found = usable(info, ["device_type", "device_family", "device_model", "os_name"])
    return f"device_class({', '.join(found)})" if found else None


#: Arrays of an order's products (Order Completed / Order Refunded, as Segment's Amplitude
#: destination and Amplitude's e-commerce guidance send them).
_ARRAYS = ("event_properties.products", "event_properties.items", "event_properties.cart")


def plan(info: SourceInfo) -> Mapping:
    explode = next((a for a in _ARRAYS if usable(info, [a]) and is_array(info, a)), None)

    def col(*c: str) -> str | list[str] | None:
        return pick(info, c, explode)

    ep = "event_properties."
    el = f"{explode}[]." if explode else ""

    def line(fields: str, *event: str) -> str | list[str] | None:
        # The exploded product's field first, then the event's own.
        return col(*([el + f for f in fields.split("|")] if el else []), *event)

    session = None
    if usable(info, ["session_id"]):
        # -1 marks an event outside any session: sessionized by time instead.
        session = "concat(device_id, ':', nullif(session_id, '-1'))"
    # Amplitude's revenue is $price × $quantity, or $revenue where no price is sent; both are
    # negative for a refund (negative_price below). An order whose products are listed is a
    # line per product; its $revenue is the line only of an order without them.
    revenue = [f"unexploded({ep}$revenue)", f"unexploded({ep}revenue)"] if el else [
        ep + "$revenue", ep + "revenue"]
    columns = {
        "event_id": _event_id(info),
        "event_time": col("event_time", "client_event_time"),
        "event_type": col("event_type"),
        "user_id": col("user_id", "device_id"),
        "session_id": session,
        "product_id": line("product_id|productId|id|sku", ep + "$productId", ep + "productId",
                           ep + "product_id", "product_id"),
        "order_id": col(ep + "order_id", ep + "orderId"),
        "price": line("price", ep + "$price", ep + "price", "price", *revenue),
        "quantity": line("quantity", ep + "$quantity", ep + "quantity", "quantity"),
        "category": line("category", ep + "category"),
        "brand": line("brand", ep + "brand"),
        "currency": col(ep + "currency", ep + "$currency"),
        # A device class (desktop / mobile / tablet) from the device, then the OS; not the
        # platform ("Web", "iOS"), which says where the SDK ran.
        "device": _device(info),
        "country": col("country"),
        "traffic_source": col("user_properties.utm_medium", "user_properties.initial_utm_medium"),
    }
    props = {"revenue": ep + "$revenue", "revenue_type": ep + "$revenueType",
             "city": "city", "os_name": "os_name", "amplitude_id": "amplitude_id",
             "platform": "platform", "device_family": "device_family"}
    # amplitude_id is Amplitude's own merge of a device and the user it identifies later: the
    # device's events before the identify are the user's too (one session, not two).
    stitch = (FillDown(by="amplitude_id", columns=["user_id"])
              if usable(info, ["amplitude_id"]) and usable(info, ["user_id"]) else None)
    return Mapping(
        source=source_options(info),
        columns={k: v for k, v in columns.items() if v},  # type: ignore[misc]
        fill_down=stitch,
        event_types=vocabulary(NAME),  # type: ignore[arg-type]
        defaults=Defaults(),
        keep_unmapped=False,
        properties_fields={k: v for k, v in props.items() if usable(info, [v], explode)},
        country_names=True,
        negative_price="refund",
        explode=explode,
        # The products of an order (or a refund) are its lines; a cart view's are not.
        explode_events=[n for n, t in vocabulary(NAME).items() if t in ("purchase", "refund")]
        if explode else [],
    )
