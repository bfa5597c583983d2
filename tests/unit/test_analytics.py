"""Dashboard queries against hand-written marts: every KPI, delta, filter and grain below was
worked out by hand from the rows in ``build_marts`` (see the comments there).

Calendar: 2026-03-01 is a Sunday, so 03-02 is the Monday of its week and 03-09 the next one.
The usual filter is [03-05, 03-08] (4 days); its previous period is [03-01, 03-04].
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from shoplytics_desktop.core import analytics as A
from shoplytics_desktop.core.analytics import Filters, resolve_preset
from shoplytics_desktop.core.analytics.daily import engagement_daily
from shoplytics_desktop.core.workspace import Workspace

D = dt.date


def d(day: int) -> dt.date:
    return D(2026, 3, day)


MARTS = {
    # Orders: o1 (03-02, u1, 10), o2 (03-03, u2, 30) before the range; o3 (03-05, u1, two lines
    # 10 + 15), o4 (03-06, u3, 15), o5 (03-08, u1, 60) in it; o6 (03-09, u2, 20) after.
    "agg_sales": """
        SELECT order_key, dense_rank() OVER (ORDER BY order_key) AS order_no,
               dense_rank() OVER (ORDER BY user_id) AS user_no,
               order_time::TIMESTAMP AS order_time, order_date::DATE AS order_date,
               user_id, product_id, category, device, country, traffic_source,
               units::BIGINT AS units, revenue::DECIMAL(18,2) AS revenue
        FROM (VALUES
          ('o1', '2026-03-02 10:00', '2026-03-02', 'u1', 'p1', 'Shoes', 'mobile', 'US', 'paid', 1, 10.00),
          ('o2', '2026-03-03 10:00', '2026-03-03', 'u2', 'p2', 'Bags', 'desktop', 'DE', 'organic', 2, 30.00),
          ('o3', '2026-03-05 10:00', '2026-03-05', 'u1', 'p1', 'Shoes', 'mobile', 'US', 'paid', 1, 10.00),
          ('o3', '2026-03-05 10:00', '2026-03-05', 'u1', 'p2', 'Bags', 'mobile', 'US', 'paid', 1, 15.00),
          ('o4', '2026-03-06 10:00', '2026-03-06', 'u3', 'p2', 'Bags', 'desktop', 'US', 'email', 1, 15.00),
          ('o5', '2026-03-08 10:00', '2026-03-08', 'u1', 'p3', 'Hats', 'mobile', 'US', 'paid', 3, 60.00),
          ('o6', '2026-03-09 10:00', '2026-03-09', 'u2', 'p1', 'Shoes', 'desktop', 'DE', 'organic', 1, 20.00)
        ) t(order_key, order_time, order_date, user_id, product_id, category, device, country,
            traffic_source, units, revenue)""",
    # Previous: 10 sessions, 2 purchasing. Current: 20 sessions (mobile 18), 3 purchasing.
    "agg_sessions_day": """
        SELECT session_date::DATE AS session_date, device, country, traffic_source,
               duration_bin::INTEGER AS duration_bin, sessions::BIGINT AS sessions,
               purchase_sessions::BIGINT AS purchase_sessions,
               bounce_sessions::BIGINT AS bounce_sessions, duration_s::DOUBLE AS duration_s
        FROM (VALUES
          ('2026-03-02', 'mobile', 'US', 'paid', 0, 4, 0, 4, 0),
          ('2026-03-02', 'mobile', 'US', 'paid', 5, 2, 1, 0, 40),
          ('2026-03-03', 'desktop', 'DE', 'organic', 6, 4, 1, 0, 160),
          ('2026-03-05', 'mobile', 'US', 'paid', 0, 5, 0, 5, 0),
          ('2026-03-05', 'mobile', 'US', 'paid', 7, 3, 1, 0, 240),
          ('2026-03-06', 'desktop', 'US', 'email', 4, 2, 1, 0, 20),
          ('2026-03-08', 'mobile', 'US', 'paid', 10, 10, 1, 0, 6000)
        ) t(session_date, device, country, traffic_source, duration_bin, sessions,
            purchase_sessions, bounce_sessions, duration_s)""",
    # The all-'*' cell for 03-01..03-08, and a mobile cell with rows on 03-05 and 03-08 only.
    "agg_engagement_segments": """
        SELECT activity_date::DATE AS activity_date, device, country, traffic_source,
               dau::BIGINT AS dau, wau::BIGINT AS wau, mau::BIGINT AS mau,
               new_users::BIGINT AS new_users
        FROM (VALUES
          ('2026-03-01', '*', '*', '*', 2, 2, 2, 2),
          ('2026-03-02', '*', '*', '*', 3, 4, 4, 2),
          ('2026-03-03', '*', '*', '*', 2, 5, 5, 1),
          ('2026-03-04', '*', '*', '*', 1, 5, 5, 0),
          ('2026-03-05', '*', '*', '*', 4, 6, 6, 1),
          ('2026-03-06', '*', '*', '*', 2, 6, 6, 0),
          ('2026-03-07', '*', '*', '*', 0, 6, 6, 0),
          ('2026-03-08', '*', '*', '*', 3, 6, 7, 1),
          ('2026-03-05', 'mobile', '*', '*', 2, 3, 3, 1),
          ('2026-03-08', 'mobile', '*', '*', 1, 3, 3, 0)
        ) t(activity_date, device, country, traffic_source, dau, wau, mau, new_users)""",
    # Filters on two or more dimensions count users from here. Mobile + US active days: u1 02-05
    # (first) and 03-05, u2 03-02 (first), u3 03-05 (first), u5 01-20 (first, long before).
    "agg_user_day": """
        SELECT activity_date::DATE AS activity_date, user_key::INTEGER AS user_key,
               device, country, traffic_source, events::BIGINT AS events, is_first_day
        FROM (VALUES
          ('2026-02-05', 'u1', 1, 'mobile', 'US', 'paid', 3, true),
          ('2026-03-05', 'u1', 1, 'mobile', 'US', 'paid', 2, false),
          ('2026-03-05', 'u1', 1, 'desktop', 'US', 'paid', 1, false),
          ('2026-03-08', 'u1', 1, 'mobile', 'DE', 'paid', 1, false),
          ('2026-03-02', 'u2', 2, 'mobile', 'US', 'organic', 4, true),
          ('2026-03-06', 'u2', 2, 'desktop', 'US', 'organic', 1, false),
          ('2026-03-05', 'u3', 3, 'mobile', 'US', 'email', 1, true),
          ('2026-03-05', 'u3', 3, 'mobile', 'GB', 'email', 2, true),
          ('2026-03-07', 'u4', 4, 'tablet', 'US', 'paid', 1, true),
          ('2026-01-20', 'u5', 5, 'mobile', 'US', 'paid', 1, true)
        ) t(activity_date, user_id, user_key, device, country, traffic_source, events,
            is_first_day)""",
    # Previous: 10, 7, 4, 2, 2. Current: 20, 15, 8, 5, 3 (mobile 18, 13, 7, 4, 2).
    "fct_funnel": """
        SELECT session_date::DATE AS session_date, device, traffic_source, country,
               sessions::BIGINT AS sessions, pv::BIGINT AS product_view_sessions,
               cart::BIGINT AS add_to_cart_sessions, co::BIGINT AS checkout_sessions,
               pur::BIGINT AS purchase_sessions
        FROM (VALUES
          ('2026-03-02', 'mobile', 'paid', 'US', 6, 4, 2, 1, 1),
          ('2026-03-03', 'desktop', 'organic', 'DE', 4, 3, 2, 1, 1),
          ('2026-03-05', 'mobile', 'paid', 'US', 8, 6, 3, 2, 1),
          ('2026-03-06', 'desktop', 'email', 'US', 2, 2, 1, 1, 1),
          ('2026-03-08', 'mobile', 'paid', 'US', 10, 7, 4, 2, 1)
        ) t(session_date, device, traffic_source, country, sessions, pv, cart, co, pur)""",
    "agg_product_day": """
        SELECT activity_date::DATE AS activity_date, product_id, category,
               views::BIGINT AS views, add_to_carts::BIGINT AS add_to_carts,
               units_sold::BIGINT AS units_sold, revenue::DECIMAL(18,2) AS revenue,
               vs::BIGINT AS view_sessions, vc::BIGINT AS view_to_cart_sessions,
               vp::BIGINT AS view_to_purchase_sessions, cs::BIGINT AS cart_sessions,
               cp::BIGINT AS cart_to_purchase_sessions
        FROM (VALUES
          ('2026-03-02', 'p1', 'Shoes', 10, 2, 1, 10.00, 8, 2, 1, 2, 1),
          ('2026-03-05', 'p1', 'Shoes', 20, 4, 1, 10.00, 16, 4, 1, 4, 1),
          ('2026-03-06', 'p1', 'Shoes', 5, 1, 0, 0.00, 4, 0, 0, 1, 0),
          ('2026-03-05', 'p2', 'Bags', 8, 4, 2, 30.00, 5, 3, 2, 3, 2),
          ('2026-03-08', 'p3', 'Hats', 12, 0, 3, 60.00, 10, 0, 3, 0, 0)
        ) t(activity_date, product_id, category, views, add_to_carts, units_sold, revenue,
            vs, vc, vp, cs, cp)""",
    "dim_products": """
        SELECT * FROM (VALUES ('p1', 'Runner', 'Shoes', 'Acme'), ('p2', 'Tote', 'Bags', 'Bolt'),
                              ('p3', 'Cap', 'Hats', 'Acme')) t(product_id, name, category, brand)""",
    # u1 first bought before the range; u3 after 30 min (desktop); u4 after 2 days (mobile).
    "agg_buyers": """
        SELECT user_id, first_event_time::TIMESTAMP AS first_event_time,
               first_event_time::DATE AS first_event_date,
               first_purchase_time::TIMESTAMP AS first_purchase_time,
               first_purchase_time::DATE AS first_purchase_date,
               epoch(first_purchase_time::TIMESTAMP - first_event_time::TIMESTAMP)
                   AS time_to_purchase_s,
               first_device, first_country, first_traffic_source
        FROM (VALUES
          ('u1', '2026-03-01 09:00', '2026-03-02 10:00', 'mobile', 'US', 'paid'),
          ('u3', '2026-03-06 10:00', '2026-03-06 10:30', 'desktop', 'US', 'email'),
          ('u4', '2026-03-05 08:00', '2026-03-07 08:00', 'mobile', 'US', 'paid')
        ) t(user_id, first_event_time, first_purchase_time, first_device, first_country,
            first_traffic_source)""",
    # 03-05 is a Thursday (row 3), 03-08 a Sunday (row 6).
    "agg_activity_hour": """
        SELECT activity_date::DATE AS activity_date, hour::INTEGER AS hour, device, country,
               traffic_source, events::BIGINT AS events
        FROM (VALUES
          ('2026-03-05', 9, 'mobile', 'US', 'paid', 7),
          ('2026-03-05', 9, 'desktop', 'US', 'email', 3),
          ('2026-03-08', 22, 'mobile', 'US', 'paid', 5),
          ('2026-03-02', 1, 'mobile', 'US', 'paid', 100)
        ) t(activity_date, hour, device, country, traffic_source, events)""",
    "fct_cohort_retention": """
        SELECT cohort_week::DATE AS cohort_week, week_number::INTEGER AS week_number,
               cohort_size::BIGINT AS cohort_size, active_users::BIGINT AS active_users,
               active_users / cohort_size AS retention_rate
        FROM (VALUES
          ('2026-02-23', 0, 10, 10), ('2026-02-23', 1, 10, 4), ('2026-02-23', 2, 10, 2),
          ('2026-03-02', 0, 20, 20), ('2026-03-02', 1, 20, 5),
          ('2026-03-09', 0, 5, 5)
        ) t(cohort_week, week_number, cohort_size, active_users)""",
}


def build_marts(ws: Workspace, skip: tuple[str, ...] = ()) -> None:
    cur = ws.cursor()
    for name, sql in MARTS.items():
        if name not in skip:
            cur.execute(f"CREATE OR REPLACE TABLE marts.{name} AS {sql}")


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    with Workspace.open(tmp_path / "ws") as w:
        build_marts(w)
        yield w


F = Filters(d(5), d(8))


# -- filters -------------------------------------------------------------------------------------


def test_presets_are_relative_to_the_last_day_with_data() -> None:
    first, last = D(2025, 11, 20), d(8)
    assert resolve_preset("last_7", first, last) == (d(2), d(8))
    assert resolve_preset("last_30", first, last) == (D(2026, 2, 7), d(8))
    assert resolve_preset("last_90", first, last) == (D(2025, 12, 9), d(8))
    assert resolve_preset("this_month", first, last) == (d(1), d(8))
    assert resolve_preset("last_month", first, last) == (D(2026, 2, 1), D(2026, 2, 28))
    assert resolve_preset("ytd", first, last) == (D(2026, 1, 1), d(8))
    assert resolve_preset("all", first, last) == (first, last)
    assert resolve_preset("custom", first, last, (d(9), d(3))) == (d(3), d(9))


def test_previous_period_has_the_same_length() -> None:
    assert F.days == 4
    assert (F.previous().start, F.previous().end) == (d(1), d(4))
    f = Filters(D(2026, 2, 1), D(2026, 2, 28), device="mobile")
    assert (f.previous().start, f.previous().end) == (D(2026, 1, 4), D(2026, 1, 31))
    assert f.previous().device == "mobile"


def test_status_lists_missing_marts_and_options(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "empty") as w:
        st = A.dashboard_status(w)
        assert not st.ready and "fct_funnel" in st.missing
        # No events at all: nothing a pipeline run could build from.
        assert "generate demo data or import your files" in st.reason
        assert "pipeline" not in st.reason
        w.cursor().execute(
            "INSERT INTO raw.events (event_id, event_time, event_type, event_name, user_id, "
            "quantity, device, country, traffic_source, _batch_id, _loaded_at) VALUES ('e1', "
            "TIMESTAMP '2026-03-01 10:00', 'other', 'x', 'u1', 1, 'd', 'XX', 't', 'b', now())"
        )
        assert A.dashboard_status(w).reason.startswith("Run the pipeline (Pipeline ▸ Run, Ctrl+R)")
    with Workspace.open(tmp_path / "full") as w:
        build_marts(w)
        st = A.dashboard_status(w)
        assert st.ready and (st.first_day, st.last_day) == (d(1), d(8))
        assert st.devices == ("mobile",)  # the segment cells present ('*' excluded)
        assert st.categories == ("Bags", "Hats", "Shoes")


# -- overview ------------------------------------------------------------------------------------


def test_overview_kpis_and_deltas(ws: Workspace) -> None:
    ov = A.overview(ws, F)
    # Revenue 10 + 15 + 15 + 60 = 100 vs 10 + 30 = 40: +150 %.
    rev = ov.kpi("revenue")
    assert (rev.value, rev.previous) == (100.0, 40.0)
    assert rev.change == pytest.approx(1.5)
    # Orders o3, o4, o5 = 3 vs o1, o2 = 2; AOV 100 / 3 vs 40 / 2 = 20.
    assert (ov.kpi("orders").value, ov.kpi("orders").previous) == (3.0, 2.0)
    assert ov.kpi("aov").value == pytest.approx(100 / 3)
    assert ov.kpi("aov").previous == pytest.approx(20.0)
    # Sessions 5 + 3 + 2 + 10 = 20 vs 4 + 2 + 4 = 10; conversion 3 / 20 vs 2 / 10: -5 points.
    assert (ov.kpi("sessions").value, ov.kpi("sessions").previous) == (20.0, 10.0)
    conv = ov.kpi("conversion")
    assert conv.value == pytest.approx(0.15) and conv.previous == pytest.approx(0.2)
    assert conv.change == pytest.approx(-0.05)  # rates change in points
    # Stickiness: mean of 4/6, 2/6, 0/6, 3/7 vs mean of 2/2, 3/4, 2/5, 1/5.
    stick = ov.kpi("stickiness")
    assert stick.value == pytest.approx((4 / 6 + 2 / 6 + 0 + 3 / 7) / 4)
    assert stick.previous == pytest.approx((1 + 0.75 + 0.4 + 0.2) / 4)
    # Sparklines: one value per day of the range.
    assert rev.spark == (25.0, 15.0, 0.0, 60.0)
    assert ov.kpi("conversion").spark == (1 / 8, 1 / 2, None, 1 / 10)


def test_overview_segment_and_category_filters(ws: Workspace) -> None:
    mobile = A.overview(ws, Filters(d(5), d(8), device="mobile"))
    # Mobile: o3 (25) + o5 (60) = 85 over 2 orders; previous o1 = 10.
    assert (mobile.kpi("revenue").value, mobile.kpi("revenue").previous) == (85.0, 10.0)
    assert mobile.kpi("orders").value == 2.0
    # Mobile sessions 18 (2 purchasing); stickiness from the mobile cell: mean(2/3, 1/3).
    assert mobile.kpi("sessions").value == 18.0
    assert mobile.kpi("conversion").value == pytest.approx(2 / 18)
    assert mobile.kpi("stickiness").value == pytest.approx(0.5)
    bags = A.overview(ws, Filters(d(5), d(8), category="Bags"))
    # Bags lines: o3's 15 and o4's 15; orders with a Bags line: o3, o4.
    assert (bags.kpi("revenue").value, bags.kpi("orders").value) == (30.0, 2.0)
    assert bags.kpi("sessions").value == 20.0  # sessions have no category


def test_overview_grain_buckets_sparklines(ws: Workspace) -> None:
    weekly = A.overview(ws, Filters(d(5), d(10), grain="week"))
    # Weeks of 03-02 (05..08: 100) and 03-09 (09..10: o6 = 20).
    assert weekly.kpi("revenue").spark == (100.0, 20.0)
    monthly = A.overview(ws, Filters(d(5), d(10), grain="month"))
    assert monthly.kpi("revenue").spark == (120.0,)


# -- engagement ----------------------------------------------------------------------------------


def test_engagement_daily_windows_and_new_vs_returning(ws: Workspace) -> None:
    e = A.engagement(ws, F)
    assert e.daily.periods == (d(5), d(6), d(7), d(8))
    assert e.daily["dau"] == (4, 2, 0, 3)
    assert e.daily["mau"] == (6, 6, 6, 7)
    assert e.daily["new_users"] == (1, 0, 0, 1)
    assert e.daily["returning_users"] == (3, 2, 0, 2)  # DAU − new
    assert e.daily["stickiness"][3] == pytest.approx(3 / 7)
    assert e.kpi("dau").value == pytest.approx(9 / 4)  # mean DAU
    assert e.kpi("dau").previous == pytest.approx(8 / 4)
    assert (e.kpi("new_users").value, e.kpi("new_users").previous) == (2.0, 5.0)
    assert e.sessions["sessions"] == (8.0, 2.0, 0.0, 10.0)
    assert e.sessions["bounce_rate"][0] == pytest.approx(5 / 8)


def test_engagement_segment_reads_its_own_distinct_user_cell(ws: Workspace) -> None:
    e = A.engagement(ws, Filters(d(5), d(8), device="mobile"))
    # Distinct users come from the mobile cell, never from summing other cells.
    assert e.daily["dau"] == (2, 0, 0, 1)
    assert e.daily["mau"] == (3, 0, 0, 3)
    assert e.daily["stickiness"] == (2 / 3, None, None, 1 / 3)
    weekly = A.engagement(ws, Filters(d(5), d(10), device="mobile", grain="week"))
    assert weekly.sessions.periods == (d(2), d(9))
    assert weekly.sessions["sessions"] == (18.0, 0.0)


def test_engagement_on_two_or_three_dimensions_counts_distinct_users(ws: Workspace) -> None:
    # Mobile + US: u1 (02-05, 03-05), u2 (03-02), u3 (03-05); u5's 01-20 is outside every window.
    e = A.engagement(ws, Filters(d(5), d(8), device="mobile", country="US"))
    assert e.daily["dau"] == (2, 0, 0, 0)
    assert e.daily["wau"] == (3, 3, 3, 3)  # 03-08: [03-02, 03-08] holds u2's 03-02
    assert e.daily["mau"] == (3, 3, 3, 3)
    assert e.daily["new_users"] == (1, 0, 0, 0)  # u3; u1 is new on 02-05
    assert e.daily["stickiness"] == (2 / 3, 0.0, 0.0, 0.0)
    # Previous period 03-01..03-04: DAU 0, 1, 0, 0; MAU 1 on 03-01 (u1's 02-05), then 2.
    assert e.kpi("dau").value == pytest.approx(2 / 4)
    assert e.kpi("dau").previous == pytest.approx(1 / 4)
    assert (e.kpi("new_users").value, e.kpi("new_users").previous) == (1.0, 1.0)
    # Mobile + US + paid: u1 only (u5's day is more than 29 days before 03-01).
    paid = A.engagement(ws, Filters(d(1), d(8), device="mobile", country="US", traffic_source="paid"))
    assert paid.daily["dau"] == (0, 0, 0, 0, 1, 0, 0, 0)
    assert paid.daily["wau"] == (0, 0, 0, 0, 1, 1, 1, 1)
    assert paid.daily["mau"] == (1, 1, 1, 1, 1, 1, 1, 1)


# -- funnel --------------------------------------------------------------------------------------


def test_funnel_steps_conversions_and_drop_off(ws: Workspace) -> None:
    fu = A.funnel(ws, F)
    assert [s.sessions for s in fu.steps] == [20, 15, 8, 5, 3]
    assert [s.step_conversion for s in fu.steps[1:]] == pytest.approx([0.75, 8 / 15, 0.625, 0.6])
    assert fu.steps[-1].drop_off == pytest.approx(0.4)
    assert fu.overall == pytest.approx(0.15)
    assert fu.previous_overall == pytest.approx(0.2)  # 2 / 10
    assert fu.breakdown.rows == (
        ("mobile", 18, 13, 7, 4, 2, pytest.approx(2 / 18)),
        ("desktop", 2, 2, 1, 1, 1, 0.5),
    )
    assert fu.over_time["completion"] == (1 / 8, 0.5, None, 0.1)


def test_funnel_filters_and_empty(ws: Workspace) -> None:
    fu = A.funnel(ws, Filters(d(5), d(8), traffic_source="email"), breakdown_by="country")
    assert [s.sessions for s in fu.steps] == [2, 2, 1, 1, 1]
    assert fu.breakdown.rows == (("US", 2, 2, 1, 1, 1, 0.5),)
    empty = A.funnel(ws, Filters(d(5), d(8), country="DE"))
    assert empty.is_empty and empty.overall is None
    with pytest.raises(ValueError):
        A.funnel(ws, F, breakdown_by="category")


# -- revenue -------------------------------------------------------------------------------------


def test_revenue_series_categories_top_products(ws: Workspace) -> None:
    r = A.revenue(ws, F)
    assert r.kpi("buyers").value == 2.0  # u1, u3
    assert r.kpi("buyers").previous == 2.0  # u1, u2
    assert (r.kpi("units").value, r.kpi("units").previous) == (6.0, 3.0)
    assert r.series["revenue"] == (25.0, 15.0, 0.0, 60.0)
    assert r.series["aov"] == (25.0, 15.0, None, 60.0)
    assert r.by_category.rows == (
        ("Hats", 60.0, 1, 3, 1, 0.6),
        ("Bags", 30.0, 2, 2, 2, 0.3),
        ("Shoes", 10.0, 1, 1, 1, 0.1),
    )
    assert r.top_products.rows == (
        ("p3", "Cap", "Hats", 3, 1, 60.0),
        ("p2", "Tote", "Bags", 2, 2, 30.0),
        ("p1", "Runner", "Shoes", 1, 1, 10.0),
    )


def test_revenue_grain_filters_and_distinct_buyers(ws: Workspace) -> None:
    r = A.revenue(ws, Filters(d(1), d(10), grain="week"))
    # Week of 02-23 (03-01), of 03-02 (o1..o5: 140, buyers u1, u2, u3), of 03-09 (o6: 20).
    assert r.series.periods == (D(2026, 2, 23), d(2), d(9))
    assert r.series["revenue"] == (0.0, 140.0, 20.0)
    assert r.series["buyers"] == (0.0, 3.0, 1.0)
    assert r.kpi("buyers").value == 3.0  # distinct over the range, not 0 + 3 + 1
    bags = A.revenue(ws, Filters(d(5), d(8), category="Bags", device="desktop"))
    assert bags.kpi("revenue").value == 15.0 and bags.kpi("orders").value == 1.0
    assert bags.top_products.rows == (("p2", "Tote", "Bags", 1, 1, 15.0),)
    none = A.revenue(ws, Filters(d(5), d(8), country="FR"))
    assert none.is_empty and none.kpi("aov").value is None


# -- products ------------------------------------------------------------------------------------


def test_products_table_and_category_rates(ws: Workspace) -> None:
    p = A.products(ws, F)
    # Rates are shares of sessions: p3 was viewed in 10 sessions, carted in none after a view
    # (0.0) and carted in no session (None); p2 3 of 5 and 2 of 3; p1 (03-05, 03-06) 4 of 20 and
    # 1 of 5. Per category, view → purchase is vp / vs.
    assert p.table.rows == (
        ("p3", "Cap", "Hats", "Acme", 12, 0, 3, 60.0, 0.0, None),
        ("p2", "Tote", "Bags", "Bolt", 8, 4, 2, 30.0, 0.6, 2 / 3),
        ("p1", "Runner", "Shoes", "Acme", 25, 5, 1, 10.0, 0.2, 0.2),
    )
    assert [r[:8] for r in p.by_category.rows] == [
        ("Shoes", 25, 5, 1, 10.0, 0.2, 0.2, 0.05),
        ("Hats", 12, 0, 3, 60.0, 0.0, None, 0.3),
        ("Bags", 8, 4, 2, 30.0, 0.6, 2 / 3, 0.4),
    ]
    # The session counts behind the rates travel along (vs, vc, vp, cs, cp).
    assert p.by_category.rows[0][8:] == (20, 4, 1, 5, 1)
    shoes = A.products(ws, Filters(d(1), d(8), category="Shoes"))
    assert shoes.table.rows == (("p1", "Runner", "Shoes", "Acme", 35, 7, 2, 20.0, 6 / 28, 2 / 7),)


def test_products_without_dim_products(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "w") as w:
        build_marts(w, skip=("dim_products",))
        assert A.products(w, F).table.rows[0][:4] == ("p3", None, "Hats", None)
        assert A.revenue(w, F).top_products.rows[0][:2] == ("p3", None)


# -- behaviour -----------------------------------------------------------------------------------


def test_behaviour_distributions_and_heatmap(ws: Workspace) -> None:
    b = A.behaviour(ws, F)
    sessions = dict(zip(b.durations.column("bin"), b.durations.column("sessions"), strict=True))
    assert {k: v for k, v in sessions.items() if v} == {0: 5, 4: 2, 7: 3, 10: 10}
    assert b.durations.rows[4][1] == "8 s–16 s"
    assert b.median_duration_bin == 7  # 5, 7, 10 of 20 sessions reached at bin 7
    buyers = dict(zip(b.time_to_purchase.column("time_to_first_purchase"),
                      b.time_to_purchase.column("buyers"), strict=True))
    assert {k: v for k, v in buyers.items() if v} == {"15–60 min": 1, "1–3 d": 1}
    assert b.heatmap[3][9] == 10.0 and b.heatmap[6][22] == 5.0
    assert sum(map(sum, b.heatmap)) == 15.0  # 03-02's 100 events are outside the range
    mobile = A.behaviour(ws, Filters(d(5), d(8), device="mobile"))
    assert mobile.heatmap[3][9] == 7.0
    assert sum(mobile.time_to_purchase.column("buyers")) == 1  # u4 only (first device mobile)


# -- cohorts -------------------------------------------------------------------------------------


def test_cohorts_matrix_and_weighted_curve(ws: Workspace) -> None:
    c = A.cohorts(ws, Filters(d(5), d(10)))
    # Cohort weeks starting from the Monday of 03-05 (03-02) to 03-10: 03-02 and 03-09.
    assert c.cohort_weeks == (d(2), d(9)) and c.sizes == (20, 5)
    assert c.retention == ((1.0, 0.25), (1.0, None))
    # The data ends on Sunday 03-08: the week of 03-09 is not over, so the 03-02 cohort's week 1
    # and the 03-09 cohort's week 0 are partial and left out of the curve.
    assert c.partial == ((False, True), (True, True))
    assert c.curve == (1.0, None)
    wide = A.cohorts(ws, Filters(d(1), d(10)))
    assert wide.cohort_weeks[0] == D(2026, 2, 23)
    # Week 1: only 02-23's week 1 (03-02 … 03-08) is over: 4 / 10; week 2 (03-09) is not.
    assert wide.curve == pytest.approx((1.0, 0.4, None))
    assert A.cohorts(ws, Filters(D(2026, 4, 1), D(2026, 4, 30))).is_empty


def test_headline_kpis(tmp_path: Path) -> None:
    from shoplytics_desktop.core.analytics import headline_kpis

    with Workspace.open(tmp_path / "h") as w:
        cur = w.cursor()
        # Two days: 10 sessions (2 purchasing, 0.2) and 30 (3 purchasing, 0.1): 5 / 40.
        cur.execute(
            "CREATE TABLE marts.fct_daily_engagement AS SELECT * FROM (VALUES "
            "(DATE '2026-03-01', 100, 10, 0.2, 0.5), (DATE '2026-03-02', 200, 30, 0.1, 0.25)"
            ") t(activity_date, events, sessions, conversion_rate, stickiness)"
        )
        cur.execute("CREATE TABLE marts.dim_users AS SELECT * FROM (VALUES ('u1'), ('u1'), ('u2')) t(user_id)")
        cur.execute(
            "CREATE TABLE marts.fct_orders AS SELECT * FROM (VALUES ('o1', 'u1', 30.0), "
            "('o2', 'u1', 10.0), ('o3', 'u2', 20.0)) t(order_id, user_id, revenue)"
        )
        lines = headline_kpis(w)
    assert lines == {
        "period": "2026-03-01 … 2026-03-02",
        "events": "300",
        "users": "2",
        "sessions": "40",
        "orders": "3",
        "buyers": "2",
        "revenue": "60.00 USD",
        "AOV": "20.00 USD",
        "session conversion": "12.50%",
        "DAU/MAU stickiness": "37.50%",
    }


# -- the dashboard marts themselves ---------------------------------------------------------------


def test_dashboard_marts_agree_with_the_marts_and_brute_force(tmp_path: Path) -> None:
    """On generated data run through the real model project: the all-'*' engagement cell is
    fct_daily_engagement, a filtered cell equals a brute-force distinct count over the events,
    and agg_sales / agg_sessions_day add up to fct_orders / fct_funnel."""
    from shoplytics_desktop.core.generate import GenerateSpec, generate_into
    from shoplytics_desktop.core.models.runner import run_project

    with Workspace.open(tmp_path / "gen") as w:
        generate_into(w, GenerateSpec(events=20_000, days=45, seed=3))
        result = run_project(w)
        assert result.published, result.message
        cur = w.cursor()
        mismatches = cur.execute(
            """
            SELECT count(*) FROM marts.fct_daily_engagement AS f
            JOIN marts.agg_engagement_segments AS a ON a.activity_date = f.activity_date
             AND a.device = '*' AND a.country = '*' AND a.traffic_source = '*'
            WHERE (a.dau, a.wau, a.mau, a.new_users) <> (f.dau, f.wau, f.mau, f.new_users)
            """
        ).fetchone()
        assert mismatches == (0,)
        device, source = cur.execute(
            "SELECT device, traffic_source FROM staging.stg_events GROUP BY ALL ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()  # type: ignore[misc]
        brute_sql = """
            WITH days AS (SELECT DISTINCT event_date AS d FROM staging.stg_events)
            SELECT days.d,
                   count(DISTINCT e.user_id) FILTER (WHERE e.event_date = days.d),
                   count(DISTINCT e.user_id) FILTER (WHERE e.event_date > days.d - 7),
                   count(DISTINCT e.user_id)
            FROM days JOIN staging.stg_events AS e
              ON e.event_date BETWEEN days.d - 29 AND days.d AND {where}
            GROUP BY 1 ORDER BY 1
            """
        # A single-dimension filter is a precomputed cell.
        brute = cur.execute(brute_sql.format(where="e.device = ?"), [device]).fetchall()
        cell = cur.execute(
            "SELECT activity_date, dau, wau, mau FROM marts.agg_engagement_segments "
            "WHERE device = ? AND country = '*' AND traffic_source = '*' AND mau > 0 ORDER BY 1",
            [device],
        ).fetchall()
        assert len(brute) > 30 and brute == cell
        # Two dimensions are counted from agg_user_day when asked.
        brute = cur.execute(
            brute_sql.format(where="e.device = ? AND e.traffic_source = ?"), [device, source]
        ).fetchall()
        first, last = brute[0][0], brute[-1][0]
        daily = engagement_daily(
            w, Filters(first + (last - first) / 2, last, device=device, traffic_source=source)
        )
        counted = [
            (day, *(int(daily.get(day, m)) for m in ("dau", "wau", "mau")))
            for day in sorted(daily.rows)
        ]
        assert len(brute) > 30 and brute == counted
        totals = cur.execute(
            """
            SELECT (SELECT sum(revenue) FROM marts.agg_sales) = (SELECT sum(revenue) FROM marts.fct_orders),
                   (SELECT count(DISTINCT order_key) FROM marts.agg_sales) = (SELECT count(*) FROM marts.fct_orders),
                   (SELECT sum(sessions) FROM marts.agg_sessions_day) = (SELECT sum(sessions) FROM marts.fct_funnel),
                   (SELECT sum(views) FROM marts.agg_product_day) = (SELECT sum(views) FROM marts.dim_products)
            """
        ).fetchone()
        assert totals == (True, True, True, True)


def test_marts_of_an_earlier_model_project_ask_for_a_run(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "old") as w:
        build_marts(w)
        w.cursor().execute("ALTER TABLE marts.agg_user_day DROP COLUMN user_key")
        st = A.dashboard_status(w)
        assert not st.ready and st.missing == ("agg_user_day.user_key",)
        assert st.reason == ("Run the pipeline (Pipeline ▸ Run, Ctrl+R) to build the marts again: "
                             "the dashboards need what they lack (agg_user_day.user_key).")


# -- money: one currency at a time, refunds ------------------------------------------------------


def test_money_is_in_the_workspace_currency_with_refunds_and_a_note(ws: Workspace) -> None:
    cur = ws.cursor()
    # agg_sales as the models build it now (a currency per order), plus o7 in EUR on 03-06
    cur.execute(
        "CREATE OR REPLACE TABLE marts.agg_sales AS SELECT *, 'USD' AS currency FROM marts.agg_sales "
        "UNION ALL SELECT 'o7', 7, 4, TIMESTAMP '2026-03-06 11:00', DATE '2026-03-06', 'u4', 'p3', "
        "'Hats', 'mobile', 'US', 'paid', 1, 50.00, 'EUR'"
    )
    cur.execute(
        """CREATE TABLE marts.agg_refunds AS SELECT refund_date::DATE AS refund_date, product_id,
               category, device, country, traffic_source, currency, 1::BIGINT AS refund_items,
               1::BIGINT AS units, refunds::DECIMAL(18,2) AS refunds
           FROM (VALUES
             ('2026-03-05', 'p1', 'Shoes', 'mobile', 'US', 'paid', 'USD', 10.00),
             ('2026-03-03', 'p2', 'Bags', 'desktop', 'DE', 'organic', 'USD', 5.00),
             ('2026-03-07', 'p3', 'Hats', 'mobile', 'US', 'paid', 'EUR', 20.00)
           ) t(refund_date, product_id, category, device, country, traffic_source, currency, refunds)"""
    )
    r = A.revenue(ws, F)
    # USD only: 25 + 15 + 60 = 100 over o3, o4, o5 (o7's 50 EUR left out); refunds 10 vs 5
    assert (r.kpi("revenue").value, r.kpi("orders").value) == (100.0, 3.0)
    assert (r.kpi("refunds").value, r.kpi("refunds").previous) == (10.0, 5.0)
    assert (r.kpi("net_revenue").value, r.kpi("net_revenue").previous) == (90.0, 35.0)
    assert r.kpi("refunds").spark == (10.0, 0.0, 0.0, 0.0)
    assert r.kpi("net_revenue").spark == (15.0, 15.0, 0.0, 60.0)
    assert r.currency_note == (
        "Amounts are in USD; not included: 50.00 EUR revenue (20.00 EUR refunds) in other currencies."
    )
    ov = A.overview(ws, F)
    assert [k.key for k in ov.kpis][:3] == ["revenue", "net_revenue", "refunds"]
    assert (ov.kpi("revenue").value, ov.kpi("net_revenue").value, ov.kpi("refunds").value) == (100.0, 90.0, 10.0)
    assert ov.currency_note == r.currency_note
    # the category filter applies to refunds too: Shoes has p1's refund of 10 on 03-05
    shoes = A.revenue(ws, Filters(d(5), d(8), category="Shoes"))
    assert (shoes.kpi("revenue").value, shoes.kpi("refunds").value) == (10.0, 10.0)
    assert shoes.currency_note == ""


def test_no_refunds_no_refund_kpis(ws: Workspace) -> None:
    assert "refunds" not in {k.key for k in A.revenue(ws, F).kpis}
    assert "net_revenue" not in {k.key for k in A.overview(ws, F).kpis}
    assert A.overview(ws, F).currency_note == ""


# -- incomplete periods, multi-value and exclude filters ------------------------------------------


def test_incomplete_periods_are_flagged() -> None:
    from shoplytics_desktop.core.analytics.periods import (
        DataBounds,
        filling_window,
        last_day_is_complete,
        partial_periods,
    )

    full = DataBounds(d(1), d(8))
    # By week, [03-01, 03-10]: 02-23 (cut by the range and the data's start), 03-02 (whole),
    # 03-09 (cut by the range and the data's end).
    weekly = Filters(d(1), d(10), grain="week")
    assert partial_periods(weekly, full) == (True, False, True)
    # By day: days after the data's end are not complete; the last day is when it is over.
    assert partial_periods(Filters(d(7), d(9)), full) == (False, False, True)
    mid = DataBounds(d(1), d(8), last_day_complete=False)
    assert partial_periods(Filters(d(7), d(8)), mid) == (False, True)
    assert partial_periods(Filters(d(1), d(31), grain="month"), full) == (True,)
    # MAU windows fill up over the first 29 days after the first event.
    days = [D(2026, 3, 29), D(2026, 3, 30), D(2026, 3, 31)]
    assert filling_window(days, DataBounds(d(1), D(2026, 4, 30)), 30) == (True, False, False)
    # A last day is over when it is before today and ends late, or as late as usual.
    today = D(2026, 12, 5)
    assert last_day_is_complete(d(8), {d(8): 22}, today)
    assert not last_day_is_complete(d(8), {d(7): 23, d(6): 23, d(8): 11}, today)
    assert last_day_is_complete(d(8), {d(7): 17, d(6): 18, d(8): 17}, today)
    assert not last_day_is_complete(today, {today: 23}, today)


def test_an_incomplete_last_day_is_left_out_of_deltas(ws: Workspace) -> None:
    # The data ends at 01:00 on 03-09, after full days ending at 23:00: 03-09 is under way.
    ws.cursor().execute(
        "INSERT INTO marts.agg_engagement_segments VALUES (DATE '2026-03-09', '*', '*', '*', 1, 6, 7, 0);"
        "INSERT INTO marts.agg_activity_hour VALUES (DATE '2026-03-06', 23, 'mobile', 'US', 'paid', 1),"
        "(DATE '2026-03-07', 23, 'mobile', 'US', 'paid', 1), (DATE '2026-03-09', 1, 'mobile', 'US', 'paid', 1)"
    )
    ov = A.overview(ws, Filters(d(6), d(9)))
    rev = ov.kpi("revenue")
    assert (rev.value, rev.previous) == (95.0, 65.0)  # 15 + 60 + 20 vs 10 + 30 + 25
    # The change compares 03-06 … 03-08 (75) with 03-03 … 03-05 (55), not the day under way.
    assert rev.basis == (75.0, 55.0)
    assert rev.change == pytest.approx(20 / 55)
    assert "complete days 2026-03-06 … 2026-03-08" in rev.basis_note
    assert ov.partial == (False, False, False, True)
    r = A.revenue(ws, Filters(d(6), d(9)))
    assert r.kpi("revenue").basis == (75.0, 55.0)
    assert r.series.partial == (False, False, False, True)


def test_net_revenue_and_refunds_change_alike_on_both_tabs(ws: Workspace) -> None:
    # 03-09 is under way (as above): the Overview and the Revenue tab compare the complete
    # days 03-06 … 03-08 with 03-03 … 03-05 for every money card. Refunds 4.00 on 03-04 and
    # 6.00 on 03-07, 3.00 on 03-09 (in the day under way): net 75 − 6 = 69 against 55 − 4 = 51.
    cur = ws.cursor()
    cur.execute(
        "INSERT INTO marts.agg_engagement_segments VALUES (DATE '2026-03-09', '*', '*', '*', 1, 6, 7, 0);"
        "INSERT INTO marts.agg_activity_hour VALUES (DATE '2026-03-06', 23, 'mobile', 'US', 'paid', 1),"
        "(DATE '2026-03-07', 23, 'mobile', 'US', 'paid', 1), (DATE '2026-03-09', 1, 'mobile', 'US', 'paid', 1)"
    )
    cur.execute(
        """CREATE TABLE marts.agg_refunds AS SELECT refund_date::DATE AS refund_date, product_id,
               category, device, country, traffic_source, 'USD' AS currency,
               1::BIGINT AS refund_items, 1::BIGINT AS units, refunds::DECIMAL(18,2) AS refunds
           FROM (VALUES
             ('2026-03-04', 'p1', 'Shoes', 'mobile', 'US', 'paid', 4.00),
             ('2026-03-07', 'p2', 'Bags', 'desktop', 'DE', 'organic', 6.00),
             ('2026-03-09', 'p3', 'Hats', 'mobile', 'US', 'paid', 3.00)
           ) t(refund_date, product_id, category, device, country, traffic_source, refunds)"""
    )
    f = Filters(d(6), d(9))
    ov, r = A.overview(ws, f), A.revenue(ws, f)
    assert r.kpi("net_revenue").basis == ov.kpi("net_revenue").basis == (69.0, 51.0)
    assert r.kpi("refunds").basis == ov.kpi("refunds").basis == (6.0, 4.0)
    assert r.kpi("net_revenue").change == ov.kpi("net_revenue").change
    assert r.kpi("net_revenue").basis_note == ov.kpi("net_revenue").basis_note

def test_multi_value_and_exclude_filters(ws: Workspace) -> None:
    # Revenue in [03-05, 03-08]: mobile 85 (o3 25, o5 60), desktop 15 (o4).
    both = A.overview(ws, Filters(d(5), d(8), device=("mobile", "desktop")))
    assert both.kpi("revenue").value == 100.0
    not_mobile = A.overview(ws, Filters(d(5), d(8), device="mobile", exclude=frozenset({"device"})))
    assert not_mobile.kpi("revenue").value == 15.0
    two_cats = A.revenue(ws, Filters(d(5), d(8), category=("Bags", "Hats")))
    assert two_cats.kpi("revenue").value == 90.0  # 15 + 15 + 60
    no_hats = A.products(ws, Filters(d(1), d(8), category="Hats", exclude=frozenset({"category"})))
    assert {r[0] for r in no_hats.table.rows} == {"p1", "p2"}
    # Users under a multi-value filter are counted from agg_user_day (exact distinct users):
    # US or GB on 03-05: u1 (mobile, desktop), u3 (US, GB) → 2.
    e = A.engagement(ws, Filters(d(5), d(5), country=("US", "GB")))
    assert e.daily["dau"] == (2,)
    e = A.engagement(ws, Filters(d(5), d(5), country="US", exclude=frozenset({"country"})))
    assert e.daily["dau"] == (1,)  # u3 in GB
    f = Filters(d(5), d(8), device="mobile", exclude=frozenset({"device"}))
    assert f.describe() == "2026-03-05 … 2026-03-08, Device: not mobile"
    # The funnel: desktop sessions only.
    assert A.funnel(ws, f).steps[0].sessions == 2


def test_top_n_and_other() -> None:
    from shoplytics_desktop.core.analytics.types import Table, top_n_other

    t = Table.of(["category", "revenue", "orders", "views", "carts", "rate"],
                 [(f"c{i}", 100.0 - i, 10, 10, i, i / 10) for i in range(12)])
    top = top_n_other(t, "category", 5, sums=["revenue", "views", "carts"],
                      ratios={"rate": ("carts", "views")})
    assert [r[0] for r in top.rows] == ["c0", "c1", "c2", "c3", "Other (8)"]
    other = top.rows[-1]
    assert other[1] == sum(100.0 - i for i in range(4, 12))
    assert other[2] is None  # orders are distinct counts: not added up
    assert other[5] == sum(range(4, 12)) / 80
    assert top_n_other(t, "category", 12) is t


def test_the_command_lines_stickiness_is_the_dashboards(tmp_path: Path) -> None:
    """`shoplytics demo`/headline and the Overview KPI give one stickiness for the whole range:
    the mean daily DAU/MAU over the days whose MAU window is full (here days 30–45 of 45),
    not over every day (which runs high while MAU fills up)."""
    from shoplytics_desktop.core.analytics.filters import Filters
    from shoplytics_desktop.core.analytics.headline import headline
    from shoplytics_desktop.core.analytics.overview import overview
    from shoplytics_desktop.core.generate import GenerateSpec, generate_into
    from shoplytics_desktop.core.models.runner import run_project

    with Workspace.open(tmp_path / "gen") as w:
        generate_into(w, GenerateSpec(events=20_000, days=45, seed=3,
                                      start=dt.date(2026, 1, 1)))
        assert run_project(w).published
        first, last, full, every = w.cursor().execute(
            "SELECT min(activity_date), max(activity_date), "
            "avg(stickiness) FILTER (WHERE activity_date >= min_day + 29), avg(stickiness) "
            "FROM marts.fct_daily_engagement, "
            "(SELECT min(activity_date) AS min_day FROM marts.fct_daily_engagement)"
        ).fetchone()
        kpi = {k.key: k for k in overview(w, Filters(start=first, end=last)).kpis}["stickiness"]
        value = headline(w).stickiness
    assert value == pytest.approx(full) and value == pytest.approx(kpi.value)
    assert value < every
