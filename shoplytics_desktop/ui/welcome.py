"""The start page: three ways to get data in, and the recent workspaces."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)


class ActionCard(QPushButton):
    """A large button with a bold title and a one-line explanation."""

    def __init__(self, icon: QIcon, title: str, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.setAccessibleName(title)
        self.setToolTip(text)
        self.setMinimumHeight(68)
        self.setMinimumWidth(260)
        picture = QLabel()
        picture.setPixmap(icon.pixmap(QSize(28, 28)))
        label = QLabel(f"<b>{title}</b><br>{text}")
        for child in (picture, label):
            child.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        row = QHBoxLayout(self)
        row.setContentsMargins(16, 8, 16, 8)
        row.setSpacing(14)
        row.addWidget(picture)
        row.addWidget(label, 1)


class WelcomePage(QWidget):
    generate_requested = Signal()
    import_requested = Signal()
    open_requested = Signal()
    recent_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        style = self.style()
        self.heading = QLabel("Welcome to Shoplytics")
        font = self.heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.9)
        font.setBold(True)
        self.heading.setFont(font)
        self.subtitle = QLabel()
        self.subtitle.setWordWrap(True)
        self.subtitle.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.generate_button = ActionCard(
            style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay), "Generate demo data",
            "A realistic synthetic shop to explore in a minute")
        self.import_button = ActionCard(
            style.standardIcon(QStyle.StandardPixmap.SP_ArrowDown), "Import event files",
            "CSV, JSON Lines or Parquet exports from your shop")
        self.open_button = ActionCard(
            style.standardIcon(QStyle.StandardPixmap.SP_DirOpenIcon), "Open workspace…",
            "A folder with a Shoplytics workspace")
        self.generate_button.clicked.connect(self.generate_requested)
        self.import_button.clicked.connect(self.import_requested)
        self.open_button.clicked.connect(self.open_requested)

        self.recent_label = QLabel("Recent workspaces")
        bold = self.recent_label.font()
        bold.setBold(True)
        self.recent_label.setFont(bold)
        self.recent = QListWidget()
        self.recent.setFrameShape(QFrame.Shape.StyledPanel)
        self.recent.setSpacing(2)
        self.recent.setMaximumHeight(200)
        self.recent.itemActivated.connect(lambda item: self.recent_requested.emit(item.data(Qt.ItemDataRole.UserRole)))
        self.no_recent = QLabel("None yet: the workspaces you open appear here.")
        self.drop_hint = QLabel("Tip: drop event files anywhere on this window to import them.")
        self.drop_hint.setEnabled(False)

        column = QVBoxLayout()
        column.addStretch(1)
        column.addWidget(self.heading)
        column.addWidget(self.subtitle)
        column.addSpacing(18)
        for b in (self.generate_button, self.import_button, self.open_button):
            column.addWidget(b)
        column.addSpacing(18)
        column.addWidget(self.recent_label)
        column.addWidget(self.recent)
        column.addWidget(self.no_recent)
        column.addSpacing(8)
        column.addWidget(self.drop_hint)
        column.addStretch(2)
        outer = QHBoxLayout(self)
        outer.addStretch(1)
        box = QWidget()
        box.setLayout(column)
        box.setMaximumWidth(620)
        box.setMinimumWidth(420)
        outer.addWidget(box, 3)
        outer.addStretch(1)

    def set_state(self, workspace: str | None, empty: bool, recent: list[str], read_only: bool = False) -> None:
        if workspace is None:
            self.subtitle.setText("No workspace is open. Open one, or create a new one from the File menu.")
        elif empty:
            self.subtitle.setText(
                f"The workspace <b>{workspace}</b> has no events yet. Generate a demo shop or import "
                "your own event exports to get started.")
        else:
            self.subtitle.setText(f"Workspace <b>{workspace}</b>. Pick a page on the left, or load more data.")
        can_write = workspace is not None and not read_only
        self.generate_button.setEnabled(can_write)
        self.import_button.setEnabled(can_write)
        self.recent.clear()
        for path in recent:
            item = QListWidgetItem(path)
            item.setData(Qt.ItemDataRole.UserRole, path)
            item.setToolTip(f"Open {path}")
            self.recent.addItem(item)
        rows = max(1, min(len(recent), 6))
        self.recent.setFixedHeight(rows * (self.recent.sizeHintForRow(0) + 2) + 2 * self.recent.frameWidth() + 4)
        self.recent.setVisible(bool(recent))
        self.no_recent.setVisible(not recent)
