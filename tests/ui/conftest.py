"""Qt tests run offscreen, with QSettings in a temporary folder and tiny workspaces."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtCore import QSettings, QThreadPool

from shoplytics_desktop.core.workspace import Workspace
from tests.unit.modelproj import PROJECT, write_project

#: A model project whose error-severity test fails when a user has 3 or more events.
FAILING_PROJECT = {
    **{k: PROJECT[k] for k in ("staging/stg_counts.sql", "marts/fct_users.sql")},
    "marts/_marts.yml": """
        version: 2
        models:
          - name: fct_users
            description: One row per user.
            columns:
              - name: user_id
                description: The user.
                tests: [not_null, unique]
              - name: n
                description: Events of the user.
                tests:
                  - expression_is_true: {expression: "n < 3"}
    """,
}


def insert_events(ws: Workspace, users: list[str]) -> None:
    """One event per entry of ``users``, at one-minute steps."""
    rows = ", ".join(
        f"('e{i}', TIMESTAMP '2024-01-01 00:00:00' + INTERVAL {i} MINUTE, 'other', 'x', '{u}', 1, "
        "'d', 'XX', 't', 'b', now())"
        for i, u in enumerate(users)
    )
    ws.cursor().execute(
        "DELETE FROM raw.events; INSERT INTO raw.events (event_id, event_time, event_type, "
        "event_name, user_id, quantity, device, country, traffic_source, _batch_id, _loaded_at) "
        f"VALUES {rows}"
    )


def insert_many(ws: Workspace, n: int, users: int = 50) -> None:
    ws.cursor().execute(
        "INSERT INTO raw.events (event_id, event_time, event_type, event_name, user_id, quantity, "
        "device, country, traffic_source, _batch_id, _loaded_at) "
        "SELECT 'e' || i, TIMESTAMP '2024-01-01' + INTERVAL (i) MINUTE, 'other', 'x', "
        f"'user_' || (i % {users}), 1, 'd', 'XX', 't', 'b', now() FROM range({n}) t(i)"
    )


def window_on(qtbot, ws: Workspace, monkeypatch: pytest.MonkeyPatch, dashboards=None):
    """The main window opened on ``ws`` (closed first: the window opens it itself), with
    ``dashboards(page_host)`` for the dashboards page (default: a placeholder)."""
    from shoplytics_desktop.ui.main_window import MainWindow
    from shoplytics_desktop.ui.page_host import PageHost, Placeholder

    monkeypatch.setattr(
        PageHost, "_dashboards", dashboards or (lambda self: Placeholder("Dashboards", ""))
    )
    folder = ws.folder
    ws.close()
    window = MainWindow(folder)
    qtbot.addWidget(window)
    window.show()
    window.open_initial()
    return window


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "qsettings"
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(folder))
    monkeypatch.setenv("SHOPLYTICS_WORKSPACE", str(tmp_path / "default-ws"))
    yield folder
    QThreadPool.globalInstance().waitForDone(10_000)


@pytest.fixture
def failing_ws(tmp_path: Path) -> Iterator[Workspace]:
    """Users a (3 events), b (1), c (4): the error test n < 3 fails on a and c."""
    root = write_project(tmp_path / "proj", FAILING_PROJECT)
    ws = Workspace.open(tmp_path / "ws")
    ws.settings.models_dir = str(root)
    ws.save_settings()
    insert_events(ws, ["a", "a", "a", "b", "c", "c", "c", "c"])
    yield ws
    QThreadPool.globalInstance().waitForDone(10_000)
    ws.close()


@pytest.fixture
def passing_ws(tmp_path: Path) -> Iterator[Workspace]:
    """The same project with data that passes: a run publishes marts.fct_users."""
    root = write_project(tmp_path / "proj", FAILING_PROJECT)
    ws = Workspace.open(tmp_path / "ws")
    ws.settings.models_dir = str(root)
    ws.save_settings()
    insert_events(ws, ["a", "a", "b", "c"])
    yield ws
    QThreadPool.globalInstance().waitForDone(10_000)
    ws.close()
