"""The Segment / RudderStack preset, on JSON-lines messages written from Segment's Spec and
E-commerce Events v2 (and the v1 names).

tracks.ndjson, 11 lines:
  anon-1: page m1; Product Viewed m2 (P1 19.99); Product Added m3 (P1 × 2); then identified as
  u-100: Checkout Started m4 (its products[] not lines); Order Completed m5 (order 50314b8e,
  USD: P1 19.99 × 2 + P2 8.00 × 1 → two lines), delivered twice (the same messageId: two
  duplicate lines); Order Refunded m10 (P2 8.00 × 1, USD).
  u-200 (v1 names, product "id"): Viewed Product m6 (P3 5.50), Added Product m7, Completed Order
  m8 (order A-77, EUR: P3 5.50 × 4 → one line); identify m9.
Loaded: m1, m2, m3, m4, m5 ×2 lines, m6, m7, m8, m9, m10 = 11 (the repeated m5: 2 duplicates).
Types: page_view 1; product_view 2 (m2, m6); add_to_cart 2 (m3, m7); begin_checkout 1;
purchase 3 lines; refund 1; other 1 (identify) = 11. Users: u-100 (anon-1's events before the
identify are u-100's, as Segment merges them), u-200 = 2.
Orders 2. Revenue USD 39.98 + 8.00 = 47.98, EUR 22.00; refunds USD 8.00; units 2+1+4 = 7.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from shoplytics_desktop.core.workspace import Workspace
from tests.unit.presetcheck import PRESETS, import_file, numbers, run_publishes, shuffled

FIXTURE = PRESETS / "segment" / "tracks.ndjson"


def _check(ws: Path) -> None:
    n = numbers(ws)
    assert n.types == {"page_view": 1, "product_view": 2, "add_to_cart": 2, "begin_checkout": 1,
                       "purchase": 3, "refund": 1, "other": 1}
    assert (n.events, n.users, n.orders, n.units, n.lines, n.sessions) == (11, 2, 2, 7, 3, 0)
    assert n.revenue == {"USD": Decimal("47.98"), "EUR": Decimal("22.00")}
    assert n.refunds == {"USD": Decimal("8.00")}


def test_segment(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ws = tmp_path / "ws"
    out = import_file(ws, FIXTURE, capsys)
    assert "(preset segment)" in out and "11 loaded, 2 duplicate, 0 rejected" in out
    _check(ws)
    with Workspace.open(ws, read_only=True) as w:
        rows = w.cursor().execute(
            "SELECT event_id, product_id, device, country, traffic_source FROM raw.events "
            "WHERE event_type = 'purchase' ORDER BY 1").fetchall()
    assert rows == [("m5#1", "P1", "ios", "US", "email"), ("m5#2", "P2", "ios", "US", "email"),
                    ("m8#1", "P3", "android", "US", "cpc")]


def test_segment_shuffled_and_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ws = tmp_path / "ws"
    import_file(ws, shuffled(FIXTURE, tmp_path / "t.ndjson", header=False), capsys)
    _check(ws)
    run_publishes(ws, capsys)


def test_segment_orders_sent_without_their_products(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # An Order Completed without products is one line of its revenue (else its total); one
    # with products is a line per product, whatever its revenue or total says.
    import json

    def track(i: int, event: str, user: str, props: dict[str, object]) -> str:
        return json.dumps({"messageId": f"m{i}", "type": "track", "event": event,
                           "userId": user, "anonymousId": f"a-{user}",
                           "timestamp": f"2024-03-01T10:0{i}:00Z", "properties": props})

    f = tmp_path / "tracks.ndjson"
    f.write_text("\n".join([
        track(1, "Product Added", "u1", {"product_id": "p1", "price": 10, "quantity": 2}),
        track(2, "Order Completed", "u1", {"order_id": "O1", "total": 99, "revenue": 25,
                                           "currency": "EUR", "products": [
                                               {"product_id": "p1", "price": 10, "quantity": 2},
                                               {"product_id": "p2", "price": 5, "quantity": 1}]}),
        track(3, "Order Completed", "u2", {"order_id": "O2", "revenue": 30, "total": 36,
                                           "currency": "EUR"}),
        track(4, "Order Completed", "u3", {"order_id": "O3", "total": 12.5, "currency": "EUR"}),
    ]) + "\n")
    ws = tmp_path / "ws"
    import_file(ws, f, capsys, "--preset", "segment")
    run_publishes(ws, capsys)
    with Workspace.open(ws, read_only=True) as w:
        orders = w.cursor().execute(
            "SELECT order_id, items, CAST(revenue AS VARCHAR) FROM marts.fct_orders ORDER BY 1"
        ).fetchall()
    assert orders == [("O1", 2, "25.00"), ("O2", 1, "30.00"), ("O3", 1, "12.50")]
