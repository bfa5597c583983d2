"""Snowplow atomic events, in both shapes they leave a pipeline:

- **the warehouse table** ``atomic.events`` exported with a header (Snowflake, Databricks,
  BigQuery, Redshift): one column per atomic field, names upper-case from Snowflake, and one
  column per self-describing entity, JSON text in a CSV: the e-commerce action event
  ``unstruct_event_com_snowplowanalytics_snowplow_ecommerce_snowplow_ecommerce_action_1``
  (``{"type": "add_to_cart"}``), the entities ``contexts_com_snowplowanalytics_snowplow_ecommerce_
  {product,transaction,refund}_1`` (arrays). BigQuery writes the full version
  (``…_product_1_0_0``): columns are found by their name up to the major version.
- **the enriched TSV** the pipeline writes to S3 / GCS / Kinesis: no header, no quoting, the 131
  canonical fields (``FIELDS``, Snowplow's enriched event format) with every entity in the
  self-describing JSON of ``contexts`` / ``unstruct_event`` / ``derived_contexts``. It is
  recognised by its field count and contents (platform, event kind, a UUID event id), and read
  under the canonical field names.

Both map alike: ``event_id``; ``derived_tstamp``, falling back to ``collector_tstamp`` (which
is always set); the user is ``user_id``, else the first-party cookie ``domain_userid``, else the
collector cookie ``network_userid``; the session ``domain_sessionid``. The action's ``type``
(product_view, add_to_cart, remove_from_cart, checkout_step, transaction, refund, list_view …)
is the event name of e-commerce events, ``event_name`` elsewhere. Product entities give one line
each on product_view, add_to_cart, remove_from_cart, transaction and refund (a list view's
products are impressions, not lines); the transaction entity gives the order id and currency;
the refund entity the refunded order, and its ``refund_amount`` is the line of a refund without
products. Device: YAUAA's ``deviceClass`` as desktop / mobile / tablet. Country: ``geo_country``
(ISO code). Traffic: ``mkt_medium``, else ``refr_medium``.

Not mapped: the classic e-commerce events (``transaction`` / ``transaction_item`` with the
``tr_*`` / ``ti_*`` fields), whose order header row would count as a line of its own.
"""

from __future__ import annotations

import dataclasses
import re

from shoplytics_desktop.core.ingest.detect import SourceColumn, SourceInfo
from shoplytics_desktop.core.ingest.mapping import (
    Defaults,
    FillDown,
    Mapping,
    SourceOptions,
    normalize_name,
)
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

#: The canonical enriched event, field by field (the enriched TSV has these, in this order).
_FIELD_LIST = (
    "app_id platform etl_tstamp collector_tstamp dvce_created_tstamp event event_id txn_id "
    "name_tracker v_tracker v_collector v_etl user_id user_ipaddress user_fingerprint "
    "domain_userid domain_sessionidx network_userid geo_country geo_region geo_city geo_zipcode "
    "geo_latitude geo_longitude geo_region_name ip_isp ip_organization ip_domain ip_netspeed "
    "page_url page_title page_referrer page_urlscheme page_urlhost page_urlport page_urlpath "
    "page_urlquery page_urlfragment refr_urlscheme refr_urlhost refr_urlport refr_urlpath "
    "refr_urlquery refr_urlfragment refr_medium refr_source refr_term mkt_medium mkt_source "
    "mkt_term mkt_content mkt_campaign contexts se_category se_action se_label se_property "
    "se_value unstruct_event tr_orderid tr_affiliation tr_total tr_tax tr_shipping tr_city "
    "tr_state tr_country ti_orderid ti_sku ti_name ti_category ti_price ti_quantity "
    "pp_xoffset_min pp_xoffset_max pp_yoffset_min pp_yoffset_max useragent br_name br_family "
    "br_version br_type br_renderengine br_lang br_features_pdf br_features_flash "
    "br_features_java br_features_director br_features_quicktime br_features_realplayer "
    "br_features_windowsmedia br_features_gears br_features_silverlight br_cookies "
    "br_colordepth br_viewwidth br_viewheight os_name os_family os_manufacturer os_timezone "
    "dvce_type dvce_ismobile dvce_screenwidth dvce_screenheight doc_charset doc_width "
    "doc_height tr_currency tr_total_base tr_tax_base tr_shipping_base ti_currency "
    "ti_price_base base_currency geo_timezone mkt_clickid mkt_network etl_tags dvce_sent_tstamp "
    "refr_domain_userid refr_dvce_tstamp derived_contexts domain_sessionid derived_tstamp "
    "event_vendor event_name event_format event_version event_fingerprint true_tstamp"
)
FIELDS = _FIELD_LIST.split()
assert len(FIELDS) == 131

_EC = "com.snowplowanalytics.snowplow.ecommerce"
_ACTION = "unstruct_event_com_snowplowanalytics_snowplow_ecommerce_snowplow_ecommerce_action_1"
_ENTITY = "contexts_com_snowplowanalytics_snowplow_ecommerce_{}_1"
_YAUAA = "contexts_nl_basjes_yauaa_context_1"
_LINE_EVENTS = ["product_view", "add_to_cart", "remove_from_cart", "transaction", "refund"]
_PLATFORMS = {"web", "mob", "pc", "srv", "app", "tv", "cnsl", "iot"}
_EVENTS = {"page_view", "page_ping", "struct", "unstruct", "transaction", "transaction_item"}
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)


def _versioned(info: SourceInfo, base: str) -> str | None:
    """The column of an entity, by name up to its major version (``…_1`` or BigQuery's
    ``…_1_0_0``)."""
    exact = find(info, base)
    if exact:
        return exact
    want = normalize_name(base)
    return next(
        (c.name for c in info.top_columns
         if re.fullmatch(re.escape(want) + r"(\d+)*", normalize_name(c.name))),
        None,
    )


def _enriched_tsv(info: SourceInfo) -> list[str]:
    """Evidence that ``info`` is the headerless enriched TSV (read as if it had a header)."""
    if info.format != "csv" or info.delimiter != "\t" or len(info.top_columns) != len(FIELDS):
        return []
    if [c.name for c in info.top_columns] == FIELDS:
        return ["the 131 enriched-event fields"]
    # Read as if it had a header, the first event's values are the names (a file of one event
    # is read without one: its event is the first sample).
    first = [c.name for c in info.top_columns]
    sampled = [c.samples[0] if c.samples else "" for c in info.top_columns]
    rows = [first, sampled] if info.header else [sampled]
    ok = all(r[1] in _PLATFORMS and r[5] in _EVENTS and _UUID.match(r[6]) for r in rows)
    if not ok:
        return []
    return ["131 tab-separated fields without a header (platform, event kind, UUID event id): "
            "the enriched event format"]


def recognize(info: SourceInfo) -> tuple[float, list[str]]:
    tsv = _enriched_tsv(info)
    if tsv:
        return 0.95, tsv
    score, reasons = score_columns(
        info,
        ["event_id", "collector_tstamp", "domain_userid", "event_name"],
        ["derived_tstamp", "network_userid", "domain_sessionid", "app_id", "event_vendor",
         "page_url", "platform", "etl_tstamp", "v_collector"],
    )
    found = [_versioned(info, _ACTION), _versioned(info, _ENTITY.format("product"))]
    if any(found):
        reasons.append("e-commerce entities (" + ", ".join(f for f in found if f) + ")")
    return score, reasons


def _headerless(info: SourceInfo) -> SourceInfo:
    """``info`` as it will be read: under the canonical names, every field text."""
    cols = tuple(SourceColumn(f, "VARCHAR", (), (f,), "VARCHAR") for f in FIELDS)
    return dataclasses.replace(info, columns=cols, header=False, names=tuple(FIELDS))


def plan(info: SourceInfo) -> Mapping:
    if _enriched_tsv(info) and not info.names:
        return _plan_tsv(_headerless(info))
    if info.names:
        return _plan_tsv(info)
    return _plan_warehouse(info)


# Both shapes state the decimal point: prices, quantities and amounts come from the entities'
# JSON, where the schemas make them JSON numbers, never with a decimal comma, so no pass over
# every row's entities looks for one (14.9 s of a 1M-row enriched TSV's import went on that).


def _plan_tsv(info: SourceInfo) -> Mapping:
    ctx = "contexts.data"

    def entity(kind: str) -> str:
        return f"{ctx}[schema^='iglu:{_EC}/{kind}/']"

    action = f"unstruct_event.data[schema^='iglu:{_EC}/snowplow_ecommerce_action/'][0].data.type"
    yauaa = "derived_contexts.data[schema^='iglu:nl.basjes/yauaa_context/'][0].data.deviceClass"
    source = SourceOptions(format="csv", delimiter="\t", quote="", escape="", header=False,
                           names=list(FIELDS), encoding=info.encoding,  # type: ignore[arg-type]
                           decimal=".")
    return _mapping(info, source, action, entity("product"), entity("transaction") + "[0].data.",
                    entity("refund") + "[0].data.", yauaa, element=".data")


def _plan_warehouse(info: SourceInfo) -> Mapping:
    def entity(kind: str) -> str | None:
        return _versioned(info, _ENTITY.format(kind))

    action = _versioned(info, _ACTION)
    tr, rf, yauaa = entity("transaction"), entity("refund"), _versioned(info, _YAUAA)
    return _mapping(
        info, source_options(info, decimal="."),
        f"{_q(action)}.type" if action else None,
        _q(entity("product")) if entity("product") else None,
        f"{_q(tr)}[0]." if tr else None,
        f"{_q(rf)}[0]." if rf else None,
        f"{_q(yauaa)}[0].deviceClass" if yauaa else None,
    )


def _q(name: str | None) -> str:
    return f'"{name}"' if name and not re.fullmatch(r"\w+", name) else str(name)


def _mapping(info: SourceInfo, source: SourceOptions, action: str | None, products: str | None,
             tr: str | None, rf: str | None, device: str | None, element: str = "") -> Mapping:
    explode = products if products and usable(info, [products]) else None
    el = f"{products}[]{element}." if explode else None

    def col(*candidates: str | None) -> str | list[str] | None:
        # Atomic fields by their name in the file (Snowflake writes them upper-case).
        resolved = [find(info, c) or c for c in candidates if c]
        return pick(info, resolved, explode)

    def sub(prefix: str | None, *fields: str) -> list[str | None]:
        return [prefix + f if prefix else None for f in fields]

    columns = {
        "event_id": col("event_id"),
        "event_time": col("derived_tstamp", "collector_tstamp"),
        "event_type": col(action, "event_name"),
        "user_id": col("user_id", "domain_userid", "network_userid"),
        "session_id": col("domain_sessionid"),
        "product_id": col(*sub(el, "id")),
        "order_id": col(*sub(tr, "transaction_id"), *sub(rf, "transaction_id")),
        "price": col(*sub(el, "price"), *sub(rf, "refund_amount"), *sub(tr, "revenue")),
        "quantity": col(*sub(el, "quantity")),
        "category": col(*sub(el, "category")),
        "brand": col(*sub(el, "brand")),
        "currency": col(*sub(el, "currency"), *sub(tr, "currency"), *sub(rf, "currency")),
        "device": col(f"device_class({device})" if device else None),
        "country": col("geo_country"),
        "traffic_source": col("mkt_medium", "refr_medium"),
    }
    props = {
        "product_name": sub(el, "name")[0], "revenue": sub(tr, "revenue")[0],
        "payment_method": sub(tr, "payment_method")[0],
        "refund_reason": sub(rf, "refund_reason")[0], "page_url": find(info, "page_url"),
        "app_id": find(info, "app_id"), "event_name": find(info, "event_name"),
        "platform": find(info, "platform"),
    }
    # A visitor who signs in mid-session (user_id set from then on, or on the transaction
    # only): the session's earlier events are the signed-in user's too, one session.
    user_col, session_col = find(info, "user_id"), find(info, "domain_sessionid")
    stitch = (FillDown(by=session_col, columns=[user_col])
              if user_col and session_col else None)
    return Mapping(
        source=source,
        columns={k: v for k, v in columns.items() if v},  # type: ignore[misc]
        fill_down=stitch,
        event_types=vocabulary(NAME),  # type: ignore[arg-type]
        defaults=Defaults(),
        keep_unmapped=False,
        explode=explode,
        explode_events=_LINE_EVENTS if explode else [],
        properties_fields={k: v for k, v in props.items() if v and usable(info, [v], explode)},
        country_names=True,
    )
