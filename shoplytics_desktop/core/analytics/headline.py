"""The queries behind every chart and KPI, returning plain data (no Qt)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from shoplytics_desktop.core.workspace import Workspace


@dataclass(frozen=True)
class Headline:
    first_day: str
    last_day: str
    events: int
    users: int
    sessions: int
    orders: int
    buyers: int
    revenue: float
    aov: float | None
    conversion_rate: float | None
    stickiness: float | None
    #: Refunds in the workspace currency (revenue is too).
    refunds: float = 0.0
    #: Revenue in other currencies, left out of the figures above: (currency, revenue).
    other_currencies: tuple[tuple[str, float], ...] = ()

    def as_lines(self, currency: str = "USD") -> dict[str, str]:
        def pct(v: float | None) -> str:
            return "—" if v is None else f"{100 * v:.2f}%"

        lines = {
            "period": f"{self.first_day} … {self.last_day}",
            "events": f"{self.events:,}",
            "users": f"{self.users:,}",
            "sessions": f"{self.sessions:,}",
            "orders": f"{self.orders:,}",
            "buyers": f"{self.buyers:,}",
            "revenue": f"{self.revenue:,.2f} {currency}",
        }
        if self.refunds:
            lines["refunds"] = f"{self.refunds:,.2f} {currency}"
            lines["net revenue"] = f"{self.revenue - self.refunds:,.2f} {currency}"
        lines |= {
            "AOV": "—" if self.aov is None else f"{self.aov:,.2f} {currency}",
            "session conversion": pct(self.conversion_rate),
            "DAU/MAU stickiness": pct(self.stickiness),
        }
        if self.other_currencies:
            lines["other currencies (not included)"] = ", ".join(
                f"{v:,.2f} {c}" for c, v in self.other_currencies
            )
        return lines


def headline(ws: Workspace) -> Headline:
    """Whole-period KPIs from the marts (METRICS.md semantics)."""
    cur = ws.cursor()
    row = cur.execute(
        """
        SELECT min(activity_date)::VARCHAR, max(activity_date)::VARCHAR, sum(events),
               sum(sessions), min(activity_date), max(activity_date)
        FROM marts.fct_daily_engagement
        """
    ).fetchone()
    assert row is not None
    stickiness = _stickiness(ws, row[4], row[5])
    users = cur.execute("SELECT count(DISTINCT user_id) FROM marts.dim_users").fetchone()
    # Money in the workspace currency only; orders and buyers in the same currency, so that AOV
    # is revenue per order of that currency.
    from shoplytics_desktop.core.analytics.money import currency_where

    cur_where, cur_params = currency_where(ws, "fct_orders")
    orders = cur.execute(
        "SELECT count(*), count(DISTINCT user_id), coalesce(sum(revenue), 0) FROM marts.fct_orders "
        f"WHERE true{cur_where}",
        cur_params,
    ).fetchone()
    others: list[tuple[str, float]] = []
    if cur_where:
        others = [
            (c, float(v))
            for c, v in cur.execute(
                "SELECT currency, sum(revenue) FROM marts.fct_orders WHERE currency <> ? "
                "GROUP BY 1 ORDER BY 1",
                cur_params,
            ).fetchall()
        ]
    refunds_row = (
        cur.execute("SELECT coalesce(sum(refunds), 0) FROM marts.fct_daily_engagement").fetchone()
        if cur_where
        else (0,)
    )
    # METRICS.md §3: sessions with at least one purchase / sessions (not the ordered funnel's
    # last step); conversion_rate × sessions gives back each day's purchasing sessions.
    conv = cur.execute(
        "SELECT sum(round(conversion_rate * sessions)) / nullif(sum(sessions), 0) "
        "FROM marts.fct_daily_engagement"
    ).fetchone()
    assert users is not None and orders is not None and conv is not None
    n_orders, buyers, revenue = int(orders[0]), int(orders[1]), float(orders[2])
    return Headline(
        first_day=row[0] or "",
        last_day=row[1] or "",
        events=int(row[2] or 0),
        users=int(users[0]),
        sessions=int(row[3] or 0),
        orders=n_orders,
        buyers=buyers,
        revenue=revenue,
        aov=revenue / n_orders if n_orders else None,
        conversion_rate=float(conv[0]) if conv[0] is not None else None,
        stickiness=stickiness,
        refunds=float(refunds_row[0]) if refunds_row else 0.0,
        other_currencies=tuple(others),
    )


def headline_kpis(ws: Workspace) -> dict[str, str]:
    from shoplytics_desktop.core.analytics.money import marts_currency

    return headline(ws).as_lines(marts_currency(ws))


def _stickiness(ws: Workspace, first: dt.date | None, last: dt.date | None) -> float | None:
    """The mean daily DAU/MAU over the days whose MAU window is full and that are over, as the
    dashboards show it (while MAU fills up, stickiness runs high)."""
    if first is None or last is None:
        return None
    from shoplytics_desktop.core.analytics.overview import complete_days
    from shoplytics_desktop.core.analytics.periods import data_bounds

    try:
        bounds = data_bounds(ws)
    except duckdb.Error:  # marts from before the dashboards' aggregates
        bounds = None
    lo, hi = complete_days(first, last, bounds, 30)
    row = ws.cursor().execute(
        "SELECT avg(stickiness) FROM marts.fct_daily_engagement "
        "WHERE activity_date BETWEEN ? AND ?",
        [lo, hi],
    ).fetchone()
    return float(row[0]) if row and row[0] is not None else None
