"""Money in the dashboards (METRICS.md §3): never summed across currencies. Revenue and refunds
shown are in the workspace currency; what is in other currencies is totalled apart, per
currency, so a view can say how much it leaves out."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from shoplytics_desktop.core.analytics.filters import Filters, segment_where
from shoplytics_desktop.core.analytics.types import num
from shoplytics_desktop.core.workspace import Workspace


@dataclass(frozen=True)
class OtherCurrency:
    currency: str
    revenue: float
    refunds: float


def _columns(ws: Workspace, table: str) -> set[str]:
    rows = ws.cursor().execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() "
        "AND schema_name = 'marts' AND table_name = ?",
        [table],
    ).fetchall()
    return {r[0] for r in rows}


def marts_currency(ws: Workspace, built: dict[str, object] | None = None) -> str:
    """The currency the marts count money without its own in: the workspace currency when they
    were last built by a run of every model (``built``: ``history.marts_settings``, when read
    already). A change of the setting applies at the next run; until then the dashboards show
    the last run's money in its currency, not nothing."""
    from shoplytics_desktop.core import history

    currency = (built if built is not None else history.marts_settings(ws.cursor())).get("currency")
    return str(currency) if currency else ws.settings.currency


def currency_where(ws: Workspace, table: str) -> tuple[str, list[object]]:
    """``AND``-able SQL keeping the workspace currency's rows of a mart (nothing to keep when the
    mart was built before it had a currency: then all its money was in one)."""
    if "currency" not in _columns(ws, table):
        return "", []
    return " AND currency = ?", [marts_currency(ws)]


def has_refunds_mart(ws: Workspace) -> bool:
    return "refunds" in _columns(ws, "agg_refunds")


def refunds_by_day(
    ws: Workspace, f: Filters, start: dt.date, end: dt.date
) -> dict[dt.date, float]:
    """Refunds in the workspace currency per refund day in [start, end], under the filters."""
    if not has_refunds_mart(ws):
        return {}
    where, params = segment_where(f, category="category")
    rows = ws.cursor().execute(
        "SELECT refund_date, sum(refunds) FROM marts.agg_refunds "
        f"WHERE refund_date BETWEEN ? AND ? AND currency = ?{where} GROUP BY 1",
        [start, end, marts_currency(ws), *params],
    ).fetchall()
    return {r[0]: num(r[1]) for r in rows}


def other_currencies(ws: Workspace, f: Filters) -> tuple[OtherCurrency, ...]:
    """Revenue and refunds in each currency but the workspace's, over the filter's range."""
    if "currency" not in _columns(ws, "agg_sales"):
        return ()
    where, params = segment_where(f, category="category")
    own = marts_currency(ws)
    money: dict[str, list[float]] = {}
    for currency, revenue in ws.cursor().execute(
        "SELECT currency, sum(revenue) FROM marts.agg_sales "
        f"WHERE order_date BETWEEN ? AND ? AND currency <> ?{where} GROUP BY 1",
        [f.start, f.end, own, *params],
    ).fetchall():
        money.setdefault(currency, [0.0, 0.0])[0] = num(revenue)
    if has_refunds_mart(ws):
        for currency, refunds in ws.cursor().execute(
            "SELECT currency, sum(refunds) FROM marts.agg_refunds "
            f"WHERE refund_date BETWEEN ? AND ? AND currency <> ?{where} GROUP BY 1",
            [f.start, f.end, own, *params],
        ).fetchall():
            money.setdefault(currency, [0.0, 0.0])[1] = num(refunds)
    return tuple(
        OtherCurrency(c, round(r, 2), round(x, 2)) for c, (r, x) in sorted(money.items())
    )


def other_currencies_note(others: tuple[OtherCurrency, ...], currency: str) -> str:
    """One sentence for a dashboard: '' when everything is in the workspace currency."""
    if not others:
        return ""
    parts = []
    for o in others:
        part = f"{o.revenue:,.2f} {o.currency} revenue"
        if o.refunds:
            part += f" ({o.refunds:,.2f} {o.currency} refunds)"
        parts.append(part)
    return (
        f"Amounts are in {currency}; not included: " + ", ".join(parts)
        + " in other currencies."
    )
