"""Export: files are written, and overwriting needs the user's yes."""

from __future__ import annotations

from pathlib import Path

import duckdb

from shoplytics_desktop.core.models.runner import run_project
from shoplytics_desktop.core.workspace import Workspace
from shoplytics_desktop.ui.export_dialog import ExportDialog


def test_export_csv_then_parquet_with_overwrite_confirmation(qtbot, passing_ws: Workspace, tmp_path: Path) -> None:
    assert run_project(passing_ws).published
    dialog = ExportDialog(passing_ws)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.selected_tables() == ["marts.fct_users"]  # marts are ticked by default
    out = tmp_path / "out"
    dialog.folder.setText(str(out))
    dialog.start_export()
    qtbot.waitUntil(lambda: dialog.worker is None and bool(dialog.files), timeout=10_000)
    csv = out / "fct_users.csv"
    lines = csv.read_text().splitlines()
    assert lines[0] == "user_id,n,score"
    assert sorted(lines[1:]) == ["a,2,20", "b,1,10", "c,1,10"]
    assert "Exported 1 file(s), 3 rows" in dialog.message.text()
    assert dialog.show_button.isEnabled()

    # a second export to the same folder asks first; "no" leaves the file alone
    asked: list[list[Path]] = []
    dialog.confirm = lambda existing: asked.append(existing) or False
    csv.write_text("keep me")
    dialog.start_export()
    assert asked == [[csv]] and dialog.worker is None
    assert csv.read_text() == "keep me"
    assert "Nothing exported" in dialog.message.text()
    # "yes" overwrites
    dialog.confirm = lambda existing: True
    dialog.files = []
    dialog.start_export()
    qtbot.waitUntil(lambda: dialog.worker is None and bool(dialog.files), timeout=10_000)
    assert csv.read_text().splitlines()[0] == "user_id,n,score"

    dialog.parquet.setChecked(True)
    dialog.files = []
    dialog.start_export()
    qtbot.waitUntil(lambda: dialog.worker is None and bool(dialog.files), timeout=10_000)
    parquet = out / "fct_users.parquet"
    count = duckdb.connect().execute(f"SELECT count(*) FROM read_parquet('{parquet}')").fetchone()
    assert count == (3,)


def test_any_table_can_be_exported(qtbot, passing_ws: Workspace, tmp_path: Path) -> None:
    dialog = ExportDialog(passing_ws, preselect="raw.events")
    qtbot.addWidget(dialog)
    assert dialog.selected_tables() == []  # no marts yet; raw tables are listed on request
    assert "no marts yet" in dialog.message.text()
    dialog.all_schemas.setChecked(True)
    assert dialog.selected_tables() == ["raw.events"]
    dialog.folder.setText(str(tmp_path / "raw"))
    dialog.start_export()
    qtbot.waitUntil(lambda: dialog.worker is None and bool(dialog.files), timeout=10_000)
    assert dialog.files[0].rows == 4
    assert len((tmp_path / "raw" / "events.csv").read_text().splitlines()) == 5
