"""Help ▸ Keyboard shortcuts (read from the window's actions) and Help ▸ Metric definitions (the
column descriptions of the model project's marts, from its YAML docs)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLineEdit,
    QMenu,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMainWindow

    from shoplytics_desktop.core.models.project import Project


@dataclass(frozen=True)
class Shortcut:
    where: str
    action: str
    keys: str


def _plain(text: str) -> str:
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…").strip()


def shortcuts(window: QMainWindow) -> list[Shortcut]:
    """Every action of the menu bar (and any other action of the window) that has a shortcut,
    in menu order, as the platform writes the keys."""
    out: list[Shortcut] = []
    seen: set[int] = set()

    def walk(menu: QMenu, path: str) -> None:
        for action in menu.actions():
            if action.menu() is not None:
                walk(action.menu(), f"{path} ▸ {_plain(action.text())}")  # type: ignore[arg-type]
                continue
            seen.add(id(action))
            keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts()]
            if keys and action.text():
                out.append(Shortcut(path, _plain(action.text()), ", ".join(keys)))

    for top in window.menuBar().actions():
        if top.menu() is not None:
            walk(top.menu(), _plain(top.text()))  # type: ignore[arg-type]
    for action in window.findChildren(QAction):
        if id(action) in seen or action.shortcut().isEmpty() or not action.text():
            continue
        keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        parent = action.parent()
        where = parent.objectName() if isinstance(parent, QWidget) and parent.objectName() else "Window"
        out.append(Shortcut(where, _plain(action.text()), keys))
    return out


@dataclass(frozen=True)
class Definition:
    term: str
    model: str
    description: str


def metric_definitions(project: Project, layers: tuple[str, ...] = ("marts",)) -> list[Definition]:
    """Every documented column of the project's marts, by model then column order."""
    out = []
    for name in sorted(project.models):
        model = project.models[name]
        if model.layer not in layers:
            continue
        for col in model.columns:
            if col.description.strip():
                out.append(Definition(col.name, f"{model.layer}.{name}", " ".join(col.description.split())))
    return out


def _table(headers: list[str], rows: list[list[str]]) -> QTableWidget:
    table = QTableWidget(len(rows), len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().hide()
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setWordWrap(True)
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            item = QTableWidgetItem(text)
            item.setToolTip(text)
            table.setItem(r, c, item)
    header = table.horizontalHeader()
    for c in range(len(headers) - 1):
        header.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(len(headers) - 1, QHeaderView.ResizeMode.Stretch)
    table.resizeRowsToContents()
    return table


class _ListDialog(QDialog):
    def __init__(self, title: str, headers: list[str], rows: list[list[str]],
                 parent: QWidget | None, placeholder: str) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(820, 560)
        self.search = QLineEdit()
        self.search.setPlaceholderText(placeholder)
        self.search.setClearButtonEnabled(True)
        self.table = _table(headers, rows)
        self.search.textChanged.connect(self._filter)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        # Rows fit their wrapped text once the columns have their real widths.
        self.table.resizeRowsToContents()

    def _filter(self, text: str) -> None:
        needle = text.strip().lower()
        for r in range(self.table.rowCount()):
            cells = [self.table.item(r, c) for c in range(self.table.columnCount())]
            hay = " ".join(c.text().lower() for c in cells if c is not None)
            self.table.setRowHidden(r, bool(needle) and needle not in hay)

    def visible_rows(self) -> list[list[str]]:
        return [[self.table.item(r, c).text() for c in range(self.table.columnCount())]  # type: ignore[union-attr]
                for r in range(self.table.rowCount()) if not self.table.isRowHidden(r)]


class ShortcutsDialog(_ListDialog):
    def __init__(self, window: QMainWindow) -> None:
        rows = [[s.keys, s.action, s.where] for s in shortcuts(window)]
        rows.append([QKeySequence("Ctrl+Return").toString(QKeySequence.SequenceFormat.NativeText),
                     "Run the query", "SQL page editor"])
        super().__init__("Keyboard shortcuts", ["Keys", "Action", "Where"], rows, window,
                         "Find a shortcut…")


class DefinitionsDialog(_ListDialog):
    """The figures the dashboards show (session conversion, funnel completion, AOV …), then
    every documented column of the marts."""

    def __init__(self, project: Project | None, parent: QWidget | None, reason: str = "") -> None:
        from shoplytics_desktop.core.analytics.glossary import METRICS

        defs = metric_definitions(project) if project is not None else []
        rows = [[m.name, "dashboards", f"{m.definition} ({m.formula})"] for m in METRICS]
        rows += [[d.term, d.model, d.description] for d in defs]
        super().__init__("Metric definitions", ["Metric", "Where", "Definition"], rows, parent,
                         "Find a metric…" if defs else (reason or "Open a workspace to read its "
                                                        "model project's definitions too."))
