"""Shopify customer events: what a web pixel receives (Shopify's Web Pixels API standard
events), exported one JSON event per line.

Every event has ``id``, ``name`` (product_viewed, product_added_to_cart,
product_removed_from_cart, checkout_started, payment_info_submitted, checkout_completed,
page_viewed, collection_viewed, search_submitted, cart_viewed …; custom events their own),
``clientId`` (the browser's id: there is no customer or session id), ``timestamp`` (ISO 8601,
UTC), ``seq``, ``type`` (standard / custom), ``context`` (document, navigator.userAgent) and
``data``, shaped by the event:

- ``data.productVariant`` {id, sku, price {amount, currencyCode}, product {id, title, type,
  vendor}} on product_viewed;
- ``data.cartLine`` {quantity, merchandise (a product variant), cost.totalAmount} on cart
  additions and removals;
- ``data.checkout`` {currencyCode, lineItems [{quantity, variant, finalLinePrice,
  discountAllocations}], totalPrice, discountsAmount, order {id}} on the checkout events.

checkout_completed gives one purchase line per line item (other checkout steps stay one event);
the product is the product's id (the variant and SKU are kept in properties), the price the
variant's unit price (before discounts, as in the orders export; the checkout's discounts are
kept in properties), the category the product type and the brand its vendor. The device class
comes from the user agent. The checkout's e-mail address is never read.
"""

from __future__ import annotations

from shoplytics_desktop.core.ingest.detect import SourceInfo
from shoplytics_desktop.core.ingest.mapping import Defaults, Mapping
from shoplytics_desktop.core.ingest.presets.common import (
    find,
    pick,
    samples,
    score_columns,
    source_options,
    usable,
    vocabulary,
)

NAME = "shopify_events"
TITLE = "Shopify customer events (web pixel)"

_LINES = "data.checkout.lineItems"
_LINE_EVENTS = ["checkout_completed"]
_VARIANTS = (f"{_LINES}[].variant", "data.productVariant", "data.cartLine.merchandise")


def recognize(info: SourceInfo) -> tuple[float, list[str]]:
    score, reasons = score_columns(
        info, ["name", "clientId", "timestamp", "data"], ["id", "context", "seq", "type"]
    )
    known = set(vocabulary("shopify"))
    seen = set(samples(info, find(info, "name")))
    if seen and seen & known:
        reasons.append("pixel events " + ", ".join(sorted(seen & known)[:4]))
    elif seen:
        score = min(score, 0.5)
    return score, reasons


def plan(info: SourceInfo) -> Mapping:
    explode = _LINES if usable(info, [_LINES]) else None

    def col(*c: str) -> str | list[str] | None:
        return pick(info, c, explode)

    def variant(path: str) -> list[str]:
        return [f"{v}.{path}" for v in _VARIANTS]

    columns = {
        "event_id": col("id"),
        "event_time": col("timestamp"),
        "event_type": col("name"),
        "user_id": col("clientId"),
        "product_id": col(*variant("product.id")),
        "order_id": col("data.checkout.order.id"),
        "price": col(*variant("price.amount")),
        "quantity": col(f"{_LINES}[].quantity", "data.cartLine.quantity"),
        "category": col(*variant("product.type")),
        "brand": col(*variant("product.vendor")),
        "currency": col(*variant("price.currencyCode"), "data.checkout.currencyCode"),
        "device": col("device_class(context.navigator.userAgent)"),
    }
    props = {
        "variant_id": variant("id"),
        "sku": variant("sku"),
        "product_title": variant("product.title"),
        "line_total": [f"{_LINES}[].finalLinePrice.amount"],
        "checkout_total": ["data.checkout.totalPrice.amount"],
        "discounts_amount": ["data.checkout.discountsAmount.amount"],
        "search_query": ["data.searchResult.query"],
        "collection": ["data.collection.title"],
        "url": ["context.document.location.href"],
        "event_kind": ["type"],
    }
    properties: dict[str, str] = {}
    for key, candidates in props.items():
        found = usable(info, candidates, explode)
        if found:
            properties[key] = found[0] if len(found) == 1 else f"coalesce({', '.join(found)})"
    return Mapping(
        source=source_options(info),
        columns={k: v for k, v in columns.items() if v},  # type: ignore[misc]
        event_types=vocabulary("shopify"),  # type: ignore[arg-type]
        defaults=Defaults(),
        keep_unmapped=False,
        explode=explode,
        explode_events=_LINE_EVENTS if explode else [],
        properties_fields=properties,
    )
