"""Default mapping of a source's event names to the contract's event types.

One rule table drives both the SQL used on the data and the Python used to explain a proposal,
so the wizard shows exactly what the import will do. Names are compared normalised: lower case,
letters and digits only (``Add-To-Cart`` = ``add_to_cart`` = ``addtocart``).
"""

from __future__ import annotations

import csv
import difflib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

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


#: The generic vocabulary (kind, name, means): rules in order, then the words the fuzzy
#: fallback reads. A table rather than code, so that adding a spelling is adding a line.
VOCABULARY = Path(__file__).resolve().parent / "event_vocabulary.csv"
_RULE_KINDS = ("exact", "prefix", "contains", "suffix")


def _read_vocabulary() -> tuple[tuple[NameRule, ...], dict[str, str]]:
    """The rules (grouped by type, in the table's order: the first rule that matches wins, so
    "checkout_complete" is a purchase before it is a checkout step) and the word classes."""
    by_type: dict[str, dict[str, list[str]]] = {}
    words: dict[str, str] = {}
    with VOCABULARY.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            kind, name, means = row["kind"].strip(), normalize(row["name"]), row["means"].strip()
            if kind == "token":
                words.setdefault(name, means)
            elif kind in _RULE_KINDS:
                by_type.setdefault(means, {k: [] for k in _RULE_KINDS})[kind].append(name)
    rules = tuple(
        NameRule(t, tuple(k["exact"]), tuple(k["prefix"]), tuple(k["contains"]), tuple(k["suffix"]))
        for t, k in by_type.items()
    )
    return rules, words


_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def normalize(name: str) -> str:
    return _NON_ALNUM.sub("", name.lower())


RULES, WORDS = _read_vocabulary()

#: A name a prefix, part or ending rule matches is not that event when it also says the action
#: failed or concerns something else ("purchase_failed", "add_to_cart_error",
#: "remove_from_wishlist"): those rules are skipped for it (normalised names, no separators).
_NOT_DONE = ("fail", "error", "cancel", "abandon", "declin", "reject", "wishlist", "favorit",
             "favourit", "review", "attempt", "void", "denied")
#: A purchase or refund named with a view of something is a page seen about it
#: ("purchase_confirmation_viewed", "refund_page"), not the purchase or refund itself.
_SEEN = ("view", "page", "screen", "shown", "display", "impression")
_NOT_DONE_RE = re.compile("|".join(_NOT_DONE))
_SEEN_RE = re.compile("|".join(_SEEN))
_SEEN_TYPES = ("purchase", "refund")


def _partial_rules_apply(rule: NameRule, n: str) -> bool:
    """Whether ``rule``'s prefix, part and ending rules may match ``n`` (exact names always do)."""
    return not _NOT_DONE_RE.search(n) and not (
        rule.event_type in _SEEN_TYPES and _SEEN_RE.search(n))


def _by_rules(n: str) -> str | None:
    for rule in RULES:
        if n in rule.exact or (_partial_rules_apply(rule, n) and (
            any(n.startswith(p) for p in rule.prefixes)
            or any(c in n for c in rule.contains)
            or any(n.endswith(s) for s in rule.suffixes)
        )):
            return rule.event_type
    return None


def _resolve(event_type: str, has_product: bool) -> str:
    if event_type == VIEW:
        return "product_view" if has_product else "page_view"
    return event_type


def classify(name: str, has_product: bool) -> str:
    """The default contract type of a source event name: the table's rules, else the fuzzy
    fallback (``fuzzy_type``), else ``other``."""
    found = _by_rules(normalize(name)) or fuzzy_type(name)
    return _resolve(found, has_product) if found else "other"


# -- the fuzzy fallback ------------------------------------------------------------------------

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SPLIT = re.compile(r"[^a-z0-9]+")
#: Endings taken off a word to find it in the table (plurals, past tense, -ing).
_ENDINGS = ("s", "es", "d", "ed", "ing")
#: The lowest similarity (difflib's ratio) that maps a misspelt name; purchase asks for more.
SIMILARITY = 0.85
PURCHASE_SIMILARITY = 0.9


def _word_class(word: str) -> str | None:
    if word in WORDS:
        return WORDS[word]
    for end in _ENDINGS:
        if word.endswith(end) and len(word) - len(end) >= 2 and word[: -len(end)] in WORDS:
            return WORDS[word[: -len(end)]]
    if word.endswith("ing") and word[:-3] + "e" in WORDS:  # "placing" → "place"
        return WORDS[word[:-3] + "e"]
    return None


def _segment(run: str) -> list[str] | None:
    """A run of letters without separators ("pdpview") split into table words, if it can be."""
    best: list[list[str] | None] = [None] * (len(run) + 1)
    best[0] = []
    for end in range(1, len(run) + 1):
        for start in range(end):
            prefix = best[start]
            if prefix is not None and _word_class(run[start:end]) is not None:
                candidate = [*prefix, run[start:end]]
                if best[end] is None or len(candidate) < len(best[end] or []):
                    best[end] = candidate
    return best[-1]


def words_of(name: str) -> list[str]:
    """The words of a name: split at separators and camelCase, runs split into table words."""
    out: list[str] = []
    for run in _SPLIT.split(_CAMEL.sub(" ", name).lower()):
        if not run:
            continue
        if _word_class(run) is not None:
            out.append(run)
        else:
            out.extend(_segment(run) or [run])
    return out


def _by_words(words: list[str]) -> str | None:
    """The type the words say, or None when they say nothing or disagree. Purchase only when
    every word is about buying (or its completion): "order_status_update" stays other."""
    classes = [_word_class(w) for w in words]
    has = {c for c in classes if c is not None and c != "filler"}
    if not has:
        return None
    if "refund" in has:
        return "refund"
    if "remove" in has and "cart" in has:
        return "remove_from_cart"
    if "cancel" in has or "remove" in has:
        return None
    if "cart" in has:
        if has & {"view", "page"}:
            return "page_view"  # "view cart", "basket page"
        if has & {"purchase", "checkout", "search"}:
            return None
        return "add_to_cart"
    if "purchase" in has:
        if has <= {"purchase", "done"} and None not in classes:
            return "purchase"
        return None
    if "checkout" in has:
        return None if has - {"checkout", "done", "add", "view", "page"} else (
            "purchase" if "done" in has and has <= {"checkout", "done"} and None not in classes
            else "begin_checkout"
        )
    if "search" in has:
        return "search" if has <= {"search", "view", "page", "product", "done"} else None
    if "product" in has and has <= {"product", "view", "page"}:
        # "Product List Viewed" is a page of products; "Product Page Viewed" a product's page.
        return "page_view" if any(w in _LIST_WORDS for w in words) else "product_view"
    if "view" in has:
        return "page_view" if "page" in has else VIEW
    if has == {"page"}:
        return "page_view"
    return None


#: Pages that list products rather than show one.
_LIST_WORDS = frozenset({"list", "lists", "listing", "listings", "category", "categories",
                         "collection", "collections", "catalog", "catalogue", "home", "homepage",
                         "index", "landing", "search", "results"})


def _similar(n: str) -> str | None:
    """The type of the table's single closest name, when it is close enough (a misspelling)."""
    if len(n) < 5:
        return None
    scores: dict[str, float] = {}
    for rule in RULES:
        for known in rule.exact:
            r = difflib.SequenceMatcher(None, n, known).ratio()
            scores[rule.event_type] = max(scores.get(rule.event_type, 0.0), r)
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    if not ranked:
        return None
    best_type, best = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    needed = PURCHASE_SIMILARITY if best_type == "purchase" else SIMILARITY
    # Two types about as close: ambiguous, so no guess.
    if best < needed or best - runner_up < 0.05:
        return None
    return best_type


def fuzzy_type(name: str) -> str | None:
    """The type of a name the rules do not know, read leniently: the rules again on the words
    with plural and tense endings taken off ("products_viewed"), the words' classes ("Basket
    Add"), then a conservative similarity ("purchse"); None when unsure. Never purchase unless
    every word says so."""
    words = words_of(name)
    if not words:
        return None
    stems = "".join(_stem(w) for w in words)
    found = _by_rules(stems) if stems != normalize(name) else None
    if found is not None and (found != "purchase" or _by_words(words) == "purchase"):
        return found
    if any(_word_class(w) == "cancel" for w in words):
        return _by_words(words)  # "Product Reviewed" is not a misspelt "Product Viewed"
    return _by_words(words) or _similar(normalize(name))


def _stem(word: str) -> str:
    if word in WORDS:
        return word
    for end in _ENDINGS:
        if word.endswith(end) and word[: -len(end)] in WORDS:
            return word[: -len(end)]
    return word


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
        partial = [f"starts_with(__n, {quote_literal(p)})" for p in rule.prefixes]
        partial += [f"contains(__n, {quote_literal(c)})" for c in rule.contains]
        partial += [f"ends_with(__n, {quote_literal(s)})" for s in rule.suffixes]
        if partial:
            unless = [_NOT_DONE_RE.pattern] + (
                [_SEEN_RE.pattern] if rule.event_type in _SEEN_TYPES else [])
            guard = " AND ".join(f"NOT regexp_matches(__n, {quote_literal(u)})" for u in unless)
            tests.append(f"(({' OR '.join(partial)}) AND {guard})")
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
    found = _by_rules(normalize(name)) or fuzzy_type(name)
    return found or "other"


# -- order statuses ------------------------------------------------------------------------------

#: What an order export's status says about the order (normalised names). Modelled on the stores'
#: own reports: WooCommerce's analytics count processing, on-hold and completed orders and leave
#: out pending, failed and cancelled ones; a refunded order was paid, then given back.
_PAID_STATUSES = frozenset({
    "completed", "complete", "processing", "paid", "shipped", "delivered", "fulfilled",
    "partiallyfulfilled", "unfulfilled", "partiallypaid", "partiallyrefunded", "closed",
    "success", "successful", "succeeded", "settled", "captured", "authorized", "authorised",
    "approved", "confirmed", "invoiced", "onhold", "open", "placed", "accepted", "intransit",
    "outfordelivery", "readyforpickup", "pickedup", "done", "ok", "sale", "abgeschlossen",
    "bezahlt", "versendet", "versandt", "geliefert", "termine", "terminee", "payee", "paye",
    "expedie", "expediee", "livre", "livree", "completado", "pagado", "enviado", "entregado",
    "completato", "pagato", "spedito", "consegnato", "voltooid", "betaald", "verzonden",
    "geleverd", "holded", "awaitingfulfillment", "awaitingfulfilment", "awaitingshipment",
    "awaitingpickup", "partiallyshipped",
})
_REFUNDED_STATUSES = frozenset({
    "refunded", "fullyrefunded", "returned", "refund", "chargeback", "chargedback", "reversed",
    "erstattet", "rueckerstattet", "zurueckerstattet", "zuruckerstattet", "ruckerstattet",
    "rembourse", "remboursee", "reembolsado", "rimborsato", "terugbetaald",
})
_UNPAID_STATUSES = frozenset({
    "cancelled", "canceled", "cancel", "failed", "failure", "voided", "void", "expired",
    "pending", "pendingpayment", "awaitingpayment", "paymentpending", "unpaid", "draft",
    "checkoutdraft", "trash", "deleted", "abandoned", "declined", "rejected", "denied", "error",
    "storniert", "abgebrochen", "fehlgeschlagen", "annule", "annulee", "echoue", "echouee",
    "cancelado", "fallido", "pendiente", "annullato", "fallito", "geannuleerd", "mislukt",
    "paymentreview", "fraud", "suspectedfraud",
})
STATUS_PURCHASE, STATUS_REFUNDED, STATUS_UNPAID = "purchase", "refunded", "unpaid"


def status_kind(status: str) -> str | None:
    """What an order's status says: ``purchase`` (the order stands), ``refunded`` (paid, then
    given back in full), ``unpaid`` (never paid: cancelled, failed, pending), or None (a status
    not known here). Accents are dropped ("Annulée") and words joined ("On hold", "on-hold",
    "wc-completed": WooCommerce's stored names carry a ``wc-`` prefix)."""
    plain = unicodedata.normalize("NFKD", status.lower().replace("ß", "ss"))
    n = normalize("".join(ch for ch in plain if not unicodedata.combining(ch)))
    n = n.removeprefix("wc") if n.startswith("wc") and n[2:] and _status_of(n[2:]) else n
    return _status_of(n)


def _status_of(n: str) -> str | None:
    if n in _PAID_STATUSES:
        return STATUS_PURCHASE
    if n in _REFUNDED_STATUSES:
        return STATUS_REFUNDED
    if n in _UNPAID_STATUSES:
        return STATUS_UNPAID
    return None
