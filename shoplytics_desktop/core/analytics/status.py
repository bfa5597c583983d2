"""Whether the dashboards can draw, the data's date bounds, and the filter choices."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from shoplytics_desktop.core.workspace import Workspace

#: Every mart a dashboard reads.
REQUIRED_MARTS: tuple[str, ...] = (
    "fct_funnel",
    "fct_cohort_retention",
    "agg_engagement_segments",
    "agg_user_day",
    "agg_sessions_day",
    "agg_activity_hour",
    "agg_sales",
    "agg_product_day",
    "agg_buyers",
)

#: Columns the dashboards read that marts built by an earlier model project lack: such marts
#: count as missing until the pipeline runs again.
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {"agg_user_day": ("user_key", "is_first_day")}


@dataclass(frozen=True)
class DashboardStatus:
    missing: tuple[str, ...]
    first_day: dt.date | None = None
    last_day: dt.date | None = None
    devices: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    traffic_sources: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    has_dim_products: bool = False
    options: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: Whether raw.events holds any row (what to suggest when there are no marts).
    has_events: bool = True
    #: False when the data ends mid-day or its last day is today.
    last_day_complete: bool = True
    #: The reporting time zone the marts' days and hours are in (that of their last full run).
    time_zone: str = "UTC"
    #: The currency the marts' money is counted in (that of their last full run; "": unknown).
    currency: str = ""

    @property
    def ready(self) -> bool:
        return not self.missing and self.first_day is not None

    @property
    def reason(self) -> str:
        if not self.has_events:
            return ("This workspace has no events yet: generate demo data or import your files "
                    "(File ▸ Generate demo data…, File ▸ Import…).")
        if self.missing and set(self.missing) >= set(REQUIRED_MARTS):
            return ("Run the pipeline (Pipeline ▸ Run, Ctrl+R): the dashboards are drawn from "
                    "the marts it builds, and it has not built them yet.")
        if self.missing:
            return ("Run the pipeline (Pipeline ▸ Run, Ctrl+R) to build the marts again: the "
                    "dashboards need what they lack (" + ", ".join(self.missing) + ").")
        if self.first_day is None:
            return "The marts are empty: import or generate events, then run the pipeline."
        return ""


def dashboard_status(ws: Workspace) -> DashboardStatus:
    cur = ws.cursor()
    present = {
        r[0]
        for r in cur.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'marts'"
        ).fetchall()
    }
    missing = tuple(m for m in REQUIRED_MARTS if m not in present)
    has_events = _has_events(ws)
    if missing:
        return DashboardStatus(missing=missing, has_events=has_events)
    columns = set(
        cur.execute(
            "SELECT table_name || '.' || column_name FROM duckdb_columns() "
            "WHERE schema_name = 'marts'"
        ).fetchall()
    )
    outdated = tuple(
        f"{table}.{column}"
        for table, needed in REQUIRED_COLUMNS.items()
        for column in needed
        if (f"{table}.{column}",) not in columns
    )
    if outdated:
        return DashboardStatus(missing=outdated)
    row = cur.execute(
        "SELECT min(activity_date), max(activity_date) FROM marts.agg_engagement_segments"
    ).fetchone()
    if row is None or row[0] is None:
        return DashboardStatus(missing=(), has_events=has_events)

    def values(column: str) -> tuple[str, ...]:
        rows = cur.execute(
            f"SELECT DISTINCT {column} FROM marts.agg_engagement_segments "
            f"WHERE {column} <> '*' ORDER BY 1"
        ).fetchall()
        return tuple(r[0] for r in rows)

    cats = cur.execute(
        "SELECT category FROM marts.agg_product_day UNION SELECT category FROM marts.agg_sales "
        "ORDER BY 1"
    ).fetchall()
    devices, countries, sources = values("device"), values("country"), values("traffic_source")
    from shoplytics_desktop.core import history
    from shoplytics_desktop.core.analytics.money import marts_currency
    from shoplytics_desktop.core.analytics.periods import data_bounds

    bounds = data_bounds(ws)
    built = history.marts_settings(cur)
    return DashboardStatus(
        missing=(),
        first_day=row[0],
        last_day=row[1],
        devices=devices,
        countries=countries,
        traffic_sources=sources,
        categories=tuple(c[0] for c in cats),
        has_dim_products="dim_products" in present,
        options={"device": devices, "country": countries, "traffic_source": sources},
        has_events=has_events,
        last_day_complete=bounds.last_day_complete if bounds is not None else True,
        # Marts built before the zone was recorded were built in UTC.
        time_zone=str(built.get("time_zone") or "UTC"),
        currency=marts_currency(ws, built),
    )


def _has_events(ws: Workspace) -> bool:
    if not ws.table_exists("raw", "events"):
        return False
    return bool(ws.cursor().execute("SELECT 1 FROM raw.events LIMIT 1").fetchall())
