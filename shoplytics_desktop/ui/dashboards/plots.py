"""Concrete charts: time series (lines and bars over their periods) and categorical bars
(vertical or horizontal, grouped, clickable; many categories as top N + "Other")."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFontMetrics
from PySide6.QtWidgets import QWidget

from shoplytics_desktop.core.analytics.types import Table, TimeSeries
from shoplytics_desktop.ui.dashboards.charts import ChartFrame, NumberAxis
from shoplytics_desktop.ui.dashboards.style import (
    ANTIALIAS_MAX_POINTS,
    day_of,
    epoch,
    fmt_period,
    fmt_value,
)

_GRAIN_SECONDS = {"day": 86400.0, "week": 7 * 86400.0, "month": 30 * 86400.0}


def clean(values: Sequence[float | None]) -> np.ndarray:
    return np.array([np.nan if v is None else float(v) for v in values], dtype=float)


class PeriodAxis(pg.AxisItem):
    """A date axis over the chart's own periods: ticks at days, Mondays or month starts (so
    weekly and monthly bars get weekly and monthly ticks), the month named at the first tick and
    where it changes, the year where it changes: "Oct 29, 2025  31  Nov 3  5"."""

    def __init__(self, orientation: str = "bottom") -> None:
        super().__init__(orientation)
        self.xs: np.ndarray = np.array([])
        self.grain = "day"

    def set_periods(self, xs: np.ndarray, grain: str) -> None:
        self.xs, self.grain = xs, grain
        self.picture = None
        self.update()

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list:
        if not len(self.xs):
            return []
        shift = _GRAIN_SECONDS[self.grain] * 0.4 if self.grain != "day" else 0.0
        visible = [i for i, x in enumerate(self.xs) if minVal <= x + shift <= maxVal]
        if not visible:
            return []
        room = max(1, int(size / (62 if self.grain != "month" else 70)))
        step = max(1, math.ceil(len(visible) / room))
        if self.grain == "day" and step > 1:
            step = 7 * math.ceil(step / 7) if step > 3 else step
            # Weekly ticks fall on Mondays.
            first = next((i for i in visible if day_of(self.xs[i]).weekday() == 0), visible[0])
            picks = [i for i in visible if (i - first) % step == 0]
        else:
            picks = visible[::step]
        # A label centred on a tick near either end would not fit and pyqtgraph drops it: then
        # the first label shown would lack its month. Leave such ticks out.
        margin = (maxVal - minVal) * min(0.45, 36 / max(size, 1))
        inside = [i for i in picks if minVal + margin <= self.xs[i] + shift <= maxVal - margin]
        picks = inside or picks
        return [(step * _GRAIN_SECONDS[self.grain], [float(self.xs[i] + shift) for i in picks])]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        shift = _GRAIN_SECONDS[self.grain] * 0.4 if self.grain != "day" else 0.0
        return period_labels([day_of(v - shift) for v in values], self.grain)


def period_labels(days: Sequence[dt.date], grain: str) -> list[str]:
    """Tick labels naming the month at the first tick and where it changes, and the year at the
    first tick and where it changes."""
    out: list[str] = []
    prev: dt.date | None = None
    for day in days:
        new_year = prev is None or day.year != prev.year
        new_month = new_year or prev is None or day.month != prev.month
        if grain == "month":
            out.append(f"{day:%b %Y}" if new_year else f"{day:%b}")
        elif new_year:
            out.append(f"{day:%b} {day.day}, {day.year}")
        elif new_month:
            out.append(f"{day:%b} {day.day}")
        else:
            out.append(str(day.day))
        prev = day
    return out


def _dotted_parts(y: np.ndarray, partial: Sequence[bool] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A line split into its solid part (complete periods) and its dotted part (incomplete
    periods and the segments joining them to their neighbours)."""
    flags = np.array(list(partial), dtype=bool) if len(partial) == len(y) else np.zeros(len(y), bool)
    solid = np.where(flags, np.nan, y)
    near = flags.copy()
    near[:-1] |= flags[1:]
    near[1:] |= flags[:-1]
    dotted = np.where(near, y, np.nan)
    return solid, dotted


def _isolated(y: np.ndarray) -> np.ndarray:
    """Points with no finite neighbour: a line through them draws nothing, so they get a dot."""
    finite = ~np.isnan(y)
    left = np.r_[False, finite[:-1]]
    right = np.r_[finite[1:], False]
    return finite & ~left & ~right


PARTIAL_NOTE = ("Dotted or hatched: an incomplete period (cut by the range or the data's ends, or "
                "still under way); changes and averages leave it out.")


class TimeChart(ChartFrame):
    """Lines (and optionally bars) over period starts; x zooms (Ctrl + wheel, drag a box), y
    follows. Incomplete periods are dotted (lines) or hatched (bars); a comparison period draws
    as a dashed line."""

    zoomable = True

    def __init__(
        self, title: str, kind: str = "count", currency: str = "USD", parent: QWidget | None = None,
        metric: str | None = None,
    ) -> None:
        self.kind, self.currency = kind, currency
        self.axis = PeriodAxis("bottom")
        super().__init__(
            title, parent, {"bottom": self.axis, "left": NumberAxis("left", kind, currency)},
            metric=metric,
        )
        self.grid_axis = "left"
        self.vb.setAutoVisible(y=True)
        self.periods: tuple[dt.date, ...] = ()
        self.grain = "day"
        self.lines: list[tuple[str, np.ndarray]] = []
        self.partial: list[np.ndarray] = []
        self.compare: list[tuple[str, np.ndarray]] = []
        self.compare_label = ""
        self.kinds: dict[str, str] = {}
        self.xs = np.array([])
        self._items: list[list[pg.GraphicsObject]] = []
        self._shape: tuple[object, ...] | None = None

    def set_series(
        self,
        ts: TimeSeries,
        series: Sequence[tuple[str, str]],
        bars: Sequence[str] = (),
        empty_reason: str = "No data in this range.",
        kinds: dict[str, str] | None = None,
        compare: TimeSeries | None = None,
        compare_label: str = "",
        partial_note: str = PARTIAL_NOTE,
    ) -> None:
        """``series``: (key in ts, label); keys in ``bars`` draw as bars, the rest as lines;
        ``kinds`` maps a label to its value format when it differs from the chart's;
        ``compare``: the same keys over the comparison period, drawn dashed, period by period.

        A redraw with the same series and grain updates the existing items in place (cheaper
        than rebuilding them: no scene churn)."""
        self.kinds = kinds or {}
        if ts.is_empty or not any(
            any(v for v in ts[k] if v is not None) for k, _ in series
        ):
            self.plot_item.clear()
            self._items, self._shape = [], None
            self.show_empty(empty_reason)
            return
        self._take(ts, series, compare, compare_label)
        n = len(self.xs)
        width = _GRAIN_SECONDS.get(ts.grain, 86400.0) * 0.8
        offset = width / 2 if ts.grain != "day" else 0.0  # bars centred on the period
        symbols = n <= 12
        antialias = n <= ANTIALIAS_MAX_POINTS
        shape = (tuple(series), tuple(bars), symbols, antialias, self.theme.dark,
                 len(self.compare))
        if shape != self._shape or self.is_empty:
            self._build(series, bars, symbols, antialias)
            self._shape = shape
        self._draw(series, bars, self.xs + offset, width)
        self._limit_view(ts.grain)
        self.show_plot(ts.table())
        self._legend(series, bars, compare_label, partial_note)
        self.vb.enableAutoRange()
        self.reset_zoom()

    def _take(self, ts: TimeSeries, series: Sequence[tuple[str, str]],
              compare: TimeSeries | None, compare_label: str) -> None:
        """Keep the periods, the lines, their incomplete flags and the comparison lines (cut or
        padded to the periods' count)."""
        self.periods, self.grain = ts.periods, ts.grain
        self.xs = np.array([epoch(p) for p in ts.periods])
        self.axis.set_periods(self.xs, ts.grain)
        self.lines = [(label, clean(ts[key])) for key, label in series]
        self.partial = [np.array(ts.partial_of(key), dtype=bool) for key, _ in series]
        n = len(self.xs)
        self.compare = []
        if compare is not None and not compare.is_empty:
            for key, label in series:
                if key in compare.series:
                    y = clean(compare[key])[:n]
                    self.compare.append((label, np.r_[y, np.full(n - len(y), np.nan)]))
        self.compare_label = compare_label

    def _draw(self, series: Sequence[tuple[str, str]], bars: Sequence[str], x: np.ndarray,
              width: float) -> None:
        """Put the values into the items ``_build`` made: bars (incomplete ones hatched),
        lines split into solid and dotted parts, dots for lone points, comparison lines."""
        for (key, _), items, (_, y), flags in zip(series, self._items[: len(series)], self.lines,
                                                 self.partial, strict=True):
            if key in bars:
                items[0].setOpts(x=x, height=np.nan_to_num(y), width=width,
                                 brushes=self._bar_brushes(items[0].color, flags))
                continue
            solid, dotted = _dotted_parts(y, flags)
            # A part with no finite value is drawn as nothing (pyqtgraph would take the
            # bounds of an all-NaN array).
            _set_finite(items[0], x, solid)
            if flags.any():
                _set_finite(items[1], x, dotted)
            else:
                items[1].setData([], [])
            lone = _isolated(solid)
            if lone.any():
                items[2].setData(x[lone], solid[lone])
            else:
                items[2].clear()
        for item, (_, y) in zip(self._items[len(series):], self.compare, strict=False):
            _set_finite(item[0], x, y)

    def _limit_view(self, grain: str) -> None:
        span = _GRAIN_SECONDS.get(grain, 86400.0)
        values = np.concatenate([y for _, y in self.lines] + [y for _, y in self.compare])
        low = float(np.nanmin(values)) if np.isfinite(values).any() else 0.0
        # Counts, money and rates never run below zero (unless the data does: net revenue).
        x0, x1 = self._x_range()
        self.vb.setLimits(xMin=min(self.xs[0] - span, x0), xMax=max(self.xs[-1] + 2 * span, x1),
                          yMin=min(0.0, low))

    def _x_range(self) -> tuple[float, float]:
        """The periods with some room around them, and at least a week of periods across."""
        span = _GRAIN_SECONDS.get(self.grain, 86400.0)
        centre = 0.4 * span if self.grain != "day" else 0.0  # bars of a week or month
        x0, x1 = self.xs[0] + centre - 0.6 * span, self.xs[-1] + centre + 0.6 * span
        least = 7 * span
        if x1 - x0 < least:
            mid = (x0 + x1) / 2
            x0, x1 = mid - least / 2, mid + least / 2
        return float(x0), float(x1)

    def reset_zoom(self) -> None:
        """Every value in view, with the value axis from zero (a single day's 330 users is
        not a range from 329.6 to 330.4) and at least a week of periods across, so that one
        period is not a bar as wide as the chart."""
        if not len(self.xs):
            super().reset_zoom()
            return
        values = np.concatenate([y for _, y in self.lines] + [y for _, y in self.compare])
        finite = values[np.isfinite(values)]
        lo = min(0.0, float(finite.min())) if finite.size else 0.0
        hi = max(0.0, float(finite.max())) if finite.size else 1.0
        if hi <= lo:
            hi = lo + 1.0
        pad = (hi - lo) * 0.06
        x0, x1 = self._x_range()
        self.vb.setRange(xRange=(x0, x1), yRange=(lo - (pad if lo < 0 else 0.0), hi + pad),
                         padding=0)

    def _legend(self, series: Sequence[tuple[str, str]], bars: Sequence[str],
                compare_label: str, partial_note: str) -> None:
        any_partial = any(f.any() for f in self.partial)
        legend = [(label, self.theme.series(i), "bar" if key in bars else "solid")
                  for i, (key, label) in enumerate(series)]
        legend += [(f"{label} ({compare_label})", self.theme.series(i), "dash")
                   for i, (label, _) in enumerate(self.compare)]
        if any_partial:
            legend.append(("incomplete", QColor(self.theme.muted),
                           "hatch" if set(bars) >= {k for k, _ in series} else "dot"))
        self.set_legend(legend if len(legend) > 1 else [])
        self.set_note(partial_note if any_partial else "")

    def _bar_brushes(self, color: QColor, flags: np.ndarray) -> list[QBrush]:
        light = QColor(color)
        light.setAlpha(110)
        return [QBrush(light, Qt.BrushStyle.BDiagPattern) if f else QBrush(color) for f in flags]

    def _build(
        self, series: Sequence[tuple[str, str]], bars: Sequence[str], symbols: bool,
        antialias: bool,
    ) -> None:
        self.plot_item.clear()
        self._items = []
        for i, (key, _) in enumerate(series):
            color = self.theme.series(i)
            if key in bars:
                bar = pg.BarGraphItem(x=[0.0], height=[0.0], width=1.0, brush=color,
                                      pen=pg.mkPen(color))
                bar.color = color
                self.plot_item.addItem(bar)
                self._items.append([bar])
                continue
            solid = self.plot_item.plot(
                [], [], pen=pg.mkPen(color, width=2), antialias=antialias,
                symbol="o" if symbols else None, symbolSize=5,
                symbolBrush=color, symbolPen=pg.mkPen(color),
            )
            dotted = self.plot_item.plot(
                [], [], pen=pg.mkPen(color, width=2, style=Qt.PenStyle.DotLine),
                antialias=antialias, symbol="o" if symbols else None, symbolSize=5,
                symbolBrush=None, symbolPen=pg.mkPen(color),
            )
            lone = pg.ScatterPlotItem(size=6, brush=color, pen=pg.mkPen(color))
            self.plot_item.addItem(lone)
            self._items.append([solid, dotted, lone])
        for i, _ in enumerate(self.compare):
            color = self.theme.series(i)
            line = self.plot_item.plot(
                [], [], pen=pg.mkPen(color, width=1.5, style=Qt.PenStyle.DashLine),
                antialias=antialias,
            )
            line.setZValue(5)
            self._items.append([line])

    def index_at(self, x: float) -> int | None:
        if not len(self.xs):
            return None
        width = _GRAIN_SECONDS.get(self.grain, 86400.0)
        centre = self.xs + (width * 0.4 if self.grain != "day" else 0.0)
        i = int(np.argmin(np.abs(centre - x)))
        return i if abs(centre[i] - x) <= width else None

    def crosshair_x(self, x: float) -> float | None:
        i = self.index_at(x)
        if i is None:
            return None
        return float(self.xs[i] + (_GRAIN_SECONDS[self.grain] * 0.4 if self.grain != "day" else 0))

    def hover_text(self, x: float, y: float) -> str | None:
        i = self.index_at(x)
        if i is None or self.is_empty:
            return None
        parts = []
        for (label, values), flags in zip(self.lines, self.partial, strict=False):
            v = values[i]
            kind = self.kinds.get(label, self.kind)
            mark = " (incomplete)" if len(flags) > i and flags[i] else ""
            parts.append(f"{label}: {fmt_value(None if math.isnan(v) else v, kind, self.currency)}"
                         f"{mark}")
        for label, values in self.compare:
            v = values[i]
            kind = self.kinds.get(label, self.kind)
            parts.append(f"{label} ({self.compare_label}): "
                         f"{fmt_value(None if math.isnan(v) else v, kind, self.currency)}")
        return f"{fmt_period(self.periods[i], self.grain)} — " + ", ".join(parts)


class BarChart(ChartFrame):
    """Bars over categories. ``clicked`` carries the category of a clicked bar."""

    clicked = Signal(str)
    #: A bar was double-clicked: its index (drill-through to the rows behind it).
    activated = Signal(int)

    def __init__(
        self,
        title: str,
        kind: str = "count",
        currency: str = "USD",
        horizontal: bool = False,
        parent: QWidget | None = None,
        line: bool = False,
        metric: str | None = None,
    ) -> None:
        self.kind, self.currency, self.horizontal, self.line = kind, currency, horizontal, line
        value_axis = "bottom" if horizontal else "left"
        super().__init__(title, parent, {value_axis: NumberAxis(value_axis, kind, currency)},
                         metric=metric)
        self.grid_axis = value_axis
        self.labels: list[str] = []
        self.groups: list[tuple[str, np.ndarray]] = []
        self.notes: list[str] = []
        self.highlight: str | None = None
        self.partial: list[bool] = []
        #: The bars' positions as last drawn, to fit the view to them again.
        self._pos: np.ndarray | None = None
        self.plot.scene().sigMouseClicked.connect(self._mouse_clicked)
        # The value notes beside horizontal bars are pixels wide whatever the scale: the room
        # they need is worked out again when the plot changes size.
        self.vb.sigResized.connect(self._refit)
        if horizontal:
            # Every category gets its label (pyqtgraph leaves some out when text fills most
            # of the axis).
            self.plot_item.getAxis("left").setStyle(textFillLimits=[(0, 1.0)])

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
        partial: Sequence[bool] = (),
        partial_note: str = "",
    ) -> None:
        """One bar per label and group (grouped side by side); ``notes`` annotate the labels;
        ``ticks`` are shorter axis labels (hover still shows the full label); ``partial``
        marks labels whose values are incomplete (hatched, or a hollow point on a line)."""
        self.plot_item.clear()
        self._pos = None
        if not labels or not any(any(v for v in vals if v) for _, vals in groups):
            self.show_empty(empty_reason)
            return
        self.partial = list(partial) if len(partial) == len(labels) else [False] * len(labels)
        self.labels = [str(label) for label in labels]
        self.ticks = [str(t) for t in ticks] if ticks is not None else self.labels
        self.groups = [(name, clean(vals)) for name, vals in groups]
        self.notes, self.highlight = list(notes), highlight
        n = len(self.groups)
        width = 0.8 / n
        pos = np.arange(len(labels), dtype=float)
        if self.horizontal:
            pos = -pos  # first label on top
        for g, (_name, vals) in enumerate(self.groups):
            centre = pos + (g - (n - 1) / 2) * width * (-1 if self.horizontal else 1)
            if n == 1 and colors is None:
                brushes = [self.theme.series(1 if lab == highlight else 0) for lab in self.labels]
            elif colors is not None:
                brushes = [colors[i % len(colors)] for i in range(len(labels))]
            else:
                brushes = [self.theme.series(g)] * len(labels)
            height = np.nan_to_num(vals)
            fills: list[QBrush] = [
                QBrush(QColor(b), Qt.BrushStyle.BDiagPattern) if self.partial[i] else QBrush(QColor(b))
                for i, b in enumerate(brushes)
            ]
            if self.line:  # categories in order (week numbers): a line reads as a curve
                color = self.theme.series(g)
                self.plot_item.plot(
                    pos, vals, pen=pg.mkPen(color, width=2), symbol="o", symbolSize=6,
                    antialias=len(pos) <= ANTIALIAS_MAX_POINTS,
                    # Hollow points where the week is not over (a per-point list costs: only then).
                    symbolBrush=([None if p else color for p in self.partial]
                                 if any(self.partial) else color),
                    symbolPen=pg.mkPen(color), connect="finite",
                )
                continue
            pens = [pg.mkPen(b.color()) for b in fills]
            if self.horizontal:
                item = pg.BarGraphItem(x0=0, y=centre, height=width * 0.95, width=height,
                                       brush=fills[0], brushes=fills, pens=pens)
            else:
                item = pg.BarGraphItem(x=centre, height=height, width=width * 0.95,
                                       brush=fills[0], brushes=fills, pens=pens)
            self.plot_item.addItem(item)
        self._axis_labels(pos)
        self._annotate(pos)
        self.show_plot(table)
        legend = ([(name, self.theme.series(g), "solid" if self.line else "bar")
                   for g, (name, _) in enumerate(self.groups)] if n > 1 else [])
        if any(self.partial):
            legend.append(("incomplete", QColor(self.theme.muted), "dot" if self.line else "hatch"))
        self.set_legend(legend)
        self.set_note(partial_note if any(self.partial) else "")
        if self.horizontal:
            # Room for every bar: long category lists grow the chart (the page scrolls).
            height = max(160, 40 + int(22 * len(labels) * max(1, n * 0.6)))
            if height != self.plot.minimumHeight():
                self.plot.setMinimumHeight(height)
        self._pos = pos
        self._fit(pos)

    def reset_zoom(self) -> None:
        if self._pos is None:
            super().reset_zoom()
        else:
            self._fit(self._pos)

    def _refit(self) -> None:
        if self._pos is not None and self.horizontal and self.notes:
            self._fit(self._pos)

    def _fit(self, pos: np.ndarray) -> None:
        """Room for the value notes (horizontal) or the legend (grouped) beside the bars."""
        top = max(float(np.nanmax(np.nan_to_num(v))) for _, v in self.groups) or 1.0
        lo, hi = float(pos.min()) - 0.5, float(pos.max()) + 0.5
        if self.horizontal:
            # Each note takes fixed pixels right of its bar: the scale leaves each bar and its
            # note the plot's width (a note never more than 70 % of it). The notes are TextItems
            # in the scene's font, measured here with some margin.
            metrics = QFontMetrics(self.plot.font())
            width_px = self.vb.width() if self.vb.width() > 100 else 800.0
            right = top
            for v, note in zip(np.nan_to_num(self.groups[0][1]), self.notes, strict=False):
                text_px = min(0.7 * width_px, metrics.horizontalAdvance(note) * 1.08 + 24)
                right = max(right, float(v) * width_px / (width_px - text_px))
            self.vb.setRange(xRange=(0, right * 1.02), yRange=(lo, hi), padding=0)
        else:
            headroom = 1.18 if len(self.groups) > 1 or self.notes else 1.06
            self.vb.setRange(xRange=(lo, hi), yRange=(0, top * headroom), padding=0)

    def _axis_labels(self, pos: np.ndarray) -> None:
        metrics = QFontMetrics(self.plot.font())
        widest = max((metrics.horizontalAdvance(t) for t in self.ticks), default=10)
        room = max(4, int(self.plot.width() / (widest + 12))) if self.plot.width() > 50 else 12
        step = 1 if self.horizontal or len(self.ticks) <= room else math.ceil(len(self.ticks) / room)
        # Where only every step-th label fits, the ones shown include the tallest bar's.
        vals = np.nan_to_num(self.groups[0][1]) if self.groups else np.zeros(0)
        offset = int(np.argmax(vals)) % step if step > 1 and len(vals) else 0
        labels = list(self.ticks)
        axis = self.plot_item.getAxis("left" if self.horizontal else "bottom")
        if self.horizontal:
            # Full labels beside the bars, up to 40 % of the chart (longer ones are elided in
            # the middle; the tooltip has them whole).
            metrics = QFontMetrics(self.font())
            limit = int(max(self.width() * 0.4, 260))
            labels = [metrics.elidedText(t, Qt.TextElideMode.ElideMiddle, limit) for t in labels]
            width = min(limit, max(metrics.horizontalAdvance(t) for t in labels) + 14)
            if width != axis.width():
                axis.setWidth(width)
        ticks = [(float(p), lab) for i, (p, lab) in enumerate(zip(pos, labels, strict=True))
                 if i % step == offset]
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
        hint = f"\n{self.drill_hint}" if self.drill_hint else ""
        return f"{self.labels[i]} — " + ", ".join(parts) + note + hint

    def click_at(self, x: float, y: float) -> str | None:
        i = self.index_at(x, y)
        if i is None or self.is_empty:
            return None
        self.clicked.emit(self.labels[i])
        return self.labels[i]

    def activate_at(self, x: float, y: float) -> int | None:
        i = self.index_at(x, y)
        if i is None or self.is_empty:
            return None
        self.activated.emit(i)
        return i

    def _mouse_clicked(self, event: object) -> None:
        pos: QPointF = event.scenePos()  # type: ignore[attr-defined]
        if self.is_empty or not self.plot_item.sceneBoundingRect().contains(pos):
            return
        if event.button() != Qt.MouseButton.LeftButton:  # type: ignore[attr-defined]
            return
        p = self.vb.mapSceneToView(pos)
        if event.double():  # type: ignore[attr-defined]
            self.activate_at(p.x(), p.y())
        else:
            self.click_at(p.x(), p.y())


def _set_finite(item: pg.PlotDataItem, x: np.ndarray, y: np.ndarray) -> None:
    if np.isfinite(y).any():
        item.setData(x, y, connect="finite")
    else:
        item.setData([], [])
