"""The Snowplow preset on both shapes of atomic events, written from Snowplow's canonical
enriched-event fields and the e-commerce plugin's schemas (snowplow_ecommerce_action 1-0-2,
product / transaction / refund / checkout_step 1-0-0):

- snowplow/atomic_events.csv: a Snowflake unload of atomic.events (upper-case names, one JSON
  column per entity);
- snowplow/enriched.tsv: the same events as the pipeline's headerless enriched TSV (131 fields,
  entities in the self-describing JSON of contexts / unstruct_event / derived_contexts, a
  web_page entity mixed in with the products).

17 source rows, every time 2025-05-11 UTC unless said:
  visitor A (domain_userid d-a1, session s-a1, US, desktop, arrived by email):
    a1 page_view 10:00:00.120; a2 page_ping (→ other); a3 product_view P1 19.99 USD;
    a4 add_to_cart P1 × 2; a5 add_to_cart P2 8.00 × 1; a6 remove_from_cart P2 × 1;
    a7 checkout_step 1 (→ begin_checkout, no products);
    a8 transaction T-1001 as user_id cust-7: P1 19.99 × 2 + P3 12.00 × 1 = 51.98 USD, 2 lines;
       delivered twice by the collector (same event_id): 2 duplicate lines;
    a9 2025-05-12, session s-a2, cust-7: refund of T-1001, 12.00 USD, no products → one refund
       line of refund_amount 12.00 × 1.
  visitor B (d-b2, session s-b1, DE, phone → mobile):
    b1 product_view P4 30.00 EUR; b2 list_view of P4 and P5 (impressions: one page_view row);
    b3 add_to_cart P5 5.50 × 2 with derived_tstamp empty (collector_tstamp 18:02 is used);
    b4 transaction T-2002: P4 30.00 × 1 + P5 5.50 × 2 = 41.00 EUR, 2 lines;
    b5 2025-05-13 refund of T-2002 with product P5 5.50 × 2 → refund line 11.00 EUR.
  visitor C (network_userid n-c3 only: no domain cookie, no session, GB, paid):
    c1 page_view; c2 site_search (→ search).
Loaded 9 + 2 (a8's lines) − 1 + … = a1–a7 (7), a8 (2), a9 (1), b1–b3 (3), b4 (2), b5 (1),
c1–c2 (2) = 18 events from 17 rows + the repeated a8 (2 duplicate lines).
Types: page_view a1 b2 c1 = 3; other a2 = 1; product_view a3 b1 = 2; add_to_cart a4 a5 b3 = 3;
remove_from_cart 1; begin_checkout 1; purchase 4 lines; refund a9 b5 = 2; search 1 → 18.
Users: cust-7 (A signs in during s-a1: that session's earlier events are cust-7's), d-b2,
n-c3 = 3. Sessions (user, source id): (cust-7, s-a1), (cust-7, s-a2), (d-b2, s-b1) = 3. Orders T-1001, T-2002 = 2; units 2 + 1 + 1 + 2 = 6.
Revenue USD 51.98, EUR 41.00; refunds USD 12.00, EUR 11.00; net USD 39.98, EUR 30.00.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest

from shoplytics_desktop.core.workspace import Workspace
from tests.unit.presetcheck import PRESETS, import_file, numbers, run_publishes, shuffled

CSV = PRESETS / "snowplow" / "atomic_events.csv"
TSV = PRESETS / "snowplow" / "enriched.tsv"


def _check(ws: Path) -> None:
    n = numbers(ws)
    assert n.types == {"page_view": 3, "other": 1, "product_view": 2, "add_to_cart": 3,
                       "remove_from_cart": 1, "begin_checkout": 1, "purchase": 4, "refund": 2,
                       "search": 1}
    assert (n.events, n.users, n.sessions, n.orders, n.units, n.lines) == (18, 3, 3, 2, 6, 4)
    assert n.revenue == {"USD": Decimal("51.98"), "EUR": Decimal("41.00")}
    assert n.refunds == {"USD": Decimal("12.00"), "EUR": Decimal("11.00")}
    with Workspace.open(ws, read_only=True) as w:
        con = w.cursor()
        assert con.execute(
            "SELECT CAST(event_time AS VARCHAR), user_id, product_id, quantity, device FROM raw.events "
            "WHERE event_id LIKE 'b0f1c2d3-0003-%'").fetchall() == [
            ("2025-05-11 18:02:00", "d-b2", "P5", 2, "mobile")]
        assert con.execute(
            "SELECT event_id, order_id, price, currency FROM raw.events WHERE event_type = 'refund' "
            "ORDER BY 1").fetchall() == [
            ("a0f1c2d3-0009-4000-8000-000000000009", "T-1001", Decimal("12.00"), "USD"),
            ("b0f1c2d3-0005-4000-8000-000000000005#1", "T-2002", Decimal("5.50"), "EUR")]
        assert con.execute(
            "SELECT DISTINCT country, device, traffic_source FROM raw.events "
            "WHERE user_id = 'n-c3' AND event_name = 'page_view'").fetchall() == [
            ("GB", "desktop", "cpc")]
        assert con.execute(
            "SELECT properties ->> '$.payment_method', properties ->> '$.product_name' "
            "FROM raw.events WHERE event_id LIKE 'b0f1c2d3-0004-%#2'").fetchone() == ("paypal", "Socken")


@pytest.mark.parametrize("fixture", [CSV, TSV], ids=["warehouse_csv", "enriched_tsv"])
def test_snowplow(tmp_path: Path, capsys: pytest.CaptureFixture[str], fixture: Path) -> None:
    ws = tmp_path / "ws"
    out = import_file(ws, fixture, capsys)
    assert "(preset snowplow)" in out
    assert "17 rows read, giving 20 events: 18 loaded, 2 duplicate, 0 rejected" in out
    _check(ws)


@pytest.mark.parametrize("fixture", [CSV, TSV], ids=["warehouse_csv", "enriched_tsv"])
def test_snowplow_shuffled_and_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fixture: Path
) -> None:
    ws = tmp_path / "ws"
    import_file(ws, shuffled(fixture, tmp_path / fixture.name, header=fixture is CSV), capsys)
    _check(ws)
    run_publishes(ws, capsys)
    with Workspace.open(ws, read_only=True) as w:
        assert w.cursor().execute(
            "SELECT count(*), sum(units) FROM marts.fct_orders").fetchone() == (2, 6)


def test_snowplow_bigquery_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # BigQuery names columns in lower case and entity columns with their full version.
    rows = list(csv.reader(CSV.open(encoding="utf-8")))
    rows[0] = [c.lower() + ("_0_0" if c.endswith("_1") else "") for c in rows[0]]
    dest = tmp_path / "bq.csv"
    with dest.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    out = import_file(tmp_path / "ws", dest, capsys)
    assert "(preset snowplow)" in out and "18 loaded" in out
    _check(tmp_path / "ws")


def test_snowplow_tsv_mapping_saved_and_reused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The saved mapping names the headerless file's columns and reads it without quoting.
    saved = tmp_path / "snowplow.yaml"
    import_file(tmp_path / "ws1", TSV, capsys, "--save-mapping", str(saved))
    text = saved.read_text()
    assert "header: false" in text and "quote: ''" in text and "- derived_tstamp" in text
    # The entities' numbers are JSON numbers: the decimal point is known, not looked for.
    assert "decimal: ." in text
    out = import_file(tmp_path / "ws", TSV, capsys, "--mapping", str(saved))
    assert "18 loaded, 2 duplicate, 0 rejected" in out
    _check(tmp_path / "ws")


def test_an_enriched_tsv_of_one_event(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A quiet hour's file holds one event: its line is the event, not a header without rows.
    one = tmp_path / "one.tsv"
    one.write_text(TSV.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    out = import_file(tmp_path / "ws", one, capsys)
    assert "(preset snowplow)" in out and "1 loaded" in out, out
    with Workspace.open(tmp_path / "ws", read_only=True) as w:
        row = w.cursor().execute("SELECT count(*), min(event_type) FROM raw.events").fetchone()
    assert row is not None and row[0] == 1
