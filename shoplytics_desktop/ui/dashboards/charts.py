"""The base chart: a titled frame around a pyqtgraph plot with a small toolbar (reset zoom,
PNG, SVG, copy CSV, save CSV, the same actions in the context menu), a legend beside the title
(never over the data), a floating tooltip with a crosshair that follows the mouse and goes away
when the data changes, and an empty state that says why there is nothing to draw.

The mouse wheel scrolls the page; Ctrl + wheel or a dragged box zooms a time chart."""

from __future__ import annotations

from pathlib import Path

import pyqtgraph as pg
import pyqtgraph.exporters as pg_exporters
from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QColor,
    QFont,
    QGuiApplication,
    QImage,
    QPainter,
    QPen,
    QWheelEvent,
)
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from shoplytics_desktop.core.analytics.glossary import tooltip as metric_tooltip
from shoplytics_desktop.core.analytics.types import Table
from shoplytics_desktop.core.errors import ExportError
from shoplytics_desktop.ui.dashboards.csvdata import save_csv, table_csv
from shoplytics_desktop.ui.dashboards.style import Theme, current_theme, format_ticks

#: Exported PNGs: this size, whatever the chart's size on screen (a wide, flat chart exported
#: as 1200 × 205 was unreadable).
EXPORT_SIZE = (1600, 900)


class NumberAxis(pg.AxisItem):
    """One number format per axis (see ``format_ticks``): a common unit and decimals, the
    locale's separators, a currency or percent sign."""

    def __init__(self, orientation: str, kind: str = "count", currency: str = "USD") -> None:
        super().__init__(orientation)
        self.kind, self.currency = kind, currency

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        return format_ticks([v * scale for v in values], self.kind, self.currency)


class PlotWidget(pg.PlotWidget):
    """The wheel scrolls the page around the chart; Ctrl + wheel zooms."""

    def wheelEvent(self, ev: QWheelEvent) -> None:
        if ev.modifiers() & Qt.KeyboardModifier.ControlModifier:
            super().wheelEvent(ev)
            ev.accept()
        else:
            ev.ignore()  # on to the scroll area


class GridLines(pg.GraphicsObject):
    """Light lines at the major ticks of the value axis. pyqtgraph's own axis grid repaints
    through a picture that costs 5–10 ms per chart here (most of a redraw); this draws a handful
    of device-space lines instead."""

    def __init__(self, frame: ChartFrame) -> None:
        super().__init__()
        self.frame = frame
        self.setZValue(-100)
        frame.vb.sigRangeChanged.connect(self._range_changed)

    def _range_changed(self) -> None:
        self.prepareGeometryChange()
        self.update()

    def boundingRect(self) -> QRectF:
        return self.frame.vb.viewRect()

    def paint(self, painter: QPainter, *args: object) -> None:
        frame = self.frame
        name = getattr(frame, "grid_axis", None)
        if name is None:
            return
        axis = frame.plot_item.getAxis(name)
        rect = frame.vb.viewRect()
        vertical = name == "bottom"  # values along x: vertical lines
        lo, hi = (rect.left(), rect.right()) if vertical else (rect.top(), rect.bottom())
        size = frame.vb.width() if vertical else frame.vb.height()
        levels = axis.tickValues(min(lo, hi), max(lo, hi), size) if size > 0 else []
        if not levels:
            return
        transform = painter.transform()
        color = QColor(frame.theme.muted)
        color.setAlphaF(frame.theme.grid_alpha)
        painter.save()
        painter.resetTransform()
        painter.setPen(QPen(color, 1))
        for v in levels[0][1]:
            if vertical:
                a, b = transform.map(QPointF(v, rect.top())), transform.map(QPointF(v, rect.bottom()))
            else:
                a, b = transform.map(QPointF(rect.left(), v)), transform.map(QPointF(rect.right(), v))
            painter.drawLine(a, b)
        painter.restore()


def _tool(text: str, tip: str) -> QToolButton:
    b = QToolButton()
    b.setText(text)
    b.setToolTip(tip)
    b.setAutoRaise(True)
    return b


class ChartFrame(QFrame):
    """Subclasses draw into ``self.plot`` and implement ``hover_text`` (view coordinates)."""

    hovered = Signal(str)
    #: Whether the x axis zooms and pans with the mouse (time axes).
    zoomable = False

    def __init__(
        self,
        title: str,
        parent: QWidget | None = None,
        axis_items: dict[str, pg.AxisItem] | None = None,
        metric: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("dashChart")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = title
        self.currency: str = getattr(self, "currency", "USD")
        self.theme: Theme = current_theme()
        self._table: Table | None = None
        #: The date range and filters the chart shows (exported PNGs carry it).
        self.context = ""
        #: What a click opens, when the chart drills through (said on hover).
        self.drill_hint = ""

        self._make_labels(metric)
        header = self._make_header()
        self._make_plot(axis_items)
        self.empty_label = QLabel()
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_label.setStyleSheet(f"color: {self.theme.muted}; font-size: 13px;")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.plot)
        self.stack.addWidget(self.empty_label)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        layout.addLayout(header)
        layout.addWidget(self.legend_label)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.note_label)

    def _make_labels(self, metric: str | None) -> None:
        """The title (with the metric's definition as its tooltip), legend and note lines."""
        self.title_label = QLabel()
        self._title_text()
        self.title_label.setWordWrap(True)
        self.title_label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.title_label.setMinimumWidth(60)
        # A title wrapped onto two lines beside the buttons needs the height of both (a box
        # layout gives a label beside others one line's height, cutting the second).
        self.title_label.installEventFilter(self)
        self.set_metric(metric)
        self.legend_label = QLabel()
        self.legend_label.setVisible(False)
        self.legend_label.setWordWrap(True)
        self.note_label = QLabel()
        self.note_label.setWordWrap(True)
        self.note_label.setStyleSheet(f"color: {self.theme.muted};")
        self.note_label.setVisible(False)

    def _make_header(self) -> QHBoxLayout:
        """The title and the chart's buttons: reset zoom, PNG, SVG, copy and save as CSV."""
        self.buttons: dict[str, QToolButton] = {}
        header = QHBoxLayout()
        header.setContentsMargins(4, 2, 4, 0)
        header.addWidget(self.title_label, 1)
        for key, text, tip, slot in (
            ("reset", "⟲", "Reset zoom", self.reset_zoom),
            ("png", "PNG", "Export the chart as PNG", self._ask_png),
            ("svg", "SVG", "Export the chart as SVG", self._ask_svg),
            ("copy", "Copy", "Copy the chart's data as CSV", self.copy_csv),
            ("csv", "CSV", "Save the chart's data as CSV", self._ask_csv),
        ):
            b = _tool(text, tip)
            b.clicked.connect(slot)
            self.buttons[key] = b
            header.addWidget(b)
        self.buttons["reset"].setVisible(self.zoomable)
        self.buttons["reset"].setToolTip("Reset zoom (zoom with Ctrl + wheel or by dragging a box)")
        return header

    def _make_plot(self, axis_items: dict[str, pg.AxisItem] | None) -> None:
        """The plot, its mouse behaviour, grid, theme and the floating read-out."""
        self.plot = PlotWidget(axisItems=axis_items or {})
        self.plot.setAntialiasing(False)
        self.plot.setMinimumHeight(160)
        self.plot_item: pg.PlotItem = self.plot.getPlotItem()
        self.vb: pg.ViewBox = self.plot_item.getViewBox()
        self.plot_item.setMenuEnabled(False)
        self.plot_item.hideButtons()
        # Room above the plot for the top value label, which is centred on its tick.
        self.plot_item.layout.setContentsMargins(1, 8, 1, 1)
        self.vb.setMouseEnabled(x=self.zoomable, y=False)
        if self.zoomable:
            self.vb.setMouseMode(pg.ViewBox.RectMode)
            # A dragged box zooms x; y keeps following the visible data.
            self.vb.sigRangeChangedManually.connect(lambda *_: self.vb.enableAutoRange(y=True))
        self.grid = GridLines(self)
        self._add_menu_actions()
        self.apply_theme()
        self.plot.scene().sigMouseMoved.connect(self._mouse_moved)
        # The floating read-out and its crosshair.
        self.tip = QLabel(self.plot)
        self.tip.setVisible(False)
        self.tip.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.crosshair = pg.InfiniteLine(angle=90, movable=False)
        self.crosshair.setVisible(False)
        self._style_tip()
        self.plot.installEventFilter(self)

    def _title_text(self) -> None:
        """The title, with the currency's code on money charts (a symbol can be ambiguous)."""
        money = getattr(self, "kind", "") == "money"
        self.title_label.setText(f"<b>{self.title}</b>" + (f" ({self.currency})" if money else ""))
        self.fit_title()

    def set_metric(self, metric: str | None) -> None:
        """The glossary's definition as the title's tooltip."""
        self.metric_key = metric
        tip = metric_tooltip(metric) if metric else ""
        self.title_label.setToolTip(tip)

    def set_legend(self, entries: list[tuple[str, QColor, str]]) -> None:
        """Series names with their colour and line style ('solid', 'dash', 'dot', 'bar',
        'hatch'), above the plot, where they never cover the data."""
        marks = {"solid": "━━", "dash": "╍╍", "dot": "┅┅", "bar": "■", "hatch": "▨"}
        html = " &nbsp; ".join(
            f"<span style='color:{c.name()}'>{marks.get(style, '━━')}</span> {name}"
            for name, c, style in entries
        )
        # Unchanged text: no relayout (a redraw must stay cheap).
        if html != self.legend_label.text():
            self.legend_label.setText(html)
        if self.legend_label.isHidden() == bool(entries):
            self.legend_label.setVisible(bool(entries))

    def set_note(self, text: str) -> None:
        if text != self.note_label.text():
            self.note_label.setText(text)
        if self.note_label.isHidden() == bool(text):
            self.note_label.setVisible(bool(text))

    def _style_tip(self) -> None:
        t = self.theme
        self.tip.setStyleSheet(
            f"background: {t.background}; color: {t.foreground}; border: 1px solid {t.muted};"
            " padding: 3px 6px; border-radius: 3px;"
        )
        self.crosshair.setPen(pg.mkPen(t.muted, width=1, style=Qt.PenStyle.DashLine))

    def fit_title(self) -> None:
        """Give the title the height its wrapped text needs at its width (call after a new
        text)."""
        label = self.title_label
        if label.width() <= 0:
            return
        old = label.minimumHeight()
        label.setMinimumHeight(0)  # a label's height for a width is at least its minimum
        need = label.heightForWidth(label.width())
        label.setMinimumHeight(need if need > 0 else old)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is getattr(self, "title_label", None):
            if event.type() == QEvent.Type.Resize:
                self.fit_title()
            return False
        if watched is self.plot and event.type() == QEvent.Type.Leave:
            self.clear_hover()
        return super().eventFilter(watched, event)

    # -- appearance ------------------------------------------------------------------------------

    def apply_theme(self) -> None:
        t = self.theme
        self.plot.setBackground(t.background)
        for name in ("left", "bottom", "right", "top"):
            axis = self.plot_item.getAxis(name)
            axis.setPen(pg.mkPen(t.muted))
            axis.setTextPen(pg.mkPen(t.foreground))

    def refresh_theme(self) -> None:
        """Follow a light/dark palette switch (the owner redraws the data)."""
        self.theme = current_theme()
        self.apply_theme()
        self._style_tip()
        self.note_label.setStyleSheet(f"color: {self.theme.muted};")
        self.empty_label.setStyleSheet(f"color: {self.theme.muted}; font-size: 13px;")

    def set_currency(self, currency: str) -> None:
        self.currency = currency
        self._title_text()
        for name in ("left", "bottom"):
            axis = self.plot_item.getAxis(name)
            if isinstance(axis, NumberAxis):
                axis.currency = currency

    def _add_menu_actions(self) -> None:
        self.plot.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        for text, slot in (
            ("Reset zoom", self.reset_zoom),
            ("Export as PNG…", self._ask_png),
            ("Export as SVG…", self._ask_svg),
            ("Copy data as CSV", self.copy_csv),
            ("Save data as CSV…", self._ask_csv),
        ):
            action = QAction(text, self.plot)
            action.triggered.connect(slot)
            self.plot.addAction(action)

    # -- states ----------------------------------------------------------------------------------

    def show_empty(self, reason: str) -> None:
        self.clear_hover()
        self.plot_item.clear()
        self._table = None
        self.empty_label.setText(reason)
        self.stack.setCurrentWidget(self.empty_label)
        self.set_legend([])
        self.set_note("")
        for key in ("png", "svg", "copy", "csv"):
            self.buttons[key].setEnabled(False)

    def show_plot(self, table: Table) -> None:
        self.clear_hover()  # the old read-out describes data that is gone
        if self.grid not in self.plot_item.items:
            self.plot_item.addItem(self.grid, ignoreBounds=True)
        if self.crosshair not in self.plot_item.items:
            self.plot_item.addItem(self.crosshair, ignoreBounds=True)
        self._table = table
        self.stack.setCurrentWidget(self.plot)
        for key in ("png", "svg", "copy", "csv"):
            self.buttons[key].setEnabled(True)

    @property
    def is_empty(self) -> bool:
        return self.stack.currentWidget() is self.empty_label

    @property
    def empty_reason(self) -> str:
        return self.empty_label.text() if self.is_empty else ""

    @property
    def table(self) -> Table | None:
        return self._table

    def reset_zoom(self) -> None:
        self.vb.autoRange(padding=0.02)

    # -- hover -----------------------------------------------------------------------------------

    def hover_text(self, x: float, y: float) -> str | None:
        return None

    def crosshair_x(self, x: float) -> float | None:
        """Where the crosshair snaps for a hover at ``x`` (None: no crosshair)."""
        return None

    @property
    def tooltip_text(self) -> str:
        return "" if self.tip.isHidden() else self.tip.text()

    def hover_at(self, x: float, y: float) -> str:
        """Show (and return) the floating read-out for a point in view coordinates."""
        text = self.hover_text(x, y) or ""
        if not text:
            self.clear_hover()
            return ""
        self.tip.setText(text)
        self.tip.adjustSize()
        scene = self.vb.mapViewToScene(QPointF(x, y))
        widget = self.plot.mapFromScene(scene)
        pos = QPoint(widget.x() + 14, widget.y() + 14)
        # Keep the read-out inside the plot.
        if pos.x() + self.tip.width() > self.plot.width():
            pos.setX(max(0, widget.x() - 14 - self.tip.width()))
        if pos.y() + self.tip.height() > self.plot.height():
            pos.setY(max(0, widget.y() - 14 - self.tip.height()))
        self.tip.move(pos)
        self.tip.show()
        self.tip.raise_()
        cx = self.crosshair_x(x)
        self.crosshair.setVisible(cx is not None)
        if cx is not None:
            self.crosshair.setPos(cx)
        self.hovered.emit(text)
        return text

    def clear_hover(self) -> None:
        self.tip.hide()
        self.tip.setText("")
        self.crosshair.setVisible(False)

    def _mouse_moved(self, pos: QPointF) -> None:
        if self.is_empty or not self.vb.sceneBoundingRect().contains(pos):
            self.clear_hover()
            return
        p = self.vb.mapSceneToView(pos)
        self.hover_at(p.x(), p.y())

    # -- export ----------------------------------------------------------------------------------

    def render_image(self, width: int = EXPORT_SIZE[0], height: int = EXPORT_SIZE[1]) -> QImage:
        """The chart at a set size, under a header with its title, date range and filters."""
        self.clear_hover()
        t = self.theme
        title_font = QFont(self.font())
        title_font.setPointSizeF(max(title_font.pointSizeF(), 9) * 1.6)
        title_font.setBold(True)
        small = QFont(self.font())
        small.setPointSizeF(max(small.pointSizeF(), 9) * 1.15)
        lines = [line for line in (self.context, self.legend_text(), self.note_label.text()) if line]
        header = 24 + 40 + 26 * len(lines)
        image = QImage(width, height + header, QImage.Format.Format_ARGB32)
        image.fill(QColor(t.background))
        painter = QPainter(image)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
            painter.setPen(QColor(t.foreground))
            painter.setFont(title_font)
            painter.drawText(QRect(24, 16, width - 48, 40), int(Qt.AlignmentFlag.AlignLeft), self.title)
            painter.setFont(small)
            painter.setPen(QColor(t.muted))
            for i, line in enumerate(lines):
                painter.drawText(QRect(24, 60 + 26 * i, width - 48, 26),
                                 int(Qt.AlignmentFlag.AlignLeft), line)
            # Lay the plot out at the export size, draw it, and give it back its own size.
            old = self.plot_item.geometry()
            self.plot_item.setGeometry(QRectF(0, 0, width, height))
            try:
                self.plot.scene().render(painter, QRectF(0, header, width, height),
                                         QRectF(0, 0, width, height))
            finally:
                self.plot_item.setGeometry(old)
        finally:
            painter.end()
        return image

    def legend_text(self) -> str:
        from PySide6.QtGui import QTextDocument

        doc = QTextDocument()
        doc.setHtml(self.legend_label.text())
        return doc.toPlainText().replace("━━", "—").replace("╍╍", "- -").replace("┅┅", "···")

    def export_png(self, path: Path, width: int = EXPORT_SIZE[0],
                   height: int = EXPORT_SIZE[1]) -> Path:
        path = Path(path)
        image = self.render_image(width, height)
        try:
            ok = image.save(str(path), "PNG")  # type: ignore[call-overload]  # the stubs say bytes; PySide6 takes str only
        except OSError as e:
            raise ExportError(f"Cannot write the chart '{self.title}' to {path}: {e}.",
                              "Choose a folder you can write to.") from e
        if not ok or not path.exists():
            raise ExportError(f"The chart '{self.title}' could not be exported to {path}.",
                              "Choose a folder you can write to.")
        return path

    def export_svg(self, path: Path) -> Path:
        try:
            return self._export(pg_exporters.SVGExporter(self.plot_item), path)
        except (ValueError, IndexError):
            # pyqtgraph's SVG post-processing cannot parse some path data Qt 6.12 writes
            # ("not enough values to unpack"); Qt's own SVG generator draws the same scene.
            return self._export_qt_svg(Path(path))

    def _export_qt_svg(self, path: Path) -> Path:
        rect = self.plot_item.sceneBoundingRect()
        size = QSize(max(int(rect.width()), 1), max(int(rect.height()), 1))
        generator = QSvgGenerator()
        generator.setFileName(str(path))
        generator.setSize(size)
        generator.setViewBox(QRect(0, 0, size.width(), size.height()))
        generator.setTitle(self.title)
        painter = QPainter(generator)
        try:
            self.plot.scene().render(painter, QRectF(0, 0, size.width(), size.height()), rect)
        finally:
            painter.end()
        if not path.exists() or path.stat().st_size == 0:
            raise ExportError(f"The chart '{self.title}' could not be exported to {path}.",
                              "Choose a folder you can write to.")
        return path

    def _export(self, exporter: pg_exporters.Exporter, path: Path) -> Path:
        path = Path(path)
        try:
            exporter.export(str(path))
        except OSError as e:
            raise ExportError(
                f"Cannot write the chart '{self.title}' to {path}: {e.strerror}.",
                "Choose a folder you can write to.",
            ) from e
        if not path.exists():
            raise ExportError(
                f"The chart '{self.title}' could not be exported to {path}.",
                "Try the other format, or a smaller window.",
            )
        return path

    def csv_text(self) -> str:
        return table_csv(self._table) if self._table is not None else ""

    def copy_csv(self) -> None:
        QGuiApplication.clipboard().setText(self.csv_text())

    def _file_name(self, ext: str) -> str:
        return "".join(c if c.isalnum() else "_" for c in self.title.lower()).strip("_") + ext

    def _ask(self, ext: str, label: str) -> Path | None:
        name, _ = QFileDialog.getSaveFileName(
            self, f"Export '{self.title}'", self._file_name(ext), f"{label} (*{ext})"
        )
        return Path(name) if name else None

    def _ask_png(self) -> None:
        if (path := self._ask(".png", "PNG image")) is not None:
            self._guard(lambda: self.export_png(path))

    def _ask_svg(self) -> None:
        if (path := self._ask(".svg", "SVG image")) is not None:
            self._guard(lambda: self.export_svg(path))

    def _ask_csv(self) -> None:
        if self._table is not None and (path := self._ask(".csv", "CSV")) is not None:
            table = self._table
            self._guard(lambda: save_csv(table, path))

    def _guard(self, fn: object) -> None:
        from shoplytics_desktop.ui.errors import show_error

        try:
            fn()  # type: ignore[operator]
        except OSError as e:
            show_error(self, ExportError(f"Cannot export '{self.title}': {e}.", "Choose another file."))
        except ExportError as e:
            show_error(self, e)
