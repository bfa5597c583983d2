"""Plain results of the dashboard queries: KPIs, time series and tables (no Qt)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["money", "count", "rate", "ratio", "number"]


@dataclass(frozen=True)
class Kpi:
    """One KPI over the selected period and the previous period of the same length."""

    key: str
    label: str
    value: float | None
    previous: float | None
    kind: Kind = "count"
    spark: tuple[float | None, ...] = ()
    #: When the range ends in a day still under way, the change compares the complete days
    #: with as many days before them: (those days' value, the days before), and says so.
    basis: tuple[float | None, float | None] | None = None
    basis_note: str = ""

    @property
    def change(self) -> float | None:
        """Relative change (counts, money) or the difference in points (rates, ratios)."""
        value, previous = self.basis if self.basis is not None else (self.value, self.previous)
        if value is None or previous is None:
            return None
        if self.kind in ("rate", "ratio"):
            return value - previous
        if previous == 0:
            return None
        return (value - previous) / previous


@dataclass(frozen=True)
class Table:
    """Rows for a table view and for CSV export."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]

    @classmethod
    def of(cls, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> Table:
        return cls(tuple(columns), tuple(tuple(r) for r in rows))

    def column(self, name: str) -> list[Any]:
        i = self.columns.index(name)
        return [r[i] for r in self.rows]

    def __len__(self) -> int:
        return len(self.rows)


@dataclass(frozen=True)
class TimeSeries:
    """Named series over period starts (days, Mondays or month starts)."""

    periods: tuple[dt.date, ...]
    series: dict[str, tuple[float | None, ...]] = field(default_factory=dict)
    grain: str = "day"
    #: Per period, True where it is incomplete (cut by the range or the data's ends, or still
    #: under way): charts draw it dotted or hatched, averages and deltas leave it out.
    partial: tuple[bool, ...] = ()
    #: Series whose incomplete periods differ (trailing WAU/MAU windows still filling up).
    partial_by_series: dict[str, tuple[bool, ...]] = field(default_factory=dict)

    def partial_of(self, name: str) -> tuple[bool, ...]:
        flags = self.partial_by_series.get(name) or self.partial
        return flags if len(flags) == len(self.periods) else (False,) * len(self.periods)

    def __getitem__(self, name: str) -> tuple[float | None, ...]:
        return self.series[name]

    def value(self, name: str, period: dt.date) -> float | None:
        return self.series[name][self.periods.index(period)]

    @property
    def is_empty(self) -> bool:
        return not self.periods or all(
            not any(v for v in values if v is not None) for values in self.series.values()
        )

    def table(self, date_label: str = "period") -> Table:
        names = list(self.series)
        rows = [[p, *(self.series[n][i] for n in names)] for i, p in enumerate(self.periods)]
        return Table.of([date_label, *names], rows)


def ratio(num: float | None, den: float | None) -> float | None:
    if num is None or not den:
        return None
    return float(num) / float(den)


def num(value: Any) -> float:
    """A DuckDB number (int, Decimal, HUGEINT, None) as a float."""
    return 0.0 if value is None else float(value)


OTHER = "Other"


def top_n_other(
    table: Table,
    label: str,
    n: int,
    sums: Sequence[str] = (),
    ratios: dict[str, tuple[str, str]] | None = None,
) -> Table:
    """The first ``n - 1`` rows (the table's order: best first) and one "Other" row for the rest,
    when there are more than ``n``: ``sums`` add up, ``ratios`` are recomputed from their summed
    numerator and denominator columns, anything else is None (a distinct count, say, cannot be
    added across rows)."""
    if len(table.rows) <= n:
        return table
    keep, rest = table.rows[: n - 1], table.rows[n - 1 :]
    totals: dict[str, Any] = {label: f"{OTHER} ({len(rest)})"}
    for col in sums:
        i = table.columns.index(col)
        totals[col] = sum(float(r[i]) for r in rest if r[i] is not None)
    for col, (a, b) in (ratios or {}).items():
        totals[col] = ratio(totals.get(a), totals.get(b))
    other = tuple(totals.get(c) for c in table.columns)
    return Table(table.columns, (*keep, other))
