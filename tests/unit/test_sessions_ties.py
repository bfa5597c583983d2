"""Events at one instant (METRICS.md §3: they share a session), whatever order the rows come in.

An order export has no event column and no session id: every line is a purchase, and the lines of
one order share the order's timestamp. Sessionizing them must give every line a session, the same
one in every row order, and the run must publish.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from shoplytics_desktop.core.ingest import import_events
from shoplytics_desktop.core.models.runner import run_project
from shoplytics_desktop.core.workspace import Workspace

HEADER = "order_id,order_date,customer_id,sku,quantity,unit_price"
#: Three customers; c1's orders 1001 and 1002 are 20 minutes apart (one session), 1003 two hours
#: later (a second session); c2's two orders share one instant; every order has several lines.
LINES = [
    "1001,2024-03-01 10:00:00,c1,A,1,10.00",
    "1001,2024-03-01 10:00:00,c1,B,2,5.00",
    "1001,2024-03-01 10:00:00,c1,C,1,1.50",
    "1002,2024-03-01 10:20:00,c1,A,1,10.00",
    "1002,2024-03-01 10:20:00,c1,D,3,2.00",
    "1003,2024-03-01 12:20:00,c1,B,1,5.00",
    "1003,2024-03-01 12:20:00,c1,C,1,1.50",
    "2001,2024-03-02 08:00:00,c2,A,1,10.00",
    "2001,2024-03-02 08:00:00,c2,B,1,5.00",
    "2002,2024-03-02 08:00:00,c2,C,4,1.50",
    "2002,2024-03-02 08:00:00,c2,D,1,2.00",
    "3001,2024-03-03 23:59:59,c3,A,1,10.00",
    "3001,2024-03-03 23:59:59,c3,A,1,10.00",  # the same line twice: one event (same hash)
]


def _rows_in_order(order: list[int]) -> str:
    return "\n".join([HEADER, *(LINES[i] for i in order)]) + "\n"


def _run(tmp_path: Path, name: str, order: list[int]) -> dict[str, Any]:
    src = tmp_path / f"{name}.csv"
    src.write_text(_rows_in_order(order))
    with Workspace.open(tmp_path / name) as ws:
        v = import_events(ws, [src]).validation
        assert v is not None and (v.rows_loaded, v.rows_duplicate) == (12, 1)
        result = run_project(ws)
        assert result.published, result.message
        failing = {t.test_id: t.failing_rows for t in result.tests if t.status != "pass"}
        assert failing == {}
        cur = ws.cursor()
        return {
            "events": cur.execute(
                "select event_id, session_key from staging.stg_events order by event_id"
            ).fetchall(),
            "sessions": cur.execute(
                "select user_id, session_id, session_start, session_end, events, purchases, revenue "
                "from intermediate.int_sessions order by all"
            ).fetchall(),
            "orders": cur.execute(
                "select order_id, user_id, session_id, order_time, items, units, revenue "
                "from marts.fct_orders order by all"
            ).fetchall(),
            "funnel": cur.execute("select * from marts.fct_funnel order by all").fetchall(),
        }


@pytest.mark.parametrize("seed", [1, 2])
def test_an_order_export_with_lines_at_one_instant_in_any_row_order(tmp_path: Path, seed: int) -> None:
    natural = list(range(len(LINES)))
    shuffled = natural[:]
    random.Random(seed).shuffle(shuffled)
    first = _run(tmp_path, "natural", natural)
    assert all(key is not None for _, key in first["events"])
    # By hand: c1 has sessions at 10:00 (orders 1001, 1002: 5 lines) and 12:20 (1003: 2 lines),
    # c2 one at 08:00 (4 lines), c3 one (1 line).
    assert [(u, s, n) for u, s, _, _, n, _, _ in first["sessions"]] == [
        ("c1", "auto-20240301T100000", 5),
        ("c1", "auto-20240301T122000", 2),
        ("c2", "auto-20240302T080000", 4),
        ("c3", "auto-20240303T235959", 1),
    ]
    assert [(o, s, n, str(r)) for o, _, s, _, n, _, r in first["orders"]] == [
        ("1001", "auto-20240301T100000", 3, "21.50"),
        ("1002", "auto-20240301T100000", 2, "16.00"),
        ("1003", "auto-20240301T122000", 2, "6.50"),
        ("2001", "auto-20240302T080000", 2, "15.00"),
        ("2002", "auto-20240302T080000", 2, "8.00"),
        ("3001", "auto-20240303T235959", 1, "10.00"),
    ]
    # No product_view, add_to_cart or begin_checkout anywhere: the funnel is sessions → purchase.
    assert [(str(r[0]), *r[4:]) for r in first["funnel"]] == [
        ("2024-03-01", 2, 2, 2, 2, 2, 2),
        ("2024-03-02", 1, 1, 1, 1, 1, 1),
        ("2024-03-03", 1, 1, 1, 1, 1, 1),
    ]
    for name, order in (("reversed", natural[::-1]), ("shuffled", shuffled)):
        assert _run(tmp_path, name, order) == first, name


def _big_export(rows: int) -> list[str]:
    """Orders of 2–6 lines at one instant each, three orders a day per customer."""
    rng = random.Random(7)
    out = []
    customer = 0
    while len(out) < rows:
        for day in range(1, 4):
            for line in range(rng.randint(2, 6)):
                out.append(f"{customer}-{day},2024-03-0{day} 10:00:00,c{customer},S{line},1,1.00")
        customer += 1
    return out


def test_many_orders_at_one_instant_get_a_session_in_any_row_order(tmp_path: Path) -> None:
    """Enough rows for DuckDB to sort in parallel, where ties come out in any order: a window
    ordered by time alone left some lines without a session (and the run unpublished)."""
    lines = _big_export(40_000)
    results = []
    for seed in (1, 2):
        random.Random(seed).shuffle(lines)
        src = tmp_path / f"orders{seed}.csv"
        src.write_text("\n".join([HEADER, *lines]) + "\n")
        with Workspace.open(tmp_path / f"ws{seed}") as ws:
            import_events(ws, [src])
            result = run_project(ws)
            assert result.published, result.message
            cur = ws.cursor()
            assert cur.execute(
                "select count(*) - count(session_key) from staging.stg_events"
            ).fetchone() == (0,)
            results.append(cur.execute(
                "select session_key, events, revenue from intermediate.int_sessions order by all"
            ).fetchall())
    assert results[0] == results[1]
    assert len(results[0]) == len({line.split(",")[0] for line in lines})  # a session per order


#: A user's first session is the one that starts first; sessions starting at one instant are
#: ordered by session_id. u1's s-b and s-a both start at 10:00 (s-a first by id); s-0 sorts
#: before both but starts later. u2's first session is alone at its instant; two later sessions
#: tie with each other, which must not matter.
FIRST_HEADER = "event_time,event_type,user_id,session_id,country,device,traffic_source"
FIRST_LINES = [
    "2024-03-01 10:00:00,page_view,u1,s-b,DE,mobile,ads",
    "2024-03-01 10:05:00,page_view,u1,s-b,DE,mobile,ads",
    "2024-03-01 10:00:00,page_view,u1,s-a,FR,desktop,email",
    "2024-03-01 11:00:00,page_view,u1,s-0,US,tablet,organic",
    "2024-03-02 09:00:00,page_view,u2,s-z,NL,desktop,direct",
    "2024-03-02 12:00:00,page_view,u2,s-b,BE,mobile,ads",
    "2024-03-02 12:00:00,page_view,u2,s-a,AT,tablet,email",
]


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_a_users_first_session_at_a_shared_instant_is_the_lowest_session_id(
    tmp_path: Path, seed: int
) -> None:
    order = list(range(len(FIRST_LINES)))
    random.Random(seed).shuffle(order)
    src = tmp_path / "events.csv"
    src.write_text("\n".join([FIRST_HEADER, *(FIRST_LINES[i] for i in order)]) + "\n")
    with Workspace.open(tmp_path / "ws") as ws:
        v = import_events(ws, [src]).validation
        assert v is not None and v.rows_loaded == 7
        result = run_project(ws)
        assert result.published, result.message
        rows = ws.cursor().execute(
            "select user_id, first_event_time::varchar, sessions, first_country, first_device, "
            "first_traffic_source from intermediate.int_user_journey order by user_id"
        ).fetchall()
    assert rows == [
        ("u1", "2024-03-01 10:00:00", 3, "FR", "desktop", "email"),
        ("u2", "2024-03-02 09:00:00", 3, "NL", "desktop", "direct"),
    ]
