"""Schema version 2 of the contract: the refund event type and raw.events.currency, on new
workspaces, on workspaces created by version 1 (migrated in place) and through the importer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from shoplytics_desktop.core import contract
from shoplytics_desktop.core.errors import WorkspaceError
from shoplytics_desktop.core.ingest import import_events, inspect_sources, propose_mapping
from shoplytics_desktop.core.ingest.eventnames import classify
from shoplytics_desktop.core.workspace import SCHEMA_VERSION, Workspace

#: raw.events as schema version 1 created it (frozen here: the contract has moved on).
_V1_EVENTS = """CREATE TABLE raw.events (
    event_id VARCHAR NOT NULL, event_time TIMESTAMP NOT NULL, event_type VARCHAR NOT NULL,
    event_name VARCHAR NOT NULL, user_id VARCHAR NOT NULL, session_id VARCHAR,
    product_id VARCHAR, order_id VARCHAR, price DECIMAL(12,2), quantity INTEGER NOT NULL,
    category VARCHAR, brand VARCHAR, device VARCHAR NOT NULL, country VARCHAR NOT NULL,
    traffic_source VARCHAR NOT NULL, properties JSON, _batch_id VARCHAR NOT NULL,
    _source_file VARCHAR, _source_line BIGINT, _loaded_at TIMESTAMP NOT NULL)"""


def _columns(cur: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    return cur.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_catalog = current_database() and table_schema = 'raw' "
        "and table_name = 'events' order by ordinal_position"
    ).fetchall()


def _make_v1_workspace(folder: Path) -> None:
    """A workspace file as version 1 left it: its own DDL, one event, schema_version 1."""
    folder.mkdir(parents=True)
    con = duckdb.connect(str(folder / "warehouse.duckdb"))
    for schema in ("raw", "staging", "intermediate", "marts", "_shoplytics"):
        con.execute(f"create schema {schema}")
    con.execute(_V1_EVENTS)
    con.execute("create table _shoplytics.meta (key varchar primary key, value varchar)")
    con.execute("insert into _shoplytics.meta values ('schema_version', '1')")
    con.execute(
        "insert into raw.events values ('e1', '2024-01-01 10:00', 'purchase', 'purchase', 'u1', "
        "null, 'p1', 'o1', 9.99, 1, null, null, 'desktop', 'DE', 'organic', null, 'b1', 'f.csv', "
        "2, '2024-02-01')"
    )
    con.close()


def test_refund_is_an_event_type_and_the_vocabulary_knows_it() -> None:
    assert "refund" in contract.EVENT_TYPES and contract.EVENT_TYPES[-1] == "other"
    for name in ("refund", "Refunded", "order_refunded", "return", "refund_issued"):
        assert classify(name, has_product=True) == "refund", name
    assert classify("purchase", has_product=True) == "purchase"


def test_new_workspace_stores_currency_after_the_lineage(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "ws") as ws:
        cols = _columns(ws.cursor())
        assert cols[-1] == ("currency", "VARCHAR")  # DuckDB keeps no length on VARCHAR(3)
        assert [c for c, _ in cols][-5:-1] == ["_batch_id", "_source_file", "_source_line", "_loaded_at"]
        assert ws.cursor().execute(
            "select value from _shoplytics.meta where key = 'schema_version'"
        ).fetchone() == (str(SCHEMA_VERSION),)


def test_a_version_1_workspace_is_migrated_in_place(tmp_path: Path) -> None:
    _make_v1_workspace(tmp_path / "old")
    with Workspace.open(tmp_path / "new") as ws:
        new_layout = _columns(ws.cursor())
    with Workspace.open(tmp_path / "old") as ws:
        cur = ws.cursor()
        assert _columns(cur) == new_layout  # one layout, however the workspace was made
        assert cur.execute("select event_id, currency from raw.events").fetchall() == [("e1", None)]
        assert cur.execute(
            "select value from _shoplytics.meta where key = 'schema_version'"
        ).fetchone() == (str(SCHEMA_VERSION),)
        # The tables version 1 lacked here are created too.
        assert ws.row_count("raw", "rejected_events") == 0
    with Workspace.open(tmp_path / "old") as ws:  # reopening finds it current
        assert ws._schema_is_current()


def test_a_workspace_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "ws") as ws:
        ws.cursor().execute("update _shoplytics.meta set value = '99' where key = 'schema_version'")
    with pytest.raises(WorkspaceError, match="newer Shoplytics"):
        Workspace.open(tmp_path / "ws")


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    with Workspace.open(tmp_path / "ws") as w:
        yield w


def test_currency_is_mapped_upper_cased_and_checked(ws: Workspace, tmp_path: Path) -> None:
    src = tmp_path / "orders.csv"
    src.write_text(
        "event_time,event_type,user_id,order_id,price,currency\n"
        "2024-01-01 10:00:00,purchase,u1,o1,10.00,eur\n"       # line 2: EUR
        "2024-01-01 10:01:00,purchase,u1,o2,11.00, USD \n"     # line 3: USD
        "2024-01-01 10:02:00,purchase,u2,o3,12.00,\n"          # line 4: null (workspace's)
        "2024-01-01 10:03:00,purchase,u2,o4,13.00,EURO\n"      # line 5: rejected
        "2024-01-01 10:04:00,purchase,u3,o5,14.00,€\n"         # line 6: a sign of one currency
        "2024-01-01 10:05:00,refund,u1,o1,10.00,EUR\n"         # line 7: a refund, EUR
        "2024-01-01 10:06:00,purchase,u4,o6,15.00,$\n"         # line 8: rejected ($ of which?)
        "2024-01-01 10:07:00,purchase,u4,o7,16.00,US$\n"       # line 9: USD
    )
    assert propose_mapping(inspect_sources([src])).columns["currency"] == "currency"
    v = import_events(ws, [src]).validation
    assert v is not None
    assert (v.rows_read, v.rows_loaded, v.rows_rejected) == (8, 6, 2)
    assert [(r.reason, r.example_lines) for r in v.reasons] == [
        ("currency is not a three-letter ISO 4217 code (e.g. EUR)", "5, 8")
    ]
    assert ws.cursor().execute(
        "select _source_line, event_type, currency from raw.events order by _source_line"
    ).fetchall() == [(2, "purchase", "EUR"), (3, "purchase", "USD"), (4, "purchase", None),
                     (6, "purchase", "EUR"), (7, "refund", "EUR"), (9, "purchase", "USD")]


def test_an_import_priced_in_another_currency_only_says_how_to_see_its_revenue(
    ws: Workspace, tmp_path: Path
) -> None:
    """Money is never summed across currencies: a EUR shop's export in a USD workspace showed
    zero revenue without a word."""
    eur = tmp_path / "eur.csv"
    eur.write_text("event_time,event_type,user_id,order_id,price,currency\n"
                   "2024-01-01 10:00:00,purchase,u1,o1,10.00,EUR\n"
                   "2024-01-01 10:01:00,purchase,u2,o2,11.00,EUR\n"
                   "2024-01-01 10:02:00,purchase,u2,o3,0,EUR\n")
    notes = import_events(ws, [eur]).notes
    said = [n for n in notes if "workspace currency" in n]
    assert said == ["The 2 purchases of this import are in EUR, but the workspace currency is "
                    "USD: revenue is shown in USD and would leave them out. Set the workspace "
                    "currency to EUR (File ▸ Workspace settings…, or `shoplytics settings "
                    "currency=EUR`), then run the pipeline."]
    # Once some purchases are in the workspace's currency, other currencies are the exception
    # the dashboards already note.
    usd = tmp_path / "usd.csv"
    usd.write_text("event_time,event_type,user_id,order_id,price\n"
                   "2024-01-02 10:00:00,purchase,u1,o4,10.00\n")
    assert not [n for n in import_events(ws, [usd]).notes if "workspace currency" in n]
    gbp = tmp_path / "gbp.csv"
    gbp.write_text("event_time,event_type,user_id,order_id,price,currency\n"
                   "2024-01-03 10:00:00,purchase,u1,o5,10.00,GBP\n")
    assert not [n for n in import_events(ws, [gbp]).notes if "workspace currency" in n]


def test_event_ids_of_a_file_with_a_currency_column_do_not_change(ws: Workspace, tmp_path: Path) -> None:
    """Before currency was a field, the column went into properties and so into the hashed id:
    it stays there, so re-importing such a file adds nothing."""
    src = tmp_path / "orders.csv"
    src.write_text("event_time,event_type,user_id,price,currency\n2024-01-01 10:00:00,purchase,u1,5.00,EUR\n")
    import_events(ws, [src])
    ((event_id, props, currency),) = ws.cursor().execute(
        "select event_id, properties, currency from raw.events"
    ).fetchall()
    assert (props, currency) == ('{"currency":"EUR"}', "EUR")
    # The id version 1 gave this row: the mapped fields and properties, no currency field.
    from shoplytics_desktop.core.ingest import Mapping

    mapping = propose_mapping(inspect_sources([src])).model_dump()
    del mapping["columns"]["currency"]
    import_events(ws, [src], mapping=Mapping.model_validate(mapping))
    assert ws.row_count("raw", "events") == 1
    assert ws.cursor().execute("select event_id from raw.events").fetchone() == (event_id,)


def test_generated_data_has_no_currency(tmp_path: Path) -> None:
    from shoplytics_desktop.core.generate import GenerateSpec, generate_into

    with Workspace.open(tmp_path / "ws") as ws:
        generate_into(ws, GenerateSpec(events=500, days=3, seed=1))
        assert ws.cursor().execute(
            "select count(*), count(currency) from raw.events"
        ).fetchone() == (500, 0)


def test_dashboards_keep_the_last_runs_currency_until_the_next_run(tmp_path: Path) -> None:
    # Two purchases without a currency: 30.00 in the workspace currency, USD, when built. The
    # setting changed to EUR without a run: the marts still hold USD money, so the dashboards
    # show USD 30.00 (not EUR 0); after the run, EUR 30.00.
    from shoplytics_desktop.core.analytics import status as status_mod
    from shoplytics_desktop.core.analytics.headline import headline_kpis
    from shoplytics_desktop.core.analytics.money import marts_currency
    from shoplytics_desktop.core.models.runner import run_project

    src = tmp_path / "orders.csv"
    src.write_text("event_time,event_type,user_id,product_id,order_id,price\n"
                   "2024-03-01 10:00:00,purchase,u1,p1,o1,10.00\n"
                   "2024-03-01 11:00:00,purchase,u2,p1,o2,20.00\n")
    with Workspace.open(tmp_path / "ws") as ws:
        ws.settings.time_zone = "UTC"
        import_events(ws, [src])
        assert run_project(ws).published
        ws.settings.currency = "EUR"
        assert marts_currency(ws) == "USD"
        assert status_mod.dashboard_status(ws).currency == "USD"
        revenue = next(v for k, v in headline_kpis(ws).items() if k.lower().startswith("revenue"))
        assert revenue == "30.00 USD"
        assert run_project(ws).published
        assert status_mod.dashboard_status(ws).currency == "EUR"
        revenue = next(v for k, v in headline_kpis(ws).items() if k.lower().startswith("revenue"))
        assert revenue == "30.00 EUR"
