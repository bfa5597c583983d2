"""The ordered session funnel from fct_funnel: step counts are sums of session counts over the
filtered segment cells and days, exact because each session lives in exactly one row."""

from __future__ import annotations

from dataclasses import dataclass

from shoplytics_desktop.core.analytics.filters import (
    SEGMENTS,
    Filters,
    bucket_sql,
    periods,
    segment_where,
)
from shoplytics_desktop.core.analytics.periods import data_bounds, partial_periods
from shoplytics_desktop.core.analytics.types import Table, TimeSeries, num, ratio
from shoplytics_desktop.core.workspace import Workspace

#: fct_funnel columns, the session base first, then METRICS.md §3's steps 1–4.
STEPS: tuple[tuple[str, str], ...] = (
    ("sessions", "Sessions"),
    ("product_view_sessions", "Product view"),
    ("add_to_cart_sessions", "Add to cart"),
    ("checkout_sessions", "Checkout"),
    ("purchase_sessions", "Purchase"),
)
_SUMS = ", ".join(f"sum({c})" for c, _ in STEPS)


@dataclass(frozen=True)
class FunnelStep:
    column: str
    label: str
    sessions: int
    #: This step / the previous step (None for the session base or an empty previous step).
    step_conversion: float | None
    #: This step / sessions.
    overall: float | None

    @property
    def drop_off(self) -> float | None:
        return None if self.step_conversion is None else 1.0 - self.step_conversion


def _steps(counts: list[int]) -> tuple[FunnelStep, ...]:
    out = []
    for i, ((col, label), n) in enumerate(zip(STEPS, counts, strict=True)):
        out.append(
            FunnelStep(
                col, label, n, ratio(n, counts[i - 1]) if i else None, ratio(n, counts[0])
            )
        )
    return tuple(out)


@dataclass(frozen=True)
class Funnel:
    filters: Filters
    steps: tuple[FunnelStep, ...]
    previous_steps: tuple[FunnelStep, ...]
    breakdown_by: str
    #: One row per value of ``breakdown_by``: value, the step counts, funnel completion.
    breakdown: Table
    #: Funnel completion (sessions reaching the last step, in order / sessions) and view →
    #: purchase per period. Not session conversion (sessions with any purchase / sessions).
    over_time: TimeSeries

    @property
    def overall(self) -> float | None:
        return self.steps[-1].overall

    @property
    def previous_overall(self) -> float | None:
        return self.previous_steps[-1].overall

    @property
    def is_empty(self) -> bool:
        return self.steps[0].sessions == 0

    def table(self) -> Table:
        return Table.of(
            # share_of_sessions: step k / sessions; at the last step, the funnel completion
            ["step", "sessions", "step_conversion", "drop_off", "share_of_sessions"],
            [(s.label, s.sessions, s.step_conversion, s.drop_off, s.overall) for s in self.steps],
        )


def funnel(ws: Workspace, f: Filters, breakdown_by: str = "device") -> Funnel:
    if breakdown_by not in SEGMENTS:
        raise ValueError(f"cannot break the funnel down by {breakdown_by!r}")
    cur = ws.cursor()
    where, params = segment_where(f)
    p = f.previous()
    row = cur.execute(
        f"SELECT session_date >= ? AS current, {_SUMS} FROM marts.fct_funnel "
        f"WHERE session_date BETWEEN ? AND ?{where} GROUP BY 1",
        [f.start, p.start, f.end, *params],
    ).fetchall()
    by_period = {bool(r[0]): [int(num(v)) for v in r[1:]] for r in row}
    zeros = [0] * len(STEPS)
    steps = _steps(by_period.get(True, zeros))
    previous = _steps(by_period.get(False, zeros))

    rows = cur.execute(
        f"SELECT {breakdown_by}, {_SUMS} FROM marts.fct_funnel "
        f"WHERE session_date BETWEEN ? AND ?{where} GROUP BY 1 ORDER BY 2 DESC, 1",
        [f.start, f.end, *params],
    ).fetchall()
    breakdown = Table.of(
        [breakdown_by, *(c for c, _ in STEPS), "funnel_completion"],
        [(r[0], *(int(num(v)) for v in r[1:]), ratio(num(r[-1]), num(r[1]))) for r in rows],
    )

    bucket = bucket_sql("session_date", f.grain)
    series = {
        r[0]: r[1:]
        for r in cur.execute(
            f"SELECT {bucket}, sum(sessions), sum(product_view_sessions), sum(purchase_sessions) "
            f"FROM marts.fct_funnel WHERE session_date BETWEEN ? AND ?{where} GROUP BY 1",
            [f.start, f.end, *params],
        ).fetchall()
    }
    ps = periods(f)
    over_time = TimeSeries(
        tuple(ps),
        {
            "completion": tuple(
                ratio(num(series[d][2]), num(series[d][0])) if d in series else None for d in ps
            ),
            "view_to_purchase": tuple(
                ratio(num(series[d][2]), num(series[d][1])) if d in series else None for d in ps
            ),
            "sessions": tuple(num(series[d][0]) if d in series else 0.0 for d in ps),
        },
        f.grain,
        partial=partial_periods(f, data_bounds(ws)),
    )
    return Funnel(f, steps, previous, breakdown_by, breakdown, over_time)
