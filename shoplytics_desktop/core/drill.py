"""Drill-through: the rows behind a dashboard figure, as one read-only SELECT over the models.

A figure (a metric over a date range, under segment filters, for a category or a product) is
turned into the query of what it counts: the orders of ``marts.fct_orders`` for money and order
figures, the sessions of ``intermediate.int_sessions`` for session figures, and the events of
``staging.stg_events`` for the rest. Values are written as quoted literals (the query is shown
and checked as text, like one typed on the SQL page); names are qualified by schema.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from shoplytics_desktop.core.sqlutil import quote_literal

Kind = Literal["orders", "sessions", "events"]

#: Figures counted over orders (agg_sales / fct_orders).
ORDER_METRICS = frozenset({"revenue", "net_revenue", "orders", "aov", "buyers", "units"})
#: Figures counted over sessions (int_sessions).
SESSION_METRICS = frozenset({"sessions", "conversion", "bounce_rate", "avg_session_duration",
                             "sessions_with_purchase", "session_conversion"})
SEGMENTS = ("device", "country", "traffic_source")
_SEGMENT_LABELS = {"device": "Device", "country": "Country", "traffic_source": "Traffic source"}


@dataclass(frozen=True)
class DrillRequest:
    metric: str
    start: dt.date
    end: dt.date
    device: str | None = None
    country: str | None = None
    traffic_source: str | None = None
    category: str | None = None
    product_id: str | None = None
    label: str = ""  # the figure's name as the dashboard shows it

    @property
    def kind(self) -> Kind:
        return kind_of(self.metric)


@dataclass(frozen=True)
class DrillQuery:
    title: str
    sql: str
    kind: Kind


def kind_of(metric: str) -> Kind:
    if metric in ORDER_METRICS:
        return "orders"
    if metric in SESSION_METRICS:
        return "sessions"
    return "events"


def _date(d: dt.date) -> str:
    return f"DATE '{d:%Y-%m-%d}'"


def _conditions(req: DrillRequest, day: str, segments: bool = True, category: bool = True,
                product: bool = True) -> list[str]:
    where = [f"{day} BETWEEN {_date(req.start)} AND {_date(req.end)}"]
    if segments:
        where += [f"{s} = {quote_literal(v)}" for s in SEGMENTS
                  if (v := getattr(req, s)) is not None]
    if category and req.category is not None:
        where.append(f"category = {quote_literal(req.category)}")
    if product and req.product_id is not None:
        where.append(f"product_id = {quote_literal(req.product_id)}")
    return where


def drill_query(req: DrillRequest) -> DrillQuery:
    """The query of the rows behind ``req``, and a title that says what they are."""
    if req.start > req.end:
        req = DrillRequest(**{**req.__dict__, "start": req.end, "end": req.start})
    kind = req.kind
    if kind == "orders":
        # An order is behind a figure when one of its lines is (agg_sales holds the lines with
        # their segments and category): the same rows the revenue figures add up.
        inner = " AND ".join(_conditions(req, "order_date"))
        sql = ("SELECT o.*\nFROM marts.fct_orders AS o\nWHERE o.order_id IN (\n"
               f"    SELECT order_key FROM marts.agg_sales\n    WHERE {inner}\n)\n"
               "ORDER BY o.order_time, o.order_id")
    elif kind == "sessions":
        # Sessions have no category or product of their own: those filters do not apply.
        where = " AND ".join(_conditions(req, "session_date", category=False, product=False))
        sql = (f"SELECT *\nFROM intermediate.int_sessions\nWHERE {where}\n"
               "ORDER BY session_start, session_key")
    else:
        where = " AND ".join(_conditions(req, "event_date"))
        sql = (f"SELECT *\nFROM staging.stg_events\nWHERE {where}\n"
               "ORDER BY event_time, event_id")
    return DrillQuery(title(req), sql, kind)


def title(req: DrillRequest) -> str:
    what = {"orders": "Orders", "sessions": "Sessions", "events": "Events"}[req.kind]
    figure = req.label or req.metric.replace("_", " ")
    days = f"{req.start:%Y-%m-%d}" if req.start == req.end else f"{req.start:%Y-%m-%d} … {req.end:%Y-%m-%d}"
    parts = [f"{what} behind {figure}", days]
    parts += [f"{_SEGMENT_LABELS[s]}: {v}" for s in SEGMENTS if (v := getattr(req, s)) is not None]
    if req.category is not None and req.kind != "sessions":
        parts.append(f"Category: {req.category}")
    if req.product_id is not None and req.kind != "sessions":
        parts.append(f"Product: {req.product_id}")
    return " · ".join(parts)
