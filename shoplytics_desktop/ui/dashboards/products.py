"""Products: a sortable, searchable table of product performance over the range, and the
view → cart → purchase rates by category (click a category to filter)."""

from __future__ import annotations

from functools import partial

from PySide6.QtWidgets import QWidget

from shoplytics_desktop.core.analytics import Products, products
from shoplytics_desktop.core.analytics.filters import Filters
from shoplytics_desktop.core.analytics.types import top_n_other
from shoplytics_desktop.ui.dashboards.base import DashboardTab, Job
from shoplytics_desktop.ui.dashboards.plots import BarChart
from shoplytics_desktop.ui.dashboards.tables import DataTable

RATES = (
    ("view_to_cart_rate", "View → cart"),
    ("cart_to_purchase_rate", "Cart → purchase"),
    ("view_to_purchase_rate", "View → purchase"),
)


class ProductsTab(DashboardTab):
    title = "Products"
    uses_segments = False
    uses_category = True

    def __init__(self, currency: str = "USD", parent: QWidget | None = None) -> None:
        super().__init__(currency, parent)
        self.table = DataTable(
            "Product performance",
            kinds={"views": "count", "add_to_carts": "count", "units_sold": "count",
                   "revenue": "money", "view_to_cart_rate": "rate",
                   "cart_to_purchase_rate": "rate"},
            labels={"product_id": "Product", "add_to_carts": "Carts", "units_sold": "Units",
                    "view_to_cart_rate": "View → cart", "cart_to_purchase_rate": "Cart → purchase"},
            searchable=True,
            currency=currency,
        )
        self.table.setMinimumHeight(380)
        self.rates = BarChart(
            "View → cart → purchase, shares of sessions, by category — click to filter", "rate",
            currency, horizontal=True, metric="view_to_cart_rate",
        )
        self.body.addWidget(self.table, 2)
        self.body.addWidget(self.rates, 1)
        self.charts = [self.rates]
        self.rates.clicked.connect(
            lambda c: None if c.startswith("Other (") else self.drill.emit("category", c))

    def ignore_reason(self) -> str:
        return "product interactions are aggregated per product and day, not per segment."

    def job(self, f: Filters) -> Job:
        return partial(products, f=f)

    def is_empty_result(self, result: Products) -> bool:
        return result.is_empty

    def draw(self, result: Products, compare: object = None, compare_label: str = "") -> None:
        self.table.set_table(result.table, "No product views, carts or purchases in this range.",
                             sort_column="revenue")
        # Many categories (hundreds of raw ids in some sources): the top ones and "Other".
        cats = top_n_other(
            result.by_category, "category", 12,
            sums=["views", "add_to_carts", "units_sold", "revenue", "view_sessions",
                  "view_to_cart_sessions", "view_to_purchase_sessions", "cart_sessions",
                  "cart_to_purchase_sessions"],
            ratios={"view_to_cart_rate": ("view_to_cart_sessions", "view_sessions"),
                    "cart_to_purchase_rate": ("cart_to_purchase_sessions", "cart_sessions"),
                    "view_to_purchase_rate": ("view_to_purchase_sessions", "view_sessions")},
        )
        self.rates.set_bars(
            cats.column("category"), [(label, cats.column(col)) for col, label in RATES], cats,
            "No product views in this range.",
        )
