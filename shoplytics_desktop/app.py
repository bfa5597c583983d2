"""QApplication bootstrap."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

    app = QApplication.instance() or QApplication(list(argv or sys.argv))
    window = QMainWindow()
    window.setWindowTitle("Shoplytics")
    window.setCentralWidget(QLabel("Shoplytics Desktop"))
    window.resize(1100, 720)
    window.show()
    return int(app.exec())
