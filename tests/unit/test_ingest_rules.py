"""Mapping rules: event-name defaults, timestamp forms, column proposals, mapping YAML."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from shoplytics_desktop.core.errors import ImportError_
from shoplytics_desktop.core.ingest import (
    Mapping,
    inspect_sources,
    load_mapping,
    propose_mapping,
    save_mapping,
)
from shoplytics_desktop.core.ingest.eventnames import classify, default_type_sql, type_sql
from shoplytics_desktop.core.ingest.mapping import normalize_name
from shoplytics_desktop.core.ingest.timeparse import time_sql, utc_session
from tests.samples import REAL_SAMPLE, needs_real_sample

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"
REAL = REAL_SAMPLE


# -- event names ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("name", "with_product", "without_product"),
    [
        ("view", "product_view", "page_view"),
        ("pageview", "product_view", "page_view"),
        ("page_view", "product_view", "page_view"),
        ("product_view", "product_view", "product_view"),
        ("detail", "product_view", "product_view"),
        ("product_page", "product_view", "product_view"),
        ("cart", "add_to_cart", "add_to_cart"),
        ("addtocart", "add_to_cart", "add_to_cart"),
        ("Add-To-Cart", "add_to_cart", "add_to_cart"),
        ("remove_from_cart", "remove_from_cart", "remove_from_cart"),
        ("removefromcart", "remove_from_cart", "remove_from_cart"),
        # Product-analytics spellings (Segment's spec, without its preset's other signals).
        ("Product Added", "add_to_cart", "add_to_cart"),
        ("Item Added", "add_to_cart", "add_to_cart"),
        ("Product Removed", "remove_from_cart", "remove_from_cart"),
        ("Removed Product", "remove_from_cart", "remove_from_cart"),
        ("Product Added to Wishlist", "other", "other"),
        ("checkout", "begin_checkout", "begin_checkout"),
        ("begin_checkout", "begin_checkout", "begin_checkout"),
        ("shipping_details", "begin_checkout", "begin_checkout"),
        ("checkout_shipping", "begin_checkout", "begin_checkout"),
        ("payment_info", "begin_checkout", "begin_checkout"),
        ("purchase", "purchase", "purchase"),
        ("transaction", "purchase", "purchase"),
        ("order_completed", "purchase", "purchase"),
        ("order", "purchase", "purchase"),
        ("purchase_complete", "purchase", "purchase"),
        ("checkout_complete", "purchase", "purchase"),
        ("search", "search", "search"),
        ("search_results", "search", "search"),
        ("home", "page_view", "page_view"),
        ("category_page", "page_view", "page_view"),
        ("newsletter_signup", "other", "other"),
        ("level_up", "other", "other"),
        # A name that starts like an event but says it failed, or concerns something else, is
        # not that event: it must not count as a purchase (or a cart change).
        ("purchase_failed", "other", "other"),
        ("purchase_attempt", "other", "other"),
        ("Transaction Declined", "other", "other"),
        ("purchase_confirmation_viewed", "other", "other"),
        ("refund_page", "page_view", "page_view"),
        ("add_to_cart_failed", "other", "other"),
        ("checkout_error", "other", "other"),
        ("remove_from_wishlist", "other", "other"),
        ("Product Reviewed", "other", "other"),  # not a misspelt "Product Viewed"
        ("Product List Viewed", "page_view", "page_view"),
        ("view_promotion", "other", "other"),
        ("Promotion Viewed", "other", "other"),
        ("ecommerce_purchase", "purchase", "purchase"),
        ("in_app_purchase", "purchase", "purchase"),
        ("Order Refunded", "refund", "refund"),
    ],
)
def test_event_name_defaults_agree_in_python_and_sql(
    name: str, with_product: str, without_product: str
) -> None:
    assert classify(name, True) == with_product
    assert classify(name, False) == without_product
    con = duckdb.connect()
    sql = default_type_sql("?", "?")
    assert con.execute(f"SELECT {sql}", [name, "p1"]).fetchone() == (with_product,)
    assert con.execute(f"SELECT {sql}", [name, None]).fetchone() == (without_product,)


def test_mapping_overrides_win_over_defaults_and_known_names() -> None:
    con = duckdb.connect()
    sql = type_sql("n", "p", {"view": "page_view", "signup": "other"}, known=("view", "cart"))
    q = f"SELECT {sql} FROM (SELECT ? AS n, ? AS p)"
    assert con.execute(q, ["view", "p1"]).fetchone() == ("page_view",)
    assert con.execute(q, ["cart", "p1"]).fetchone() == ("add_to_cart",)
    # Not in the sample: the generic rules still apply.
    assert con.execute(q, ["addtocart", "p1"]).fetchone() == ("add_to_cart",)


# -- time forms -------------------------------------------------------------------------------

UTC_10 = dt.datetime(2019, 10, 1, 10, 0, 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019-10-01 10:00:00", UTC_10),
        ("2019-10-01T10:00:00", UTC_10),
        ("2019-10-01T10:00:00Z", UTC_10),
        ("2019-10-01 10:00:00 UTC", UTC_10),
        ("2019-10-01T12:00:00+02:00", UTC_10),
        ("2019-10-01T05:30:00-0430", UTC_10),
        ("2019-10-01T12:00:00+02", UTC_10),
        ("2019-10-01 12:00:00 CET", UTC_10),  # a zone name counts (the CET zone keeps DST)
        ("2019-10-01 12:00:00 Europe/Berlin", UTC_10),  # summer time: UTC+2
        ("2019-10-01 10:00:00 utc", UTC_10),
        ("2019-10-01T10:00:00.5Z", UTC_10 + dt.timedelta(milliseconds=500)),
        ("2019-10-01 10:00:00.250", UTC_10 + dt.timedelta(milliseconds=250)),
        ("2019-10-01", dt.datetime(2019, 10, 1)),
        ("1569924000", UTC_10),  # epoch seconds
        ("1569924000000", UTC_10),  # epoch milliseconds
        ("1569924000.5", UTC_10 + dt.timedelta(milliseconds=500)),
        ("not a time", None),
        ("01/10/2019 10:00", None),  # ambiguous day/month: needs an explicit format
        # An offset after a space (Shopify's and Ruby's form), RFC 2822, basic ISO 8601.
        ("2019-10-01 06:00:00 -0400", UTC_10),
        ("2019-10-01 12:00:00 +02:00", UTC_10),
        ("2019-10-01 06:00:00.250 -0400", UTC_10 + dt.timedelta(milliseconds=250)),
        ("Tue, 01 Oct 2019 10:00:00 +0000", UTC_10),
        ("20191001T100000Z", UTC_10),
        # A 12-hour clock, month names, dotted dates: wall-clock times (UTC here).
        ("2019-10-01 10:00:00 AM", UTC_10),
        ("2019-10-01 10:00 PM", UTC_10 + dt.timedelta(hours=12)),
        ("Oct 1, 2019 10:00:00 AM", UTC_10),
        ("October 1, 2019", dt.datetime(2019, 10, 1)),
        ("01-Oct-2019 10:00", UTC_10),
        ("1 Oct 2019", dt.datetime(2019, 10, 1)),
        ("2019.10.01 10:00", UTC_10),
        # Java's Date.toString() (a zone name, CET is UTC+2 in summer), a decimal comma before
        # the fraction (logs), ISO in lower case.
        ("Tue Oct 01 10:00:00 UTC 2019", UTC_10),
        ("Tue Oct 01 12:00:00 CET 2019", UTC_10),
        ("2019-10-01 10:00:00,250", UTC_10 + dt.timedelta(milliseconds=250)),
        ("2019-10-01t10:00:00z", UTC_10),
    ],
)
def test_time_text_forms(text: str, expected: dt.datetime | None) -> None:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'America/New_York'")  # the import must not depend on it
    with utc_session(con):
        got = con.execute(f"SELECT {time_sql('t', 't', 'VARCHAR')} FROM (SELECT ? AS t)", [text]).fetchone()
    assert got == (expected,)
    assert con.execute("SELECT current_setting('TimeZone')").fetchone() == ("America/New_York",)


@pytest.mark.parametrize(
    ("fmt", "text", "expected"),
    [
        ("%d/%m/%Y %H:%M", "01/10/2019 10:00", UTC_10),
        ("epoch_s", "1569924000", UTC_10),
        ("epoch_ms", "1569924000000", UTC_10),
        ("%Y-%m-%d %H:%M:%S%z", "2019-10-01 12:00:00+0200", UTC_10),
        ("%d/%m/%Y %H:%M", "2019-10-01 10:00", None),
        # A spreadsheet's date serial: days since 1899-12-30, the time of day as a fraction.
        ("excel_days", "43739.41667", UTC_10),
        ("excel_days", "43739", dt.datetime(2019, 10, 1)),
    ],
)
def test_time_explicit_formats(fmt: str, text: str, expected: dt.datetime | None) -> None:
    con = duckdb.connect()
    with utc_session(con):
        got = con.execute(
            f"SELECT {time_sql('t', 't', 'VARCHAR', fmt)} FROM (SELECT ? AS t)", [text]
        ).fetchone()
    assert got == (expected,)


def test_time_from_typed_columns() -> None:
    con = duckdb.connect()
    with utc_session(con):
        row = con.execute(
            f"""SELECT {time_sql("TIMESTAMPTZ '2019-10-01 12:00:00+02'", '', 'TIMESTAMP WITH TIME ZONE')},
                       {time_sql("TIMESTAMP '2019-10-01 10:00:00'", '', 'TIMESTAMP')},
                       {time_sql('1569924000', '', 'BIGINT')},
                       {time_sql('1569924000000', '', 'BIGINT')}"""
        ).fetchone()
    assert row == (UTC_10, UTC_10, UTC_10, UTC_10)


# -- proposals --------------------------------------------------------------------------------

def test_normalize_name() -> None:
    assert normalize_name("Event-Time") == normalize_name("event_time") == "eventtime"


@needs_real_sample
def test_proposal_for_the_real_sample_prefers_category_code_then_id() -> None:
    m = propose_mapping(inspect_sources([REAL]))
    assert m.columns == {
        "event_time": "event_time",
        "event_type": "event_type",
        "user_id": "user_id",
        "session_id": "user_session",
        "product_id": "product_id",
        "price": "price",
        "brand": "brand",
        "category": ["category_code", "category_id"],
    }
    assert m.time_format == "auto"


def test_proposal_for_retailrocket_shape() -> None:
    m = propose_mapping(inspect_sources([FIXTURES / "retailrocket.csv"]))
    assert m.columns == {
        "event_time": "timestamp",
        "event_type": "event",
        "user_id": "visitorid",
        "product_id": "itemid",
        "order_id": "transactionid",
    }
    assert m.time_format == "epoch_ms"


@pytest.mark.parametrize(
    ("sql_type", "values"),
    [
        ("BIGINT", ["1715421600", "1715421600123", "-5", "NULL", "0", "1715421600123456",
                    "1715421600123456789"]),
        ("DOUBLE", ["1715421600.5", "'nan'", "'inf'", "'-inf'", "1.7e9", "1e20", "NULL", "0.25"]),
        ("DECIMAL(18,3)", ["1715421600.123", "12.5", "NULL"]),
        ("HUGEINT", ["170141183460469231731687303715884105727", "1"]),
    ],
)
def test_a_numeric_time_column_is_profiled_alike_without_its_text(
    sql_type: str, values: list[str]
) -> None:
    # The short profile of numbers (magnitudes only) counts what the full one counts: every
    # epoch band, the non-finite values as unreadable, none as a date.
    from shoplytics_desktop.core.ingest.proposal import _time_profile

    con = duckdb.connect()
    rows = ", ".join(f"({v})" for v in values)
    src = f"src AS (SELECT CAST(v AS {sql_type}) AS c FROM (VALUES {rows}) AS t(v))"
    full = _time_profile(con, src, "c")
    assert _time_profile(con, src, "c", numbers=True) == full
    assert full.total == len([v for v in values if v != "NULL"])


def test_proposal_for_clickstream_keeps_page_for_properties() -> None:
    m = propose_mapping(inspect_sources([FIXTURES / "clickstream.csv"]))
    assert m.columns == {
        "event_time": "timestamp",
        "event_type": "event_name",
        "user_id": "user_id",
        "session_id": "session_id",
    }


def test_proposal_for_nested_json_uses_nested_fields() -> None:
    info = inspect_sources([FIXTURES / "nested.ndjson"])
    assert info.format == "ndjson"
    m = propose_mapping(info)
    assert m.columns == {
        "event_time": "ts",
        "event_type": "event",
        "user_id": "user.id",
        "product_id": "properties.product_id",
        "order_id": "properties.order_id",
        "price": "properties.price",
        "properties": "properties",
    }


def test_proposal_for_a_ga4_export(tmp_path: Path) -> None:
    """GA4's BigQuery export, flattened one level: microsecond times, pseudo ids, ga_session_id,
    and device, geo and traffic_source records."""
    src = tmp_path / "ga4.ndjson"
    src.write_text(
        '{"event_timestamp": 1727740800123456, "event_name": "view_item", "user_pseudo_id": "123.456", '
        '"ga_session_id": 1727740800, "item_id": "SKU1", "price": 9.5, "quantity": 1, '
        '"transaction_id": null, "device": {"category": "mobile"}, "geo": {"country": "Germany"}, '
        '"traffic_source": {"source": "google", "medium": "organic"}}\n',
        encoding="utf-8",
    )
    m = propose_mapping(inspect_sources([src]))
    assert m.columns["session_id"] == "ga_session_id"
    assert m.columns["user_id"] == "user_pseudo_id"
    assert m.columns["device"] == "device.category"
    assert m.columns["country"] == "geo.country"
    assert m.columns["traffic_source"] == "traffic_source.medium"


def test_proposal_for_an_order_export_without_an_event_column(tmp_path: Path) -> None:
    src = tmp_path / "orders.csv"
    src.write_text(
        "InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
        "536365,85123A,6,12/1/2010 8:26,2.55,17850,United Kingdom\n"
        "536366,22633,6,12/13/2010 8:28,1.85,17850,France\n",
        encoding="utf-8",
    )
    info = inspect_sources([src])
    # The invoice-lines preset recognises the shape; generic detection (preset "none") still
    # proposes every row as a purchase.
    assert propose_mapping(info).preset == "online_retail"
    m = propose_mapping(info, "none")
    assert m.columns == {
        "event_time": "InvoiceDate", "user_id": "CustomerID", "product_id": "StockCode",
        "order_id": "InvoiceNo", "price": "UnitPrice", "quantity": "Quantity", "country": "Country",
    }
    assert m.defaults.event_name == "purchase" and m.time_format == "%m/%d/%Y %H:%M"
    # without orders, a file with no event column is not guessed to be anything
    plain = tmp_path / "visits.csv"
    plain.write_text("ts,visitor\n2024-01-01 10:00:00,a\n", encoding="utf-8")
    assert propose_mapping(inspect_sources([plain])).defaults.event_name is None


@pytest.mark.parametrize(
    ("samples", "fmt"),
    [
        (["12/1/2010 8:26", "12/13/2010 9:01"], "%m/%d/%Y %H:%M"),  # 13 can only be a day
        (["13/1/2010 08:26:05"], "%d/%m/%Y %H:%M:%S"),
        (["1/2/2010"], "%m/%d/%Y"),  # ambiguous slashes: month first
        (["01.02.2010 10:00"], "%d.%m.%Y %H:%M"),  # ambiguous dots: day first
        (["2010/12/01 10:00:00"], "%Y/%m/%d %H:%M:%S"),
        (["2024-01-01 10:00:00"], None),  # ISO is read without a format
        (["13/13/2010"], None),
        (["12/1/2010 8:26", "12/1/2010"], None),  # two forms
    ],
)
def test_day_month_year_formats_are_worked_out(samples: list[str], fmt: str | None) -> None:
    from shoplytics_desktop.core.ingest.timeparse import guess_format

    assert guess_format(samples) == fmt


@pytest.mark.parametrize(
    ("header", "field", "column"),
    [
        ("ts,action,customer_id", "event_time", "ts"),
        ("created_at,event_name,client_id", "user_id", "client_id"),
        ("time,type,user,sku,qty,unit_price", "product_id", "sku"),
        ("time,type,user,sku,qty,unit_price", "quantity", "qty"),
        ("time,type,user,sku,qty,unit_price", "price", "unit_price"),
        ("Event Timestamp,Event,Visitor ID,Device Type,UTM Source,Country Code", "device", "Device Type"),
        ("Event Timestamp,Event,Visitor ID,Device Type,UTM Source,Country Code", "traffic_source", "UTM Source"),
        ("Event Timestamp,Event,Visitor ID,Device Type,UTM Source,Country Code", "country", "Country Code"),
        ("event_time,event,user_id,order_id,session", "order_id", "order_id"),
        ("event_time,event,user_id,order_id,session", "session_id", "session"),
        ("event_time,event,user_id,category_name,brand", "category", "category_name"),
    ],
)
def test_name_synonyms(tmp_path: Path, header: str, field: str, column: str) -> None:
    n = len(header.split(","))
    row = ",".join(["2024-01-01 00:00:00", "view", "u1"] + ["x"] * (n - 3))
    f = tmp_path / "e.csv"
    f.write_text(f"{header}\n{row}\n")
    assert propose_mapping(inspect_sources([f])).columns[field] == column  # type: ignore[index]


def test_time_column_found_by_content(tmp_path: Path) -> None:
    f = tmp_path / "e.csv"
    f.write_text("when_it_happened,event,user_id\n2024-01-01 10:00:00,view,u1\n")
    assert propose_mapping(inspect_sources([f])).columns["event_time"] == "when_it_happened"


# -- mapping files ----------------------------------------------------------------------------

@needs_real_sample
def test_mapping_yaml_round_trip(tmp_path: Path) -> None:
    m = propose_mapping(inspect_sources([REAL])).model_copy(
        update={"event_types": {"cart": "add_to_cart"}, "time_format": "%Y-%m-%d %H:%M:%S UTC"}
    )
    path = tmp_path / "m.yaml"
    save_mapping(m, path)
    assert load_mapping(path) == m
    assert Mapping.from_yaml(m.to_yaml()) == m


def test_mapping_file_errors_are_specific(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("columns:\n  event_time: ts\n  shoe_size: size\n")
    with pytest.raises(ImportError_, match=r"bad.yaml is invalid: columns.shoe_size"):
        load_mapping(bad)
    bad.write_text("event_types: {view: looked_at}\n")
    with pytest.raises(ImportError_, match=r"event_types\.view"):
        load_mapping(bad)
    bad.write_text("columns: [unclosed\n")
    with pytest.raises(ImportError_, match="not valid YAML"):
        load_mapping(bad)
    with pytest.raises(ImportError_, match="Cannot read the mapping file"):
        load_mapping(tmp_path / "missing.yaml")
