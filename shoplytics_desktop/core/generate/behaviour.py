"""The behavioural assumptions of the generator, in one place.

Shares are mixes of the population; multipliers scale the chance that a session adds to cart
(and, more weakly, checks out), so device, country, channel and segment visibly move conversion.
The numbers are plausible round figures for a mid-size web shop, not measurements.
"""

from __future__ import annotations

import numpy as np

from shoplytics_desktop.core.contract import EVENT_TYPES


def _norm(values: tuple[float, ...]) -> np.ndarray:
    a = np.array(values, dtype=np.float64)
    normed: np.ndarray = a / a.sum()
    return normed


# Event type codes are positions in the contract's list, so SQL can index it directly.
PAGE_VIEW = EVENT_TYPES.index("page_view")
PRODUCT_VIEW = EVENT_TYPES.index("product_view")
SEARCH = EVENT_TYPES.index("search")
ADD_TO_CART = EVENT_TYPES.index("add_to_cart")
REMOVE_FROM_CART = EVENT_TYPES.index("remove_from_cart")
BEGIN_CHECKOUT = EVENT_TYPES.index("begin_checkout")
PURCHASE = EVENT_TYPES.index("purchase")

# --- users ------------------------------------------------------------------------------------

SEGMENTS = ("casual", "bargain_hunter", "loyal", "vip")
CASUAL, BARGAIN, LOYAL, VIP = range(4)
SEGMENT_SHARE = _norm((0.52, 0.25, 0.17, 0.06))
#: Return visits per day right after acquisition (before calibration to the event target).
SEGMENT_RETURN_RATE = np.array([0.10, 0.16, 0.35, 0.60])
SEGMENT_CART = np.array([0.85, 0.8, 1.35, 1.9])
SEGMENT_BROWSE = np.array([1.0, 1.35, 0.9, 0.85])  # browsing depth
SEGMENT_BASKET = np.array([0.45, 0.35, 0.6, 0.95])  # extra items per cart (Poisson mean)
SEGMENT_DISCOUNT = np.array([0.06, 0.35, 0.08, 0.12])  # share of order lines bought on discount

COUNTRIES = ("US", "GB", "DE", "FR", "CA", "AU", "NL", "ES", "IT", "BR", "IN", "JP")
COUNTRY_SHARE = _norm((0.34, 0.12, 0.10, 0.08, 0.07, 0.05, 0.04, 0.04, 0.04, 0.05, 0.05, 0.02))
COUNTRY_CART = np.array([1.1, 1.05, 1.1, 0.95, 1.0, 1.0, 1.05, 0.85, 0.85, 0.7, 0.55, 0.9])

DEVICES = ("mobile", "desktop", "tablet")
DEVICE_SHARE = _norm((0.58, 0.35, 0.07))
DEVICE_CART = np.array([0.85, 1.25, 1.0])
DEVICE_BOUNCE = np.array([1.12, 0.85, 1.0])
DEVICE_PAY = np.array([0.92, 1.05, 1.0])  # payment-step completion
PREFERRED_DEVICE_SHARE = 0.8

SOURCES = ("organic", "paid_search", "social", "email", "direct", "referral", "affiliate")
ACQUISITION_SHARE = _norm((0.34, 0.22, 0.17, 0.0, 0.12, 0.08, 0.07))
RETURN_SHARE = _norm((0.20, 0.10, 0.08, 0.22, 0.32, 0.04, 0.04))
SOURCE_CART = np.array([1.0, 0.9, 0.45, 1.45, 1.2, 1.1, 0.8])
SOURCE_BOUNCE = np.array([0.40, 0.46, 0.60, 0.30, 0.30, 0.42, 0.48])
RETURNING_BOUNCE = 0.85  # returning visitors bounce less

#: Acquisitions grow over the range: density ∝ exp(GROWTH * t / range).
GROWTH = 1.2
#: Return visits decay with time since acquisition: rate ∝ (1 + Δ / TAU_DAYS) ** -DECAY.
TAU_DAYS = 3.0
DECAY = 0.6
MIN_RETURN_GAP_S = 1800  # a return visit starts after the 30-minute session timeout

# --- seasonality (UTC) ------------------------------------------------------------------------

HOUR_SHARE = _norm(
    (
        1.2,
        0.8,
        0.55,
        0.4,
        0.35,
        0.4,
        0.6,
        1.0,
        1.5,
        1.9,
        2.1,
        2.2,
        2.3,
        2.3,
        2.2,
        2.1,
        2.1,
        2.3,
        2.6,
        2.9,
        3.1,
        2.9,
        2.3,
        1.7,
    )
)
WEEKDAY_WEIGHT = np.array([1.0, 0.97, 0.95, 0.96, 0.9, 0.84, 1.05])  # Monday first

# --- sessions ---------------------------------------------------------------------------------

ENTRY_SHARE = _norm((0.55, 0.20, 0.25))  # page_view, search, product_view (landing page)
BARGAIN_ENTRY_SHARE = _norm((0.40, 0.40, 0.20))
BROWSE_MEAN = 5.0  # events after the entry in a session that does not bounce
BROWSE_MAX = 30
BROWSE_SHARE = _norm((0.20, 0.68, 0.12))  # page_view, product_view, search
BARGAIN_BROWSE_SHARE = _norm((0.15, 0.63, 0.22))
FOCUS_SHARE = 0.8  # product views within the session's category of interest
FAVOURITE_SHARE = 0.5  # sessions whose interest is the user's favourite category

CART_BASE = 0.14
REMOVE_MULTI = 0.22  # a cart of several items loses one
REMOVE_SINGLE = 0.08  # a cart of one item is emptied (and abandoned)
CHECKOUT_BASE = 0.5
PAY_BASE = 0.68

#: Seconds before an event, log-normal with this median, by event type; order lines share a time.
GAP_MEDIAN_S = {
    PAGE_VIEW: 22.0,
    SEARCH: 14.0,
    PRODUCT_VIEW: 35.0,
    ADD_TO_CART: 18.0,
    REMOVE_FROM_CART: 30.0,
    BEGIN_CHECKOUT: 40.0,
    PURCHASE: 110.0,
}
GAP_SIGMA = 0.8
GAP_MAX_S = 25 * 60  # shorter than the session timeout, so sessionizing agrees with session_id
