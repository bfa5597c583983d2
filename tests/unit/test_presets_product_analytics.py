"""The Amplitude and Mixpanel export presets, on small JSON-lines fixtures written from their
export formats.

amplitude/export.json: dev-1 (u1 once identified) in session 1746957600000 (ms): a page view,
Product Viewed P1 12.50, [Amplitude] Revenue ($productId P1, $price 12.50, $quantity 2, EUR)
→ revenue EUR 25.00; dev-2: custom_ping outside a session (session_id -1 → no session).
Users: u1 (dev-1's page view before the identify is u1's: the same amplitude_id), dev-2 = 2;
sessions: u1's one session (dev-1's events share its source id) = 1. Countries DE, FR (names → codes). Devices: dev-1 is a Mac (device_family)
browsing with Chrome (os_name, a browser on the web) → desktop; dev-2 an Apple iPad (os ios)
→ tablet, though its platform says iOS.

mixpanel/export.json: $device:abc views a page and adds P9 (3.00) to the cart; cust-9 buys
P9 3.00 × 2 (order o-1, GBP) → revenue GBP 6.00; times in epoch seconds (10:00, 10:01, 10:02).

mixpanel/ecommerce.json, 6 lines (2025-05-11 UTC): $device:d1 (Windows → desktop, DE) views a
page (k1), views P1 10.00 EUR (k2), adds P1 × 2 (k3); as u-5 buys order o-77 (k4) with
products[] P1 10.00 × 2 + P2 4.50 × 1 → 2 lines, 24.50 EUR; refunds P2 4.50 × 1 on 2025-05-12
(k5, products[] → one refund line). $device:d9 ($device iPhone → mobile, US) buys o-78 with
no products array: its own P3 7.00 × 3 = 21.00 USD, one line. 7 events from 6 lines; types
page_view 1, product_view 1, add_to_cart 1, purchase 3, refund 1; users 3; orders 2; revenue
EUR 24.50, USD 21.00; refunds EUR 4.50; units 2 + 1 + 3 = 6.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from shoplytics_desktop.core.workspace import Workspace
from tests.unit.presetcheck import PRESETS, import_file, numbers, run_publishes, shuffled


@pytest.mark.parametrize("shuffle", [False, True])
def test_amplitude(tmp_path: Path, capsys: pytest.CaptureFixture[str], shuffle: bool) -> None:
    src = PRESETS / "amplitude" / "export.json"
    if shuffle:
        src = shuffled(src, tmp_path / "export.json", header=False)
    out = import_file(tmp_path / "ws", src, capsys)
    assert "(preset amplitude)" in out
    n = numbers(tmp_path / "ws")
    assert n.types == {"page_view": 1, "product_view": 1, "purchase": 1, "other": 1}
    assert (n.users, n.sessions, n.units, n.lines) == (2, 1, 2, 1)
    assert n.revenue == {"EUR": Decimal("25.00")}
    with Workspace.open(tmp_path / "ws", read_only=True) as w:
        # A row's uuid is its event id.
        assert w.cursor().execute(
            "SELECT session_id, country FROM raw.events WHERE event_id = "
            "'6f1c2b7e-0a4d-4e8b-9c3f-000000000004'").fetchone() == (None, "FR")
        assert dict(w.cursor().execute(
            "SELECT right(event_id, 1), device FROM raw.events").fetchall()) == {
            "1": "desktop", "2": "desktop", "3": "desktop", "4": "tablet"}


def test_amplitude_parquet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The same events as a Parquet export (a warehouse or S3 copy): the same numbers.
    import duckdb

    dest = tmp_path / "export.parquet"
    src = PRESETS / "amplitude" / "export.json"
    duckdb.sql(f"COPY (SELECT * FROM read_json('{src}', format='newline_delimited')) "
               f"TO '{dest}' (FORMAT parquet)")
    out = import_file(tmp_path / "ws", dest, capsys)
    assert "(preset amplitude)" in out and "4 loaded, 0 duplicate, 0 rejected" in out
    n = numbers(tmp_path / "ws")
    assert n.types == {"page_view": 1, "product_view": 1, "purchase": 1, "other": 1}
    assert (n.users, n.sessions, n.units, n.lines) == (2, 1, 2, 1)
    assert n.revenue == {"EUR": Decimal("25.00")}


@pytest.mark.parametrize("shuffle", [False, True])
def test_mixpanel(tmp_path: Path, capsys: pytest.CaptureFixture[str], shuffle: bool) -> None:
    src = PRESETS / "mixpanel" / "export.json"
    if shuffle:
        src = shuffled(src, tmp_path / "export.json", header=False)
    out = import_file(tmp_path / "ws", src, capsys)
    assert "(preset mixpanel)" in out
    n = numbers(tmp_path / "ws")
    assert n.types == {"page_view": 1, "add_to_cart": 1, "purchase": 1}
    assert (n.users, n.orders, n.units) == (2, 1, 2)
    assert n.revenue == {"GBP": Decimal("6.00")}
    with Workspace.open(tmp_path / "ws", read_only=True) as w:
        assert w.cursor().execute(
            "SELECT CAST(max(event_time) AS VARCHAR) FROM raw.events").fetchone() == (
            "2025-05-11 10:02:00",)


def _amplitude_event(insert_id: str, n: int, minute: int, kind: str, props: dict[str, object]) -> str:
    """One line of an Amplitude export: user u<n> on device dev-<n>, 12:0<minute> on 2025-05-11."""
    import json

    return json.dumps({"$insert_id": insert_id, "amplitude_id": n, "device_id": f"dev-{n}",
                       "user_id": f"u{n}", "event_type": kind,
                       "event_time": f"2025-05-11 12:0{minute}:00.000000",
                       "session_id": 1746964800000, "country": "Germany", "platform": "Web",
                       "event_properties": props})

def test_amplitude_revenue_only_and_refunds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Amplitude's revenue: $price × $quantity, or $revenue where no price is sent; either is
    # negative for a refund ($revenueType refund).
    def ev(i: int, kind: str, props: dict[str, object]) -> str:
        return _amplitude_event(f"r{i}", 7, i, kind, props)

    src = tmp_path / "revenue.json"
    src.write_text("\n".join([
        ev(1, "[Amplitude] Revenue", {"$productId": "P1", "$price": 25.0, "$quantity": 2,
                                      "order_id": "A1", "currency": "EUR"}),
        ev(2, "Order Completed", {"order_id": "A2", "$revenue": 49.0, "$revenueType": "purchase",
                                  "currency": "EUR"}),
        ev(3, "[Amplitude] Revenue", {"$productId": "P1", "$price": -25.0, "$quantity": 1,
                                      "$revenueType": "refund", "order_id": "A1", "currency": "EUR"}),
        ev(4, "Order Refunded", {"order_id": "A2", "$revenue": -49.0, "$revenueType": "refund",
                                 "currency": "EUR"}),
    ]) + "\n")
    out = import_file(tmp_path / "ws", src, capsys)
    assert "(preset amplitude)" in out and "0 rejected" in out
    n = numbers(tmp_path / "ws")
    assert n.revenue == {"EUR": Decimal("99.00")}  # 25 × 2 + 49
    assert n.refunds == {"EUR": Decimal("74.00")}  # 25 + 49


def test_amplitude_orders_with_their_products(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Order Completed with event_properties.products (as Segment's Amplitude destination sends
    # it): a line per product, its $revenue not counted again; an order without products is one
    # line of its $revenue; a refund's products are its refund lines; a cart view's products
    # are not lines. Revenue USD 10 × 2 + 22 + 15 = 57; refunds USD 22; lines 3.
    def ev(i: int, kind: str, props: dict[str, object]) -> str:
        return _amplitude_event(f"o{i}", 8, i, kind, props)

    two = [{"product_id": "P1", "price": 10.0, "quantity": 2, "category": "Toys"},
           {"product_id": "P2", "price": 22.0, "quantity": 1, "category": "Books"}]
    src = tmp_path / "orders.json"
    src.write_text("\n".join([
        ev(1, "Cart Viewed", {"products": two}),
        ev(2, "Order Completed", {"order_id": "B1", "$revenue": 42.0, "currency": "USD",
                                  "products": two}),
        ev(3, "Order Completed", {"order_id": "B2", "$revenue": 15.0, "currency": "USD"}),
        ev(4, "Order Refunded", {"order_id": "B1", "currency": "USD",
                                 "products": [{"product_id": "P2", "price": 22.0, "quantity": 1}]}),
    ]) + "\n")
    out = import_file(tmp_path / "ws", src, capsys)
    assert "(preset amplitude)" in out and "0 rejected" in out
    n = numbers(tmp_path / "ws")
    assert n.revenue == {"USD": Decimal("57.00")}
    assert n.refunds == {"USD": Decimal("22.00")}
    assert (n.lines, n.units, n.orders) == (3, 4, 2)
    assert n.types == {"page_view": 1, "purchase": 3, "refund": 1}  # a cart view is a page view
    with Workspace.open(tmp_path / "ws", read_only=True) as w:
        assert sorted(w.cursor().execute(
            "SELECT order_id, product_id, category FROM raw.events WHERE event_type = 'purchase'"
        ).fetchall(), key=str) == [("B1", "P1", "Toys"), ("B1", "P2", "Books"), ("B2", None, None)]

def test_mixpanel_times_in_milliseconds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The Export API's time_in_ms writes properties.time in milliseconds: the same events.
    import json

    src = tmp_path / "export_ms.json"
    lines = (PRESETS / "mixpanel" / "export.json").read_text().splitlines()
    rows = [json.loads(line) for line in lines if line.strip()]
    for r in rows:
        r["properties"]["time"] *= 1000
    src.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    out = import_file(tmp_path / "ws", src, capsys)
    assert "(preset mixpanel)" in out
    n = numbers(tmp_path / "ws")
    assert n.revenue == {"GBP": Decimal("6.00")}
    with Workspace.open(tmp_path / "ws", read_only=True) as w:
        assert w.cursor().execute(
            "SELECT CAST(max(event_time) AS VARCHAR) FROM raw.events").fetchone() == (
            "2025-05-11 10:02:00",)


@pytest.mark.parametrize("shuffle", [False, True])
def test_mixpanel_products(tmp_path: Path, capsys: pytest.CaptureFixture[str], shuffle: bool) -> None:
    src = PRESETS / "mixpanel" / "ecommerce.json"
    if shuffle:
        src = shuffled(src, tmp_path / "ecommerce.json", header=False)
    out = import_file(tmp_path / "ws", src, capsys)
    assert "(preset mixpanel)" in out
    assert "6 rows read, giving 7 events: 7 loaded, 0 duplicate, 0 rejected" in out
    n = numbers(tmp_path / "ws")
    assert n.types == {"page_view": 1, "product_view": 1, "add_to_cart": 1, "purchase": 3,
                       "refund": 1}
    assert (n.events, n.users, n.orders, n.units, n.lines) == (7, 3, 2, 6, 3)
    assert n.revenue == {"EUR": Decimal("24.50"), "USD": Decimal("21.00")}
    assert n.refunds == {"EUR": Decimal("4.50")}
    with Workspace.open(tmp_path / "ws", read_only=True) as w:
        # The id: Mixpanel's deduplication key (insert id, event, distinct_id, time), a line
        # of an order numbered after it.
        assert w.cursor().execute(
            "SELECT event_id, product_id, category, brand, device FROM raw.events "
            "WHERE event_type IN ('purchase', 'refund') ORDER BY 1").fetchall() == [
            ("k4|Purchase|u-5|1746957900#1", "P1", "Books", None, "desktop"),
            ("k4|Purchase|u-5|1746957900#2", "P2", "Stationery", "Paperly", "desktop"),
            ("k5|Refund|u-5|1747040400#1", "P2", None, None, "desktop"),
            ("k6|Purchase|$device:d9|1746961200", "P3", None, None, "mobile")]
    if shuffle:
        run_publishes(tmp_path / "ws", capsys)


def test_amplitude_insert_ids_are_per_device(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Without a uuid, an event is its insert id on its device: Amplitude deduplicates per
    # device or user, so two devices' events may share an insert id and are two events; a
    # line exported twice (a backfill) is one.
    page = _amplitude_event("x1", 1, 1, "[Amplitude] Page Viewed", {})
    src = tmp_path / "no_uuid.json"
    src.write_text("\n".join([page, page, _amplitude_event("x1", 2, 1, "[Amplitude] Page Viewed", {})]) + "\n")
    out = import_file(tmp_path / "ws", src, capsys)
    assert "(preset amplitude)" in out and "2 loaded, 1 duplicate, 0 rejected" in out
    with Workspace.open(tmp_path / "ws", read_only=True) as w:
        assert sorted(r[0] for r in w.cursor().execute("SELECT event_id FROM raw.events").fetchall()) == [
            "dev-1|x1", "dev-2|x1"]


def test_mixpanel_deduplicates_by_its_four_fields(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Mixpanel's raw export is not deduplicated; a duplicate is an event whose name, distinct_id,
    # time and $insert_id are another's, whatever its other properties. An insert id reused on
    # another event (another name, another user) is another event.
    import json

    def ev(name: str, user: str, **extra: object) -> str:
        props = {"time": 1746957600, "distinct_id": user, "$insert_id": "same", "product_id": "P1",
                 "mp_country_code": "DE", **extra}
        return json.dumps({"event": name, "properties": props})

    src = tmp_path / "mixpanel.json"
    src.write_text("\n".join([
        ev("Product Viewed", "u1", **{"$city": "Berlin", "mp_processing_time_ms": 1}),
        ev("Product Viewed", "u1", **{"$city": "Munich", "mp_processing_time_ms": 2}),
        ev("Product Added", "u1"),
        ev("Product Viewed", "u2"),
    ]) + "\n")
    out = import_file(tmp_path / "ws", src, capsys)
    assert "(preset mixpanel)" in out and "3 loaded, 1 duplicate, 0 rejected" in out
    n = numbers(tmp_path / "ws")
    assert n.types == {"product_view": 2, "add_to_cart": 1}
    assert n.users == 2
    # The next export overlapping this one adds only what is new.
    more = tmp_path / "mixpanel2.json"
    more.write_text("\n".join([ev("Product Viewed", "u2"), ev("Product Viewed", "u3")]) + "\n")
    out = import_file(tmp_path / "ws", more, capsys)
    assert "1 loaded, 1 duplicate, 0 rejected" in out
