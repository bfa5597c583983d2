"""A heatmap chart: a matrix of values as coloured cells with row and column labels."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QPainter
from PySide6.QtWidgets import QWidget

from shoplytics_desktop.core.analytics.types import Table
from shoplytics_desktop.ui.dashboards.charts import ChartFrame

_BLACK, _WHITE = QColor("#000000"), QColor("#ffffff")


class CellLabels(pg.GraphicsObject):
    """Every cell's label in one item, drawn at screen size (one item instead of hundreds of
    TextItems keeps a redraw cheap); labels are left out when the cells are too small."""

    def __init__(self, cells: list[tuple[float, float, str, QColor]], cols: int, rows: int) -> None:
        super().__init__()
        self.cells, self.rect = cells, QRectF(0, 0, cols, rows)

    def boundingRect(self) -> QRectF:
        return self.rect

    def paint(self, painter: QPainter, *args: object) -> None:
        transform = painter.transform()
        origin, unit = transform.map(QPointF(0, 0)), transform.map(QPointF(1, 1))
        w, h = abs(unit.x() - origin.x()), abs(unit.y() - origin.y())
        metrics = painter.fontMetrics()
        widest = max((metrics.horizontalAdvance(t) for _, _, t, _ in self.cells), default=0)
        if w < widest + 4 or h < metrics.height():
            return
        painter.save()
        painter.resetTransform()
        for x, y, text, color in self.cells:
            centre = transform.map(QPointF(x, y))
            painter.setPen(color)
            painter.drawText(QRectF(centre.x() - w / 2, centre.y() - h / 2, w, h),
                             int(Qt.AlignmentFlag.AlignCenter), text)
        painter.restore()


class HatchCells(pg.GraphicsObject):
    """Hatching over the cells whose period is not over yet (the current cohort week)."""

    def __init__(self, cells: list[tuple[int, int]], cols: int, rows: int) -> None:
        super().__init__()
        self.cells, self.rect = cells, QRectF(0, 0, cols, rows)

    def boundingRect(self) -> QRectF:
        return self.rect

    def paint(self, painter: QPainter, *args: object) -> None:
        painter.save()
        transform = painter.transform()
        painter.resetTransform()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QBrush(QColor(255, 255, 255, 170), Qt.BrushStyle.BDiagPattern))
        for r, c in self.cells:
            painter.drawRect(transform.mapRect(QRectF(c, r, 1, 1)))
        painter.restore()


class HeatmapChart(ChartFrame):
    """A matrix of values as coloured cells (viridis: colour-blind safe, ordered), rows from the
    top, with value labels when the cells are few enough to read."""

    MAX_LABELS = 600
    #: A cell was clicked: (row, column).
    cell_clicked = Signal(int, int)

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.plot.scene().sigMouseClicked.connect(self._mouse_clicked)
        self.vb.invertY(True)
        self.image = pg.ImageItem()
        self.cmap = pg.colormap.get("viridis")
        self.values = np.zeros((0, 0))
        self.rows: list[str] = []
        self.cols: list[str] = []
        self.fmt: Callable[[float], str] = str
        self.extra: Callable[[int, int], str] | None = None
        self.partial: list[list[bool]] = []
        # The colour scale, right of the cells.
        self.colorbar = pg.ColorBarItem(values=(0, 1), colorMap=self.cmap, interactive=False,
                                        width=12)
        self.colorbar.axis.tickStrings = (
            lambda values, scale, spacing: [self.fmt(v * scale) for v in values])
        self.plot_item.layout.addItem(self.colorbar, 2, 5)

    def set_matrix(
        self,
        values: Sequence[Sequence[float | None]],
        rows: Sequence[str],
        cols: Sequence[str],
        table: Table,
        fmt: Callable[[float], str],
        empty_reason: str = "No data in this range.",
        extra: Callable[[int, int], str] | None = None,
        row_title: str = "",
        col_title: str = "",
        labels: bool = True,
        vmax: float | None = None,
        partial: Sequence[Sequence[bool]] = (),
        partial_note: str = "",
    ) -> None:
        """``vmax`` caps the colour scale (values above take the top colour); ``partial``
        marks cells whose period is not over (hatched, with ``partial_note`` below)."""
        self.plot_item.clear()
        grid = np.array([[np.nan if v is None else float(v) for v in r] for r in values], dtype=float)
        if grid.size == 0 or not np.nansum(np.abs(grid)):
            self.show_empty(empty_reason)
            return
        self.values, self.rows, self.cols = grid, list(rows), list(cols)
        self.fmt, self.extra = fmt, extra
        hi = vmax or float(np.nanmax(grid)) or 1.0
        norm = np.clip(np.nan_to_num(grid / hi, nan=0.0), 0.0, 1.0)
        rgba = self.cmap.map(norm, mode="byte")  # (rows, cols, 4)
        rgba[np.isnan(grid)] = (0, 0, 0, 0)
        self.image = pg.ImageItem(np.transpose(rgba, (1, 0, 2)))  # ImageItem is x-major
        self.plot_item.addItem(self.image)
        self.image.setRect(0, 0, grid.shape[1], grid.shape[0])
        if labels and grid.size <= self.MAX_LABELS:
            cells = [
                (c + 0.5, r + 0.5, fmt(grid[r, c]), _BLACK if norm[r, c] > 0.55 else _WHITE)
                for r in range(grid.shape[0]) for c in range(grid.shape[1])
                if not math.isnan(grid[r, c])
            ]
            self.plot_item.addItem(CellLabels(cells, grid.shape[1], grid.shape[0]))
        step_c = max(1, math.ceil(len(self.cols) / 26))
        step_r = max(1, math.ceil(len(self.rows) / 30))
        self.plot_item.getAxis("bottom").setTicks(
            [[(c + 0.5, lab) for c, lab in enumerate(self.cols) if c % step_c == 0], []])
        self.plot_item.getAxis("left").setTicks(
            [[(r + 0.5, lab) for r, lab in enumerate(self.rows) if r % step_r == 0], []])
        self.plot_item.setLabel("bottom", col_title)
        self.plot_item.setLabel("left", row_title)
        self.partial = [list(r) for r in partial]
        hatched = [(r, c) for r, row in enumerate(self.partial) for c, flag in enumerate(row)
                   if flag and r < grid.shape[0] and c < grid.shape[1]
                   and not math.isnan(grid[r, c])]
        if hatched:
            self.plot_item.addItem(HatchCells(hatched, grid.shape[1], grid.shape[0]))
        if tuple(self.colorbar.levels()) != (0.0, hi):
            self.colorbar.setLevels((0.0, hi))
        self.show_plot(table)
        self.set_note(partial_note if hatched else "")
        self.vb.setRange(xRange=(0, grid.shape[1]), yRange=(0, grid.shape[0]), padding=0)

    def cell_at(self, x: float, y: float) -> tuple[int, int] | None:
        r, c = math.floor(y), math.floor(x)
        if 0 <= r < self.values.shape[0] and 0 <= c < self.values.shape[1]:
            return r, c
        return None

    def click_at(self, x: float, y: float) -> tuple[int, int] | None:
        cell = self.cell_at(x, y)
        if cell is None or self.is_empty or math.isnan(self.values[cell]):
            return None
        self.cell_clicked.emit(*cell)
        return cell

    def _mouse_clicked(self, event: object) -> None:
        pos: QPointF = event.scenePos()  # type: ignore[attr-defined]
        if self.is_empty or not self.vb.sceneBoundingRect().contains(pos):
            return
        if event.button() != Qt.MouseButton.LeftButton:  # type: ignore[attr-defined]
            return
        p = self.vb.mapSceneToView(pos)
        self.click_at(p.x(), p.y())

    def hover_text(self, x: float, y: float) -> str | None:
        cell = self.cell_at(x, y)
        if cell is None or self.is_empty:
            return None
        r, c = cell
        v = self.values[r, c]
        value = "no data yet" if math.isnan(v) else self.fmt(v)
        extra = f" ({self.extra(r, c)})" if self.extra else ""
        if r < len(self.partial) and c < len(self.partial[r]) and self.partial[r][c]:
            extra += " — week not over yet"
        hint = f"\n{self.drill_hint}" if self.drill_hint else ""
        return f"{self.rows[r]} · {self.cols[c]}: {value}{extra}{hint}"
