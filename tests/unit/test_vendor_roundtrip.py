"""A shop's events written in a vendor's export shape and imported with that vendor's preset give
the same models as the events themselves, up to what the shape has no room for.

Workspace A holds generated events (with refunds and a second currency added) and nothing else;
they are written in each shape ``generate.vendor`` knows (GA4, Segment's tracks and warehouse
tables, Amplitude, Mixpanel, Shopify's orders export and customer events, Snowplow's warehouse
CSV and enriched TSV, invoice lines), and the file (or folder) is imported into workspace B with
the preset. A's events are then reduced to what the shape keeps (``_KEPT``: no session ids where
the tool has none; orders only, customers as hashed e-mails and one refund per order at its time
for Shopify's orders export; …), both are built, and every mart must hold the same rows in both
(EXCEPT ALL both ways), leaving out only the ids a shape renames (sessions numbered the tool's
way). In UTC, and in a reporting zone with another currency and session timeout."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from shoplytics_desktop.core.generate import GenerateSpec, generate_into, vendor_preset
from shoplytics_desktop.core.generate.vendor import FOLDERS, SHAPES, write_vendor_export
from shoplytics_desktop.core.ingest import import_events
from shoplytics_desktop.core.models.runner import run_project
from shoplytics_desktop.core.settings import WorkspaceSettings, save_settings
from shoplytics_desktop.core.workspace import Workspace
from tests.unit.relcompare import differences, tables

ZONED = WorkspaceSettings(time_zone="America/New_York", currency="EUR", session_timeout_minutes=20)

#: Refunds of one line of every seventh order, two days later and outside any session; every
#: fifth order in euros, the others in dollars.
_AUGMENT = [
    """INSERT INTO raw.events BY NAME
       SELECT 'r-' || event_id AS event_id, event_time + INTERVAL 2 DAY AS event_time,
              'refund' AS event_type, 'refund' AS event_name, user_id, NULL AS session_id,
              product_id, order_id, price, 1 AS quantity, category, brand, device, country,
              traffic_source, _batch_id, _loaded_at
       FROM raw.events
       WHERE event_type = 'purchase' AND hash(order_id) % 7 = 0
       QUALIFY row_number() OVER (PARTITION BY order_id ORDER BY event_id) = 1""",
    """UPDATE raw.events SET currency = CASE WHEN hash(order_id) % 5 = 0 THEN 'EUR' ELSE 'USD' END
       WHERE event_type IN ('purchase', 'refund')""",
    # Events only: the catalog and the user snapshots are not in any of the exports.
    "DELETE FROM raw.products",
    "DELETE FROM raw.users",
]

#: What each shape keeps of A's events.
_KEPT: dict[str, list[str]] = {
    "ga4": [],
    "segment": ["UPDATE raw.events SET session_id = NULL"],
    "mixpanel": ["UPDATE raw.events SET session_id = NULL"],
    "segment_warehouse": ["UPDATE raw.events SET session_id = NULL"],
    "amplitude": [],
    "snowplow": [],
    # A web pixel: no sessions, countries, traffic sources or refunds.
    "shopify_events": [
        "DELETE FROM raw.events WHERE event_type = 'refund'",
        "UPDATE raw.events SET session_id = NULL, country = 'XX', traffic_source = 'unknown'",
    ],
    # Invoice lines: purchases and refunds (cancellation invoices C…), no sessions, devices,
    # sources, categories or brands.
    "online_retail": [
        "DELETE FROM raw.events WHERE event_type NOT IN ('purchase', 'refund') "
        "OR order_id IS NULL OR product_id IS NULL",
        """UPDATE raw.events SET session_id = NULL, device = 'unknown', traffic_source = 'unknown',
               category = NULL, brand = NULL,
               order_id = CASE WHEN event_type = 'refund' THEN 'C' || order_id ELSE order_id END""",
    ],
    "snowplow_enriched": [],
    "shopify": [
        "DELETE FROM raw.events WHERE event_type NOT IN ('purchase', 'refund') "
        "OR order_id IS NULL",
        # The export has an order's refunded amount only: one refund event per order, of that
        # amount, at the order's time, in its currency and country, without a product.
        """CREATE TEMP TABLE refunded AS
           SELECT order_id, sum(price * quantity) AS amount FROM raw.events
           WHERE event_type = 'refund' GROUP BY order_id""",
        "DELETE FROM raw.events WHERE event_type = 'refund'",
        """INSERT INTO raw.events BY NAME
           SELECT 'refund-' || o.order_id AS event_id, o.event_time, 'refund' AS event_type,
                  'refund' AS event_name, o.user_id, o.order_id, r.amount AS price,
                  1 AS quantity, o.device, o.country, o.traffic_source, o.currency,
                  o._batch_id, o._loaded_at
           FROM refunded AS r
           JOIN (SELECT * FROM raw.events QUALIFY row_number() OVER (
                     PARTITION BY order_id ORDER BY event_time, event_id) = 1) AS o
             USING (order_id)""",
        """UPDATE raw.events SET
               user_id = sha256(lower(user_id || '@example.com')), session_id = NULL,
               device = 'unknown', traffic_source = 'unknown', category = NULL""",
    ],
}

#: Columns the shape names differently (the same sessions under other ids).
_RENAMED = {shape: {"marts.fct_orders": ["session_key", "session_id"]}
            for shape in ("ga4", "amplitude", "snowplow", "snowplow_enriched")}


def _build(folder: Path, zoned: bool) -> Workspace:
    if zoned:
        save_settings(folder, ZONED)
    return Workspace.open(folder)


@pytest.mark.slow
@pytest.mark.parametrize("shape", sorted([*SHAPES, *FOLDERS]))
@pytest.mark.parametrize("zoned", [False, True], ids=["utc", "new_york"])
def test_an_export_imported_with_its_preset_gives_the_models_of_its_events(
    tmp_path: Path, shape: str, zoned: bool
) -> None:
    export = tmp_path / f"export{SHAPES[shape][2] if shape in SHAPES else ''}"
    with _build(tmp_path / "a", zoned) as a:
        # Days well in the past: the refunds below come two days after their orders, and an
        # event after tomorrow is rejected on import. ROUNDTRIP_EVENTS: a larger shop, by hand.
        events = int(os.environ.get("ROUNDTRIP_EVENTS", "6000"))
        spec = GenerateSpec(events=events, days=21, seed=11, start=dt.date(2025, 3, 3))
        generate_into(a, spec, replace=True)
        cur = a.cursor()
        for sql in _AUGMENT:
            cur.execute(sql)
        refunds, currencies = cur.execute(
            "SELECT count(*) FILTER (WHERE event_type = 'refund'), count(DISTINCT currency) "
            "FROM raw.events").fetchone() or (0, 0)
        assert refunds > 5 and currencies == 2
        write_vendor_export(cur, "raw.events", shape, export)
        for sql in _KEPT[shape]:
            cur.execute(sql)
        assert run_project(a).published
        with _build(tmp_path / "b", zoned) as b:
            preset = vendor_preset(shape)
            report = import_events(b, [export], preset=preset)
            assert report.mapping.preset == preset
            assert report.validation is not None and report.validation.rows_rejected == 0
            assert b.row_count("raw", "events") == a.row_count("raw", "events")
            assert run_project(b).published
            assert len(tables(a, ["marts"])) >= 15
            assert differences(a, b, tmp_path / "cmp", ["marts"], _RENAMED.get(shape)) == {}


def test_every_shape_writes_the_same_bytes_for_the_same_events(tmp_path: Path) -> None:
    """The generator is deterministic per seed; so are the exports of its events (rows at one
    instant are ordered by their ids, an order's items by product)."""
    with Workspace.open(tmp_path / "ws") as ws:
        generate_into(ws, GenerateSpec(events=1500, days=7, seed=2), replace=True)
        cur = ws.cursor()
        cur.execute("CREATE OR REPLACE TEMP TABLE shuffled AS "
                    "SELECT * FROM raw.events ORDER BY hash(event_id)")  # another order
        for shape in [*SHAPES, *FOLDERS]:
            suffix = SHAPES[shape][2] if shape in SHAPES else ""
            first = write_vendor_export(cur, "raw.events", shape, tmp_path / f"a-{shape}{suffix}")
            again = write_vendor_export(cur, "shuffled", shape, tmp_path / f"b-{shape}{suffix}")
            files = sorted(p.name for p in first.iterdir()) if first.is_dir() else [""]
            for name in files:
                mine, theirs = (first / name, again / name) if name else (first, again)
                assert mine.read_bytes() == theirs.read_bytes(), (shape, name)
            assert sum(p.stat().st_size for p in [first, *first.glob("*")]) > 1000, shape
