"""Per-day rows from the marts for a filter's period and the previous one, fetched once and then
folded into KPIs, sparklines and grain buckets in Python (a few hundred rows at most)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from shoplytics_desktop.core.analytics.filters import (
    Filters,
    bucket_of,
    days,
    periods,
    segment_where,
)
from shoplytics_desktop.core.analytics.types import num, ratio
from shoplytics_desktop.core.workspace import Workspace

Row = dict[str, float]


@dataclass(frozen=True)
class Daily:
    """Named measures per day over [previous.start, end]; missing days are zeros."""

    rows: dict[dt.date, Row]
    measures: tuple[str, ...]

    def get(self, day: dt.date, measure: str) -> float:
        row = self.rows.get(day)
        return row.get(measure, 0.0) if row else 0.0

    def total(self, measure: str, start: dt.date, end: dt.date) -> float:
        return sum(self.get(d, measure) for d in days(start, end))

    def mean(
        self, fn: Callable[[dt.date], float | None], start: dt.date, end: dt.date
    ) -> float | None:
        values = [v for v in (fn(d) for d in days(start, end)) if v is not None]
        return sum(values) / len(values) if values else None

    def bucketed(
        self, f: Filters, fn: Callable[[list[dt.date]], float | None]
    ) -> tuple[float | None, ...]:
        """One value per period of the filter's grain: ``fn`` gets the period's days (clipped
        to the range)."""
        groups: dict[dt.date, list[dt.date]] = {p: [] for p in periods(f)}
        for d in days(f.start, f.end):
            groups[bucket_of(d, f.grain)].append(d)
        return tuple(fn(ds) for ds in groups.values())

    def sum_over(self, measure: str) -> Callable[[list[dt.date]], float | None]:
        return lambda ds: sum(self.get(d, measure) for d in ds)

    def ratio_over(self, a: str, b: str) -> Callable[[list[dt.date]], float | None]:
        return lambda ds: ratio(
            sum(self.get(d, a) for d in ds), sum(self.get(d, b) for d in ds)
        )

    def mean_ratio_over(self, a: str, b: str) -> Callable[[list[dt.date]], float | None]:
        def fn(ds: list[dt.date]) -> float | None:
            values = [v for v in (ratio(self.get(d, a), self.get(d, b)) for d in ds) if v is not None]
            return sum(values) / len(values) if values else None

        return fn


def _fetch(ws: Workspace, sql: str, params: list[object], measures: tuple[str, ...]) -> Daily:
    rows = ws.cursor().execute(sql, params).fetchall()
    return Daily({r[0]: {m: num(v) for m, v in zip(measures, r[1:], strict=True)} for r in rows}, measures)


def sales_daily(ws: Workspace, f: Filters) -> Daily:
    """Revenue, orders and units per order day. Orders are distinct per day, and an order has
    one day, so daily counts add up to exact period counts."""
    where, params = segment_where(f, category="category")
    return _fetch(
        ws,
        "SELECT order_date, sum(revenue), count(DISTINCT order_no), sum(units) "
        f"FROM marts.agg_sales WHERE order_date BETWEEN ? AND ?{where} GROUP BY 1",
        [f.previous().start, f.end, *params],
        ("revenue", "orders", "units"),
    )


def sessions_daily(ws: Workspace, f: Filters) -> Daily:
    """Sessions, purchasing sessions, bounces and total duration per session day."""
    where, params = segment_where(f)
    return _fetch(
        ws,
        "SELECT session_date, sum(sessions), sum(purchase_sessions), sum(bounce_sessions), "
        f"sum(duration_s) FROM marts.agg_sessions_day WHERE session_date BETWEEN ? AND ?{where} "
        "GROUP BY 1",
        [f.previous().start, f.end, *params],
        ("sessions", "purchase_sessions", "bounce_sessions", "duration_s"),
    )


def engagement_daily(ws: Workspace, f: Filters) -> Daily:
    """DAU/WAU/MAU and new users per day for the filter's segment cell (exact distinct users:
    the cell was precomputed, '*' standing for all values)."""
    return _fetch(
        ws,
        "SELECT activity_date, dau, wau, mau, new_users FROM marts.agg_engagement_segments "
        "WHERE activity_date BETWEEN ? AND ? AND device = ? AND country = ? AND traffic_source = ?",
        [
            f.previous().start,
            f.end,
            f.device or "*",
            f.country or "*",
            f.traffic_source or "*",
        ],
        ("dau", "wau", "mau", "new_users"),
    )
