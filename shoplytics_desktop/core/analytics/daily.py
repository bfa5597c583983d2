"""Per-day rows from the marts for a filter's period and the previous one, fetched once and then
folded into KPIs, sparklines and grain buckets in Python (a few hundred rows at most)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from shoplytics_desktop.core.analytics.filters import (
    SEGMENTS,
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


def _fetch(
    ws: Workspace, sql: str, params: list[object] | dict[str, object], measures: tuple[str, ...]
) -> Daily:
    rows = ws.cursor().execute(sql, params).fetchall()
    return Daily({r[0]: {m: num(v) for m, v in zip(measures, r[1:], strict=True)} for r in rows}, measures)


def sales_daily(ws: Workspace, f: Filters) -> Daily:
    """Revenue, orders and units per order day, refunds per refund day, and net revenue, in the
    workspace currency (money is never summed across currencies; money.other_currencies says
    what is left out). Orders are distinct per day, and an order has one day, so daily counts
    add up to exact period counts."""
    from shoplytics_desktop.core.analytics.distinct import numbering
    from shoplytics_desktop.core.analytics.money import currency_where, refunds_by_day

    where, params = segment_where(f, category="category")
    cur_where, cur_params = currency_where(ws, "agg_sales")
    start = f.previous().start
    # Orders are distinct per day: a bitmap per day of the range and the period before.
    orders = numbering(ws).distinct("order_no", (f.end - start).days + 1)
    sales = _fetch(
        ws,
        f"SELECT order_date, sum(revenue), {orders}, sum(units) "
        f"FROM marts.agg_sales WHERE order_date BETWEEN ? AND ?{cur_where}{where} GROUP BY 1",
        [start, f.end, *cur_params, *params],
        ("revenue", "orders", "units"),
    )
    refunds = refunds_by_day(ws, f, start, f.end)
    measures = ("revenue", "orders", "units", "refunds", "net_revenue")
    days: dict[dt.date, dict[str, float]] = {}
    for day in set(sales.rows) | set(refunds):
        row = dict(sales.rows.get(day, {"revenue": 0.0, "orders": 0.0, "units": 0.0}))
        row["refunds"] = refunds.get(day, 0.0)
        row["net_revenue"] = row["revenue"] - row["refunds"]
        days[day] = row
    return Daily(days, measures)


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


# Distinct users of a segment filter on two or three dimensions, counted from agg_user_day over
# [low, end] with the same start/end markers as agg_engagement_segments: a user's active day s
# counts for the days [s, min(s + N, next active day)). Days before ``low`` (a full 30 days
# before the first day shown) cannot matter. One BIGINT per user-day (user key, day offset) is
# the only thing the window sorts.
_ENGAGEMENT_SQL = """
WITH active AS (
    SELECT
        activity_date,
        is_first_day,
        (CAST(user_key AS BIGINT) << 32) | (activity_date - $low) AS k
    FROM marts.agg_user_day
    WHERE activity_date BETWEEN $low AND $end{where}
),
spans AS (
    SELECT activity_date, is_first_day,
        CASE WHEN next_k >> 32 = k >> 32
            THEN CAST($low + CAST(next_k & 4294967295 AS INTEGER) AS DATE)
        END AS next_active
    FROM (SELECT *, lead(k) OVER (ORDER BY k) AS next_k FROM active)
    WHERE next_k IS DISTINCT FROM k  -- one row per user and day
),
span_kinds AS (
    SELECT activity_date,
        least(activity_date + 7, coalesce(next_active, activity_date + 7)) AS wau_end,
        least(activity_date + 30, coalesce(next_active, activity_date + 30)) AS mau_end,
        count(*) AS spans, count(*) FILTER (WHERE is_first_day) AS new_users
    FROM spans GROUP BY ALL
),
changes AS (
    SELECT activity_date AS day, spans AS starts, new_users, 0 AS wau_ends, 0 AS mau_ends
    FROM span_kinds
    UNION ALL SELECT wau_end, 0, 0, spans, 0 FROM span_kinds
    UNION ALL SELECT mau_end, 0, 0, 0, spans FROM span_kinds
),
per_day AS (
    SELECT day, sum(starts) AS starts, sum(new_users) AS new_users,
        sum(wau_ends) AS wau_ends, sum(mau_ends) AS mau_ends
    FROM changes GROUP BY 1
),
running AS (
    SELECT CAST(s.day AS DATE) AS day,
        coalesce(p.starts, 0) AS dau,
        sum(coalesce(p.starts, 0) - coalesce(p.wau_ends, 0)) OVER w AS wau,
        sum(coalesce(p.starts, 0) - coalesce(p.mau_ends, 0)) OVER w AS mau,
        coalesce(p.new_users, 0) AS new_users
    FROM generate_series($low, $end, INTERVAL 1 DAY) AS s(day)
    LEFT JOIN per_day AS p ON p.day = CAST(s.day AS DATE)
    WINDOW w AS (ORDER BY s.day ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
)
SELECT day, dau, wau, mau, new_users FROM running WHERE day >= $start AND mau > 0
"""


def engagement_daily(ws: Workspace, f: Filters) -> Daily:
    """DAU/WAU/MAU and new users per day for the filter's segment (exact distinct users).

    All users and single-dimension filters read their precomputed cell of
    agg_engagement_segments ('*' standing for all values); filters on two or three dimensions
    count their users from agg_user_day."""
    measures = ("dau", "wau", "mau", "new_users")
    start = f.previous().start
    filtered = [seg for seg in SEGMENTS if f.is_filtered(seg)]
    if len(filtered) <= 1 and all(f.single(seg) is not None for seg in filtered):
        return _fetch(
            ws,
            "SELECT activity_date, dau, wau, mau, new_users FROM marts.agg_engagement_segments "
            "WHERE activity_date BETWEEN ? AND ? AND device = ? AND country = ? "
            "AND traffic_source = ?",
            [start, f.end, f.single("device") or "*", f.single("country") or "*",
             f.single("traffic_source") or "*"],
            measures,
        )
    # Several values, exclusions or several dimensions: count the users themselves.
    segments = {seg: list(f.values(seg)) for seg in filtered}
    where = "".join(
        f" AND {'NOT ' if f.excludes(seg) else ''}list_contains(${seg}, {seg})" for seg in segments
    )
    return _fetch(
        ws,
        _ENGAGEMENT_SQL.format(where=where),
        {"low": start - dt.timedelta(days=29), "start": start, "end": f.end, **segments},
        measures,
    )
