"""An independent, deliberately naive implementation of METRICS.md over raw.events rows.

Plain Python loops, no SQL beyond reading the raw rows: the marts must agree with it on any data.
Only for small data sets (tests).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

STEPS = ("product_view", "add_to_cart", "begin_checkout", "purchase")


@dataclass
class Ev:
    event_id: str
    time: dt.datetime
    type: str
    user: str
    source_session: str | None
    product: str | None
    order: str | None
    price: Decimal | None
    qty: int
    category: str | None
    device: str
    country: str
    source: str
    session: str = ""


def load_events(cur: Any) -> list[Ev]:
    rows = cur.execute(
        "select event_id, event_time, event_type, user_id, session_id, product_id, order_id, price, "
        "quantity, category, device, country, traffic_source from raw.events"
    ).fetchall()
    return [Ev(*r) for r in rows]


def sessionize(events: list[Ev], timeout_min: int = 30) -> dict[str, list[Ev]]:
    """Session key → its events (sorted by time)."""
    sessions: dict[str, list[Ev]] = defaultdict(list)
    by_user: dict[str, list[Ev]] = defaultdict(list)
    for e in events:
        if e.source_session is not None:
            e.session = f"{e.user}|{e.source_session}"
            sessions[e.session].append(e)
        else:
            by_user[e.user].append(e)
    gap = dt.timedelta(minutes=timeout_min)
    for user, evs in by_user.items():
        evs.sort(key=lambda e: e.time)
        n, last = 0, None
        for e in evs:
            if last is None or e.time - last > gap:
                n += 1
            last = e.time
            e.session = f"{user}|gap{n}"
            sessions[e.session].append(e)
    for evs in sessions.values():
        evs.sort(key=lambda e: e.time)
    return sessions


def funnel_reach(evs: list[Ev], present: set[str]) -> list[bool]:
    """Which steps a session reaches (ordered, events in between allowed, absent types skipped)."""
    reached = []
    t: dt.datetime | None = None
    ok = True
    for i, step in enumerate(STEPS):
        if i > 0 and step not in present:
            reached.append(ok)  # skipped: reached at the previous step's time
            continue
        if not ok:
            reached.append(False)
            continue
        times = [e.time for e in evs if e.type == step and (t is None or e.time >= t)]
        if times:
            t = min(times)
            reached.append(True)
        else:
            ok = False
            reached.append(False)
    return reached


def order_key(e: Ev) -> str:
    return e.order if e.order is not None else f"session:{e.session}"


def revenue_of(e: Ev) -> Decimal:
    return (e.price or Decimal(0)) * e.qty


def daily(events: list[Ev], sessions: dict[str, list[Ev]]) -> dict[dt.date, dict[str, Any]]:
    days_users: dict[dt.date, set[str]] = defaultdict(set)
    first_seen: dict[str, dt.date] = {}
    for e in events:
        d = e.time.date()
        days_users[d].add(e.user)
        if e.user not in first_seen or d < first_seen[e.user]:
            first_seen[e.user] = d
    lo, hi = min(days_users), max(days_users)
    out: dict[dt.date, dict[str, Any]] = {}
    d = lo
    while d <= hi:
        def window(n: int, d: dt.date = d) -> int:
            users: set[str] = set()
            for k in range(n):
                users |= days_users.get(d - dt.timedelta(days=k), set())
            return len(users)

        day_sessions = [s for s in sessions.values() if s[0].time.date() == d]
        day_events = [e for e in events if e.time.date() == d]
        dau, mau = window(1), window(30)
        out[d] = {
            "dau": dau,
            "wau": window(7),
            "mau": mau,
            "stickiness": dau / mau if mau else None,
            "new_users": sum(1 for u, f in first_seen.items() if f == d),
            "sessions": len(day_sessions),
            "events": len(day_events),
            "product_views": sum(e.type == "product_view" for e in day_events),
            "add_to_carts": sum(e.type == "add_to_cart" for e in day_events),
            "purchases": sum(e.type == "purchase" for e in day_events),
            "conversion_rate": (
                sum(any(e.type == "purchase" for e in s) for s in day_sessions) / len(day_sessions)
                if day_sessions else None
            ),
            "avg_session_duration_s": (
                sum((s[-1].time - s[0].time).total_seconds() for s in day_sessions) / len(day_sessions)
                if day_sessions else None
            ),
        }
        d += dt.timedelta(days=1)
    return out


def orders(events: list[Ev]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for e in sorted((e for e in events if e.type == "purchase"), key=lambda e: e.time):
        k = order_key(e)
        o = out.setdefault(k, {"user_id": e.user, "order_time": e.time, "items": 0, "units": 0,
                                "revenue": Decimal(0)})
        o["items"] += 1
        o["units"] += e.qty
        o["revenue"] += revenue_of(e)
    return out


def funnel(sessions: dict[str, list[Ev]], events: list[Ev]) -> dict[tuple, list[int]]:
    present = {e.type for e in events}
    out: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for evs in sessions.values():
        first = evs[0]
        key = (first.time.date(), first.device, first.source, first.country)
        row = out[key]
        row[0] += 1
        for i, ok in enumerate(funnel_reach(evs, present)):
            row[i + 1] += int(ok)
    return dict(out)


def week_start(d: dt.date) -> dt.date:
    return d - dt.timedelta(days=d.weekday())


def retention(events: list[Ev]) -> dict[tuple[dt.date, int], tuple[int, int]]:
    first: dict[str, dt.date] = {}
    weeks: dict[str, set[dt.date]] = defaultdict(set)
    for e in events:
        d = e.time.date()
        first[e.user] = min(first.get(e.user, d), d)
        weeks[e.user].add(week_start(d))
    last_week = max(max(w) for w in weeks.values())
    cohorts: dict[dt.date, list[str]] = defaultdict(list)
    for u, f in first.items():
        cohorts[week_start(f)].append(u)
    out = {}
    for cw, users in cohorts.items():
        n = 0
        while cw + dt.timedelta(weeks=n) <= last_week:
            wk = cw + dt.timedelta(weeks=n)
            out[(cw, n)] = (len(users), sum(1 for u in users if wk in weeks[u]))
            n += 1
    return out


def products(events: list[Ev]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = defaultdict(lambda: {"views": 0, "add_to_carts": 0, "units_sold": 0})
    for e in events:
        if e.product is None:
            continue
        p = out[e.product]
        if e.type == "product_view":
            p["views"] += 1
        elif e.type == "add_to_cart":
            p["add_to_carts"] += 1
        elif e.type == "purchase":
            p["units_sold"] += e.qty
    return dict(out)
