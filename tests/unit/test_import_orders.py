"""Order exports read by their status: a cancelled order is no sale, a refunded one is a sale
and its refund, and a refunded-amount column gives each order's refund.

Small hand-made files in the shapes of a store's order export (WooCommerce's columns, a
German one); every number below is worked out by hand.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from shoplytics_desktop.cli import main
from shoplytics_desktop.core.ingest import settle
from shoplytics_desktop.core.ingest.eventnames import status_kind
from shoplytics_desktop.core.workspace import Workspace

_WOO = (
    "order_id,order_date,status,customer_id,sku,quantity,item_price,currency\n"
    "1001,2024-03-01 10:00:00,completed,c1,SKU1,2,10.00,USD\n"
    "1002,2024-03-01 11:00:00,cancelled,c2,SKU2,1,25.00,USD\n"
    "1003,2024-03-02 09:30:00,refunded,c3,SKU1,1,10.00,USD\n"
    "1003,2024-03-02 09:30:00,refunded,c3,SKU3,1,15.00,USD\n"
    "1004,2024-03-02 12:00:00,processing,c1,SKU3,3,15.00,USD\n"
    "1005,2024-03-03 08:00:00,failed,c4,SKU2,1,25.00,USD\n"
    "1006,2024-03-03 09:00:00,pending,c5,SKU2,1,25.00,USD\n"
    "1007,2024-03-03 10:00:00,on-hold,c6,SKU1,1,10.00,USD\n"
)


def _rows(ws: Path, sql: str) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(Workspace(ws).db_path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _totals(ws: Path) -> tuple[int, str, str, str]:
    row = _rows(ws, "SELECT sum(orders), CAST(sum(revenue) AS VARCHAR), CAST(sum(refunds) AS "
                    "VARCHAR), CAST(sum(net_revenue) AS VARCHAR) FROM marts.fct_daily_engagement")[0]
    return int(row[0]), str(row[1]), str(row[2]), str(row[3])  # type: ignore[call-overload]


def _import_and_run(tmp_path: Path, name: str, text: str,
                    capsys: pytest.CaptureFixture[str]) -> tuple[Path, str]:
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    ws = tmp_path / "ws"
    assert main(["import", "--workspace", str(ws), str(f)]) == 0
    out = capsys.readouterr().out
    assert main(["run", "--workspace", str(ws)]) == 0
    capsys.readouterr()
    return ws, out


@pytest.mark.parametrize(("status", "kind"), [
    ("completed", "purchase"), ("wc-completed", "purchase"), ("On hold", "purchase"),
    ("Partially refunded", "purchase"), ("Bezahlt", "purchase"),
    ("refunded", "refunded"), ("Zurückerstattet", "refunded"), ("Remboursée", "refunded"),
    ("cancelled", "unpaid"), ("Canceled", "unpaid"), ("wc-pending", "unpaid"),
    ("Annulée", "unpaid"), ("Storniert", "unpaid"), ("failed", "unpaid"),
    ("awaiting fulfilment", "purchase"), ("holded", "purchase"), ("payment_review", "unpaid"),
    ("Disputed", None), ("Berlin", None),
])
def test_order_statuses(status: str, kind: str | None) -> None:
    assert status_kind(status) == kind


def test_an_order_export_is_read_by_its_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every row of an order export used to be a purchase: cancelled, failed and pending orders
    were revenue and refunded ones net revenue. Here: orders 1001 (20.00), 1003 (10.00 + 15.00,
    refunded), 1004 (45.00), 1007 (10.00, on hold) are the 4 orders and 100.00 of revenue; the
    refund of 1003's two lines is 25.00; net revenue 75.00."""
    ws, out = _import_and_run(tmp_path, "orders.csv", _WOO, capsys)
    assert "Orders are read by their status (status)" in out
    assert "refunded: a purchase and its refund" in out
    assert "cancelled, failed, pending: not purchases" in out
    assert "8 rows read, giving 10 events: 10 loaded" in out
    # The names the mapping itself reads as 'other' are not listed for the user to map.
    assert "mapped to 'other'" not in out
    assert _totals(ws) == (4, "100.00", "25.00", "75.00")
    refunds = _rows(ws, "SELECT order_id, product_id, CAST(price AS VARCHAR), quantity "
                        "FROM raw.events WHERE event_type = 'refund' ORDER BY 2")
    assert refunds == [("1003", "SKU1", "10.00", 1), ("1003", "SKU3", "15.00", 1)]
    # Exported again (another file, a blank line more): the refund copies are the same events
    # as before, nothing is added.
    again = tmp_path / "orders_again.csv"
    again.write_text(_WOO + "\n", encoding="utf-8")
    assert main(["import", "--workspace", str(ws), str(again)]) == 0
    assert "10 events: 0 loaded, 10 duplicate" in capsys.readouterr().out
    assert main(["run", "--workspace", str(ws)]) == 0
    assert _totals(ws) == (4, "100.00", "25.00", "75.00")


def test_own_line_ids_stay_apart_from_their_refund_copies(tmp_path: Path) -> None:
    """A refunded line with an id of its own: its refund copy gets an id of its own too, so it
    is not dropped as a repeat of the purchase."""
    f = tmp_path / "o.csv"
    f.write_text("line_id,order_id,created_at,order_status,customer,sku,qty,price\n"
                 "L1,A1,2024-03-01 10:00:00,Refunded,c1,S1,1,9.99\n"
                 "L2,A2,2024-03-01 11:00:00,Completed,c2,S1,1,9.99\n", encoding="utf-8")
    ws = tmp_path / "ws"
    assert main(["import", "--workspace", str(ws), str(f)]) == 0
    assert main(["run", "--workspace", str(ws)]) == 0
    assert _totals(ws) == (2, "19.98", "9.99", "9.99")


def test_a_refunded_amount_column_gives_each_orders_refund(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With the order's refunded amount (full or partial refunds), that is the refund, once per
    order, and a refunded order's lines are its purchase. E-mail addresses are stored hashed.
    Revenue 2×10 + 25 + 3×10 (2001-2003; 2004 cancelled) = 75.00; refunds 25 + 10 = 35.00."""
    ws, out = _import_and_run(tmp_path, "woo.csv", (
        "Order Number,Order Date,Order Status,Customer Email,SKU,Quantity,Item Cost,"
        "Order Refund Amount,Order Currency\n"
        "2001,2024-03-01 10:00,Completed,a@x.com,S1,2,10.00,0,USD\n"
        "2002,2024-03-01 11:00,Refunded,b@x.com,S2,1,25.00,25.00,USD\n"
        "2003,2024-03-02 09:30,Completed,c@x.com,S1,2,10.00,10.00,USD\n"
        "2003,2024-03-02 09:30,Completed,c@x.com,S2,1,10.00,10.00,USD\n"
        "2004,2024-03-02 10:30,Cancelled,d@x.com,S1,3,10.00,0,USD\n"), capsys)
    assert "each order's refund is its Order Refund Amount" in out
    assert _totals(ws) == (3, "75.00", "35.00", "40.00")
    users = {str(u) for (u,) in _rows(ws, "SELECT DISTINCT user_id FROM raw.events")}
    assert len(users) == 4 and not any("@" in u for u in users)


def test_a_state_column_of_places_is_no_status(tmp_path: Path) -> None:
    """A ``State`` column of the buyer's address is not read as the order's status: every row
    of the order export stays a purchase."""
    f = tmp_path / "o.csv"
    f.write_text("order_id,date,customer_id,sku,price,state\n"
                 "1,2024-03-01 10:00:00,c1,S1,5.00,California\n"
                 "2,2024-03-01 11:00:00,c2,S1,5.00,Texas\n", encoding="utf-8")
    con = duckdb.connect()
    settled = settle([f], con=con)[1]
    assert "event_type" not in settled.mapping.columns
    assert settled.mapping.defaults.event_name == "purchase"


def test_order_fields_on_the_first_line_only_are_filled_in(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An order export that writes the order's time, customer and status on its first line
    only: its other lines were rejected without a time (or, with a status, read as sales of a
    cancelled order). They take their order's: 1001's two lines are 25.00 of revenue, 1002
    (cancelled) none, 1003 (refunded) 20.00 and a refund of both its lines, 20.00."""
    ws, out = _import_and_run(tmp_path, "lines.csv", (
        "order_id,order_date,status,customer_id,sku,quantity,item_price\n"
        "1001,2024-03-01 10:00:00,completed,c1,SKU1,2,10.00\n"
        "1001,,,,SKU2,1,5.00\n"
        "1002,2024-03-01 11:00:00,cancelled,c2,SKU2,1,25.00\n"
        "1002,,,,SKU1,1,10.00\n"
        "1003,2024-03-02 09:00:00,refunded,c3,SKU1,1,10.00\n"
        "1003,,,,SKU2,2,5.00\n"), capsys)
    assert "Some lines leave order_date, status, customer_id blank" in out
    assert "6 rows read, giving 8 events: 8 loaded, 0 duplicate, 0 rejected" in out
    assert _totals(ws) == (2, "45.00", "20.00", "25.00")


def test_an_order_report_of_totals_is_priced_by_its_totals(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A store's orders report, one row per order with its net sales and a count of items
    (WooCommerce's Analytics ▸ Orders download): it was refused as having no event column.
    The total is each order's price of one unit (the item count is not multiplied in):
    45.00 + 10.00 (refunded) + 30.00 = 85.00 of revenue, 10.00 refunded; 1002 was cancelled."""
    ws, out = _import_and_run(tmp_path, "orders.csv", (
        "Date,Order #,N. Revenue (formatted),Status,Customer,Customer type,Product(s),"
        "Items sold,Coupon(s),Net Sales,Attribution\n"
        '2024-03-01T10:00:00,1001,$45.00,Completed,John Doe,new,"2× Mug, 1× Tee",3,,45.00,'
        "Direct\n"
        "2024-03-01T11:00:00,1002,$25.00,Cancelled,Jane Roe,new,1× Tee,1,,25.00,Organic\n"
        "2024-03-02T09:30:00,1003,$10.00,Refunded,John Doe,returning,1× Mug,1,,10.00,Direct\n"
        "2024-03-02T12:00:00,1004,$30.00,Processing,Ann Lee,new,3× Mug,3,SAVE5,30.00,"
        "Referral\n"), capsys)
    assert "Each row's Net Sales is read as its total" in out
    assert _totals(ws) == (3, "85.00", "10.00", "75.00")


def test_an_order_grid_export_with_a_plain_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An order grid's export (Magento's Sales ▸ Orders ▸ Export CSV): a plain ``ID`` is the
    order's, the grand total its price, ``Total Refunded`` its refund, times in month names and
    a 12-hour clock, prices with a dollar sign. Revenue 50.00 + 35.00 + 12.50 (the cancelled
    order none) = 97.50; refunds 35.00 + 2.50 = 37.50."""
    ws, out = _import_and_run(tmp_path, "export.csv", (
        "ID,Purchase Point,Purchase Date,Bill-to Name,Ship-to Name,Grand Total (Base),"
        "Grand Total (Purchased),Status,Customer Email,Total Refunded\n"
        '000000001,Main Website,"Mar 1, 2024 10:00:00 AM",Ann Lee,Ann Lee,$50.00,$50.00,'
        "complete,ann@x.com,$0.00\n"
        '000000002,Main Website,"Mar 1, 2024 11:30:00 AM",Bob Ray,Bob Ray,$20.00,$20.00,'
        "canceled,bob@x.com,$0.00\n"
        '000000003,Main Website,"Mar 2, 2024 9:15:00 PM",Ann Lee,Ann Lee,$35.00,$35.00,'
        "closed,ann@x.com,$35.00\n"
        '000000004,Main Website,"Mar 3, 2024 8:00:00 AM",Cy Dee,Cy Dee,$12.50,$12.50,'
        "processing,cy@x.com,$2.50\n"), capsys)
    assert "4 rows read, giving 6 events: 6 loaded" in out
    assert _totals(ws) == (3, "97.50", "37.50", "60.00")
    orders = _rows(ws, "SELECT DISTINCT order_id FROM raw.events ORDER BY 1")
    assert orders == [("000000001",), ("000000002",), ("000000003",), ("000000004",)]


# WooCommerce's products export (its documented columns, fewer of them): the variable product
# TEE (id 10) lists its categories; its variations SKU1 (parent by SKU) and SKU2 (parent
# "id:10") leave theirs blank and take its first category's last level, Tshirts; SKU3 is a
# simple product in Accessories > Hats. Revenue of _WOO by category: Tshirts SKU1 20.00 + 10.00
# + 10.00 = 40.00 (refund 10.00), Hats SKU3 15.00 + 45.00 = 60.00 (refund 15.00).
_WOO_PRODUCTS = (
    'ID,Type,SKU,Name,Published,"Is featured?","Visibility in catalog","Sale price",'
    '"Regular price",Categories,Tags,Images,Parent,Brands,"Attribute 1 name",'
    '"Attribute 1 value(s)"\n'
    '10,variable,TEE,Tee,1,0,visible,,,"Clothing > Tshirts, Clothing",,,,Acme,Color,'
    '"Red, Blue"\n'
    "11,variation,SKU1,Tee - Red,1,0,visible,,10.00,,,,TEE,,Color,Red\n"
    "12,variation,SKU2,Tee - Blue,1,0,visible,20.00,25.00,,,,id:10,,Color,Blue\n"
    '13,simple,SKU3,Beanie,1,0,visible,,15.00,"Accessories > Hats",,,,Northwind,,\n'
)


def test_a_woocommerce_products_export_gives_the_orders_their_categories(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws, _ = _import_and_run(tmp_path, "orders.csv", _WOO, capsys)
    products = tmp_path / "wc-product-export.csv"
    products.write_text(_WOO_PRODUCTS, encoding="utf-8")
    assert main(["import", "--workspace", str(ws), str(products)]) == 0
    out = capsys.readouterr().out
    assert "holds no events but a product catalog" in out
    assert "products: 4 rows read, 4 loaded, 0 duplicate, 0 rejected" in out
    assert main(["run", "--workspace", str(ws)]) == 0
    assert _rows(ws, "SELECT product_id, name, category, brand, CAST(price AS VARCHAR) "
                     "FROM raw.products ORDER BY 1") == [
        ("SKU1", "Tee - Red", "Tshirts", "Acme", "10.00"),
        ("SKU2", "Tee - Blue", "Tshirts", "Acme", "25.00"),
        ("SKU3", "Beanie", "Hats", "Northwind", "15.00"),
        ("TEE", "Tee", "Tshirts", "Acme", None)]
    assert _rows(ws, "SELECT category, CAST(sum(revenue) AS VARCHAR), CAST(sum(refunds) AS "
                     "VARCHAR) FROM marts.fct_revenue GROUP BY 1 ORDER BY 1") == [
        ("Hats", "60.00", "15.00"), ("Tshirts", "40.00", "10.00")]
