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


def test_ga4_and_snowplow_state_their_decimal_point() -> None:
    # Machine-written numbers (BigQuery's INT64 as digit strings, JSON numbers): the point is
    # known, and no pass over every exploded item looks for a decimal comma.
    from shoplytics_desktop.core.ingest import inspect_sources, propose_mapping

    for fixture in (FIXTURE, PRESETS / "snowplow" / "atomic_events.csv",
                    PRESETS / "snowplow" / "enriched.tsv"):
        mapping = propose_mapping(inspect_sources([fixture]))
        assert mapping.preset in ("ga4", "snowplow")
        assert mapping.source.decimal == "."


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


def _ga4_row(ts: int, name: str, user: str, session: int, ecommerce: dict[str, object],
             items: list[dict[str, object]]) -> str:
    import json

    return json.dumps({
        "event_date": "20250511", "event_timestamp": str(ts), "event_name": name,
        "user_pseudo_id": user,
        "event_params": [{"key": "ga_session_id", "value": {"int_value": session}},
                         {"key": "currency", "value": {"string_value": "EUR"}}],
        "ecommerce": ecommerce, "items": items,
        "device": {"category": "desktop"}, "geo": {"country": "Germany"},
    })


def test_ga4_order_totals_and_placeholder_transaction_ids(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Items without a price have none: the order's purchase_revenue (or a refund's
    # refund_value) is a line's price only where the event has no items. "(not set)" is GA4's
    # placeholder for a missing transaction id: each such purchase is its session's order.
    t = 1746950400000000  # 2025-05-11 08:00 UTC, in µs
    rows = [
        _ga4_row(t, "purchase", "u1", 1, {"transaction_id": "T9", "purchase_revenue": 20.0},
                 [{"item_id": "p1", "quantity": 2}, {"item_id": "p2", "quantity": 3}]),
        _ga4_row(t + 1, "purchase", "u2", 2, {"transaction_id": "T10", "purchase_revenue": 12.5},
                 []),
        _ga4_row(t + 2, "purchase", "u3", 3, {"transaction_id": "(not set)"},
                 [{"item_id": "p1", "price": 5.0, "quantity": 1}]),
        _ga4_row(t + 3, "purchase", "u4", 4, {"transaction_id": "(not set)"},
                 [{"item_id": "p2", "price": 6.0, "quantity": 1}]),
        _ga4_row(t + 4, "refund", "u1", 1, {"transaction_id": "T9", "refund_value": 8.0},
                 [{"item_id": "p1", "quantity": 1}, {"item_id": "p2", "quantity": 1}]),
    ]
    f = tmp_path / "events_20250511.ndjson"
    f.write_text("\n".join(rows) + "\n")
    ws = tmp_path / "ws"
    import_file(ws, f, capsys, "--preset", "ga4")
    run_publishes(ws, capsys)
    with Workspace.open(ws, read_only=True) as w:
        con = w.cursor()
        lines = con.execute(
            "SELECT event_type, order_id, product_id, CAST(price AS VARCHAR), quantity "
            "FROM raw.events ORDER BY event_time, product_id").fetchall()
        orders = con.execute(
            "SELECT user_id, CAST(revenue AS VARCHAR) FROM marts.fct_orders ORDER BY 1").fetchall()
    assert lines == [
        ("purchase", "T9", "p1", None, 2), ("purchase", "T9", "p2", None, 3),
        ("purchase", "T10", None, "12.50", 1),
        ("purchase", None, "p1", "5.00", 1), ("purchase", None, "p2", "6.00", 1),
        ("refund", "T9", "p1", None, 1), ("refund", "T9", "p2", None, 1),
    ]
    # Four orders (T9, T10 and one per session of the two without an id); T9's items had no
    # price, so it counts 0 (flagged by the warning test on purchase lines without a price).
    assert orders == [("u1", "0.00"), ("u2", "12.50"), ("u3", "5.00"), ("u4", "6.00")]


def test_ga4_the_same_events_as_parquet_after_json_add_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # BigQuery's JSON extract writes INT64 as strings, its Parquet export as numbers: the same
    # events read from both must be the same events (ids hashed alike), not loaded twice.
    pq = tmp_path / "events_20250511.parquet"
    con = duckdb.connect()
    con.execute(
        "COPY (SELECT * REPLACE (CAST(event_timestamp AS BIGINT) AS event_timestamp, "
        "list_transform(event_params, lambda p: struct_pack(key := p.key, value := struct_pack("
        "int_value := TRY_CAST(p.value.int_value AS BIGINT), string_value := p.value.string_value, "
        "double_value := p.value.double_value))) AS event_params) "
        f"FROM read_json('{FIXTURE}', format='newline_delimited')) TO '{pq}' (FORMAT parquet)"
    )
    kinds = con.execute(f"SELECT typeof(event_params[1].value.int_value) FROM '{pq}' LIMIT 1"
                        ).fetchone()
    con.close()
    assert kinds == ("BIGINT",)
    ws = tmp_path / "ws"
    import_file(ws, FIXTURE, capsys)
    out = import_file(ws, pq, capsys)
    assert "nothing new" in out
    _check(ws)


def test_ga4_a_sign_in_mid_session_keeps_one_session(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GA4's session is user_pseudo_id + ga_session_id: a visitor who views and carts
    # anonymously, then signs in and buys, is one user in one session that reached purchase.
    import json

    t = 1746950400000000
    rows = []
    for i, (name, user) in enumerate([("view_item", None), ("add_to_cart", None),
                                      ("purchase", "cust-1")]):
        rows.append(json.loads(_ga4_row(t + i * 60_000_000, name, "p1", 1,
                                        {"transaction_id": "T1"} if name == "purchase" else {},
                                        [{"item_id": "SKU-1", "price": 10.0, "quantity": 1}])))
        rows[-1]["user_id"] = user
    f = tmp_path / "events_20250511.ndjson"
    f.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    ws = tmp_path / "ws"
    import_file(ws, f, capsys, "--preset", "ga4")
    run_publishes(ws, capsys)
    with Workspace.open(ws, read_only=True) as w:
        con = w.cursor()
        users = con.execute("SELECT DISTINCT user_id FROM raw.events").fetchall()
        funnel = con.execute("SELECT sum(sessions), sum(product_view_sessions), "
                             "sum(add_to_cart_sessions), sum(purchase_sessions) "
                             "FROM marts.fct_funnel").fetchone()
    assert users == [("cust-1",)]
    assert funnel == (1, 1, 1, 1)
