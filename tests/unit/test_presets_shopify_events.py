"""The Shopify customer-events (web pixel) preset, on JSON lines written from Shopify's Web
Pixels API standard events (product_viewed, product_added_to_cart, checkout_completed …).

shopify/customer_events.jsonl, 18 lines (times 2025-05-11 UTC unless said):
  client c1 (Windows → desktop, USD): page_viewed; collection_viewed (→ page_view);
    product_viewed Linen Shirt (product 9001, variant 40001) 40.00; product_added_to_cart shirt
    × 2; search_submitted "socks"; product_viewed Wool Socks (9002) 7.50; added × 1; removed
    × 1; cart_viewed (→ page_view); checkout_started and payment_info_submitted
    (→ begin_checkout, one event each: only a completed checkout's line items are lines);
    checkout_completed order 5551234001: shirt 40.00 × 2 + Gift Wrap (9003) 5.00 × 1 = 85.00
    USD, 2 lines; the pixel delivered it twice (same id): 2 duplicate lines.
  client c2 (iPhone → mobile, CAD): product_viewed Toque (9004) 25.00; added × 1;
    checkout_completed order 5551234002: toque 25.00 × 1 with a 5.00 code discount (the line
    costs 20.00; revenue is the unit price × quantity, the discount a property) = 25.00 CAD.
  client c3 (iPad → tablet, 2025-05-12): page_viewed; a custom newsletter_signup (→ other).
Events 20 from 18 lines: 18 loaded, 2 duplicate. Types: page_view 4 (c1 ×3, c3), product_view 3,
add_to_cart 3, remove_from_cart 1, search 1, begin_checkout 2, purchase 3, other 1 = 18.
Users 3 (clientIds); sessions 0 (none in the source: derived by the models); orders 2;
revenue USD 85.00, CAD 25.00; units 2 + 1 + 1 = 4; lines 3; refunds none.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from shoplytics_desktop.core.workspace import Workspace
from tests.unit.presetcheck import PRESETS, import_file, numbers, run_publishes, shuffled

FIXTURE = PRESETS / "shopify" / "customer_events.jsonl"


def _check(ws: Path) -> None:
    n = numbers(ws)
    assert n.types == {"page_view": 4, "product_view": 3, "add_to_cart": 3, "remove_from_cart": 1,
                       "search": 1, "begin_checkout": 2, "purchase": 3, "other": 1}
    assert (n.events, n.users, n.sessions, n.orders, n.units, n.lines) == (18, 3, 0, 2, 4, 3)
    assert n.revenue == {"USD": Decimal("85.00"), "CAD": Decimal("25.00")}
    assert n.refunds == {}
    with Workspace.open(ws, read_only=True) as w:
        con = w.cursor()
        assert con.execute(
            "SELECT event_id, product_id, price, quantity, category, brand, device, "
            "properties ->> '$.sku', properties ->> '$.line_total' FROM raw.events "
            "WHERE event_type = 'purchase' ORDER BY 1").fetchall() == [
            ("sh-c1-012#1", "9001", Decimal("40.00"), 2, "Shirts", "Acme", "desktop", "SHIRT-M", "80.0"),
            ("sh-c1-012#2", "9003", Decimal("5.00"), 1, "Service", "Acme", "desktop", "WRAP", "5.0"),
            ("sh-c2-003#1", "9004", Decimal("25.00"), 1, "Hats", "North Co", "mobile", "TOQUE", "20.0")]
        assert con.execute(
            "SELECT DISTINCT device FROM raw.events WHERE event_name = 'newsletter_signup'"
        ).fetchall() == [("tablet",)]
        assert con.execute(
            "SELECT properties ->> '$.discounts_amount' FROM raw.events WHERE order_id = '5551234002'"
        ).fetchall() == [("5.0",)]
        # The checkout's e-mail address is never stored.
        assert con.execute(
            "SELECT count(*) FROM raw.events WHERE contains(CAST(properties AS VARCHAR), '@')"
        ).fetchone() == (0,)


def test_shopify_customer_events(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ws = tmp_path / "ws"
    out = import_file(ws, FIXTURE, capsys)
    assert "(preset shopify_events)" in out
    assert "18 rows read, giving 20 events: 18 loaded, 2 duplicate, 0 rejected" in out
    _check(ws)


def test_shopify_customer_events_shuffled_and_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = tmp_path / "ws"
    import_file(ws, shuffled(FIXTURE, tmp_path / "events.jsonl", header=False), capsys)
    _check(ws)
    run_publishes(ws, capsys)
    with Workspace.open(ws, read_only=True) as w:
        assert w.cursor().execute(
            "SELECT count(*), sum(units) FROM marts.fct_orders").fetchone() == (2, 4)
