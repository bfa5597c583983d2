"""Each rewrite rule of core/engines/transpile.py: DuckDB SQL in, the engine's SQL out."""

from __future__ import annotations

import pytest

from shoplytics_desktop.core.engines.transpile import (
    Context,
    TranspileError,
    strftime_format,
    transpile,
)


def pg(sql: str, **kw: object) -> str:
    return transpile(sql, Context("postgres", **kw))  # type: ignore[arg-type]


def spark(sql: str, **kw: object) -> str:
    return transpile(sql, Context("spark", **kw))  # type: ignore[arg-type]


def test_qualify_becomes_a_filtered_subquery_without_the_helper_column() -> None:
    out = pg("select a, b from t qualify row_number() over (partition by a order by b) = 1")
    assert out == (
        "SELECT a, b FROM (SELECT a, b, ROW_NUMBER() OVER (PARTITION BY a ORDER BY b) AS _q1 "
        "FROM t) AS _qualified WHERE _q1 = 1"
    )
    assert spark("select a from t qualify row_number() over (order by a) = 1").startswith(
        "SELECT a FROM (SELECT a, ROW_NUMBER()"
    )


def test_arg_min_skips_nulls_on_both_engines() -> None:
    assert pg("select arg_min(a, t) from x") == (
        "SELECT (ARRAY_AGG(a ORDER BY t ASC) FILTER(WHERE NOT a IS NULL AND NOT t IS NULL))[1] FROM x"
    )
    assert spark("select arg_min(a, t) from x") == (
        "SELECT MIN_BY(a, t) FILTER(WHERE NOT a IS NULL AND NOT t IS NULL) FROM x"
    )


def test_arg_max_with_a_filter_and_a_row_key() -> None:
    assert pg("select arg_max(a, (t, id)) filter (where f) from x") == (
        "SELECT (ARRAY_AGG(a ORDER BY t DESC, id DESC) "
        "FILTER(WHERE (f) AND NOT a IS NULL))[1] FROM x"
    )
    assert spark("select arg_min(a, (t, id)) from x") == (
        "SELECT MIN_BY(a, STRUCT(t, id)) FILTER(WHERE NOT a IS NULL) FROM x"
    )


def test_a_sort_key_is_the_row_value_it_orders_by() -> None:
    """create_sort_key(a, 'ASC NULLS LAST', b, 'ASC NULLS LAST') orders as (a, b) does: the
    engines get the row value; any other order is refused, naming what to write."""
    key = "create_sort_key(t, 'ASC NULLS LAST', id, 'asc  nulls last')"
    assert pg(f"select arg_max(a, {key}) filter (where f) from x") == pg(
        "select arg_max(a, (t, id)) filter (where f) from x")
    assert spark(f"select arg_min(a, {key}) from x") == spark("select arg_min(a, (t, id)) from x")
    assert pg("select arg_min(a, create_sort_key(t, 'ASC NULLS LAST')) from x") == pg(
        "select arg_min(a, t) from x")
    with pytest.raises(TranspileError, match="ASC NULLS LAST"):
        pg("select arg_max(a, create_sort_key(t, 'DESC NULLS FIRST', id, 'ASC NULLS LAST')) "
           "from x")
    with pytest.raises(TranspileError, match="ASC NULLS LAST"):
        pg("select arg_max(a, create_sort_key(t, id)) from x")


def test_a_field_of_the_first_rows_struct_is_that_fields_arg_min() -> None:
    """arg_min({...}, key).f takes the first row's field, NULL or not: one arg_min of the field
    that does not skip its NULLs (the key's NULLs still are, as DuckDB skips them)."""
    sql = ("select arg_min({'d': device, 'c': country}, (t, id)).d as d, "
           "arg_max({'d': device, 'c': country}, t).c as c from x")
    assert pg(sql) == (
        "SELECT (ARRAY_AGG(device ORDER BY t ASC, id ASC))[1] AS d, "
        "(ARRAY_AGG(country ORDER BY t DESC) FILTER(WHERE NOT t IS NULL))[1] AS c FROM x"
    )
    assert spark(sql) == (
        "SELECT MIN_BY(device, STRUCT(t, id)) AS d, "
        "MAX_BY(country, t) FILTER(WHERE NOT t IS NULL) AS c FROM x"
    )
    # A field the struct does not have, or a struct used any other way, is refused.
    with pytest.raises(TranspileError, match="struct literal"):
        pg("select arg_min({'d': device}, t).e from x")
    with pytest.raises(TranspileError, match="struct literal"):
        pg("select arg_min({'d': device}, t) from x")


def test_iso_weekday_and_day_names() -> None:
    assert spark("select isodow(d)") == "SELECT ((DAYOFWEEK(d) + 5) % 7) + 1"
    assert pg("select isodow(d)") == "SELECT EXTRACT(ISODOW FROM d)"
    assert spark("select dayname(d), monthname(d)") == (
        "SELECT DATE_FORMAT(d, 'EEEE'), DATE_FORMAT(d, 'MMMM')"
    )
    assert pg("select dayname(d), monthname(d)") == (
        "SELECT TO_CHAR(d, 'FMDay'), TO_CHAR(d, 'FMMonth')"
    )


def test_date_diff_in_days() -> None:
    assert pg("select date_diff('day', a, b)") == "SELECT (CAST(b AS DATE) - CAST(a AS DATE))"
    assert spark("select date_diff('day', a, b)") == (
        "SELECT CAST(DATEDIFF(CAST(b AS DATE), CAST(a AS DATE)) AS BIGINT)"
    )
    with pytest.raises(TranspileError, match="date_diff with unit hour"):
        pg("select date_diff('hour', a, b)")


def test_timestamp_minus_a_minutes_interval() -> None:
    assert pg("select t - s > to_minutes(30)") == "SELECT t - s > MAKE_INTERVAL(mins => 30)"
    assert spark("select t - s > to_minutes(30)") == "SELECT t - s > MAKE_DT_INTERVAL(0, 0, 30, 0)"
    assert pg("select t + interval 1 day") == "SELECT t + INTERVAL '1 DAY'"


def test_group_by_all_becomes_positions() -> None:
    assert pg("select a, b, count(*) from t group by all") == (
        "SELECT a, b, COUNT(*) FROM t GROUP BY 1, 2"
    )
    assert spark("select a, count(*) from t group by all") == (
        "SELECT a, COUNT(*) FROM t GROUP BY ALL"
    )


def test_percentiles_stay_exact() -> None:
    assert spark("select median(x) from t") == "SELECT PERCENTILE(x, 0.5) FROM t"
    assert spark("select percentile_cont(0.25) within group (order by x) from t") == (
        "SELECT PERCENTILE(x, 0.25) FROM t"
    )
    assert pg("select median(x) from t") == (
        "SELECT PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY x) FROM t"
    )


def test_strftime_quotes_literal_text() -> None:
    assert strftime_format("%Y%m%dT%H%M%S", "postgres") == 'YYYYMMDD"T"HH24MISS'
    assert strftime_format("%Y%m%dT%H%M%S", "spark") == "yyyyMMdd'T'HHmmss"
    assert spark("select strftime(t, '%Y-%m')") == "SELECT DATE_FORMAT(t, 'yyyy\\'-\\'MM')"


def test_range_and_generate_series() -> None:
    assert pg("select unnest(range(0, n + 1)) as w") == "SELECT GENERATE_SERIES(0, (n + 1) - 1) AS w"
    assert spark("select unnest(range(0, n)) as w") == "SELECT EXPLODE(SEQUENCE(0, (n) - 1)) AS w"
    assert spark(
        "select cast(unnest(generate_series(a, b, interval 1 day)) as date) as d from x"
    ) == (
        "SELECT EXPLODE(TRANSFORM(SEQUENCE(a, b, INTERVAL '1' DAY), _v -> CAST(_v AS DATE))) "
        "AS d FROM x"
    )
    assert spark("select * from b cross join generate_series(b.x, b.y, interval 1 day) as d(day)") == (
        "SELECT * FROM b CROSS JOIN LATERAL (SELECT EXPLODE(SEQUENCE(b.x, b.y, INTERVAL '1' DAY)) "
        "AS day) AS d"
    )


def test_getvariable_is_inlined() -> None:
    ctx = {"variables": {"workspace_currency": "EUR", "session_timeout_minutes": 45}}
    assert pg("select getvariable('workspace_currency'), getvariable('session_timeout_minutes')",
              **ctx) == "SELECT 'EUR', 45"
    assert pg("select getvariable('unknown')") == "SELECT NULL"


def test_epoch_of_an_interval() -> None:
    assert pg("select epoch(a - b)") == (
        "SELECT CAST(EXTRACT(EPOCH FROM a - b) AS DOUBLE PRECISION)"
    )
    assert spark("select epoch(a - b)") == (
        "SELECT CAST((UNIX_MICROS(a) - UNIX_MICROS(b)) AS DOUBLE) / 1000000"
    )


def test_epoch_us() -> None:
    assert pg("select epoch_us(t)") == "SELECT CAST(EXTRACT(EPOCH FROM t) * 1000000 AS BIGINT)"
    assert spark("select epoch_us(t)") == "SELECT UNIX_MICROS(t)"


def test_make_timestamp_of_microseconds_is_exact() -> None:
    assert pg("select make_timestamp(d * 86400000000)") == (
        "SELECT (CAST('1970-01-01' AS TIMESTAMP) + (d * 86400000000) * INTERVAL '1 MICROSECOND')"
    )
    assert spark("select make_timestamp(d * 86400000000)") == (
        "SELECT TIMESTAMP_MICROS(d * 86400000000)"
    )


def test_timezone_of_a_utc_timestamp() -> None:
    sql = "select timezone(getvariable('time_zone'), t at time zone 'UTC')"
    ctx = {"variables": {"time_zone": "Europe/Berlin"}}
    assert pg(sql, **ctx) == "SELECT ((t AT TIME ZONE 'UTC') AT TIME ZONE 'Europe/Berlin')"
    assert spark(sql, **ctx) == "SELECT FROM_UTC_TIMESTAMP(t, 'Europe/Berlin')"
    with pytest.raises(TranspileError, match="timezone"):
        pg("select timezone('Europe/Berlin', t)")


def test_integer_division_is_a_bigint_on_postgres() -> None:
    assert pg("select a // 86400000000") == "SELECT CAST(DIV(a, 86400000000) AS BIGINT)"
    assert spark("select a // 86400000000") == "SELECT a DIV 86400000000"


def test_ordered_list_keeps_nulls_and_order_on_spark() -> None:
    assert pg("select list(v order by k) from t") == "SELECT ARRAY_AGG(v ORDER BY k) FROM t"
    assert spark("select list(v order by k) from t") == (
        "SELECT TRANSFORM(ARRAY_SORT(COLLECT_LIST(NAMED_STRUCT('_k0', k, '_v', v))), "
        "_s -> _s._v) FROM t"
    )
    with pytest.raises(TranspileError, match="DESC"):
        spark("select list(v order by k desc) from t")


def test_list_index_is_one_based_everywhere() -> None:
    assert pg("select l[i - j + 1] from t") == "SELECT l[i - j + 1] FROM t"
    assert spark("select l[i - j + 1] from t") == (
        "SELECT TRY_ELEMENT_AT(l, CAST(i - j + 1 AS INT)) FROM t"
    )
    assert spark("select l[1], l[-1] from t") == (
        "SELECT TRY_ELEMENT_AT(l, CAST(1 AS INT)), TRY_ELEMENT_AT(l, CAST(-1 AS INT)) FROM t"
    )
    assert spark("select m['k'] from t") == "SELECT m['k'] FROM t"


def test_timestamp_difference_plus_a_timestamp() -> None:
    assert pg("select t + (a - b)") == "SELECT t + (a - b)"
    assert spark("select t + (a - b)") == "SELECT t + (a - b)"


def test_range_as_a_table_function() -> None:
    sql = "select * from (select 1 as f, 3 as l), range(f, l + 1) as days(d)"
    assert pg(sql) == (
        "SELECT * FROM (SELECT 1 AS f, 3 AS l) AS _sub1, GENERATE_SERIES(f, l + 1 - 1) AS days(d)"
    )
    assert spark(sql) == (
        "SELECT * FROM (SELECT 1 AS f, 3 AS l) AS _sub1, LATERAL (SELECT EXPLODE(SEQUENCE(f, "
        "(l + 1) - 1)) AS d) AS days"
    )


def test_list_min_of_a_filtered_list_on_postgres() -> None:
    assert pg("select list_min(list_filter(l, lambda v: v >= y)) from t") == (
        "SELECT (SELECT MIN(_l.v) FROM UNNEST(l) AS _l(v) WHERE _l.v >= y) FROM t"
    )
    assert spark("select list_min(list_filter(l, lambda v: v >= y)) from t") == (
        "SELECT ARRAY_MIN(FILTER(l, v -> v >= y)) FROM t"
    )


def test_asof_join_becomes_a_bounded_left_join() -> None:
    out = pg("select p.x, d.s from p asof left join d on d.u = p.u and p.t >= d.s")
    assert out == (
        "SELECT p.x, d.s FROM p LEFT JOIN (SELECT *, LEAD(s) OVER (PARTITION BY u ORDER BY s) "
        "AS _asof_next FROM d) AS d ON (d.u = p.u AND p.t >= d.s) AND (d._asof_next IS NULL OR "
        "p.t < d._asof_next)"
    )


def test_star_exclude_expands_from_the_cte() -> None:
    sql = "with a as (select x, y, z from t), b as (select *, 1 as w from a) select * exclude (y, w) from b"
    assert pg(sql).endswith("SELECT x, z FROM b")
    with pytest.raises(TranspileError, match="EXCLUDE"):
        pg("select * exclude (y) from unknown_table")


def test_relations_are_renamed_but_ctes_are_not() -> None:
    ctx = {"relations": {"staging.stg_events": "shoplytics_build.stg_events"}}
    assert pg("with e as (select 1) select * from staging.stg_events as s, e", **ctx) == (
        "WITH e AS (SELECT 1) SELECT * FROM shoplytics_build.stg_events AS s, e"
    )


def test_log2_is_exact_on_postgres() -> None:
    assert pg("select log2(x)") == (
        "SELECT CAST(LOG(CAST(2 AS DECIMAL), CAST(x AS DECIMAL)) AS DOUBLE PRECISION)"
    )


def test_subqueries_get_an_alias_and_hints_are_dropped_on_spark() -> None:
    assert pg("select * from (select 1)") == "SELECT * FROM (SELECT 1) AS _sub1"
    assert "MATERIALIZED" not in spark("with a as not materialized (select 1) select * from a")


def test_unportable_constructs_name_file_line_and_what_to_write(tmp_path) -> None:
    text = "select\n    x,\n    hash(event_id) as h\nfrom t\n"
    with pytest.raises(TranspileError) as e:
        transpile(text, Context("postgres"), tmp_path / "m.sql", text)
    assert "m.sql, line 3: hash()" in e.value.message
    assert "(event_time, event_id)" in e.value.hint
    with pytest.raises(TranspileError, match="struct literal"):
        pg("select {'a': 1}")
    with pytest.raises(TranspileError, match="HUGEINT"):
        spark("select x::hugeint")


def test_sql_the_translator_cannot_read_names_file_and_line(tmp_path) -> None:
    text = "-- lambdas\nselect a,\n  list_transform(xs, (x -> )) as ys\nfrom t\n"
    with pytest.raises(TranspileError) as e:
        transpile(text, Context("spark"), tmp_path / "lam.sql", text)
    assert e.value.message.startswith("lam.sql, line 3: this DuckDB SQL cannot be translated for Spark")
    assert "docs/portable_sql.md" in e.value.hint


def test_every_shipped_model_transpiles() -> None:
    from pathlib import Path

    from shoplytics_desktop.core.models.project import load_project

    project = load_project(Path(__file__).parents[2] / "sql_models")
    for dialect in ("postgres", "spark"):
        for model in project.models.values():
            assert transpile(model.sql, Context(dialect), model.path, model.raw_sql)
