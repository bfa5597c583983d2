"""Revenue: revenue, orders, AOV and buyers per period, revenue by category (click to filter)
and the top 10 products."""

from __future__ import annotations

from functools import partial

from PySide6.QtWidgets import QHBoxLayout, QWidget

from shoplytics_desktop.core.analytics import Revenue, revenue
from shoplytics_desktop.core.analytics.filters import Filters
from shoplytics_desktop.core.analytics.types import top_n_other
from shoplytics_desktop.ui.dashboards.base import DashboardTab, Job
from shoplytics_desktop.ui.dashboards.kpi import KpiRow
from shoplytics_desktop.ui.dashboards.plots import BarChart, TimeChart
from shoplytics_desktop.ui.dashboards.style import fmt_pct
from shoplytics_desktop.ui.dashboards.tables import DataTable

NO_PURCHASES = "No purchases in this range."


class RevenueTab(DashboardTab):
    title = "Revenue"
    uses_category = True
    compares = True
    TOP_N = 10

    def __init__(self, currency: str = "USD", parent: QWidget | None = None) -> None:
        super().__init__(currency, parent)
        self.kpis = KpiRow(columns=5)
        self.revenue = TimeChart("Revenue", "money", currency, metric="revenue")
        self.orders = TimeChart("Orders and buyers", "count", currency, metric="orders")
        self.aov = TimeChart("Average order value", "money", currency, metric="aov")
        self.categories = BarChart("Revenue by category — click to filter", "money", currency,
                                   horizontal=True, metric="share")
        self.top_chart = BarChart("Top 10 products by revenue", "money", currency, horizontal=True,
                                  metric="revenue")
        self.top_table = DataTable(
            "Top 10 products",
            kinds={"units": "count", "orders": "count", "revenue": "money"},
            labels={"product_id": "Product"},
            currency=currency,
        )
        row1 = QHBoxLayout()
        row1.addWidget(self.orders)
        row1.addWidget(self.aov)
        row2 = QHBoxLayout()
        row2.addWidget(self.categories)
        row2.addWidget(self.top_chart)
        self.body.addWidget(self.kpis)
        self.body.addWidget(self.revenue, 1)
        self.body.addLayout(row1, 1)
        self.body.addLayout(row2, 1)
        self.body.addWidget(self.top_table, 1)
        self.top_table.setMinimumHeight(300)
        self.charts = [self.revenue, self.orders, self.aov, self.categories, self.top_chart]
        self.categories.clicked.connect(self._category_clicked)

    def _category_clicked(self, category: str) -> None:
        if not category.startswith("Other ("):
            self.drill.emit("category", category)

    def job(self, f: Filters) -> Job:
        return partial(revenue, f=f)

    def is_empty_result(self, result: Revenue) -> bool:
        return result.is_empty

    def draw(self, result: Revenue, compare: Revenue | None = None,
             compare_label: str = "") -> None:
        self.kpis.set_kpis(result.kpis, result.filters, self.currency, result.series.partial,
                           compare.kpis if compare is not None else None, compare_label)
        self.set_money_note(result.currency_note)
        s = result.series
        other = compare.series if compare is not None else None
        self.revenue.set_series(s, [("revenue", "Revenue")], bars=["revenue"],
                                empty_reason=NO_PURCHASES, compare=other,
                                compare_label=compare_label)
        self.orders.set_series(s, [("orders", "Orders"), ("buyers", "Buyers")],
                               empty_reason=NO_PURCHASES, compare=other,
                               compare_label=compare_label)
        self.aov.set_series(s, [("aov", "AOV")], empty_reason=NO_PURCHASES, compare=other,
                            compare_label=compare_label)
        cats = top_n_other(result.by_category, "category", self.TOP_N,
                           sums=["revenue", "units", "share"])
        self.categories.set_bars(
            cats.column("category"), [("Revenue", cats.column("revenue"))], cats, NO_PURCHASES,
            notes=[f"{fmt_pct(v)}" for v in cats.column("share")],
            highlight=result.filters.single("category"),
        )
        top = result.top_products
        names = [f"{n or p}" for p, n in zip(top.column("product_id"), top.column("name"),
                                            strict=True)]
        self.top_chart.set_bars(names, [("Revenue", top.column("revenue"))], top, NO_PURCHASES)
        self.top_table.set_table(top, NO_PURCHASES, sort_column="revenue")


