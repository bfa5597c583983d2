"""The docs page: the data dictionary rendered in-app, and the diagram that navigates it."""

from __future__ import annotations

from shoplytics_desktop.core.models.runner import run_project
from shoplytics_desktop.core.workspace import Workspace
from shoplytics_desktop.ui.docs_page import DocsPage
from shoplytics_desktop.ui.project_state import ProjectStore


def test_dictionary_and_lineage(qtbot, passing_ws: Workspace) -> None:
    assert run_project(passing_ws).published
    store = ProjectStore()
    page = DocsPage(store)
    qtbot.addWidget(page)
    page.resize(1000, 700)
    page.show()
    page.set_workspace(passing_ws)
    store.set_workspace(passing_ws)
    qtbot.waitUntil(lambda: "Data dictionary" in page.browser.toPlainText(), timeout=10_000)
    text = page.browser.toPlainText()
    assert "staging.stg_counts" in text and "marts.fct_users" in text
    assert "One row per user." in text
    # column types come from the built tables
    table = text[text.index("marts.fct_users"):]
    assert "score" in table and "BIGINT" in table
    assert set(page.graph.items_by_id) == {"raw.events", "staging.stg_counts", "marts.fct_users"}
    assert page.graph.items_by_id["marts.fct_users"].status == "success"
    # a click on a node brings that model's heading up (not a mention in another model's lineage)
    page.graph.select("marts.fct_users")
    block = page.browser.textCursor().block()
    assert block.text() == "marts.fct_users" and block.blockFormat().headingLevel() == 3
