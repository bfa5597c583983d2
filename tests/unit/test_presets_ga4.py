"""The GA4 BigQuery export preset, on a fixture written from the export schema.

tests/fixtures/presets/ga4/events_20250511.ndjson holds 25 events of three users on 2025-05-11
(event_timestamp in µs as strings, as BigQuery's JSON extract writes INT64):

- A (user_id cust-42, pseudo 1180203456.1746950000, desktop, United Kingdom, organic),
  session 1746954000: session_start, page_view, view_item_list (2 items: impressions, one row),
  view_item SKU-1, add_to_cart SKU-1 ×2, begin_checkout, add_payment_info, purchase T-1001
  (SKU-1 40.00 × 2 + SKU-2 7.75 × 2, GBP: two lines); session 1746982800: session_start,
  refund T-1001 (SKU-2 7.75 × 1, GBP).
- B (anonymous 2099887766.1746960000, mobile, Germany, collected medium cpc), session
  1746961200: session_start, page_view, view_search_results, view_item SKU-3, add_to_cart,
  remove_from_cart, add_to_cart, purchase T-1002 (SKU-3 120.00 × 1 + SKU-4 4.99 × 3, EUR: two
  lines), user_engagement.
- C (anonymous 3055.1746970000, tablet, geo "(not set)"), sessions 1746964800 (first_visit,
  session_start, page_view, scroll) and 1746975600 (session_start, page_view).

Rows: 25 events, the two purchases exploded into two lines each → 27.
Types: page_view = A page_view, A view_item_list, B page_view, C page_view ×2 = 5;
product_view = 2 (view_item A, B); search = 1; add_to_cart = 1 (A) + 2 (B) = 3;
remove_from_cart = 1; begin_checkout = begin_checkout + add_payment_info = 2;
purchase = 4 lines; refund = 1; other = session_start ×5 + first_visit + scroll +
user_engagement = 8. 5+2+1+3+1+2+4+1+8 = 27.
Users: cust-42, B's and C's pseudo ids = 3. Sessions: A 2, B 1, C 2 = 5 (user_pseudo_id +
ga_session_id). Orders: T-1001, T-1002 = 2.
Revenue: GBP 40.00×2 + 7.75×2 = 80.00 + 15.50 = 95.50; EUR 120.00×1 + 4.99×3 = 120.00 + 14.97
= 134.97. Refunds: GBP 7.75. Units: 2+2+1+3 = 8. Product lines: 4.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from shoplytics_desktop.core.workspace import Workspace
from tests.unit.presetcheck import PRESETS, import_file, numbers, run_publishes, shuffled

FIXTURE = PRESETS / "ga4" / "events_20250511.ndjson"
TYPES = {"page_view": 5, "product_view": 2, "search": 1, "add_to_cart": 3,
         "remove_from_cart": 1, "begin_checkout": 2, "purchase": 4, "refund": 1, "other": 8}


def _check(ws: Path) -> None:
    n = numbers(ws)
    assert n.events == 27
    assert n.types == TYPES
    assert (n.users, n.sessions, n.orders, n.units, n.lines) == (3, 5, 2, 8, 4)
    assert n.revenue == {"GBP": Decimal("95.50"), "EUR": Decimal("134.97")}
    assert n.refunds == {"GBP": Decimal("7.75")}


def test_ga4_ndjson_numbers_and_dimensions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ws = tmp_path / "ws"
    out = import_file(ws, FIXTURE, capsys)
    assert "Recognised as Google Analytics 4 BigQuery export (preset ga4)" in out
    # 25 source lines; the purchases and the refund give one event per item.
    assert "25 rows read, giving 27 events: 27 loaded, 0 duplicate, 0 rejected" in out
    _check(ws)
    with Workspace.open(ws, read_only=True) as w:
        con = w.cursor()
        dims = con.execute(
            "SELECT DISTINCT user_id, device, country, traffic_source FROM raw.events ORDER BY 1"
        ).fetchall()
        # A is signed in on every event, so A's pseudo id is never the user.
        assert dims == [
            ("2099887766.1746960000", "mobile", "DE", "cpc"),
            ("3055.1746970000", "tablet", "XX", "(none)"),
            ("cust-42", "desktop", "GB", "organic"),
        ]
        # µs precision kept; session = pseudo id + ga_session_id; line fields from the item.
        row = con.execute(
            "SELECT CAST(event_time AS VARCHAR), session_id, product_id, category, brand, "
            "quantity, properties ->> '$.item_name' FROM raw.events "
            "WHERE order_id = 'T-1002' AND product_id = 'SKU-4'"
        ).fetchone()
        assert row == ("2025-05-11 11:08:00.000123", "2099887766.1746960000:1746961200",
                       "SKU-4", "Accessories", "Trail", 3, "Boot Laces")


def test_ga4_shuffled_gives_the_same_numbers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ws = tmp_path / "ws"
    import_file(ws, shuffled(FIXTURE, tmp_path / "events.ndjson", header=False), capsys)
    _check(ws)


def test_ga4_parquet_with_integer_timestamps(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pq = tmp_path / "events_20250511.parquet"
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT * REPLACE (CAST(event_timestamp AS BIGINT) AS event_timestamp) "
        f"FROM read_json('{FIXTURE}', format='newline_delimited')) TO '{pq}' (FORMAT parquet)"
    )
    con.close()
    ws = tmp_path / "ws"
    out = import_file(ws, pq, capsys)
    assert "(preset ga4)" in out
    _check(ws)


def test_ga4_reimport_adds_nothing_and_run_publishes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = tmp_path / "ws"
    import_file(ws, FIXTURE, capsys)
    # The same events in another file (another fingerprint): every row is a duplicate.
    copy = shuffled(FIXTURE, tmp_path / "again.ndjson", header=False, seed=3)
    out = import_file(ws, copy, capsys)
    assert "0 loaded, 27 duplicate" in out
    _check(ws)
    run_publishes(ws, capsys)
    with Workspace.open(ws, read_only=True) as w:
        orders = w.cursor().execute(
            "SELECT order_id, items, units FROM marts.fct_orders ORDER BY 1").fetchall()
    assert orders == [("T-1001", 2, 4), ("T-1002", 2, 4)]
