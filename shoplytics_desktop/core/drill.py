"""Drill-through: the rows behind a dashboard figure, as one read-only SELECT over the models.

A figure (a metric over a date range, under segment filters, for a category or a product) is
turned into the query of what it counts: the orders of ``marts.fct_orders`` for money and order
figures, the sessions of ``intermediate.int_sessions`` for session figures, and the events of
``staging.stg_events`` for the rest. Values are written as quoted literals (the query is shown
and checked as text, like one typed on the SQL page); names are qualified by schema.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
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
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

#: A dimension's filter: one value, several (any of them), or None (all values).
Value = str | tuple[str, ...] | None


@dataclass(frozen=True)
class DrillRequest:
    """A figure to drill into. Each dimension holds one value or several; a dimension named in
    ``exclude`` keeps every value but those. ``weekday`` (1 = Monday … 7, ISO) and ``hour``
    (0–23) pick one cell of the activity heatmap, in the reporting time zone."""

    metric: str
    start: dt.date
    end: dt.date
    device: Value = None
    country: Value = None
    traffic_source: Value = None
    category: Value = None
    product_id: str | None = None
    label: str = ""  # the figure's name as the dashboard shows it
    exclude: frozenset[str] = field(default_factory=frozenset)
    weekday: int | None = None
    hour: int | None = None

    def __post_init__(self) -> None:
        if self.weekday is not None and not 1 <= self.weekday <= 7:
            raise ValueError(f"weekday must be 1 (Monday) to 7 (Sunday), not {self.weekday}")
        if self.hour is not None and not 0 <= self.hour <= 23:
            raise ValueError(f"hour must be 0 to 23, not {self.hour}")

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


def _values(value: Value) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _dimension(req: DrillRequest, name: str) -> str | None:
    """``name = 'x'``, ``name IN (…)`` or ``name NOT IN (…)``, as the dashboards filter."""
    values = _values(getattr(req, name))
    if not values:
        return None
    listed = ", ".join(quote_literal(v) for v in values)
    if name in req.exclude:
        return f"{name} NOT IN ({listed})"
    return f"{name} = {listed}" if len(values) == 1 else f"{name} IN ({listed})"


def _conditions(req: DrillRequest, day: str, segments: bool = True, category: bool = True,
                product: bool = True) -> list[str]:
    where = [f"{day} BETWEEN {_date(req.start)} AND {_date(req.end)}"]
    names = [*(SEGMENTS if segments else ()), *(("category",) if category else ())]
    where += [c for n in names if (c := _dimension(req, n)) is not None]
    if product and req.product_id is not None:
        where.append(f"product_id = {quote_literal(req.product_id)}")
    return where


def drill_query(req: DrillRequest) -> DrillQuery:
    """The query of the rows behind ``req``, and a title that says what they are."""
    if req.start > req.end:
        req = replace(req, start=req.end, end=req.start)
    kind = req.kind
    if req.weekday is not None or req.hour is not None:
        # A heatmap cell: the events of that weekday and hour of the reporting time zone.
        where = _conditions(req, "event_date")
        if req.weekday is not None:
            where.append(f"isodow(event_date) = {int(req.weekday)}")
        if req.hour is not None:
            where.append(f"hour(event_time_local) = {int(req.hour)}")
        sql = ("SELECT *\nFROM staging.stg_events\nWHERE " + " AND ".join(where)
               + "\nORDER BY event_time, event_id")
        return DrillQuery(title(replace(req, metric="events")), sql, "events")
    if kind == "orders":
        # An order is behind a figure when one of its lines is (agg_sales holds the lines with
        # their segments and category): the same rows the revenue figures add up.
        inner = " AND ".join(_conditions(req, "order_date"))
        sql = ("SELECT o.*\nFROM marts.fct_orders AS o\nWHERE o.order_id IN (\n"
               f"    SELECT order_key FROM marts.agg_sales\n    WHERE {inner}\n)\n"
               "ORDER BY o.order_time, o.order_id")
    elif kind == "sessions":
        # Sessions have no category or product of their own: those filters do not apply.
        on = " AND ".join(_conditions(req, "session_date", category=False, product=False))
        sql = (f"SELECT *\nFROM intermediate.int_sessions\nWHERE {on}\n"
               "ORDER BY session_start, session_key")
    else:
        on = " AND ".join(_conditions(req, "event_date"))
        sql = (f"SELECT *\nFROM staging.stg_events\nWHERE {on}\n"
               "ORDER BY event_time, event_id")
    return DrillQuery(title(req), sql, kind)


def title(req: DrillRequest) -> str:
    what = {"orders": "Orders", "sessions": "Sessions", "events": "Events"}[req.kind]
    figure = req.label or req.metric.replace("_", " ")
    days = f"{req.start:%Y-%m-%d}" if req.start == req.end else f"{req.start:%Y-%m-%d} … {req.end:%Y-%m-%d}"
    parts = [f"{what} behind {figure}", days]
    if req.weekday is not None:
        parts.append(f"Weekday: {WEEKDAYS[req.weekday - 1]}")
    if req.hour is not None:
        parts.append(f"Hour: {req.hour:02d}:00–{req.hour:02d}:59")
    labels = {**_SEGMENT_LABELS, **({"category": "Category"} if req.kind != "sessions" else {})}
    for name, label in labels.items():
        values = _values(getattr(req, name))
        if values:
            parts.append(f"{label}: {'not ' if name in req.exclude else ''}{', '.join(values)}")
    if req.product_id is not None and req.kind != "sessions":
        parts.append(f"Product: {req.product_id}")
    return " · ".join(parts)
