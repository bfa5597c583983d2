"""The SQL page: the rule of `shoplytics query`, results paged and charted, export, history."""

from __future__ import annotations

from pathlib import Path

import duckdb
from PySide6.QtCore import Qt

from shoplytics_desktop.core.workspace import Workspace
from shoplytics_desktop.ui.sql_page import SqlPage
from tests.ui.conftest import insert_many


def _page(qtbot, ws: Workspace) -> SqlPage:
    page = SqlPage()
    qtbot.addWidget(page)
    page.show()
    page.set_workspace(ws)
    return page


def _run(qtbot, page: SqlPage, sql: str) -> None:
    page.editor.setPlainText(sql)
    qtbot.keyClick(page.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not page.busy, timeout=10_000)


def test_ctrl_enter_runs_pages_charts_and_remembers(qtbot, passing_ws: Workspace) -> None:
    ws = passing_ws
    ws.cursor().execute("DELETE FROM raw.events")
    insert_many(ws, 1234)
    page = _page(qtbot, ws)
    _run(qtbot, page, "SELECT user_id, count(*) AS n FROM events GROUP BY user_id ORDER BY user_id")
    assert page.result is not None and page.result.rows == 50
    assert page.message.text().startswith("50 rows in ")
    qtbot.waitUntil(lambda: page.model.rowCount() == 50 and page.model.all_loaded, timeout=5000)
    assert page.model.data(page.model.index(0, 0)) == "user_0"
    assert page.model.data(page.model.index(0, 1)) == "25"  # 0, 50, …, 1200: 25 of 1234
    assert "all 50 rows loaded" in page.info.text()

    _run(qtbot, page, "SELECT i, i * 2 AS twice FROM range(1200) t(i)")
    assert page.result.rows == 1200
    qtbot.waitUntil(lambda: page.model.rowCount() == 500, timeout=5000)
    assert "500 of 1,200 rows loaded · scroll for more" in page.info.text()

    page.tabs.setCurrentWidget(page.chart)
    assert page.chart.x_column.currentText() == "i" and page.chart.y_column.currentText() == "twice"
    assert page.chart.points() == 1200
    page.chart.kind.setCurrentText("Bars")
    assert page.chart.points() == 1200

    assert page.history_items()[:2] == ["SELECT i, i * 2 AS twice FROM range(1200) t(i)",
                                        "SELECT user_id, count(*) AS n FROM events GROUP BY user_id ORDER BY user_id"]
    again = _page(qtbot, ws)  # the history is the workspace's
    assert len(again.history_items()) == 2
    again.history.activated.emit(1)
    assert again.editor.toPlainText().startswith("SELECT user_id")


def test_refused_and_failed_queries_say_one_line_and_change_nothing(qtbot, passing_ws: Workspace) -> None:
    page = _page(qtbot, passing_ws)
    for sql, start in (
        ("DELETE FROM raw.events", "The query was refused: DELETE statements are not allowed"),
        ("SELECT 1; DROP TABLE raw.events", "The query was refused: it holds 2 statements"),
        ("SELECT * FROM read_csv('/etc/passwd')", "The query was refused (line 1, column 15): it calls the table function read_csv()"),
        ("SELECT * FROM nowhere", "The query was refused (line 1, column 15): it reads 'nowhere'"),
        ("SELECT 1 / 'x'", "The query failed: "),
    ):
        _run(qtbot, page, sql)
        text = page.message.text()
        assert text.startswith(start), text
        assert "Traceback" not in text and "\n" not in text
    assert passing_ws.row_count("raw", "events") == 4
    assert page.result is None


def test_cancel_stops_a_long_query(qtbot, passing_ws: Workspace) -> None:
    page = _page(qtbot, passing_ws)
    page.editor.setPlainText("SELECT count(*) FROM range(1000000000000) a(i) WHERE i % 7 = 3")
    page.run()
    assert page.busy and page.cancel_button.isEnabled()
    qtbot.wait(300)
    page.cancel()
    qtbot.waitUntil(lambda: not page.busy, timeout=10_000)
    assert page.message.text() == "Cancelled."
    assert page.run_button.isEnabled()


def test_export_csv_and_parquet(qtbot, passing_ws: Workspace, tmp_path: Path) -> None:
    page = _page(qtbot, passing_ws)
    _run(qtbot, page, "SELECT user_id, count(*) AS n FROM raw.events GROUP BY 1 ORDER BY 1")
    assert page.export(tmp_path / "r.csv", "csv")
    assert (tmp_path / "r.csv").read_text().splitlines() == ["user_id,n", "a,2", "b,1", "c,1"]
    assert page.export(tmp_path / "r.parquet", "parquet")
    rows = duckdb.sql(f"SELECT * FROM '{tmp_path / 'r.parquet'}' ORDER BY 1").fetchall()
    assert rows == [("a", 2), ("b", 1), ("c", 1)]
    assert not page.export(tmp_path / "missing" / "r.csv", "csv")
    assert page.message.text().startswith("Cannot write to the folder")
