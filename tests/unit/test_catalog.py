"""The catalog: relations with kinds and counts, columns, existence, and paged reads that filter
and sort in the database."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from shoplytics_desktop.core import catalog
from shoplytics_desktop.core.catalog import Browse, Relation, RelationKind
from shoplytics_desktop.core.workspace import Workspace


@pytest.fixture
def ws(tmp_path: Path):
    workspace = Workspace.open(tmp_path / "ws")
    cur = workspace.cursor()
    cur.execute("create table marts.t (id integer, name varchar, score double)")
    # 5 rows: two share a name, one name is NULL, one holds the LIKE wildcard '_'
    cur.execute("insert into marts.t values (1, 'anna', 2.5), (2, 'bob', 1.0), (3, 'anna', 0.5), "
                "(4, NULL, 3.0), (5, 'x_y', NULL)")
    cur.execute("create view marts.v as select id, name from marts.t where id > 2")
    cur.execute('create table staging."odd name" (a integer)')
    yield workspace
    workspace.close()


def test_relations_by_schema_and_name_with_kinds_and_counts(ws: Workspace) -> None:
    assert catalog.list_relations(ws, ("marts", "staging"), counts=True) == [
        Relation("marts", "t", RelationKind.TABLE, 5),
        Relation("marts", "v", RelationKind.VIEW, None),  # views are not counted
        Relation("staging", "odd name", RelationKind.TABLE, 0),
    ]
    tables = catalog.list_relations(ws, ("marts",), kinds=(RelationKind.TABLE,))
    assert [r.qualified for r in tables] == ["marts.t"] and tables[0].rows is None
    assert catalog.list_relations(ws, ()) == []
    # the app's schemas include the run history
    assert {"_shoplytics.runs", "raw.events"} <= {r.qualified for r in catalog.list_relations(ws)}


def test_columns_existence_and_counts(ws: Workspace) -> None:
    assert [(c.name, c.type) for c in catalog.columns(ws, "marts", "v")] == [
        ("id", "INTEGER"), ("name", "VARCHAR")]
    assert catalog.columns(ws, "marts", "nope") == []
    assert catalog.exists(ws, "marts", "v") and catalog.exists(ws, "staging", "odd name")
    assert not catalog.exists(ws, "marts", "nope") and not catalog.exists(ws, "raw", "t")
    assert catalog.row_count(ws, "marts", "v") == 3
    assert catalog.row_count(ws, "marts", "nope") == 0
    assert catalog.row_count(ws, "staging", "odd name") == 0
    types = catalog.column_types(ws, ("marts",))
    assert types == {"marts.t": {"id": "INTEGER", "name": "VARCHAR", "score": "DOUBLE"},
                     "marts.v": {"id": "INTEGER", "name": "VARCHAR"}}


def test_pages_filter_and_sort(ws: Workspace) -> None:
    browse = Browse.of(ws, "marts", "t")
    assert browse.source == '"marts"."t"'
    assert catalog.count_matching(ws, browse) == 5
    assert catalog.read_page(ws, browse, 0, 2) == [(1, "anna", 2.5), (2, "bob", 1.0)]
    assert catalog.read_page(ws, browse, 4, 2) == [(5, "x_y", None)]
    # filter: text columns only, case-insensitive, '_' is a plain character
    anna = Browse(browse.source, browse.columns, filter_text="ANN")
    assert catalog.count_matching(ws, anna) == 2
    underscore = Browse(browse.source, browse.columns, filter_text="_")
    assert catalog.read_page(ws, underscore, 0, 10) == [(5, "x_y", None)]
    # sort on score descending, NULLs last; ties broken by the other columns
    by_score = Browse(browse.source, browse.columns, sort_column=2, descending=True)
    assert [r[0] for r in catalog.read_page(ws, by_score, 0, 10)] == [4, 1, 2, 3, 5]
    # ascending on name: NULL first, then the two 'anna' rows in id order
    by_name = Browse(browse.source, browse.columns, sort_column=1)
    assert [r[0] for r in catalog.read_page(ws, by_name, 0, 3)] == [4, 1, 3]
    assert [r[0] for r in catalog.read_page(ws, by_name, 3, 3)] == [2, 5]
    assert catalog.sample_rows(ws, "marts", "v", 2) == [(3, "anna"), (4, None)]


def test_a_filter_with_no_text_column_matches_nothing(ws: Workspace) -> None:
    browse = Browse('"staging"."odd name"', (("a", "INTEGER"),), filter_text="1")
    assert catalog.count_matching(ws, browse) == 0


def test_a_filter_is_a_parameter_not_sql(ws: Workspace) -> None:
    browse = Browse.of(ws, "marts", "t")
    hostile = Browse(browse.source, browse.columns, filter_text="'; drop table marts.t; --")
    assert catalog.read_page(ws, hostile, 0, 10) == []
    assert catalog.row_count(ws, "marts", "t") == 5


def test_memory_copies_are_read_and_dropped(ws: Workspace) -> None:
    target = catalog.memory_table("browse_1_v")
    assert catalog.copy_to_memory(ws, '"marts"."v"', target) == 3
    assert catalog.count_matching(ws, Browse(target, (("id", "INTEGER"), ("name", "VARCHAR")))) == 3
    catalog.drop_memory_table(ws, target)
    with pytest.raises(duckdb.CatalogException):
        ws.cursor().execute(f"select * from {target}")
    catalog.drop_memory_table(ws, target)  # twice: nothing happens


def test_missing_relations_are_recognised(ws: Workspace) -> None:
    with pytest.raises(duckdb.Error) as caught:
        ws.cursor().execute("select * from marts.not_built")
    assert catalog.is_missing_relation(caught.value)
    assert catalog.is_missing_relation(catalog.MissingRelation("marts.x is not built"))
    assert not catalog.is_missing_relation(ValueError("x"))
