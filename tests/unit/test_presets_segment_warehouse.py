"""Segment / RudderStack warehouse tables imported together as one batch: tracks.csv,
pages.csv and the per-event tables product_viewed.csv, product_added.csv, order_completed.csv,
order_refunded.csv, written from Segment's warehouse schema (id, received_at, anonymous_id,
user_id, event / event_text, context_* columns; the event's properties as columns, arrays as
JSON text).

18 source rows (2025-05-11 UTC unless said):
  pages: p1 (a-1, desktop Mac, arrived by email), p2 (a-2, Android phone → mobile).
  tracks (8): v1 v2 Product Viewed, c1 c2 Product Added, o1 o2 Order Completed, r1 Order
    Refunded, t1 Signed Up (no per-event table exported for it).
  per-event rows (the same ids, with properties): v1 P1 19.99 USD, v2 P3 5.50 EUR; c1 P1 × 2,
    c2 P3 × 4 (c2 twice in the table: a duplicate); o1 order 1001 as u-1, products P1 19.99 × 2
    + P2 8.00 × 1 = 47.98 USD (2 lines); o2 order 2002 (a-2) P3 5.50 × 4 = 22.00 EUR (1 line);
    r1 2025-05-12 refund of 1001, products P2 8.00 × 1 (1 refund line).
  The 7 tracks rows repeated by a per-event table are left out (joined by id), t1 stays.
Events: p1 p2 v1 v2 c1 c2 c2' o1×2 o2 r1 t1 = 12 from 18 rows; 11 loaded, 1 duplicate (c2').
Types: page_view 2, product_view 2, add_to_cart 2, purchase 3, refund 1, other 1 (t1).
Users a-1, u-1, a-2 = 3; orders 2; revenue USD 47.98, EUR 22.00; refunds USD 8.00 (net USD
39.98); units 2 + 1 + 4 = 7; lines 3.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from shoplytics_desktop.core.workspace import Workspace
from tests.unit.presetcheck import PRESETS, import_file, numbers, run_publishes, shuffled

FOLDER = PRESETS / "segment_warehouse"


def _check(ws: Path) -> None:
    n = numbers(ws)
    assert n.types == {"page_view": 2, "product_view": 2, "add_to_cart": 2, "purchase": 3,
                       "refund": 1, "other": 1}
    assert (n.events, n.users, n.orders, n.units, n.lines) == (11, 3, 2, 7, 3)
    assert n.revenue == {"USD": Decimal("47.98"), "EUR": Decimal("22.00")}
    assert n.refunds == {"USD": Decimal("8.00")}
    with Workspace.open(ws, read_only=True) as w:
        con = w.cursor()
        # Every track event is read from its richest row: the per-event table's.
        assert con.execute(
            "SELECT event_id, regexp_extract(_source_file, '[^/]+$'), product_id, price, quantity "
            "FROM raw.events WHERE event_name <> 'page' ORDER BY 1").fetchall() == [
            ("c1", "product_added.csv", "P1", Decimal("19.99"), 2),
            ("c2", "product_added.csv", "P3", Decimal("5.50"), 4),
            ("o1#1", "order_completed.csv", "P1", Decimal("19.99"), 2),
            ("o1#2", "order_completed.csv", "P2", Decimal("8.00"), 1),
            ("o2#1", "order_completed.csv", "P3", Decimal("5.50"), 4),
            ("r1#1", "order_refunded.csv", "P2", Decimal("8.00"), 1),
            ("t1", "tracks.csv", None, None, 1),
            ("v1", "product_viewed.csv", "P1", Decimal("19.99"), 1),
            ("v2", "product_viewed.csv", "P3", Decimal("5.50"), 1)]
        assert dict(con.execute(
            "SELECT event_id, device || '/' || traffic_source FROM raw.events WHERE event_name = 'page'"
        ).fetchall()) == {"p1": "desktop/email", "p2": "mobile/unknown"}


def test_segment_warehouse_tables(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = import_file(tmp_path / "ws", FOLDER, capsys)
    assert "(preset segment_warehouse)" in out
    assert "18 rows read, giving 12 events: 11 loaded, 1 duplicate, 0 rejected" in out
    assert "import such files separately" not in out
    _check(tmp_path / "ws")


def test_segment_warehouse_shuffled_and_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    for i, f in enumerate(sorted(FOLDER.glob("*.csv"))):
        shuffled(f, folder / f.name, header=True, seed=i + 3)
    import_file(tmp_path / "ws", folder, capsys)
    _check(tmp_path / "ws")
    run_publishes(tmp_path / "ws", capsys)
    with Workspace.open(tmp_path / "ws", read_only=True) as w:
        assert w.cursor().execute(
            "SELECT count(*), sum(units) FROM marts.fct_orders").fetchone() == (2, 7)


def test_tracks_alone_is_one_row_per_call(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Without the per-event tables, tracks.csv still loads (no properties: no products, no price).
    out = import_file(tmp_path / "ws", FOLDER / "tracks.csv", capsys)
    assert "(preset segment_warehouse)" in out and "8 loaded" in out
    with Workspace.open(tmp_path / "ws", read_only=True) as w:
        assert dict(w.cursor().execute(
            "SELECT event_type, count(*) FROM raw.events WHERE price IS NULL GROUP BY 1").fetchall()
        ) == {"product_view": 2, "add_to_cart": 2, "purchase": 2, "refund": 1, "other": 1}


def test_trait_tables_beside_the_event_tables_are_left_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A warehouse export also holds identifies and users tables (traits, no events): their 3
    rows are left out, so every number stays as above."""
    import shutil

    folder = tmp_path / "export"
    shutil.copytree(FOLDER, folder)
    (folder / "identifies.csv").write_text(
        "id,received_at,anonymous_id,user_id,email,name,context_library_name,timestamp\n"
        "i1,2025-05-11 10:05:00 UTC,a-1,u-1,ana@example.com,Ana,analytics.js,"
        "2025-05-11 10:05:00 UTC\n"
        "i2,2025-05-11 12:05:00 UTC,a-2,,,,analytics.js,2025-05-11 12:05:00 UTC\n")
    (folder / "users.csv").write_text(
        "id,received_at,email,name,uuid_ts\n"
        "u-1,2025-05-11 10:05:00 UTC,ana@example.com,Ana,2025-05-11 10:05:00 UTC\n")
    out = import_file(tmp_path / "ws", folder, capsys)
    assert "(preset segment_warehouse)" in out
    assert "identifies, users are left out" in out
    _check(tmp_path / "ws")


def test_an_order_without_products_is_a_line_of_its_revenue(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The fixture's tables, with one more order (o9) whose products the warehouse left empty:
    # one line of its revenue (before shipping and tax), not a line without a price.
    import shutil

    folder = tmp_path / "tables"
    shutil.copytree(FOLDER, folder)
    orders = folder / "order_completed.csv"
    first = orders.read_text().splitlines()[1]
    extra = first.replace("o1,", "o9,", 1).replace(",1001,chk-1,52.98,47.98,", ",1009,chk-9,30.00,25.00,")
    extra = extra[: extra.index(',USD,"[')] + ",EUR,"
    orders.write_text(orders.read_text() + extra + "\n")
    import_file(tmp_path / "ws", folder, capsys)
    with Workspace.open(tmp_path / "ws", read_only=True) as w:
        row = w.cursor().execute(
            "SELECT CAST(price AS VARCHAR), quantity, currency FROM raw.events "
            "WHERE order_id = '1009'").fetchall()
    assert row == [("25.00", 1, "EUR")]
