"""Segment (and RudderStack, which writes the same spec) tracks and pages, as the S3 / warehouse
exports write them: one JSON message per line.

Spec: Segment's Spec (common fields, track, page) and E-commerce Events v2, with the v1 names
("Viewed Product", "Completed Order" …) too. ``messageId`` is the event id, ``userId`` falls back
to ``anonymousId``, ``timestamp`` is ISO 8601. Product events carry ``properties.product_id,
price, quantity, category, brand``; ``Order Completed`` / ``Order Refunded`` carry
``properties.order_id, revenue, currency`` and ``products[]``, which become one line each.
"""

from __future__ import annotations

from shoplytics_desktop.core.ingest.detect import SourceInfo
from shoplytics_desktop.core.ingest.mapping import Defaults, FillDown, Mapping
from shoplytics_desktop.core.ingest.presets.common import (
    find,
    pick,
    samples,
    score_columns,
    source_options,
    usable,
    vocabulary,
)

NAME = "segment"
TITLE = "Segment / RudderStack tracks and pages"

_PRODUCTS = "properties.products"
#: Events whose ``products[]`` are the lines of an order.
_LINE_EVENTS = ["Order Completed", "Completed Order", "Order Refunded", "Refunded Order"]


def recognize(info: SourceInfo) -> tuple[float, list[str]]:
    score, reasons = score_columns(
        info,
        ["messageId", "type", "timestamp", "anonymousId"],
        ["userId", "event", "properties", "context", "receivedAt", "sentAt",
         "originalTimestamp", "integrations"],
    )
    kinds = set(samples(info, find(info, "type")))
    if kinds and kinds <= {"track", "page", "screen", "identify", "group", "alias"}:
        reasons.append(f"message types {', '.join(sorted(kinds))}")
    elif kinds:
        score = min(score, 0.5)
    return score, reasons


def plan(info: SourceInfo) -> Mapping:
    explode = _PRODUCTS if usable(info, [_PRODUCTS]) else None

    def line(*c: str) -> str | list[str] | None:
        return pick(info, c, explode)

    p = "properties.products[]."
    columns = {
        "event_id": line("messageId"),
        "event_time": line("timestamp", "originalTimestamp", "receivedAt"),
        "event_type": line("event", "type"),
        "user_id": line("userId", "anonymousId"),
        # v2 names product_id, v1 id; the SKU where neither is sent.
        "product_id": line(p + "product_id", p + "id", p + "sku", "properties.product_id",
                           "properties.id", "properties.sku"),
        "order_id": line("properties.order_id"),
        # An order sent without its products is one line of its revenue (before shipping and
        # tax, as the products' prices add up), else of its total; never each product's price.
        "price": line(p + "price", "properties.price", "unexploded(properties.revenue)",
                      "unexploded(properties.total)"),
        "quantity": line(p + "quantity", "properties.quantity"),
        "category": line(p + "category", "properties.category"),
        "brand": line(p + "brand", "properties.brand"),
        "currency": line("properties.currency"),
        "device": line("context.device.type"),
        "country": line("context.location.country"),
        "traffic_source": line("context.campaign.medium"),
    }
    props = {
        "product_name": p + "name",
        "name": "properties.name",
        "revenue": "properties.revenue",
        "total": "properties.total",
        "discount": "properties.discount",
        "coupon": "properties.coupon",
        "url": "properties.url",
        "query": "properties.query",
        "page_name": "name",
        "campaign_source": "context.campaign.source",
        "anonymous_id": "anonymousId",
    }
    # A visitor identified later (identify, or a userId on a later call): their anonymous
    # events are the user's too, as Segment merges them, so a session that signs in stays one.
    stitch = (FillDown(by="anonymousId", columns=["userId"])
              if find(info, "userId") == "userId" and find(info, "anonymousId") == "anonymousId"
              else None)
    return Mapping(
        source=source_options(info),
        columns={k: v for k, v in columns.items() if v},  # type: ignore[misc]
        fill_down=stitch,
        event_types=vocabulary(NAME),  # type: ignore[arg-type]
        defaults=Defaults(),
        keep_unmapped=False,
        explode=explode,
        explode_events=_LINE_EVENTS if explode else [],
        properties_fields={k: v for k, v in props.items() if usable(info, [v], explode)},
        country_names=True,
    )
