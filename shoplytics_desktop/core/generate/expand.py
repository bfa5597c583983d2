"""Sessions to events, one chunk of sessions at a time, as compact integer columns.

A session's events are laid out as: the entry event, the browsing events (each product view that
leads to a cart add is directly followed by its ``add_to_cart``), then an optional
``remove_from_cart`` of the first added item, ``begin_checkout``, and one ``purchase`` row per
remaining cart item. Strings are made later, in SQL, from these codes.
"""

from __future__ import annotations

import itertools

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
    """The events of sessions ``s0 .. s1 - 1`` as integer columns (see ``sql.events_select``)."""
    rng = spec.rng("events", chunk_no)
    ns = s1 - s0
    local = np.arange(ns)
    browse_len = plan.browse_len[s0:s1].astype(np.int64)
    n_add = plan.n_add[s0:s1].astype(np.int64)
    removed = plan.removed[s0:s1].astype(np.int64)
    checkout = plan.checkout[s0:s1].astype(np.int64)
    n_lines = plan.n_lines[s0:s1].astype(np.int64)

    # Entry + browsing events ("base"), with a product for every product view.
    n_base = 1 + browse_len
    base_off = excl_cumsum(n_base)
    total_base = int(n_base.sum())
    base_session = np.repeat(local, n_base)
    # The session's k product views are spread over its L browsing slots: slot j is a view when
    # floor(((j + 1) k + o) / L) > floor((j k + o) / L), exactly k times for any offset o < L;
    # a random o per session varies where they fall. The other slots are page views or searches.
    slot = np.arange(total_base) - base_off[base_session] - 1  # -1 for the entry
    length = np.maximum(browse_len, 1)[base_session]
    k = plan.browse_pv[s0:s1].astype(np.int64)[base_session]
    offset = rng.integers(0, np.maximum(browse_len, 1))[base_session]
    view = ((slot + 1) * k + offset) // length > (slot * k + offset) // length
    bargain = plan.segment[s0:s1][base_session] == b.BARGAIN
    p_search = np.where(bargain, _BARGAIN_SEARCH, _SEARCH)
    other = np.where(rng.random(total_base) < p_search, b.SEARCH, b.PAGE_VIEW)
    base_type = np.where(view, b.PRODUCT_VIEW, other).astype(np.int8)
    base_type[base_off] = plan.entry[s0:s1]

    is_pv = base_type == b.PRODUCT_VIEW
    pv_session = base_session[is_pv]
    in_focus = rng.random(len(pv_session)) < b.FOCUS_SHARE
    categories = np.where(
        in_focus, plan.focus[s0:s1][pv_session], catalog.sample_categories(rng, len(pv_session))
    )
    base_product = np.full(total_base, -1, dtype=np.int32)
    base_product[is_pv] = catalog.sample_in(rng, categories)

    # The last n_add product views of a session are the ones added to the cart.
    pv_seen = np.cumsum(is_pv)
    pv_before = pv_seen[base_off] - is_pv[base_off]
    pv_total = pv_seen[base_off + n_base - 1] - pv_before
    from_end = pv_total[base_session] - (pv_seen - pv_before[base_session])
    added = is_pv & (from_end < n_add[base_session])

    rep = 1 + added.astype(np.int64)
    rep_off = excl_cumsum(rep)
    body_session = np.repeat(base_session, rep)
    body_type = np.repeat(base_type, rep)
    body_product = np.repeat(base_product, rep)
    cart_at = rep_off[added] + 1
    body_type[cart_at] = b.ADD_TO_CART
    cart_session = body_session[cart_at]
    first_cart = np.searchsorted(cart_session, local, side="left")

    # Tail: remove (first added item), checkout, order lines (the items still in the cart).
    n_tail = removed + checkout + n_lines
    tail_session = np.repeat(local, n_tail)
    j = np.arange(int(n_tail.sum())) - np.repeat(excl_cumsum(n_tail), n_tail)
    rem = removed[tail_session]
    chk = checkout[tail_session]
    tail_type = np.where(
        j < rem, b.REMOVE_FROM_CART, np.where(j < rem + chk, b.BEGIN_CHECKOUT, b.PURCHASE)
    ).astype(np.int8)
    line = np.where(tail_type == b.PURCHASE, j - rem - chk, -1)
    cart_item = first_cart[tail_session] + np.where(tail_type == b.PURCHASE, rem + line, 0)
    cart_item = np.minimum(cart_item, max(len(cart_at) - 1, 0))
    tail_product = (
        np.where(tail_type == b.BEGIN_CHECKOUT, -1, body_product[cart_at][cart_item])
        if len(cart_at)
        else np.full(len(j), -1)
    ).astype(np.int32)

    # Scatter body and tail into session order.
    count = plan.count[s0:s1]
    out_off = excl_cumsum(count)
    n_body = n_base + n_add
    total = int(count.sum())
    body_pos = (
        out_off[body_session] + np.arange(len(body_session)) - excl_cumsum(n_body)[body_session]
    )
    tail_pos = out_off[tail_session] + n_body[tail_session] + j
    ev_type = np.empty(total, dtype=np.int8)
    ev_product = np.empty(total, dtype=np.int32)
    ev_line = np.full(total, -1, dtype=np.int16)
    ev_type[body_pos] = body_type
    ev_type[tail_pos] = tail_type
    ev_product[body_pos] = body_product
    ev_product[tail_pos] = tail_product
    ev_line[tail_pos] = line
    ev_session = np.repeat(local, count)
    pos = np.arange(total) - out_off[ev_session]

    # Time: log-normal gaps by event type, none before the first event or between order lines.
    gap = np.exp(_GAP_LOG_MEDIAN[ev_type] + b.GAP_SIGMA * rng.standard_normal(total))
    gap = np.clip(np.ceil(gap), 1, b.GAP_MAX_S).astype(np.int64)
    gap[(pos == 0) | (ev_line > 0)] = 0
    elapsed = np.cumsum(gap)
    elapsed -= elapsed[out_off][ev_session]
    duration = elapsed[out_off + count - 1]
    start = np.minimum(plan.start_s[s0:s1], spec.end_s - 1 - duration)
    ev_time = start[ev_session] + elapsed

    # Money: list prices; some order lines discounted; cheap items bought by the handful. Only
    # the order lines (a few percent of events) get the extra draws.
    has_product = ev_product >= 0
    price = np.where(has_product, catalog.price_cents[np.maximum(ev_product, 0)], -1)
    lines = np.flatnonzero(ev_line >= 0)
    line_price = price[lines]
    segment = plan.segment[s0:s1][ev_session[lines]]
    discounted = rng.random(len(lines)) < b.SEGMENT_DISCOUNT[segment]
    discount = rng.uniform(0.1, 0.3, len(lines))
    price[lines] = np.where(discounted, np.round(line_price * (1 - discount)), line_price)
    extra = rng.geometric(np.where(line_price < 1500, 0.65, 0.88)) - 1
    quantity = np.ones(total, dtype=np.int32)
    quantity[lines] = 1 + np.minimum(extra, 9)

    columns = {
        "eidx": int(plan.event_off[s0]) + np.arange(total, dtype=np.int64),
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
    cut = int(count[-1] - plan.keep[s1 - 1])
    if cut:  # only the plan's last session is ever cut short, so its cut events end the chunk
        columns = {k: v[: total - cut] for k, v in columns.items()}
    return columns
