"""Our SQL idioms, each with the one row DuckDB gives: run on every engine after transpiling, they
catch a sqlglot upgrade (or a rule) that changes what an idiom means somewhere."""

from __future__ import annotations

import datetime as dt

D = dt.date
T = dt.datetime

#: The local times of stg_events (sql_models/staging/stg_events.sql): a UTC offset per UTC day,
#: NULL on a day the offset changes (those events are converted one by one). Returns events,
#: events whose day had an offset, events where that agrees with converting each one, first and
#: last local time.
_DAY_OFFSETS = """
with ev as (
    select * from (values (timestamp '2024-03-30 22:30:00'), (timestamp '2024-03-31 00:30:00'),
        (timestamp '2024-03-31 01:30:00'), (timestamp '2024-04-01 12:00:00')) as t(event_time)
),
zone as (
    select min(utc_day) as first_utc_day, list(case when s = e then s end order by utc_day) as day_offsets
    from (
        select
            utc_day,
            timezone('ZONE', make_timestamp(utc_day * 86400000000) at time zone 'UTC')
                - make_timestamp(utc_day * 86400000000) as s,
            timezone('ZONE', make_timestamp((utc_day + 1) * 86400000000) at time zone 'UTC')
                - make_timestamp((utc_day + 1) * 86400000000) as e
        from (select min(event_time) as f, max(event_time) as l from ev),
            range(epoch_us(f) // 86400000000, epoch_us(l) // 86400000000 + 1) as days(utc_day)
    )
),
local as (
    select
        coalesce(
            ev.event_time + z.day_offsets[epoch_us(ev.event_time) // 86400000000 - z.first_utc_day + 1],
            timezone('ZONE', ev.event_time at time zone 'UTC')
        ) as t,
        z.day_offsets[epoch_us(ev.event_time) // 86400000000 - z.first_utc_day + 1] as off,
        timezone('ZONE', ev.event_time at time zone 'UTC') as plain
    from ev cross join zone as z
)
select count(*), count(off), count(*) filter (where t = plain), min(t), max(t) from local
"""

#: name → (DuckDB SQL returning one row, that row). Values compare after str() on both sides for
#: dates and timestamps, exactly otherwise.
PROBES: dict[str, tuple[str, tuple[object, ...]]] = {
    "iso weekday (Sunday = 7, Monday = 1)": (
        "select cast(isodow(date '2024-06-02') as integer), cast(isodow(date '2024-06-03') as integer)",
        (7, 1),
    ),
    "day and month names in full": (
        "select dayname(date '2024-06-03'), monthname(date '2024-06-03')",
        ("Monday", "June"),
    ),
    "ISO week, day of year, quarter": (
        "select cast(weekofyear(date '2024-12-30') as integer), "
        "cast(dayofyear(date '2024-02-01') as integer), cast(quarter(date '2024-05-01') as integer)",
        (1, 32, 2),
    ),
    "week starts on Monday": (
        "select cast(date_trunc('week', date '2024-06-02') as date)",
        (D(2024, 5, 27),),
    ),
    "date_diff in days": (
        "select date_diff('day', date '2024-01-30', date '2024-03-01')",
        (31,),
    ),
    "date plus days": (
        "select date '2024-02-28' + 2",
        (D(2024, 3, 1),),
    ),
    "strftime with literal text": (
        "select strftime(timestamp '2024-06-03 04:05:06', '%Y%m%dT%H%M%S')",
        ("20240603T040506",),
    ),
    "epoch of a timestamp difference": (
        "select epoch(timestamp '2024-06-03 00:01:30' - timestamp '2024-06-03 00:00:00')",
        (90.0,),
    ),
    "timestamp gap against a minutes interval": (
        "select timestamp '2024-06-03 00:31:00' - timestamp '2024-06-03 00:00:00' > to_minutes(30)",
        (True,),
    ),
    "integer division is float division": (
        "select 1 / 4, 7 // 2",
        (0.25, 3),
    ),
    "log2 of a power of two": (
        "select cast(floor(log2(8)) as integer), cast(floor(log2(65536)) as integer)",
        (3, 16),
    ),
    "arg_min skips NULL values": (
        "select arg_min(a, b) from (values (null, 1), ('x', 2), ('y', 3)) as t(a, b)",
        ("x",),
    ),
    "arg_max with a filter": (
        "select arg_max(a, b) filter (where a <> 'z') from (values ('x', 1), ('z', 3), ('y', 2)) as t(a, b)",
        ("y",),
    ),
    "arg_min with a (time, id) key breaks ties by id": (
        "select arg_min(a, (b, c)) from (values ('p', 1, 'b'), ('q', 1, 'a'), ('r', 2, '0')) as t(a, b, c)",
        ("q",),
    ),
    "qualify row_number": (
        "select k, v from (values (1, 'a'), (1, 'b'), (2, 'c')) as t(k, v) "
        "qualify row_number() over (partition by k order by v desc) = 1 order by k limit 1",
        (1, "b"),
    ),
    "group by all": (
        "select k, count(*) as n from (values (1), (1), (2)) as t(k) group by all order by n desc limit 1",
        (1, 2),
    ),
    "count filter": (
        "select count(*) filter (where k > 1) from (values (1), (2), (3)) as t(k)",
        (2,),
    ),
    "unnest(range) in a select list": (
        "select count(*), sum(n) from (select unnest(range(0, 4)) as n)",
        (4, 6),
    ),
    "generate_series of days": (
        "select count(*), min(d), max(d) from (select cast(unnest(generate_series(date '2024-02-27', "
        "date '2024-03-01', interval 1 day)) as date) as d)",
        (4, D(2024, 2, 27), D(2024, 3, 1)),
    ),
    "list_min of list_filter": (
        "select list_min(list_filter(list(x), lambda v: v >= 2)) from (values (1), (3), (2)) as t(x)",
        (2,),
    ),
    "percentile_cont is exact": (
        "select percentile_cont(0.5) within group (order by x) from (values (1.0), (2.0), (10.0), (20.0)) as t(x)",
        (6.0,),
    ),
    "median is exact": (
        "select median(x) from (values (1.0), (2.0), (10.0), (20.0)) as t(x)",
        (6.0,),
    ),
    "getvariable is inlined": (
        "select coalesce(getvariable('workspace_currency'), 'USD')",
        ("EUR",),
    ),
    "is distinct from with NULLs": (
        "select cast(null as integer) is distinct from 1, cast(null as integer) is distinct from null",
        (True, False),
    ),
    "bit packing of a key and a day": (
        "select ((cast(5 as bigint) << 32) | 3) >> 32, ((cast(5 as bigint) << 32) | 3) & 4294967295",
        (5, 3),
    ),
    "epoch_us and its day number": (
        "select epoch_us(timestamp '2024-03-31 01:30:00.123456'), "
        "epoch_us(timestamp '2024-03-31 12:00:00') // 86400000000",
        (1711848600123456, 19813),
    ),
    "make_timestamp of microseconds is exact": (
        "select make_timestamp(1711848600123456), make_timestamp(19813 * 86400000000)",
        (T(2024, 3, 31, 1, 30, 0, 123456), T(2024, 3, 31)),
    ),
    "timezone of a UTC timestamp in UTC": (
        "select timezone('UTC', timestamp '2024-03-31 01:30:00' at time zone 'UTC')",
        (T(2024, 3, 31, 1, 30),),
    ),
    "timezone across Berlin's clock change": (
        "select timezone('Europe/Berlin', timestamp '2024-03-31 00:59:59' at time zone 'UTC'), "
        "timezone('Europe/Berlin', timestamp '2024-03-31 01:00:00' at time zone 'UTC'), "
        "cast(timezone('Europe/Berlin', timestamp '2024-03-30 23:30:00' at time zone 'UTC') as date)",
        (T(2024, 3, 31, 1, 59, 59), T(2024, 3, 31, 3), D(2024, 3, 31)),
    ),
    "time zone offset as a timestamp difference": (
        "select epoch(timezone('Europe/Berlin', make_timestamp(19813 * 86400000000) at time zone 'UTC') "
        "- make_timestamp(19813 * 86400000000)), "
        "epoch(timezone('Europe/Berlin', make_timestamp(19814 * 86400000000) at time zone 'UTC') "
        "- make_timestamp(19814 * 86400000000))",
        (3600.0, 7200.0),
    ),
    "timestamp plus a timestamp difference": (
        "select timestamp '2024-03-31 01:00:00' + (timezone('Europe/Berlin', "
        "timestamp '2024-04-01 00:00:00' at time zone 'UTC') - timestamp '2024-04-01 00:00:00')",
        (T(2024, 3, 31, 3),),
    ),
    "range as a table function": (
        "select count(*), min(d), max(d) from (select 2 as a, 5 as b), range(a, b) as r(d)",
        (3, 2, 4),
    ),
    "ordered list keeps NULLs, 1-based index, NULL out of range": (
        "select l[1], l[2], l[3], l[4] from (select list(v order by k) as l "
        "from (values (3, 'c'), (1, 'a'), (2, null)) as t(k, v))",
        ("a", None, "c", None),
    ),
    "day offsets of stg_events in UTC": (
        _DAY_OFFSETS.replace("ZONE", "UTC"),
        (4, 4, 4, T(2024, 3, 30, 22, 30), T(2024, 4, 1, 12)),
    ),
    "day offsets of stg_events across Berlin's clock change": (
        _DAY_OFFSETS.replace("ZONE", "Europe/Berlin"),
        (4, 2, 4, T(2024, 3, 30, 23, 30), T(2024, 4, 1, 14)),
    ),
    "text sorts bytewise": (
        "select min(x), max(x) from (values ('a'), ('B'), ('_')) as t(x)",
        ("B", "a"),
    ),
}

VARIABLES = {"workspace_currency": "EUR", "session_timeout_minutes": 30}


def normal(row: tuple[object, ...]) -> tuple[object, ...]:
    """Values as comparable across drivers: dates as dates, numbers as floats or ints."""
    out: list[object] = []
    for v in row:
        if isinstance(v, dt.datetime):
            out.append(v.replace(tzinfo=None))
        elif isinstance(v, bool | str | dt.date) or v is None or isinstance(v, int):
            out.append(v)
        else:
            f = float(v)  # type: ignore[arg-type]
            out.append(int(f) if f.is_integer() and not isinstance(v, float) else f)
    return tuple(out)
