"""A run leaves alone the models and tests whose inputs did not change (freshness.py), and what
it leaves is what a build would have made."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shoplytics_desktop.core.models.freshness import KEPT, UNCHANGED, is_volatile
from shoplytics_desktop.core.models.runner import RunResult, run_project
from shoplytics_desktop.core.workspace import Workspace
from tests.unit.modelproj import insert_users, write_project

FILES = {
    "staging/stg_counts.sql": "select user_id, count(*) as n from raw.events group by user_id",
    "marts/fct_users.sql": "select user_id, n from stg_counts",
    "marts/fct_products.sql": "select count(*) as products from raw.products",
    "marts/fct_both.sql": "select (select count(*) from fct_users) as users, "
                          "(select products from fct_products) as products",
    "marts/fct_clock.sql": "select now() as built_at",
    "marts/_marts.yml": """
        version: 2
        models:
          - name: fct_users
            config: {materialized: table}
            columns:
              - name: user_id
                tests: [not_null]
          - name: fct_products
            config: {materialized: table}
          - name: fct_both
            config: {materialized: table}
            tests:
              - expression_is_true: {expression: "users < 10"}
          - name: fct_clock
            config: {materialized: table}
    """,
    "tests/products_have_ids.sql": "select * from raw.products where product_id is null",
}


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    root = write_project(tmp_path / "proj", FILES)
    with Workspace.open(tmp_path / "ws") as ws:
        ws.settings.models_dir = str(root)
        insert_users(ws, ["a", "b", "c"])
        yield ws


def _built(result: RunResult) -> set[str]:
    assert result.published, result.message
    return {m.name for m in result.models if m.note != UNCHANGED}


def _kept(result: RunResult) -> set[str]:
    return {t.test_id for t in result.tests if t.message == KEPT}


def _row(ws: Workspace, sql: str) -> tuple[object, ...]:
    row = ws.cursor().execute(sql).fetchone()
    assert row is not None
    return tuple(row)


def _add_product(ws: Workspace, product_id: str) -> None:
    ws.cursor().execute(
        "INSERT INTO raw.products (product_id, name, _batch_id, _loaded_at) "
        "VALUES (?, 'p', 'catalog', now())", [product_id])


ALL = {"stg_counts", "fct_users", "fct_products", "fct_both", "fct_clock"}
TESTS = {"not_null_fct_users_user_id", "expression_is_true_fct_both_users_10",
         "products_have_ids"}


def test_nothing_changed_leaves_every_model_and_test_but_what_reads_the_clock(
        ws: Workspace) -> None:
    first = run_project(ws)
    assert _built(first) == ALL and not _kept(first)
    assert {t.test_id for t in first.tests} == TESTS
    clock = _row(ws, "SELECT built_at FROM marts.fct_clock")

    again = run_project(ws)
    assert _built(again) == {"fct_clock"}  # now(): its result is not decided by what it reads
    assert _kept(again) == TESTS
    assert again.message.startswith("Built 1 model(s), 4 unchanged; 3 test(s) (3 passed before")
    assert _row(ws, "SELECT * FROM marts.fct_both") == (3, 0)
    assert _row(ws, "SELECT built_at FROM marts.fct_clock") != clock
    # Models left as they were are in the run history as such.
    notes = dict(ws.cursor().execute(
        "SELECT model, note FROM _shoplytics.model_runs WHERE run_id = ?", [again.run_id]
    ).fetchall())
    assert notes["fct_users"] == UNCHANGED
    # with its number of rows, as a build would say
    assert {m.name: m.rows for m in again.models}["fct_users"] == 3


def test_a_changed_input_rebuilds_what_reads_it_and_nothing_else(ws: Workspace) -> None:
    run_project(ws)
    _add_product(ws, "p1")
    result = run_project(ws)
    assert _built(result) == {"fct_products", "fct_both", "fct_clock"}
    # The test of the unchanged model is kept; the ones reading what changed run again.
    assert _kept(result) == {"not_null_fct_users_user_id"}
    assert _row(ws, "SELECT * FROM marts.fct_both") == (3, 1)

    # New events, even as many as before under the same batch id, are new rows.
    insert_users(ws, ["d", "e", "f", "g"])
    assert _built(run_project(ws)) == {"stg_counts", "fct_users", "fct_both", "fct_clock"}
    assert _row(ws, "SELECT * FROM marts.fct_both") == (4, 1)
    insert_users(ws, ["h", "i", "j", "k"])
    assert "fct_users" in _built(run_project(ws))
    assert _row(ws, "SELECT min(user_id) FROM marts.fct_users") == ("h",)


def test_edited_sql_a_dropped_table_or_a_setting_rebuild(ws: Workspace) -> None:
    run_project(ws)
    path = Path(ws.settings.models_dir) / "marts" / "fct_users.sql"
    path.write_text("select user_id, n * 2 as n from stg_counts\n", encoding="utf-8")
    assert _built(run_project(ws)) == {"fct_users", "fct_both", "fct_clock"}
    assert _row(ws, "SELECT max(n) FROM marts.fct_users") == (2,)

    ws.cursor().execute("DROP TABLE marts.fct_products")
    assert _built(run_project(ws)) == {"fct_products", "fct_both", "fct_clock"}

    ws.settings.currency = "EUR"  # the settings the models read decide their content
    assert _built(run_project(ws)) == ALL
    assert _built(run_project(ws, full_refresh=True)) == ALL
    assert not _kept(run_project(ws, full_refresh=True))
    # What a full refresh built and passed is left alone by the next run.
    after = run_project(ws)
    assert _built(after) == {"fct_clock"} and _kept(after) == TESTS


def test_a_run_that_is_not_published_keeps_the_previous_state(ws: Workspace) -> None:
    run_project(ws)
    insert_users(ws, [f"u{i}" for i in range(12)])  # breaks users < 10 (error severity)
    failed = run_project(ws)
    assert not failed.published
    assert _row(ws, "SELECT * FROM marts.fct_both") == (3, 0)  # as published before
    # Nothing of the failed run was kept: the same data fails the same way.
    again = run_project(ws)
    assert not again.published and "fct_both" in {m.name for m in again.models
                                                  if m.status == "success"
                                                  and m.note != UNCHANGED}
    insert_users(ws, ["a", "b", "c"])
    assert _row(ws, "SELECT count(*) FROM raw.events") == (3,)
    ok = run_project(ws)
    assert ok.published and _row(ws, "SELECT * FROM marts.fct_both") == (3, 0)


def test_sql_that_reads_more_than_its_relations_is_volatile() -> None:
    assert is_volatile("select now()") and is_volatile("SELECT CURRENT_DATE - 1")
    assert is_volatile("select * from read_csv('x.csv')") and is_volatile("select random ()")
    assert is_volatile("select * from duckdb_tables()")
    assert not is_volatile("select current_setting from t")  # a column, not a call
    assert not is_volatile("select nowhere(x), user_id from raw.events")


def test_a_transient_model_left_as_it_is_stays_published_as_a_view(tmp_path: Path) -> None:
    files = {**FILES, "staging/_staging.yml": """
        version: 2
        models:
          - name: stg_counts
            config: {materialized: transient}
    """}
    root = write_project(tmp_path / "proj", files)
    with Workspace.open(tmp_path / "ws") as ws:
        ws.settings.models_dir = str(root)
        insert_users(ws, ["a", "b"])
        assert "stg_counts" in _built(run_project(ws))
        assert "stg_counts" not in _built(run_project(ws))
        kind = _row(ws, "SELECT count(*) FROM duckdb_views() WHERE view_name = 'stg_counts'")
        assert kind == (1,)
        insert_users(ws, ["c", "d", "e"])
        assert {"stg_counts", "fct_users"} <= _built(run_project(ws))
        assert _row(ws, "SELECT count(*) FROM marts.fct_users") == (3,)


def test_a_test_that_fails_on_the_published_tables_is_run_again(ws: Workspace) -> None:
    # A mart changed from outside the app: `test` finds it, and the next run runs that test
    # again (not "passed before") and says how to build the tables again.
    from shoplytics_desktop.core.models.runner import run_data_tests

    run_project(ws)
    ws.cursor().execute("INSERT INTO marts.fct_users VALUES (NULL, 1)")
    checked = run_data_tests(ws)
    assert [t.test_id for t in checked.tests if t.status != "pass"] == [
        "not_null_fct_users_user_id"]
    again = run_project(ws)
    assert not again.published
    assert "not_null_fct_users_user_id" not in _kept(again)
    assert "--full-refresh" in again.message
    assert run_project(ws, full_refresh=True).published
