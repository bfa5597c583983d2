"""Sessions to events, one chunk of sessions at a time, as compact integer columns.

A session's events are laid out as: the entry event, the browsing events (each product view that
leads to a cart add is directly followed by its ``add_to_cart``), then an optional
``remove_from_cart`` of the first added item, ``begin_checkout``, and one ``purchase`` row per
remaining cart item. Strings are made later, in SQL, from these codes.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from shoplytics_desktop.core.generate import behaviour as b
from shoplytics_desktop.core.generate.catalog import Catalog
from shoplytics_desktop.core.generate.plan import SessionPlan, excl_cumsum
from shoplytics_desktop.core.generate.spec import ResolvedSpec

#: Events per chunk: bounds memory, sets the pace of progress reports and lets numpy work on
#: one chunk while DuckDB loads the previous one. A function of the event target only, so the
#: data stays the same on every machine.
MIN_CHUNK_EVENTS = 250_000
MAX_CHUNK_EVENTS = 1_000_000


def chunk_events(events: int) -> int:
    return int(np.clip(events // 4, MIN_CHUNK_EVENTS, MAX_CHUNK_EVENTS))


#: Among browsing events that are not product views, the share of searches.
_SEARCH = b.BROWSE_SHARE[2] / (b.BROWSE_SHARE[0] + b.BROWSE_SHARE[2])
_BARGAIN_SEARCH = b.BARGAIN_BROWSE_SHARE[2] / (
    b.BARGAIN_BROWSE_SHARE[0] + b.BARGAIN_BROWSE_SHARE[2]
)

_GAP_LOG_MEDIAN = np.zeros(8)
for _code, _median in b.GAP_MEDIAN_S.items():
    _GAP_LOG_MEDIAN[_code] = np.log(_median)


def chunk_bounds(plan: SessionPlan) -> list[tuple[int, int]]:
    """Session ranges of about ``chunk_events`` events each (fixed by the plan, not the machine)."""
    total = int(plan.keep.sum())
    size = chunk_events(total)
    marks = np.arange(size, total, size)
    cuts = np.searchsorted(plan.event_off, marks, side="left")
    edges = np.unique(np.concatenate([[0], cuts, [plan.n]]))
    return [(int(a), int(z)) for a, z in itertools.pairwise(edges) if z > a]


def expand(
    spec: ResolvedSpec, plan: SessionPlan, catalog: Catalog, s0: int, s1: int, chunk_no: int
) -> dict[str, np.ndarray]:
    """The events of sessions ``s0 .. s1 - 1`` as integer columns (see ``sql.events_select``).

    The steps draw from one generator in a fixed order, so a seed always gives the same data."""
    rng = spec.rng("events", chunk_no)
    sl = slice(s0, s1)
    base = _base_events(rng, plan, catalog, sl)
    body = _with_cart_adds(base, plan.n_add[sl].astype(np.int64), s1 - s0)
    tail = _tail_events(plan, sl, body)
    ev = _scatter(plan, sl, base, body, tail)
    ev_time = _times(rng, spec, plan, sl, ev)
    price, quantity = _money(rng, plan, catalog, sl, ev)
    columns = _columns(plan, catalog, s0, s1, ev, ev_time, price, quantity)
    total = len(ev.type)
    cut = int(ev.count[-1] - plan.keep[s1 - 1])
    if cut:  # only the plan's last session is ever cut short, so its cut events end the chunk
        columns = {k: v[: total - cut] for k, v in columns.items()}
    return columns


@dataclass
class _Base:
    """Entry and browsing events, with a product for every product view."""

    n: np.ndarray  # events per session
    off: np.ndarray  # each session's first event
    session: np.ndarray
    type: np.ndarray
    product: np.ndarray
    is_pv: np.ndarray


@dataclass
class _Body:
    """The base events with an ``add_to_cart`` after each product view that leads to one."""

    n: np.ndarray
    session: np.ndarray
    type: np.ndarray
    product: np.ndarray
    cart_at: np.ndarray  # position of each cart add
    first_cart: np.ndarray  # each session's first cart add (index into cart_at)


@dataclass
class _Tail:
    """Remove, checkout and order lines."""

    session: np.ndarray
    j: np.ndarray  # position within the session's tail
    type: np.ndarray
    line: np.ndarray
    product: np.ndarray


@dataclass
class _Events:
    """All events of the chunk in session order."""

    count: np.ndarray
    off: np.ndarray
    session: np.ndarray
    pos: np.ndarray  # position within the session
    type: np.ndarray
    product: np.ndarray
    line: np.ndarray


def _base_events(rng: np.random.Generator, plan: SessionPlan, catalog: Catalog, sl: slice) -> _Base:
    browse_len = plan.browse_len[sl].astype(np.int64)
    local = np.arange(len(browse_len))
    n_base = 1 + browse_len
    base_off = excl_cumsum(n_base)
    total_base = int(n_base.sum())
    base_session = np.repeat(local, n_base)
    # The session's k product views are spread over its L browsing slots: slot j is a view when
    # floor(((j + 1) k + o) / L) > floor((j k + o) / L), exactly k times for any offset o < L;
    # a random o per session varies where they fall. The other slots are page views or searches.
    slot = np.arange(total_base) - base_off[base_session] - 1  # -1 for the entry
    length = np.maximum(browse_len, 1)[base_session]
    k = plan.browse_pv[sl].astype(np.int64)[base_session]
    offset = rng.integers(0, np.maximum(browse_len, 1))[base_session]
    view = ((slot + 1) * k + offset) // length > (slot * k + offset) // length
    bargain = plan.segment[sl][base_session] == b.BARGAIN
    p_search = np.where(bargain, _BARGAIN_SEARCH, _SEARCH)
    other = np.where(rng.random(total_base) < p_search, b.SEARCH, b.PAGE_VIEW)
    base_type = np.where(view, b.PRODUCT_VIEW, other).astype(np.int8)
    base_type[base_off] = plan.entry[sl]

    is_pv = base_type == b.PRODUCT_VIEW
    pv_session = base_session[is_pv]
    in_focus = rng.random(len(pv_session)) < b.FOCUS_SHARE
    categories = np.where(
        in_focus, plan.focus[sl][pv_session], catalog.sample_categories(rng, len(pv_session))
    )
    base_product = np.full(total_base, -1, dtype=np.int32)
    base_product[is_pv] = catalog.sample_in(rng, categories)
    return _Base(n_base, base_off, base_session, base_type, base_product, is_pv)


def _with_cart_adds(base: _Base, n_add: np.ndarray, ns: int) -> _Body:
    # The last n_add product views of a session are the ones added to the cart.
    is_pv, base_off, base_session = base.is_pv, base.off, base.session
    pv_seen = np.cumsum(is_pv)
    pv_before = pv_seen[base_off] - is_pv[base_off]
    pv_total = pv_seen[base_off + base.n - 1] - pv_before
    from_end = pv_total[base_session] - (pv_seen - pv_before[base_session])
    added = is_pv & (from_end < n_add[base_session])

    rep = 1 + added.astype(np.int64)
    rep_off = excl_cumsum(rep)
    body_session = np.repeat(base_session, rep)
    body_type = np.repeat(base.type, rep)
    body_product = np.repeat(base.product, rep)
    cart_at = rep_off[added] + 1
    body_type[cart_at] = b.ADD_TO_CART
    cart_session = body_session[cart_at]
    first_cart = np.searchsorted(cart_session, np.arange(ns), side="left")
    return _Body(base.n + n_add, body_session, body_type, body_product, cart_at, first_cart)


def _tail_events(plan: SessionPlan, sl: slice, body: _Body) -> _Tail:
    # Tail: remove (first added item), checkout, order lines (the items still in the cart).
    removed = plan.removed[sl].astype(np.int64)
    checkout = plan.checkout[sl].astype(np.int64)
    n_tail = removed + checkout + plan.n_lines[sl].astype(np.int64)
    tail_session = np.repeat(np.arange(len(n_tail)), n_tail)
    j = np.arange(int(n_tail.sum())) - np.repeat(excl_cumsum(n_tail), n_tail)
    rem = removed[tail_session]
    chk = checkout[tail_session]
    tail_type = np.where(
        j < rem, b.REMOVE_FROM_CART, np.where(j < rem + chk, b.BEGIN_CHECKOUT, b.PURCHASE)
    ).astype(np.int8)
    line = np.where(tail_type == b.PURCHASE, j - rem - chk, -1)
    cart_at = body.cart_at
    cart_item = body.first_cart[tail_session] + np.where(tail_type == b.PURCHASE, rem + line, 0)
    cart_item = np.minimum(cart_item, max(len(cart_at) - 1, 0))
    tail_product = (
        np.where(tail_type == b.BEGIN_CHECKOUT, -1, body.product[cart_at][cart_item])
        if len(cart_at)
        else np.full(len(j), -1)
    ).astype(np.int32)
    return _Tail(tail_session, j, tail_type, line, tail_product)


def _scatter(plan: SessionPlan, sl: slice, base: _Base, body: _Body, tail: _Tail) -> _Events:
    # Scatter body and tail into session order.
    count = plan.count[sl]
    out_off = excl_cumsum(count)
    total = int(count.sum())
    body_session = body.session
    body_pos = (
        out_off[body_session] + np.arange(len(body_session)) - excl_cumsum(body.n)[body_session]
    )
    tail_pos = out_off[tail.session] + body.n[tail.session] + tail.j
    ev_type = np.empty(total, dtype=np.int8)
    ev_product = np.empty(total, dtype=np.int32)
    ev_line = np.full(total, -1, dtype=np.int16)
    ev_type[body_pos] = body.type
    ev_type[tail_pos] = tail.type
    ev_product[body_pos] = body.product
    ev_product[tail_pos] = tail.product
    ev_line[tail_pos] = tail.line
    ev_session = np.repeat(np.arange(len(count)), count)
    pos = np.arange(total) - out_off[ev_session]
    return _Events(count, out_off, ev_session, pos, ev_type, ev_product, ev_line)


def _times(
    rng: np.random.Generator, spec: ResolvedSpec, plan: SessionPlan, sl: slice, ev: _Events
) -> np.ndarray:
    # Time: log-normal gaps by event type, none before the first event or between order lines.
    total = len(ev.type)
    gap = np.exp(_GAP_LOG_MEDIAN[ev.type] + b.GAP_SIGMA * rng.standard_normal(total))
    gap = np.clip(np.ceil(gap), 1, b.GAP_MAX_S).astype(np.int64)
    gap[(ev.pos == 0) | (ev.line > 0)] = 0
    elapsed = np.cumsum(gap)
    elapsed -= elapsed[ev.off][ev.session]
    duration = elapsed[ev.off + ev.count - 1]
    start = np.minimum(plan.start_s[sl], spec.end_s - 1 - duration)
    ev_time: np.ndarray = start[ev.session] + elapsed
    return ev_time


def _money(
    rng: np.random.Generator, plan: SessionPlan, catalog: Catalog, sl: slice, ev: _Events
) -> tuple[np.ndarray, np.ndarray]:
    # Money: list prices; some order lines discounted; cheap items bought by the handful. Only
    # the order lines (a few percent of events) get the extra draws.
    has_product = ev.product >= 0
    price = np.where(has_product, catalog.price_cents[np.maximum(ev.product, 0)], -1)
    lines = np.flatnonzero(ev.line >= 0)
    line_price = price[lines]
    segment = plan.segment[sl][ev.session[lines]]
    discounted = rng.random(len(lines)) < b.SEGMENT_DISCOUNT[segment]
    discount = rng.uniform(0.1, 0.3, len(lines))
    price[lines] = np.where(discounted, np.round(line_price * (1 - discount)), line_price)
    extra = rng.geometric(np.where(line_price < 1500, 0.65, 0.88)) - 1
    quantity = np.ones(len(ev.type), dtype=np.int32)
    quantity[lines] = 1 + np.minimum(extra, 9)
    return price, quantity


def _columns(
    plan: SessionPlan,
    catalog: Catalog,
    s0: int,
    s1: int,
    ev: _Events,
    ev_time: np.ndarray,
    price: np.ndarray,
    quantity: np.ndarray,
) -> dict[str, np.ndarray]:
    has_product = ev.product >= 0
    ev_session, ev_product, ev_type = ev.session, ev.product, ev.type
    return {
        "eidx": int(plan.event_off[s0]) + np.arange(len(ev_type), dtype=np.int64),
        "t": ev_time,
        "typ": ev_type,
        "uidx": plan.user[s0:s1][ev_session],
        "sidx": (s0 + ev_session).astype(np.int32),
        "pidx": ev_product,
        "oidx": np.where(ev_type == b.PURCHASE, plan.order[s0:s1][ev_session], -1).astype(np.int32),
        "price": price,
        "qty": quantity,
        "cat": np.where(has_product, catalog.category[np.maximum(ev_product, 0)], -1).astype(
            np.int8
        ),
        "brand": np.where(has_product, catalog.brand[np.maximum(ev_product, 0)], -1).astype(
            np.int16
        ),
        "dev": plan.device[s0:s1][ev_session],
        "cty": plan.country[s0:s1][ev_session],
        "src": plan.source[s0:s1][ev_session],
    }
