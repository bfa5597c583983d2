"""Users and sessions: who visits when, and how far each session gets.

Everything here works on whole arrays (one element per user or per session); nothing loops per
user or per session. The plan fixes each session's shape (entry, browsing depth, cart, checkout,
order lines) and so its event count; ``expand`` later turns sessions into events chunk by chunk.

The event target is met exactly: sessions are drawn with a slight surplus, return visits are thinned
at random (thinning a visit process keeps its shape) and the last kept session is cut short.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from shoplytics_desktop.core.generate import behaviour as b
from shoplytics_desktop.core.generate.catalog import Catalog
from shoplytics_desktop.core.generate.spec import ResolvedSpec
from shoplytics_desktop.core.progress import Reporter

_ENTRY_CODES = np.array([b.PAGE_VIEW, b.SEARCH, b.PRODUCT_VIEW], dtype=np.int8)
_MAX_ROUNDS = 8


@dataclass
class Users:
    acquired_s: np.ndarray  # epoch seconds of the first visit
    segment: np.ndarray  # segment at signup
    country: np.ndarray
    device: np.ndarray  # preferred device
    source: np.ndarray  # acquisition channel
    favourite: np.ndarray  # favourite category
    segment_change_s: np.ndarray  # when the segment changed (-1: never)
    new_segment: np.ndarray
    country_change_s: np.ndarray  # when the user moved (-1: never)
    new_country: np.ndarray

    @property
    def n(self) -> int:
        return len(self.acquired_s)


@dataclass
class SessionPlan:
    """Sessions in output order (by start time); all arrays have one element per session."""

    start_s: np.ndarray
    user: np.ndarray
    device: np.ndarray
    source: np.ndarray
    country: np.ndarray
    segment: np.ndarray
    focus: np.ndarray  # category of interest
    entry: np.ndarray  # event type code of the first event
    browse_len: np.ndarray  # events after the entry, before cart/checkout
    browse_pv: np.ndarray  # how many of them are product views
    n_add: np.ndarray
    removed: np.ndarray
    checkout: np.ndarray
    purchase: np.ndarray
    n_lines: np.ndarray
    count: np.ndarray  # events of the full session
    keep: np.ndarray  # events kept (= count except for the one session cut at the target)
    order: np.ndarray  # order number (-1: no purchase)
    event_off: np.ndarray  # index of the session's first event

    @property
    def n(self) -> int:
        return len(self.start_s)


def excl_cumsum(a: np.ndarray) -> np.ndarray:
    out = np.zeros(len(a), dtype=np.int64)
    if len(a) > 1:
        np.cumsum(a[:-1], out=out[1:])
    return out


def time_of_day(rng: np.random.Generator, n: int) -> np.ndarray:
    hour = rng.choice(24, size=n, p=b.HOUR_SHARE)
    return hour.astype(np.int64) * 3600 + rng.integers(0, 3600, size=n)


def _pick3(u: np.ndarray, alt: np.ndarray, share: np.ndarray, alt_share: np.ndarray) -> np.ndarray:
    """Index 0..2 drawn by ``share`` (``alt_share`` where ``alt``), from uniforms ``u``."""
    c0 = np.where(alt, alt_share[0], share[0])
    c1 = np.where(alt, alt_share[0] + alt_share[1], share[0] + share[1])
    picked: np.ndarray = (u >= c0).astype(np.int8) + (u >= c1)
    return picked


def _choice(rng: np.random.Generator, n: int, share: np.ndarray) -> np.ndarray:
    return rng.choice(len(share), size=n, p=share).astype(np.int8)


def build_users(spec: ResolvedSpec, catalog: Catalog) -> Users:
    rng = spec.rng("users")
    n, days = spec.users, spec.days
    day = np.arange(days)
    weekday = (spec.start.weekday() + day) % 7
    weight = np.exp(b.GROWTH * (day + 0.5) / days) * b.WEEKDAY_WEIGHT[weekday]
    acquired_day = rng.choice(days, size=n, p=weight / weight.sum())
    acquired = spec.start_s + acquired_day.astype(np.int64) * 86_400 + time_of_day(rng, n)
    country = _choice(rng, n, b.COUNTRY_SHARE)
    return Users(
        acquired_s=acquired,
        segment=_choice(rng, n, b.SEGMENT_SHARE),
        country=country,
        device=_choice(rng, n, b.DEVICE_SHARE),
        source=_choice(rng, n, b.ACQUISITION_SHARE),
        favourite=catalog.sample_categories(rng, n),
        segment_change_s=np.full(n, -1, dtype=np.int64),
        new_segment=np.full(n, -1, dtype=np.int8),
        country_change_s=np.full(n, -1, dtype=np.int64),
        new_country=country.copy(),
    )


def _return_shape(spec: ResolvedSpec, users: Users) -> tuple[np.ndarray, np.ndarray]:
    """Per user: days left for return visits, and the integrated return intensity over them."""
    window = np.maximum(0, spec.end_s - b.MIN_RETURN_GAP_S - 1 - users.acquired_s) / 86_400
    power = 1 - b.DECAY
    integral = b.TAU_DAYS / power * ((1 + window / b.TAU_DAYS) ** power - 1)
    return window, integral * b.SEGMENT_RETURN_RATE[users.segment]


def _returns(
    spec: ResolvedSpec, users: Users, scale: float, rnd: int
) -> tuple[np.ndarray, np.ndarray]:
    """Return visits: a Poisson process per user whose rate decays with time since acquisition."""
    rng = spec.rng("returns", rnd)
    window, intensity = _return_shape(spec, users)
    counts = rng.poisson(scale * intensity)
    user = np.repeat(np.arange(users.n, dtype=np.int32), counts)
    del counts
    # Inverse of the integrated rate (1 + d/tau) ** -decay: a draw of the visit's delay.
    # (The arithmetic runs in place, step by step as the formula reads, to keep at most a few
    # arrays of one float per visit alive: at 100M events there are some 15M visits.)
    power = 1 - b.DECAY
    # Sorted within each user (user + u sorts by user, then u): a user's visits come out in time
    # order, so their n-th visit is found by position, without sorting sessions.
    key = user + rng.random(len(user))
    key.sort()
    v = np.subtract(key, user, out=key)
    # delay_days = TAU_DAYS * ((1 + v * ((1 + w / TAU_DAYS) ** power - 1)) ** (1 / power) - 1)
    w = window[user]
    np.divide(w, b.TAU_DAYS, out=w)
    np.add(1, w, out=w)
    np.power(w, power, out=w)
    np.subtract(w, 1, out=w)
    np.multiply(v, w, out=w)
    del v, key
    np.add(1, w, out=w)
    np.power(w, 1 / power, out=w)
    np.subtract(w, 1, out=w)
    delay_days = np.multiply(b.TAU_DAYS, w, out=w)
    first = users.acquired_s[user] + b.MIN_RETURN_GAP_S
    np.multiply(delay_days, 86_400, out=delay_days)
    t = first + delay_days.astype(np.int64)
    del delay_days, w
    # Weekday seasonality by thinning, then the hour-of-day profile within the visit's day.
    day = (t - spec.start_s) // 86_400
    keep = (
        rng.random(len(t))
        < b.WEEKDAY_WEIGHT[(spec.start.weekday() + day) % 7] / b.WEEKDAY_WEIGHT.max()
    )
    user, t, day, first = user[keep], t[keep], day[keep], first[keep]
    del keep
    retimed = spec.start_s + day * 86_400 + time_of_day(rng, len(t))
    del day
    t = np.where(retimed >= first, retimed, t)
    return user, t


def _profile_changes(
    spec: ResolvedSpec, users: Users, r_user: np.ndarray, r_start: np.ndarray, rnd: int
) -> None:
    """Segment upgrades at a user's 3rd visit and moves abroad at the 6th (raw.users snapshots).

    ``r_user``/``r_start`` are the return visits, grouped by user and in time order per user;
    the first visit is the acquisition, so the n-th visit is return number n - 1.
    """
    rng = spec.rng("profile", rnd)
    n = users.n
    returns = np.bincount(r_user, minlength=n)
    first_return = excl_cumsum(returns)

    def nth_visit(k: int) -> tuple[np.ndarray, np.ndarray]:
        has = returns >= k - 1
        t = np.full(n, -1, dtype=np.int64)
        t[has] = r_start[first_return[has] + k - 2]
        return has, t

    has3, t3 = nth_visit(3)
    u = rng.random(n)
    up_regular = has3 & ((users.segment == b.CASUAL) | (users.segment == b.BARGAIN)) & (u < 0.45)
    up_loyal = has3 & (users.segment == b.LOYAL) & (u < 0.3)
    changed = up_regular | up_loyal
    users.new_segment = np.where(up_regular, b.LOYAL, np.where(up_loyal, b.VIP, -1)).astype(np.int8)
    users.segment_change_s = np.where(changed, t3, -1)

    has6, t6 = nth_visit(6)
    moved = has6 & (rng.random(n) < 0.3)
    other = (users.country + 1 + rng.integers(0, len(b.COUNTRIES) - 1, n)) % len(b.COUNTRIES)
    users.new_country = np.where(moved, other, users.country).astype(np.int8)
    # Two visits in the same second would give two snapshots at one instant: keep them apart.
    t6 = np.where(t6 == users.segment_change_s, t6 + 1, t6)
    users.country_change_s = np.where(moved, t6, -1)


@dataclass
class _Draft:
    """Sessions of one calibration round, in the order they were drawn."""

    user: np.ndarray
    start_s: np.ndarray
    first: np.ndarray
    fields: dict[str, np.ndarray]
    count: np.ndarray


def _shape_sessions(
    spec: ResolvedSpec,
    users: Users,
    catalog: Catalog,
    user: np.ndarray,
    start: np.ndarray,
    first: np.ndarray,
    rnd: int,
) -> _Draft:
    """Decide how far every session gets, from who the user is and how they arrived.

    The steps draw from one generator in a fixed order, so a seed always gives the same data."""
    rng = spec.rng("shape", rnd)
    fields = _session_context(rng, users, catalog, user, start, first)
    fields.update(_browsing(rng, fields, first))
    fields.update(_funnel(rng, fields))
    count = (
        1
        + fields["browse_len"].astype(np.int64)
        + fields["n_add"]
        + fields["removed"]
        + fields["checkout"]
        + fields["n_lines"]
    )
    return _Draft(user, start, first, fields, count)


def _session_context(
    rng: np.random.Generator,
    users: Users,
    catalog: Catalog,
    user: np.ndarray,
    start: np.ndarray,
    first: np.ndarray,
) -> dict[str, np.ndarray]:
    """Who the user is at the session's start, the device, the source, the category in focus and
    the entry event."""
    n = len(user)
    seg_changed = (users.segment_change_s[user] >= 0) & (start >= users.segment_change_s[user])
    segment = np.where(seg_changed, users.new_segment[user], users.segment[user]).astype(np.int8)
    moved = (users.country_change_s[user] >= 0) & (start >= users.country_change_s[user])
    country = np.where(moved, users.new_country[user], users.country[user]).astype(np.int8)
    # Temporaries are dropped after their last use: at 100M events there are 23M sessions.
    del seg_changed, moved
    device = np.where(
        rng.random(n) < b.PREFERRED_DEVICE_SHARE,
        users.device[user],
        _choice(rng, n, b.DEVICE_SHARE),
    ).astype(np.int8)
    source = np.where(first, users.source[user], _choice(rng, n, b.RETURN_SHARE)).astype(np.int8)
    focus = np.where(
        rng.random(n) < b.FAVOURITE_SHARE, users.favourite[user], catalog.sample_categories(rng, n)
    ).astype(np.int8)
    u = rng.random(n, dtype=np.float32)
    entry = _ENTRY_CODES[_pick3(u, segment == b.BARGAIN, b.ENTRY_SHARE, b.BARGAIN_ENTRY_SHARE)]
    del u
    return {
        "device": device,
        "source": source,
        "country": country,
        "segment": segment,
        "focus": focus,
        "entry": entry,
    }


def _browsing(
    rng: np.random.Generator, ctx: dict[str, np.ndarray], first: np.ndarray
) -> dict[str, np.ndarray]:
    """Bounces, browsing depth and the number of product views."""
    n = len(first)
    source, device, segment = ctx["source"], ctx["device"], ctx["segment"]
    p_bounce = (
        b.SOURCE_BOUNCE[source] * b.DEVICE_BOUNCE[device] * np.where(first, 1.0, b.RETURNING_BOUNCE)
    )
    bounce = rng.random(n, dtype=np.float32) < p_bounce
    del p_bounce
    # Geometric browsing depth (>= 1) by inversion: much faster than a per-element-p draw.
    keep_going = 1 - 1 / (b.BROWSE_MEAN * b.SEGMENT_BROWSE[segment])
    depth = np.ceil(np.log1p(-rng.random(n)) / np.log(keep_going))
    browse_len = np.where(bounce, 0, np.clip(depth, 1, b.BROWSE_MAX)).astype(np.int16)
    del keep_going, depth, bounce

    # Only the number of product views is decided here (its mean is exact; stochastic rounding
    # is far cheaper than a binomial draw); expand() places them among the browsing events.
    p_pv = np.where(segment == b.BARGAIN, b.BARGAIN_BROWSE_SHARE[1], b.BROWSE_SHARE[1])
    browse_pv = np.floor(browse_len * p_pv + rng.random(n, dtype=np.float32)).astype(np.int16)
    return {"browse_len": browse_len, "browse_pv": browse_pv}


def _funnel(rng: np.random.Generator, ctx: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Cart adds, removals, checkout and purchase: each step is only reachable from the previous
    one. Only the few sessions that add to cart get the later draws."""
    segment, device, source = ctx["segment"], ctx["device"], ctx["source"]
    n = len(segment)
    n_pv = (ctx["entry"] == b.PRODUCT_VIEW) + ctx["browse_pv"]
    pull = b.SEGMENT_CART[segment] * b.DEVICE_CART[device] * b.SOURCE_CART[source]
    p_cart = (
        b.CART_BASE * pull * b.COUNTRY_CART[ctx["country"]] * np.minimum(1.0, 0.5 + 0.12 * n_pv)
    )
    cart_idx = np.flatnonzero((n_pv >= 1) & (rng.random(n, dtype=np.float32) < p_cart))
    del p_cart
    pull = pull[cart_idx]
    m = len(cart_idx)
    c_seg, c_dev = segment[cart_idx], device[cart_idx]
    c_add = np.minimum(1 + rng.poisson(b.SEGMENT_BASKET[c_seg]), n_pv[cart_idx])
    c_removed = rng.random(m) < np.where(c_add >= 2, b.REMOVE_MULTI, b.REMOVE_SINGLE)
    c_items = c_add - c_removed
    p_checkout = np.minimum(0.9, b.CHECKOUT_BASE * np.sqrt(pull))
    c_checkout = (c_items >= 1) & (rng.random(m) < p_checkout)
    c_purchase = c_checkout & (rng.random(m) < b.PAY_BASE * b.DEVICE_PAY[c_dev])

    n_add = np.zeros(n, dtype=np.int16)
    removed = np.zeros(n, dtype=bool)
    checkout = np.zeros(n, dtype=bool)
    purchase = np.zeros(n, dtype=bool)
    n_lines = np.zeros(n, dtype=np.int16)
    n_add[cart_idx] = c_add
    removed[cart_idx] = c_removed
    checkout[cart_idx] = c_checkout
    purchase[cart_idx] = c_purchase
    n_lines[cart_idx] = np.where(c_purchase, c_items, 0)
    return {
        "n_add": n_add,
        "removed": removed,
        "checkout": checkout,
        "purchase": purchase,
        "n_lines": n_lines,
    }


def build_plan(
    spec: ResolvedSpec, users: Users, catalog: Catalog, reporter: Reporter
) -> SessionPlan:
    target = spec.events
    _, intensity = _return_shape(spec, users)
    total_intensity = float(intensity.sum())
    events_per_session = 4.2  # first guess (a little low), replaced by the measured value
    draft: _Draft | None = None
    for rnd in range(_MAX_ROUNDS):
        reporter.check_cancelled()
        draft = None  # a new round replaces the last one: free it first
        sessions_needed = 1.03 * target / events_per_session + 50
        returns_needed = max(0.0, sessions_needed - users.n)
        # Weekday thinning drops about 8% of drawn visits.
        scale = returns_needed / (0.92 * total_intensity) if total_intensity > 0 else 0.0
        r_user, r_start = _returns(spec, users, scale, rnd)
        user = np.concatenate([np.arange(users.n, dtype=np.int32), r_user])
        start = np.concatenate([users.acquired_s, r_start])
        first = np.zeros(len(user), dtype=bool)
        first[: users.n] = True
        _profile_changes(spec, users, r_user, r_start, rnd)
        del r_user, r_start
        draft = _shape_sessions(spec, users, catalog, user, start, first, rnd)
        del user, start, first
        if int(draft.count.sum()) >= target or (scale == 0 and total_intensity == 0):
            break
        events_per_session = float(draft.count.mean())
    assert draft is not None
    # The draft's arrays are released as the plan takes its rows: the two never coexist whole.
    return _trim_and_sort(spec, draft)


def _trim_and_sort(spec: ResolvedSpec, d: _Draft) -> SessionPlan:
    """Choose the sessions that make the target, in output order; ``d`` is emptied meanwhile
    (each draft array is dropped once the plan has taken its rows), so that the draft and the
    plan never coexist whole."""
    rng = spec.rng("trim")
    target = spec.events
    firsts = np.flatnonzero(d.first)
    returns = np.flatnonzero(~d.first)
    # First visits go first so that every kept user keeps their acquisition visit.
    priority = np.concatenate([rng.permutation(firsts), rng.permutation(returns)])
    del firsts, returns
    reached = np.cumsum(d.count[priority])
    cut = min(int(np.searchsorted(reached, target, side="left")), len(priority) - 1)
    del reached
    chosen = priority[: cut + 1]
    # Output order is by start time at a resolution of 1/65536 of the range: a 16-bit key sorts
    # by radix (fast), and events only need to be roughly in time order for DuckDB's zone maps.
    span = max(1, spec.end_s - spec.start_s)
    bucket = ((d.start_s[chosen] - spec.start_s) * 65_535 // span).astype(np.uint16)
    sel = chosen[np.argsort(bucket, kind="stable")]
    del priority, chosen, bucket
    # The surplus comes off the latest sessions (usually a part of the very last one), so the
    # only session ever cut short is the last in output order.
    count = d.count[sel]
    surplus = max(0, int(count.sum()) - target)
    from_end = np.cumsum(count[::-1])
    whole = int(np.searchsorted(from_end, surplus, side="left"))  # sessions dropped entirely ...
    left = surplus - (int(from_end[whole - 1]) if whole else 0)  # ... and events cut from the next
    if surplus and whole < len(sel) and left == count[len(sel) - 1 - whole]:
        whole, left = whole + 1, 0
    del from_end
    sel = sel[: len(sel) - whole]
    # A session has fewer than 100 events (BROWSE_MAX bounds every part of it): 16 bits hold it.
    count = count[: len(sel)].astype(np.int16)
    keep = count.copy()
    if len(keep):
        keep[-1] -= left
    d.count = d.first = np.empty(0)

    def take(a: np.ndarray) -> np.ndarray:
        taken: np.ndarray = a[sel]
        return taken

    f = {k: take(d.fields.pop(k)) for k in list(d.fields)}
    purchase = f["purchase"]
    order_no = np.where(purchase, np.cumsum(purchase) - 1, -1).astype(np.int32)
    start_s, d.start_s = take(d.start_s), np.empty(0)
    user, d.user = take(d.user), np.empty(0)
    return SessionPlan(
        start_s=start_s,
        user=user,
        device=f["device"],
        source=f["source"],
        country=f["country"],
        segment=f["segment"],
        focus=f["focus"],
        entry=f["entry"],
        browse_len=f["browse_len"],
        browse_pv=f["browse_pv"],
        n_add=f["n_add"],
        removed=f["removed"],
        checkout=f["checkout"],
        purchase=purchase,
        n_lines=f["n_lines"],
        count=count,
        keep=keep,
        order=order_no,
        event_off=excl_cumsum(keep),
    )
