"""Shopify's Admin orders export (Orders → Export, CSV).

Columns (Shopify Help Center, "Exporting orders"): ``Name`` (#1001), ``Email``, ``Financial
Status``, ``Paid at``, ``Fulfillment Status``, ``Currency``, ``Subtotal``, ``Shipping``,
``Taxes``, ``Total``, ``Discount Code``, ``Discount Amount``, ``Created at``
(``2025-05-11 09:55:16 -0400``), ``Lineitem quantity``, ``Lineitem name``, ``Lineitem price``,
``Lineitem sku``, ``Billing Country``, ``Refunded Amount``, ``Vendor``, ``Id`` … One row per line
item; the order-level columns are written on an order's first row only, so they are filled down
within the order (by ``Name``). The customer is a stable hash of the lower-cased e-mail (the
address itself is never stored); an order without e-mail (a guest or POS sale) gets a user of its
own, ``guest:#1003``. Revenue is line price × quantity of orders whose ``Financial Status`` is
paid, pending, authorized, partially paid or (partially) refunded; a ``voided`` or ``expired``
order was never paid, so its lines are loaded as events named by that status, of type ``other``
(they count in no revenue). Discounts (``Discount Code``,
``Discount Amount``, ``Lineitem discount``) are kept as properties.

Refunds: the export has no line-level refunds, only the order's ``Refunded Amount`` (in the
order's currency, shipping and taxes included as Shopify refunded them). Each order whose amount
is above 0 gets one ``refund`` event of that amount (quantity 1, no product), at the order's
``Created at`` (the export has no refund time), with the event id ``#1002|refund#1``. So net
revenue = Σ line price × quantity − Σ refunded amounts, per currency. A later export of an
order already imported with a refund keeps the first amount (the event id is the order's, as
for its lines); an order refunded only after its first import gets its refund then.
The web pixel's customer events are the ``shopify_events`` preset.
"""

from __future__ import annotations

from shoplytics_desktop.core.ingest.detect import SourceInfo
from shoplytics_desktop.core.ingest.mapping import Defaults, FillDown, Mapping, OrderRefund
from shoplytics_desktop.core.ingest.presets.common import (
    find,
    names,
    score_columns,
    source_options,
    vocabulary,
)

NAME = "shopify"
TITLE = "Shopify orders export"

#: Columns Shopify writes on an order's first line only.
_ORDER_LEVEL = (
    "Email", "Financial Status", "Paid at", "Fulfillment Status", "Fulfilled at", "Currency",
    "Subtotal", "Shipping", "Taxes", "Total", "Discount Code", "Discount Amount",
    "Shipping Method", "Created at", "Billing Country", "Shipping Country", "Cancelled at",
    "Payment Method", "Refunded Amount", "Outstanding Balance", "Id", "Source", "Tags",
    "Risk Level", "Accepts Marketing",
)
_PROPERTIES = {
    "product_name": "Lineitem name",
    "financial_status": "Financial Status",
    "fulfillment_status": "Fulfillment Status",
    "paid_at": "Paid at",
    "cancelled_at": "Cancelled at",
    "subtotal": "Subtotal",
    "shipping": "Shipping",
    "taxes": "Taxes",
    "total": "Total",
    "discount_code": "Discount Code",
    "discount_amount": "Discount Amount",
    "lineitem_discount": "Lineitem discount",
    "refunded_amount": "Refunded Amount",
    "payment_method": "Payment Method",
    "sales_channel": "Source",
    "shopify_order_id": "Id",
}


def recognize(info: SourceInfo) -> tuple[float, list[str]]:
    return score_columns(
        info,
        ["Name", "Created at", "Lineitem quantity", "Lineitem price"],
        ["Email", "Financial Status", "Lineitem name", "Lineitem sku", "Currency", "Total",
         "Subtotal", "Billing Country", "Refunded Amount", "Id", "Discount Code"],
    )


def plan(info: SourceInfo) -> Mapping:
    have = names(info)

    def col(*candidates: str) -> str | None:
        return find(info, *candidates)

    name = col("Name") or "Name"
    email = col("Email")
    user: list[str] = ([f'hash("{email}")'] if email else []) + [f"concat('guest:', \"{name}\")"]
    product = [c for c in (col("Lineitem sku"), col("Lineitem name")) if c]
    country = [c for c in (col("Billing Country"), col("Shipping Country")) if c]
    status = col("Financial Status")
    columns: dict[str, str | list[str] | None] = {
        # An order's lines are purchases unless its payment was voided or expired (never
        # captured: no money changed hands); those stay as events of their status ("other").
        "event_type": f'coalesce("{status}", \'paid\')' if status else None,
        "event_time": col("Created at"),
        "user_id": user,
        "order_id": name,
        "product_id": product or None,
        "price": col("Lineitem price"),
        "quantity": col("Lineitem quantity"),
        "brand": col("Vendor"),
        "currency": col("Currency"),
        "country": (country[0] if len(country) == 1 else country) or None,
    }
    fill = [c for c in (find(info, x) for x in _ORDER_LEVEL) if c and c != name]
    props = {k: v for k, v in _PROPERTIES.items() if v in have}
    refunded = col("Refunded Amount")
    return Mapping(
        source=source_options(info),
        columns={k: v for k, v in columns.items() if v},  # type: ignore[misc]
        time_format="%Y-%m-%d %H:%M:%S %z",
        event_types=vocabulary(NAME),  # type: ignore[arg-type]
        defaults=Defaults(event_name="purchase"),
        keep_unmapped=False,
        fill_down=FillDown(by=name, columns=fill) if fill else None,
        event_key=[name] + [c for c in (col("Lineitem sku"), col("Lineitem name")) if c],
        properties_fields=props,
        country_names=True,
        order_refund=OrderRefund(amount=refunded, by=name) if refunded else None,
    )
