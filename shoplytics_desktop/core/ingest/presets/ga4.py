"""Google Analytics 4's BigQuery export (``events_YYYYMMDD`` tables, as NDJSON or Parquet).

Schema: https://support.google.com/analytics/answer/7029846 — one row per event;
``event_timestamp`` in microseconds (INT64, written as a string in JSON extracts);
``event_params`` an array of {key, value: {string_value, int_value, float_value, double_value}};
``user_pseudo_id`` the device/browser id and ``user_id`` the signed-in id; ``items`` an array of
products (item_id, item_name, item_brand, item_category, price, quantity …) on e-commerce events;
``ecommerce.transaction_id``; ``device.category``; ``geo.country`` as a country name;
``traffic_source`` (first touch) and ``collected_traffic_source`` (the event's own).
A GA4 session is ``user_pseudo_id`` + the ``ga_session_id`` event parameter.
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

NAME = "ga4"
TITLE = "Google Analytics 4 BigQuery export"

_SESSION = "event_params[key='ga_session_id'].value.int_value"
#: Events whose items each become a line; a list view's items are impressions, not lines.
_LINE_EVENTS = ["view_item", "add_to_cart", "remove_from_cart", "purchase", "refund"]


def _param(key: str, kind: str = "string_value") -> str:
    return f"event_params[key='{key}'].value.{kind}"


def recognize(info: SourceInfo) -> tuple[float, list[str]]:
    score, reasons = score_columns(
        info,
        ["event_timestamp", "event_name", "user_pseudo_id", "event_params"],
        ["event_date", "items", "ecommerce", "device", "geo", "traffic_source",
         "event_bundle_sequence_id", "stream_id", "platform", "user_first_touch_timestamp"],
    )
    ts = samples(info, find(info, "event_timestamp"))
    if ts and all(s.isdigit() and len(s) == 16 for s in ts):
        reasons.append("event_timestamp in microseconds")
    return score, reasons


def plan(info: SourceInfo) -> Mapping:
    explode = "items" if find(info, "items") else None

    def line(*c: str) -> str | list[str] | None:
        return pick(info, c, explode)

    columns = {
        "event_time": "event_timestamp",
        "event_type": "event_name",
        "user_id": line("user_id", "user_pseudo_id"),
        "session_id": f"concat(user_pseudo_id, ':', {_SESSION})" if usable(info, [_SESSION]) else None,
        "product_id": line("items[].item_id"),
        # GA4 writes "(not set)" where the site sent no transaction id: no order id (one order
        # per session), not one order shared by every such purchase.
        "order_id": line(*(f"nullif({c}, '(not set)')"
                           for c in ("ecommerce.transaction_id", _param("transaction_id")))),
        # A purchase or refund without items is one line of the whole value; an item without a
        # price has none (it counts 0, flagged by a warning test), never the order's total.
        "price": line("items[].price", "unexploded(ecommerce.refund_value)",
                      "unexploded(ecommerce.purchase_revenue)"),
        "quantity": line("items[].quantity"),
        "category": line("items[].item_category"),
        "brand": line("items[].item_brand"),
        "currency": line(_param("currency")),
        "device": line("device.category"),
        "country": line("geo.country"),
        "traffic_source": line("collected_traffic_source.manual_medium", "traffic_source.medium"),
    }
    props = {
        "item_name": "items[].item_name",
        "page_location": _param("page_location"),
        "search_term": _param("search_term"),
        # As text: BigQuery's JSON extract writes INT64 as a string, its Parquet as a number, and
        # an event's id is hashed from its properties: the same event must hash alike in both.
        "ga_session_number": f"coalesce({_param('ga_session_number', 'int_value')})",
        "traffic_source_name": "traffic_source.source",
        "platform": "platform",
        "user_pseudo_id": "user_pseudo_id",
        "tax": "ecommerce.tax_value",
        "shipping": "ecommerce.shipping_value",
    }
    properties = {k: v for k, v in props.items() if usable(info, [v], explode)}
    # A visitor who signs in mid-session: GA4's session is user_pseudo_id + ga_session_id, so
    # the session's events before the sign-in belong to the signed-in user too (one session,
    # one funnel), not to the pseudo id.
    session = columns["session_id"]
    stitch = (FillDown(by=session, columns=["user_id"])
              if isinstance(session, str) and find(info, "user_id") == "user_id" else None)
    return Mapping(
        # BigQuery writes INT64 as digits in a JSON string and FLOAT64 as a JSON number: never a
        # decimal comma, so no pass over every item looks for one (0.57 s at a million events).
        source=source_options(info, decimal="."),
        columns={k: v for k, v in columns.items() if v},  # type: ignore[misc]
        time_format="epoch_us",
        event_types=vocabulary(NAME),  # type: ignore[arg-type]
        defaults=Defaults(),
        keep_unmapped=False,
        explode=explode,
        explode_events=_LINE_EVENTS if explode else [],
        properties_fields=properties,
        country_names=True,
        fill_down=stitch,
    )
