"""The generic import path is never silently wrong: event names, times, several files, saving.

Small hand-made files; every number below is worked out by hand.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from shoplytics_desktop.cli import main
from shoplytics_desktop.core.ingest import (
    import_events,
    inspect_sources,
    load_mapping,
    propose_mapping,
    settle,
    validate,
)
from shoplytics_desktop.core.ingest.coverage import funnel_warnings
from shoplytics_desktop.core.ingest.eventnames import classify, fuzzy_type
from shoplytics_desktop.core.ingest.transform import mapped_sql, preview_source
from shoplytics_desktop.core.workspace import Workspace


def _csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _loaded(con: duckdb.DuckDBPyConnection, files: list[Path]) -> list[tuple[object, ...]]:
    """(event_time, event_type, event_name, __reason) of every row, as the proposal maps them."""
    info, settled = settle(files, con=con)
    sql = mapped_sql(info, settled.mapping, preview_source(info))
    return con.execute(
        f"SELECT event_time, event_type, event_name, __reason FROM ({sql}) ORDER BY _source_file, "
        "_source_line"
    ).fetchall()


# -- event names ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("viewed", "product_view"), ("view_product", "product_view"), ("pdp_view", "product_view"),
        ("detail", "product_view"), ("Products Viewed", "product_view"),
        ("basket", "add_to_cart"), ("add_to_basket", "add_to_cart"), ("added", "add_to_cart"),
        ("cart_add", "add_to_cart"), ("Basket Add", "add_to_cart"), ("Warenkorb", "add_to_cart"),
        ("panier", "add_to_cart"),
        ("bought", "purchase"), ("order", "purchase"), ("transaction", "purchase"),
        ("Bestellung", "purchase"), ("compra", "purchase"), ("orders_placed", "purchase"),
        ("purchse", "purchase"),  # one letter left out: close enough
        ("checkout", "begin_checkout"),
        ("refund", "refund"), ("return", "refund"), ("Order Returned", "refund"),
        ("remove_item_from_basket", "remove_from_cart"),
        ("ViewCart", "page_view"),
        # Never guessed to be a purchase: the words say something else too, or too little.
        ("order_cancelled", "other"), ("order_status_update", "other"), ("order_view", "other"),
        ("cancel_order", "other"), ("pruchase", "other"), ("added_to_wishlist", "other"),
        ("newsletter_signup", "other"),
    ],
)
def test_everyday_event_names(name: str, expected: str) -> None:
    assert classify(name, has_product=True) == expected


def test_fuzzy_fallback_is_conservative() -> None:
    assert fuzzy_type("zoomed_in") is None
    assert fuzzy_type("payment_order") is None  # checkout and purchase words: ambiguous
    assert fuzzy_type("buy_now_clicked") is None  # a word that is not about buying


def test_names_beyond_the_sample_become_visible_event_types(tmp_path: Path) -> None:
    # 250 rows: the sample (200 rows) sees only "viewed"; "purchse" (a name only the fuzzy
    # fallback reads, which the SQL rules do not know) is row 251's.
    rows = "".join(f"2024-01-01 10:00:{i % 60:02d},viewed,u{i}\n" for i in range(250))
    f = _csv(tmp_path / "e.csv", "ts,event,user_id\n" + rows + "2024-01-02 10:00:00,purchse,u1\n")
    con = duckdb.connect()
    info, settled = settle([f], con=con)
    column = info.column("event")
    assert column is not None and "purchse" not in column.samples
    assert settled.mapping.event_types == {"purchse": "purchase"}
    got = _loaded(con, [f])
    assert [r[1] for r in got].count("purchase") == 1


def test_page_views_stay_page_views_where_the_source_names_product_views(tmp_path: Path) -> None:
    """A page_view with a product id is a product view only where the source has no name of its
    own for those: beside product_view rows it would count the same view twice."""
    head = "ts,event,user_id,product_id\n"
    both = _csv(tmp_path / "both.csv", head + "2024-01-01 10:00:00,page_view,u1,p1\n"
                "2024-01-01 10:00:01,product_view,u1,p1\n2024-01-01 10:00:02,page_view,u1,\n")
    con = duckdb.connect()
    _, settled = settle([both], con=con)
    assert settled.mapping.event_types == {"page_view": "page_view"}
    assert [r[1] for r in _loaded(con, [both])] == ["page_view", "product_view", "page_view"]
    # Page views alone: the product's page is the product view.
    alone = _csv(tmp_path / "alone.csv", head + "2024-01-01 10:00:00,page_view,u1,p1\n"
                 "2024-01-01 10:00:02,page_view,u1,\n")
    assert [r[1] for r in _loaded(con, [alone])] == ["product_view", "page_view"]


def test_failed_purchases_are_not_revenue(tmp_path: Path) -> None:
    """Names that start like a purchase but say it failed load as 'other': no order, no revenue."""
    f = _csv(tmp_path / "e.csv", "ts,event,user_id,product_id,price,order_id\n"
             "2024-03-01 10:00:00,add_to_cart,u1,p1,50.00,\n"
             "2024-03-01 10:01:00,purchase_failed,u1,p1,50.00,\n"
             "2024-03-01 10:03:00,purchase,u1,p1,50.00,o1\n"
             "2024-03-01 10:04:00,purchase_confirmation_viewed,u1,p1,50.00,o1\n")
    con = duckdb.connect()
    assert [r[1] for r in _loaded(con, [f])] == ["add_to_cart", "other", "purchase", "other"]


def test_placeholder_ids_are_missing_values(tmp_path: Path) -> None:
    """'null', 'undefined' or 'N/A' written for a missing id is no id: not a user everyone
    shares, nor one order for every purchase without an order id."""
    f = _csv(tmp_path / "e.csv", "ts,event,customer_id,session_id,product_id,order_id,price\n"
             "2024-03-01 10:00:00,purchase,u1,null,p1,NULL,5\n"
             "2024-03-01 10:01:00,purchase,u2,undefined,p1,N/A,5\n"
             "2024-03-01 10:02:00,view,null,s1,none,,\n"
             "2024-03-01 10:03:00,view,u3,s1,p2,,\n")
    con = duckdb.connect()
    info, settled = settle([f], con=con)
    sql = mapped_sql(info, settled.mapping, preview_source(info))
    got = con.execute(f"SELECT user_id, session_id, product_id, order_id, __reason FROM ({sql}) "
                      "ORDER BY _source_line").fetchall()
    assert got == [("u1", None, "p1", None, None), ("u2", None, "p1", None, None),
                   (None, "s1", None, None, "user_id is missing"), ("u3", "s1", "p2", None, None)]
    # The hashed ids still hash what the file says: the same rows, the same ids as before.
    ids = con.execute(f"SELECT event_id FROM ({sql}) ORDER BY _source_line").fetchall()
    assert len(set(ids)) == 4


def test_an_anonymous_id_stands_in_for_a_missing_user_id(tmp_path: Path) -> None:
    f = _csv(tmp_path / "e.csv", "ts,event,customer_id,anonymous_id,product_id\n"
             "2024-03-01 10:00:00,view,,a1,p1\n2024-03-01 10:01:00,purchase,c1,a1,p1\n"
             "2024-03-01 10:02:00,view,null,a2,p1\n")
    con = duckdb.connect()
    info, settled = settle([f], con=con)
    assert settled.mapping.columns["user_id"] == ["customer_id", "anonymous_id"]
    sql = mapped_sql(info, settled.mapping, preview_source(info))
    assert con.execute(f"SELECT user_id, __reason FROM ({sql}) ORDER BY _source_line").fetchall() \
        == [("a1", None), ("c1", None), ("a2", None)]


def test_refunds_written_with_a_minus_are_refunds(tmp_path: Path) -> None:
    """Where the events include refunds, -2 units or -10.00 is a refund of 2 units or 10.00
    (the refunded quantity is positive in the contract), not a rejected row."""
    f = _csv(tmp_path / "e.csv", "ts,event,user_id,product_id,price,quantity,order_id\n"
             "2024-03-01 10:00:00,purchase,u1,p1,10.00,2,o1\n"
             "2024-03-02 10:00:00,refund,u1,p1,10.00,-2,o1\n"
             "2024-03-02 11:00:00,Order Refunded,u1,p1,-10.00,1,o1\n")
    con = duckdb.connect()
    info, settled = settle([f], con=con)
    assert (settled.mapping.negative_quantity, settled.mapping.negative_price) == ("refund", "refund")
    assert any("read as a refund" in n for n in settled.notes)
    sql = mapped_sql(info, settled.mapping, preview_source(info))
    got = con.execute(f"SELECT event_type, CAST(price AS VARCHAR), quantity, __reason FROM ({sql}) "
                      "ORDER BY _source_line").fetchall()
    assert got == [("purchase", "10.0", 2, None), ("refund", "10.0", 2, None),
                   ("refund", "10.0", 1, None)]
    # Without refund events a negative quantity stays a rejected row.
    plain = _csv(tmp_path / "p.csv", "ts,event,user_id,product_id,price,quantity\n"
                 "2024-03-01 10:00:00,purchase,u1,p1,10.00,-2\n")
    assert settle([plain], con=con)[1].mapping.negative_quantity == "reject"


def test_twelve_hour_clocks_in_day_month_dates(tmp_path: Path) -> None:
    """US exports write 12/31/2024 11:05 PM: the order is settled over the column as for a
    24-hour clock, and PM is twelve hours on."""
    f = _csv(tmp_path / "e.csv", "Date,Event,User\n12/31/2024 11:05 PM,purchase,u1\n"
             "1/2/2025 9:15 AM,view,u2\n3/15/2025 12:30 PM,view,u2\n3/16/2025 12:10 AM,view,u2\n")
    con = duckdb.connect()
    _, settled = settle([f], con=con)
    assert settled.mapping.time_format == "%m/%d/%Y %I:%M %p"
    assert [r[0] for r in _loaded(con, [f])] == [
        dt.datetime(2024, 12, 31, 23, 5), dt.datetime(2025, 1, 2, 9, 15),
        dt.datetime(2025, 3, 15, 12, 30), dt.datetime(2025, 3, 16, 0, 10)]


def test_portuguese_and_german_column_names(tmp_path: Path) -> None:
    f = _csv(tmp_path / "e.csv", "Zeitstempel,Ereignis,Kunde,Sitzungs-ID,Preço (€)\n"
             "2024-03-01 10:00:00,kauf,u1,s1,5.00\n")
    columns = propose_mapping(inspect_sources([f])).columns
    assert (columns["session_id"], columns["price"]) == ("Sitzungs-ID", "Preço (€)")


def test_funnel_warnings_name_the_unmapped_names() -> None:
    assert funnel_warnings([("signup", "other", 4), ("login", "other", 2)]) == (
        "every row maps to 'other': the funnel will be empty",
        "event names mapped to 'other' (map those that are views, carts or purchases): "
        "signup (4), login (2)",
    )
    assert funnel_warnings([("view", "product_view", 5), ("buy", "purchase", 1),
                            ("zoom", "other", 3)]) == (
        "no add_to_cart events: the funnel skips that step",
        "event names mapped to 'other' (map those that are views, carts or purchases): zoom (3)",
    )
    everything = [("v", "product_view", 1), ("c", "add_to_cart", 1), ("p", "purchase", 1)]
    assert funnel_warnings(everything) == ()
    assert funnel_warnings([]) == ()


def test_validation_and_cli_warn_when_the_funnel_would_be_empty(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = _csv(tmp_path / "e.csv", "ts,event,user_id\n2024-01-01 10:00:00,signup,u1\n"
             "2024-01-01 11:00:00,signup,u2\n2024-01-01 12:00:00,level_up,u1\n")
    con = duckdb.connect()
    con.execute("CREATE SCHEMA raw")
    info, settled = settle([f], con=con)
    report = validate(con, info, settled.mapping)
    assert report.warnings[0] == "every row maps to 'other': the funnel will be empty"
    assert report.warnings[1].endswith("signup (2), level_up (1)")
    assert main(["import", "--dry-run", "-w", str(tmp_path / "ws"), str(f)]) == 0
    out = capsys.readouterr().out
    assert "Warning: every row maps to 'other': the funnel will be empty." in out
    assert "signup (2), level_up (1)." in out
    # and the import itself says it too
    assert main(["import", "-q", "-w", str(tmp_path / "ws"), str(f)]) == 0
    assert "Warning: every row maps to 'other'" in capsys.readouterr().out


def test_funnel_warnings_count_what_the_workspace_holds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A day's file of page views imported beside earlier days' purchases is no funnel without
    purchases: the warnings name only the steps the workspace has none of after it."""
    ws = str(tmp_path / "ws")
    full = _csv(tmp_path / "a.csv", "ts,event,user_id,product_id,price\n"
                "2024-01-01 10:00:00,view,u1,p1,5\n2024-01-01 10:01:00,cart,u1,p1,5\n"
                "2024-01-01 10:02:00,purchase,u1,p1,5\n")
    views = _csv(tmp_path / "b.csv", "ts,event,user_id,product_id,price\n"
                 "2024-01-02 10:00:00,view,u2,p1,5\n")
    assert main(["import", "-q", "-w", ws, str(views)]) == 0
    assert "Warning: no purchase events" in capsys.readouterr().out
    assert main(["import", "-q", "-w", ws, str(full)]) == 0
    assert "Warning" not in capsys.readouterr().out
    more = _csv(tmp_path / "c.csv", "ts,event,user_id,product_id,price\n"
                "2024-01-03 10:00:00,view,u3,p1,5\n")
    assert main(["import", "--dry-run", "-w", ws, str(more)]) == 0
    assert main(["import", "-q", "-w", ws, str(more)]) == 0
    assert "Warning" not in capsys.readouterr().out


# -- time ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("values", "fmt"),
    [
        (["1700000000", "1700000060"], "epoch_s"),
        (["1700000000000", "1700000060000"], "epoch_ms"),
        (["1700000000000000", "1700000060000000"], "epoch_us"),
        (["1700000000000000000", "1700000060000000000"], "epoch_ns"),
    ],
)
def test_epoch_units_by_magnitude(tmp_path: Path, values: list[str], fmt: str) -> None:
    f = _csv(tmp_path / "e.csv", "ts,event,user_id\n" + "".join(f"{v},view,u1\n" for v in values))
    con = duckdb.connect()
    _, settled = settle([f], con=con)
    assert settled.mapping.time_format == fmt
    got = _loaded(con, [f])
    assert [r[0] for r in got] == [dt.datetime(2023, 11, 14, 22, 13, 20),
                                   dt.datetime(2023, 11, 14, 22, 14, 20)]


def test_epoch_unit_is_decided_by_every_value_not_the_sample(tmp_path: Path) -> None:
    # The sample sees seconds only; row 201 is in milliseconds: no unit is named, each value's
    # magnitude tells its own, and the note says so.
    rows = "".join(f"{1700000000 + i},view,u1\n" for i in range(200))
    f = _csv(tmp_path / "e.csv", "ts,event,user_id\n" + rows + "1700000000000,view,u2\n")
    con = duckdb.connect()
    _, settled = settle([f], con=con)
    assert settled.mapping.time_format == "auto"
    assert any("mixes epoch units (200 in seconds, 1 in milliseconds)" in n for n in settled.notes)
    got = _loaded(con, [f])
    assert got[-1][0] == dt.datetime(2023, 11, 14, 22, 13, 20) and got[-1][3] is None


def test_day_first_settled_by_one_value_anywhere(tmp_path: Path) -> None:
    rows = "".join("03/04/2024 10:00,view,u1\n" for _ in range(250))
    f = _csv(tmp_path / "e.csv", "when,event,user_id\n" + rows + "25/04/2024 10:00,view,u2\n")
    con = duckdb.connect()
    _, settled = settle([f], con=con)
    assert settled.mapping.time_format == "%d/%m/%Y %H:%M"
    assert settled.date_order is None
    assert _loaded(con, [f])[0][0] == dt.datetime(2024, 4, 3, 10, 0)


def test_two_digit_years_and_mixed_forms(tmp_path: Path) -> None:
    f = _csv(tmp_path / "e.csv", "ts,event,user_id\n"
             "13/01/24 10:00,view,u1\n"      # two-digit year, day first (13)
             "14/01/2024 10:00:30,view,u1\n"  # four digits, seconds
             "2024-01-15T10:00:00Z,view,u1\n"  # ISO beside them
             "yesterday,view,u1\n")           # rejected with a reason
    con = duckdb.connect()
    _, settled = settle([f], con=con)
    assert settled.mapping.time_format == (
        "%d/%m/%y %H:%M || %d/%m/%Y %H:%M:%S || iso")
    assert any("'yesterday'" in n for n in settled.notes)
    assert _loaded(con, [f]) == [
        (dt.datetime(2024, 1, 13, 10, 0), "page_view", "view", None),
        (dt.datetime(2024, 1, 14, 10, 0, 30), "page_view", "view", None),
        (dt.datetime(2024, 1, 15, 10, 0), "page_view", "view", None),
        (None, "page_view", "view", "event_time could not be parsed"),
    ]


def test_an_ambiguous_day_month_column_is_flagged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = _csv(tmp_path / "e.csv", "when,event,user_id\n03/04/2024,view,u1\n05/06/2024,view,u2\n")
    con = duckdb.connect()
    _, settled = settle([f], con=con)
    order = settled.date_order
    assert order is not None and order.example == "03/04/2024"
    assert settled.mapping.time_format == order.chosen == "%m/%d/%Y"
    assert [r[1] for r in order.readings()] == [
        "month first: 03/04/2024 → 2024-03-04", "day first: 03/04/2024 → 2024-04-03"]
    assert main(["import", "--dry-run", "-w", str(tmp_path / "ws"), str(f)]) == 0
    out = capsys.readouterr().out
    assert ("# Note: Dates like 03/04/2024 are read month first; use --time-format '%d/%m/%Y' "
            "to read them day first.") in out
    # the suggested option reads them day first, and the note is gone
    assert main(["import", "--dry-run", "-w", str(tmp_path / "ws"), "--time-format",
                 "%d/%m/%Y", str(f)]) == 0
    out = capsys.readouterr().out
    assert "2024-04-03 00:00:00" in out and "dates like" not in out


@pytest.mark.parametrize(
    "column",
    [
        ["", "", ""],                                       # all null
        ["1700000000", "abc", "2024-01-01 10:00:00"],       # numbers and text
        ["-1700000000", "-5", "0"],                         # negative epochs
        ["1e300", "99999999999999999999999999", "1700000000"],  # huge numbers
        ["2024-01-01T10:00:00+05:45", "2024-01-01 10:00:00-0330", "2024-01-01T10:00+14:00"],
        ["03/04/2024", "2024-01-01", "31/31/2024"],         # dates, ISO, impossible
        ["NaN", "inf", "-infinity"],
    ],
)
def test_a_dry_run_never_crashes_on_hostile_time_columns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], column: list[str]
) -> None:
    f = _csv(tmp_path / "e.csv", "ts,event,user_id\n" + "".join(
        f"{v},view,u{i}\n" for i, v in enumerate(column)))
    code = main(["import", "--dry-run", "-w", str(tmp_path / "ws"), str(f)])
    captured = capsys.readouterr()
    assert code in (0, 1), captured.err
    assert "Traceback" not in captured.err
    if code == 0:
        assert "Dry run: 3 rows read" in captured.out


def test_odd_offsets_are_converted(tmp_path: Path) -> None:
    f = _csv(tmp_path / "e.csv", "ts,event,user_id\n2024-01-01T10:00:00+05:45,view,u1\n"
             "2024-01-01 10:00:00-0330,view,u1\n")
    got = _loaded(duckdb.connect(), [f])
    assert [r[0] for r in got] == [dt.datetime(2024, 1, 1, 4, 15), dt.datetime(2024, 1, 1, 13, 30)]


# -- several files -------------------------------------------------------------------------------

def test_files_with_different_column_names_get_one_list_mapping(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = _csv(tmp_path / "a.csv", "timestamp,event,user_id\n2024-01-01 10:00:00,view,u1\n"
             "2024-01-01 10:05:00,cart,u1\n")
    b = _csv(tmp_path / "b.csv", "ts,action,customer_id\n1704103200,purchase,u2\n")
    con = duckdb.connect()
    _, settled = settle([a, b], con=con)
    assert settled.mapping.columns == {
        "event_time": ["timestamp", "ts"], "event_type": ["event", "action"],
        "user_id": ["user_id", "customer_id"],
    }
    assert [(Path(p.path).name, p.columns) for p in settled.files] == [
        ("a.csv", {"event_time": "timestamp", "event_type": "event", "user_id": "user_id"}),
        ("b.csv", {"event_time": "ts", "event_type": "action", "user_id": "customer_id"}),
    ]
    assert _loaded(con, [a, b]) == [
        (dt.datetime(2024, 1, 1, 10, 0), "page_view", "view", None),
        (dt.datetime(2024, 1, 1, 10, 5), "add_to_cart", "cart", None),
        (dt.datetime(2024, 1, 1, 10, 0), "purchase", "purchase", None),
    ]
    assert main(["import", "--dry-run", "-w", str(tmp_path / "ws"), str(a), str(b)]) == 0
    out = capsys.readouterr().out
    assert "#   a.csv: event_time ← timestamp; event_type ← event; user_id ← user_id" in out
    assert "#   b.csv: event_time ← ts; event_type ← action; user_id ← customer_id" in out
    # one batch
    with Workspace.open(tmp_path / "ws2") as ws:
        report = import_events(ws, [a, b])
        assert report.validation is not None and report.validation.rows_loaded == 3
        assert ws.cursor().execute("SELECT count(DISTINCT _batch_id) FROM raw.events").fetchone() \
            == (1,)


# -- saving the proposal ---------------------------------------------------------------------------

def test_files_whose_columns_differ_only_in_case_import_together(tmp_path: Path) -> None:
    """A later export wrote its header in capitals: the import failed saying the mapping names
    a column 'EVENT_TIME' the file does not have."""
    a = _csv(tmp_path / "a.csv", "event_time,event_type,user_id,price\n"
             "2024-03-01 10:00:00,view,u1,10.00\n")
    b = _csv(tmp_path / "b.csv", "EVENT_TIME,EVENT_TYPE,USER_ID,PRICE\n"
             "2024-04-01 10:00:00,purchase,u7,3.00\n")
    with Workspace.open(tmp_path / "ws") as ws:
        report = import_events(ws, [a, b])
        assert report.mapping.columns["event_time"] == "event_time"
        assert ws.cursor().execute(
            "SELECT user_id, event_type, CAST(price AS VARCHAR) FROM raw.events ORDER BY 1"
        ).fetchall() == [("u1", "page_view", "10.00"), ("u7", "purchase", "3.00")]


def test_save_mapping_writes_the_proposal_when_the_import_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = _csv(tmp_path / "e.csv", "ts,event,who\n2024-01-01 10:00:00,view,u1\n")
    out_map = tmp_path / "m.yaml"
    for extra in (["--dry-run"], []):
        out_map.unlink(missing_ok=True)
        code = main(["import", *extra, "-w", str(tmp_path / "ws"), "--save-mapping",
                     str(out_map), str(f)])
        err = capsys.readouterr().err
        assert code == 1
        assert "No column for user (user_id)" in err
        assert f"The mapping was written to {out_map}" in err
        text = out_map.read_text(encoding="utf-8")
        assert "  user_id: null  # REQUIRED: no column found\n" in text
        assert load_mapping(out_map).columns == {"event_time": "ts", "event_type": "event"}
    # A file that is not a mapping is still never overwritten.
    events = _csv(tmp_path / "keep.csv", "a,b\n1,2\n")
    code = main(["import", "-w", str(tmp_path / "ws"), "--save-mapping", str(events), str(f)])
    err = capsys.readouterr().err
    assert code == 1 and "is not a mapping file; it was left as it is" in err
    assert events.read_text(encoding="utf-8") == "a,b\n1,2\n"


def test_inspected_columns_stay_sample_based(tmp_path: Path) -> None:
    # The proposal from the sample alone (propose_mapping) keeps its old answers.
    f = _csv(tmp_path / "e.csv", "ts,event,user_id\n1700000000000000,view,u1\n")
    from shoplytics_desktop.core.ingest import propose_mapping

    assert propose_mapping(inspect_sources([f])).time_format == "epoch_us"


def test_a_column_named_exactly_wins_over_one_that_only_normalises_alike(tmp_path: Path) -> None:
    f = tmp_path / "both.csv"
    f.write_text("Event Time,event_time,User ID,user_id,event_type\n"
                 "2024-03-01T10:00:00Z,2025-01-01T10:00:00Z,uA,uB,purchase\n")
    mapping = propose_mapping(inspect_sources([f]))
    assert mapping.sources_of("event_time") == ["event_time"]
    assert mapping.sources_of("user_id") == ["user_id"]
    # Synonyms keep their order: a better synonym that only normalises alike still wins over an
    # exact but weaker one.
    g = tmp_path / "order.csv"
    g.write_text("Event Time,created,user,event_type\n2024-03-01T10:00:00Z,x,u1,view\n")
    assert propose_mapping(inspect_sources([g])).sources_of("event_time") == ["Event Time"]


def test_a_mapping_names_the_zone_of_wall_clock_times(tmp_path: Path) -> None:
    # New York: 01:30 on 2024-03-10 is EST (06:30 UTC), 03:30 EDT (07:30 UTC); 01:30 on
    # 2024-11-03 happens twice: rejected (see the next test). Times with Z, and epoch numbers,
    # are instants whatever the zone says.
    f = tmp_path / "local.csv"
    f.write_text("event_id,event_time,event_type,user_id\n"
                 "e1,2024-03-10 01:30:00,view,u1\ne2,2024-03-10 03:30:00,view,u1\n"
                 "e3,2024-03-10T12:00:00Z,view,u1\ne4,2024-11-03 01:30:00,view,u2\n"
                 "e5,1710000000,view,u3\n")
    pq = tmp_path / "typed.parquet"
    con = duckdb.connect()
    con.execute(f"COPY (SELECT 'p1' AS event_id, TIMESTAMP '2024-07-01 09:00:00' AS event_time, "
                f"'view' AS event_type, 'u4' AS user_id) TO '{pq}' (FORMAT parquet)")
    con.close()
    ws = Workspace.open(tmp_path / "ws")
    ws.settings.time_zone = "America/New_York"
    with ws:
        proposed = propose_mapping(inspect_sources([f]))
        mapping = type(proposed).model_validate(
            {**proposed.model_dump(), "time_zone": "america/new_york"})
        assert mapping.time_zone == "America/New_York"
        assert "time_zone: America/New_York" in mapping.to_yaml()
        report = import_events(ws, [f], mapping)
        assert not any("carry no UTC offset" in n for n in report.notes)
        typed = propose_mapping(inspect_sources([pq]))
        typed = type(typed).model_validate({**typed.model_dump(), "time_zone": "America/New_York"})
        import_events(ws, [pq], typed)
        got = ws.cursor().execute(
            "SELECT event_id, CAST(event_time AS VARCHAR) FROM raw.events ORDER BY 1").fetchall()
    assert got == [
        ("e1", "2024-03-10 06:30:00"), ("e2", "2024-03-10 07:30:00"),
        ("e3", "2024-03-10 12:00:00"),
        ("e5", "2024-03-09 16:00:00"), ("p1", "2024-07-01 13:00:00"),
    ]
    assert "time_zone" not in propose_mapping(inspect_sources([f])).to_yaml()
    with pytest.raises(ValueError, match="not an IANA time zone"):
        mapping.model_validate({**mapping.model_dump(), "time_zone": "Mars/Base"})


@pytest.mark.parametrize(("zone", "rows", "skipped", "twice"), [
    # New York: 02:00-03:00 skipped on 2024-03-10, 01:00-02:00 twice on 2024-11-03.
    ("America/New_York", ["2024-03-10 01:59:59", "2024-03-10 02:00:00", "2024-03-10 02:59:59",
                          "2024-03-10 03:00:00", "2024-11-03 00:59:59", "2024-11-03 01:00:00",
                          "2024-11-03 01:59:59", "2024-11-03 02:00:00"], [2, 3], [6, 7]),
    # Lord Howe moves by half an hour: 02:00-02:30 skipped on 2024-10-06, 01:30-02:00 twice on
    # 2024-04-07.
    ("Australia/Lord_Howe", ["2024-10-06 01:59:00", "2024-10-06 02:15:00", "2024-10-06 02:30:00",
                             "2024-04-07 01:29:00", "2024-04-07 01:45:00", "2024-04-07 02:00:00"],
     [2], [5]),
])
def test_wall_clock_times_a_clock_change_skips_or_repeats_are_rejected(
    tmp_path: Path, zone: str, rows: list[str], skipped: list[int], twice: list[int]
) -> None:
    # Neither names one instant: rejected with the reason, never moved to a guessed one. The
    # same rows as a strptime format and as a typed Parquet column; a time with an offset in
    # the skipped hour is an instant and loads.
    csv = tmp_path / "local.csv"
    csv.write_text("event_id,event_time,event_type,user_id\n" + "".join(
        f"e{i},{t},view,u1\n" for i, t in enumerate(rows, 1)))
    dmy = tmp_path / "dmy.csv"
    dmy.write_text("event_id,event_time,event_type,user_id\n" + "".join(
        f"d{i},{t[8:10]}/{t[5:7]}/{t[:4]} {t[11:]},view,u1\n" for i, t in enumerate(rows, 1))
        + "d99,2024-03-10T02:30:00-05:00,view,u1\n")
    pq = tmp_path / "typed.parquet"
    con = duckdb.connect()
    con.execute(f"COPY (SELECT 'p' || i AS event_id, CAST(t AS TIMESTAMP) AS event_time, "
                f"'view' AS event_type, 'u1' AS user_id FROM (SELECT unnest(?) AS t, "
                f"generate_subscripts(?, 1) AS i)) TO '{pq}' (FORMAT parquet)", [rows, rows])
    con.close()
    with Workspace.open(tmp_path / "ws") as ws:
        for f, fmt in ((csv, None), (dmy, "%d/%m/%Y %H:%M:%S || iso"), (pq, None)):
            proposed = propose_mapping(inspect_sources([f]))
            extra = {"time_format": fmt} if fmt else {}
            mapping = type(proposed).model_validate(
                {**proposed.model_dump(), "time_zone": zone, **extra})
            import_events(ws, [f], mapping)
        rejected = ws.cursor().execute(
            "SELECT _source_file, _source_line, reason FROM raw.rejected_events").fetchall()
        loaded = {r[0] for r in ws.cursor().execute("SELECT event_id FROM raw.events").fetchall()}
    for f, prefix in ((csv, "e"), (dmy, "d")):
        got = sorted((line, reason) for name, line, reason in rejected if name == str(f))
        assert got == sorted(
            # Row n is line n + 1, after the header.
            [(n + 1, f"event_time does not exist in {zone} (the clocks skipped it)")
             for n in skipped]
            + [(n + 1, f"event_time happens twice in {zone} (the clocks went back); give it an "
                       "offset") for n in twice]), f
        assert {i for i in range(1, len(rows) + 1) if f"{prefix}{i}" in loaded} == \
            set(range(1, len(rows) + 1)) - set(skipped) - set(twice)
    assert "d99" in loaded
    assert {f"p{i}" for i in range(1, len(rows) + 1)} - loaded == {
        f"p{i}" for i in skipped + twice}

def test_wall_clock_times_in_a_zoned_workspace_get_a_note(tmp_path: Path) -> None:
    f = tmp_path / "local.csv"
    f.write_text("event_id,event_time,event_type,user_id\ne1,2024-03-10 01:30:00,view,u1\n")
    ws = Workspace.open(tmp_path / "ws")
    ws.settings.time_zone = "Europe/Berlin"
    with ws:
        notes = import_events(ws, [f]).notes
    assert any("carry no UTC offset: they are read as UTC" in n
               and "time_zone: Europe/Berlin" in n for n in notes)
    g = tmp_path / "utc.csv"
    g.write_text("event_id,event_time,event_type,user_id\ne1,2024-03-10T01:30:00Z,view,u1\n")
    with Workspace.open(tmp_path / "ws2") as ws2:
        ws2.settings.time_zone = "Europe/Berlin"
        assert not any("carry no UTC offset" in n for n in import_events(ws2, [g]).notes)


@pytest.mark.parametrize("header", ["Date,Time", "Time,Date", "datum,uhrzeit"])
def test_a_date_and_a_time_of_day_in_two_columns_are_one_time(tmp_path: Path, header: str) -> None:
    """A date in one column and the time of day in another (a shop's report) are read together:
    each alone was rejected as no time, or took every event of a day to midnight. A row without
    its time of day keeps its date."""
    first = header.split(",")[0]
    swap = first.lower() in ("time", "uhrzeit")
    rows = [("2024-03-01", "10:00:00", "view"), ("2024-03-01", "10:05:30", "add_to_cart"),
            ("2024-03-02", "11:05 PM", "purchase"), ("2024-03-03", "", "view")]
    body = "".join(f"{t},{d},{e},u1,p1\n" if swap else f"{d},{t},{e},u1,p1\n" for d, t, e in rows)
    f = _csv(tmp_path / "e.csv", f"{header},event,user_id,product_id\n{body}")
    con = duckdb.connect()
    got = [(r[0], r[3]) for r in _loaded(con, [f])]
    assert got == [(dt.datetime(2024, 3, 1, 10, 0), None), (dt.datetime(2024, 3, 1, 10, 5, 30), None),
                   (dt.datetime(2024, 3, 2, 23, 5), None), (dt.datetime(2024, 3, 3), None)]


def test_json_events_wrapped_in_an_array_are_read_one_per_element(tmp_path: Path) -> None:
    """An API's or a tool's JSON that wraps its events (``{"data": [...]}``, a user's events
    under ``events``) was refused ("no column for event name"). Each element is an event, its
    fields read from it, else from the object around it; its id is its own or its values'
    hash wherever it stands in the array, so the same events exported flat are duplicates."""
    api = tmp_path / "api.json"
    api.write_text(
        '{"meta":{"page":1},"data":[{"id":"e1","timestamp":1709287200000,"type":"page_view",'
        '"visitor":"v1"},{"id":"e2","timestamp":1709287260000,"type":"product_view",'
        '"visitor":"v1","product_id":"p1"},{"id":"e3","timestamp":1709287320000,'
        '"type":"purchase","visitor":"v1","product_id":"p1","value":5.5,'
        '"transaction_id":"t1"}]}', encoding="utf-8")
    per_user = tmp_path / "users.ndjson"
    per_user.write_text(
        '{"user_id":"u1","country":"DE","events":[{"time":"2024-03-01T10:00:00Z",'
        '"name":"view_item","sku":"p1"},{"time":"2024-03-01T10:02:00Z","name":"add_to_cart",'
        '"sku":"p1"}]}\n{"user_id":"u2","country":"FR","events":[{"time":"2024-03-02T10:00:00Z",'
        '"name":"purchase","sku":"p2","price":"12.00","order":"o9","extra":"x"}]}\n',
        encoding="utf-8")
    ws = tmp_path / "ws"
    assert main(["import", "--workspace", str(ws), str(api)]) == 0
    assert main(["import", "--workspace", str(ws), str(per_user)]) == 0
    con = duckdb.connect(str(Workspace(ws).db_path), read_only=True)
    got = con.execute(
        "SELECT event_id, epoch(event_time), event_type, user_id, product_id, "
        "CAST(price AS VARCHAR), order_id, country, CAST(properties AS VARCHAR) FROM raw.events "
        "ORDER BY user_id, event_time").fetchall()
    con.close()
    assert [g[0] for g in got[3:]] == ["e1", "e2", "e3"]
    assert [g[1:] for g in got] == [
        (1709287200, "product_view", "u1", "p1", None, None, "DE", None),
        (1709287320, "add_to_cart", "u1", "p1", None, None, "DE", None),
        (1709373600, "purchase", "u2", "p2", "12.00", "o9", "FR", '{"extra":"x"}'),
        (1709287200, "page_view", "v1", None, None, None, "XX", None),
        (1709287260, "product_view", "v1", "p1", None, None, "XX", None),
        (1709287320, "purchase", "v1", "p1", "5.50", "t1", "XX", None),
    ]
    # The first user's events exported flat, one per line: the same events, nothing new.
    flat = tmp_path / "flat.ndjson"
    flat.write_text('{"user_id":"u1","country":"DE","time":"2024-03-01T10:00:00Z",'
                    '"name":"view_item","sku":"p1"}\n{"user_id":"u1","country":"DE",'
                    '"time":"2024-03-01T10:02:00Z","name":"add_to_cart","sku":"p1"}\n',
                    encoding="utf-8")
    assert main(["import", "--workspace", str(ws), str(flat)]) == 0
    con = duckdb.connect(str(Workspace(ws).db_path), read_only=True)
    assert con.execute("SELECT count(*) FROM raw.events").fetchone() == (6,)
    con.close()
    con = duckdb.connect()
    settled = settle([per_user], con=con)[1]
    assert settled.mapping.explode == "events"
    assert any("elements of the array events" in n for n in settled.notes)


def test_a_csv_without_a_header_row_is_read_by_position(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A CSV whose first line is a row of values (a time) took that row for column names: the
    row was lost and the import failed naming the values as columns. Its columns are named by
    position, the time and the event found by their values, the user asked for with a hint;
    the saved proposal keeps ``header: false`` and imports every line."""
    f = _csv(tmp_path / "nohdr.csv", "2024-03-01 10:00:00,view,u1,p1,,\n"
             "2024-03-01 10:05:00,cart,u1,p1,,\n2024-03-01 10:09:30,purchase,u1,p1,12.50,o1\n"
             "2024-03-02 11:00:00,view,u2,p2,,\n")
    info = inspect_sources([f])
    assert not info.header
    assert [c.name for c in info.columns] == [f"column{i}" for i in range(6)]
    assert any("no header row" in n for n in info.notes)
    proposed = propose_mapping(info)
    assert (proposed.columns["event_time"], proposed.columns["event_type"]) == \
        ("column0", "column1")
    ws = tmp_path / "ws"
    assert main(["import", "--workspace", str(ws), str(f)]) == 1
    err = capsys.readouterr().err
    assert "No column for user (user_id)" in err and "column0, column1" in err
    assert "The file has no header row: write the proposal with --save-mapping" in err
    saved = tmp_path / "m.yaml"
    assert main(["import", "--workspace", str(ws), "--save-mapping", str(saved), str(f)]) == 1
    text = saved.read_text(encoding="utf-8")
    assert "header: false" in text
    saved.write_text(text.replace("user_id: null  # REQUIRED: no column found",
                                  "user_id: column2\n  product_id: column3\n  price: column4"),
                     encoding="utf-8")
    assert main(["import", "--workspace", str(ws), "--mapping", str(saved), str(f)]) == 0
    con = duckdb.connect(str(Workspace(ws).db_path), read_only=True)
    got = con.execute("SELECT _source_line, event_type, user_id, CAST(price AS VARCHAR) "
                      "FROM raw.events ORDER BY 1").fetchall()
    con.close()
    assert got == [(1, "product_view", "u1", None), (2, "add_to_cart", "u1", None),
                   (3, "purchase", "u1", "12.50"), (4, "product_view", "u2", None)]


@pytest.mark.parametrize("layout", ["pretty", "one_line", "deep"])
def test_json_objects_one_after_another_or_deeper_are_read(tmp_path: Path, layout: str) -> None:
    """Objects pretty-printed one after another (jq's output, named .ndjson) or several on one
    line were refused as malformed NDJSON, or read as one column; events in an array inside an
    object inside the object (``{"data": {"items": [...]}}``) as having no event column."""
    events = ['{"event_id": "1", "event_time": "2024-03-01T10:00:00Z", "event_type": "view", '
              '"user_id": "u1", "product_id": "p1"}',
              '{"event_id": "2", "event_time": "2024-03-01T10:01:00Z", "event_type": "purchase",'
              ' "user_id": "u1", "product_id": "p1", "price": 5.0}']
    if layout == "pretty":
        f = tmp_path / "e.ndjson"
        f.write_text("".join(e.replace(", ", ",\n  ").replace("{", "{\n  ").replace("}", "\n}\n")
                             for e in events), encoding="utf-8")
    elif layout == "one_line":
        f = tmp_path / "e.json"
        f.write_text("".join(events) + "\n", encoding="utf-8")
    else:
        f = tmp_path / "e.json"
        f.write_text('{"data": {"items": [' + ", ".join(events) + "]}}", encoding="utf-8")
    ws = tmp_path / "ws"
    assert main(["import", "--workspace", str(ws), str(f)]) == 0
    con = duckdb.connect(str(Workspace(ws).db_path), read_only=True)
    got = con.execute("SELECT event_id, event_type, CAST(price AS VARCHAR) FROM raw.events "
                      "ORDER BY 1").fetchall()
    con.close()
    assert got == [("1", "product_view", None), ("2", "purchase", "5.00")]


def test_numbers_either_separator_reads_get_a_note(tmp_path: Path) -> None:
    """A ';' file whose numbers are all like 1.234 (either separator reads them) is read by the
    delimiter's convention, 1234, as before, and now says so; one value only a point reads
    (2.50) settles the file, and a ',' file's 1.234 is 1.234 without a note."""
    semi = _csv(tmp_path / "s.csv", "ts;event;user_id;product_id;price\n"
                "2024-03-01 10:00:00;purchase;u1;p1;1.234\n"
                "2024-03-01 11:00:00;purchase;u2;p1;2.500\n")
    con = duckdb.connect()
    info, settled = settle([semi], con=con)
    assert any("Numbers like '1.234' could be read either way" in n for n in settled.notes)
    sql = mapped_sql(info, settled.mapping, preview_source(info))
    assert con.execute(f"SELECT price FROM ({sql}) ORDER BY _source_line").fetchall() == \
        [(1234.0,), (2500.0,)]
    settled_point = settle([_csv(tmp_path / "p.csv", semi.read_text().replace("2.500", "2.50"))],
                           con=con)[1]
    assert settled_point.mapping.source.decimal == "."
    assert not any("either way" in n for n in settled_point.notes)
    comma = settle([_csv(tmp_path / "c.csv", semi.read_text().replace(";", ","))], con=con)[1]
    assert not any("either way" in n for n in comma.notes)


def test_spreadsheet_date_serials_are_read_as_dates(tmp_path: Path) -> None:
    """A date column saved from a spreadsheet as numbers (45352.41667): read as epoch seconds
    every value was 1 January 1970 and rejected as before 1990. Every value in the serials'
    range (1954-2119) reads them as days since 1899-12-30, with a note."""
    f = _csv(tmp_path / "e.csv", "Date,Event,User,Product,Price\n45352.41667,view,u1,p1,\n"
             "45352.42,cart,u1,p1,\n45353.5,purchase,u1,p1,12.50\n")
    con = duckdb.connect()
    settled = settle([f], con=con)[1]
    assert settled.mapping.time_format == "excel_days"
    assert any("spreadsheet date numbers" in n for n in settled.notes)
    assert [(r[0], r[3]) for r in _loaded(con, [f])] == [
        (dt.datetime(2024, 3, 1, 10, 0), None), (dt.datetime(2024, 3, 1, 10, 4, 48), None),
        (dt.datetime(2024, 3, 2, 12, 0), None)]
