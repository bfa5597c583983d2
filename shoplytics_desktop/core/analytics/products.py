"""Product performance over the date range from agg_product_day (METRICS.md §3 rates), with
names and brands from dim_products when it exists. Segment filters do not apply: product
interactions are aggregated per product and day only."""

from __future__ import annotations

from dataclasses import dataclass

from shoplytics_desktop.core.analytics.filters import Filters
from shoplytics_desktop.core.analytics.types import Table, num, ratio
from shoplytics_desktop.core.workspace import Workspace

PRODUCT_COLUMNS = (
    "product_id", "name", "category", "brand", "views", "add_to_carts", "units_sold", "revenue",
    "view_to_cart_rate", "cart_to_purchase_rate",
)
CATEGORY_COLUMNS = (
    "category", "views", "add_to_carts", "units_sold", "revenue", "view_to_cart_rate",
    "cart_to_purchase_rate", "view_to_purchase_rate",
)


@dataclass(frozen=True)
class Products:
    filters: Filters
    #: One row per product with any interaction in the range, by revenue.
    table: Table
    #: view → cart → purchase rates per category, by views.
    by_category: Table

    @property
    def is_empty(self) -> bool:
        return len(self.table) == 0


def products(ws: Workspace, f: Filters) -> Products:
    cur = ws.cursor()
    has_dim = cur.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'marts' "
        "AND table_name = 'dim_products'"
    ).fetchone()
    join = (
        "LEFT JOIN marts.dim_products AS d ON d.product_id = p.product_id"
        if has_dim and has_dim[0] else ""
    )
    name, brand = ("d.name", "d.brand") if join else ("NULL", "NULL")
    cat_where = " AND category = ?" if f.category is not None else ""
    params: list[object] = [f.start, f.end] + ([f.category] if f.category is not None else [])
    # Aggregate first, then join the few thousand products to their names.
    rows = cur.execute(
        f"""
        WITH p AS (
            SELECT product_id, any_value(category) AS category, sum(views) AS views,
                   sum(add_to_carts) AS add_to_carts, sum(units_sold) AS units_sold,
                   sum(revenue) AS revenue
            FROM marts.agg_product_day
            WHERE activity_date BETWEEN ? AND ?{cat_where}
            GROUP BY product_id
        )
        SELECT p.product_id, {name}, p.category, {brand}, p.views, p.add_to_carts,
               p.units_sold, p.revenue
        FROM p {join}
        ORDER BY p.revenue DESC, p.views DESC, p.product_id
        """,
        params,
    ).fetchall()
    table = Table.of(
        PRODUCT_COLUMNS,
        [
            (pid, nm, cat, br, int(v), int(c), int(u), num(r), ratio(c, v), ratio(u, c))
            for pid, nm, cat, br, v, c, u, r in rows
        ],
    )
    sums: dict[str, list[float]] = {}
    for _, _, cat, _, v, c, u, r in rows:
        acc = sums.setdefault(cat, [0, 0, 0, 0.0])
        acc[0] += int(v)
        acc[1] += int(c)
        acc[2] += int(u)
        acc[3] += num(r)
    ordered = sorted(sums.items(), key=lambda kv: (-kv[1][0], kv[0]))
    by_category = Table.of(
        CATEGORY_COLUMNS,
        [
            (c, int(v), int(a), int(u), round(r, 2), ratio(a, v), ratio(u, a), ratio(u, v))
            for c, (v, a, u, r) in ordered
        ],
    )
    return Products(f, table, by_category)
