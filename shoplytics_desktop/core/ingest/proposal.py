"""A generic proposal checked against the whole source, not just the sample.

``propose_mapping`` works from the sample ``inspect_sources`` read; here one pass over the source
settles what a sample cannot: the epoch unit of the whole time column, day/month order (a single
value above 12 anywhere decides it), two-digit years and mixed forms, the event names beyond the
sample (the ones only the fuzzy fallback knows become visible ``event_types`` entries), and a
proposal per file when files do not share one column set. Whatever stays uncertain is said, not
guessed silently: a day/month order no value settles comes back as a ``DateOrder`` for the user
to confirm.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from shoplytics_desktop.core import contract
from shoplytics_desktop.core.errors import ImportError_
from shoplytics_desktop.core.ingest import eventnames
from shoplytics_desktop.core.ingest.detect import SourceInfo, inspect_sources
from shoplytics_desktop.core.ingest.mapping import (
    FillDown,
    Mapping,
    generic_mapping,
    missing_required,
    order_status_types,
    propose_mapping,
    status_column,
    total_column,
)
from shoplytics_desktop.core.ingest.timeparse import (
    AUTO,
    EPOCH_MS,
    EPOCH_NS,
    EPOCH_S,
    EPOCH_US,
    EXCEL_DAYS,
    ISO,
    is_numeric_type,
    other_forms_read,
)

#: Distinct event names looked at (more are rare; the rules still map them).
MAX_NAMES = 5000
#: Files given a proposal of their own (more are read together with the union's).
MAX_FILES = 50
_UNITS = (EPOCH_S, EPOCH_MS, EPOCH_US, EPOCH_NS)
_UNIT_WORDS = {EPOCH_S: "seconds", EPOCH_MS: "milliseconds", EPOCH_US: "microseconds",
               EPOCH_NS: "nanoseconds"}
# day/month/year (or month/day/year) with / . or -, a 2- or 4-digit year, an optional time.
_DMY = (r"^([0-9]{1,2})([/.-])([0-9]{1,2})([/.-])([0-9]{4}|[0-9]{2})"
        r"(?:([ T])([0-9]{1,2}):([0-9]{2})(:[0-9]{2})?( ?[AaPp][Mm])?)?$")
_ISO_SAMPLE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{1,2}:\d{2}.*)?$")
_NUMBER = r"[+-]?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?"


@dataclass(frozen=True)
class DateOrder:
    """A day/month column that no value settles (every day and month is 12 or less)."""

    column: str
    example: str
    chosen: str
    other: str

    @staticmethod
    def order_of(fmt: str) -> str:
        return "day first" if fmt.find("%d") < fmt.find("%m") else "month first"

    def readings(self) -> list[tuple[str, str, str]]:
        """(format, label, how the example reads) for the chosen reading, then the other."""
        out = []
        for fmt in (self.chosen, self.other):
            parsed = parse_with(fmt, self.example)
            shown = parsed.strftime("%Y-%m-%d") if parsed else "(not read)"
            out.append((fmt, f"{self.order_of(fmt)}: {self.example} → {shown}", shown))
        return out

    def message(self) -> str:
        first_form = self.other.split("||")[0].strip()
        date = self.example.replace("T", " ").split(" ")[0]
        return (
            f"dates like {date} are read {self.order_of(self.chosen)}; use "
            f"--time-format '{first_form}' to read them {self.order_of(self.other)}"
        )


@dataclass(frozen=True)
class FileProposal:
    """What one file of several would be mapped from on its own."""

    path: str
    columns: dict[str, str | list[str]]
    missing: tuple[str, ...] = ()

    def describe(self) -> str:
        parts = [f"{f} ← {v if isinstance(v, str) else ', else '.join(v)}"
                 for f, v in self.columns.items()]
        parts += [f"{f}: no column" for f in self.missing]
        return "; ".join(parts)


@dataclass(frozen=True)
class Proposal:
    mapping: Mapping
    notes: tuple[str, ...] = ()
    date_order: DateOrder | None = None
    files: tuple[FileProposal, ...] = ()


def parse_with(fmt: str, text: str) -> dt.datetime | None:
    for form in (f.strip() for f in fmt.split("||")):
        try:
            return dt.datetime.strptime(text, form)
        except ValueError:
            continue
    return None


def propose(
    con: duckdb.DuckDBPyConnection,
    info: SourceInfo,
    preset: str | None = None,
    source: str | None = None,
) -> Proposal:
    """``propose_mapping``, then refined from the whole source (see ``refine``)."""
    mapping = propose_mapping(info, preset)
    return refine(con, info, mapping, source)


def refine(
    con: duckdb.DuckDBPyConnection,
    info: SourceInfo,
    mapping: Mapping,
    source: str | None = None,
) -> Proposal:
    """Check a proposal against every row of ``source`` (a SELECT of the source rows with their
    line, default: the readers) and settle what the sample could not. Reads, writes nothing."""
    notes: list[str] = []
    files: tuple[FileProposal, ...] = ()
    if mapping.preset is None and len(info.files) > 1 and info.union_by_name:
        mapping, files, file_notes = _per_file(con, info, mapping)
        notes += file_notes
    date_order = None
    if mapping.preset is None and mapping.explode:
        notes.append(f"The events are the elements of the array {mapping.explode} in each "
                     "object: one event per element, each field read from the element (else "
                     "from the object around it).")
    if missing_required(mapping):
        # Nothing to read yet; the missing fields are reported by check_mapping.
        return Proposal(mapping, tuple(notes), None, files)
    from shoplytics_desktop.core.ingest.transform import (
        _Builder,
        _reshaped,
        preview_source,
        read_by,
    )

    b = _Builder(info, mapping)
    source = source or preview_source(info)
    src = _reshaped(b, source)
    try:
        if mapping.preset is None or mapping.time_format in (AUTO, ""):
            # A preset that leaves the time's form to the data gets it settled as any file:
            # from the rows, unless the time is an element's (Mixpanel's items: 1.64 -> 0.2 s
            # at a million events).
            time_src = read_by(b, source, src, b.time()[0])
            mapping, time_notes, date_order = _settle_time(con, time_src, b, mapping)
            notes += time_notes
        if mapping.source.decimal is None:
            mapping, number_notes = _settle_decimal(con, src, b, mapping)
            notes += number_notes
        if mapping.preset is None and mapping.defaults.event_name == "purchase" and \
                mapping.fill_down is None:
            mapping, line_notes = _settle_order_lines(con, b, mapping, source)
            notes += line_notes
            b = _Builder(info, mapping)
            src = _reshaped(b, source)
        if b.cols("event_type"):
            # The names are a row's, not an element's: read from the rows before their arrays
            # are exploded, which parses no array (a Snowplow TSV's entities: 9.0 -> 4.7 s at
            # a million rows); exploding keeps every row, so the same names are found.
            before = mapping
            mapping = _settle_names(con, src, b, mapping, source)
            if status_column(mapping):
                notes.append(_status_note(mapping))
            if total := total_column(mapping):
                notes.append(f"Each row's {total} is read as its total: the price of one unit "
                             "(a count of items is not multiplied in). Map price and quantity "
                             "to read lines by unit.")
            if mapping.negative_quantity != before.negative_quantity:
                notes.append("The events include refunds: a negative quantity or price is read "
                             "as a refund of that many units or that amount (not rejected).")
    except duckdb.InterruptException:
        raise
    except duckdb.Error as e:
        if _transaction_ended(con):
            # Inside the import's transaction an error ends it (a memory budget run out):
            # nothing more can run in it, so the error is the import's.
            raise
        # The rows are read again (and any error reported) by the validation that follows.
        notes.append(f"The whole source could not be checked ({str(e).splitlines()[0]}).")
    return Proposal(mapping, tuple(notes), date_order, files)


def _transaction_ended(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the connection's transaction was ended by an error (DuckDB aborts an explicit
    transaction on any error; without one, a failed statement leaves nothing behind)."""
    try:
        con.execute("SELECT 1")
    except duckdb.TransactionException:
        return True
    except duckdb.Error:
        return False
    return False


# -- numbers -------------------------------------------------------------------------------------

#: Values only one decimal separator reads: a separator followed by other than three digits, or
#: after four or more digits or a lone 0, or both separators in the order of the convention.
_POINT_ONLY = (r"-?[0-9]*\.([0-9]{1,2}|[0-9]{4,})|-?([0-9]{4,}|0)\.[0-9]+"
               r"|-?[0-9]{1,3}(,[0-9]{3})+\.[0-9]*|-?[0-9]{1,3}(,[0-9]{3}){2,}")
_COMMA_ONLY = (r"-?[0-9]*,([0-9]{1,2}|[0-9]{4,})|-?([0-9]{4,}|0),[0-9]+"
               r"|-?[0-9]{1,3}(\.[0-9]{3})+,[0-9]*|-?[0-9]{1,3}(\.[0-9]{3}){2,}")


#: Values either separator reads: one to three digits, a separator, three digits (1.234).
_EITHER = r"-?[0-9]{1,3}[.,][0-9]{3}"


def _settle_decimal(
    con: duckdb.DuckDBPyConnection, src: str, b: object, mapping: Mapping
) -> tuple[Mapping, list[str]]:
    """The decimal separator of the numbers written as text (price, quantity, an order's refund
    amount), from every row: the convention most values can only be read in. Values like 1,234
    fit both; with nothing else to go by, the file's delimiter decides (see ``_Builder``)."""
    from shoplytics_desktop.core.ingest.transform import (
        MONEY_SIGNS,
        _Builder,
        text_sql,
        without_money_signs,
    )

    assert isinstance(b, _Builder)
    named = [(f, c) for f in ("price", "quantity") for c in b.cols(f)]
    if mapping.order_refund:
        named.append(("the refund amount", b.ref(mapping.order_refund.amount)))
    texts = [(f, c) for f, c in named if (c.read_type or c.type).upper() in ("VARCHAR", "JSON")]
    if not texts:
        return mapping, []
    signed = next((v for f, c in texts if f == "price" for v in c.samples
                   if re.search(MONEY_SIGNS, v)), None)
    sign_notes = [f"Prices are written with a currency sign or code (e.g. {signed!r}): the "
                  "number is read without it" + (
                      "." if b.cols("currency") else
                      "; they count in the workspace currency (there is no currency column).")
                  ] if signed else []
    if b.decimal == ".":
        # Without a comma in any value, every reading is the default one: a cheap pass decides
        # whether the values need reading at all (0.06 s for the full one at a million rows).
        commas = " OR ".join(f"contains({text_sql(c)}, ',')" for _, c in texts)
        found = con.execute(f"WITH {src} SELECT count(*) FROM src WHERE {commas}").fetchone()
        if not found or not found[0]:
            return mapping, sign_notes
    parts = []
    for i, (_, c) in enumerate(texts):
        x = without_money_signs(text_sql(c))
        parts.append(
            f"count(*) FILTER (WHERE regexp_full_match({x}, '{_POINT_ONLY}')) AS p{i}, "
            f"count(*) FILTER (WHERE regexp_full_match({x}, '{_COMMA_ONLY}')) AS c{i}, "
            f"any_value({x}) FILTER (WHERE regexp_full_match({x}, '{_POINT_ONLY}')) AS pe{i}, "
            f"any_value({x}) FILTER (WHERE regexp_full_match({x}, '{_COMMA_ONLY}')) AS ce{i}"
        )
    either = [f"any_value({x}) FILTER (WHERE regexp_full_match({x}, '{_EITHER}'))"
              for x in (without_money_signs(text_sql(c)) for _, c in texts)]
    parts.append(f"coalesce({', '.join(either)})")
    row = con.execute(f"WITH {src} SELECT {', '.join(parts)} FROM src").fetchone()
    assert row is not None
    point = sum(int(row[4 * i]) for i in range(len(texts)))
    comma = sum(int(row[4 * i + 1]) for i in range(len(texts)))
    if not point and not comma:
        if row[-1] and b.decimal == ",":
            # Only values like 1.234 or 1,234, which either separator reads: the delimiter's
            # convention decides, which the user should know (1.234 is 1234 here).
            sign_notes.append(
                f"Numbers like {row[-1]!r} could be read either way: they are "
                "read with a decimal comma (1.234 as 1234), the convention of a file separated "
                "by ';'. Set source.decimal: '.' in a mapping file to read them with a point.")
        return mapping, sign_notes
    decimal = "," if comma > point else "." if point > comma else b.decimal
    fields = ", ".join(dict.fromkeys(f for i, (f, _) in enumerate(texts)
                                     if row[4 * i] or row[4 * i + 1]))
    notes = sign_notes
    if decimal != b.decimal or decimal == ",":
        example = next((row[4 * i + (3 if decimal == "," else 2)] for i in range(len(texts))
                        if row[4 * i + (3 if decimal == "," else 2)]), "")
        notes.append(f"Numbers ({fields}) are written with a decimal "
                     f"{'comma' if decimal == ',' else 'point'} (e.g. {example!r}).")
    other = min(point, comma)
    if other:
        example = next((row[4 * i + (2 if decimal == "," else 3)] for i in range(len(texts))
                        if row[4 * i + (2 if decimal == "," else 3)]), "")
        # Only the fields that have values of the other convention.
        odd = 0 if decimal == "," else 1
        fields = ", ".join(dict.fromkeys(f for i, (f, _) in enumerate(texts) if row[4 * i + odd]))
        notes.append(f"{other:,} value(s) of {fields} use the other decimal separator (e.g. "
                     f"{example!r}): their rows are rejected with the reason. Set "
                     "source.decimal in a mapping file to read them the other way.")
    source = mapping.source.model_copy(update={"decimal": decimal})
    return mapping.model_copy(update={"source": source}), notes


# -- time ----------------------------------------------------------------------------------------

def _settle_time(
    con: duckdb.DuckDBPyConnection, src: str, b: object, mapping: Mapping
) -> tuple[Mapping, list[str], DateOrder | None]:
    from shoplytics_desktop.core.ingest.transform import _Builder

    assert isinstance(b, _Builder)
    cols = b.cols("event_time")
    typed = [c.read_type or c.type for c in cols]
    if all(t.upper().startswith(("TIMESTAMP", "DATE")) for t in typed):
        return mapping, [], None
    if mapping.time_format in (AUTO, "") and all(
        c.samples and all(_ISO_SAMPLE.match(v) for v in c.samples) for c in cols
    ):
        # ISO text is read one way only; a later value in another form is rejected with its
        # reason. Not profiled: at millions of rows that pass costs more than the import's read.
        return mapping, [], None
    raw, _ = b.time()
    column = ", ".join(mapping.sources_of("event_time"))
    p = _time_profile(con, src, raw, numbers=all(is_numeric_type(t) for t in typed))
    notes: list[str] = []
    if not p.total:
        notes.append(f"The time column ({column}) is empty in every row: every row would be "
                     "rejected. Map another column to event_time.")
        return mapping, notes, None
    fmt = mapping.time_format
    if not p.dmy and fmt not in (AUTO, "", *_UNITS):
        # A format the sample settled (2010/12/01 …): the validation shows what it reads.
        return mapping, notes, None
    if p.unreadable:
        notes.append(f"Some values of {column} are not a time in any form read (e.g. "
                     f"{p.unreadable!r}): their rows are rejected with the reason.")
    if p.numeric and not p.dmy:
        return _epoch_time(mapping, column, typed, p, notes), notes, None
    if p.dmy:
        mapping, date_order = _dated_time(mapping, column, p, notes)
        return mapping, notes, date_order
    if fmt in _UNITS:
        return mapping.model_copy(update={"time_format": AUTO}), notes, None
    return mapping, notes, None


@dataclass(frozen=True)
class _TimeProfile:
    """How the values of a time column are written, counted over every row."""

    total: int
    numeric: int
    s: int
    ms: int
    us: int
    ns: int
    dmy: int
    first_big: int
    second_big: int
    seps: list[str] | None
    forms: list[str] | None
    ambiguous: str | None
    day_example: str | None
    month_example: str | None
    iso: int
    unreadable: str | None
    #: Numbers of a spreadsheet's date serial's range (20000-80000: 1954 to 2119).
    excel: int = 0


def _time_profile(
    con: duckdb.DuckDBPyConnection, src: str, raw: str, numbers: bool = False
) -> _TimeProfile:
    """``numbers``: every column read is of a numeric type, whose values are written as numbers
    (or nan, inf) and never as a date: a value is a number when it is finite, without matching
    its text against the patterns (1.3 of 5.2 s of a 1M-event Mixpanel import)."""
    n = "abs(try_cast(t AS DOUBLE))"
    parts = ("a", "s1", "b", "s2", "y", "ts", "h", "mi", "sec", "ap")
    if numbers:
        no_date = f"CAST(NULL AS STRUCT({', '.join(f'{p} VARCHAR' for p in parts)}))"
        w = f"SELECT t, coalesce(isfinite({n}), false) AS num, {no_date} AS d"
    else:
        w = (f"SELECT t, regexp_full_match(t, '{_NUMBER}') AS num, "
             f"regexp_extract(t, '{_DMY}', {list(parts)}) AS d")
    row = con.execute(f"""
        WITH {src}, v AS (SELECT trim(CAST({raw} AS VARCHAR)) AS t FROM src),
        w AS ({w} FROM v WHERE t IS NOT NULL AND t <> ''),
        x0 AS (SELECT *, coalesce(d.a <> '' AND d.s1 = d.s2, false) AS dmy FROM w),
        -- The text of a value neither a number nor a date (else null), the only ones tried as
        -- timestamps: an aggregate's filter computes every term for every row.
        x AS (SELECT *, CASE WHEN NOT num AND NOT dmy THEN t END AS other FROM x0)
        SELECT count(*),
               count(*) FILTER (WHERE num),
               count(*) FILTER (WHERE num AND {n} < 1e11),
               count(*) FILTER (WHERE num AND {n} >= 1e11 AND {n} < 1e14),
               count(*) FILTER (WHERE num AND {n} >= 1e14 AND {n} < 1e17),
               count(*) FILTER (WHERE num AND {n} >= 1e17),
               count(*) FILTER (WHERE dmy),
               count(*) FILTER (WHERE dmy AND try_cast(d.a AS INTEGER) > 12
                                AND try_cast(d.b AS INTEGER) <= 12),
               count(*) FILTER (WHERE dmy AND try_cast(d.b AS INTEGER) > 12
                                AND try_cast(d.a AS INTEGER) <= 12),
               list(DISTINCT d.s1) FILTER (WHERE dmy),
               list(DISTINCT length(d.y) || coalesce(d.ts, '') ||
                    CASE WHEN d.h = '' THEN '' WHEN d.sec = '' THEN 'hm' ELSE 'hms' END ||
                    -- A 12-hour clock: AM/PM after a space (A) or right after the time (a).
                    CASE WHEN d.ap = '' THEN '' WHEN d.ap[1] = ' ' THEN 'A' ELSE 'a' END)
                   FILTER (WHERE dmy),
               min(t) FILTER (WHERE dmy AND try_cast(d.a AS INTEGER) <= 12
                              AND try_cast(d.b AS INTEGER) <= 12 AND d.a <> d.b),
               min(t) FILTER (WHERE dmy AND try_cast(d.a AS INTEGER) > 12
                              AND try_cast(d.b AS INTEGER) <= 12),
               min(t) FILTER (WHERE dmy AND try_cast(d.b AS INTEGER) > 12
                              AND try_cast(d.a AS INTEGER) <= 12),
               count(*) FILTER (WHERE try_cast(other AS TIMESTAMPTZ) IS NOT NULL
                                OR try_cast(other AS TIMESTAMP) IS NOT NULL),
               min(other) FILTER (WHERE try_cast(other AS TIMESTAMPTZ) IS NULL
                                  AND try_cast(other AS TIMESTAMP) IS NULL
                                  AND NOT ({other_forms_read('other')})),
               count(*) FILTER (WHERE num AND {n} >= 20000 AND {n} < 80000)
        FROM x""").fetchone()
    assert row is not None
    return _TimeProfile(*row)


def _epoch_time(
    mapping: Mapping, column: str, typed: list[str], p: _TimeProfile, notes: list[str]
) -> Mapping:
    """Numbers: one epoch unit when every value is in its band, else each value's own; a
    spreadsheet's date serials when every value is one (as epoch seconds they would all fall
    on 1 January 1970)."""
    if p.excel and p.excel == p.numeric == p.total:
        notes.append(f"{column} holds spreadsheet date numbers (days since 1899-12-30, the time "
                     "of day as a fraction, as a CSV saved from Excel writes a date cell "
                     "formatted General): they are read as such (time_format: excel_days).")
        return mapping.model_copy(update={"time_format": EXCEL_DAYS})
    bands = {u: c for u, c in zip(_UNITS, (p.s, p.ms, p.us, p.ns), strict=True) if c}
    if len(bands) == 1 and p.numeric == p.total and not any(is_numeric_type(t) for t in typed):
        fmt = next(iter(bands))
    else:
        fmt = AUTO
        if len(bands) > 1:
            listed = ", ".join(f"{c:,} in {_UNIT_WORDS[u]}" for u, c in bands.items())
            notes.append(f"{column} mixes epoch units ({listed}): each value's unit is "
                         "told by its magnitude.")
        if p.iso:
            notes.append(f"{column} mixes epoch numbers ({p.numeric:,}) and ISO text "
                         f"({p.iso:,}): each value is read by its form.")
    return mapping.model_copy(update={"time_format": fmt})


def _dated_time(
    mapping: Mapping, column: str, p: _TimeProfile, notes: list[str]
) -> tuple[Mapping, DateOrder | None]:
    """Dates written day/month/year or month/day/year: which order, and in which forms."""
    seps = p.seps
    sep = sorted(seps)[0] if seps else "/"
    if len(seps or []) > 1:
        notes.append(f"{column} writes dates with several separators "
                     f"({' '.join(sorted(seps or []))}): only those with {sep!r} are read.")
    day_first_fmts = _formats("%d", "%m", sep, p.forms or [])
    month_first_fmts = _formats("%m", "%d", sep, p.forms or [])
    date_order = None
    if p.first_big and p.second_big:
        day_first = p.first_big >= p.second_big
        minority = (p.month_example, p.second_big) if day_first else (p.day_example, p.first_big)
        notes.append(
            f"{column} has dates written day first (e.g. {p.day_example}) and month first "
            f"(e.g. {p.month_example}): they are read {'day' if day_first else 'month'} first, "
            f"and the {minority[1]:,} rows written the other way are rejected.")
    elif p.first_big:
        day_first = True
    elif p.second_big:
        day_first = False
    else:
        day_first = sep == "."
        if p.ambiguous:
            chosen = day_first_fmts if day_first else month_first_fmts
            other_fmt = month_first_fmts if day_first else day_first_fmts
            date_order = DateOrder(column, str(p.ambiguous), chosen, other_fmt)
            notes.append(date_order.message()[0].upper() + date_order.message()[1:] + ".")
    fmt = day_first_fmts if day_first else month_first_fmts
    if p.iso or p.numeric:
        # ISO text (or epoch numbers) beside the dates: read too, each by its form.
        fmt += f" || {ISO}"
        if date_order is not None:
            date_order = dataclasses.replace(
                date_order, chosen=date_order.chosen + f" || {ISO}",
                other=date_order.other + f" || {ISO}")
    return mapping.model_copy(update={"time_format": fmt}), date_order


def _formats(first: str, second: str, sep: str, forms: Sequence[str]) -> str:
    """The strptime formats (``a || b``) of the forms seen: two-digit years before four (``%Y``
    would read 24 as the year 24), a time with minutes, seconds or none, after a space or T."""
    out = []
    for form in sorted(forms, key=lambda f: (not f.startswith("2"), f)):
        year = "%y" if form.startswith("2") else "%Y"
        rest = form[1:]
        joiner = rest[0] if rest[:1] in (" ", "T") else ""
        clock = rest[1:] if joiner else rest
        ampm = {"A": " %p", "a": "%p"}.get(clock[-1:], "")
        clock = clock[:-1] if ampm else clock
        hour = "%I" if ampm else "%H"
        time_part = {"hm": f"{hour}:%M", "hms": f"{hour}:%M:%S"}.get(clock, "")
        fmt = f"{first}{sep}{second}{sep}{year}" + (
            f"{joiner}{time_part}{ampm}" if time_part else "")
        if fmt not in out:
            out.append(fmt)
    return " || ".join(out) or f"{first}{sep}{second}{sep}%Y"


# -- order lines ---------------------------------------------------------------------------------

#: An order's own fields, which order exports may write on its first line only.
_ORDER_LEVEL = ("event_time", "event_type", "user_id", "currency", "country", "traffic_source",
                "device")


def _settle_order_lines(
    con: duckdb.DuckDBPyConnection, b: object, mapping: Mapping, source: str
) -> tuple[Mapping, list[str]]:
    """An order export that writes its order's time, customer or status on the first line only
    (the other lines of the order blank there, as Shopify's does): those fields are filled down
    within the order, so its other lines are not rejected without a time or user, nor read as
    sales of a cancelled order."""
    from shoplytics_desktop.core.ingest.transform import _Builder, _reshaped, text_sql

    assert isinstance(b, _Builder)
    order = mapping.columns.get("order_id")
    order_col = b.info.column(order) if isinstance(order, str) else None
    if order_col is None:
        return mapping, []
    fields = [col for f in _ORDER_LEVEL if len(srcs := mapping.sources_of(f)) == 1
              and (col := b.info.column(srcs[0])) is not None]
    if not fields:
        return mapping, []
    key = text_sql(order_col)
    counts = ", ".join(f"count(*) FILTER (WHERE {text_sql(c)} IS NULL)" for c in fields)
    plain = _Builder(b.info, mapping.model_copy(update={"fill_down": None}))
    row = con.execute(f"WITH {_reshaped(plain, source, explode=False)} SELECT {counts}, "
                      f"count(DISTINCT {key}) < count({key}) FROM src WHERE {key} IS NOT NULL"
                      ).fetchone()
    if row is None or not row[-1]:
        return mapping, []  # no order of several lines
    blank = [c.name for c, n in zip(fields, row[:-1], strict=True) if n]
    if not blank:
        return mapping, []
    note = (f"Some lines leave {', '.join(blank)} blank for the order's first line to say: they "
            f"are filled in from their order ({order_col.name}).")
    return mapping.model_copy(update={"fill_down": FillDown(by=order_col.name, columns=blank)}), \
        [note]


# -- event names ---------------------------------------------------------------------------------

def _settle_names(
    con: duckdb.DuckDBPyConnection, src: str, b: object, mapping: Mapping, source: str
) -> Mapping:
    """Names only the fuzzy fallback knows become explicit entries of ``event_types``: the SQL
    rules then agree with what the user is shown, and the saved mapping says what was read.
    They are read from the reshaped ``source`` as ``read_by`` says: the same names."""
    from shoplytics_desktop.core.ingest.transform import _Builder, _event_name_sql, read_by

    assert isinstance(b, _Builder)
    name = _event_name_sql(b, mapping.defaults.event_name)
    ctes = read_by(b, source, src, name)
    rows = con.execute(
        f"WITH {ctes} SELECT DISTINCT {name} AS n FROM src WHERE n IS NOT NULL LIMIT {MAX_NAMES}"
    ).fetchall()
    has_product = bool(b.cols("product_id"))
    types: dict[str, str] = dict(mapping.event_types)
    names = [str(n) for (n,) in rows]
    status = status_column(mapping)
    if status:
        # An order export read by its status: every status says what the order is.
        more = [n for n in names if n not in types]
        read, refunded = order_status_types(more, by_amount=mapping.order_refund is not None)
        return mapping.model_copy(update={
            "event_types": types | read,
            "refunded_events": list(dict.fromkeys(mapping.refunded_events + refunded)),
        })
    if has_product and any(eventnames.classify(t, True) == "product_view" and
                           eventnames._rule_type(t) != eventnames.VIEW for t in names):
        # A source that names its product views apart: its page views stay page views, even
        # on a product's page (a page_view row with a product id is not a second product view).
        for text in names:
            if text not in types and eventnames._rule_type(text) == eventnames.VIEW and \
                    any(w in eventnames.normalize(text) for w in ("page", "screen")):
                types[text] = "page_view"
    for text in names:
        if text in types or eventnames._by_rules(eventnames.normalize(text)):
            continue
        found = eventnames.fuzzy_type(text)
        if found == eventnames.VIEW:
            if has_product:
                continue  # decided per row by the product (the sample's names are)
            found = "page_view"
        if found:
            types[text] = found
    update: dict[str, object] = {"event_types": types} if types != mapping.event_types else {}
    if mapping.preset is None and mapping.negative_quantity == mapping.negative_price == "reject" \
            and any(types.get(t) == "refund" or (t not in types and eventnames.classify(
                t, has_product) == "refund") for t in names):
        # A source with refund events: one written with a negative quantity or amount (a
        # return of 2 units as -2) is that refund, not a broken row.
        update |= {"negative_quantity": "refund", "negative_price": "refund"}
    return mapping.model_copy(update=update) if update else mapping


def _status_note(mapping: Mapping) -> str:
    """What an order export's statuses are read as."""
    column = status_column(mapping)
    types = mapping.event_types
    refunded = set(mapping.refunded_events)
    paid = [n for n, t in types.items() if t == "purchase" and n not in refunded]
    unpaid = [n for n, t in types.items() if t == "other"]
    parts = []
    if paid:
        parts.append(f"{', '.join(paid)}: purchases")
    if refunded:
        parts.append(f"{', '.join(refunded)}: a purchase and its refund")
    if unpaid:
        parts.append(f"{', '.join(unpaid)}: not purchases (no revenue)")
    refund = (f"; each order's refund is its {mapping.order_refund.amount}"
              if mapping.order_refund else "")
    return (f"Orders are read by their status ({column}): {'; '.join(parts)}{refund}. "
            "Change event_types in the mapping to read a status otherwise.")


# -- several files -------------------------------------------------------------------------------

def _per_file(
    con: duckdb.DuckDBPyConnection, info: SourceInfo, merged: Mapping
) -> tuple[Mapping, tuple[FileProposal, ...], list[str]]:
    """A proposal per file; where they differ only by column names, one mapping whose fields
    list each file's column (``event_time: [timestamp, ts]``: first non-empty value wins, and a
    file without the column has it empty in the union read)."""
    if len(info.files) > MAX_FILES:
        return merged, (), []
    proposals: list[FileProposal] = []
    mappings: list[Mapping] = []
    for f in info.files:
        try:
            one = inspect_sources([f.path], merged.source, con=con)
        except ImportError_:
            continue
        m = generic_mapping(one)
        mappings.append(m)
        proposals.append(FileProposal(str(f.path), dict(m.columns.items()), tuple(missing_required(m))))
    if not mappings:
        return merged, (), []
    notes: list[str] = []
    field_of: dict[str, str] = {}
    columns: dict[str, list[str]] = {}
    field: str
    # DuckDB reads the files together by column name whatever its case (EVENT_TIME in one file
    # is event_time of another): a file's column is known by the union's name for it.
    union = {c.name.lower(): c.name for c in info.columns}
    for m in mappings:
        for field, src in m.columns.items():
            for own in [src] if isinstance(src, str) else src:
                name = union.get(own.lower(), own)
                owner = field_of.setdefault(name, field)
                if owner != field:
                    notes.append(f"Column {name} is {owner} in one file and {field} in another: "
                                 f"it is read as {owner}; map it by hand or import the files "
                                 "separately.")
                    continue
                if name not in columns.setdefault(field, []):
                    columns[field].append(name)
    new_columns: dict[str, str | list[str]] = {
        f: (names[0] if len(names) == 1 else names) for f, names in columns.items()
    }
    shown = {str(f.path): f.shown for f in info.files}  # a zip's member by its name in the zip
    for p in proposals:
        for field in p.missing:
            if field in new_columns:
                label = {"event_time": "time", "event_type": "event name",
                         "user_id": "user"}.get(field, field)
                notes.append(f"{shown.get(p.path, p.path)} has no {label} column ({field}): "
                             "its rows are rejected for it.")
    if set(new_columns) == set(merged.columns) and all(
        isinstance(v, str) for v in new_columns.values()
    ) and new_columns == merged.columns:
        return merged, tuple(proposals), notes
    event_name = merged.defaults.event_name
    if any(m.defaults.event_name != event_name for m in mappings):
        notes.append("Some files have an event column and others none: rows without an event "
                      "name are rejected for it.")
    for field in contract.REQUIRED_SOURCE_COLUMNS:
        if field not in new_columns and field in merged.columns:
            new_columns[field] = merged.columns[field]
    return merged.model_copy(update={"columns": new_columns}), tuple(proposals), notes
