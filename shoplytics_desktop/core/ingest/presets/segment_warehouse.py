"""Segment (and RudderStack) warehouse tables, exported as files: ``tracks``, ``pages`` and one
table per event (``product_viewed``, ``product_added``, ``order_completed`` …), imported
together as one batch.

Every table has ``id`` (the message id), ``received_at``, ``timestamp``, ``anonymous_id``,
``user_id`` and the context flattened into ``context_*`` columns (``context_page_url``,
``context_user_agent``, ``context_campaign_medium``, ``context_device_type`` from mobile
libraries …). ``tracks`` holds every track call with ``event`` (snake case) and
``event_text`` (the name as sent, "Order Completed"); a per-event table holds the same calls
(the same ``id``) plus their properties as columns (``product_id``, ``price``, ``quantity``,
``order_id``, ``revenue``, ``currency`` …; arrays such as ``products`` as JSON text). ``pages``
has ``name``, ``url``, ``path``, ``title``, ``referrer`` and no event column.

The files are read together by column name, so one mapping covers them all: a page row (no
event) is a ``page``; a track is its ``event_text``. The properties of a per-event table are
joined to tracks by ``id``: a ``tracks`` row that another file repeats is left out, and the
event is read from the per-event row (a tracks row without one, an event whose table was not
exported, stays, without properties). The ``products`` of order completed / refunded rows give
one line each. A row repeated within a table (the warehouses load at least once) is a
duplicate. The device class comes from ``context_device_type``, else the user agent.
"""

from __future__ import annotations

from pathlib import Path

from shoplytics_desktop.core.ingest.detect import SourceInfo
from shoplytics_desktop.core.ingest.mapping import Defaults, Mapping, Supersede
from shoplytics_desktop.core.ingest.presets.common import (
    find,
    pick,
    score_columns,
    source_options,
    usable,
    vocabulary,
)
from shoplytics_desktop.core.ingest.presets.segment import _LINE_EVENTS

#: Tables of a warehouse export that hold no events (user and group traits, identity links).
NOT_EVENTS = ("identifies", "users", "groups", "aliases", "accounts")

NAME = "segment_warehouse"
TITLE = "Segment / RudderStack warehouse tables"


def _tables(info: SourceInfo) -> list[str]:
    return [Path(str(f.path)).name.split(".")[0].lower() for f in info.files]


def recognize(info: SourceInfo) -> tuple[float, list[str]]:
    score, reasons = score_columns(
        info,
        ["id", "received_at", "anonymous_id", "timestamp"],
        ["user_id", "event", "event_text", "uuid_ts", "sent_at", "original_timestamp",
         "context_library_name", "context_page_url", "context_user_agent"],
    )
    tables = _tables(info)
    if score >= 0.6 and len(tables) > 1:
        reasons.append(f"{len(tables)} tables ({', '.join(tables[:5])}{' …' if len(tables) > 5 else ''})")
    return score, reasons


def plan(info: SourceInfo) -> Mapping:
    explode = "products" if find(info, "products") == "products" else None

    def col(*c: str) -> str | list[str] | None:
        return pick(info, c, explode)

    p = "products[]."
    lines = [p] if explode else []

    def line(field: str, *alts: str) -> str | list[str] | None:
        return col(*(x + field for x in lines), *(alts or (field,)))

    has_event = usable(info, ["event_text", "event"])
    device = usable(info, ["context_device_type", "context_user_agent"])
    columns = {
        "event_id": col("id", "message_id"),
        "event_time": col("timestamp", "original_timestamp", "received_at"),
        # A page row has no event: it is a page view.
        "event_type": [*has_event, "'page'"] if has_event else "'page'",
        "user_id": col("user_id", "anonymous_id"),
        "product_id": line("product_id", "product_id", "sku"),
        "order_id": col("order_id"),
        # As the tracks preset: an order without its products is one line of its revenue
        # (else its total), never a line without a price.
        "price": col(*(x + "price" for x in lines), "price", "unexploded(revenue)",
                     "unexploded(total)"),
        "quantity": line("quantity"),
        "category": line("category"),
        "brand": line("brand"),
        "currency": col("currency"),
        "device": f"device_class({', '.join(device)})" if device else None,
        "country": col("context_location_country"),
        "traffic_source": col("context_campaign_medium"),
    }
    props = {
        "product_name": f"{p}name",
        "name": "name",
        "revenue": "revenue", "total": "total", "discount": "discount", "coupon": "coupon",
        "url": "context_page_url", "page_title": "title", "referrer": "referrer",
        "query": "query", "campaign_source": "context_campaign_source",
        "anonymous_id": "anonymous_id",
    }
    tables = _tables(info)
    supersede = (
        Supersede(key=find(info, "id") or "id", file="tracks")
        if "tracks" in tables and len(tables) > 1
        else None
    )
    return Mapping(
        skip_files=[t for t in tables if t in NOT_EVENTS],
        source=source_options(info),
        columns={k: v for k, v in columns.items() if v},  # type: ignore[misc]
        event_types=vocabulary("segment"),  # type: ignore[arg-type]
        defaults=Defaults(),
        keep_unmapped=False,
        explode=explode,
        explode_events=_LINE_EVENTS if explode else [],
        properties_fields={k: v for k, v in props.items() if usable(info, [v], explode)},
        country_names=True,
        supersede=supersede,
    )
