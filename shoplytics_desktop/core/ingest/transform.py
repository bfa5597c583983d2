"""The SELECT that maps a source onto the contract, row for row, with a reject reason per row.

One statement streams the files through DuckDB's reader and yields the staging relation: the
contract's columns (price and quantity still DOUBLE), lineage (file, line), the first failing
contract rule as ``__reason`` (from ``contract.validation_rules()``) and, for rejected rows only,
the original row as JSON. Every identifier that comes from a file goes through ``quote_ident``.
"""

from __future__ import annotations

import datetime as dt
import re

from shoplytics_desktop.core import contract
from shoplytics_desktop.core.ingest import countries, eventnames, refs
from shoplytics_desktop.core.ingest.detect import SourceColumn, SourceInfo
from shoplytics_desktop.core.ingest.mapping import Mapping
from shoplytics_desktop.core.ingest.timeparse import time_sql, wall_sql, zone_rules
from shoplytics_desktop.core.sqlutil import quote_ident, quote_literal

#: Columns of the staging relation, in order.
STAGE_COLUMNS = (
    "event_id", "event_time", "event_type", "event_name", "user_id", "session_id", "product_id",
    "order_id", "price", "quantity", "category", "brand", "device", "country", "traffic_source",
    "properties", "currency", "_source_file", "_source_line", "__reason", "source_row",
)

_TEXT_FIELDS = ("user_id", "session_id", "product_id", "order_id", "category", "brand")
_ID_FIELDS = {"event_id", "user_id", "session_id", "product_id", "order_id", "category"}
#: (mapping field, staged expression) of the values an event id is hashed from.
_HASH_FIELDS = (
    ("event_type", "event_name"), ("user_id", "user_id"), ("session_id", "session_id"),
    ("product_id", "product_id"), ("order_id", "order_id"), ("price", "price__raw"),
    ("quantity", "quantity__raw"), ("category", "category"), ("brand", "brand"),
    ("device", "device"), ("country", "country"), ("traffic_source", "traffic_source"),
    ("properties", "CAST(properties AS VARCHAR)"),
)


def text_sql(col: SourceColumn, as_id: bool = False) -> str:
    """The value as text, NULL when missing or empty."""
    x = col.sql()
    t = (col.read_type or col.type).upper()
    if t == "VARCHAR":
        # Not trimmed: at millions of rows trim() is a noticeable share of the import, exports
        # rarely pad values, and the contract rules trim where blank matters (user_id).
        return f"NULLIF({x}, '')"
    if t == "JSON":
        return f"NULLIF(trim({x} ->> '$'), '')"
    if t.startswith(("STRUCT", "MAP")) or t.endswith("]"):
        return f"CAST(to_json({x}) AS VARCHAR)"
    if as_id and t in ("DOUBLE", "FLOAT", "REAL"):
        # JSON numbers arrive as DOUBLE; an id 44600062 must not become '44600062.0'.
        return (
            f"CASE WHEN {x} = floor({x}) AND abs({x}) < 9e15 "
            f"THEN CAST(CAST({x} AS BIGINT) AS VARCHAR) ELSE CAST({x} AS VARCHAR) END"
        )
    # Numbers, times and booleans never print blank or padded.
    return f"CAST({x} AS VARCHAR)"


#: Numbers written with thousands separators: 1,234,567.89 (decimal point) and 1.234.567,89
#: (decimal comma); and a decimal comma without them (12,50).
_POINT_GROUPED = r"-?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]*)?"
_COMMA_GROUPED = r"-?[0-9]{1,3}(\.[0-9]{3})+(,[0-9]*)?"
_COMMA_DECIMAL = r"-?[0-9]*,[0-9]+"


def _number_sql(col: SourceColumn, decimal: str) -> str:
    """The value as a DOUBLE, NULL where it is no number (the row is then rejected with its
    reason). Text is read with ``decimal`` as its decimal separator and the other one as a
    thousands separator where it groups digits by three: with ``"."``, 1,234.50 is 1234.5 and
    12,50 no number; with ``","``, 1.234,50 is 1234.5, 12,50 is 12.5 and 3.25 no number. A
    comma is never taken for a point, nor the reverse, without the file's convention saying so."""
    t = (col.read_type or col.type).upper()
    if t in ("VARCHAR", "JSON"):
        x = text_sql(col)
        # A currency sign or code beside the number ($1,234.50, 1.234,50 €, USD 12.00) is read
        # past, only where the number alone did not read (coalesce tries it for those rows).
        return (f"coalesce({_plain_number_sql(x, decimal)}, CASE WHEN regexp_matches({x}, "
                f"'{MONEY_SIGNS}') THEN {_plain_number_sql(without_money_signs(x), decimal)} END)")
    return f"try_cast({col.sql()} AS DOUBLE)"


#: Currency signs and ISO codes written beside an amount.
MONEY_SIGNS = r"[$€£¥₹]|\b[A-Z]{3}\b"


def without_money_signs(x: str) -> str:
    """Text ``x`` without the currency signs or codes beside its number."""
    return f"trim(regexp_replace({x}, '{MONEY_SIGNS}', '', 'g'))"


def _plain_number_sql(x: str, decimal: str) -> str:
    if decimal == ",":
        return (
            f"CASE WHEN regexp_full_match({x}, '{_COMMA_DECIMAL}') "
            f"THEN try_cast(replace({x}, ',', '.') AS DOUBLE) "
            f"WHEN regexp_full_match({x}, '{_COMMA_GROUPED}') "
            f"THEN try_cast(replace(replace({x}, '.', ''), ',', '.') AS DOUBLE) "
            f"WHEN NOT contains({x}, '.') THEN try_cast({x} AS DOUBLE) END"
        )
    # coalesce evaluates the grouped form only where the plain cast failed.
    return (
        f"coalesce(try_cast({x} AS DOUBLE), CASE WHEN regexp_full_match({x}, "
        f"'{_POINT_GROUPED}') THEN try_cast(replace({x}, ',', '') AS DOUBLE) END)"
    )


def _numbers_sql(cols: list[SourceColumn], decimal: str) -> str:
    """The first non-empty value of the columns, as a number (the columns' text is coalesced the
    same way, so the number and its raw text come from one column)."""
    if len(cols) == 1:
        return _number_sql(cols[0], decimal)
    whens = " ".join(
        f"WHEN {text_sql(c)} IS NOT NULL THEN {_number_sql(c, decimal)}" for c in cols
    )
    return f"CASE {whens} END"


class _Builder:
    def __init__(self, info: SourceInfo, mapping: Mapping) -> None:
        self.info = info
        self.mapping = mapping
        self._scope: refs.Scope | None = None

    @property
    def decimal(self) -> str:
        """The decimal separator of numbers written as text (``SourceOptions.decimal``)."""
        return self.mapping.source.decimal or ("," if self.info.delimiter == ";" else ".")

    @property
    def scope(self) -> refs.Scope:
        if self._scope is None:
            self._scope = refs.Scope(
                [(c.name, c.read_type or c.type) for c in self.info.top_columns],
                self.mapping.explode,
            )
        return self._scope

    def ref(self, name: str) -> SourceColumn:
        """A source column by name, or a reference (refs.py) as a column of its SQL."""
        col = self.info.column(name)
        if col is not None:
            return col
        typed = self.scope.compile(name)
        return SourceColumn(name, typed.type, (), (), typed.type, expr=typed.sql)

    def cols(self, field: str) -> list[SourceColumn]:
        return [self.ref(name) for name in self.mapping.sources_of(field)]

    def text(self, field: str) -> str:
        cols = self.cols(field)
        if not cols:
            return "CAST(NULL AS VARCHAR)"
        parts = [text_sql(c, field in _ID_FIELDS) for c in cols]
        if len(parts) == 1:
            return parts[0]
        if field in _PLACEHOLDER_FIELDS:
            # [user_id, anonymous_id]: a user id written 'null' falls back to the next column.
            parts = [_placeholder_null(part) for part in parts]
        return f"coalesce({', '.join(parts)})"

    def currency_in_properties(self) -> bool:
        """Whether the mapped currency column also stays in ``properties`` (see properties())."""
        return self.mapping.keep_unmapped and any(
            len(c.path) == 1 for c in self.cols("currency")
        )

    def properties(self) -> str:
        used = self.mapping.used_columns()
        if self.currency_in_properties():
            # A currency column went into properties before it was a contract field: it stays
            # there, so the hashed ids of such a file's rows (and re-imports of it) do not change.
            used -= {c.name for c in self.cols("currency")}
        names = {c.name for c in self.info.columns}
        used_names = {r for u in used for r in refs.roots(u, names)}
        used_roots = {c.path[0] for c in self.info.columns if c.name in used_names}
        extra = []
        if self.mapping.keep_unmapped:
            extra = [
                c for c in self.info.top_columns
                if c.name not in used_roots and c.name not in self.info.hidden_columns
            ]
        pairs = [(c.name, c.sql()) for c in extra] + [
            (key, self.ref(src).sql()) for key, src in self.mapping.properties_fields.items()
        ]
        obj = (
            "json_object(" + ", ".join(f"{quote_literal(k)}, {v}" for k, v in pairs) + ")"
            if pairs
            else None
        )
        mapped = self.cols("properties")
        base = None
        if mapped:
            c = mapped[0]
            t = (c.read_type or c.type).upper()
            if t == "VARCHAR":
                tx = text_sql(c)
                base = f"CASE WHEN json_valid({tx}) THEN CAST({tx} AS JSON) END"
            else:
                base = f"to_json({c.sql()})"
        if base and obj:
            merged = f"json_merge_patch(coalesce({base}, '{{}}'), {obj})"
        else:
            merged = base or obj or ""
        if not merged:
            return "CAST(NULL AS JSON)"
        # Without nulls, an event's properties (and so its hashed id) do not depend on which
        # other columns the file happened to have, e.g. when files with different columns are
        # read together.
        return f"NULLIF(json_strip_nulls({merged}), '{{}}')"

    def time(self) -> tuple[str, str]:
        cols = self.cols("event_time")
        fmt = self.mapping.time_format
        parsed = [
            time_sql(c.sql(), text_sql(c), c.read_type or c.type, fmt, self.mapping.time_zone)
            for c in cols
        ]
        if len(cols) == 1:
            return text_sql(cols[0]), parsed[0]
        # Files naming the column differently (timestamp, ts): each row has one of them.
        raw = f"coalesce({', '.join(text_sql(c) for c in cols)})"
        whens = " ".join(
            f"WHEN {text_sql(c)} IS NOT NULL THEN {p}" for c, p in zip(cols, parsed, strict=True)
        )
        return raw, f"CASE {whens} END"

    @property
    def zone(self) -> str | None:
        """The zone wall-clock times are read in, when not UTC."""
        z = self.mapping.time_zone
        return z if z and z.upper() != "UTC" else None

    def wall(self) -> str | None:
        """The wall-clock time each row's event_time was written as, where the mapping's zone
        reads it (see ``timeparse.wall_sql``); None without a zone or such times."""
        if self.zone is None:
            return None
        cols = self.cols("event_time")
        walls = [wall_sql(c.sql(), text_sql(c), c.read_type or c.type, self.mapping.time_format)
                 for c in cols]
        if not any(walls):
            return None
        if len(cols) == 1:
            return walls[0]
        whens = " ".join(f"WHEN {text_sql(c)} IS NOT NULL THEN {w or 'NULL'}"
                         for c, w in zip(cols, walls, strict=True))
        return f"CAST(CASE {whens} END AS TIMESTAMP)"

    def passthrough(self) -> list[str]:
        """The original columns under positional names (theirs may clash with the contract's);
        carrying them costs nothing until ``source_row`` reads them for a rejected row."""
        return [f"{c.sql()} AS __s{i}" for i, c in enumerate(self.info.top_columns)]

    def source_row(self) -> str:
        items = ", ".join(
            f"{quote_literal(c.name)}, __s{i}" for i, c in enumerate(self.info.top_columns)
        )
        return f"json_object({items})"



def preview_source(info: SourceInfo, limit: int | None = None) -> str:
    """A SELECT of the source rows with their line (``__line``) straight from the readers, for
    previews and counts (the import numbers rows from its staged copy instead, see stage.py)."""
    reader = info.reader_sql()
    fq = quote_ident(info.file_column)
    lq = quote_ident(info.line_column)
    scan = f"SELECT * FROM {reader}" + (f" LIMIT {int(limit)}" if limit is not None else "")
    if info.format == "parquet" and info.row_number:
        return f"SELECT *, file_row_number + 1 AS {lq} FROM ({scan})"
    # Readers keep file order, so a row number over the scan is the row's position.
    offset = line_offset(info)
    if len(info.files) == 1:
        return f"SELECT *, row_number() OVER () + {offset} AS {lq} FROM ({scan})"
    rn = quote_ident(info.internal_name("__rn"))
    return (
        f"SELECT * EXCLUDE ({rn}), {rn} - min({rn}) OVER (PARTITION BY {fq}) + {1 + offset} "
        f"AS {lq} FROM (SELECT *, row_number() OVER () AS {rn} FROM ({scan}))"
    )


def line_offset(info: SourceInfo) -> int:
    """What to add to a 1-based row position to get the line (the CSV header is line 1)."""
    return (1 if info.header else 0) + info.skip if info.format == "csv" else 0


def _event_name_sql(b: _Builder, default: str | None) -> str:
    """The source's event name, or the mapping's default where it has none (every row of a
    source without an event column, say an order export's 'purchase')."""
    if not default:
        return b.text("event_type")
    if not b.cols("event_type"):
        return quote_literal(default)
    return f"coalesce({b.text('event_type')}, {quote_literal(default)})"


def mapped_sql(
    info: SourceInfo,
    mapping: Mapping,
    source: str | None = None,
    loaded_at: dt.datetime | None = None,
) -> str:
    """The mapping SELECT (columns ``STAGE_COLUMNS``) over ``source``: a SELECT of the source
    columns plus ``__file`` and ``__line`` (default: the readers, see ``preview_source``).
    ``loaded_at`` (UTC, default now) is the load time that bounds event times."""
    b = _Builder(info, mapping)
    src = _reshaped(b, source or preview_source(info))
    refund = mapping.negative_quantity == "refund"
    event_type = _event_type_sql(b)
    quantity = "__quantity"
    if refund:
        # A cancellation line (negative quantity) is a refund of that many units.
        event_type = f"CASE WHEN __quantity < 0 THEN 'refund' ELSE {event_type} END"
        quantity = "abs(__quantity)"
    replaced = []
    if refund and not b.cols("event_type"):
        # Every row was named by the default ("purchase"); a cancellation line is not one.
        replaced.append("CASE WHEN __quantity < 0 THEN 'cancellation' ELSE event_name END "
                        "AS event_name")
    if mapping.refunded_events:
        # A refunded purchase's refund copy is a refund, whatever its name's type.
        event_type = f"CASE WHEN {_REFUNDED} THEN 'refund' ELSE {event_type} END"
    if mapping.negative_price == "refund":
        # A negative amount is a refund of that amount.
        event_type = f"CASE WHEN price < 0 THEN 'refund' ELSE {event_type} END"
        replaced.append("abs(price) AS price")
    # Placeholders some tools write for a missing id ('null', 'undefined', 'N/A') are missing:
    # 'null' is no user, and purchases under order id 'null' are not one order. Replaced after
    # the hashed id is worked out, which keeps hashing what the file says.
    replaced += [f"{_placeholder_null(f)} AS {f}" for f in _PLACEHOLDER_FIELDS]
    rename = f" REPLACE ({', '.join(replaced)})" if replaced else ""
    ordinal = f"src.{refs.ORDINAL}" if mapping.explode else "CAST(NULL AS BIGINT)"
    m1 = f"SELECT {', '.join(_field_columns(b))}, {ordinal} AS __ordinal FROM src"
    if mapping.event_key:
        m1_ctes, m1_from = _key_numbers(m1)
    else:
        m1_ctes, m1_from = f"m1 AS ({m1})", "m1"
    return f"""
WITH {src},
{m1_ctes},
m2 AS (
    SELECT m1.* EXCLUDE (__quantity){rename}, {quantity} AS quantity,
        {_event_id_sql(b)} AS event_id,
        {event_type} AS event_type
    FROM {m1_from}
),
m3 AS (SELECT *, {_reason_sql(b, loaded_at)} AS __reason FROM m2)
SELECT event_id, event_time, event_type, event_name, user_id, session_id, product_id, order_id,
    price, quantity, category, brand, device, country, traffic_source, properties, currency,
    _source_file, CAST(_source_line AS BIGINT) AS _source_line, __reason,
    CASE WHEN __reason IS NOT NULL THEN {b.source_row()} END AS source_row
FROM m3
"""


def mapped_rows_sql(info: SourceInfo, mapping: Mapping, source: str | None = None) -> str:
    """The number of rows ``mapped_sql`` gives over ``source``: its rows are the reshaped
    source's (filled down, refund rows added, arrays exploded), one each, so counting them
    needs none of the mapping's expressions. Counting the mapping itself computed them all,
    its natural-key numbering included: at a million order lines, longer than the import.
    An exploded row counts its elements (or 1), without exploding them."""
    b = _Builder(info, mapping)
    source = source or preview_source(info)
    arr, ok, lists = _explode_columns(b) if mapping.explode else ("", "", "")
    # The refund rows are added where the (filled) amount is above 0, or the (filled) status
    # names a refunded purchase.
    refund = b.ref(mapping.order_refund.amount).sql() if mapping.order_refund else ""
    if mapping.refunded_events:
        refund += " " + b.text("event_type")
    fill = reads_filled(b, lists, refund)
    if not mapping.explode:
        return f"WITH {_reshaped(b, source, fill=fill)}\nSELECT count(*) FROM src"
    ctes, last = _stages(b, source, fill)
    return (f"WITH {', '.join(ctes)}\nSELECT coalesce(sum({refs.explode_count(arr, ok)}), 0) "
            f"FROM (SELECT {lists} FROM {last} AS src)")


def _field_columns(b: _Builder) -> list[str]:
    """The first step's columns: lineage, each field's value (and raw text where a rule needs
    it), the source's own id and key, and the original columns under positional names."""
    info, mapping, d = b.info, b.mapping, b.mapping.defaults
    fq = quote_ident(info.file_column)
    time_raw, time_parsed = b.time()
    price_cols = b.cols("price")
    qty_cols = b.cols("quantity")
    price_raw = b.text("price")
    qty_raw = b.text("quantity")
    return [
        f"src.{fq} AS _source_file",
        f"src.{quote_ident(info.line_column)} AS _source_line",
        f"{time_raw} AS event_time__raw",
        f"{time_parsed} AS event_time",
        *([f"{wall} AS event_time__wall"] if (wall := b.wall()) else []),
        *_event_name_columns(b),
        *(f"{_refund_row(b, f, b.text(f))} AS {f}" for f in _TEXT_FIELDS),
        f"{_refund_row(b, 'price__raw', price_raw)} AS price__raw",
        f"{_refund_row(b, 'price', _numbers_sql(price_cols, b.decimal) if price_cols else 'CAST(NULL AS DOUBLE)')} AS price",
        f"{_refund_row(b, 'quantity__raw', qty_raw)} AS quantity__raw",
        _refund_row(b, "__quantity", (
            f"CASE WHEN {qty_raw} IS NULL THEN {float(d.quantity)} "
            f"ELSE {_numbers_sql(qty_cols, b.decimal)} END"
            if qty_cols
            else f"CAST({float(d.quantity)} AS DOUBLE)"
        )) + " AS __quantity",
        f"coalesce({b.text('device')}, {quote_literal(d.device)}) AS device",
        f"coalesce({_country_sql(b) if mapping.country_names else b.text('country')}, "
        f"{quote_literal(d.country)}) AS country",
        f"coalesce({b.text('traffic_source')}, {quote_literal(d.traffic_source)}) AS traffic_source",
        f"{b.properties()} AS properties",
        # ISO codes are upper case; blanks are missing (null: the workspace currency).
        f"{_currency_code_sql(b.text('currency'))} AS currency",
        f"{_event_id_src(b)} AS __event_id_src",
        f"{_key_sql(b)} AS __key",
        *b.passthrough(),
    ]


def _event_name_columns(b: _Builder) -> list[str]:
    """The event name (an order's refund row: 'refund'; a refunded line's refund copy too, with
    the mark that makes it one)."""
    name = _refund_row(b, "event_name", _event_name_sql(b, b.mapping.defaults.event_name))
    if not b.mapping.refunded_events:
        return [f"{name} AS event_name"]
    return [f"CASE WHEN src.{_REFUNDED} THEN 'refund' ELSE {name} END AS event_name",
            f"src.{_REFUNDED} AS {_REFUNDED}"]


#: Currency signs that name one currency, read as its ISO code ('$' and '¥' name several).
_SIGN_CODES = {"€": "EUR", "£": "GBP", "₹": "INR", "₩": "KRW", "₺": "TRY", "₽": "RUB",
               "US$": "USD", "C$": "CAD", "CA$": "CAD", "A$": "AUD", "AU$": "AUD",
               "NZ$": "NZD", "R$": "BRL", "HK$": "HKD", "S$": "SGD", "MX$": "MXN"}


def _currency_code_sql(text: str) -> str:
    """The currency as an ISO code: upper case and trimmed (' eur' is EUR), and a sign that
    names one currency (€, £) as its code; anything else as written (the contract rejects it)."""
    code = f"upper(trim({text}))"
    signs = " ".join(f"WHEN {quote_literal(k)} THEN {quote_literal(v)}"
                     for k, v in _SIGN_CODES.items())
    return f"(CASE {code} {signs} ELSE {code} END)"


#: The id fields whose placeholder values are missing values (``_placeholder_null``).
_PLACEHOLDER_FIELDS = ("user_id", "session_id", "product_id", "order_id")
#: Written by tools for a missing value (in lower, upper or title case, or as listed).
PLACEHOLDERS = ("null", "(null)", "undefined", "none", "nil", "nan", "NaN", "n/a", "#n/a", "N/a",
                "-")
#: Every spelling compared: an IN list of constants costs a third of lower-casing each value.
_PLACEHOLDER_SPELLINGS = sorted({v for p in PLACEHOLDERS for v in (p, p.upper(), p.capitalize())})


def _placeholder_null(field: str) -> str:
    listed = ", ".join(quote_literal(p) for p in _PLACEHOLDER_SPELLINGS)
    return f"CASE WHEN {field} IN ({listed}) THEN NULL ELSE {field} END"


def _event_id_sql(b: _Builder) -> str:
    """The source's own id, else the natural key numbered, else a hash of the whole event.

    Every field is hashed, whatever the mapping maps, so that one event read from differently
    shaped files (or with a column more) hashes alike; the parsed time as epoch microseconds, so
    that '... UTC' and '...Z' forms of one instant agree; the rest as the source wrote them
    (casting numbers to text would cost more than the hash)."""
    hashed = ["coalesce(CAST(epoch_us(event_time) AS VARCHAR), event_time__raw, '')"] + [
        f"coalesce({expr}, '')" for _field, expr in _HASH_FIELDS
    ]
    if b.cols("currency") and not b.currency_in_properties():
        # Not coalesced: concat_ws skips a NULL, so a row without a currency hashes as it did
        # before currency was a field.
        hashed.append("currency")
    if b.mapping.refunded_events:
        # A refund copy differs from its purchase by that alone (the status may read 'refund').
        hashed.append(f"CASE WHEN {_REFUNDED} THEN 'refund' END")
    if b.mapping.explode and not reads_element(b.time()[0]):
        # Two equal elements of one array are two lines, not a duplicate; unless each element
        # is an event of its own, with its own time (``{"events": [...]}``): that event's id
        # is its values', wherever in the array it is.
        hashed.append("coalesce(CAST(__ordinal AS VARCHAR), '')")
    event_id = f"coalesce(__event_id_src, md5(concat_ws(chr(31), {', '.join(hashed)})))"
    if b.mapping.event_key:
        # The natural key, numbered among rows with an equal key (``_key_numbers``).
        event_id = (
            "CASE WHEN __key IS NULL THEN " + event_id + " ELSE __key || '#' || "
            "coalesce(__n, 1) END"
        )
    return event_id


def _key_numbers(m1: str) -> tuple[str, str]:
    """The CTEs of the mapping's first step ``m1`` with its natural keys numbered, and what m2
    reads them from (``m1`` joined with ``__kn``, whose ``__n`` is the row's number).

    A key is numbered among the rows that share it (an order's two lines of one product) in the
    file's order: by line, then array element, then file, so rows of two files at one line are
    told apart and every import of the rows numbers them alike. Most keys are a single row's,
    numbered 1 without ordering anything: only the rows of a repeated key go through the
    window, and only their key and place in the files, joined back by those. A window over
    every row carried every mapped column through its sort: at a million order lines, with
    the import's memory budget, it took more time than the rest of the mapping. Rows of one key
    at the very same place (a file read twice) get the same number, as they are one event."""
    # __kn's columns have names of their own: m2's expressions name m1's unqualified.
    where = ("m1.__key = __kn.__kn_key AND m1._source_line IS NOT DISTINCT FROM __kn.__kn_line "
             "AND m1.__ordinal IS NOT DISTINCT FROM __kn.__kn_ordinal "
             "AND m1._source_file IS NOT DISTINCT FROM __kn.__kn_file")
    ctes = (
        # Read three times, narrowly twice: computed where read, each read keeping the
        # columns it needs, rather than every mapped column held in memory.
        f"m1 AS NOT MATERIALIZED ({m1}),\n"
        "__keys_repeated AS (SELECT __key FROM m1 WHERE __key IS NOT NULL GROUP BY __key "
        "HAVING count(*) > 1),\n"
        "__kn AS (SELECT DISTINCT __key AS __kn_key, _source_line AS __kn_line, "
        "__ordinal AS __kn_ordinal, _source_file AS __kn_file, "
        "dense_rank() OVER (PARTITION BY __key ORDER BY _source_line, __ordinal, _source_file) "
        "AS __n FROM m1 WHERE __key IN (SELECT __key FROM __keys_repeated))"
    )
    return ctes, f"m1 LEFT JOIN __kn ON {where}"


def _event_type_sql(b: _Builder) -> str:
    name_cols = b.cols("event_type")
    return eventnames.type_sql(
        "event_name", "product_id", dict(b.mapping.event_types),
        known=name_cols[0].samples if len(name_cols) == 1 else (),
    )


def _reason_sql(b: _Builder, loaded_at: dt.datetime | None) -> str:
    """The first contract rule a row breaks, as its reject reason (NULL: the row is valid)."""
    rules = [(r.reason, r.violated) for r in contract.validation_rules(
        has_product_column=bool(b.cols("product_id")), loaded_at=loaded_at
    )]
    if b.zone and b.wall():
        # Right after the parse: a wall-clock time that names no one instant in the zone.
        at = next(i for i, (reason, _) in enumerate(rules) if reason.startswith("event_time could"))
        rules[at + 1:at + 1] = zone_rules("event_time__wall", b.zone)
    return "CASE " + " ".join(
        f"WHEN {violated} THEN {quote_literal(reason)}" for reason, violated in rules
    ) + " END"


def _reshaped(b: _Builder, source: str, explode: bool = True, fill: bool = True) -> str:
    """CTEs ending in ``src``: the source rows, with order-level values filled down and the
    exploded array's elements (``__el``, ``__el_i``) one per row, when the mapping asks
    (``explode=False``: the rows before their arrays are exploded; ``fill=False``: without the
    fill-down, for a reader of none of its columns, see ``reads_filled``)."""
    m = b.mapping
    if not m.fill_down and not m.explode and not m.order_refund and not m.refunded_events \
            and not m.supersede and not m.skip_files:
        return f"src AS NOT MATERIALIZED ({source})"
    ctes, last = _stages(b, source, fill)
    if m.explode and explode:
        ctes.append(_exploded(b, last))
        last = "src2"
    ctes.append(f"src AS NOT MATERIALIZED (SELECT * FROM {last})")
    return ",\n".join(ctes)


def read_by(b: _Builder, source: str, src: str, sql: str) -> str:
    """The reshaped CTEs (ending in ``src``) a pass reading ``sql`` over ``source`` needs:
    ``src`` where it reads an array's element; else the rows before their arrays are exploded
    (every row is kept, with the same values of its own), and before the fill-down unless it
    reads a filled column (``reads_filled``), neither of which it would notice."""
    if reads_element(sql):
        return src
    return _reshaped(b, source, explode=False, fill=reads_filled(b, sql))


def reads_filled(b: _Builder, *sqls: str) -> bool:
    """Whether any of ``sqls`` reads a column the mapping fills down. Filling changes no row's
    place or number, so a reader of none of them (the event names, the exploded rows' count)
    skips the fill-down's pass over every row (GA4's sign-ins: 0.52 -> 0.02 s for the names
    of a million events)."""
    fill = b.mapping.fill_down
    return fill is not None and any(quote_ident(c) in sql for c in fill.columns for sql in sqls)


def _stages(b: _Builder, source: str, fill: bool = True) -> tuple[list[str], str]:
    """The CTEs of the reshaping steps before the explode, and the name of the last."""
    m = b.mapping
    # Plain scans: read again where named twice, rather than held in memory.
    ctes = [f"src0 AS NOT MATERIALIZED ({source})"]
    last = "src0"
    if m.skip_files:
        names = "|".join(re.escape(f) for f in m.skip_files)
        skipped = quote_literal(r"(^|[/\\])(" + names + r")(\.[^/\\]*)?$")
        ctes.append(
            f"src0k AS NOT MATERIALIZED (SELECT * FROM {last} AS src WHERE NOT "
            f"regexp_matches(src.{quote_ident(b.info.file_column)}, {skipped}, 'i'))"
        )
        last = "src0k"
    if m.supersede:
        key = text_sql(b.ref(m.supersede.key), as_id=True)
        pattern = quote_literal(r"(^|[/\\])" + re.escape(m.supersede.file) + r"(\.[^/\\]*)?$")
        in_file = f"regexp_matches(src.{quote_ident(b.info.file_column)}, {pattern}, 'i')"
        ctes.append(
            f"src0s AS (SELECT * FROM {last} AS src QUALIFY NOT ({in_file} AND {key} IS NOT NULL "
            f"AND count(*) FILTER (WHERE NOT {in_file}) OVER (PARTITION BY {key}) > 0))"
        )
        last = "src0s"
    if m.fill_down and fill:
        by = b.ref(m.fill_down.by).sql()
        # Rows without a group (no session, say) are no group together: nothing to fill.
        filled = ", ".join(
            f"coalesce({quote_ident(c)}, CASE WHEN ({by}) IS NOT NULL THEN "
            f"max({quote_ident(c)}) OVER (PARTITION BY {by}) END) AS {quote_ident(c)}"
            for c in m.fill_down.columns
        )
        ctes.append(f"src1 AS (SELECT * REPLACE ({filled}) FROM {last} AS src)")
        last = "src1"
    if m.order_refund:
        # The order's refund: a copy of its first line, marked, wherever the amount is above 0.
        amount = _number_sql(b.ref(m.order_refund.amount), b.decimal)
        by = b.ref(m.order_refund.by).sql()
        line = f"src.{quote_ident(b.info.line_column)}"
        ctes.append(
            f"src1r AS NOT MATERIALIZED (SELECT *, false AS {_REFUND} FROM {last} AS src UNION ALL "
            f"SELECT *, true AS {_REFUND} FROM {last} AS src WHERE {amount} > 0 "
            f"QUALIFY row_number() OVER (PARTITION BY {by} ORDER BY {line}) = 1)"
        )
        last = "src1r"
    if m.refunded_events:
        # A purchase given back in full: a copy of each of its lines, marked, as its refund.
        listed = ", ".join(quote_literal(n) for n in m.refunded_events)
        ctes.append(
            f"src1f AS NOT MATERIALIZED (SELECT *, false AS {_REFUNDED} FROM {last} AS src "
            f"UNION ALL SELECT *, true AS {_REFUNDED} FROM {last} AS src "
            f"WHERE {b.text('event_type')} IN ({listed}))"
        )
        last = "src1f"
    return ctes, last


def _exploded(b: _Builder, last: str) -> str:
    """The CTE ``src2``: ``last``'s rows, one per element of the exploded array.

    The array and whether to explode it are computed once per row, in a projection of their
    own, and UNNEST reads them by name. Written into the UNNEST, the array was computed four
    times, each parsing a JSON text anew; for Snowplow's headerless enriched TSV (131 columns,
    its entities in one JSON column) that cost time and memory: 1M rows ran out of the import's
    512 MB, and exploding beside each row's file and line, joining the elements back, still
    needed a hash table of every element near the budget. Now 2M rows import within it."""
    arr, ok, lists = _explode_columns(b)
    elements, ordinals = refs.explode_lists(arr, ok)
    return (f"src2 AS (SELECT * EXCLUDE ({arr}, {ok}), unnest({elements}) AS {refs.ELEMENT}, "
            f"unnest({ordinals}) AS {refs.ORDINAL} "
            f"FROM (SELECT src.*, {lists} FROM {last} AS src) AS src)")


def reads_element(sql: str) -> bool:
    """Whether ``sql`` reads the exploded array's element or its position."""
    return quote_ident(refs.ELEMENT) in sql or quote_ident(refs.ORDINAL) in sql


def _explode_columns(b: _Builder) -> tuple[str, str, str]:
    """The names of the exploded array and of whether to explode it, and their SELECT list
    (``array AS name, keep AS name``): computed once per row, in a projection of their own."""
    keep = "true"
    if b.mapping.explode_events and b.cols("event_type"):
        listed = ", ".join(quote_literal(n) for n in b.mapping.explode_events)
        keep = f"{b.text('event_type')} IN ({listed})"
    array = b.scope.explode_sql()
    arr = quote_ident(b.info.internal_name("__el_list"))
    ok = quote_ident(b.info.internal_name("__el_keep"))
    return arr, ok, f"{array} AS {arr}, {keep} AS {ok}"


def _event_id_src(b: _Builder) -> str:
    """The source's own event id; with an exploded array, one per element."""
    own = b.text("event_id")
    if not b.cols("event_id"):
        return own
    if b.mapping.explode and not reads_element(own):
        # A row's id, one per element; an element's own id (``events[].id``) is the event's.
        own = (f"CASE WHEN src.{refs.ORDINAL} IS NULL THEN {own} "
               f"ELSE {own} || '#' || src.{refs.ORDINAL} END")
    return _refunded_id(b, own)


def _refunded_id(b: _Builder, own: str) -> str:
    """An id (the source's, a natural key), told apart on a refunded line's refund copy."""
    if not b.mapping.refunded_events:
        return own
    return f"CASE WHEN src.{_REFUNDED} THEN {own} || '|refund' ELSE {own} END"


def _key_sql(b: _Builder) -> str:
    if not b.mapping.event_key:
        return "CAST(NULL AS VARCHAR)"
    parts = [text_sql(b.ref(k), as_id=True) for k in b.mapping.event_key]
    key = f"CASE WHEN {parts[0]} IS NULL THEN NULL ELSE concat_ws('|', {', '.join(parts)}) END"
    if b.mapping.order_refund:
        order = text_sql(b.ref(b.mapping.order_refund.by), as_id=True)
        key = f"CASE WHEN src.{_REFUND} THEN {order} || '|refund' ELSE {key} END"
    return _refunded_id(b, key)


#: Marks the rows an order's refund adds (see ``Mapping.order_refund``).
_REFUND = "__refund"
#: Marks the refund copies of a refunded purchase's lines (see ``Mapping.refunded_events``).
_REFUNDED = "__refunded"


def _refund_row(b: _Builder, field: str, expr: str) -> str:
    """``expr``, or on an order's refund row the refund's value of ``field``."""
    r = b.mapping.order_refund
    if r is None:
        return expr
    amount = b.ref(r.amount)
    values = {
        "event_name": "'refund'", "price": _number_sql(amount, b.decimal), "price__raw": text_sql(amount),
        "quantity__raw": "CAST(NULL AS VARCHAR)", "__quantity": "CAST(1 AS DOUBLE)",
        "product_id": "CAST(NULL AS VARCHAR)", "category": "CAST(NULL AS VARCHAR)",
        "brand": "CAST(NULL AS VARCHAR)",
    }
    if field not in values:
        return expr
    return f"CASE WHEN src.{_REFUND} THEN {values[field]} ELSE {expr} END"


def _country_sql(b: _Builder) -> str:
    return countries.code_sql(b.text("country"))
