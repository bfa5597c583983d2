"""Product performance over the date range from agg_product_day (METRICS.md §3 rates), with
names and brands from dim_products when it exists. Segment filters do not apply: product
interactions are aggregated per product and day only.

The rates are shares of sessions: of the sessions that viewed (carted) a product, those that
carted (bought) it afterwards. Per category they are shares of the category's session × product
pairs. Where the workspace has no carts at all, the view-to-cart rate is null, not 0."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from shoplytics_desktop.core.analytics.filters import Filters, dimension_sql
from shoplytics_desktop.core.analytics.types import Table, num, ratio
from shoplytics_desktop.core.workspace import Workspace

PRODUCT_COLUMNS = (
    "product_id", "name", "category", "brand", "views", "add_to_carts", "units_sold", "revenue",
    "view_to_cart_rate", "cart_to_purchase_rate",
)
CATEGORY_COLUMNS = (
    "category", "views", "add_to_carts", "units_sold", "revenue", "view_to_cart_rate",
    "cart_to_purchase_rate", "view_to_purchase_rate",
    # The session counts behind the rates (so that categories can be added up exactly).
    "view_sessions", "view_to_cart_sessions", "view_to_purchase_sessions", "cart_sessions",
    "cart_to_purchase_sessions",
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
    cat_cond, cat_params = dimension_sql(f, "category", "category")
    cat_where = f" AND {cat_cond}" if cat_cond else ""
    params: list[object] = [f.start, f.end, *cat_params]
    # Aggregate first, then join the few thousand products to their names.
    rows = cur.execute(
        f"""
        WITH p AS (
            SELECT product_id, any_value(category) AS category, sum(views) AS views,
                   sum(add_to_carts) AS add_to_carts, sum(units_sold) AS units_sold,
                   sum(revenue) AS revenue, sum(view_sessions) AS view_sessions,
                   sum(view_to_cart_sessions) AS view_to_cart_sessions,
                   sum(view_to_purchase_sessions) AS view_to_purchase_sessions,
                   sum(cart_sessions) AS cart_sessions,
                   sum(cart_to_purchase_sessions) AS cart_to_purchase_sessions
            FROM marts.agg_product_day
            WHERE activity_date BETWEEN ? AND ?{cat_where}
            GROUP BY product_id
        )
        SELECT p.product_id, {name}, p.category, {brand}, p.views, p.add_to_carts,
               p.units_sold, p.revenue, p.view_sessions, p.view_to_cart_sessions,
               p.view_to_purchase_sessions, p.cart_sessions, p.cart_to_purchase_sessions
        FROM p {join}
        ORDER BY p.revenue DESC, p.views DESC, p.product_id
        """,
        params,
    ).fetchall()
    has_carts = _workspace_has_carts(cur)

    def v2c(vc: float, vs: float) -> float | None:
        return ratio(vc, vs) if has_carts else None

    table = Table.of(
        PRODUCT_COLUMNS,
        [
            (pid, nm, cat, br, int(v), int(c), int(u), num(r), v2c(vc, vs), ratio(cp, cs))
            for pid, nm, cat, br, v, c, u, r, vs, vc, _vp, cs, cp in rows
        ],
    )
    sums: dict[str, list[float]] = {}
    for row in rows:
        cat = row[2]
        acc = sums.setdefault(cat, [0, 0, 0, 0.0, 0, 0, 0, 0, 0])
        for i, value in enumerate(row[4:]):
            acc[i] += num(value) if i == 3 else int(value)
    ordered = sorted(sums.items(), key=lambda kv: (-kv[1][0], kv[0]))
    by_category = Table.of(
        CATEGORY_COLUMNS,
        [
            (c, int(v), int(a), int(u), round(r, 2), v2c(vc, vs), ratio(cp, cs), ratio(vp, vs),
             int(vs), int(vc), int(vp), int(cs), int(cp))
            for c, (v, a, u, r, vs, vc, vp, cs, cp) in ordered
        ],
    )
    return Products(f, table, by_category)


def _workspace_has_carts(cur: duckdb.DuckDBPyConnection) -> bool:
    """Whether any product was ever carted (dim_products counts every product's carts)."""
    rows = cur.execute(
        "SELECT 1 FROM marts.agg_product_day WHERE add_to_carts > 0 LIMIT 1"
    ).fetchall()  # fetchall: a cursor holds one open result at a time
    return bool(rows)
