"""Column names beyond English, epoch times under short names, and country names in a generic
export: what a shop's own export looks like outside the vendors' presets."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from shoplytics_desktop.core.ingest import import_events, inspect_sources, propose_mapping
from shoplytics_desktop.core.ingest.mapping import normalize_name
from shoplytics_desktop.core.workspace import Workspace


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    with Workspace.open(tmp_path / "ws") as w:
        yield w


def test_names_are_compared_without_accents_or_case() -> None:
    assert normalize_name("Währung") == "wahrung"
    assert normalize_name("Événement") == "evenement"
    assert normalize_name("Stückzahl") == "stuckzahl"
    assert normalize_name("Straße") == "strasse"
    assert normalize_name("Order ID") == "orderid"


def test_a_german_shop_export(ws: Workspace, tmp_path: Path) -> None:
    src = tmp_path / "export.csv"
    src.write_text(
        "Zeitstempel;Ereignis;Kunde;Artikel;Preis;Menge;Land;Währung\n"
        "01.03.2024 10:00;Ansicht;K1;A1;12,50;1;Deutschland;EUR\n"
        "01.03.2024 10:05;Warenkorb;K1;A1;12,50;2;Deutschland;EUR\n"
        "13.03.2024 10:07;Kauf;K1;A1;12,50;2;Österreich;EUR\n"
        "14.03.2024 09:00;Kauf;K2;A2;3,00;1;Schweiz;CHF\n",
        encoding="utf-8",
    )
    mapping = propose_mapping(inspect_sources([src]))
    assert mapping.columns == {
        "event_time": "Zeitstempel", "event_type": "Ereignis", "user_id": "Kunde",
        "product_id": "Artikel", "price": "Preis", "quantity": "Menge", "currency": "Währung",
        "country": "Land",
    }
    assert mapping.country_names
    report = import_events(ws, [src])
    assert report.validation is not None and report.validation.rows_loaded == 4
    rows = ws.cursor().execute(
        "SELECT event_time, event_type, price, quantity, country, currency FROM raw.events "
        "ORDER BY event_time").fetchall()
    assert rows == [
        (dt.datetime(2024, 3, 1, 10, 0), "product_view", Decimal("12.50"), 1, "DE", "EUR"),
        (dt.datetime(2024, 3, 1, 10, 5), "add_to_cart", Decimal("12.50"), 2, "DE", "EUR"),
        (dt.datetime(2024, 3, 13, 10, 7), "purchase", Decimal("12.50"), 2, "AT", "EUR"),
        (dt.datetime(2024, 3, 14, 9, 0), "purchase", Decimal("3.00"), 1, "CH", "CHF"),
    ]


def test_epoch_milliseconds_under_a_short_name(ws: Workspace, tmp_path: Path) -> None:
    src = tmp_path / "events.csv"
    src.write_text(
        "ts_ms,event,visitor,sku\n"
        "1709251200000,product_view,u1,p1\n"
        "1709251207000,add_to_cart,u1,p1\n",
        encoding="utf-8",
    )
    mapping = propose_mapping(inspect_sources([src]))
    assert mapping.columns["event_time"] == "ts_ms"
    assert mapping.time_format == "epoch_ms"
    import_events(ws, [src])
    times = ws.cursor().execute("SELECT event_time FROM raw.events ORDER BY 1").fetchall()
    assert times == [(dt.datetime(2024, 3, 1, 0, 0, 0),), (dt.datetime(2024, 3, 1, 0, 0, 7),)]


def test_a_country_column_with_an_unknown_name_is_kept_as_written(tmp_path: Path) -> None:
    """Names become codes only when the table knows every sampled name: an unknown one would
    become 'XX'."""
    src = tmp_path / "events.csv"
    src.write_text(
        "timestamp,event,user_id,country\n"
        "2024-03-01 10:00:00,view,u1,Germany\n"
        "2024-03-01 10:01:00,view,u2,Atlantis\n",
        encoding="utf-8",
    )
    assert not propose_mapping(inspect_sources([src])).country_names
    codes = tmp_path / "codes.csv"
    codes.write_text(
        "timestamp,event,user_id,country\n2024-03-01 10:00:00,view,u1,DE\n", encoding="utf-8"
    )
    assert not propose_mapping(inspect_sources([codes])).country_names
