"""Settings ▸ Run the pipeline on: the choice is saved in settings.json, the URL is checked, and a
password goes to the system keyring (a fake one here), or lasts for the session without one, and
is never written to the workspace."""

from __future__ import annotations

import json
import logging

import pytest
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit

from shoplytics_desktop.core.engines import parse_url, passwords
from shoplytics_desktop.core.workspace import Workspace
from shoplytics_desktop.ui.settings_dialog import SettingsDialog

SECRET = "pw-7e1b-Zq"


class MemoryKeyring:
    """A keyring backend that keeps passwords in a dict."""

    priority = 5

    def __init__(self) -> None:
        self.saved: dict[tuple[str, str], str] = {}

    def set_password(self, service: str, user: str, password: str) -> None:
        self.saved[(service, user)] = password

    def get_password(self, service: str, user: str) -> str | None:
        return self.saved.get((service, user))

    def delete_password(self, service: str, user: str) -> None:
        self.saved.pop((service, user), None)


@pytest.fixture(autouse=True)
def _no_session_passwords():
    passwords._session.clear()
    yield
    passwords._session.clear()


@pytest.fixture
def fake_keyring(monkeypatch):
    keyring = pytest.importorskip("keyring")
    from keyring.backend import KeyringBackend

    backend = type("Fake", (MemoryKeyring, KeyringBackend), {})()
    old = keyring.get_keyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(old)


@pytest.fixture
def no_keyring(monkeypatch):
    monkeypatch.setattr(passwords, "_backend", lambda: None)


def _section(dialog: SettingsDialog) -> tuple[QComboBox, QLineEdit, QLineEdit, QLabel]:
    return (
        dialog.findChild(QComboBox, "run_on_kind"),
        dialog.findChild(QLineEdit, "run_on"),
        dialog.findChild(QLineEdit, "run_on_password"),
        dialog.findChild(QLabel, "settings_error"),
    )


def _workspace_bytes(ws: Workspace) -> bytes:
    ws.cursor().execute("CHECKPOINT")
    return b"".join(p.read_bytes() for p in ws.folder.rglob("*") if p.is_file())


def test_the_engine_is_saved_and_the_password_goes_to_the_keyring(
    qtbot, passing_ws: Workspace, fake_keyring, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    dialog = SettingsDialog(passing_ws)
    qtbot.addWidget(dialog)
    kind, url, password, error = _section(dialog)
    assert kind.currentIndex() == 0 and not url.isEnabled()
    kind.setCurrentIndex(1)
    assert url.isEnabled() and password.isEnabled()
    url.setText("postgresql://analyst@db.example.com:6543/shop")
    password.setText(SECRET)
    dialog.accept()
    assert dialog.result() == SettingsDialog.DialogCode.Accepted, error.text()
    passing_ws.settings = dialog.accepted_settings
    passing_ws.save_settings()

    saved = json.loads((passing_ws.folder / "settings.json").read_text(encoding="utf-8"))
    assert saved["run_on"] == "postgresql://analyst@db.example.com:6543/shop"
    assert fake_keyring.saved == {
        ("shoplytics-desktop", "postgresql://analyst@db.example.com:6543/shop"): SECRET
    }
    assert SECRET.encode() not in _workspace_bytes(passing_ws)
    assert SECRET not in caplog.text
    # Found again after a restart (nothing kept in the app's memory).
    passwords._session.clear()
    assert passwords.stored_password(parse_url(saved["run_on"])) == SECRET

    # Reopened: the choice is shown, the password is not.
    again = SettingsDialog(passing_ws)
    qtbot.addWidget(again)
    kind, url, password, _ = _section(again)
    assert kind.currentIndex() == 1
    assert url.text() == "postgresql://analyst@db.example.com:6543/shop"
    assert password.text() == "" and password.placeholderText() == "kept from before"
    # Back to this computer.
    kind.setCurrentIndex(0)
    again.accept()
    assert again.accepted_settings is not None and again.accepted_settings.run_on is None


def test_without_a_keyring_the_password_lasts_for_the_session(
    qtbot, passing_ws: Workspace, no_keyring
) -> None:
    dialog = SettingsDialog(passing_ws)
    qtbot.addWidget(dialog)
    assert "PGPASSWORD or SHOPLYTICS_ENGINE_PASSWORD" in dialog.engine.kept.text()
    kind, url, password, error = _section(dialog)
    kind.setCurrentIndex(1)
    url.setText("postgresql://analyst@localhost/shop")
    password.setText(SECRET)
    dialog.accept()
    assert dialog.result() == SettingsDialog.DialogCode.Accepted, error.text()
    passing_ws.settings = dialog.accepted_settings
    passing_ws.save_settings()
    assert passwords.stored_password(parse_url("postgresql://analyst@localhost/shop")) == SECRET
    assert SECRET.encode() not in _workspace_bytes(passing_ws)


@pytest.mark.parametrize(
    ("index", "text", "expected"),
    [
        (1, "", "Enter the server's URL"),
        (1, "mysql://db/shop", "Unknown engine URL scheme"),
        (1, "sc://spark:15002", "not a PostgreSQL URL"),
        (2, "postgresql://a@b/c", "not a Spark (Spark Connect) URL"),
        (1, "postgresql://a:" + SECRET + "@host/db", "Do not put the password in the URL"),
        (1, "postgresql://a@host:99999/db", "bad port"),
    ],
)
def test_a_bad_url_is_not_saved(qtbot, passing_ws: Workspace, index, text, expected) -> None:
    dialog = SettingsDialog(passing_ws)
    qtbot.addWidget(dialog)
    kind, url, _, error = _section(dialog)
    kind.setCurrentIndex(index)
    url.setText(text)
    dialog.accept()
    assert dialog.accepted_settings is None
    assert expected in error.text() and SECRET not in error.text()
    assert "run_on" not in (passing_ws.folder / "settings.json").read_text(encoding="utf-8") or (
        json.loads((passing_ws.folder / "settings.json").read_text())["run_on"] is None
    )


def test_test_connection_says_the_server_cannot_be_reached(qtbot, passing_ws: Workspace) -> None:
    pytest.importorskip("psycopg")
    dialog = SettingsDialog(passing_ws)
    qtbot.addWidget(dialog)
    kind, url, password, _ = _section(dialog)
    kind.setCurrentIndex(1)
    url.setText("postgresql://nobody@127.0.0.1:1/nowhere")
    password.setText(SECRET)
    dialog.engine.test_button.click()
    qtbot.waitUntil(lambda: dialog.engine.worker is None, timeout=30_000)
    text = dialog.engine.result.text()
    assert "Cannot connect to PostgreSQL at postgresql://nobody@127.0.0.1:1/nowhere" in text
    assert SECRET not in text


def test_a_missing_driver_names_the_pip_command(qtbot, passing_ws: Workspace, monkeypatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_pyspark(name, *args, **kwargs):
        if name.startswith("pyspark"):
            raise ImportError("No module named 'pyspark'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pyspark)
    import sys

    monkeypatch.delitem(sys.modules, "shoplytics_desktop.core.engines.spark", raising=False)
    dialog = SettingsDialog(passing_ws)
    qtbot.addWidget(dialog)
    kind, url, _, _ = _section(dialog)
    kind.setCurrentIndex(2)
    url.setText("sc://127.0.0.1:15002")
    dialog.engine.test_button.click()
    qtbot.waitUntil(lambda: dialog.engine.worker is None, timeout=30_000)
    assert "pip install 'shoplytics-desktop[spark]'" in dialog.engine.result.text()
