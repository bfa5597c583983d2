"""Overview and Engagement: KPI cards with deltas against the previous period, and the daily
engagement lines."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from shoplytics_desktop.core.analytics.daily import (
    Daily,
    engagement_daily,
    sales_daily,
    sessions_daily,
)
from shoplytics_desktop.core.analytics.filters import Filters, days, periods
from shoplytics_desktop.core.analytics.types import Kind, Kpi, TimeSeries, ratio
from shoplytics_desktop.core.workspace import Workspace

TotalFn = Callable[[dt.date, dt.date], float | None]
BucketFn = Callable[[list[dt.date]], float | None]


@dataclass(frozen=True)
class Overview:
    filters: Filters
    kpis: tuple[Kpi, ...]
    #: What the money figures leave out: amounts in other currencies ('' when none).
    currency_note: str = ""

    def kpi(self, key: str) -> Kpi:
        return next(k for k in self.kpis if k.key == key)


def _kpi(
    key: str, label: str, kind: Kind, f: Filters, daily: Daily, total_fn: TotalFn,
    bucket_fn: BucketFn,
) -> Kpi:
    p = f.previous()
    return Kpi(
        key=key,
        label=label,
        value=total_fn(f.start, f.end),
        previous=total_fn(p.start, p.end),
        kind=kind,
        spark=daily.bucketed(f, bucket_fn),
    )


def _stickiness(eng: Daily) -> tuple[TotalFn, BucketFn]:
    """Period stickiness = the mean of the daily DAU/MAU ratios."""

    def total(start: dt.date, end: dt.date) -> float | None:
        return eng.mean(lambda d: ratio(eng.get(d, "dau"), eng.get(d, "mau")), start, end)

    return total, eng.mean_ratio_over("dau", "mau")


def overview(ws: Workspace, f: Filters) -> Overview:
    """Revenue, orders, AOV, sessions, session conversion (sessions with a purchase / sessions,
    not the funnel's completion) and stickiness.

    Revenue, orders and AOV honour the category filter (orders: those with a line in the
    category); sessions, session conversion and stickiness do not, having no category."""
    sales = sales_daily(ws, f)
    sess = sessions_daily(ws, f)
    eng = engagement_daily(ws, f)

    def tot(d: Daily, m: str) -> TotalFn:
        return lambda s, e: d.total(m, s, e)

    def rat(d: Daily, a: str, b: str) -> TotalFn:
        return lambda s, e: ratio(d.total(a, s, e), d.total(b, s, e))

    stick_total, stick_bucket = _stickiness(eng)
    p = f.previous()
    refunded = sales.total("refunds", p.start, f.end) != 0
    # Where there are refunds, revenue is shown net of them, with the refunds beside it.
    money = (
        (
            _kpi("net_revenue", "Net revenue", "money", f, sales, tot(sales, "net_revenue"),
                 sales.sum_over("net_revenue")),
            _kpi("refunds", "Refunds", "money", f, sales, tot(sales, "refunds"),
                 sales.sum_over("refunds")),
        )
        if refunded
        else ()
    )
    kpis = (
        _kpi("revenue", "Revenue", "money", f, sales, tot(sales, "revenue"), sales.sum_over("revenue")),
        *money,
        _kpi("orders", "Orders", "count", f, sales, tot(sales, "orders"), sales.sum_over("orders")),
        _kpi(
            "aov", "Average order value", "money", f, sales,
            rat(sales, "revenue", "orders"), sales.ratio_over("revenue", "orders"),
        ),
        _kpi("sessions", "Sessions", "count", f, sess, tot(sess, "sessions"), sess.sum_over("sessions")),
        _kpi(
            "conversion", "Session conversion", "rate", f, sess,
            rat(sess, "purchase_sessions", "sessions"),
            sess.ratio_over("purchase_sessions", "sessions"),
        ),
        _kpi("stickiness", "DAU/MAU stickiness", "rate", f, eng, stick_total, stick_bucket),
    )
    from shoplytics_desktop.core.analytics.money import other_currencies, other_currencies_note

    note = other_currencies_note(other_currencies(ws, f), ws.settings.currency)
    return Overview(f, kpis, note)


@dataclass(frozen=True)
class Engagement:
    filters: Filters
    #: Daily dau, wau, mau, stickiness, new_users, returning_users (trailing windows stay daily).
    daily: TimeSeries
    #: sessions, bounce_rate and avg_session_s per period of the filter's grain.
    sessions: TimeSeries
    kpis: tuple[Kpi, ...]

    def kpi(self, key: str) -> Kpi:
        return next(k for k in self.kpis if k.key == key)


def engagement(ws: Workspace, f: Filters) -> Engagement:
    """Daily active users over trailing windows for the segment cell, new vs returning users
    (returning = DAU − new), and sessions per period."""
    eng = engagement_daily(ws, f)
    sess = sessions_daily(ws, f)
    ds = days(f.start, f.end)

    def col(m: str) -> tuple[float | None, ...]:
        return tuple(eng.get(d, m) for d in ds)

    dau, new = col("dau"), col("new_users")
    daily = TimeSeries(
        tuple(ds),
        {
            "dau": dau,
            "wau": col("wau"),
            "mau": col("mau"),
            "stickiness": tuple(ratio(eng.get(d, "dau"), eng.get(d, "mau")) for d in ds),
            "new_users": new,
            "returning_users": tuple((a or 0) - (b or 0) for a, b in zip(dau, new, strict=True)),
        },
        "day",
    )
    sessions = TimeSeries(
        tuple(periods(f)),
        {
            "sessions": sess.bucketed(f, sess.sum_over("sessions")),
            "bounce_rate": sess.bucketed(f, sess.ratio_over("bounce_sessions", "sessions")),
            "avg_session_s": sess.bucketed(f, sess.ratio_over("duration_s", "sessions")),
        },
        f.grain,
    )

    def avg(m: str) -> TotalFn:
        return lambda s, e: eng.mean(lambda d: eng.get(d, m), s, e)

    def bucket_avg(m: str) -> BucketFn:
        return lambda dd: sum(eng.get(d, m) for d in dd) / len(dd) if dd else None

    stick_total, stick_bucket = _stickiness(eng)
    kpis = (
        _kpi("dau", "Average DAU", "number", f, eng, avg("dau"), bucket_avg("dau")),
        _kpi("wau", "Average WAU", "number", f, eng, avg("wau"), bucket_avg("wau")),
        _kpi("mau", "Average MAU", "number", f, eng, avg("mau"), bucket_avg("mau")),
        _kpi("stickiness", "DAU/MAU stickiness", "rate", f, eng, stick_total, stick_bucket),
        _kpi(
            "new_users", "New users", "count", f, eng,
            lambda s, e: eng.total("new_users", s, e), eng.sum_over("new_users"),
        ),
        _kpi(
            "sessions", "Sessions", "count", f, sess,
            lambda s, e: sess.total("sessions", s, e), sess.sum_over("sessions"),
        ),
    )
    return Engagement(f, daily, sessions, kpis)
