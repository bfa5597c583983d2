"""Concrete charts: time series (lines and bars on a UTC date axis) and categorical bars
(vertical or horizontal, grouped, clickable)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Signal
from PySide6.QtGui import QColor, QFontMetrics
from PySide6.QtWidgets import QWidget

from shoplytics_desktop.core.analytics.types import Table, TimeSeries
from shoplytics_desktop.ui.dashboards.charts import ChartFrame, NumberAxis
from shoplytics_desktop.ui.dashboards.style import (
    ANTIALIAS_MAX_POINTS,
    epoch,
    fmt_period,
    fmt_value,
)

_GRAIN_SECONDS = {"day": 86400.0, "week": 7 * 86400.0, "month": 30 * 86400.0}


def clean(values: Sequence[float | None]) -> np.ndarray:
    return np.array([np.nan if v is None else float(v) for v in values], dtype=float)


class TimeChart(ChartFrame):
    """Lines (and optionally bars) over period starts; x zooms and pans, y follows."""

    zoomable = True

    def __init__(
        self, title: str, kind: str = "count", currency: str = "USD", parent: QWidget | None = None
    ) -> None:
        self.kind, self.currency = kind, currency
        super().__init__(
            title,
            parent,
            {"bottom": pg.DateAxisItem(orientation="bottom", utcOffset=0),
             "left": NumberAxis("left", kind, currency)},
        )
        self.grid_axis = "left"
        self.vb.setAutoVisible(y=True)
        self.legend = self.plot_item.addLegend(offset=(8, 4), labelTextColor=self.theme.foreground)
        self.periods: tuple[dt.date, ...] = ()
        self.grain = "day"
        self.lines: list[tuple[str, np.ndarray]] = []
        self.xs = np.array([])
        self._items: list[pg.GraphicsObject] = []
        self._shape: tuple[object, ...] | None = None

    def set_series(
        self,
        ts: TimeSeries,
        series: Sequence[tuple[str, str]],
        bars: Sequence[str] = (),
        empty_reason: str = "No data in this range.",
        kinds: dict[str, str] | None = None,
    ) -> None:
        """``series``: (key in ts, label); keys in ``bars`` draw as bars, the rest as lines;
        ``kinds`` maps a label to its value format when it differs from the chart's.

        A redraw with the same series and grain updates the existing items in place (cheaper
        than rebuilding them: no scene or legend churn)."""
        self.kinds = kinds or {}
        if ts.is_empty or not any(
            any(v for v in ts[k] if v is not None) for k, _ in series
        ):
            self.plot_item.clear()
            self.legend.clear()
            self._items, self._shape = [], None
            self.show_empty(empty_reason)
            return
        self.periods, self.grain = ts.periods, ts.grain
        self.xs = np.array([epoch(p) for p in ts.periods])
        self.lines = [(label, clean(ts[key])) for key, label in series]
        width = _GRAIN_SECONDS.get(ts.grain, 86400.0) * 0.8
        offset = width / 2 if ts.grain != "day" else 0.0  # bars centred on the period
        symbols = len(self.xs) <= 12
        antialias = len(self.xs) <= ANTIALIAS_MAX_POINTS
        shape = (tuple(series), tuple(bars), symbols, antialias, self.theme.dark)
        if shape != self._shape or self.is_empty:
            self._build(series, bars, symbols, antialias)
            self._shape = shape
        for (key, _), item, (_, y) in zip(series, self._items, self.lines, strict=True):
            if key in bars:
                item.setOpts(x=self.xs + offset, height=np.nan_to_num(y), width=width)
            else:
                item.setData(self.xs + offset, y, connect="finite")
        span = _GRAIN_SECONDS.get(ts.grain, 86400.0)
        self.vb.setLimits(xMin=self.xs[0] - span, xMax=self.xs[-1] + 2 * span)
        self.show_plot(ts.table())
        self.vb.enableAutoRange()
        self.reset_zoom()

    def _build(
        self, series: Sequence[tuple[str, str]], bars: Sequence[str], symbols: bool,
        antialias: bool,
    ) -> None:
        self.plot_item.clear()
        self.legend.clear()
        self._items = []
        for i, (key, label) in enumerate(series):
            color = self.theme.series(i)
            item: pg.GraphicsObject
            if key in bars:
                item = pg.BarGraphItem(x=[0.0], height=[0.0], width=1.0, brush=color,
                                       pen=pg.mkPen(color))
                self.plot_item.addItem(item)
            else:
                item = self.plot_item.plot(
                    [], [], pen=pg.mkPen(color, width=2), antialias=antialias,
                    symbol="o" if symbols else None, symbolSize=5,
                    symbolBrush=color, symbolPen=pg.mkPen(color),
                )
            if len(series) > 1:
                self.legend.addItem(item, label)
            self._items.append(item)

    def index_at(self, x: float) -> int | None:
        if not len(self.xs):
            return None
        width = _GRAIN_SECONDS.get(self.grain, 86400.0)
        centre = self.xs + (width * 0.4 if self.grain != "day" else 0.0)
        i = int(np.argmin(np.abs(centre - x)))
        return i if abs(centre[i] - x) <= width else None

    def hover_text(self, x: float, y: float) -> str | None:
        i = self.index_at(x)
        if i is None or self.is_empty:
            return None
        parts = []
        for label, values in self.lines:
            v = values[i]
            kind = self.kinds.get(label, self.kind)
            parts.append(f"{label}: {fmt_value(None if math.isnan(v) else v, kind, self.currency)}")
        return f"{fmt_period(self.periods[i], self.grain)} — " + ", ".join(parts)


class BarChart(ChartFrame):
    """Bars over categories. ``clicked`` carries the category of a clicked bar."""

    clicked = Signal(str)

    def __init__(
        self,
        title: str,
        kind: str = "count",
        currency: str = "USD",
        horizontal: bool = False,
        parent: QWidget | None = None,
        line: bool = False,
    ) -> None:
        self.kind, self.currency, self.horizontal, self.line = kind, currency, horizontal, line
        value_axis = "bottom" if horizontal else "left"
        super().__init__(title, parent, {value_axis: NumberAxis(value_axis, kind, currency)})
        self.grid_axis = value_axis
        self.labels: list[str] = []
        self.groups: list[tuple[str, np.ndarray]] = []
        self.notes: list[str] = []
        self.highlight: str | None = None
        self.legend: pg.LegendItem | None = None
        self.plot.scene().sigMouseClicked.connect(self._mouse_clicked)

    def set_kind(self, kind: str) -> None:
        self.kind = kind
        axis = self.plot_item.getAxis("bottom" if self.horizontal else "left")
        if isinstance(axis, NumberAxis):
            axis.kind = kind

    def set_bars(
        self,
        labels: Sequence[str],
        groups: Sequence[tuple[str, Sequence[float | None]]],
        table: Table,
        empty_reason: str = "No data in this range.",
        notes: Sequence[str] = (),
        colors: Sequence[QColor] | None = None,
        highlight: str | None = None,
        ticks: Sequence[str] | None = None,
    ) -> None:
        """One bar per label and group (grouped side by side); ``notes`` annotate the labels;
        ``ticks`` are shorter axis labels (hover still shows the full label)."""
        self.plot_item.clear()
        if self.legend is not None:
            self.legend.clear()
        if not labels or not any(any(v for v in vals if v) for _, vals in groups):
            self.show_empty(empty_reason)
            return
        self.labels = [str(label) for label in labels]
        self.ticks = [str(t) for t in ticks] if ticks is not None else self.labels
        self.groups = [(name, clean(vals)) for name, vals in groups]
        self.notes, self.highlight = list(notes), highlight
        n = len(self.groups)
        width = 0.8 / n
        pos = np.arange(len(labels), dtype=float)
        if self.horizontal:
            pos = -pos  # first label on top
        if n > 1 and self.legend is None:
            self.legend = self.plot_item.addLegend(
                offset=(-8, 2), labelTextColor=self.theme.foreground, colCount=n,
            )
        for g, (name, vals) in enumerate(self.groups):
            centre = pos + (g - (n - 1) / 2) * width * (-1 if self.horizontal else 1)
            if n == 1 and colors is None:
                brushes = [self.theme.series(1 if lab == highlight else 0) for lab in self.labels]
            elif colors is not None:
                brushes = [colors[i % len(colors)] for i in range(len(labels))]
            else:
                brushes = [self.theme.series(g)] * len(labels)
            height = np.nan_to_num(vals)
            if self.line:  # categories in order (week numbers): a line reads as a curve
                color = self.theme.series(g)
                curve = self.plot_item.plot(
                    pos, vals, pen=pg.mkPen(color, width=2), symbol="o", symbolSize=6,
                    antialias=len(pos) <= ANTIALIAS_MAX_POINTS,
                    symbolBrush=color, symbolPen=pg.mkPen(color), connect="finite", name=name,
                )
                if self.legend is not None and n > 1:
                    self.legend.addItem(curve, name)
                continue
            if self.horizontal:
                item = pg.BarGraphItem(x0=0, y=centre, height=width * 0.95, width=height,
                                       brush=brushes[0], brushes=brushes,
                                       pens=[pg.mkPen(b) for b in brushes])
            else:
                item = pg.BarGraphItem(x=centre, height=height, width=width * 0.95,
                                       brush=brushes[0], brushes=brushes,
                                       pens=[pg.mkPen(b) for b in brushes])
            self.plot_item.addItem(item)
            if self.legend is not None and n > 1:
                self.legend.addItem(item, name)
        self._axis_labels(pos)
        self._annotate(pos)
        self.show_plot(table)
        self._fit(pos)

    def _fit(self, pos: np.ndarray) -> None:
        """Room for the value notes (horizontal) or the legend (grouped) beside the bars."""
        top = max(float(np.nanmax(np.nan_to_num(v))) for _, v in self.groups) or 1.0
        lo, hi = float(pos.min()) - 0.5, float(pos.max()) + 0.5
        if self.horizontal:
            # The notes take fixed pixels right of the longest bar: leave exactly that room.
            metrics = QFontMetrics(self.font())
            text_px = max((metrics.horizontalAdvance(n) for n in self.notes), default=0) + 12
            width_px = self.vb.width() if self.vb.width() > 100 else 800.0
            share = min(0.7, text_px / width_px)
            self.vb.setRange(xRange=(0, top / (1.0 - share) * 1.02), yRange=(lo, hi), padding=0)
        else:
            headroom = 1.18 if len(self.groups) > 1 or self.notes else 1.06
            self.vb.setRange(xRange=(lo, hi), yRange=(0, top * headroom), padding=0)

    def _axis_labels(self, pos: np.ndarray) -> None:
        longest = max((len(t) for t in self.ticks), default=1)
        room = max(4, int(self.plot.width() / (7 * longest + 12))) if self.plot.width() > 50 else 12
        step = 1 if self.horizontal or len(self.ticks) <= room else math.ceil(len(self.ticks) / room)
        ticks = [(float(p), lab) for i, (p, lab) in enumerate(zip(pos, self.ticks, strict=True))
                 if i % step == 0]
        axis = self.plot_item.getAxis("left" if self.horizontal else "bottom")
        axis.setTicks([ticks, []])

    def _annotate(self, pos: np.ndarray) -> None:
        if not self.notes:
            return
        vals = self.groups[0][1]
        for p, v, note in zip(pos, vals, self.notes, strict=False):
            if not note:
                continue
            text = pg.TextItem(note, color=self.theme.foreground,
                               anchor=(0, 0.5) if self.horizontal else (0.5, 1))
            text.setPos(float(np.nan_to_num(v)), p) if self.horizontal else text.setPos(p, float(np.nan_to_num(v)))
            self.plot_item.addItem(text)

    def index_at(self, x: float, y: float) -> int | None:
        coord = -y if self.horizontal else x
        i = round(coord)
        return i if 0 <= i < len(self.labels) and abs(coord - i) <= 0.45 else None

    def hover_text(self, x: float, y: float) -> str | None:
        i = self.index_at(x, y)
        if i is None or self.is_empty:
            return None
        parts = [
            (f"{name}: " if len(self.groups) > 1 else "")
            + fmt_value(None if math.isnan(vals[i]) else vals[i], self.kind, self.currency)
            for name, vals in self.groups
        ]
        note = f" ({self.notes[i]})" if i < len(self.notes) and self.notes[i] else ""
        return f"{self.labels[i]} — " + ", ".join(parts) + note

    def click_at(self, x: float, y: float) -> str | None:
        i = self.index_at(x, y)
        if i is None or self.is_empty:
            return None
        self.clicked.emit(self.labels[i])
        return self.labels[i]

    def _mouse_clicked(self, event: object) -> None:
        pos: QPointF = event.scenePos()  # type: ignore[attr-defined]
        if self.is_empty or not self.plot_item.sceneBoundingRect().contains(pos):
            return
        p = self.vb.mapSceneToView(pos)
        self.click_at(p.x(), p.y())
