"""Dashboard filters: the date range (presets relative to the last day with data), segment
filters and granularity, and the SQL fragments they turn into."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any, Literal

Grain = Literal["day", "week", "month"]
GRAINS: tuple[Grain, ...] = ("day", "week", "month")

#: Presets of the date range control, in display order, with their labels.
PRESETS: dict[str, str] = {
    "last_7": "Last 7 days",
    "last_30": "Last 30 days",
    "last_90": "Last 90 days",
    "this_month": "This month",
    "last_month": "Last month",
    "ytd": "Year to date",
    "all": "All time",
    "custom": "Custom",
}

SEGMENTS: tuple[str, ...] = ("device", "country", "traffic_source")
SEGMENT_LABELS = {"device": "Device", "country": "Country", "traffic_source": "Traffic source"}
#: Dimensions a filter can hold several values of, or exclude.
DIMENSIONS: tuple[str, ...] = (*SEGMENTS, "category")
DIMENSION_LABELS = {**SEGMENT_LABELS, "category": "Category"}
#: The comparison line of the time charts.
COMPARES: dict[str, str] = {
    # (the KPIs always compare with the previous period; this is only the charts' line)
    "none": "No comparison line",
    "previous": "Previous period",
    "year": "Same period last year",
}

#: A dimension's filter value: None (all), one value, or several (any of them).
Value = str | tuple[str, ...] | None


def as_values(value: Value) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def resolve_preset(
    preset: str,
    first_day: dt.date,
    last_day: dt.date,
    custom: tuple[dt.date, dt.date] | None = None,
) -> tuple[dt.date, dt.date]:
    """The [start, end] days of a preset. "Today" is the last day with data, not the clock, so
    an old data set shows its own last week rather than an empty one."""
    if preset.startswith("last_") and preset[5:].isdigit():
        # Data shorter than the preset: its own range (not days before the first event).
        start, end = max(first_day, last_day - dt.timedelta(days=int(preset[5:]) - 1)), last_day
    elif preset == "this_month":
        start, end = last_day.replace(day=1), last_day
    elif preset == "last_month":
        end = last_day.replace(day=1) - dt.timedelta(days=1)
        start = end.replace(day=1)
    elif preset == "ytd":
        start, end = last_day.replace(month=1, day=1), last_day
    elif preset == "all":
        start, end = first_day, last_day
    elif preset == "custom":
        if custom is None:
            raise ValueError("a custom range needs its start and end days")
        start, end = min(custom), max(custom)
    else:
        raise ValueError(f"unknown date preset {preset!r}")
    return start, end


@dataclass(frozen=True)
class Filters:
    """What every dashboard query is restricted to. ``None`` means "all values"."""

    start: dt.date
    end: dt.date
    device: Value = None
    country: Value = None
    traffic_source: Value = None
    category: Value = None
    grain: Grain = "day"
    preset: str = field(default="custom", compare=False)
    #: Dimensions whose values are left out rather than kept (e.g. {"country"}).
    exclude: frozenset[str] = frozenset()
    #: The time charts' comparison line: "none", "previous" or "year".
    compare: str = "none"

    # Each dimension holds None, one value (str) or several (a tuple): the type hints above
    # name the common case; ``values()`` reads any of them.

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Filters:
        """The period of the same length just before this one, same segments."""
        n = dt.timedelta(days=self.days)
        return replace(self, start=self.start - n, end=self.end - n)

    def last_year(self) -> Filters:
        """The same calendar days one year (52 weeks, so weekdays line up) earlier."""
        n = dt.timedelta(weeks=52)
        return replace(self, start=self.start - n, end=self.end - n)

    def compared(self) -> Filters | None:
        """The filters of the comparison line, or None when there is none."""
        if self.compare == "previous":
            return replace(self.previous(), compare="none")
        if self.compare == "year":
            return replace(self.last_year(), compare="none")
        return None

    def segment(self, name: str) -> Value:
        value: Value = getattr(self, name)
        return value

    def values(self, name: str) -> tuple[str, ...]:
        return as_values(self.segment(name))

    def excludes(self, name: str) -> bool:
        return name in self.exclude and bool(self.values(name))

    def single(self, name: str) -> str | None:
        """The one kept value of a dimension, or None when it is all, several or excluded."""
        v = self.values(name)
        return v[0] if len(v) == 1 and not self.excludes(name) else None

    def is_filtered(self, name: str) -> bool:
        return bool(self.values(name))

    @property
    def has_segment_filter(self) -> bool:
        return any(self.is_filtered(s) for s in SEGMENTS)

    @property
    def has_category_filter(self) -> bool:
        return self.is_filtered("category")

    def describe_dimension(self, name: str) -> str:
        v = self.values(name)
        if not v:
            return ""
        return ("not " if self.excludes(name) else "") + " or ".join(v)

    def describe(self) -> str:
        parts = [f"{self.start:%Y-%m-%d} … {self.end:%Y-%m-%d}"]
        parts += [f"{DIMENSION_LABELS[s]}: {self.describe_dimension(s)}" for s in DIMENSIONS
                  if self.is_filtered(s)]
        return ", ".join(parts)


def dimension_sql(f: Filters, name: str, column: str) -> tuple[str, list[Any]]:
    """One dimension's condition (``column = ?``, ``IN``, ``NOT IN``) or '' when unfiltered."""
    values = f.values(name)
    if not values:
        return "", []
    marks = ", ".join("?" * len(values))
    if f.excludes(name):
        return f"{column} NOT IN ({marks})", list(values)
    if len(values) == 1:
        return f"{column} = ?", list(values)
    return f"{column} IN ({marks})", list(values)


def segment_where(
    f: Filters, columns: dict[str, str] | None = None, category: str | None = None
) -> tuple[str, list[Any]]:
    """``AND``-able SQL and its parameters for the segment filters (and the category, when the
    table has one: pass its column name)."""
    columns = columns or {s: s for s in SEGMENTS}
    sql: list[str] = []
    params: list[Any] = []
    for seg in SEGMENTS:
        if seg in columns:
            cond, values = dimension_sql(f, seg, columns[seg])
            if cond:
                sql.append(cond)
                params += values
    if category:
        cond, values = dimension_sql(f, "category", category)
        if cond:
            sql.append(cond)
            params += values
    return "".join(f" AND {s}" for s in sql), params


def bucket_sql(column: str, grain: Grain) -> str:
    """The period start of a date column: the day itself, its Monday, or its first of month."""
    if grain == "day":
        return f"CAST({column} AS DATE)"
    return f"CAST(date_trunc('{grain}', {column}) AS DATE)"


def bucket_of(day: dt.date, grain: Grain) -> dt.date:
    if grain == "week":
        return day - dt.timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    return day


def periods(f: Filters) -> list[dt.date]:
    """Every period start touched by [start, end] at the filter's grain, in order."""
    out: list[dt.date] = []
    day = f.start
    while day <= f.end:
        b = bucket_of(day, f.grain)
        if not out or out[-1] != b:
            out.append(b)
        day += dt.timedelta(days=1)
    return out


def days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
