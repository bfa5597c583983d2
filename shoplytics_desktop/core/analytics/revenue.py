"""Revenue, orders, AOV and buyers from agg_sales (purchase lines per order × product × segment),
exact under every filter: revenue adds up, orders and buyers are distinct counts."""

from __future__ import annotations

from dataclasses import dataclass

from shoplytics_desktop.core.analytics.filters import Filters, bucket_sql, periods, segment_where
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

    def kpi(self, key: str) -> Kpi:
        return next(k for k in self.kpis if k.key == key)

    @property
    def is_empty(self) -> bool:
        return not self.kpi("orders").value


def _names(ws: Workspace) -> tuple[str, str]:
    """A join to product names when dim_products exists (it is optional for the dashboards)."""
    row = ws.cursor().execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'marts' "
        "AND table_name = 'dim_products'"
    ).fetchone()
    if row and row[0]:
        return "LEFT JOIN marts.dim_products AS d ON d.product_id = t.product_id", "d.name"
    return "", "NULL"


def revenue(ws: Workspace, f: Filters, top_n: int = 10) -> Revenue:
    cur = ws.cursor()
    where, params = segment_where(f, category="category")
    p = f.previous()
    tot = cur.execute(
        "SELECT order_date >= ?, sum(revenue), count(DISTINCT order_key), "
        "count(DISTINCT user_id), sum(units) FROM marts.agg_sales "
        f"WHERE order_date BETWEEN ? AND ?{where} GROUP BY 1",
        [f.start, p.start, f.end, *params],
    ).fetchall()
    cur_prev = {bool(r[0]): [num(v) for v in r[1:]] for r in tot}
    now, before = cur_prev.get(True, [0.0] * 4), cur_prev.get(False, [0.0] * 4)

    bucket = bucket_sql("order_date", f.grain)
    by_period = {
        r[0]: [num(v) for v in r[1:]]
        for r in cur.execute(
            f"SELECT {bucket}, sum(revenue), count(DISTINCT order_key), count(DISTINCT user_id), "
            f"sum(units) FROM marts.agg_sales WHERE order_date BETWEEN ? AND ?{where} GROUP BY 1",
            [f.start, f.end, *params],
        ).fetchall()
    }
    ps = periods(f)
    zero = [0.0] * 4
    series = TimeSeries(
        tuple(ps),
        {
            "revenue": tuple(by_period.get(d, zero)[0] for d in ps),
            "orders": tuple(by_period.get(d, zero)[1] for d in ps),
            "aov": tuple(ratio(*by_period.get(d, zero)[:2]) for d in ps),
            "buyers": tuple(by_period.get(d, zero)[2] for d in ps),
            "units": tuple(by_period.get(d, zero)[3] for d in ps),
        },
        f.grain,
    )

    cats = cur.execute(
        "SELECT category, sum(revenue), count(DISTINCT order_key), sum(units), "
        f"count(DISTINCT user_id) FROM marts.agg_sales WHERE order_date BETWEEN ? AND ?{where} "
        "GROUP BY 1 ORDER BY 2 DESC, 1",
        [f.start, f.end, *params],
    ).fetchall()
    by_category = Table.of(
        ["category", "revenue", "orders", "units", "buyers", "share"],
        [(c, num(r), int(o), int(u), int(b), ratio(num(r), now[0])) for c, r, o, u, b in cats],
    )

    join, name = _names(ws)
    t_where, t_params = segment_where(
        f, {s: f"t.{s}" for s in ("device", "country", "traffic_source")}, "t.category"
    )
    top = cur.execute(
        f"SELECT t.product_id, {name}, any_value(t.category), sum(t.units), "
        f"count(DISTINCT t.order_key), sum(t.revenue) AS revenue FROM marts.agg_sales AS t {join} "
        f"WHERE t.order_date BETWEEN ? AND ?{t_where} "
        f"GROUP BY t.product_id, {name} ORDER BY revenue DESC, t.product_id LIMIT {int(top_n)}",
        [f.start, f.end, *t_params],
    ).fetchall()
    top_products = Table.of(
        ["product_id", "name", "category", "units", "orders", "revenue"],
        [(r[0], r[1], r[2], int(r[3]), int(r[4]), num(r[5])) for r in top],
    )

    kpis = (
        Kpi("revenue", "Revenue", now[0], before[0], "money", series["revenue"]),
        Kpi("orders", "Orders", now[1], before[1], "count", series["orders"]),
        Kpi("aov", "Average order value", ratio(now[0], now[1]), ratio(before[0], before[1]),
            "money", series["aov"]),
        Kpi("buyers", "Buyers", now[2], before[2], "count", series["buyers"]),
        Kpi("units", "Units sold", now[3], before[3], "count", series["units"]),
    )
    return Revenue(f, series, by_category, top_products, kpis)
