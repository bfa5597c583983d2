"""Settings ▸ "Run the pipeline on": this computer, PostgreSQL or Spark, the server's URL, its
password (kept in the system keyring when there is one, never in settings.json) and a "Test
connection" button that says what is wrong in words: unreachable, wrong password, a missing
privilege, or a missing optional package with the pip command that installs it."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from shoplytics_desktop.core.engines import EngineError, EngineURL, parse_url, passwords
from shoplytics_desktop.ui.workers import Worker

#: (label, URL scheme, example URL)
CHOICES = (
    ("This computer (DuckDB)", "", ""),
    ("PostgreSQL", "postgresql", "postgresql://user@host:5432/database"),
    ("Spark (Spark Connect)", "sc", "sc://host:15002"),
)


class EngineSection(QGroupBox):
    """Where the pipeline runs. ``url()`` is what settings.json gets (no password);
    ``save_password()`` keeps a typed password once the settings are accepted."""

    def __init__(self, current: str | None, parent: QWidget | None = None) -> None:
        super().__init__("Run the pipeline on", parent)
        self.kind = QComboBox()
        self.kind.setObjectName("run_on_kind")
        self.kind.addItems([c[0] for c in CHOICES])
        self.url_edit = QLineEdit()
        self.url_edit.setObjectName("run_on")
        self.password = QLineEdit()
        self.password.setObjectName("run_on_password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.test_button = QPushButton("Test connection")
        self.test_button.setObjectName("test_connection")
        self.result = QLabel()
        self.result.setObjectName("connection_result")
        self.result.setWordWrap(True)
        self.kept = QLabel(passwords.where_kept())
        self.kept.setWordWrap(True)
        self.kept.setEnabled(False)
        self.worker: Worker | None = None

        row = QWidget()
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(self.password, 1)
        line.addWidget(self.test_button)
        form = QFormLayout(self)
        form.addRow("Engine", self.kind)
        form.addRow("Server URL", self.url_edit)
        form.addRow("Password", row)
        form.addRow("", self.kept)
        form.addRow("", self.result)

        self.kind.setCurrentIndex(_kind_index(current))
        self.url_edit.setText(current or "")
        self._kind_changed()
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.url_edit.textChanged.connect(lambda _: self._say(""))
        self.test_button.clicked.connect(self.test_connection)

    # -- values ------------------------------------------------------------------------------

    def url(self) -> str | None:
        """The URL to save (None: this computer). Raises EngineError for a bad one."""
        if self.kind.currentIndex() == 0:
            return None
        return self.target().redacted()

    def target(self) -> EngineURL:
        text = self.url_edit.text().strip()
        scheme = CHOICES[self.kind.currentIndex()][1]
        if not text:
            raise EngineError(f"Enter the server's URL, like {CHOICES[self.kind.currentIndex()][2]}.")
        target = parse_url(text)
        if (target.kind == "postgres") != (scheme == "postgresql"):
            raise EngineError(
                f"That is not a {CHOICES[self.kind.currentIndex()][0]} URL.",
                f"Write it like {CHOICES[self.kind.currentIndex()][2]}.",
            )
        if target.password is not None:
            raise EngineError(
                "Do not put the password in the URL: it would be saved in clear text.",
                "Type it in the Password field; it is kept in the system keyring.",
            )
        return target

    def typed_password(self) -> str | None:
        return self.password.text() or None

    def save_password(self) -> None:
        """Keep the typed password (keyring, else for this session)."""
        secret = self.typed_password()
        if secret is None or self.kind.currentIndex() != 1:
            return
        passwords.store_password(self.target(), secret)

    # -- test connection ---------------------------------------------------------------------

    def test_connection(self) -> None:
        from shoplytics_desktop.core.engines import check_connection

        if self.worker is not None:
            return
        try:
            target = self.target()
        except EngineError as e:
            self._say(e.one_line(), ok=False)
            return
        self._say("Connecting…")
        self.test_button.setEnabled(False)
        worker = Worker(check_connection, target, self.typed_password(), pass_reporter=False)
        worker.signals.result.connect(lambda text: self._say(str(text), ok=True))
        worker.signals.error.connect(self._failed)
        worker.signals.finished.connect(self._tested)
        self.worker = worker
        worker.start()

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, EngineError):
            self._say(error.one_line(), ok=False)
        else:  # the driver's own error: its first line, never a traceback
            text = str(error).strip().splitlines()
            self._say(f"The connection failed: {text[0] if text else type(error).__name__}", ok=False)

    def _tested(self) -> None:
        self.worker = None
        self.test_button.setEnabled(self.kind.currentIndex() != 0)

    def _say(self, text: str, ok: bool | None = None) -> None:
        self.result.setText(text)
        self.result.setStyleSheet(
            "" if ok is None else "color: #009e73;" if ok else "color: #d55e00;"
        )

    def _kind_changed(self) -> None:
        index = self.kind.currentIndex()
        remote = index != 0
        self.url_edit.setEnabled(remote)
        self.url_edit.setPlaceholderText(CHOICES[index][2])
        self.password.setEnabled(index == 1)
        self.password.setPlaceholderText(
            "kept from before" if index == 1 and self._has_stored() else ""
        )
        self.test_button.setEnabled(remote and self.worker is None)
        self.kept.setVisible(index == 1)
        self._say("")

    def _has_stored(self) -> bool:
        try:
            return passwords.stored_password(self.target()) is not None
        except EngineError:
            return False


def _kind_index(url: str | None) -> int:
    if not url:
        return 0
    return 2 if url.lower().startswith("sc:") else 1
