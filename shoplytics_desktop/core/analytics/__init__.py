"""The queries behind every chart and KPI, returning plain data (no Qt).

Every dashboard query reads marts only (fct_* and the pre-aggregated agg_* tables of
sql_models/marts/_dashboards.yml), so a redraw never scans events. Each function takes a
``Filters`` (date range, segments, category, grain) and returns a frozen dataclass; KPIs carry
the previous period of the same length.

Why these aggregates, and why they stay exact under filters:

- Distinct users over trailing windows (DAU/WAU/MAU) cannot be summed across segments or days.
  The filters are single-valued per dimension, so ``agg_engagement_segments`` precomputes the
  cells of all users and of every one-dimension filter (device, country or traffic source, the
  others '*'): the usual filtered engagement view is a lookup of ~one row per day. Filters on two
  or three dimensions select a small part of ``agg_user_day`` (user × day × segment, with an
  integer user key), which ``engagement_daily`` counts with the same start/end-marker running
  sum over the period shown plus 29 days. The all-'*' cell equals fct_daily_engagement, and a
  test checks both paths against a brute-force distinct count.
- Revenue, orders, AOV and buyers come from ``agg_sales`` (purchase lines per order × product ×
  segment): small (orders, not events), and it keeps order and user ids, so orders and buyers
  are exact distinct counts under any filter and grain. Totals agree with fct_orders/fct_revenue.
- Sessions, session conversion (sessions with a purchase / sessions; not the funnel completion) and session durations come from
  ``agg_sessions_day`` (day × segment × log2 duration bin); the funnel from fct_funnel (each
  session lives in one row, so sums are exact); hour × weekday activity from
  ``agg_activity_hour``; product performance by date from ``agg_product_day``; time to first
  purchase from ``agg_buyers``; cohorts from fct_cohort_retention.
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
