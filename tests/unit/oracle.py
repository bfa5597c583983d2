"""An independent, deliberately naive implementation of METRICS.md over raw.events rows.

Plain Python loops, no SQL beyond reading the raw rows: the marts must agree with it on any data.
Only for small data sets (tests).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import zoneinfo
from collections import defaultdict
from collections.abc import Iterator
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
    brand: str | None = None
    currency: str = "USD"  # the event's, else the workspace currency


#: The workspace currency the oracle assumes (the setting's default; see set_currency).
WORKSPACE_CURRENCY = "USD"


#: The reporting time zone the oracle counts days and hours in (the setting's default; see in_zone).
TIME_ZONE = "UTC"


@contextlib.contextmanager
def in_zone(name: str) -> Iterator[None]:
    """Count days, weeks and hours of day in the zone ``name`` for a while."""
    global TIME_ZONE
    before, TIME_ZONE = TIME_ZONE, name
    try:
        yield
    finally:
        TIME_ZONE = before


@functools.lru_cache(maxsize=1 << 16)
def _local(t: dt.datetime, zone: str) -> dt.datetime:
    return t.replace(tzinfo=dt.UTC).astimezone(zoneinfo.ZoneInfo(zone)).replace(tzinfo=None)


def local(t: dt.datetime) -> dt.datetime:
    """A UTC event time as the clock reads in the reporting time zone."""
    return _local(t, TIME_ZONE)


def day(t: dt.datetime) -> dt.date:
    """The calendar day of a UTC event time in the reporting time zone."""
    return local(t).date()


def _blank(v: Any) -> Any:
    return None if v == "" else v


def load_events(cur: Any) -> list[Ev]:
    """raw.events as the event contract reads them: empty strings are missing values, and a
    missing device, country or traffic source is 'unknown' / 'XX' / 'unknown'."""
    rows = cur.execute(
        "select event_id, event_time, event_type, user_id, session_id, product_id, order_id, price, "
        "quantity, category, device, country, traffic_source, brand, currency from raw.events"
    ).fetchall()
    out = []
    for r in rows:
        ev_id, t, typ, user, sid, pid, oid, price, qty, cat, device, country, source, brand, cur = r
        out.append(Ev(ev_id, t, typ, user, _blank(sid), _blank(pid), _blank(oid), price, qty,
                      _blank(cat), _blank(device) or "unknown", _blank(country) or "XX",
                      _blank(source) or "unknown", brand=_blank(brand),
                      currency=cur or WORKSPACE_CURRENCY))
    return out


def _latest_load(rows: list[tuple], key: Any) -> dict[Any, tuple]:
    """The last row per key in (_loaded_at, _batch_id) order: the latest load wins."""
    out: dict[Any, tuple] = {}
    for r in sorted(rows, key=lambda r: (r[-2], r[-1])):
        out[key(r)] = r
    return out


def load_catalog(cur: Any) -> dict[str, dict[str, Any]]:
    rows = cur.execute(
        "select product_id, name, category, brand, price, _loaded_at, _batch_id from raw.products"
    ).fetchall()
    latest = _latest_load([r for r in rows if _blank(r[0]) is not None], key=lambda r: r[0])
    return {
        pid: {"name": _blank(r[1]), "category": _blank(r[2]), "brand": _blank(r[3]), "price": r[4]}
        for pid, r in latest.items()
    }


def load_snapshots(cur: Any) -> dict[str, list[dict[str, Any]]]:
    """User → profile snapshots in updated_at order (one per updated_at: the latest load)."""
    rows = cur.execute(
        "select user_id, signup_date, country, segment, device, updated_at, _loaded_at, _batch_id "
        "from raw.users"
    ).fetchall()
    latest = _latest_load([r for r in rows if _blank(r[0]) is not None], key=lambda r: (r[0], r[5]))
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for (user, updated_at), r in sorted(latest.items()):
        out[user].append({"signup_date": r[1], "country": _blank(r[2]), "segment": _blank(r[3]),
                          "device": _blank(r[4]), "updated_at": updated_at})
    return dict(out)


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
        evs.sort(key=lambda e: (e.time, e.event_id))  # a total order: ties by event_id
        start, last = None, None
        for e in evs:
            if last is None or e.time - last > gap:
                start = e.time
            last = e.time
            # named as the models name a derived session, after its first event's time, so that
            # order keys of orders without an order id can be compared as they are
            e.session = f"{user}|auto-{start:%Y%m%dT%H%M%S}"
            sessions[e.session].append(e)
    for evs in sessions.values():
        evs.sort(key=lambda e: (e.time, e.event_id))
    return sessions


def funnel_reach(evs: list[Ev], present: set[str]) -> list[bool]:
    """Which steps a session reaches (ordered, events in between allowed, absent types skipped)."""
    reached = []
    t: dt.datetime | None = None
    ok = True
    for i, step in enumerate(STEPS):
        if step not in present:
            # skipped: reached at the previous step's time (step 1: at the session's start)
            if i == 0:
                t = min(e.time for e in evs)
            reached.append(ok)
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
    """A purchase or refund line's money: price × quantity, a null price counting 0."""
    return (e.price or Decimal(0)) * e.qty


def daily(events: list[Ev], sessions: dict[str, list[Ev]]) -> dict[dt.date, dict[str, Any]]:
    days_users: dict[dt.date, set[str]] = defaultdict(set)
    first_seen: dict[str, dt.date] = {}
    for e in events:
        d = day(e.time)
        days_users[d].add(e.user)
        if e.user not in first_seen or d < first_seen[e.user]:
            first_seen[e.user] = d
    lo, hi = min(days_users), max(days_users)
    by_order = orders(events)
    out: dict[dt.date, dict[str, Any]] = {}
    d = lo
    while d <= hi:
        def window(n: int, d: dt.date = d) -> int:
            users: set[str] = set()
            for k in range(n):
                users |= days_users.get(d - dt.timedelta(days=k), set())
            return len(users)

        day_sessions = [s for s in sessions.values() if day(s[0].time) == d]
        day_events = [e for e in events if day(e.time) == d]
        dau, mau = window(1), window(30)
        revenue = sum((o["revenue"] for o in by_order.values()
                       if day(o["order_time"]) == d and o["currency"] == WORKSPACE_CURRENCY),
                      Decimal(0))
        refunds = sum((revenue_of(e) for e in day_events
                       if e.type == "refund" and e.currency == WORKSPACE_CURRENCY), Decimal(0))
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
            # An order in several currencies counts once, on its first part's day.
            "orders": sum(day(o["order_time"]) == d and not o["part"] for o in by_order.values()),
            "revenue": revenue,
            "refunds": refunds,
            "net_revenue": revenue - refunds,
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


def order_ids(events: list[Ev]) -> dict[str, str]:
    """Purchase event id → the id of its order's row in fct_orders: the order key, or for a
    line in another currency than the order's first line '<key> (<currency>)' (money is never
    summed across currencies)."""
    first: dict[str, str] = {}
    out: dict[str, str] = {}
    for e in sorted((e for e in events if e.type == "purchase"), key=lambda e: (e.time, e.event_id)):
        k = order_key(e)
        first.setdefault(k, e.currency)
        out[e.event_id] = k if e.currency == first[k] else f"{k} ({e.currency})"
    return out


def orders(events: list[Ev]) -> dict[str, dict[str, Any]]:
    """Order id (see ``order_ids``) → the order: user and session of its first line (ties:
    lowest event_id)."""
    out: dict[str, dict[str, Any]] = {}
    ids = order_ids(events)
    for e in sorted((e for e in events if e.type == "purchase"), key=lambda e: (e.time, e.event_id)):
        k = ids[e.event_id]
        o = out.setdefault(k, {"user_id": e.user, "session_id": e.session.split("|", 1)[1],
                                "order_time": e.time, "currency": e.currency, "items": 0,
                                "part": k != order_key(e),
                                "units": 0, "revenue": Decimal(0), "products": set()})
        o["items"] += 1
        o["units"] += e.qty
        o["revenue"] += revenue_of(e)
        if e.product is not None:
            o["products"].add(e.product)
    return out


def product_attributes(
    events: list[Ev], catalog: dict[str, dict[str, Any]]
) -> tuple[dict[str, dict[str, Any]], set[str]]:
    """Product → name, category, brand, price: the catalog's, else the latest non-null value seen
    on events. Also the products whose latest value is ambiguous (two values at one instant)."""
    seen: dict[str, dict[str, tuple[dt.datetime, set[Any]]]] = defaultdict(dict)
    for e in events:
        if e.product is None:
            continue
        seen.setdefault(e.product, {})  # a product is seen even with no attribute on its events
        for attr, value in (("category", e.category), ("brand", e.brand), ("price", e.price)):
            if value is None:
                continue
            t, values = seen[e.product].get(attr, (None, set()))
            if t is None or e.time > t:
                seen[e.product][attr] = (e.time, {value})
            elif e.time == t:
                values.add(value)
    out: dict[str, dict[str, Any]] = {}
    ambiguous: set[str] = set()
    for pid in set(seen) | set(catalog):
        cat = catalog.get(pid, {})
        row = {"name": cat.get("name")}
        for attr in ("category", "brand", "price"):
            if cat.get(attr) is not None:
                row[attr] = cat[attr]
                continue
            _, values = seen.get(pid, {}).get(attr, (None, {None}))
            if len(values) > 1:
                ambiguous.add(pid)
            row[attr] = next(iter(values))
        out[pid] = row
    return out, ambiguous


def products_full(
    events: list[Ev], sessions: dict[str, list[Ev]] | None = None
) -> dict[str, dict[str, Any]]:
    """Product → views, add_to_carts, units_sold, revenue and the two rates (METRICS.md §3)."""
    out: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"views": 0, "add_to_carts": 0, "units_sold": 0, "revenue": Decimal(0)})
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
            if e.currency == WORKSPACE_CURRENCY:  # never summed across currencies
                p["revenue"] += revenue_of(e)
    for p in out.values():
        p.update(view_sessions=0, view_to_cart_sessions=0, cart_sessions=0,
                 cart_to_purchase_sessions=0)
    # Rates are shares of sessions: of the sessions that viewed (carted) the product, those with a
    # cart (purchase) of it at or after their first view (cart) of it.
    for evs in sessionize(events).values() if sessions is None else sessions.values():
        by_product: dict[str, dict[str, list[dt.datetime]]] = defaultdict(lambda: defaultdict(list))
        for e in evs:
            if e.product is not None:
                by_product[e.product][e.type].append(e.time)
        for pid, times in by_product.items():
            p = out[pid]
            views, carts, buys = times["product_view"], times["add_to_cart"], times["purchase"]
            if views:
                p["view_sessions"] += 1
                p["view_to_cart_sessions"] += any(t >= min(views) for t in carts)
            if carts:
                p["cart_sessions"] += 1
                p["cart_to_purchase_sessions"] += any(t >= min(carts) for t in buys)
    has_carts = any(e.type == "add_to_cart" and e.product is not None for e in events)
    for p in out.values():
        p["view_to_cart_rate"] = (
            p["view_to_cart_sessions"] / p["view_sessions"] if p["view_sessions"] and has_carts else None
        )
        p["cart_to_purchase_rate"] = (
            p["cart_to_purchase_sessions"] / p["cart_sessions"] if p["cart_sessions"] else None
        )
    return dict(out)


def revenue_by_day_category(
    events: list[Ev], attrs: dict[str, dict[str, Any]]
) -> dict[tuple[dt.date, str, str], dict[str, Any]]:
    """(day, category, currency) → orders, items, units, revenue, buyers, refund_items, refunds,
    net_revenue. A purchase line counts on its order's day and in its order's currency (its
    own: see ``order_ids``), a refund line on its own day in its own currency; both in the
    product's category (else the event's, else 'unknown')."""
    by_order = orders(events)
    ids = order_ids(events)
    out: dict[tuple[dt.date, str, str], dict[str, Any]] = defaultdict(
        lambda: {"orders": set(), "items": 0, "units": 0, "revenue": Decimal(0), "buyers": set(),
                 "refund_items": 0, "refunds": Decimal(0)})
    for e in events:
        if e.type not in ("purchase", "refund"):
            continue
        category = (attrs.get(e.product, {}).get("category") if e.product else None) or e.category
        if e.type == "refund":
            row = out[(day(e.time), category or "unknown", e.currency)]
            row["refund_items"] += 1
            row["refunds"] += revenue_of(e)
            continue
        k = ids[e.event_id]
        o = by_order[k]
        row = out[(day(o["order_time"]), category or "unknown", o["currency"])]
        row["orders"].add(k)
        row["items"] += 1
        row["units"] += e.qty
        row["revenue"] += revenue_of(e)
        row["buyers"].add(e.user)
    return {
        key: {**r, "orders": len(r["orders"]), "buyers": len(r["buyers"]),
              "net_revenue": r["revenue"] - r["refunds"]}
        for key, r in out.items()
    }


def user_versions(
    events: list[Ev], snapshots: dict[str, list[dict[str, Any]]]
) -> tuple[dict[tuple[str, int], dict[str, Any]], set[str]]:
    """(user, version) → the SCD type 2 row (METRICS.md §3). Users without snapshots get one
    version from their first event; the users whose first event is ambiguous (two at one instant
    with other attributes) are returned apart, for their country and device."""
    out: dict[tuple[str, int], dict[str, Any]] = {}
    for user, snaps in snapshots.items():
        versions: list[dict[str, Any]] = []
        last: tuple | None = None
        for snap in snaps:
            attrs = (snap["signup_date"], snap["country"], snap["segment"], snap["device"])
            if last is None or attrs != last:
                versions.append({**snap, "valid_from": snap["updated_at"]})
            last = attrs
        for i, v in enumerate(versions):
            valid_to = versions[i + 1]["valid_from"] if i + 1 < len(versions) else None
            out[(user, i + 1)] = {
                "signup_date": v["signup_date"], "country": v["country"], "segment": v["segment"],
                "device": v["device"], "valid_from": v["valid_from"], "valid_to": valid_to,
                "is_current": valid_to is None,
            }
    first: dict[str, list[Ev]] = {}
    for e in events:
        if e.user in snapshots:
            continue
        cur = first.get(e.user)
        if cur is None or e.time < cur[0].time:
            first[e.user] = [e]
        elif e.time == cur[0].time:
            cur.append(e)
    ambiguous = set()
    for user, evs in first.items():
        if len({(e.country, e.device) for e in evs}) > 1:
            ambiguous.add(user)
        out[(user, 1)] = {
            "signup_date": None, "country": evs[0].country, "segment": None,
            "device": evs[0].device, "valid_from": evs[0].time, "valid_to": None, "is_current": True,
        }
    return out, ambiguous


def activity_hours(events: list[Ev]) -> dict[tuple[dt.date, int], int]:
    """(day, hour of day) → events, both in the reporting time zone."""
    out: dict[tuple[dt.date, int], int] = defaultdict(int)
    for e in events:
        t = local(e.time)
        out[(t.date(), t.hour)] += 1
    return dict(out)


def dates(events: list[Ev]) -> dict[dt.date, tuple]:
    """Every day from the first to the last event day: ISO day of week, day name, weekend,
    Monday week start, month start, quarter, year."""
    lo = min(day(e.time) for e in events)
    hi = max(day(e.time) for e in events)
    out = {}
    d = lo
    while d <= hi:
        out[d] = (d.isoweekday(), d.strftime("%A"), d.isoweekday() >= 6, week_start(d),
                  d.replace(day=1), (d.month - 1) // 3 + 1, d.year)
        d += dt.timedelta(days=1)
    return out


def funnel(sessions: dict[str, list[Ev]], events: list[Ev]) -> dict[tuple, list[int]]:
    present = {e.type for e in events}
    out: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for evs in sessions.values():
        first = evs[0]
        key = (day(first.time), first.device, first.source, first.country)
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
        d = day(e.time)
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
