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


def resolve_preset(
    preset: str,
    first_day: dt.date,
    last_day: dt.date,
    custom: tuple[dt.date, dt.date] | None = None,
) -> tuple[dt.date, dt.date]:
    """The [start, end] days of a preset. "Today" is the last day with data, not the clock, so
    an old data set shows its own last week rather than an empty one."""
    if preset.startswith("last_") and preset[5:].isdigit():
        start, end = last_day - dt.timedelta(days=int(preset[5:]) - 1), last_day
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
    device: str | None = None
    country: str | None = None
    traffic_source: str | None = None
    category: str | None = None
    grain: Grain = "day"
    preset: str = field(default="custom", compare=False)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Filters:
        """The period of the same length just before this one, same segments."""
        n = dt.timedelta(days=self.days)
        return replace(self, start=self.start - n, end=self.end - n)

    def segment(self, name: str) -> str | None:
        value: str | None = getattr(self, name)
        return value

    @property
    def has_segment_filter(self) -> bool:
        return any(self.segment(s) is not None for s in SEGMENTS)

    def describe(self) -> str:
        parts = [f"{self.start:%Y-%m-%d} … {self.end:%Y-%m-%d}"]
        parts += [f"{SEGMENT_LABELS[s]}: {self.segment(s)}" for s in SEGMENTS if self.segment(s)]
        if self.category:
            parts.append(f"Category: {self.category}")
        return ", ".join(parts)


def segment_where(
    f: Filters, columns: dict[str, str] | None = None, category: str | None = None
) -> tuple[str, list[Any]]:
    """``AND``-able SQL and its parameters for the segment filters (and the category, when the
    table has one: pass its column name)."""
    columns = columns or {s: s for s in SEGMENTS}
    sql: list[str] = []
    params: list[Any] = []
    for seg in SEGMENTS:
        value = f.segment(seg)
        if value is not None and seg in columns:
            sql.append(f"{columns[seg]} = ?")
            params.append(value)
    if category and f.category is not None:
        sql.append(f"{category} = ?")
        params.append(f.category)
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
