"""Snowplow atomic events (enriched events as a warehouse CSV/TSV export, with a header row).

Atomic fields: ``event_id``, ``derived_tstamp`` (fallback ``collector_tstamp``), ``event_name``,
``user_id`` falling back to ``domain_userid`` (first-party cookie) and ``network_userid``,
``domain_sessionid``, ``geo_country`` (a code), ``mkt_medium``. The e-commerce plugin's entities
sit in JSON columns named after their schema: the action
(``…_snowplow_ecommerce_action_1``: ``{"type": "add_to_cart"}`` → the event type), the product
entities (``contexts_com_snowplowanalytics_snowplow_ecommerce_product_1``: an array of
``{id, name, category, price, quantity, currency, brand}``, one line each on cart and transaction
events) and the transaction (``contexts_…_transaction_1``: ``[{transaction_id, revenue,
currency, payment_method, total_quantity}]``).
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

NAME = "snowplow"
TITLE = "Snowplow atomic events"

_ACTION = ("unstruct_event_com_snowplowanalytics_snowplow_ecommerce_snowplow_ecommerce_action_1",
           "contexts_com_snowplowanalytics_snowplow_ecommerce_snowplow_ecommerce_action_1")
_PRODUCT = "contexts_com_snowplowanalytics_snowplow_ecommerce_product_1"
_TRANSACTION = "contexts_com_snowplowanalytics_snowplow_ecommerce_transaction_1"
_LINE_EVENTS = ["product_view", "add_to_cart", "remove_from_cart", "transaction", "refund"]


def recognize(info: SourceInfo) -> tuple[float, list[str]]:
    score, reasons = score_columns(
        info,
        ["event_id", "collector_tstamp", "domain_userid", "event_name"],
        ["derived_tstamp", "network_userid", "domain_sessionid", "app_id", "event_vendor",
         "page_url", _PRODUCT, _TRANSACTION, *_ACTION],
    )
    if find(info, *_ACTION):
        reasons.append("e-commerce action entities")
    return score, reasons


def plan(info: SourceInfo) -> Mapping:
    action = find(info, *_ACTION)
    explode = _PRODUCT if find(info, _PRODUCT) else None
    el = f"{_PRODUCT}[]."
    tr = f"{_TRANSACTION}[0]."

    def col(*c: str) -> str | list[str] | None:
        return pick(info, c, explode)

    columns = {
        "event_id": col("event_id"),
        "event_time": col("derived_tstamp", "collector_tstamp"),
        "event_type": col(*([f"{action}.type"] if action else []), "event_name"),
        "user_id": col("user_id", "domain_userid", "network_userid"),
        "session_id": col("domain_sessionid"),
        "product_id": col(el + "id"),
        "order_id": col(tr + "transaction_id", "tr_orderid"),
        "price": col(el + "price", "ti_price"),
        "quantity": col(el + "quantity", "ti_quantity"),
        "category": col(el + "category"),
        "brand": col(el + "brand"),
        "currency": col(el + "currency", tr + "currency", "tr_currency"),
        "device": col("contexts_nl_basjes_yauaa_context_1[0].deviceClass"),
        "country": col("geo_country"),
        "traffic_source": col("mkt_medium", "refr_medium"),
    }
    props = {"product_name": el + "name", "revenue": tr + "revenue",
             "payment_method": tr + "payment_method", "page_url": "page_url",
             "app_id": "app_id", "event_name": "event_name"}
    return Mapping(
        source=source_options(info),
        columns={k: v for k, v in columns.items() if v},  # type: ignore[misc]
        event_types=vocabulary(NAME),  # type: ignore[arg-type]
        defaults=Defaults(),
        keep_unmapped=False,
        explode=explode,
        explode_events=_LINE_EVENTS if explode else [],
        properties_fields={k: v for k, v in props.items() if usable(info, [v], explode)},
        country_names=True,
    )
