"""Revenue, orders, AOV and buyers from agg_sales (purchase lines per order × product × segment),
exact under every filter: revenue adds up, orders and buyers are distinct counts. Money is in the
workspace currency only (never summed across currencies): refunds and net revenue join where
there are refunds, and ``currency_note`` says how much is in other currencies."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from shoplytics_desktop.core.analytics.distinct import Numbering, numbering
from shoplytics_desktop.core.analytics.filters import (
    Filters,
    bucket_of,
    bucket_sql,
    periods,
    segment_where,
)
from shoplytics_desktop.core.analytics.money import (
    currency_where,
    marts_currency,
    other_currencies,
    other_currencies_note,
    refunds_by_day,
)
from shoplytics_desktop.core.analytics.periods import (
    DataBounds,
    complete_end,
    data_bounds,
    partial_periods,
)
from shoplytics_desktop.core.analytics.types import Kpi, Table, TimeSeries, num, ratio
from shoplytics_desktop.core.workspace import Workspace


@dataclass(frozen=True)
class Revenue:
    filters: Filters
    #: revenue, orders, aov, buyers, units per period of the filter's grain.
    series: TimeSeries
    #: category, revenue, orders, units, buyers, share (of the range's revenue), by revenue.
    by_category: Table
    #: The 10 best-selling products: product_id, name, category, units, orders, revenue.
    top_products: Table
    kpis: tuple[Kpi, ...]
    #: What the money figures leave out: amounts in other currencies ('' when none).
    currency_note: str = ""

    def kpi(self, key: str) -> Kpi:
        return next(k for k in self.kpis if k.key == key)

    @property
    def is_empty(self) -> bool:
        return not self.kpi("orders").value


def _names(ws: Workspace, product_ids: list[str]) -> dict[str, str | None]:
    """Product names from dim_products when it exists (it is optional for the dashboards)."""
    cur = ws.cursor()
    row = cur.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'marts' "
        "AND table_name = 'dim_products'"
    ).fetchone()
    if not (row and row[0]) or not product_ids:
        return {}
    rows = cur.execute(
        "SELECT product_id, name FROM marts.dim_products WHERE list_contains(?, product_id)",
        [product_ids],
    ).fetchall()
    return {r[0]: r[1] for r in rows}


def _figures(row: tuple[Any, ...]) -> list[float]:
    """[revenue, orders, buyers, units] from the four columns of figures() (zeros over no
    line)."""
    return [round(num(row[0]), 2), num(row[1]), num(row[2]), num(row[3])]


def _lines(ws: Workspace, f: Filters, start: dt.date, end: dt.date) -> tuple[str, list[Any]]:
    """FROM and WHERE of the filtered lines of agg_sales ordered in [start, end]."""
    where, params = segment_where(f, category="category")
    cur_where, cur_params = currency_where(ws, "agg_sales")
    return (
        f"FROM marts.agg_sales WHERE order_date BETWEEN ? AND ?{cur_where}{where}",
        [start, end, *cur_params, *params],
    )


def _totals(
    ws: Workspace, f: Filters, nums: Numbering, ranges: list[tuple[dt.date, dt.date]]
) -> tuple[list[list[float]], int]:
    """The figures of each day range, in one read of the lines (DuckDB aggregates: the lines
    themselves never leave it), and how many lines the ranges hold."""
    aggs = ", ".join(
        nums.figures(1, " FILTER (WHERE order_date BETWEEN ? AND ?)") for _ in ranges
    )
    source, params = _lines(ws, f, min(r[0] for r in ranges), max(r[1] for r in ranges))
    marks = [d for r in ranges for _ in range(4) for d in r]
    row = ws.cursor().execute(
        f"SELECT {aggs}, count(*) {source}", [*marks, *params]
    ).fetchone() or ()
    figures = [_figures(tuple(row[4 * i: 4 * i + 4])) for i in range(len(ranges))]
    return figures, int(row[-1]) if row else 0


def revenue(ws: Workspace, f: Filters, top_n: int = 10) -> Revenue:
    """Every figure aggregated in DuckDB over the filtered lines of agg_sales: the totals of
    both periods in one read, the breakdowns (period, category, product) in another."""
    p = f.previous()
    bounds = data_bounds(ws)
    end = complete_end(f, bounds)
    ranges = [(f.start, f.end), (p.start, p.end)]
    if f.start <= end < f.end:
        # A day still under way would read as a drop: compare the complete days only.
        n = dt.timedelta(days=(end - f.start).days + 1)
        ranges += [(f.start, end), (f.start - n, f.start - dt.timedelta(days=1))]
    nums = numbering(ws)
    totals, lines = _totals(ws, f, nums, ranges)
    nums = replace(nums, lines=lines)
    now, before = totals[0], totals[1]
    refunds = refunds_by_day(ws, f, p.start, f.end)
    by_period, by_category = _breakdowns(ws, f, nums)
    series = _series(by_period, f, bounds)
    kpis = (
        Kpi("revenue", "Revenue", now[0], before[0], "money", series["revenue"]),
        *_refund_kpis(refunds, f, now[0], before[0], series),
        Kpi("orders", "Orders", now[1], before[1], "count", series["orders"]),
        Kpi("aov", "Average order value", ratio(now[0], now[1]), ratio(before[0], before[1]),
            "money", series["aov"]),
        Kpi("buyers", "Buyers", now[2], before[2], "count", series["buyers"]),
        Kpi("units", "Units sold", now[3], before[3], "count", series["units"]),
    )
    if end < f.end:
        kpis = tuple(_complete_basis(k, totals[2:], f, end, refunds) for k in kpis)
    note = other_currencies_note(other_currencies(ws, f), marts_currency(ws))
    return Revenue(f, series, _by_category(by_category, now[0]),
                   _top_products(ws, f, nums, top_n), kpis, note)


_Rows = list[tuple[Any, ...]]


def _breakdowns(ws: Workspace, f: Filters, nums: Numbering) -> tuple[_Rows, _Rows]:
    """The range's figures per period of the grain and per category, from one grouping-sets
    read of the lines."""
    source, params = _lines(ws, f, f.start, f.end)
    groups = len(periods(f)) + nums.categories
    rows = ws.cursor().execute(
        f"SELECT grouping(period, category), period, category, {nums.figures(groups)} "
        f"FROM (SELECT {bucket_sql('order_date', f.grain)} AS period, * {source}) "
        "GROUP BY GROUPING SETS ((period), (category))",
        params,
    ).fetchall()
    # grouping() sets a bit per column left out: 0b01 kept the period, 0b10 the category.
    by_period = [(r[1], *_figures(r[3:])) for r in rows if r[0] == 0b01]
    by_category = [(r[2], *_figures(r[3:]), num(r[3])) for r in rows if r[0] == 0b10]
    return by_period, by_category


def _series(by_period: _Rows, f: Filters, bounds: DataBounds | None) -> TimeSeries:
    figures = {r[0]: list(r[1:5]) for r in by_period}
    ps = periods(f)
    zero = [0.0] * 4
    return TimeSeries(
        tuple(ps),
        {
            "revenue": tuple(figures.get(d, zero)[0] for d in ps),
            "orders": tuple(figures.get(d, zero)[1] for d in ps),
            "aov": tuple(ratio(*figures.get(d, zero)[:2]) for d in ps),
            "buyers": tuple(figures.get(d, zero)[2] for d in ps),
            "units": tuple(figures.get(d, zero)[3] for d in ps),
        },
        f.grain,
        partial=partial_periods(f, bounds),
    )


def _by_category(by_category: _Rows, total_revenue: float) -> Table:
    # (category, revenue, orders, buyers, units, unrounded revenue), by revenue.
    cats = sorted(by_category, key=lambda r: (-r[5], r[0]))
    return Table.of(
        ["category", "revenue", "orders", "units", "buyers", "share"],
        [(c, r, int(o), int(u), int(b), ratio(exact, total_revenue))
         for c, r, o, b, u, exact in cats],
    )


def _top_products(ws: Workspace, f: Filters, nums: Numbering, top_n: int) -> Table:
    """The best-selling products by revenue (then id): sums over every product, the distinct
    orders of the few shown only."""
    source, params = _lines(ws, f, f.start, f.end)
    top = ws.cursor().execute(
        f"SELECT product_id, min(category), sum(units), sum(revenue) AS revenue {source} "
        "GROUP BY product_id ORDER BY revenue DESC, product_id LIMIT ?",
        [*params, top_n],
    ).fetchall()
    ids = [r[0] for r in top]
    orders = dict(
        ws.cursor().execute(
            f"SELECT product_id, {nums.distinct('order_no', len(ids))} {source} "
            "AND list_contains(?, product_id) GROUP BY product_id",
            [*params, ids],
        ).fetchall()
    ) if ids else {}
    names = _names(ws, ids)
    return Table.of(
        ["product_id", "name", "category", "units", "orders", "revenue"],
        [(pid, names.get(pid), cat, int(u), int(orders.get(pid, 0)), round(num(r), 2))
         for pid, cat, u, r in top],
    )


def _refund_kpis(
    refunds: dict[dt.date, float], f: Filters, now: float, before: float, series: TimeSeries
) -> tuple[Kpi, ...]:
    """Net revenue and refunds, when there are refunds."""
    if not refunds:
        return ()
    p = f.previous()

    def refunded(start: dt.date, end: dt.date) -> float:
        return round(sum(v for d, v in refunds.items() if start <= d <= end), 2)

    by_bucket: dict[dt.date, float] = {}
    for day, value in refunds.items():
        if day >= f.start:
            key = bucket_of(day, f.grain)
            by_bucket[key] = by_bucket.get(key, 0.0) + value
    refund_series = tuple(round(by_bucket.get(d, 0.0), 2) for d in series.periods)
    r_now, r_before = refunded(f.start, f.end), refunded(p.start, p.end)
    return (
        Kpi("net_revenue", "Net revenue", round(now - r_now, 2),
            round(before - r_before, 2), "money",
            tuple(round((r or 0.0) - x, 2) for r, x in zip(series["revenue"], refund_series,
                                                          strict=True))),
        Kpi("refunds", "Refunds", r_now, r_before, "money", refund_series),
    )


def _complete_basis(
    k: Kpi, totals: list[list[float]], f: Filters, end: dt.date, refunds: dict[dt.date, float]
) -> Kpi:
    """The KPI's change over the complete days only (as the Overview compares them); ``totals``
    holds the figures of those days and of as many days before (none when no day of the range
    is complete), ``refunds`` the refunds per refund day."""
    index = {"revenue": 0, "orders": 1, "buyers": 2, "units": 3}
    if not totals:
        return replace(k, basis=(None, None), basis_note="No complete day in the range yet.")
    now, before = totals
    n = dt.timedelta(days=(end - f.start).days + 1)

    def refunded(start: dt.date, stop: dt.date) -> float:
        return round(sum(v for d, v in refunds.items() if start <= d <= stop), 2)

    r_now, r_before = refunded(f.start, end), refunded(f.start - n, f.start - dt.timedelta(days=1))
    if k.key == "aov":
        basis = (ratio(now[0], now[1]), ratio(before[0], before[1]))
    elif k.key in index:
        basis = (now[index[k.key]], before[index[k.key]])
    elif k.key == "net_revenue":
        basis = (round(now[0] - r_now, 2), round(before[0] - r_before, 2))
    elif k.key == "refunds":
        basis = (r_now, r_before)
    else:
        return k
    note = (f"Change over the complete days {f.start:%Y-%m-%d} … {end:%Y-%m-%d} against the "
            f"{n.days} days before; later days are incomplete.")
    return replace(k, basis=basis, basis_note=note)
