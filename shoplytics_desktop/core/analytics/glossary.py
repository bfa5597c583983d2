"""One definition per metric, as METRICS.md §3 states it: the tooltips of every KPI, chart title
and table header read it, and docs/metrics.md is written from it (a test keeps the two equal).

Rates are shares of distinct sessions or users, so they lie between 0 % and 100 %."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    key: str
    name: str
    definition: str
    formula: str

    def tooltip(self) -> str:
        return f"<b>{self.name}</b><br>{self.definition}<br><i>{self.formula}</i>"


_M = Metric

METRICS: tuple[Metric, ...] = (
    # -- money and orders
    _M("revenue", "Revenue",
       "Money from purchases in the workspace currency (other currencies are never added in).",
       "Σ price × quantity over purchase events"),
    _M("refunds", "Refunds", "Money given back, on the day of the refund.",
       "Σ price × quantity over refund events"),
    _M("net_revenue", "Net revenue", "Revenue after refunds.", "revenue − refunds"),
    _M("orders", "Orders",
       "Distinct orders; purchase events without an order id form one order per session.",
       "count(distinct order_id)"),
    _M("aov", "Average order value", "Revenue per order.", "revenue / orders"),
    _M("buyers", "Buyers", "Distinct users with at least one order.",
       "count(distinct user_id) over orders"),
    _M("units", "Units sold", "Items bought.", "Σ quantity over purchase events"),
    _M("share", "Share of revenue", "The category's part of the range's revenue.",
       "category revenue / revenue"),
    # -- sessions and conversion
    _M("sessions", "Sessions",
       "Visits: the source's session, or events of a user with no gap over 30 minutes. "
       "A session belongs to the day of its first event.",
       "count(distinct session)"),
    _M("conversion", "Session conversion",
       "Share of sessions with at least one purchase (not the funnel completion).",
       "sessions with a purchase / sessions"),
    _M("funnel_completion", "Funnel completion",
       "Share of sessions reaching the last funnel step, every step in order (not the session "
       "conversion: a session can buy without passing every step).",
       "sessions reaching the last step / sessions"),
    _M("view_to_purchase", "Product view → purchase",
       "Of the sessions that viewed a product, the share that went on to purchase.",
       "purchase sessions / product view sessions"),
    _M("step_conversion", "Step conversion", "Of the sessions at the previous step, the share "
       "that reached this one.", "step k sessions / step k−1 sessions"),
    _M("drop_off", "Drop-off", "Of the sessions at the previous step, the share that stopped.",
       "1 − step conversion"),
    _M("share_of_sessions", "Share of sessions", "Sessions at this step out of all sessions.",
       "step k sessions / sessions"),
    _M("product_view_sessions", "Product view", "Sessions with a product view (funnel step 1).",
       "count(distinct session) with product_view"),
    _M("add_to_cart_sessions", "Add to cart",
       "Sessions that added to cart after a product view (step 2).",
       "count(distinct session) reaching step 2"),
    _M("checkout_sessions", "Checkout", "Sessions that began checkout after carting (step 3).",
       "count(distinct session) reaching step 3"),
    _M("purchase_sessions", "Purchase", "Sessions that purchased after checkout (step 4).",
       "count(distinct session) reaching step 4"),
    _M("bounce_rate", "Bounce rate", "Share of sessions with one event (they last 0 s).",
       "one-event sessions / sessions"),
    _M("avg_session_s", "Average session duration",
       "Mean time from a session's first to its last event.",
       "Σ (last − first event time) / sessions"),
    _M("session_duration", "Session duration",
       "Sessions by their duration (last − first event time), in log-scale bins.",
       "sessions per duration bin"),
    _M("time_to_first_purchase", "Time to first purchase",
       "Buyers by the time from their first-ever event to their first purchase.",
       "first purchase time − first event time"),
    _M("events", "Events", "Tracked events of every type (page views, carts, purchases …).",
       "count(events)"),
    # -- users
    _M("dau", "DAU", "Daily active users: distinct users with an event on the day.",
       "count(distinct user) on day d"),
    _M("wau", "WAU", "Weekly active users: distinct users with an event in the 7 days ending "
       "on the day (a trailing window, never a sum of days).", "count(distinct user) in [d−6, d]"),
    _M("mau", "MAU", "Monthly active users: distinct users with an event in the 30 days ending "
       "on the day.", "count(distinct user) in [d−29, d]"),
    _M("stickiness", "DAU/MAU stickiness",
       "How many of the month's users come back on a given day; a period's figure is the mean "
       "of its days whose MAU window is full.", "DAU / MAU"),
    _M("new_users", "New users", "Users whose first-ever event falls on the day.",
       "count(users with first event on d)"),
    _M("returning_users", "Returning users", "Active users who were seen before the day.",
       "DAU − new users"),
    # -- products
    _M("views", "Views", "Product view events.", "count(product_view events)"),
    _M("add_to_carts", "Carts", "Add-to-cart events.", "count(add_to_cart events)"),
    _M("units_sold", "Units", "Items of the product bought.", "Σ quantity of purchases"),
    _M("view_to_cart_rate", "View → cart",
       "Of the sessions that viewed the product, the share that carted it afterwards.",
       "sessions viewing then carting / sessions viewing"),
    _M("cart_to_purchase_rate", "Cart → purchase",
       "Of the sessions that carted the product, the share that bought it afterwards.",
       "sessions carting then buying / sessions carting"),
    _M("view_to_purchase_rate", "View → purchase",
       "Of the sessions that viewed the product, the share that bought it afterwards.",
       "sessions viewing then buying / sessions viewing"),
    _M("view_sessions", "Viewing sessions", "Sessions that viewed the product.",
       "count(distinct session) with a view of it"),
    _M("view_to_cart_sessions", "Viewed, then carted", "Sessions that viewed the product and "
       "carted it afterwards.", "count(distinct session)"),
    _M("view_to_purchase_sessions", "Viewed, then bought", "Sessions that viewed the product "
       "and bought it afterwards.", "count(distinct session)"),
    _M("cart_sessions", "Carting sessions", "Sessions that carted the product.",
       "count(distinct session) with a cart of it"),
    _M("cart_to_purchase_sessions", "Carted, then bought", "Sessions that carted the product and "
       "bought it afterwards.", "count(distinct session)"),
    # -- cohorts
    _M("cohort_size", "Cohort size", "Users whose first-ever event falls in the cohort week.",
       "count(users with first event in the week)"),
    _M("retention", "Retention",
       "Of a cohort's users, the share active in week n after their first week (week 0 is "
       "always 100 %); the average weighs cohorts by size and leaves out weeks not over yet.",
       "active users in week n / cohort size"),
)

GLOSSARY: dict[str, Metric] = {m.key: m for m in METRICS}

#: Names the dashboards use for the same metric.
ALIASES = {
    "completion": "funnel_completion",
    "avg_dau": "dau",
    "step_conversion_rate": "step_conversion",
}


def metric(key: str) -> Metric | None:
    return GLOSSARY.get(ALIASES.get(key, key))


def tooltip(key: str) -> str:
    m = metric(key)
    return m.tooltip() if m is not None else ""


def markdown() -> str:
    """docs/metrics.md: every metric, for users."""
    lines = [
        "# Metrics",
        "",
        "What every number on the dashboards means. Hover a KPI, a chart title or a table "
        "header in the app to see the same definition. Rates are shares of distinct sessions "
        "or users, between 0 % and 100 %. Periods that are not over yet (a week cut by the "
        "range, the current cohort week, a day still under way, MAU windows still filling up) "
        "are drawn dotted or hatched and left out of averages and changes.",
        "",
        "On a KPI card: the figure over the range; the change against the previous period of "
        "the same length; with a comparison chosen (say, the same period last year), the figure "
        "over that period and the change against it; and a sparkline of the figure per period, "
        "whose dashed line is the average of the complete periods (a dotted last point is a "
        "period not over yet, left out of that average). Numbers follow the computer's "
        "language and region settings (thousands and decimal separators, where the currency "
        "goes); money shows its currency's symbol, or its code where the symbol is shared "
        "(CA$, CHF).",
        "",
        "The rows behind a figure open on the Data page: right-click a period bar or a KPI card, "
        "double-click a category or product bar, or click a cell of the weekday × hour heatmap.",
        "",
        "This file is generated from `shoplytics_desktop/core/analytics/glossary.py`.",
        "",
        "| Metric | Definition | Formula |",
        "|---|---|---|",
    ]
    lines += [f"| {m.name} | {m.definition} | `{m.formula}` |" for m in METRICS]
    return "\n".join(lines) + "\n"
