"""The data browser: pages of rows as the view scrolls, a parameterised filter, TSV copy."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QPoint, Qt
from PySide6.QtGui import QGuiApplication

from shoplytics_desktop.core.workspace import Workspace
from shoplytics_desktop.ui.data_page import DataPage
from shoplytics_desktop.ui.table_model import LazyTableModel, filter_clause
from tests.ui.conftest import insert_many


def test_lazy_model_fetches_pages(qtbot, passing_ws: Workspace) -> None:
    ws = passing_ws
    ws.cursor().execute("DELETE FROM raw.events")
    insert_many(ws, 1234)
    model = LazyTableModel(ws, "raw", "events", page_size=500)
    model.start()
    qtbot.waitUntil(lambda: model.rowCount() == 500 and model.total == 1234, timeout=5000)
    assert model.canFetchMore()
    model.fetchMore()
    assert not model.canFetchMore()  # one page in flight at a time
    qtbot.waitUntil(lambda: model.rowCount() == 1000, timeout=5000)
    model.fetchMore()
    qtbot.waitUntil(lambda: model.rowCount() == 1234, timeout=5000)
    assert not model.canFetchMore()
    col = [name for name, _ in model.columns].index("user_id")
    assert model.data(model.index(1233, col)) == "user_33"  # 1233 % 50
    assert model.headerData(col, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole) == "user_id: VARCHAR"

    model.set_filter("USER_7")
    qtbot.waitUntil(lambda: model.total is not None and not model.loading, timeout=5000)
    assert model.total == 25  # i % 50 == 7 for i < 1234
    assert model.rowCount() == 25
    assert {model.data(model.index(r, col)) for r in range(25)} == {"user_7"}


def test_filter_quotes_identifiers_and_passes_values() -> None:
    where, params = filter_clause([("we\"ird", "VARCHAR"), ("n", "BIGINT")], "50%_off'")
    assert where == " WHERE CAST(\"we\"\"ird\" AS VARCHAR) ILIKE ? ESCAPE '\\'"
    assert params == ["%50\\%\\_off'%"]
    assert filter_clause([("n", "BIGINT")], "x") == (" WHERE false", [])
    assert filter_clause([("a", "VARCHAR")], "   ") == ("", [])


def test_data_page_tree_view_and_copy(qtbot, passing_ws: Workspace) -> None:
    page = DataPage()
    qtbot.addWidget(page)
    page.show()
    page.set_workspace(passing_ws)
    groups = {page.tree.topLevelItem(i).text(0): page.tree.topLevelItem(i)
              for i in range(page.tree.topLevelItemCount())}
    assert "raw" in groups and "marts (empty)" in groups
    raw = [groups["raw"].child(i).text(0) for i in range(groups["raw"].childCount())]
    assert "events" in raw
    assert page.select("raw.events")
    qtbot.waitUntil(lambda: page.model is not None and page.model.total == 4 and page.model.rowCount() == 4,
                    timeout=5000)
    assert page.info.text().startswith("4 rows · 20 columns") or page.info.text().startswith("4 rows ·")
    model = page.model
    assert model is not None
    cols = [name for name, _ in model.columns]
    sel = page.view.selectionModel()
    for r in (0, 1):
        for c in (cols.index("event_id"), cols.index("user_id")):
            sel.select(model.index(r, c), QItemSelectionModel.SelectionFlag.Select)
    text = page.view.copy_selection()
    assert text == "e0\ta\ne1\ta"
    # NULL reads as NULL in the grid and copies as an empty cell
    product = cols.index("product_id")
    assert model.data(model.index(0, product)) == "NULL"
    sel.clearSelection()
    sel.select(model.index(0, product), QItemSelectionModel.SelectionFlag.Select)
    sel.select(model.index(0, cols.index("user_id")), QItemSelectionModel.SelectionFlag.Select)
    assert page.view.copy_selection() == "a\t"
    assert QGuiApplication.clipboard().text() == "a\t"

    page.filter.setText("c")
    page.apply_filter()
    qtbot.waitUntil(lambda: model.total is not None and not model.loading, timeout=5000)
    assert model.total == 1 and model.data(model.index(0, cols.index("user_id"))) == "c"


def test_refresh_reopens_the_table_with_new_rows(qtbot, passing_ws: Workspace) -> None:
    page = DataPage()
    qtbot.addWidget(page)
    page.set_workspace(passing_ws)
    assert page.select("raw.events")
    qtbot.waitUntil(lambda: page.model is not None and page.model.total == 4, timeout=5000)
    insert_many(passing_ws, 10)  # e.g. an import or the generator added rows
    page.refresh()
    assert page.current_relation() == "raw.events"
    qtbot.waitUntil(lambda: page.model is not None and page.model.total == 14 and page.model.rowCount() == 14,
                    timeout=5000)


def test_a_transient_view_is_browsed_from_a_snapshot_in_memory(qtbot, tmp_path) -> None:
    """A transient model (int_sessions here, in a copy of the project where it is one) is computed
    once into DuckDB's in-memory database (not once per page), read from there, filtered there,
    and dropped when another table is opened."""
    import re
    import shutil

    from shoplytics_desktop.core.generate import GenerateSpec, generate_into
    from shoplytics_desktop.core.models.runner import run_project
    from shoplytics_desktop.core.paths import default_models_dir

    models = tmp_path / "models"
    shutil.copytree(default_models_dir(), models)
    yml = models / "intermediate" / "_intermediate.yml"
    text = yml.read_text(encoding="utf-8")
    start = text.index("  - name: int_sessions\n")
    config = re.compile(r"    config:\n(      .*\n)+").search(text, start)
    assert config is not None
    yml.write_text(text[:config.start()] + "    config: {materialized: transient}\n"
                   + text[config.end():], encoding="utf-8")
    ws = Workspace.open(tmp_path / "ws")
    ws.settings.models_dir = str(models)
    generate_into(ws, GenerateSpec(events=3_000, days=10, seed=2))
    assert run_project(ws).published
    expected = ws.cursor().execute("select count(*) from intermediate.int_sessions").fetchone()[0]
    snapshots = lambda: ws.cursor().execute(  # noqa: E731
        "select table_name from duckdb_tables() where database_name = 'memory'").fetchall()

    page = DataPage()
    qtbot.addWidget(page)
    page.set_workspace(ws)
    assert page.transient == {"intermediate.int_sessions"}
    assert page.select("intermediate.int_sessions")
    model = page.model
    assert model is not None and model.snapshot
    qtbot.waitUntil(lambda: model.total == expected and model.rowCount() == min(expected, 500),
                    timeout=10_000)
    assert model.source.startswith("memory.main.")
    assert len(snapshots()) == 1
    assert page.info.text().startswith(f"{expected:,} rows")

    user_col = [name for name, _ in model.columns].index("user_id")
    some_user = model.data(model.index(0, user_col))
    model.set_filter(some_user)
    qtbot.waitUntil(lambda: model.total is not None and not model.loading, timeout=5000)
    in_view = ws.cursor().execute(
        "select count(*) from intermediate.int_sessions where user_id ilike ? or session_id ilike ? "
        "or session_key ilike ? or device ilike ? or traffic_source ilike ? or country ilike ?",
        [f"%{some_user}%"] * 6,
    ).fetchone()[0]
    assert model.total == in_view and model.rowCount() == in_view
    assert model.source.startswith("memory.main.")

    assert page.select("raw.events")  # another table: the snapshot goes
    assert snapshots() == []
    qtbot.waitUntil(lambda: page.model is not None and page.model.total == 3_000, timeout=5000)
    assert not page.model.snapshot and page.model.source == '"raw"."events"'
    page.set_workspace(None)
    ws.close()


def test_a_snapshot_that_cannot_be_made_falls_back_to_paging_the_view(
    qtbot, passing_ws: Workspace, monkeypatch
) -> None:
    import duckdb

    from shoplytics_desktop.ui import table_model

    def out_of_memory(*_args: object) -> int:
        raise duckdb.OutOfMemoryException("Out of Memory Error: could not allocate")

    monkeypatch.setattr(table_model, "_snapshot", out_of_memory)
    passing_ws.cursor().execute("create view staging.v as select * from raw.events")
    model = LazyTableModel(passing_ws, "staging", "v", snapshot=True)
    model.start()
    qtbot.waitUntil(lambda: model.total == 4 and model.rowCount() == 4, timeout=5000)
    assert model.source == '"staging"."v"' and not model.computing


def test_header_click_sorts_in_the_database_across_pages_and_filters(qtbot, passing_ws: Workspace) -> None:
    ws = passing_ws
    ws.cursor().execute("DELETE FROM raw.events")
    insert_many(ws, 1234)
    page = DataPage()
    qtbot.addWidget(page)
    page.show()
    page.set_workspace(ws)
    assert page.select("raw.events")
    model = page.model
    qtbot.waitUntil(lambda: model.rowCount() == 500 and model.total == 1234, timeout=5000)
    assert "scroll for more" in page.info.text()
    col = [name for name, _ in model.columns].index("event_id")
    header = page.view.horizontalHeader()
    x = header.sectionViewportPosition(col) + header.sectionSize(col) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2))
    assert model.sort_column == col
    qtbot.waitUntil(lambda: model.rowCount() == 500 and not model.loading, timeout=5000)
    # text order: 'e0', 'e1', 'e10', 'e100', 'e1000', 'e1001', …
    assert [model.data(model.index(r, col)) for r in range(4)] == ["e0", "e1", "e10", "e100"]
    assert model.sort_column == col
    order = header.sortIndicatorOrder()
    if order == Qt.SortOrder.AscendingOrder:
        page.view.sortByColumn(col, Qt.SortOrder.DescendingOrder)
    qtbot.waitUntil(lambda: model.rowCount() == 500 and not model.loading, timeout=5000)
    assert model.data(model.index(0, col)) == "e999"
    assert "sorted by event_id, descending" in page.info.text()
    # the second page continues the same order: no row twice, none left out
    model.fetchMore()
    qtbot.waitUntil(lambda: model.rowCount() == 1000, timeout=5000)
    ids = [model.data(model.index(r, col)) for r in range(1000)]
    assert ids == sorted((f"e{i}" for i in range(1234)), reverse=True)[:1000]
    # the filter keeps the order, and a fully loaded table says so
    page.filter.setText("user_7")
    page.apply_filter()
    qtbot.waitUntil(lambda: model.total == 25 and model.all_loaded, timeout=5000)
    ids = [model.data(model.index(r, col)) for r in range(25)]
    assert ids == sorted(ids, reverse=True)
    assert "all 25 rows loaded" in page.info.text()
    assert "scroll for more" not in page.info.text()


def test_show_query_browses_a_checked_select(qtbot, passing_ws: Workspace) -> None:
    page = DataPage()
    qtbot.addWidget(page)
    page.show()
    page.set_workspace(passing_ws)
    assert page.show_query("Events of a", "SELECT user_id, event_id FROM raw.events WHERE user_id = 'a'")
    qtbot.waitUntil(lambda: page.model is not None and page.model.total == 2 and page.model.all_loaded,
                    timeout=5000)
    assert page.title.text() == "Events of a"
    assert "all 2 rows loaded" in page.info.text()
    assert page.current_relation() == ""  # not a table: Export does not preselect it
    assert not page.show_query("Refused", "DELETE FROM raw.events")
    assert page.info.text().startswith("The query was refused")
    assert passing_ws.row_count("raw", "events") == 4
