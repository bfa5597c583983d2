"""Default mapping of a source's event names to the contract's event types.

One rule table drives both the SQL used on the data and the Python used to explain a proposal,
so the wizard shows exactly what the import will do. Names are compared normalised: lower case,
letters and digits only (``Add-To-Cart`` = ``add_to_cart`` = ``addtocart``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from shoplytics_desktop.core.sqlutil import quote_literal

#: The type a bare "view" becomes depends on the row: product_view with a product, else page_view.
VIEW = "view"


@dataclass(frozen=True)
class NameRule:
    event_type: str
    exact: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()
    contains: tuple[str, ...] = ()
    suffixes: tuple[str, ...] = ()


# Order matters: the first rule that matches wins ("checkout_complete" is a purchase, not a
# checkout step; "remove_from_cart" must not fall into add_to_cart).
RULES: tuple[NameRule, ...] = (
    # Before purchase: "purchase_refund" / "order_refunded" are refunds.
    NameRule(
        "refund",
        exact=("refund", "refunded", "return", "returned", "orderrefunded", "orderreturned",
               "purchaserefund", "purchaserefunded"),
        prefixes=("refund",),
    ),
    NameRule(
        "purchase",
        exact=("purchase", "purchased", "transaction", "order", "orderplaced", "buy", "sale",
               "conversion", "checkoutcomplete", "checkoutcompleted", "completedpurchase",
               "completedorder", "placeorder", "orderconfirmation", "thankyou", "thankyoupage"),
        prefixes=("purchase", "ordercomplete", "transaction"),
    ),
    NameRule("remove_from_cart", prefixes=("removefrom", "removecart", "removeitem", "cartremove")),
    NameRule(
        "add_to_cart",
        exact=("cart", "addcart", "addedtocart", "additem", "cartadd"),
        prefixes=("addtocart", "addtobasket", "addtobag", "additemtocart"),
    ),
    NameRule(
        "begin_checkout",
        contains=("checkout",),
        prefixes=("shipping", "payment", "billing", "addpayment", "addshipping", "delivery"),
    ),
    NameRule("search", contains=("search",)),
    NameRule(
        "product_view",
        exact=("productview", "detail", "details", "productdetail", "productdetails", "viewitem",
               "viewproduct", "productpage", "itemview", "pdp", "productdetailview",
               "viewedproduct", "productviewed", "itempage"),
    ),
    NameRule(VIEW, exact=("view", "pageview", "pageviews", "screenview", "pv", "visit")),
    NameRule(
        "page_view",
        exact=("home", "landing", "category", "listing", "productlist", "catalog", "viewitemlist",
               "viewcart", "cartview", "browse", "index"),
        suffixes=("page", "pageview"),
    ),
)

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def normalize(name: str) -> str:
    return _NON_ALNUM.sub("", name.lower())


def classify(name: str, has_product: bool) -> str:
    """The default contract type of a source event name."""
    n = normalize(name)
    for rule in RULES:
        if (
            n in rule.exact
            or any(n.startswith(p) for p in rule.prefixes)
            or any(c in n for c in rule.contains)
            or any(n.endswith(s) for s in rule.suffixes)
        ):
            if rule.event_type == VIEW:
                return "product_view" if has_product else "page_view"
            return rule.event_type
    return "other"


def _in_list(values: tuple[str, ...]) -> str:
    return ", ".join(quote_literal(v) for v in values)


def default_type_sql(name_sql: str, product_sql: str) -> str:
    """SQL twin of ``classify``: ``name_sql`` is the raw name, ``product_sql`` the product id."""
    n = f"regexp_replace(lower({name_sql}), '[^a-z0-9]+', '', 'g')"
    whens = []
    for rule in RULES:
        tests = []
        if rule.exact:
            tests.append(f"__n IN ({_in_list(rule.exact)})")
        tests += [f"starts_with(__n, {quote_literal(p)})" for p in rule.prefixes]
        tests += [f"contains(__n, {quote_literal(c)})" for c in rule.contains]
        tests += [f"ends_with(__n, {quote_literal(s)})" for s in rule.suffixes]
        then = (
            f"CASE WHEN {product_sql} IS NOT NULL THEN 'product_view' ELSE 'page_view' END"
            if rule.event_type == VIEW
            else quote_literal(rule.event_type)
        )
        whens.append(f"WHEN {' OR '.join(tests)} THEN {then}")
    # A lambda binds the normalised name once instead of repeating the regexp in every test.
    body = f"CASE {' '.join(whens)} ELSE 'other' END"
    return f"(list_transform([{n}], lambda __n: {body})[1])"


def _type_literal(event_type: str, product_sql: str) -> str:
    if event_type == VIEW:
        return f"CASE WHEN {product_sql} IS NOT NULL THEN 'product_view' ELSE 'page_view' END"
    return quote_literal(event_type)


def type_sql(
    name_sql: str,
    product_sql: str,
    overrides: dict[str, str],
    known: tuple[str, ...] | list[str] = (),
) -> str:
    """The mapping's explicit names first, then the defaults.

    ``known`` names (those seen in the sample) are classified here in Python and matched
    exactly: most rows then skip the normalising regexp, which matters at millions of rows.
    """
    whens = {k: quote_literal(v) for k, v in overrides.items()}
    for name in known:
        if name not in whens:
            whens[name] = _type_literal(_rule_type(name), product_sql)
    default = default_type_sql(name_sql, product_sql)
    if not whens:
        return default
    cases = " ".join(f"WHEN {quote_literal(k)} THEN {v}" for k, v in whens.items())
    return f"CASE {name_sql} {cases} ELSE {default} END"


def _rule_type(name: str) -> str:
    """The rule's type, with a bare view left as ``VIEW`` (decided per row)."""
    product = classify(name, True)
    return VIEW if product != classify(name, False) else product
