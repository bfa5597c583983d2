"""Overview and Engagement: KPI cards with deltas against the previous period, and the daily
engagement lines."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial

from shoplytics_desktop.core.analytics.daily import (
    Daily,
    engagement_daily,
    sales_daily,
    sessions_daily,
)
from shoplytics_desktop.core.analytics.filters import Filters, days, periods
from shoplytics_desktop.core.analytics.periods import (
    DataBounds,
    complete_end,
    data_bounds,
    filling_window,
    partial_periods,
)
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
    #: Per period of the filter's grain: True where the period is incomplete.
    partial: tuple[bool, ...] = ()

    def kpi(self, key: str) -> Kpi:
        return next(k for k in self.kpis if k.key == key)


def change_basis(
    f: Filters, bounds: DataBounds | None, total_fn: TotalFn
) -> tuple[tuple[float | None, float | None] | None, str]:
    """When the range ends in days still under way, the change compares the complete days with
    as many days just before them (a day under way would read as a drop)."""
    end = complete_end(f, bounds)
    if end >= f.end:
        return None, ""
    if end < f.start or (bounds is not None and end > bounds.last_complete_day):
        return (None, None), "No complete day in the range to compare yet."
    n = dt.timedelta(days=(end - f.start).days + 1)
    note = (f"Change over the complete days {f.start:%Y-%m-%d} … {end:%Y-%m-%d} against the "
            f"{n.days} days before; later days are incomplete.")
    return (total_fn(f.start, end), total_fn(f.start - n, f.start - dt.timedelta(days=1))), note


def _kpi(
    key: str, label: str, kind: Kind, f: Filters, daily: Daily, total_fn: TotalFn,
    bucket_fn: BucketFn, bounds: DataBounds | None = None,
) -> Kpi:
    p = f.previous()
    basis, note = change_basis(f, bounds, total_fn)
    return Kpi(
        key=key,
        label=label,
        value=total_fn(f.start, f.end),
        previous=total_fn(p.start, p.end),
        kind=kind,
        spark=daily.bucketed(f, bucket_fn),
        basis=basis,
        basis_note=note,
    )


def complete_days(
    start: dt.date, end: dt.date, bounds: DataBounds | None, window: int = 1
) -> tuple[dt.date, dt.date]:
    """The part of [start, end] an average should use: without the days still under way and,
    for trailing windows, without the days whose window is still filling up, unless that
    leaves nothing (then the whole range, as before)."""
    if bounds is None:
        return start, end
    lo = max(start, bounds.first_day + dt.timedelta(days=window - 1))
    hi = min(end, bounds.last_complete_day)
    return (lo, hi) if lo <= hi else (start, end)


def _stickiness(eng: Daily, bounds: DataBounds | None = None) -> tuple[TotalFn, BucketFn]:
    """Period stickiness = the mean of the daily DAU/MAU ratios, over the days whose MAU window
    is full (while MAU fills up, stickiness runs high)."""

    def total(start: dt.date, end: dt.date) -> float | None:
        lo, hi = complete_days(start, end, bounds, 30)
        return eng.mean(lambda d: ratio(eng.get(d, "dau"), eng.get(d, "mau")), lo, hi)

    return total, eng.mean_ratio_over("dau", "mau")


def overview(ws: Workspace, f: Filters) -> Overview:
    """Revenue, orders, AOV, sessions, session conversion (sessions with a purchase / sessions,
    not the funnel's completion) and stickiness.

    Revenue, orders and AOV honour the category filter (orders: those with a line in the
    category); sessions, session conversion and stickiness do not, having no category."""
    sales = sales_daily(ws, f)
    sess = sessions_daily(ws, f)
    eng = engagement_daily(ws, f)
    bounds = data_bounds(ws)
    kpi = partial(_kpi, bounds=bounds)

    def tot(d: Daily, m: str) -> TotalFn:
        return lambda s, e: d.total(m, s, e)

    def rat(d: Daily, a: str, b: str) -> TotalFn:
        return lambda s, e: ratio(d.total(a, s, e), d.total(b, s, e))

    stick_total, stick_bucket = _stickiness(eng, bounds)
    p = f.previous()
    refunded = sales.total("refunds", p.start, f.end) != 0
    # Where there are refunds, revenue is shown net of them, with the refunds beside it.
    money = (
        (
            kpi("net_revenue", "Net revenue", "money", f, sales, tot(sales, "net_revenue"),
                 sales.sum_over("net_revenue")),
            kpi("refunds", "Refunds", "money", f, sales, tot(sales, "refunds"),
                 sales.sum_over("refunds")),
        )
        if refunded
        else ()
    )
    kpis = (
        kpi("revenue", "Revenue", "money", f, sales, tot(sales, "revenue"), sales.sum_over("revenue")),
        *money,
        kpi("orders", "Orders", "count", f, sales, tot(sales, "orders"), sales.sum_over("orders")),
        kpi(
            "aov", "Average order value", "money", f, sales,
            rat(sales, "revenue", "orders"), sales.ratio_over("revenue", "orders"),
        ),
        kpi("sessions", "Sessions", "count", f, sess, tot(sess, "sessions"), sess.sum_over("sessions")),
        kpi(
            "conversion", "Session conversion", "rate", f, sess,
            rat(sess, "purchase_sessions", "sessions"),
            sess.ratio_over("purchase_sessions", "sessions"),
        ),
        kpi("stickiness", "DAU/MAU stickiness", "rate", f, eng, stick_total, stick_bucket),
    )
    from shoplytics_desktop.core.analytics.money import (
        marts_currency,
        other_currencies,
        other_currencies_note,
    )

    note = other_currencies_note(other_currencies(ws, f), marts_currency(ws))
    return Overview(f, kpis, note, partial_periods(f, bounds))


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
    bounds = data_bounds(ws)
    kpi = partial(_kpi, bounds=bounds)
    ds = days(f.start, f.end)
    day_partial = partial_periods(replace(f, grain="day"), bounds)
    month_filling = tuple(a or b for a, b in zip(day_partial, filling_window(ds, bounds, 30),
                                                   strict=True))

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
        partial=day_partial,
        partial_by_series={
            "wau": tuple(a or b for a, b in zip(day_partial, filling_window(ds, bounds, 7),
                                                strict=True)),
            "mau": month_filling,
            "stickiness": month_filling,
        },
    )
    sessions = TimeSeries(
        tuple(periods(f)),
        {
            "sessions": sess.bucketed(f, sess.sum_over("sessions")),
            "bounce_rate": sess.bucketed(f, sess.ratio_over("bounce_sessions", "sessions")),
            "avg_session_s": sess.bucketed(f, sess.ratio_over("duration_s", "sessions")),
        },
        f.grain,
        partial=partial_periods(f, bounds),
    )
    windows = {"dau": 1, "wau": 7, "mau": 30}

    def avg(m: str) -> TotalFn:
        def total(s: dt.date, e: dt.date) -> float | None:
            lo, hi = complete_days(s, e, bounds, windows[m])
            return eng.mean(lambda d: eng.get(d, m), lo, hi)

        return total

    def bucket_avg(m: str) -> BucketFn:
        return lambda dd: sum(eng.get(d, m) for d in dd) / len(dd) if dd else None

    stick_total, stick_bucket = _stickiness(eng, bounds)
    kpis = (
        kpi("dau", "Average DAU", "number", f, eng, avg("dau"), bucket_avg("dau")),
        kpi("wau", "Average WAU", "number", f, eng, avg("wau"), bucket_avg("wau")),
        kpi("mau", "Average MAU", "number", f, eng, avg("mau"), bucket_avg("mau")),
        kpi("stickiness", "DAU/MAU stickiness", "rate", f, eng, stick_total, stick_bucket),
        kpi(
            "new_users", "New users", "count", f, eng,
            lambda s, e: eng.total("new_users", s, e), eng.sum_over("new_users"),
        ),
        kpi(
            "sessions", "Sessions", "count", f, sess,
            lambda s, e: sess.total("sessions", s, e), sess.sum_over("sessions"),
        ),
    )
    return Engagement(f, daily, sessions, kpis)
