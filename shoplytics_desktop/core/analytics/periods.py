"""Which periods of a chart are incomplete, so that a partial week or a day still under way is
not read as a drop: the data's own bounds, whether its last day is over, and per period of a
filter's grain whether every one of its days is in both the range and the (complete) data.

Trailing windows have partial periods of their own: WAU and MAU of the first 6 and 29 days
after the first event count fewer days than their name says, so stickiness (DAU / MAU) runs high
while MAU fills up."""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass

from shoplytics_desktop.core.analytics.filters import Filters, periods
from shoplytics_desktop.core.workspace import Workspace

#: A last day whose latest activity is at or after this hour counts as over.
LATE_HOUR = 22


@dataclass(frozen=True)
class DataBounds:
    first_day: dt.date
    last_day: dt.date
    #: False when the data ends mid-day or the last day is today (or later).
    last_day_complete: bool = True

    @property
    def last_complete_day(self) -> dt.date:
        return self.last_day if self.last_day_complete else self.last_day - dt.timedelta(days=1)


def today_utc() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def last_day_is_complete(
    last_day: dt.date, latest_hours: dict[dt.date, int], today: dt.date
) -> bool:
    """The last day is over when it is before today and its latest activity is late in the day,
    or no earlier than the days before it usually end (a shop that closes at 18:00)."""
    if last_day >= today:
        return False
    hour = latest_hours.get(last_day)
    if hour is None or hour >= LATE_HOUR:
        return True
    before = [h for d, h in latest_hours.items() if d < last_day]
    return not before or hour >= statistics.median(before) - 1


def data_bounds(ws: Workspace, today: dt.date | None = None) -> DataBounds | None:
    cur = ws.cursor()
    row = cur.execute(
        "SELECT min(activity_date), max(activity_date) FROM marts.agg_engagement_segments "
        "WHERE device = '*' AND country = '*' AND traffic_source = '*'"
    ).fetchone()
    if row is None or row[0] is None:
        return None
    first, last = row
    hours = dict(
        cur.execute(
            "SELECT activity_date, max(hour) FROM marts.agg_activity_hour "
            "WHERE activity_date BETWEEN ? AND ? GROUP BY 1",
            [last - dt.timedelta(days=7), last],
        ).fetchall()
    )
    return DataBounds(first, last, last_day_is_complete(last, hours, today or today_utc()))


def period_end(start: dt.date, grain: str) -> dt.date:
    if grain == "week":
        return start + dt.timedelta(days=6)
    if grain == "month":
        following = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        return following - dt.timedelta(days=1)
    return start


def partial_periods(f: Filters, bounds: DataBounds | None) -> tuple[bool, ...]:
    """True for each period of ``periods(f)`` not wholly inside both the range and the complete
    data: a week or month cut by the range or by the data's ends, and a day still under way."""
    out = []
    for p in periods(f):
        end = period_end(p, f.grain)
        inside_range = p >= f.start and end <= f.end
        inside_data = bounds is None or (
            p >= bounds.first_day and end <= bounds.last_complete_day
        )
        out.append(not (inside_range and inside_data))
    return tuple(out)


def filling_window(days: list[dt.date], bounds: DataBounds | None, window: int) -> tuple[bool, ...]:
    """True for the days whose trailing ``window``-day window starts before the first event (or
    ends on a day still under way)."""
    if bounds is None:
        return tuple(False for _ in days)
    first = bounds.first_day + dt.timedelta(days=window - 1)
    return tuple(d < first or d > bounds.last_complete_day for d in days)


def complete_end(f: Filters, bounds: DataBounds | None) -> dt.date:
    """The last day of the range whose data is complete (the range's end when it is)."""
    if bounds is None:
        return f.end
    return min(f.end, max(bounds.last_complete_day, f.start))
