"""The status bar: which workspace, how many rows, when the marts were last built."""

from __future__ import annotations

import datetime as dt

from PySide6.QtWidgets import QLabel, QSizePolicy, QStatusBar, QWidget

from shoplytics_desktop.core import catalog, history
from shoplytics_desktop.core.workspace import Workspace
from shoplytics_desktop.ui.workers import Worker


def count_rows(ws: Workspace) -> tuple[int, int, int]:
    """raw.events rows, number of mart tables, and their total rows (run in a worker)."""
    events = ws.row_count("raw", "events")
    marts = catalog.list_relations(ws, ("marts",), kinds=(catalog.RelationKind.TABLE,), counts=True)
    return events, len(marts), sum(r.rows or 0 for r in marts)


def last_published(ws: Workspace) -> str | None:
    published = history.last_published(ws)
    return published.at if published else None


def _local(utc_text: str) -> str:
    """A ``%Y-%m-%d %H:%M:%S`` UTC time as this computer's clock reads it."""
    try:
        when = dt.datetime.strptime(utc_text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=dt.UTC)
    except ValueError:
        return f"{utc_text} UTC"
    return f"{when.astimezone():%Y-%m-%d %H:%M}"


class StatusBar(QStatusBar):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace_label = QLabel("No workspace")
        self.counts_label = QLabel("")
        self.built_label = QLabel("")
        self.workspace_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.addWidget(self.workspace_label, 1)
        self.addPermanentWidget(self.counts_label)
        self.addPermanentWidget(self.built_label)
        self._generation = 0

    def set_workspace(self, ws: Workspace | None) -> None:
        self._generation += 1
        if ws is None:
            self.workspace_label.setText("No workspace open")
            self.counts_label.setText("")
            self.built_label.setText("")
            return
        snapshot = ws.snapshot_of
        text = str(snapshot or ws.folder)
        if snapshot:
            text += "  (read-only snapshot)"
        elif ws.read_only:
            text += "  (read-only)"
        self.workspace_label.setText(text)
        self.workspace_label.setToolTip(f"Workspace folder: {ws.folder}")
        built = last_published(ws)
        self.built_label.setText("·  " + (f"Marts built {_local(built)}" if built
                                          else "Marts not built yet"))
        self.built_label.setToolTip(f"The last published run, {built} UTC" if built else "")
        self.counts_label.setText("counting rows…")
        generation = self._generation
        worker = Worker(count_rows, ws, pass_reporter=False)
        worker.signals.result.connect(lambda counts: self._counted(generation, counts))
        worker.signals.error.connect(lambda _e: self.counts_label.setText(""))
        worker.start()

    def _counted(self, generation: int, counts: tuple[int, int, int]) -> None:
        if generation != self._generation:
            return
        events, n_marts, mart_rows = counts
        self.counts_label.setText(
            f"raw.events {events:,} rows  ·  marts: {n_marts} tables, {mart_rows:,} rows")
