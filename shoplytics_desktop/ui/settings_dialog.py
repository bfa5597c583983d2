"""Workspace settings: DuckDB memory and threads, the import memory budget, the session timeout,
the model project folder, the currency and the reporting time zone, validated by the same rules as ``shoplytics settings``
and saved to the workspace's ``settings.json``."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from shoplytics_desktop.core.engines import EngineError
from shoplytics_desktop.core.settings import (
    FIELDS,
    SettingsError,
    WorkspaceSettings,
    available_time_zones,
    validated,
)
from shoplytics_desktop.core.workspace import Workspace
from shoplytics_desktop.ui.dashboards.style import current_theme
from shoplytics_desktop.ui.engine_section import EngineSection

#: Settings DuckDB reads when the workspace is opened: changing one reopens it.
REOPEN_KEYS = ("memory_limit", "threads", "temp_directory")

_LABELS = {
    "memory_limit": "DuckDB memory limit",
    "import_memory_limit": "Memory while importing",
    "threads": "Threads",
    "temp_directory": "Spill folder",
    "session_timeout_minutes": "Session timeout (minutes)",
    "models_dir": "Model project folder",
    "currency": "Currency",
    "time_zone": "Reporting time zone",
    "run_on": "Run the pipeline on",
}


class SettingsDialog(QDialog):
    """Edits a copy of the workspace's settings; ``accepted_settings`` holds the valid result."""

    def __init__(self, ws: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Workspace settings")
        self.setMinimumWidth(560)
        self.ws = ws
        self.accepted_settings: WorkspaceSettings | None = None
        current = ws.settings
        fields = FIELDS

        form = QFormLayout()
        self.edits: dict[str, QLineEdit] = {}
        for key in ("memory_limit", "import_memory_limit", "temp_directory", "models_dir", "currency"):
            edit = QLineEdit(str(getattr(current, key) or ""))
            edit.setObjectName(key)
            default = fields[key].default
            edit.setPlaceholderText(
                "the workspace's tmp/ folder" if key == "temp_directory"
                else "the model project shipped with the app" if key == "models_dir"
                else "a quarter of the machine's memory" if key == "memory_limit"
                else str(default or "")
            )
            edit.setToolTip(fields[key].description or "")
            self.edits[key] = edit
        self.threads = QSpinBox()
        self.threads.setObjectName("threads")
        self.threads.setRange(0, 256)
        self.threads.setSpecialValueText("all cores")
        self.threads.setValue(current.threads or 0)
        self.threads.setToolTip(fields["threads"].description or "")
        self.timeout = QSpinBox()
        self.timeout.setObjectName("session_timeout_minutes")
        self.timeout.setRange(1, 24 * 60)
        self.timeout.setValue(current.session_timeout_minutes)
        self.timeout.setToolTip(fields["session_timeout_minutes"].description)
        self.time_zone = _time_zone_box(current.time_zone)
        self.time_zone.setToolTip(fields["time_zone"].description)

        form.addRow(_LABELS["memory_limit"], self.edits["memory_limit"])
        form.addRow(_LABELS["import_memory_limit"], self.edits["import_memory_limit"])
        form.addRow(_LABELS["threads"], self.threads)
        form.addRow(_LABELS["temp_directory"], self._with_browse(self.edits["temp_directory"]))
        form.addRow(_LABELS["session_timeout_minutes"], self.timeout)
        form.addRow(_LABELS["models_dir"], self._with_browse(self.edits["models_dir"]))
        form.addRow(_LABELS["currency"], self.edits["currency"])
        form.addRow(_LABELS["time_zone"], self.time_zone)

        self.engine = EngineSection(current.run_on)

        note = QLabel(
            "Sizes are written like 512MB or 4GB. Memory, threads and the spill folder apply "
            "when the workspace reopens (it reopens on OK). A new session timeout, currency, "
            "model project or time zone takes effect at the next pipeline run (until then the "
            "dashboards show the last run's numbers): days, weeks and hours of day are counted "
            "in the reporting time zone, and the run rebuilds them."
        )
        note.setWordWrap(True)
        # Secondary text, but readable: the theme's muted colour, not the disabled grey.
        note.setStyleSheet(f"color: {current_theme().muted};")
        self.error = QLabel()
        self.error.setObjectName("settings_error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #d55e00;")
        self.error.hide()

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.buttons = buttons
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.engine)
        layout.addWidget(note)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def _with_browse(self, edit: QLineEdit) -> QWidget:
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(edit, 1)
        browse = QPushButton("Browse…")
        browse.clicked.connect(lambda: self._browse(edit))
        row.addWidget(browse)
        return box

    def _browse(self, edit: QLineEdit) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose a folder", edit.text())
        if folder:
            edit.setText(folder)

    def values(self) -> dict[str, Any]:
        data: dict[str, Any] = self.ws.settings.to_dict()
        for key, edit in self.edits.items():
            data[key] = edit.text().strip() or None
        data["threads"] = self.threads.value() or None
        data["session_timeout_minutes"] = self.timeout.value()
        data["time_zone"] = self.time_zone.currentText().strip() or None
        data["run_on"] = self.engine.url()
        return data

    def accept(self) -> None:
        try:
            self.accepted_settings = validated(self.values())
            self.engine.save_password()
        except SettingsError as e:
            problems = [f"{_LABELS.get(key, key)}: {msg}" for key, msg in e.problems]
            self.error.setText("Not saved. " + "; ".join(problems) + ".")
            self.error.show()
            return
        except EngineError as e:
            self.accepted_settings = None
            self.error.setText(f"Not saved. {_LABELS['run_on']}: {e.one_line()}")
            self.error.show()
            return
        super().accept()

    def needs_reopen(self) -> bool:
        new = self.accepted_settings
        return new is not None and any(
            getattr(new, k) != getattr(self.ws.settings, k) for k in REOPEN_KEYS
        )


def _time_zone_box(current: str) -> QComboBox:
    """An editable list of every zone, completing on any part of the name (``berl`` finds
    Europe/Berlin); what is typed is checked on OK like every other setting."""
    box = QComboBox()
    box.setObjectName("time_zone")
    box.setEditable(True)
    box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    zones = available_time_zones()
    box.addItems(zones)
    if current not in zones:
        box.addItem(current)
    box.setCurrentText(current)
    completer = QCompleter(zones, box)
    completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    completer.setFilterMode(Qt.MatchFlag.MatchContains)
    box.setCompleter(completer)
    return box
