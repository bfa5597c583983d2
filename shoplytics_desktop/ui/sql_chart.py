"""A quick chart of a query result: a line or bars of one column against another."""

from __future__ import annotations

import datetime as dt
import decimal
import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from shoplytics_desktop.core.errors import ShoplyticsError
from shoplytics_desktop.core.query import QueryResult, chart_data
from shoplytics_desktop.core.workspace import Workspace
from shoplytics_desktop.ui import theme

NUMERIC_PREFIXES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
                    "UINTEGER", "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE", "DECIMAL", "REAL")


def is_numeric_type(dtype: str) -> bool:
    return dtype.upper().startswith(NUMERIC_PREFIXES)


def x_positions(values: list[Any]) -> tuple[np.ndarray, str, list[str]]:
    """Plot positions for x values, the kind of axis ('time', 'number', 'category') and, for
    categories, their labels."""
    if values and all(isinstance(v, dt.date | type(None)) for v in values):
        def seconds(v: Any) -> float:
            if v is None:
                return math.nan
            if not isinstance(v, dt.datetime):
                v = dt.datetime(v.year, v.month, v.day)
            if v.tzinfo is None:
                v = v.replace(tzinfo=dt.UTC)
            return v.timestamp()
        return np.array([seconds(v) for v in values], dtype=float), "time", []
    if values and all(isinstance(v, int | float | decimal.Decimal | type(None))
                      and not isinstance(v, bool) for v in values):
        return np.array([math.nan if v is None else float(v) for v in values]), "number", []
    labels = ["NULL" if v is None else str(v) for v in values]
    return np.arange(len(values), dtype=float), "category", labels


class ResultChart(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws: Workspace | None = None
        self.result: QueryResult | None = None
        self.kind = QComboBox()
        self.kind.addItems(["Line", "Bars"])
        self.x_column = QComboBox()
        self.y_column = QComboBox()
        for combo in (self.kind, self.x_column, self.y_column):
            combo.currentIndexChanged.connect(self.draw)
        self.note = QLabel("")
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Chart"))
        bar.addWidget(self.kind)
        bar.addWidget(QLabel("x"))
        bar.addWidget(self.x_column, 1)
        bar.addWidget(QLabel("y"))
        bar.addWidget(self.y_column, 1)
        bar.addWidget(self.note, 2)
        self.axis_bottom = pg.AxisItem("bottom")
        self.plot = pg.PlotWidget()
        self.plot.showGrid(x=False, y=True, alpha=0.2)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.plot, 1)
        self.x_kind = ""

    def set_result(self, ws: Workspace | None, result: QueryResult | None) -> None:
        self.ws, self.result = ws, result
        for combo in (self.x_column, self.y_column):
            combo.blockSignals(True)
            combo.clear()
        if result is not None:
            names = result.names
            numeric = [n for n, t in result.columns if is_numeric_type(t)]
            self.x_column.addItems(names)
            self.y_column.addItems(numeric)
            # y: the last number column other than x; x: the first column
            if numeric and len(names) > 1 and numeric[-1] == names[0] and len(numeric) > 1:
                self.y_column.setCurrentIndex(len(numeric) - 2)
            else:
                self.y_column.setCurrentIndex(len(numeric) - 1)
        for combo in (self.x_column, self.y_column):
            combo.blockSignals(False)
        self.draw()

    def draw(self) -> None:
        self.plot.clear()
        t = theme.palette()
        self.plot.setBackground(t.color(t.ColorRole.Base))
        result, ws = self.result, self.ws
        if result is None or ws is None:
            self.note.setText("Run a query to chart its result.")
            return
        if not self.y_column.count():
            self.note.setText("The result has no number column to chart.")
            return
        try:
            data = chart_data(ws, result, self.x_column.currentText(), self.y_column.currentText())
        except ShoplyticsError as e:
            self.note.setText(e.one_line())
            return
        xs, self.x_kind, labels = x_positions(data.x)
        ys = np.array([math.nan if v is None else float(v) for v in data.y], dtype=float)
        axis: pg.AxisItem = (pg.DateAxisItem(orientation="bottom", utcOffset=0)
                             if self.x_kind == "time" else pg.AxisItem("bottom"))
        self.plot.setAxisItems({"bottom": axis})
        if self.x_kind == "category":
            step = max(1, len(labels) // 20)
            axis.setTicks([[(i, labels[i][:24]) for i in range(0, len(labels), step)]])
        color = pg.mkColor(theme.SKY if theme.is_dark() else theme.BLUE)
        if self.kind.currentText() == "Bars":
            finite = np.sort(xs[np.isfinite(xs)])
            gaps = np.diff(finite)
            gaps = gaps[gaps > 0]
            width = float(gaps.min()) * 0.8 if len(gaps) else 0.8
            keep = np.isfinite(xs)
            self.plot.addItem(pg.BarGraphItem(x=xs[keep], height=np.nan_to_num(ys[keep]),
                                              width=width, brush=color, pen=pg.mkPen(color)))
        else:
            self.plot.plot(xs, ys, pen=pg.mkPen(color, width=2), connect="finite",
                           symbol="o" if len(xs) <= 60 else None, symbolSize=5, symbolBrush=color)
        self.plot.setLabel("left", self.y_column.currentText())
        self.plot.setLabel("bottom", self.x_column.currentText())
        self.plot.getPlotItem().getViewBox().autoRange(padding=0.03)
        shown = f"{len(xs):,} points"
        if data.truncated:
            shown += f" (the first; {data.truncated:,} more rows not charted)"
        self.note.setText(shown)

    def points(self) -> int:
        """The data points drawn (for tests)."""
        total = 0
        for item in self.plot.getPlotItem().items:
            if isinstance(item, pg.BarGraphItem):
                total += len(item.opts["height"])
            elif isinstance(item, pg.PlotDataItem):
                total += len(item.xData) if item.xData is not None else 0
        return total
