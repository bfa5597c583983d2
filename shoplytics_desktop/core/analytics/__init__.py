"""The queries behind every chart and KPI, returning plain data (no Qt).

Every dashboard query reads marts only (fct_* and the pre-aggregated agg_* tables), so a redraw
never scans events. Each function takes a ``Filters`` (date range, segments, category, grain)
and returns a frozen dataclass; KPIs carry the previous period of the same length.
"""

from shoplytics_desktop.core.analytics.behaviour import Behaviour, behaviour
from shoplytics_desktop.core.analytics.cohorts import Cohorts, cohorts
from shoplytics_desktop.core.analytics.filters import (
    GRAINS,
    PRESETS,
    SEGMENTS,
    Filters,
    Grain,
    resolve_preset,
)
from shoplytics_desktop.core.analytics.funnel import Funnel, FunnelStep, funnel
from shoplytics_desktop.core.analytics.headline import Headline, headline, headline_kpis
from shoplytics_desktop.core.analytics.overview import Engagement, Overview, engagement, overview
from shoplytics_desktop.core.analytics.products import Products, products
from shoplytics_desktop.core.analytics.revenue import Revenue, revenue
from shoplytics_desktop.core.analytics.status import DashboardStatus, dashboard_status
from shoplytics_desktop.core.analytics.types import Kpi, Table, TimeSeries

__all__ = [
    "GRAINS",
    "PRESETS",
    "SEGMENTS",
    "Behaviour",
    "Cohorts",
    "DashboardStatus",
    "Engagement",
    "Filters",
    "Funnel",
    "FunnelStep",
    "Grain",
    "Headline",
    "Kpi",
    "Overview",
    "Products",
    "Revenue",
    "Table",
    "TimeSeries",
    "behaviour",
    "cohorts",
    "dashboard_status",
    "engagement",
    "funnel",
    "headline",
    "headline_kpis",
    "overview",
    "products",
    "resolve_preset",
    "revenue",
]
