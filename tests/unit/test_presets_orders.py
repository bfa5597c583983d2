"""The Shopify orders export and invoice-line (online-retail) presets, on fixtures written from
the vendors' column lists, with every number worked out by hand below."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from shoplytics_desktop.core.workspace import Workspace
from tests.unit.presetcheck import PRESETS, import_file, numbers, run_publishes, shuffled

SHOPIFY = PRESETS / "shopify" / "orders_export.csv"
SHOPIFY_UPDATED = PRESETS / "shopify" / "orders_export_updated.csv"
INVOICES = PRESETS / "online_retail" / "invoices.csv"

# orders_export.csv (newest first, order-level columns on each order's first line only):
#   #1001 Ann.Lee@Example.com , USD, US, 2025-05-11 09:55:16 -0400: SHIRT-M 40.00 × 2, SOCKS 7.50 × 1
#   #1002 bob@example.org, USD, CA, partially refunded 20.00, code SPRING10: BOOT-42 120.00 × 1
#   #1003 no e-mail (POS), CAD, no country: "Gift Card" (no SKU) 25.00 × 1
#   #1004 ann.lee@example.com (Ann again), USD, US, 08:00 +0200: SOCKS 7.50 × 3,
#         SHIRT-M 40.00 × 1, SOCKS 0.00 × 1 (a free extra pair: the same SKU twice)
# Lines 2+1+1+3 = 7; orders 4; users: Ann (both orders, e-mail case and space ignored), Bob,
# guest:#1003 = 3. Revenue USD: 80.00 + 7.50 + 120.00 + 22.50 + 40.00 + 0.00 = 270.00;
# CAD 25.00. Units (2+1) + 1 + 1 + (3+1+1) = 10.
# Refunds: #1002's Refunded Amount 20.00 USD → one refund event (20.00 × 1), so 8 events;
# net revenue USD 270.00 − 20.00 = 250.00, CAD 25.00.


def _check_shopify(ws: Path) -> None:
    n = numbers(ws)
    assert n.types == {"purchase": 7, "refund": 1}
    assert (n.events, n.users, n.orders, n.units, n.lines, n.sessions) == (8, 3, 4, 10, 7, 0)
    assert n.revenue == {"USD": Decimal("270.00"), "CAD": Decimal("25.00")}
    assert n.refunds == {"USD": Decimal("20.00")}
    assert n.revenue["USD"] - n.refunds["USD"] == Decimal("250.00")
    with Workspace.open(ws, read_only=True) as w:
        assert w.cursor().execute(
            "SELECT event_id, event_name, order_id, product_id, price, quantity, currency, "
            "CAST(event_time AS VARCHAR), properties ->> '$.discount_code' "
            "FROM raw.events WHERE event_type = 'refund'").fetchall() == [
            ("#1002|refund#1", "refund", "#1002", None, Decimal("20.00"), 1, "USD",
             "2025-05-12 22:30:00", "SPRING10")]


def test_shopify_orders(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ws = tmp_path / "ws"
    out = import_file(ws, SHOPIFY, capsys)
    assert "Recognised as Shopify orders export (preset shopify)" in out
    _check_shopify(ws)
    with Workspace.open(ws, read_only=True) as w:
        con = w.cursor()
        # Created at 09:55:16 -0400 is 13:55:16 UTC; #1004's 08:00 +0200 is 06:00 UTC.
        times = con.execute(
            "SELECT order_id, CAST(min(event_time) AS VARCHAR), count(DISTINCT user_id), "
            "any_value(country), any_value(currency) FROM raw.events "
            "WHERE event_type = 'purchase' GROUP BY 1 ORDER BY 1"
        ).fetchall()
        assert times == [("#1001", "2025-05-11 13:55:16", 1, "US", "USD"),
                         ("#1002", "2025-05-12 22:30:00", 1, "CA", "USD"),
                         ("#1003", "2025-05-13 14:00:00", 1, "XX", "CAD"),
                         ("#1004", "2025-05-14 06:00:00", 1, "US", "USD")]
        users = dict(con.execute(
            "SELECT order_id, any_value(user_id) FROM raw.events GROUP BY 1").fetchall())
        assert users["#1001"] == users["#1004"] != users["#1002"]
        assert users["#1003"] == "guest:#1003"
        assert len(users["#1001"]) == 64  # a SHA-256, never the address
        assert con.execute(
            "SELECT count(*) FROM raw.events WHERE contains(CAST(properties AS VARCHAR), '@') "
            "OR contains(user_id, '@')").fetchone() == (0,)
        props = con.execute(
            "SELECT properties ->> '$.refunded_amount', properties ->> '$.discount_code', "
            "properties ->> '$.financial_status' FROM raw.events WHERE order_id = '#1002' "
            "AND event_type = 'purchase'"
        ).fetchone()
        assert props == ("20.00", "SPRING10", "partially_refunded")
        ids = [r[0] for r in con.execute(
            "SELECT event_id FROM raw.events WHERE order_id = '#1004' ORDER BY 1").fetchall()]
        assert ids == ["#1004|SHIRT-M|Linen Shirt - M#1", "#1004|SOCKS|Wool Socks#1",
                       "#1004|SOCKS|Wool Socks#2"]
        # The same SKU twice is numbered in the file's order: the paid pair first, the free
        # pair two lines later.
        socks = con.execute(
            "SELECT event_id, price, quantity, _source_line FROM raw.events "
            "WHERE order_id = '#1004' AND product_id = 'SOCKS' ORDER BY 1").fetchall()
        assert [(i, p, q) for i, p, q, _ in socks] == [
            ("#1004|SOCKS|Wool Socks#1", Decimal("7.50"), 3),
            ("#1004|SOCKS|Wool Socks#2", Decimal("0.00"), 1)]
        assert socks[0][3] < socks[1][3]


def test_shopify_shuffled(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ws = tmp_path / "ws"
    import_file(ws, shuffled(SHOPIFY, tmp_path / "orders.csv", header=True), capsys)
    _check_shopify(ws)


def test_shopify_updated_export_adds_only_new_orders(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The later export has #1002 refunded in full (its status changed) and a new order #1005
    # (SHIRT-M 40.00 × 1, USD): only #1005's line is new; revenue 270.00 + 40.00 = 310.00.
    # 8 source lines give 9 events (#1002's refund among them, already loaded): the refund
    # keeps its first amount, 20.00 (the event id is the order's; see the preset).
    ws = tmp_path / "ws"
    import_file(ws, SHOPIFY, capsys)
    out = import_file(ws, SHOPIFY_UPDATED, capsys)
    assert "8 rows read, giving 9 events: 1 loaded, 8 duplicate, 0 rejected" in out
    n = numbers(ws)
    assert (n.orders, n.lines, n.users) == (5, 8, 4)
    assert n.revenue == {"USD": Decimal("310.00"), "CAD": Decimal("25.00")}
    assert n.refunds == {"USD": Decimal("20.00")}
    run_publishes(ws, capsys)
    with Workspace.open(ws, read_only=True) as w:
        assert w.cursor().execute("SELECT count(*), sum(units) FROM marts.fct_orders").fetchone() == (5, 11)


def test_shopify_voided_orders_are_no_revenue(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Two more orders on top of the fixture: #1005 voided (SHIRT-M 40.00 × 1, SOCKS 7.50 × 2:
    # the payment never captured) and #1006 pending (BOOT-42 120.00 × 1, paid later by bank
    # transfer). #1005's two lines load as events named "voided", of type other; #1006 is a
    # purchase. Revenue USD 270.00 + 120.00 = 390.00; orders 5; other 2.
    lines = SHOPIFY.read_text(encoding="utf-8").splitlines()
    header, first = lines[0].split(","), lines[1].split(",")

    def order(name: str, status: str, sku: str, price: str, qty: str, first_line: bool) -> str:
        row = dict(zip(header, first, strict=True)) if first_line else dict.fromkeys(header, "")
        row.update({"Name": name, "Lineitem sku": sku, "Lineitem name": sku,
                    "Lineitem price": price, "Lineitem quantity": qty})
        if first_line:
            row["Financial Status"] = status
        return ",".join(row[h] for h in header)

    src = tmp_path / "orders.csv"
    src.write_text("\n".join([
        *lines,
        order("#1005", "voided", "SHIRT-M", "40.00", "1", True),
        order("#1005", "voided", "SOCKS", "7.50", "2", False),
        order("#1006", "pending", "BOOT-42", "120.00", "1", True),
    ]) + "\n", encoding="utf-8")
    out = import_file(tmp_path / "ws", src, capsys)
    assert "0 rejected" in out
    n = numbers(tmp_path / "ws")
    assert n.types == {"purchase": 8, "refund": 1, "other": 2}
    assert n.revenue == {"USD": Decimal("390.00"), "CAD": Decimal("25.00")}
    assert n.orders == 5
    with Workspace.open(tmp_path / "ws", read_only=True) as w:
        assert w.cursor().execute(
            "SELECT DISTINCT event_name, order_id FROM raw.events WHERE event_type = 'other'"
        ).fetchall() == [("voided", "#1005")]

# invoices.csv: 14 lines.
# Purchases (12 lines, 7 invoices):
#   536365 (17850, UK): 6×2.55 = 15.30, 6×3.39 = 20.34, 8×2.75 = 22.00 → 57.64, 20 units
#   536366 (17850):     6×1.85 = 11.10, 6 units
#   536370 (12583, France): 24×3.75 = 90.00, POST 3×18 = 54.00 → 144.00, 27 units
#   536414 (no customer → guest:536414): 56×0.00 = 0.00, 56 units
#   536520 (14729, EIRE, 4-digit year): 1×1.25 + 2×2.95 = 7.15, 3 units
#   536544 (no customer → guest:536544): 1×2.51 + 2×2.51 = 7.53, 3 units
#   536532 (12433, Norway, 1/13/11 = 13 January 2011): 12×1.45 = 17.40, 12 units
#   revenue 57.64 + 11.10 + 144.00 + 0 + 7.15 + 7.53 + 17.40 = 244.82; units 127
# Refunds (cancelled invoices, negative quantities): C536379 D 1×27.50, C536391 12×1.65 =
#   19.80 → 47.30. Users: 17850, 12583, 14527, 17548, guest:536414, 14729, guest:536544,
#   12433 = 8.


def _check_invoices(ws: Path) -> None:
    n = numbers(ws)
    assert n.types == {"purchase": 12, "refund": 2}
    assert (n.events, n.users, n.orders, n.units, n.lines) == (14, 8, 7, 127, 12)
    assert n.revenue == {"-": Decimal("244.82")}
    assert n.refunds == {"-": Decimal("47.30")}


def test_invoices(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ws = tmp_path / "ws"
    out = import_file(ws, INVOICES, capsys)
    assert "(preset online_retail)" in out and "0 rejected" in out
    _check_invoices(ws)
    with Workspace.open(ws, read_only=True) as w:
        con = w.cursor()
        rows = con.execute(
            "SELECT order_id, CAST(event_time AS VARCHAR), event_name, quantity, country "
            "FROM raw.events WHERE order_id IN ('C536391', '536520', '536532') ORDER BY 1, 4"
        ).fetchall()
        assert rows == [("536520", "2010-12-01 12:43:00", "purchase", 1, "IE"),
                        ("536520", "2010-12-01 12:43:00", "purchase", 2, "IE"),
                        ("536532", "2011-01-13 15:00:00", "purchase", 12, "NO"),
                        ("C536391", "2010-12-01 10:24:00", "cancellation", 12, "GB")]


def test_invoices_shuffled_and_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ws = tmp_path / "ws"
    import_file(ws, shuffled(INVOICES, tmp_path / "inv.csv", header=True), capsys)
    _check_invoices(ws)
    run_publishes(ws, capsys)
    with Workspace.open(ws, read_only=True) as w:
        assert w.cursor().execute("SELECT count(*) FROM marts.fct_orders").fetchone() == (7,)


def test_invoices_with_iso_dates_and_day_first_dates_late_in_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Online Retail II's CSV writes ISO dates; another export writes day/month/year, with no
    # day above 12 among the first rows: every row settles the order, not the sample.
    head = "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n"
    iso = tmp_path / "retail_ii.csv"
    iso.write_text(head + "489434,85048,LIGHTS,12,2009-12-01 07:45:00,6.95,13085.0,United Kingdom\n"
                   "C489449,22087,BUNTING,-12,2009-12-01 10:33:00,2.95,16321.0,Australia\n")
    import_file(tmp_path / "ws1", iso, capsys)
    n = numbers(tmp_path / "ws1")
    assert n.revenue == {"-": Decimal("83.40")} and n.refunds == {"-": Decimal("35.40")}
    lines = [f"5363{i:02},85123A,HEART,6,{d:02}/12/2010 08:00,2.55,17850,United Kingdom\n"
             for i, d in enumerate(range(1, 12))] * 2
    lines += ["536399,85123A,HEART,6,13/12/2010 08:00,2.55,17850,United Kingdom\n"]
    dmy = tmp_path / "retail_dmy.csv"
    dmy.write_text(head + "".join(lines))
    import_file(tmp_path / "ws2", dmy, capsys)
    with Workspace.open(tmp_path / "ws2", read_only=True) as w:
        got = w.cursor().execute("SELECT min(event_time)::DATE, max(event_time)::DATE, count(*) "
                                 "FROM raw.events").fetchone()
    assert got is not None and (str(got[0]), str(got[1])) == ("2010-12-01", "2010-12-13")


# products_export.csv, Shopify's products export (Products ▸ Export, its documented columns): a
# row per variant, the product's title, vendor, type and category on its first row only, and a
# row for a further image with the handle alone (line 5). Variants: SHIRT-S, SHIRT-M and a size
# L without a SKU (read as its order line names it, "Linen Shirt - L"); SOCKS and the gift card
# have no options ("Default Title": the title alone, as in the orders export's "Gift Card").
# Categories: the type (Shirts, Boots, Gift Cards), else the last level of the product category
# (Socks). Revenue by category from the orders export above: USD Shirts 80.00 + 40.00 = 120.00,
# Socks 7.50 + 22.50 + 0.00 = 30.00, Boots 120.00; CAD Gift Cards 25.00. The refund of #1002
# (an order-level amount, no product) stays 'unknown'.
SHOPIFY_PRODUCTS = PRESETS / "shopify" / "products_export.csv"


def test_shopify_products_export_gives_the_orders_their_categories(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = tmp_path / "ws"
    import_file(ws, SHOPIFY, capsys)
    out = import_file(ws, SHOPIFY_PRODUCTS, capsys)
    assert "holds no events but a product catalog" in out
    assert "products: 6 rows read, 6 loaded, 0 duplicate, 0 rejected" in out
    run_publishes(ws, capsys)
    with Workspace.open(ws, read_only=True) as w:
        con = w.cursor()
        assert con.execute(
            "SELECT product_id, name, category, brand, price, _source_line FROM raw.products "
            "ORDER BY _source_line").fetchall() == [
            ("SHIRT-S", "Linen Shirt", "Shirts", "Acme", Decimal("40.00"), 2),
            ("SHIRT-M", "Linen Shirt", "Shirts", "Acme", Decimal("40.00"), 3),
            ("Linen Shirt - L", "Linen Shirt", "Shirts", "Acme", Decimal("42.00"), 4),
            ("SOCKS", "Wool Socks", "Socks", "Acme", Decimal("7.50"), 6),
            ("BOOT-42", "Trail Boot", "Boots", "Summit", Decimal("120.00"), 7),
            ("Gift Card", "Gift Card", "Gift Cards", "Acme", Decimal("25.00"), 8)]
        by_category = con.execute(
            "SELECT currency, category, sum(revenue), sum(refunds) FROM marts.fct_revenue "
            "GROUP BY 1, 2 ORDER BY 1, 2").fetchall()
        assert by_category == [
            ("CAD", "Gift Cards", Decimal("25.00"), Decimal("0.00")),
            ("USD", "Boots", Decimal("120.00"), Decimal("0.00")),
            ("USD", "Shirts", Decimal("120.00"), Decimal("0.00")),
            ("USD", "Socks", Decimal("30.00"), Decimal("0.00")),
            ("USD", "unknown", Decimal("0.00"), Decimal("20.00"))]
    # Named with --products beside the orders, or imported with them (the preset reads the
    # orders, the products export is the catalog), the same catalog and the same events.
    for extra in (("--products", str(SHOPIFY_PRODUCTS)), (str(SHOPIFY_PRODUCTS),)):
        other = tmp_path / f"ws{len(extra)}"
        out = import_file(other, SHOPIFY, capsys, *extra)
        assert "7 rows read, giving 8 events: 8 loaded, 0 duplicate, 0 rejected" in out
        with Workspace.open(other, read_only=True) as w:
            assert w.cursor().execute(
                "SELECT count(*), count(DISTINCT category) FROM raw.products").fetchone() == (6, 4)
        _check_shopify(other)
