"""Properties of the default model project on generated data.

Generated data with a third of the users' session ids and order ids removed, so that the gap
sessionization and the one-order-per-session rule run on many users. Each check is an identity
or an independent (slow, naive) recomputation in SQL of what the marts compute the fast way.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from shoplytics_desktop.core.models.runner import RunResult, run_project
from shoplytics_desktop.core.workspace import Workspace

pytestmark = pytest.mark.slow

MARTS = (
    "fct_daily_engagement", "fct_funnel", "fct_revenue", "fct_orders", "fct_cohort_retention",
    "dim_users", "dim_products", "dim_date",
)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Workspace, RunResult]]:
    from shoplytics_desktop.core.generate import GenerateSpec, generate_into

    ws = Workspace.open(tmp_path_factory.mktemp("generated_ws"))
    generate_into(ws, GenerateSpec(events=20_000, days=45, seed=11))
    ws.cursor().execute(
        "update raw.events set session_id = null, order_id = null where hash(user_id) % 3 = 0"
    )
    result = run_project(ws)
    yield ws, result
    ws.close()


def _one(ws: Workspace, sql: str) -> Any:
    row = ws.cursor().execute(sql).fetchone()
    assert row is not None
    return row[0]


def test_every_error_test_passes(built: tuple[Workspace, RunResult]) -> None:
    _, result = built
    assert result.published, result.message
    failing = [(t.test_id, t.failing_rows, t.message) for t in result.tests if t.blocking]
    assert failing == []


def test_derived_sessions_follow_the_timeout(built: tuple[Workspace, RunResult]) -> None:
    ws, _ = built
    # inside a derived session no gap exceeds 30 minutes; between two derived sessions of a
    # user there is always more than 30 minutes
    bad = _one(
        ws,
        """
        with ordered as (
            select user_id, session_key, event_time,
                lag(event_time) over (partition by user_id order by event_time) as prev_time,
                lag(session_key) over (partition by user_id order by event_time) as prev_key
            from staging.stg_events
            where is_derived_session
        )
        select count(*) from ordered
        where prev_time is not null
            and ((session_key = prev_key) <> (event_time - prev_time <= interval 30 minute))
        """,
    )
    assert bad == 0
    assert _one(ws, "select count(*) from intermediate.int_sessions where is_derived_session") > 100


def test_trailing_users_match_a_naive_range_count(built: tuple[Workspace, RunResult]) -> None:
    ws, _ = built
    mismatches = _one(
        ws,
        """
        with user_days as (select distinct user_id, event_date from staging.stg_events),
        naive as (
            select d.date_day,
                count(distinct u.user_id) filter (where u.event_date = d.date_day) as dau,
                count(distinct u.user_id) filter (where u.event_date > d.date_day - 7) as wau,
                count(distinct u.user_id) as mau
            from marts.dim_date as d
            left join user_days as u
                on u.event_date between d.date_day - 29 and d.date_day
            group by d.date_day
        )
        select count(*) from naive as n
        join marts.fct_daily_engagement as f on f.activity_date = n.date_day
        where (n.dau, n.wau, n.mau) <> (f.dau, f.wau, f.mau)
        """,
    )
    assert mismatches == 0


def test_totals_agree_across_models(built: tuple[Workspace, RunResult]) -> None:
    ws, _ = built
    events = _one(ws, "select count(*) from raw.events")
    assert _one(ws, "select sum(events) from marts.fct_daily_engagement") == events
    sessions = _one(ws, "select count(*) from intermediate.int_sessions")
    assert _one(ws, "select sum(sessions) from marts.fct_daily_engagement") == sessions
    assert _one(ws, "select sum(sessions) from marts.fct_funnel") == sessions
    users = _one(ws, "select count(distinct user_id) from raw.events")
    assert _one(ws, "select sum(new_users) from marts.fct_daily_engagement") == users
    assert _one(ws, "select sum(cohort_size) from marts.fct_cohort_retention where week_number = 0") == users
    orders = _one(ws, "select count(distinct order_key) from staging.stg_events")
    assert _one(ws, "select count(*) from marts.fct_orders") == orders
    assert _one(ws, "select sum(orders) from marts.fct_daily_engagement") == orders
    units = _one(ws, "select sum(quantity) from raw.events where event_type = 'purchase'")
    assert _one(ws, "select sum(units) from marts.fct_orders") == units
    assert _one(ws, "select sum(units) from marts.fct_revenue") == units
    # every user with events has exactly one current version
    assert _one(ws, "select count(*) from marts.dim_users where is_current") == _one(
        ws, "select count(distinct user_id) from (select user_id from raw.events union select user_id from raw.users)"
    )


def test_a_second_run_builds_identical_marts(built: tuple[Workspace, RunResult]) -> None:
    ws, _ = built

    def fingerprints() -> dict[str, Any]:
        return {m: _one(ws, f"select sum(hash(t)) from marts.{m} as t") for m in MARTS}

    before = fingerprints()
    assert run_project(ws).published
    assert fingerprints() == before
