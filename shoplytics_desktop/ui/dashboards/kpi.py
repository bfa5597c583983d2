"""KPI cards: the value, the change against the previous period and a sparkline."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QResizeEvent
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from shoplytics_desktop.core.analytics.filters import Filters, periods
from shoplytics_desktop.core.analytics.glossary import tooltip as metric_tooltip
from shoplytics_desktop.core.analytics.types import Kpi
from shoplytics_desktop.ui.dashboards.plots import _dotted_parts, clean
from shoplytics_desktop.ui.dashboards.style import current_theme, fmt_change, fmt_period, fmt_value


class Sparkline(pg.PlotWidget):
    """A tiny axis-less line; hovering shows the value under the cursor as a tooltip. An
    incomplete period is drawn dotted, as on the charts, and the dashed line is the average of
    the complete periods only."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedHeight(36)
        self.hideAxis("left")
        self.hideAxis("bottom")
        self.setMouseEnabled(x=False, y=False)
        self.setMenuEnabled(False)
        self.hideButtons()
        self.values: list[float | None] = []
        self.labels: list[str] = []
        self.partial: list[bool] = []
        self.average: float | None = None
        #: A line under every hover text (what the dashed line is).
        self.note = ""
        self.curve: pg.PlotDataItem | None = None
        self.dotted: pg.PlotDataItem | None = None
        self.mean_line: pg.InfiniteLine | None = None
        self.scene().sigMouseMoved.connect(self._moved)

    def _items(self) -> tuple[pg.PlotDataItem, pg.PlotDataItem, pg.InfiniteLine]:
        if self.curve is None or self.dotted is None or self.mean_line is None:
            self.curve = self.plot([], [], antialias=True)
            self.dotted = self.plot([], [], antialias=True)
            self.mean_line = pg.InfiniteLine(angle=0, movable=False)
            self.addItem(self.mean_line)
        return self.curve, self.dotted, self.mean_line

    def set_values(self, values: Sequence[float | None], labels: Sequence[str], color: QColor,
                   background: str, partial: Sequence[bool] = ()) -> None:
        self.setBackground(background)
        self.values, self.labels = list(values), list(labels)
        self.partial = [bool(p) for p in partial] if len(partial) == len(values) else []
        y = clean(values)
        self.average = complete_average(values, self.partial)
        curve, dotted, mean = self._items()
        curve.setPen(pg.mkPen(color, width=1))  # a 1-px antialiased line paints fast
        dotted.setPen(pg.mkPen(color, width=1, style=Qt.PenStyle.DotLine))
        muted = QColor(current_theme().muted)
        mean.setPen(pg.mkPen(muted, width=1, style=Qt.PenStyle.DashLine))
        finite = int(np.count_nonzero(~np.isnan(y))) if len(y) else 0
        if finite == 1:
            # One period: a dot (a line through one point draws nothing), and no average.
            x = np.arange(len(y))
            curve.setData(x, y, connect="finite", symbol="o", symbolSize=4,
                          symbolBrush=color, symbolPen=pg.mkPen(color))
            dotted.setData([], [])
            self.average = None
        elif finite:
            solid, dots = _dotted_parts(y, self.partial)
            x = np.arange(len(y))
            curve.setData(x, solid, connect="finite", symbol=None)
            dotted.setData(x, dots, connect="finite")
        else:
            curve.setData([], [])
            dotted.setData([], [])
        mean.setVisible(self.average is not None)
        if self.average is not None:
            mean.setValue(self.average)

    def text_at(self, x: float) -> str:
        i = round(x)
        if not 0 <= i < len(self.values):
            return ""
        if i < len(self.partial) and self.partial[i]:
            return self.labels[i] + " (incomplete: left out of the average)"
        return self.labels[i]

    def _moved(self, pos: QPointF) -> None:
        p = self.getPlotItem().getViewBox().mapSceneToView(pos)
        self.setToolTip("\n".join(t for t in (self.text_at(p.x()), self.note) if t))


def complete_average(values: Sequence[float | None], partial: Sequence[bool]) -> float | None:
    """The mean of the values of complete periods (incomplete ones and gaps left out)."""
    flags = list(partial) if len(partial) == len(values) else [False] * len(values)
    kept = [float(v) for v, p in zip(values, flags, strict=True)
            if not p and v is not None and not math.isnan(float(v))]
    return sum(kept) / len(kept) if kept else None


class KpiCard(QFrame):
    def __init__(self, label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setMinimumWidth(KpiRow.CARD_WIDTH - 10)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.label = QLabel(label)
        self.value = QLabel("—")
        self.value.setStyleSheet("font-size: 20px; font-weight: 600;")
        self.delta = QLabel(" ")
        #: The same figure over the charts' comparison period (hidden without one).
        self.versus = QLabel()
        self.versus.setVisible(False)
        self.compare_value: float | None = None
        self.spark = Sparkline()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 6)
        layout.setSpacing(2)
        for w in (self.label, self.value, self.delta, self.versus, self.spark):
            layout.addWidget(w)

    def set_kpi(self, kpi: Kpi, f: Filters, currency: str, partial: Sequence[bool] = (),
                other: Kpi | None = None, other_label: str = "") -> None:
        theme = current_theme()
        self.label.setText(kpi.label)
        definition = metric_tooltip(kpi.key)
        self.label.setToolTip(definition)
        self.value.setToolTip(definition)
        self.value.setText(fmt_value(kpi.value, kpi.kind, currency))
        change = kpi.change
        color = theme.muted if not change else theme.positive() if change > 0 else theme.negative()
        self.delta.setText(fmt_change(change, kpi.kind))
        self.delta.setStyleSheet(f"color: {color};")
        prev = f.previous()
        self.delta.setToolTip(
            f"Previous period {prev.start:%Y-%m-%d} … {prev.end:%Y-%m-%d}: "
            f"{fmt_value(kpi.previous, kpi.kind, currency)}"
            + (f"\n{kpi.basis_note}" if kpi.basis_note else "")
        )
        if kpi.basis_note:
            self.delta.setText(self.delta.text() + " *")
        self._set_versus(kpi, f, currency, other, other_label)
        labels = [
            f"{fmt_period(p, f.grain)}: {fmt_value(v, kpi.kind, currency)}"
            for p, v in zip(periods(f), kpi.spark, strict=False)
        ]
        self.spark.set_values(kpi.spark, labels, theme.series(0), theme.background, partial)
        avg = self.spark.average
        self.spark.note = ("" if avg is None else
                           f"Dashed: average per {f.grain} of the complete periods, "
                           f"{fmt_value(avg, kpi.kind, currency)}")
        self.spark.setToolTip(self.spark.note)

    def _set_versus(self, kpi: Kpi, f: Filters, currency: str, other: Kpi | None,
                    label: str) -> None:
        """The line under the change: the figure over the comparison period and the change
        against it, when the charts compare with one (e.g. the same period last year)."""
        self.compare_value = other.value if other is not None else None
        if other is None:
            # "…: no data": a comparison period before the data's first day.
            self.versus.setText(label[:1].upper() + label[1:])
            self.versus.setStyleSheet(f"color: {current_theme().muted};")
            self.versus.setVisible(label.endswith("no data"))
            return
        text = f"{label.capitalize()}: {fmt_value(other.value, kpi.kind, currency)}"
        if not label.startswith("previous period"):
            # Against the previous period the change is the line above already.
            change = Kpi(kpi.key, kpi.label, kpi.value, other.value, kpi.kind).change
            if change is not None:
                text += f" ({fmt_change(change, kpi.kind)})"
        self.versus.setText(text)
        self.versus.setStyleSheet(f"color: {current_theme().muted};")
        other_f = f.compared()
        if other_f is not None:
            self.versus.setToolTip(f"{label.capitalize()}: {other_f.start:%Y-%m-%d} … "
                                   f"{other_f.end:%Y-%m-%d}")
        self.versus.setVisible(True)


class KpiRow(QWidget):
    """The cards in a grid of at most ``columns`` columns, fewer when the width needs it (rows
    kept even: 6 cards at 1000 pixels are 2 rows of 3, not 5 and 1)."""

    CARD_WIDTH = 165

    def __init__(self, columns: int = 6, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.columns = columns
        self._fit_columns = columns
        self.cards: dict[str, KpiCard] = {}
        # What a "*" after a change means, under the cards (it was a tooltip alone).
        self.basis_note = QLabel()
        self.basis_note.setWordWrap(True)
        self.basis_note.setVisible(False)
        self.grid.addWidget(self.basis_note, 99, 0, 1, -1)
        # The grid re-flows on resize: its current columns must not hold the window wide.
        self.setMinimumWidth(self.CARD_WIDTH)

    def fit_columns(self, width: int) -> int:
        n = max(1, len(self.cards))
        most = max(1, min(self.columns, n, width // self.CARD_WIDTH))
        rows = math.ceil(n / most)
        return math.ceil(n / rows)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        cols = self.fit_columns(event.size().width())
        if cols != self._fit_columns:
            self._regrid(cols)

    def _regrid(self, cols: int) -> None:
        self._fit_columns = cols
        for card in self.cards.values():
            self.grid.removeWidget(card)
        for i, card in enumerate(self.cards.values()):
            self.grid.addWidget(card, i // cols, i % cols)

    def set_kpis(self, kpis: Sequence[Kpi], f: Filters, currency: str,
                 partial: Sequence[bool] = (), compare: Sequence[Kpi] | None = None,
                 compare_label: str = "") -> None:
        """``partial`` flags the sparklines' incomplete periods; ``compare`` holds the figures
        over the comparison period, shown under each card's change."""
        others = {k.key: k for k in compare} if compare is not None else {}
        fresh = list(self.cards) != [k.key for k in kpis]
        if fresh:
            # The set of figures changed (net revenue and refunds show only where there are
            # refunds): lay the cards out afresh, in the new order.
            for old in self.cards.values():
                self.grid.removeWidget(old)
                old.deleteLater()
            self.cards = {}
        for i, kpi in enumerate(kpis):
            card = self.cards.get(kpi.key)
            if card is None:
                card = self.cards[kpi.key] = KpiCard(kpi.label)
                self.grid.addWidget(card, i // self._fit_columns, i % self._fit_columns)
            card.set_kpi(kpi, f, currency, partial, others.get(kpi.key), compare_label)
        note = next((k.basis_note for k in kpis if k.basis_note), "")
        self.basis_note.setText(f"* {note}" if note else "")
        self.basis_note.setStyleSheet(f"color: {current_theme().muted};")
        self.basis_note.setVisible(bool(note))
        cols = self.fit_columns(self.width() if self.width() > 50 else 1200)
        if fresh or cols != self._fit_columns:
            self._regrid(cols)
