"""Revenue, orders, AOV and buyers from agg_sales (purchase lines per order × product × segment),
exact under every filter: revenue adds up, orders and buyers are distinct counts. Money is in the
workspace currency only (never summed across currencies): refunds and net revenue join where
there are refunds, and ``currency_note`` says how much is in other currencies."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from shoplytics_desktop.core.analytics.filters import Filters, bucket_of, periods, segment_where
from shoplytics_desktop.core.analytics.money import (
    currency_where,
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
from shoplytics_desktop.core.analytics.types import Kpi, Table, TimeSeries, ratio
from shoplytics_desktop.core.sqlutil import to_polars
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


_BUCKET = {"day": "1d", "week": "1w", "month": "1mo"}


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


def _totals(frame: pl.DataFrame) -> list[float]:
    if frame.is_empty():
        return [0.0, 0.0, 0.0, 0.0]
    row = frame.select(
        pl.col("revenue").sum(), pl.col("order_key").n_unique(), pl.col("user_id").n_unique(),
        pl.col("units").sum(),
    ).row(0)
    return [round(float(row[0]), 2), float(row[1]), float(row[2]), float(row[3])]


def revenue(ws: Workspace, f: Filters, top_n: int = 10) -> Revenue:
    """One read of the filtered purchase lines of both periods (orders, not events: small), then
    every figure in polars, where distinct counts over a few hundred thousand rows are cheap."""
    where, params = segment_where(f, category="category")
    cur_where, cur_params = currency_where(ws, "agg_sales")
    p = f.previous()
    lines = to_polars(
        ws.cursor().sql(
            "SELECT order_date, order_no AS order_key, user_no AS user_id, product_id, category, "
            "CAST(units AS BIGINT) AS units, CAST(revenue AS DOUBLE) AS revenue "
            f"FROM marts.agg_sales WHERE order_date BETWEEN ? AND ?{cur_where}{where}",
            params=[p.start, f.end, *cur_params, *params],
        )
    )
    refunds = refunds_by_day(ws, f, p.start, f.end)
    now_lines = lines.filter(pl.col("order_date") >= f.start)
    now = _totals(now_lines)
    before = _totals(lines.filter(pl.col("order_date") < f.start))
    bounds = data_bounds(ws)
    series = _series(now_lines, f, bounds)
    by_category = _by_category(now_lines, now[0])
    top_products = _top_products(ws, now_lines, top_n)
    kpis = (
        Kpi("revenue", "Revenue", now[0], before[0], "money", series["revenue"]),
        *_refund_kpis(refunds, f, now[0], before[0], series),
        Kpi("orders", "Orders", now[1], before[1], "count", series["orders"]),
        Kpi("aov", "Average order value", ratio(now[0], now[1]), ratio(before[0], before[1]),
            "money", series["aov"]),
        Kpi("buyers", "Buyers", now[2], before[2], "count", series["buyers"]),
        Kpi("units", "Units sold", now[3], before[3], "count", series["units"]),
    )
    end = complete_end(f, bounds)
    if end < f.end:
        # A day still under way would read as a drop: compare the complete days only.
        kpis = tuple(_complete_basis(k, lines, f, end) for k in kpis)
    note = other_currencies_note(other_currencies(ws, f), ws.settings.currency)
    return Revenue(f, series, by_category, top_products, kpis, note)


def _series(now_lines: pl.DataFrame, f: Filters, bounds: DataBounds | None) -> TimeSeries:
    by_period = {
        r[0]: [round(float(r[1]), 2), float(r[2]), float(r[3]), float(r[4])]
        for r in now_lines.group_by(
            pl.col("order_date").dt.truncate(_BUCKET[f.grain]).alias("period")
        ).agg(
            pl.col("revenue").sum(), pl.col("order_key").n_unique(),
            pl.col("user_id").n_unique(), pl.col("units").sum(),
        ).iter_rows()
    }
    ps = periods(f)
    zero = [0.0] * 4
    return TimeSeries(
        tuple(ps),
        {
            "revenue": tuple(by_period.get(d, zero)[0] for d in ps),
            "orders": tuple(by_period.get(d, zero)[1] for d in ps),
            "aov": tuple(ratio(*by_period.get(d, zero)[:2]) for d in ps),
            "buyers": tuple(by_period.get(d, zero)[2] for d in ps),
            "units": tuple(by_period.get(d, zero)[3] for d in ps),
        },
        f.grain,
        partial=partial_periods(f, bounds),
    )


def _by_category(now_lines: pl.DataFrame, total_revenue: float) -> Table:
    cats = (
        now_lines.group_by("category")
        .agg(pl.col("revenue").sum(), pl.col("order_key").n_unique().alias("orders"),
             pl.col("units").sum(), pl.col("user_id").n_unique().alias("buyers"))
        .sort(["revenue", "category"], descending=[True, False])
    )
    return Table.of(
        ["category", "revenue", "orders", "units", "buyers", "share"],
        [(c, round(r, 2), int(o), int(u), int(b), ratio(r, total_revenue))
         for c, r, o, u, b in cats.iter_rows()],
    )


def _top_products(ws: Workspace, now_lines: pl.DataFrame, top_n: int) -> Table:
    top = (
        now_lines.group_by("product_id")
        .agg(pl.col("category").first(), pl.col("units").sum(),
             pl.col("order_key").n_unique().alias("orders"), pl.col("revenue").sum())
        .sort(["revenue", "product_id"], descending=[True, False])
        .head(top_n)
    )
    names = _names(ws, top["product_id"].to_list())
    return Table.of(
        ["product_id", "name", "category", "units", "orders", "revenue"],
        [(pid, names.get(pid), cat, int(u), int(o), round(r, 2))
         for pid, cat, u, o, r in top.iter_rows()],
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


def _complete_basis(k: Kpi, lines: pl.DataFrame, f: Filters, end: dt.date) -> Kpi:
    from dataclasses import replace

    index = {"revenue": 0, "orders": 1, "buyers": 2, "units": 3}
    if end < f.start:
        return replace(k, basis=(None, None), basis_note="No complete day in the range yet.")
    n = dt.timedelta(days=(end - f.start).days + 1)
    now = _totals(lines.filter(pl.col("order_date").is_between(f.start, end)))
    before = _totals(lines.filter(pl.col("order_date").is_between(f.start - n, f.start - dt.timedelta(days=1))))
    if k.key == "aov":
        basis = (ratio(now[0], now[1]), ratio(before[0], before[1]))
    elif k.key in index:
        basis = (now[index[k.key]], before[index[k.key]])
    else:
        return k  # refunds are read per refund day: left as they are
    note = (f"Change over the complete days {f.start:%Y-%m-%d} … {end:%Y-%m-%d} against the "
            f"{n.days} days before; later days are incomplete.")
    return replace(k, basis=basis, basis_note=note)
