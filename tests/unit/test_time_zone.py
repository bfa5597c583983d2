"""The reporting time zone (setting ``time_zone``): days, weeks and hours of day in that zone,
every number worked out by hand on two small fixtures around clock changes.

Event times are UTC. Berlin is UTC+1 (CET) until 2024-03-31 01:00 UTC, then UTC+2 (CEST): the
local clock jumps from 02:00 to 03:00 and that Sunday has 23 hours. Los Angeles is UTC-7 (PDT)
until 2024-11-03 09:00 UTC, then UTC-8 (PST): the clock goes back from 02:00 to 01:00 and that
Sunday has 25 hours. 2024-03-25, 2024-04-01, 2024-10-28 and 2024-11-04 are Mondays.

BERLIN (UTC → Berlin)
  u1, no session ids:
    03-30 22:50 page_view     → Sat 03-30 23:50   } one session (20 min gap): day 03-30 in both
    03-30 23:10 product_view  → Sun 03-31 00:10   }
    03-31 00:55 purchase o1 10.00 → 03-31 01:55   } one session: 10 min apart in absolute time
    03-31 01:05 add_to_cart       → 03-31 03:05   } (70 min on the local clock), 600 s long
  u3: 03-30 23:00 page_view   → Sun 03-31 00:00 (midnight exactly): 03-30 in UTC, 03-31 in Berlin
  u2, source sessions:
    s1 03-31 22:30 purchase o2 20.00 → Mon 04-01 00:30: Sunday (week 03-25) in UTC, Monday
                                       (week 04-01) in Berlin: u2's cohort week differs
    s2 04-01 21:59:59 page_view      → 04-01 23:59:59
    s3 04-01 22:00 page_view         → Tue 04-02 00:00: a day UTC does not have

LOS ANGELES (UTC → LA)
  v3, source session w1:
    11-02 06:59 page_view        → Fri 11-01 23:59 PDT (the session's day)
    11-02 07:00 purchase o4 5.00 → Sat 11-02 00:00 PDT (the order's day)
  v1, no session ids:
    11-03 08:40 page_view     → Sun 11-03 01:40 PDT  } one session (gaps of 30 and 10 min):
    11-03 09:10 product_view  → Sun 11-03 01:10 PST  } the clock went back; 2400 s long; three
    11-03 09:20 add_to_cart   → Sun 11-03 01:20 PST  } events in local hour 1
  v2, source session t1:
    11-04 07:30 purchase o3 15.00 → Sun 11-03 23:30 PST: Monday (week 11-04) in UTC, Sunday
    11-04 08:00 page_view         → Mon 11-04 00:00 PST  (week 10-28) in LA; 1800 s session
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from shoplytics_desktop.core import contract
from shoplytics_desktop.core.models.runner import run_project
from shoplytics_desktop.core.workspace import Workspace

D = dt.date


def _ev(
    event_id: str, time: str, event_type: str, user: str, session: str | None = None,
    order: str | None = None, price: str | None = None,
) -> dict[str, Any]:
    return {
        "event_id": event_id, "event_time": dt.datetime.fromisoformat(time),
        "event_type": event_type, "event_name": event_type, "user_id": user,
        "session_id": session, "product_id": "p1" if event_type != "page_view" else None,
        "order_id": order, "price": Decimal(price) if price else None, "quantity": 1,
        "device": "desktop", "country": "DE", "traffic_source": "organic",
        "_batch_id": "fixture", "_source_file": "fixture.csv", "_loaded_at": dt.datetime(2025, 1, 1),
    }


BERLIN = [
    _ev("u1a", "2024-03-30 22:50:00", "page_view", "u1"),
    _ev("u1b", "2024-03-30 23:10:00", "product_view", "u1"),
    _ev("u1c", "2024-03-31 00:55:00", "purchase", "u1", None, "o1", "10.00"),
    _ev("u1d", "2024-03-31 01:05:00", "add_to_cart", "u1"),
    _ev("u3a", "2024-03-30 23:00:00", "page_view", "u3"),
    _ev("u2a", "2024-03-31 22:30:00", "purchase", "u2", "s1", "o2", "20.00"),
    _ev("u2b", "2024-04-01 21:59:59", "page_view", "u2", "s2"),
    _ev("u2c", "2024-04-01 22:00:00", "page_view", "u2", "s3"),
]

LOS_ANGELES = [
    _ev("v3a", "2024-11-02 06:59:00", "page_view", "v3", "w1"),
    _ev("v3b", "2024-11-02 07:00:00", "purchase", "v3", "w1", "o4", "5.00"),
    _ev("v1a", "2024-11-03 08:40:00", "page_view", "v1"),
    _ev("v1b", "2024-11-03 09:10:00", "product_view", "v1"),
    _ev("v1c", "2024-11-03 09:20:00", "add_to_cart", "v1"),
    _ev("v2a", "2024-11-04 07:30:00", "purchase", "v2", "t1", "o3", "15.00"),
    _ev("v2b", "2024-11-04 08:00:00", "page_view", "v2", "t1"),
]

#: fct_daily_engagement: day → (dau, wau, new_users, sessions, events, orders, revenue,
#: avg_session_duration_s), worked out by hand from the tables above.
DAILY: dict[tuple[str, str], dict[D, tuple[Any, ...]]] = {
    ("berlin", "UTC"): {
        D(2024, 3, 30): (2, 2, 2, 2, 3, 0, 0, 1200.0 / 2),  # u1's first session 1200 s, u3's 0 s
        D(2024, 3, 31): (2, 3, 1, 2, 3, 2, 30, 600.0 / 2),  # u1's second (600 s), u2's s1 (0 s)
        D(2024, 4, 1): (1, 3, 0, 2, 2, 0, 0, 0.0),
    },
    ("berlin", "Europe/Berlin"): {
        D(2024, 3, 30): (1, 1, 1, 1, 1, 0, 0, 1200.0),
        D(2024, 3, 31): (2, 2, 1, 2, 4, 1, 10, 600.0 / 2),  # u3 (0 s) and u1's second (600 s)
        D(2024, 4, 1): (1, 3, 1, 2, 2, 1, 20, 0.0),
        D(2024, 4, 2): (1, 3, 0, 1, 1, 0, 0, 0.0),
    },
    ("la", "UTC"): {
        D(2024, 11, 2): (1, 1, 1, 1, 2, 1, 5, 60.0),
        D(2024, 11, 3): (1, 2, 1, 1, 3, 0, 0, 2400.0),
        D(2024, 11, 4): (1, 3, 1, 1, 2, 1, 15, 1800.0),
    },
    ("la", "America/Los_Angeles"): {
        D(2024, 11, 1): (1, 1, 1, 1, 1, 0, 0, 60.0),
        D(2024, 11, 2): (1, 1, 0, 0, 1, 1, 5, None),  # no session starts on the order's day
        D(2024, 11, 3): (2, 3, 2, 2, 4, 1, 15, (2400.0 + 1800.0) / 2),
        D(2024, 11, 4): (1, 3, 0, 0, 1, 0, 0, None),
    },
}

#: fct_cohort_retention: (cohort_week, week_number) → (cohort_size, active_users).
COHORTS: dict[tuple[str, str], dict[tuple[D, int], tuple[int, int]]] = {
    ("berlin", "UTC"): {(D(2024, 3, 25), 0): (3, 3), (D(2024, 3, 25), 1): (3, 1)},
    ("berlin", "Europe/Berlin"): {
        (D(2024, 3, 25), 0): (2, 2), (D(2024, 3, 25), 1): (2, 0), (D(2024, 4, 1), 0): (1, 1),
    },
    ("la", "UTC"): {
        (D(2024, 10, 28), 0): (2, 2), (D(2024, 10, 28), 1): (2, 0), (D(2024, 11, 4), 0): (1, 1),
    },
    ("la", "America/Los_Angeles"): {(D(2024, 10, 28), 0): (3, 3), (D(2024, 10, 28), 1): (3, 1)},
}

#: agg_activity_hour: (day, hour of day) → events.
HOURS: dict[tuple[str, str], dict[tuple[D, int], int]] = {
    ("berlin", "UTC"): {
        (D(2024, 3, 30), 22): 1, (D(2024, 3, 30), 23): 2, (D(2024, 3, 31), 0): 1,
        (D(2024, 3, 31), 1): 1, (D(2024, 3, 31), 22): 1, (D(2024, 4, 1), 21): 1,
        (D(2024, 4, 1), 22): 1,
    },
    ("berlin", "Europe/Berlin"): {  # no hour 2 on 03-31: the clock skipped it
        (D(2024, 3, 30), 23): 1, (D(2024, 3, 31), 0): 2, (D(2024, 3, 31), 1): 1,
        (D(2024, 3, 31), 3): 1, (D(2024, 4, 1), 0): 1, (D(2024, 4, 1), 23): 1,
        (D(2024, 4, 2), 0): 1,
    },
    ("la", "UTC"): {
        (D(2024, 11, 2), 6): 1, (D(2024, 11, 2), 7): 1, (D(2024, 11, 3), 8): 1,
        (D(2024, 11, 3), 9): 2, (D(2024, 11, 4), 7): 1, (D(2024, 11, 4), 8): 1,
    },
    ("la", "America/Los_Angeles"): {  # hour 1 of 11-03 happened twice
        (D(2024, 11, 1), 23): 1, (D(2024, 11, 2), 0): 1, (D(2024, 11, 3), 1): 3,
        (D(2024, 11, 3), 23): 1, (D(2024, 11, 4), 0): 1,
    },
}

#: fct_orders: order → (order_date, revenue); fct_revenue and the daily mart agree.
ORDERS: dict[tuple[str, str], dict[str, tuple[D, Decimal]]] = {
    ("berlin", "UTC"): {"o1": (D(2024, 3, 31), Decimal(10)), "o2": (D(2024, 3, 31), Decimal(20))},
    ("berlin", "Europe/Berlin"): {"o1": (D(2024, 3, 31), Decimal(10)),
                                  "o2": (D(2024, 4, 1), Decimal(20))},
    ("la", "UTC"): {"o4": (D(2024, 11, 2), Decimal(5)), "o3": (D(2024, 11, 4), Decimal(15))},
    ("la", "America/Los_Angeles"): {"o4": (D(2024, 11, 2), Decimal(5)),
                                    "o3": (D(2024, 11, 3), Decimal(15))},
}

FIXTURES = {"berlin": (BERLIN, "Europe/Berlin"), "la": (LOS_ANGELES, "America/Los_Angeles")}


def _load(ws: Workspace, events: list[dict[str, Any]]) -> None:
    cols = [c.name for c in contract.RAW_TABLES["raw.events"] if c.name in events[0]]
    ws.cursor().executemany(
        f"INSERT INTO raw.events ({', '.join(cols)}) VALUES ({', '.join(['?'] * len(cols))})",
        [[e[c] for c in cols] for e in events],
    )


def _run(ws: Workspace, zone: str) -> None:
    ws.settings.time_zone = zone
    result = run_project(ws)
    assert result.published, result.message
    assert [t.test_id for t in result.tests if t.status != "pass"] == []


def _marts(ws: Workspace) -> dict[str, Any]:
    """Every figure the tables above give, as the marts hold them."""
    cur = ws.cursor()
    daily = {
        r[0]: (r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8])
        for r in cur.execute(
            "select activity_date, dau, wau, new_users, sessions, events, orders, revenue, "
            "avg_session_duration_s from marts.fct_daily_engagement order by 1"
        ).fetchall()
    }
    return {
        "daily": daily,
        "cohorts": {
            (r[0], r[1]): (r[2], r[3])
            for r in cur.execute(
                "select cohort_week, week_number, cohort_size, active_users "
                "from marts.fct_cohort_retention"
            ).fetchall()
        },
        "hours": {
            (r[0], r[1]): r[2]
            for r in cur.execute(
                "select activity_date, hour, sum(events) from marts.agg_activity_hour group by all"
            ).fetchall()
        },
        "orders": {
            r[0]: (r[1], r[2])
            for r in cur.execute("select order_id, order_date, revenue from marts.fct_orders").fetchall()
        },
        "revenue_by_day": dict(cur.execute(
            "select order_date, sum(revenue) from marts.fct_revenue group by 1"
        ).fetchall()),
        "session_days": dict(cur.execute(
            "select session_date, sum(sessions) from marts.fct_funnel group by 1"
        ).fetchall()),
        "dates": [r[0] for r in cur.execute("select date_day from marts.dim_date order by 1").fetchall()],
        "buyers": dict(cur.execute(
            "select user_id, first_purchase_date from marts.agg_buyers"
        ).fetchall()),
    }


@pytest.fixture(scope="module", params=sorted(FIXTURES))
def workspace(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
              ) -> Iterator[tuple[str, Workspace]]:
    name = request.param
    with Workspace.open(tmp_path_factory.mktemp(f"tz_{name}")) as ws:
        _load(ws, FIXTURES[name][0])
        yield name, ws


def _check(name: str, zone: str, got: dict[str, Any]) -> None:
    key = (name, zone)
    daily = {d: tuple(None if v is None else float(v) for v in row) for d, row in got["daily"].items()}
    expected = {d: tuple(None if v is None else float(v) for v in row) for d, row in DAILY[key].items()}
    assert daily == expected
    assert got["cohorts"] == COHORTS[key]
    assert got["hours"] == HOURS[key]
    assert got["orders"] == ORDERS[key]
    by_day: dict[D, Decimal] = {}
    for order_date, revenue in ORDERS[key].values():
        by_day[order_date] = by_day.get(order_date, Decimal(0)) + revenue
    assert got["revenue_by_day"] == by_day
    assert got["session_days"] == {d: row[3] for d, row in DAILY[key].items() if row[3]}
    assert got["dates"] == sorted(DAILY[key])
    assert got["buyers"] == {
        {"o1": "u1", "o2": "u2", "o3": "v2", "o4": "v3"}[o]: d for o, (d, _) in ORDERS[key].items()
    }


def test_days_weeks_and_hours_follow_the_reporting_time_zone(workspace: tuple[str, Workspace]) -> None:
    """The same events in UTC, in the local zone, and in UTC again: the local days differ from
    UTC's exactly as worked out by hand, and going back to UTC gives UTC's numbers again."""
    name, ws = workspace
    assert ws.settings.time_zone == "UTC"
    _run(ws, "UTC")
    in_utc = _marts(ws)
    _check(name, "UTC", in_utc)
    zone = FIXTURES[name][1]
    _run(ws, zone)
    _check(name, zone, _marts(ws))
    assert ws.cursor().execute(
        "select value from _shoplytics.meta where key = 'marts_time_zone'"
    ).fetchone() == (zone,)
    _run(ws, "UTC")
    assert _marts(ws) == in_utc


def test_sessions_split_by_absolute_time_across_clock_changes(workspace: tuple[str, Workspace]) -> None:
    """Berlin's 01:55 → 03:05 is 10 minutes; LA's 01:40 → 01:10 is 30 minutes: each one session,
    whatever the local clock says."""
    name, ws = workspace
    _run(ws, FIXTURES[name][1])
    rows = ws.cursor().execute(
        "select user_id, session_date, events, duration_s from intermediate.int_sessions "
        "where is_derived_session order by session_start"
    ).fetchall()
    if name == "berlin":
        assert rows == [("u1", D(2024, 3, 30), 2, 1200.0), ("u3", D(2024, 3, 31), 1, 0.0),
                        ("u1", D(2024, 3, 31), 2, 600.0)]
    else:
        assert rows == [("v1", D(2024, 11, 3), 3, 2400.0)]


def test_dashboard_dates_are_days_of_the_zone_the_marts_were_built_in(
    workspace: tuple[str, Workspace],
) -> None:
    """The data's own range, and the presets counted back from its last day, are local days; the
    status names the zone of the last full run."""
    from shoplytics_desktop.core.analytics.filters import resolve_preset
    from shoplytics_desktop.core.analytics.status import dashboard_status

    name, ws = workspace
    zone = FIXTURES[name][1]
    for z in ("UTC", zone):
        _run(ws, z)
        status = dashboard_status(ws)
        days = sorted(DAILY[(name, z)])
        assert (status.time_zone, status.first_day, status.last_day) == (z, days[0], days[-1])
        # Presets count back from the last local day, and never start before the data does.
        assert resolve_preset("last_7", status.first_day, status.last_day) == (
            max(days[0], days[-1] - dt.timedelta(days=6)), days[-1])


# Zones whose clocks change in awkward ways: at local midnight (Sao Paulo 2018, Beirut), by half
# an hour (Lord Howe), a whole day skipped (Apia 2011), and the fixtures' two.
_AWKWARD = [
    ("America/Sao_Paulo", "2018-11-03 12:00:00"),
    ("America/Sao_Paulo", "2019-02-16 12:00:00"),
    ("Asia/Beirut", "2024-03-30 12:00:00"),
    ("Asia/Beirut", "2024-10-26 12:00:00"),
    ("Australia/Lord_Howe", "2024-04-06 06:00:00"),
    ("Australia/Lord_Howe", "2024-10-05 06:00:00"),
    ("Pacific/Apia", "2011-12-29 00:00:00"),
    ("Europe/Berlin", "2024-03-30 12:00:00"),
    ("America/Los_Angeles", "2024-11-02 18:00:00"),
]


@pytest.mark.parametrize(("zone", "start"), _AWKWARD)
def test_local_times_agree_with_zoneinfo_around_clock_changes(
    tmp_path: Path, zone: str, start: str
) -> None:
    """stg_events' local time and day agree with Python's zoneinfo for an event every 7 minutes
    over two days around a clock change (and on the days before and after, where the models
    add one offset per UTC day)."""
    with Workspace.open(tmp_path / "ws") as ws:
        t0 = dt.datetime.fromisoformat(start)
        events = [
            _ev(f"e{i}", str(t0 + dt.timedelta(minutes=7 * i)), "page_view", f"u{i % 5}", "s")
            for i in range(0, 2 * 24 * 60 // 7)
        ] + [_ev("before", str(t0 - dt.timedelta(days=3)), "page_view", "u0", "s"),
             _ev("after", str(t0 + dt.timedelta(days=4)), "page_view", "u0", "s")]
        _load(ws, events)
        _run(ws, zone)
        cur = ws.cursor()
        cur.execute(f"SET VARIABLE time_zone = '{zone}'")
        got = cur.execute(
            "select event_time, event_time_local, event_date from staging.stg_events"
        ).fetchall()
        tz = zoneinfo.ZoneInfo(zone)
        for utc, local, day in got:
            want = utc.replace(tzinfo=dt.UTC).astimezone(tz).replace(tzinfo=None)
            assert (local, day) == (want, want.date()), (zone, utc)
        assert len(got) == len(events)


def test_no_future_events_compares_utc_instants(tmp_path: Path) -> None:
    """An event an hour ago is not in the future even where the local clock is 14 hours ahead of
    UTC, and one an hour ahead is, even where it is 11 hours behind."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    for zone, offset, future in (("Pacific/Kiritimati", -1, False), ("Pacific/Pago_Pago", 1, True)):
        with Workspace.open(tmp_path / zone.replace("/", "_")) as ws:
            _load(ws, [_ev("x", str(now + dt.timedelta(hours=offset)), "page_view", "u", "s")])
            ws.settings.time_zone = zone
            result = run_project(ws)
            status = {t.test_id: t.status for t in result.tests}["no_future_events"]
            assert status == ("warn" if future else "pass"), zone


def test_a_selected_run_after_a_settings_change_is_refused(tmp_path: Path) -> None:
    """Building some models in a new zone while the rest keep the old one would mix both: after
    a change only a full run may build, and a selected run is fine again after it."""
    with Workspace.open(tmp_path / "ws") as ws:
        _load(ws, [_ev("a", "2024-03-01 23:30:00", "page_view", "u", "s"),
                   _ev("b", "2024-03-02 00:30:00", "page_view", "u", "s2")])
        _run(ws, "UTC")
        ws.settings.time_zone = "Asia/Kolkata"
        refused = run_project(ws, select=["fct_daily_engagement"])
        assert not refused.published
        assert "time_zone UTC → Asia/Kolkata" in refused.message
        assert ws.cursor().execute(
            "SELECT min(activity_date) FROM marts.fct_daily_engagement").fetchone() == (
            dt.date(2024, 3, 1),)
        _run(ws, "Asia/Kolkata")
        assert run_project(ws, select=["fct_daily_engagement"]).published
        assert ws.cursor().execute(
            "SELECT min(activity_date) FROM marts.fct_daily_engagement").fetchone() == (
            dt.date(2024, 3, 2),)
        ws.settings.session_timeout_minutes = 45
        assert "session_timeout_minutes 30 → 45" in run_project(
            ws, select=["int_sessions+"]).message


# -- the setting ----------------------------------------------------------------------------------


def test_a_new_workspace_takes_the_computers_time_zone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    monkeypatch.setenv("TZ", "Europe/Berlin")
    with Workspace.open(tmp_path / "ws") as ws:
        assert ws.settings.time_zone == "Europe/Berlin"
    assert json.loads((tmp_path / "ws" / "settings.json").read_text())["time_zone"] == "Europe/Berlin"
    # stored: the workspace keeps it on a computer in another zone
    monkeypatch.setenv("TZ", "America/Los_Angeles")
    with Workspace.open(tmp_path / "ws") as ws:
        assert ws.settings.time_zone == "Europe/Berlin"
    # Stored before the database exists: a process killed as it creates the database must not
    # leave one whose settings name no zone (read as UTC from then on).
    def killed(self: Workspace) -> None:
        assert not self.db_path.exists()
        raise SystemExit("killed")

    monkeypatch.setattr(Workspace, "_connect", killed)
    with pytest.raises(SystemExit):
        Workspace.open(tmp_path / "other")
    assert json.loads((tmp_path / "other" / "settings.json").read_text())["time_zone"] == (
        "America/Los_Angeles")


def test_a_workspace_whose_settings_name_no_zone_keeps_utc(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Made before the setting existed: its numbers must not change by themselves."""
    import json

    with Workspace.open(tmp_path / "ws"):
        pass
    settings = tmp_path / "ws" / "settings.json"
    data = json.loads(settings.read_text())
    del data["time_zone"]
    settings.write_text(json.dumps(data))
    monkeypatch.setenv("TZ", "Europe/Berlin")
    with Workspace.open(tmp_path / "ws") as ws:
        assert ws.settings.time_zone == "UTC"
    settings.unlink()  # no settings file at all: the same
    with Workspace.open(tmp_path / "ws") as ws:
        assert ws.settings.time_zone == "UTC"
    assert not settings.exists()


def test_the_computers_time_zone_is_read_from_tz_or_falls_back_to_utc(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from shoplytics_desktop.core import settings

    monkeypatch.setenv("TZ", ":America/Los_Angeles")
    assert settings.computer_time_zone() == "America/Los_Angeles"
    monkeypatch.setenv("TZ", "Etc/UTC")
    assert settings.computer_time_zone() == "UTC"
    monkeypatch.delenv("TZ")
    monkeypatch.setattr(settings.os.path, "realpath", lambda p: "/usr/share/zoneinfo/Asia/Tokyo")
    assert settings.computer_time_zone() == "Asia/Tokyo"
    monkeypatch.setattr(settings.os.path, "realpath", lambda p: "/nowhere")
    monkeypatch.setattr(settings.Path, "read_text", lambda *a, **k: "Not/A_Zone\n")
    assert settings.computer_time_zone() in settings.available_time_zones()


def test_time_zone_names_are_checked_and_spelled_as_the_database_does() -> None:
    from shoplytics_desktop.core.settings import SettingsError, WorkspaceSettings, validated

    assert WorkspaceSettings(time_zone="europe/berlin").time_zone == "Europe/Berlin"
    assert WorkspaceSettings(time_zone=" utc ").time_zone == "UTC"
    assert WorkspaceSettings(time_zone="").time_zone == "UTC"
    assert validated({"time_zone": "Asia/Kolkata"}).time_zone == "Asia/Kolkata"
    for bad in ("Mars/Olympus_Mons", "../../etc/passwd", "localtime", "UTC+2", 5):
        with pytest.raises(SettingsError) as e:
            WorkspaceSettings(time_zone=bad)
        assert e.value.problems[0][0] == "time_zone"


def test_the_command_line_changes_the_zone_and_says_the_next_run_uses_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from shoplytics_desktop.cli import main

    w = ["-w", str(tmp_path / "ws")]
    assert main(["settings", *w, "time_zone=america/los_angeles"]) == 0
    out, err = capsys.readouterr()
    assert "time_zone = America/Los_Angeles" in out
    assert "America/Los_Angeles" in err and "next `shoplytics run`" in err
    assert main(["settings", *w, "time_zone=Atlantis/Capital"]) == 1
    assert "time_zone" in capsys.readouterr().err
    with Workspace.open(tmp_path / "ws") as ws:
        assert ws.settings.time_zone == "America/Los_Angeles"


def test_the_command_line_says_what_a_currency_or_timeout_change_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from shoplytics_desktop.cli import main

    w = ["-w", str(tmp_path / "ws")]
    assert main(["settings", *w, "currency=eur", "session_timeout_minutes=45"]) == 0
    err = capsys.readouterr().err
    assert "Prices without a currency of their own are now in EUR" in err
    assert "now end after 45 minutes" in err
    assert main(["settings", *w, "currency=EUR"]) == 0  # the same value again: nothing to say
    assert "now in EUR" not in capsys.readouterr().err
    assert main(["settings", *w, "time_zone"]) == 1
    assert "'time_zone' is not KEY=VALUE" in capsys.readouterr().err


def test_views_read_outside_a_run_follow_the_settings(tmp_path: Path) -> None:
    """stg_events is a view: a query, an export or the drill-through reads it outside any run,
    and its local days, currency and derived sessions must be the run's. One event at
    2024-03-05 04:50 UTC without a currency, in New York (2024-03-04 23:50 local), in a EUR
    workspace; events 10:00, 10:30 and 11:00:01 of u2 with a 90-minute timeout: one session."""
    events = [_ev("a1", "2024-03-05 04:50:00", "page_view", "u1", "s1"),
              *(_ev(f"b{i}", f"2024-03-04 {t}", "page_view", "u2")
                for i, t in enumerate(["10:00:00", "10:30:00", "11:00:01"]))]
    with Workspace.open(tmp_path / "ws") as ws:
        _load(ws, events)
        ws.settings.currency = "EUR"
        ws.settings.session_timeout_minutes = 90
        ws.settings.time_zone = "America/New_York"
        ws.save_settings()
        assert run_project(ws).published
    sql = ("select event_id, cast(event_date as varchar), currency, session_key "
           "from staging.stg_events order by 1")
    expected = [("a1", "2024-03-04", "EUR", "u1|s1"),
                *((f"b{i}", "2024-03-04", "EUR", "u2|auto-20240304T100000") for i in range(3))]
    # A reader that never ran anything (the command line's query and export).
    with Workspace.open(tmp_path / "ws", read_only=True) as ro:
        assert ro.cursor().execute(sql).fetchall() == expected
        sessions = ro.cursor().execute(
            "select session_key from intermediate.int_sessions where user_id = 'u2'").fetchall()
        assert sessions == [("u2|auto-20240304T100000",)]
    # A changed setting reaches the cursor already open (the app's, after the settings dialog).
    with Workspace.open(tmp_path / "ws") as ws:
        assert ws.cursor().execute(sql).fetchall() == expected
        ws.settings.time_zone = "UTC"
        assert ws.cursor().execute(sql).fetchall()[0][1] == "2024-03-05"
