"""SQL that turns a source's time column into a UTC ``TIMESTAMP``.

Accepted without configuration: ISO text with ``T`` or a space, with ``Z``, `` UTC`` or a numeric
offset (converted to UTC), dates, and epoch numbers whose unit is told apart by magnitude. A
mapping may fix the form instead: ``epoch_s``, ``epoch_ms`` or a strptime format, which the
proposal fills in for the usual day/month/year forms (``guess_format``).

Text without an offset is read as UTC: the import sets the cursor's ``TimeZone`` to UTC while it
runs (``utc_session``), because DuckDB reads offset-less text in the session's zone. A mapping's
``time_zone`` names the zone such times are in instead (a shop's local-time export): they are
converted from it to UTC (``zone``); times with an offset, ``Z`` or ``UTC``, and epoch numbers,
are UTC instants whatever it says.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Iterable, Iterator

import duckdb

from shoplytics_desktop.core.sqlutil import quote_literal

AUTO = "auto"
EPOCH_S = "epoch_s"
EPOCH_MS = "epoch_ms"
EPOCH_US = "epoch_us"
EPOCH_NS = "epoch_ns"
#: Days since 1899-12-30 with the time of day as a fraction: a spreadsheet's date serial
#: (45352.5 is 2024-03-01 12:00), as a CSV saved from one writes a date cell formatted General.
EXCEL_DAYS = "excel_days"
#: In a list of formats (``%d/%m/%Y || iso``): ISO text and epoch numbers, read as ``auto`` does.
ISO = "iso"
#: Factor from each unit to microseconds.
_EPOCH_FACTORS = {EPOCH_S: "1e6", EPOCH_MS: "1e3", EPOCH_US: "1", EPOCH_NS: "1e-3"}

_NUMERIC_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
                  "UINTEGER", "UBIGINT", "FLOAT", "DOUBLE", "DECIMAL", "REAL")


def _micros(value_sql: str, factor: str) -> str:
    # try_cast keeps absurd magnitudes (which would overflow) as NULL, i.e. "could not be parsed".
    return f"make_timestamp(try_cast(({value_sql}) * {factor} AS BIGINT))"


def epoch_by_magnitude(value_sql: str) -> str:
    """Seconds below 1e11 (year 5138), milliseconds below 1e14, then micro- and nanoseconds."""
    v = f"({value_sql})"
    return (
        f"CASE WHEN abs({v}) < 1e11 THEN {_micros(v, '1e6')} "
        f"WHEN abs({v}) < 1e14 THEN {_micros(v, '1e3')} "
        f"WHEN abs({v}) < 1e17 THEN {_micros(v, '1')} "
        f"ELSE {_micros(v, '1e-3')} END"
    )


def _excel_days(column_sql: str, text_sql: str, source_type: str) -> str:
    """A spreadsheet's date serial as a wall-clock TIMESTAMP, to the second (a serial written
    with five decimals, 45352.41667, is 10:00:00 and not 10:00:00.288)."""
    v = (f"CAST({column_sql} AS DOUBLE)" if is_numeric_type(source_type)
         else f"try_cast({text_sql} AS DOUBLE)")
    return (f"(TIMESTAMP '1899-12-30' + "
            f"to_seconds(try_cast(round({v} * 86400) AS BIGINT)))")


def is_numeric_type(sql_type: str) -> bool:
    return sql_type.upper().startswith(_NUMERIC_TYPES)


def _from_zone(naive_sql: str, zone: str | None) -> str:
    """A wall-clock TIMESTAMP in ``zone`` as UTC (as it is, when there is no zone or it is UTC).
    A wall-clock time a DST change skips or repeats maps to some instant here, and the import
    rejects it with its reason (``zone_rules``): it names no one instant."""
    if not zone or zone.upper() == "UTC":
        return naive_sql
    return f"timezone('UTC', timezone({quote_literal(zone)}, {naive_sql}))"


def _naive_text(t: str) -> str:
    """Whether text ``t`` is a wall-clock time: it ends in a digit with no offset sign before."""
    return (f"({t}[-1] BETWEEN '0' AND '9' AND {t}[-6] NOT IN ('+', '-') "
            f"AND {t}[-5] NOT IN ('+', '-') AND {t}[-3] NOT IN ('+', '-'))")


def wall_sql(column_sql: str, text_sql: str, source_type: str,
             time_format: str = AUTO) -> str | None:
    """The wall-clock time a value was written as, where ``time_sql`` reads it in the mapping's
    zone (NULL for values that name their instant: an offset, Z, an epoch number); None when no
    value of this column is a wall-clock time."""
    t = source_type.upper()
    if t.startswith("TIMESTAMP WITH TIME ZONE") or t == "TIMESTAMPTZ":
        return None
    if t.startswith(("TIMESTAMP", "DATE")):
        return f"CAST({column_sql} AS TIMESTAMP)"
    if time_format == EXCEL_DAYS:
        return _excel_days(column_sql, text_sql, source_type)
    if time_format in _EPOCH_FACTORS or is_numeric_type(t):
        return None
    auto = (f"coalesce(CASE WHEN {_naive_text(text_sql)} THEN try_cast({text_sql} AS TIMESTAMP) "
            f"END, try_strptime({text_sql}, {_forms(_WALL_FORMS)}))")
    if time_format in (AUTO, ""):
        return auto
    if "%z" in time_format or "%Z" in time_format:
        return None
    forms = [f.strip() for f in time_format.split("||") if f.strip() and f.strip() != ISO]
    fmt = (quote_literal(forms[0]) if len(forms) == 1
           else "[" + ", ".join(quote_literal(f) for f in forms) + "]")
    parsed = f"try_strptime({text_sql}, {fmt})" if forms else "NULL"
    return f"coalesce({parsed}, {auto})" if ISO in time_format else parsed


def zone_rules(wall: str, zone: str) -> list[tuple[str, str]]:
    """(reason, violated SQL) for wall-clock times that do not name one instant in ``zone``: a
    time the clocks skipped (02:30 on New York's spring night) or went through twice (01:30 on
    its autumn night). ``event_time`` is the UTC instant ``time_sql`` read; a zone conversion
    maps each such time to some instant, so both are found from it: a skipped time is not the
    wall time of its instant, a repeated one is also that of the instant an hour (or, at Lord
    Howe, half an hour) away."""
    z = quote_literal(zone)

    def wall_at(shift: str = "") -> str:
        return f"timezone({z}, timezone('UTC', event_time{shift}))"

    def offset(shift: str) -> str:
        return f"({wall_at(shift)} - (event_time{shift}))"

    # Only rows next to a change of offset are compared with their neighbours (CASE evaluates
    # the inner test for those rows alone).
    near = f"{offset(' + INTERVAL 3 HOUR')} <> {offset(' - INTERVAL 3 HOUR')}"
    twice = " OR ".join(f"{wall_at(f' {sign} INTERVAL {n}')} = {wall}"
                        for n in ("1 HOUR", "30 MINUTE") for sign in "+-")
    return [
        (f"event_time does not exist in {zone} (the clocks skipped it)",
         f"{wall} IS NOT NULL AND event_time IS NOT NULL AND {wall_at()} <> {wall}"),
        (f"event_time happens twice in {zone} (the clocks went back); give it an offset",
         f"{wall} IS NOT NULL AND event_time IS NOT NULL AND "
         f"CASE WHEN {near} THEN {twice} ELSE false END"),
    ]


#: Forms read where ISO text and epoch numbers fail (a value in none of them is rejected): with
#: an offset after a space (Shopify's and Ruby's 2024-03-01 10:00:00 -0500, RFC 2822) ...
_OFFSET_FORMS = ("%Y-%m-%d %H:%M:%S %z", "%Y-%m-%dT%H:%M:%S %z", "%Y-%m-%d %H:%M:%S.%f %z",
                 "%Y-%m-%dT%H:%M:%S.%f %z", "%Y-%m-%d %H:%M %z", "%a, %d %b %Y %H:%M:%S %z",
                 "%d %b %Y %H:%M:%S %z",
                 # Java's Date.toString() and Unix date(1): Fri Mar 01 10:00:00 UTC 2024.
                 "%a %b %d %H:%M:%S %Z %Y")
#: ... in UTC (basic ISO 8601) ...
_UTC_FORMS = ("%Y%m%dT%H%M%SZ", "%Y%m%dT%H%M%S.%fZ", "%Y-%m-%dt%H:%M:%Sz",
              "%Y-%m-%dt%H:%M:%S.%fz")
#: ... and wall-clock times: a 12-hour clock after an ISO date, month names, dotted dates.
#: (Day and month in digits, 03/01/2024, are settled over the whole column by the proposal.)
_WALL_FORMS = ("%Y-%m-%d %I:%M:%S %p", "%Y-%m-%d %I:%M %p", "%Y-%m-%dT%I:%M:%S %p",
               "%b %d, %Y %I:%M:%S %p", "%b %d, %Y %I:%M %p", "%b %d, %Y %H:%M:%S",
               "%b %d, %Y %H:%M", "%b %d, %Y", "%B %d, %Y %I:%M:%S %p", "%B %d, %Y %I:%M %p",
               "%B %d, %Y %H:%M:%S", "%B %d, %Y", "%d %b %Y %H:%M:%S", "%d %b %Y %H:%M",
               "%d %b %Y", "%d %B %Y", "%d-%b-%Y %H:%M:%S", "%d-%b-%Y %H:%M", "%d-%b-%Y",
               "%Y.%m.%d %H:%M:%S", "%Y.%m.%d %H:%M", "%Y.%m.%d", "%Y%m%dT%H%M%S",
               # A decimal comma before the fraction (ISO 8601 allows it; log files use it).
               "%Y-%m-%d %H:%M:%S,%f", "%Y-%m-%dT%H:%M:%S,%f")


def _forms(forms: tuple[str, ...]) -> str:
    return "[" + ", ".join(quote_literal(f) for f in forms) + "]"


def _other_forms_sql(t: str, zone: str | None) -> str:
    """The instant of text ``t`` in one of the other forms (``_OFFSET_FORMS`` …), else NULL."""
    return (f"coalesce(timezone('UTC', try_strptime({t}, {_forms(_OFFSET_FORMS)})), "
            f"try_strptime({t}, {_forms(_UTC_FORMS)}), "
            f"{_from_zone(f'try_strptime({t}, {_forms(_WALL_FORMS)})', zone)})")


def other_forms_read(t: str) -> str:
    """Whether text ``t`` is a time in one of the other forms ``time_sql`` reads."""
    return " OR ".join(f"try_strptime({t}, {_forms(f)}) IS NOT NULL"
                       for f in (_OFFSET_FORMS, _UTC_FORMS, _WALL_FORMS))


def time_sql(column_sql: str, text_sql: str, source_type: str, time_format: str = AUTO,
             zone: str | None = None) -> str:
    """An expression of type TIMESTAMP (UTC), NULL where the value cannot be parsed.

    ``column_sql`` is the typed source column, ``text_sql`` the same value as trimmed text;
    ``zone`` the zone of wall-clock times without an offset (default UTC).
    """
    t = source_type.upper()
    if t.startswith("TIMESTAMP WITH TIME ZONE") or t == "TIMESTAMPTZ":
        return f"timezone('UTC', {column_sql})"
    if t.startswith(("TIMESTAMP", "DATE")):
        return _from_zone(f"CAST({column_sql} AS TIMESTAMP)", zone)
    if time_format == EXCEL_DAYS:
        return _from_zone(_excel_days(column_sql, text_sql, source_type), zone)
    if time_format in _EPOCH_FACTORS:
        if time_format == EPOCH_US:
            # Whole microseconds (GA4's event_timestamp) are exact as integers, not as doubles.
            exact = f"make_timestamp(try_cast({text_sql} AS BIGINT))"
            return f"coalesce({exact}, {_micros(f'try_cast({text_sql} AS DOUBLE)', '1')})"
        return _micros(f"try_cast({text_sql} AS DOUBLE)", _EPOCH_FACTORS[time_format])
    if is_numeric_type(t):
        return epoch_by_magnitude(f"CAST({column_sql} AS DOUBLE)")
    if time_format not in (AUTO, ""):
        # Several formats, tried in order, are written "fmt1 || fmt2" (an invoice file mixing
        # 12/1/10 8:26 and 12/1/2010 8:26: %y first, since %Y would read 10 as the year 10).
        forms = [f.strip() for f in time_format.split("||") if f.strip()]
        if ISO in forms:
            # A column mixing a date form with ISO text: each value by its own form.
            rest = " || ".join(f for f in forms if f != ISO)
            auto = time_sql(column_sql, text_sql, source_type, AUTO, zone)
            return f"coalesce({time_sql(column_sql, text_sql, source_type, rest, zone)}, {auto})" \
                if rest else auto
        fmt = (
            quote_literal(forms[0]) if len(forms) == 1
            else "[" + ", ".join(quote_literal(f) for f in forms) + "]"
        )
        parsed = f"try_strptime({text_sql}, {fmt})"
        if "%z" in time_format or "%Z" in time_format:
            return f"timezone('UTC', {parsed})"
        return _from_zone(parsed, zone)
    # ISO text first, numbers only where that failed. DuckDB's plain TIMESTAMP cast is three
    # times cheaper than the zone-aware one but ignores any zone or offset it sees, so it only
    # takes text that ends in a digit with no offset sign before it, or in Z / UTC.
    t = text_sql
    plain = (
        f"(({t}[-1] BETWEEN '0' AND '9' AND {t}[-6] NOT IN ('+', '-') "
        f"AND {t}[-5] NOT IN ('+', '-') AND {t}[-3] NOT IN ('+', '-')) "
        f"OR {t}[-1] IN ('Z', 'z') OR upper({t}[-4:]) = ' UTC')"
    )
    if zone and zone.upper() != "UTC":
        # Only wall-clock text (no offset, no Z or UTC) is in the zone.
        naive = _naive_text(t)
        iso = (
            f"CASE WHEN {naive} THEN {_from_zone(f'try_cast({t} AS TIMESTAMP)', zone)} "
            f"WHEN {plain} THEN try_cast({t} AS TIMESTAMP) "
            f"ELSE timezone('UTC', try_cast({t} AS TIMESTAMPTZ)) END"
        )
    else:
        iso = (
            f"CASE WHEN {plain} THEN try_cast({t} AS TIMESTAMP) "
            f"ELSE timezone('UTC', try_cast({t} AS TIMESTAMPTZ)) END"
        )
    # Each later form is tried only for the values the earlier ones did not read.
    return (
        f"coalesce({iso}, "
        f"CASE WHEN regexp_full_match({text_sql}, '-?[0-9]+(\\.[0-9]+)?') "
        f"THEN {epoch_by_magnitude(f'try_cast({text_sql} AS DOUBLE)')} END, "
        f"{_other_forms_sql(text_sql, zone)})"
    )


@contextlib.contextmanager
def utc_session(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Read offset-less times as UTC on this cursor, restoring its zone afterwards."""
    row = con.execute("SELECT current_setting('TimeZone')").fetchone()
    previous = str(row[0]) if row else "UTC"
    con.execute("SET TimeZone = 'UTC'")
    try:
        yield
    finally:
        with contextlib.suppress(duckdb.Error):
            con.execute(f"SET TimeZone = {quote_literal(previous)}")


# 12/1/2010 8:26, 1.12.2010 08:26:05, 2010/12/01 …: a date with / . or - and an optional time.
_DMY = re.compile(r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{4})(?:[ T](\d{1,2}):(\d{2})(:\d{2})?)?$")
_YMD = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(:\d{2})?)?$")


@functools.lru_cache(maxsize=256)
def check_time_format(time_format: str) -> None:
    """Raise ValueError, saying which, when a strptime format (or one of ``a || b``) has a
    specifier DuckDB does not know (``%Q``): said as the mapping's mistake, not the file's."""
    con = duckdb.connect()
    try:
        for form in (f.strip() for f in time_format.split("||")):
            if form and form not in (ISO, EXCEL_DAYS):
                try:
                    con.execute("SELECT try_strptime('', ?)", [form])
                except duckdb.Error as e:
                    raise ValueError(
                        f"time_format {form!r} is not a strptime format DuckDB reads "
                        f"({str(e).splitlines()[0].split(': ', 1)[-1]}); e.g. "
                        "'%d/%m/%Y %H:%M', or auto, epoch_s, epoch_ms, excel_days") from None
    finally:
        con.close()


def guess_format(samples: Iterable[str]) -> str | None:
    """The strptime format of date-times written day/month/year or month/day/year (with ``/``,
    ``.`` or ``-``) or year/month/day, when every sample has that one form; None otherwise.

    Day and month are told apart by a sample whose first number exceeds 12 (day first) or whose
    second does (month first); with none, the dot form is read day first (as in Germany) and the
    slash form month first (as in the United States). The wizard shows the format to check."""
    values = [s.strip() for s in samples if s and s.strip()]
    if not values:
        return None
    matches = [_DMY.match(v) for v in values]
    if all(matches):
        seps = {m.group(2) for m in matches if m}
        times = {(m.group(5) is not None, m.group(7) is not None) for m in matches if m}
        if len(seps) != 1 or len(times) != 1:
            return None
        sep = seps.pop()
        has_time, has_seconds = times.pop()
        first_is_day = any(int(m.group(1)) > 12 for m in matches if m)
        second_is_day = any(int(m.group(3)) > 12 for m in matches if m)
        if first_is_day and second_is_day:
            return None
        day_first = first_is_day or (not second_is_day and sep == ".")
        date = f"%d{sep}%m{sep}%Y" if day_first else f"%m{sep}%d{sep}%Y"
        return date + (" %H:%M" if has_time else "") + (":%S" if has_seconds else "")
    ymd = [_YMD.match(v) for v in values]
    if all(ymd):
        times = {(m.group(4) is not None, m.group(6) is not None) for m in ymd if m}
        if len(times) != 1:
            return None
        has_time, has_seconds = times.pop()
        return "%Y/%m/%d" + (" %H:%M" if has_time else "") + (":%S" if has_seconds else "")
    return None
