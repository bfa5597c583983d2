"""The block a wizard page shows while a long job runs: a progress bar, a status line and a
Cancel button (the Generate and Import wizards' loading pages)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget


class ProgressBox(QWidget):
    def __init__(self, on_cancel: Callable[[], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.message = QLabel("Starting…")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(on_cancel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.bar)
        layout.addWidget(self.message)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.cancel_button)
        layout.addLayout(row)
        layout.addStretch(1)

    def start(self) -> None:
        self.bar.setValue(0)
        self.message.setText("Starting…")
        self.cancel_button.setEnabled(True)

    def cancelling(self) -> None:
        self.message.setText("Cancelling…")
        self.cancel_button.setEnabled(False)

    def progress(self, done: float, total: float, message: str, unit: str | None = None) -> None:
        if total:
            self.bar.setValue(int(1000 * min(done / total, 1.0)))
            if unit:
                self.bar.setFormat(f"%p%  ({int(done):,} of {int(total):,} {unit})")
        if message:
            self.message.setText(message)

    def finish(self) -> None:
        self.bar.setValue(1000)
        self.message.setText("Done.")
