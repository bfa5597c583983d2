"""Weekly retention cohorts from fct_cohort_retention, for the cohorts whose week starts in the
date range. Segment filters do not apply (the mart has no segment columns)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from shoplytics_desktop.core.analytics.filters import Filters, bucket_of
from shoplytics_desktop.core.analytics.periods import data_bounds
from shoplytics_desktop.core.analytics.types import Table, num, ratio
from shoplytics_desktop.core.workspace import Workspace


@dataclass(frozen=True)
class Cohorts:
    filters: Filters
    cohort_weeks: tuple[dt.date, ...]
    sizes: tuple[int, ...]
    #: retention[i][n] for cohort i and week number n; None where the week has no data yet.
    retention: tuple[tuple[float | None, ...], ...]
    active: tuple[tuple[int | None, ...], ...]
    #: Σ active / Σ cohort size per week number over the cohorts that completed that week.
    curve: tuple[float | None, ...]
    #: partial[i][n]: the cell's week is not over yet (the current week): shown apart, left
    #: out of the curve.
    partial: tuple[tuple[bool, ...], ...] = ()

    @property
    def weeks(self) -> int:
        return len(self.curve)

    @property
    def is_empty(self) -> bool:
        return not self.cohort_weeks

    def table(self) -> Table:
        return Table.of(
            ["cohort_week", "cohort_size", *(f"week_{n}" for n in range(self.weeks))],
            [(w, s, *r) for w, s, r in zip(self.cohort_weeks, self.sizes, self.retention,
                                          strict=True)],
        )


def cohorts(ws: Workspace, f: Filters) -> Cohorts:
    rows = ws.cursor().execute(
        "SELECT cohort_week, week_number, cohort_size, active_users "
        "FROM marts.fct_cohort_retention WHERE cohort_week BETWEEN ? AND ? "
        "ORDER BY cohort_week, week_number",
        [bucket_of(f.start, "week"), f.end],
    ).fetchall()
    weeks = sorted({r[0] for r in rows})
    n_weeks = max((int(r[1]) for r in rows), default=-1) + 1
    index = {w: i for i, w in enumerate(weeks)}
    sizes = [0] * len(weeks)
    active: list[list[int | None]] = [[None] * n_weeks for _ in weeks]
    for week, n, size, act in rows:
        sizes[index[week]] = int(size)
        active[index[week]][int(n)] = int(act)
    retention = tuple(
        tuple(None if a is None else ratio(a, sizes[i]) for a in row)
        for i, row in enumerate(active)
    )
    bounds = data_bounds(ws)
    last = bounds.last_complete_day if bounds is not None else None
    partial = tuple(
        tuple(last is not None and w + dt.timedelta(days=7 * n + 6) > last for n in range(n_weeks))
        for w in weeks
    )
    curve = []
    for n in range(n_weeks):
        reached = [(a[n], sizes[i]) for i, a in enumerate(active)
                   if a[n] is not None and not partial[i][n]]
        curve.append(ratio(sum(num(a) for a, _ in reached), sum(s for _, s in reached)))
    return Cohorts(
        f, tuple(weeks), tuple(sizes), retention, tuple(tuple(r) for r in active), tuple(curve),
        partial,
    )
