"""Session durations (log-scale bins), time to first purchase and the hour × weekday activity
heatmap, all from pre-aggregated marts."""

from __future__ import annotations

from dataclasses import dataclass

from shoplytics_desktop.core.analytics.filters import Filters, segment_where
from shoplytics_desktop.core.analytics.types import Table, num
from shoplytics_desktop.core.workspace import Workspace

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
#: Lower bounds (seconds) of the time-to-first-purchase bins: roughly log-scale, human units.
PURCHASE_BINS: tuple[tuple[float, str], ...] = (
    (0, "< 1 min"), (60, "1–5 min"), (300, "5–15 min"), (900, "15–60 min"), (3600, "1–3 h"),
    (10800, "3–12 h"), (43200, "12–24 h"), (86400, "1–3 d"), (259200, "3–7 d"),
    (604800, "7–14 d"), (1209600, "14–30 d"), (2592000, "30–90 d"), (7776000, "≥ 90 d"),
)
DURATION_BINS = 18  # agg_sessions_day.duration_bin: 0 (< 1 s), k → [2^(k-1), 2^k) s, 17 open


def human_seconds(s: float) -> str:
    if s < 60:
        return f"{s:g} s"
    if s < 3600:
        return f"{s / 60:.2g} min"
    if s < 86400:
        return f"{s / 3600:.2g} h"
    return f"{s / 86400:.2g} d"


def duration_tick(k: int) -> str:
    """The bin's lower bound, short enough for an axis."""
    if k == 0:
        return "<1s"
    lo = 2 ** (k - 1)
    text = human_seconds(lo).replace(" ", "").replace("min", "m")
    return ("≥" if k == DURATION_BINS - 1 else "") + text


def duration_label(k: int) -> str:
    if k == 0:
        return "< 1 s"
    lo = 2 ** (k - 1)
    if k == DURATION_BINS - 1:
        return f"≥ {human_seconds(lo)}"
    return f"{human_seconds(lo)}–{human_seconds(2 * lo)}"


@dataclass(frozen=True)
class Behaviour:
    filters: Filters
    #: bin, label, sessions (every bin, zeros included).
    durations: Table
    #: bin, label, buyers: users whose first purchase falls in the range.
    time_to_purchase: Table
    #: events[weekday 0=Mon][hour 0..23] over the range.
    heatmap: tuple[tuple[float, ...], ...]
    median_duration_bin: int | None

    @property
    def heatmap_table(self) -> Table:
        return Table.of(
            ["weekday", *(f"{h:02d}" for h in range(24))],
            [(WEEKDAYS[i], *row) for i, row in enumerate(self.heatmap)],
        )


def behaviour(ws: Workspace, f: Filters) -> Behaviour:
    cur = ws.cursor()
    where, params = segment_where(f)
    dur = dict(
        cur.execute(
            "SELECT duration_bin, sum(sessions) FROM marts.agg_sessions_day "
            f"WHERE session_date BETWEEN ? AND ?{where} GROUP BY 1",
            [f.start, f.end, *params],
        ).fetchall()
    )
    counts = [int(num(dur.get(k))) for k in range(DURATION_BINS)]
    durations = Table.of(
        ["bin", "duration", "sessions"],
        [(k, duration_label(k), counts[k]) for k in range(DURATION_BINS)],
    )
    total, median = sum(counts), None
    if total:
        acc = 0
        for k, n in enumerate(counts):
            acc += n
            if acc * 2 >= total:
                median = k
                break

    u_where, u_params = segment_where(
        f, {"device": "first_device", "country": "first_country",
            "traffic_source": "first_traffic_source"},
    )
    bin_expr = " + ".join(f"(time_to_purchase_s >= {lo})::INT" for lo, _ in PURCHASE_BINS[1:])
    ttp = dict(
        cur.execute(
            f"SELECT {bin_expr} AS b, count(*) FROM marts.agg_buyers "
            f"WHERE first_purchase_date BETWEEN ? AND ?{u_where} GROUP BY 1",
            [f.start, f.end, *u_params],
        ).fetchall()
    )
    time_to_purchase = Table.of(
        ["bin", "time_to_first_purchase", "buyers"],
        [(i, label, int(num(ttp.get(i)))) for i, (_, label) in enumerate(PURCHASE_BINS)],
    )

    grid = [[0.0] * 24 for _ in range(7)]
    for dow, hour, n in cur.execute(
        "SELECT isodow(activity_date), hour, sum(events) FROM marts.agg_activity_hour "
        f"WHERE activity_date BETWEEN ? AND ?{where} GROUP BY 1, 2",
        [f.start, f.end, *params],
    ).fetchall():
        grid[int(dow) - 1][int(hour)] = num(n)
    return Behaviour(f, durations, time_to_purchase, tuple(tuple(r) for r in grid), median)
