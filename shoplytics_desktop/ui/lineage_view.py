"""The model graph drawn left to right: raw → staging → intermediate → marts.

Nodes sit in one column per layer, ordered to keep edges short (each node goes near the mean
position of what it reads), each column as wide as its longest name (names are never cut short);
edges are curves from an upstream's right side to a downstream's left side, and an edge that
skips a column crosses it through a gap between its nodes, never behind one. A node's border
shows its status in the latest run. Ctrl+wheel, + and − zoom, 0 fits; the search box highlights
the models whose names match and centres the first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QPointF, QRectF, QSizeF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QKeyEvent,
    QKeySequence,
    QPainter,
    QPainterPath,
    QPalette,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QStyleOptionGraphicsItem,
    QToolButton,
    QWidget,
)

from shoplytics_desktop.core.status import PROBLEMS
from shoplytics_desktop.ui import theme

if TYPE_CHECKING:
    from shoplytics_desktop.core.models.lineage import Lineage, Node

COLUMNS = ("raw", "staging", "intermediate", "marts")
NODE_W, NODE_H = 190.0, 42.0  # NODE_W: the narrowest a node gets
TEXT_LEFT, TEXT_RIGHT = 16.0, 26.0  # room for the layer stripe and the status dot
COL_GAP, ROW_GAP = 80.0, 16.0
HEADER_H = 36.0


class NodeItem(QGraphicsItem):
    def __init__(self, node: Node, status: str | None, width: float = NODE_W) -> None:
        super().__init__()
        self.node = node
        self.status = status
        self.width = width
        self.match = False  # highlighted by the search box
        self.edges: list[EdgeItem] = []
        self.problem: tuple[str, int] | None = None  # worst test status ("warn"/"fail"/"error"), count
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        tip = f"{node.id} ({node.materialized})"
        if status:
            tip += f"\nlast run: {status}"
        if node.description:
            tip += f"\n\n{node.description}"
        self.setToolTip(tip)
        self._hover = False

    def boundingRect(self) -> QRectF:
        return QRectF(-2, -2, self.width + 4, NODE_H + 4)

    def hoverEnterEvent(self, event: object) -> None:
        self._hover = True
        self.update()

    def hoverLeaveEvent(self, event: object) -> None:
        self._hover = False
        self.update()

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: object) -> object:
        if change == QGraphicsItem.GraphicsItemChange.ItemSelectedHasChanged:
            for edge in self.edges:
                edge.update_style()
        return super().itemChange(change, value)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        pal = theme.palette()
        w = self.width
        rect = QRectF(0, 0, w, NODE_H)
        base = pal.color(QPalette.ColorRole.Base)
        fill = theme.mix(base, pal.color(QPalette.ColorRole.Highlight), 0.18) if self.isSelected() else base
        if self._hover and not self.isSelected():
            fill = theme.mix(base, pal.color(QPalette.ColorRole.Text), 0.06)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        shown = self.problem[0] if self.problem else self.status
        border = theme.status_color(shown) if shown else pal.color(QPalette.ColorRole.Mid)
        width = 2.5 if shown in PROBLEMS or self.isSelected() else 1.5
        if self.isSelected():
            border = pal.color(QPalette.ColorRole.Highlight)
        if self.match:
            fill = theme.mix(fill, QColor(theme.ORANGE), 0.25)
            border, width = QColor(theme.ORANGE), 3.0
        painter.setPen(QPen(border, width))
        painter.setBrush(fill)
        painter.drawRoundedRect(rect, 7, 7)
        # the layer stripe on the left edge
        stripe = QPainterPath()
        stripe.addRoundedRect(QRectF(1, 1, 7, NODE_H - 2), 3, 3)
        painter.fillPath(stripe, theme.layer_color(self.node.layer))
        # status dot on the right
        if shown:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(theme.status_color(shown))
            painter.drawEllipse(QPointF(w - 14, NODE_H / 2), 5, 5)
        painter.setPen(pal.color(QPalette.ColorRole.Text))
        font = QFont(painter.font())
        font.setBold(True)
        painter.setFont(font)
        text_rect = QRectF(TEXT_LEFT, 4, w - TEXT_LEFT - TEXT_RIGHT, NODE_H / 2)
        # the node is as wide as its name (node_width): the whole name always shows
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, self.node.name)
        font.setBold(False)
        font.setPointSizeF(max(font.pointSizeF() * 0.85, 6.0))
        painter.setFont(font)
        painter.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
        sub = self.node.materialized + (f" · {self.status}" if self.status else "")
        if self.problem:  # the model built, but tests on it did not pass
            status, count = self.problem
            verb = {"warn": "warned", "fail": "failed"}.get(status, "could not run")
            sub = f"{self.node.materialized} · {count} test{'s' if count > 1 else ''} {verb}"
            painter.setPen(theme.status_text_color(status))
        sub_rect = QRectF(TEXT_LEFT, NODE_H / 2, w - TEXT_LEFT - TEXT_RIGHT, NODE_H / 2 - 4)
        sub = painter.fontMetrics().elidedText(sub, Qt.TextElideMode.ElideRight, int(sub_rect.width()))
        painter.drawText(sub_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, sub)

    def anchor_out(self) -> QPointF:
        return self.pos() + QPointF(self.width, NODE_H / 2)

    def rect_in_scene(self) -> QRectF:
        return QRectF(self.pos(), QSizeF(self.width, NODE_H))

    def anchor_in(self) -> QPointF:
        return self.pos() + QPointF(0, NODE_H / 2)


class EdgeItem(QGraphicsPathItem):
    """A curve stroked with the pen, and an arrowhead filled at its end."""

    def __init__(self, source: NodeItem, target: NodeItem,
                 columns: list[tuple[float, float, list[QRectF]]] | None = None) -> None:
        """``columns``: (left, right, node rectangles) of every column block; the edge crosses
        the blocks between its ends through a gap, not behind a node."""
        super().__init__()
        self.source, self.target = source, target
        source.edges.append(self)
        target.edges.append(self)
        self.setZValue(-1)
        a, b = source.anchor_out(), target.anchor_in()
        if b.x() > a.x():
            self.setPath(route(a, b, columns or []))
        else:  # a model reading one of its own layer: round the column, into the right side
            b = target.anchor_out()
            self.setPath(route_back(a, b, columns or []))
            self.head = QPolygonF([b, b + QPointF(8, -4.5), b + QPointF(8, 4.5)])
            self.update_style()
            return
        self.head = QPolygonF([b, b + QPointF(-8, -4.5), b + QPointF(-8, 4.5)])
        self.update_style()

    def boundingRect(self) -> QRectF:
        return super().boundingRect().united(self.head.boundingRect()).adjusted(-2, -2, 2, 2)

    def update_style(self) -> None:
        pal = theme.palette()
        hot = self.source.isSelected() or self.target.isSelected()
        color = pal.color(QPalette.ColorRole.Highlight) if hot else pal.color(QPalette.ColorRole.Mid)
        if not hot and theme.is_dark():
            color = color.lighter(150)
        self.setPen(QPen(color, 2.2 if hot else 1.2))
        self.setZValue(0 if hot else -1)
        self.update()

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(self.pen())
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self.path())
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QBrush(self.pen().color()))
        painter.drawPolygon(self.head)


def free_y(rects: list[QRectF], want: float, margin: float = 5.0) -> float:
    """The y nearest ``want`` that no rectangle covers (with ``margin``): ``want`` itself, the
    middle of a gap between the rectangles, or just above or below them all."""
    spans = sorted((r.top() - margin, r.bottom() + margin) for r in rects)
    merged: list[list[float]] = []
    for top, bottom in spans:
        if merged and top <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], bottom)
        else:
            merged.append([top, bottom])
    if not any(top < want < bottom for top, bottom in merged):
        return want
    candidates = [merged[0][0], merged[-1][1]]
    candidates += [(merged[i][1] + merged[i + 1][0]) / 2 for i in range(len(merged) - 1)]
    return min(candidates, key=lambda y: (abs(y - want), y))


def route(a: QPointF, b: QPointF, columns: list[tuple[float, float, list[QRectF]]]) -> QPainterPath:
    """A curve from ``a`` (an upstream's right side) to ``b`` (a downstream's left side) that
    crosses each column block strictly between them horizontally, at a y free of nodes."""
    points = [a]
    for left, right, rects in sorted(columns, key=lambda c: c[0]):
        if left <= a.x() or right >= b.x():
            continue
        t = ((left + right) / 2 - a.x()) / max(b.x() - a.x(), 1.0)
        y = free_y(rects, a.y() + (b.y() - a.y()) * t)
        points += [QPointF(left - 6, y), QPointF(right + 6, y)]
    end = b - QPointF(7, 0)
    points.append(end)
    path = QPainterPath(points[0])
    for i in range(1, len(points)):
        p, q = points[i - 1], points[i]
        if i % 2 == 0 and i < len(points) - 1:  # across a column: straight
            path.lineTo(q)
            continue
        dx = max((q.x() - p.x()) * 0.5, 12.0)
        path.cubicTo(p + QPointF(dx, 0), q - QPointF(dx, 0), q)
    return path


def route_back(a: QPointF, b: QPointF, columns: list[tuple[float, float, list[QRectF]]]
               ) -> QPainterPath:
    """From ``a`` (a right side) to ``b`` (the right side of a node at or left of it): out into
    the gutter after ``a``'s column, along it, and back left at a y free of nodes."""
    blocks = sorted(columns, key=lambda c: c[0])
    own = next((c for c in blocks if c[0] - 1 <= a.x() <= c[1] + 1), None)
    right = own[1] if own else a.x()
    after = [c[0] for c in blocks if c[0] > right]
    gutter = (right + min(after)) / 2 if after else right + 20
    between = [c for c in blocks if c[0] > b.x() and c[1] <= right + 1]
    y = b.y()
    for c in between:
        y = free_y(c[2], y)
    path = QPainterPath(a)
    path.cubicTo(a + QPointF(gutter - a.x(), 0), QPointF(gutter, a.y()), QPointF(gutter, a.y() + (4 if y > a.y() else -4)))
    path.lineTo(QPointF(gutter, y))
    if between:
        path.lineTo(QPointF(min(c[0] for c in between) - 6, y))
    end = b + QPointF(7, 0)
    here = path.currentPosition()
    dx = max((here.x() - end.x()) * 0.5, 12.0)
    path.cubicTo(here - QPointF(dx, 0), end + QPointF(dx, 0), end)
    return path


MAX_ROWS = 8  # a taller layer is laid out in staggered sub-columns
SUB_GAP = 36.0


Block = tuple[float, float, list[QRectF]]


def node_width(node: Node, metrics: QFontMetricsF) -> float:
    """Wide enough for the whole name in bold (``metrics``: the bold font's) and the sub-line."""
    return max(NODE_W, TEXT_LEFT + metrics.horizontalAdvance(node.name) + TEXT_RIGHT + 6)


def layout(graph: Lineage, widths: dict[str, float] | None = None
           ) -> tuple[dict[str, QPointF], dict[str, float], list[Block]]:
    """Positions per node id, the x of each layer's header, and each (sub-)column's block (left,
    right and its nodes' rectangles). ``widths``: per node id (default ``NODE_W``); a layer's
    columns are as wide as its widest node.

    A column per layer, rows ordered by the mean row of upstreams (fewer crossings). A layer with
    more than ``MAX_ROWS`` nodes is dealt into sub-columns, the later ones shifted half a row down
    so that edges reach them through the gaps of the earlier ones.
    """
    by_layer: dict[str, list[Node]] = {c: [] for c in COLUMNS}
    for node in graph.nodes:
        by_layer.setdefault(node.layer, []).append(node)
    ups: dict[str, list[str]] = {}
    for a, b in graph.edges:
        ups.setdefault(b, []).append(a)
    y_of: dict[str, float] = {}
    pos: dict[str, QPointF] = {}
    headers: dict[str, float] = {}
    blocks: list[Block] = []
    widths = widths or {}
    columns = [c for c in by_layer if by_layer[c]]
    step = NODE_H + ROW_GAP
    rows_per_layer = {c: min(len(by_layer[c]), MAX_ROWS) for c in columns}
    tallest = max(rows_per_layer.values(), default=1)
    x = 0.0
    for layer in columns:
        nodes = by_layer[layer]

        def key(n: Node) -> tuple[float, str]:
            ys = [y_of[u] for u in ups.get(n.id, []) if u in y_of]
            return (sum(ys) / len(ys) if ys else 0.0, n.id)

        nodes.sort(key=key)
        col_w = max((widths.get(n.id, NODE_W) for n in nodes), default=NODE_W)
        subs = -(-len(nodes) // MAX_ROWS)
        rows = -(-len(nodes) // subs)
        offset = (tallest - rows) * step / 2
        headers[layer] = x
        for i, node in enumerate(nodes):
            sub, row = i % subs, i // subs
            y = HEADER_H + offset + row * step + (sub * step / subs if subs > 1 else 0)
            pos[node.id] = QPointF(x + sub * (col_w + SUB_GAP), y)
            y_of[node.id] = y
        right = x + subs * col_w + (subs - 1) * SUB_GAP
        for sub in range(subs):  # each sub-column is crossed on its own, through its gaps
            left = x + sub * (col_w + SUB_GAP)
            blocks.append((left, left + col_w, [
                QRectF(pos[n.id], QSizeF(widths.get(n.id, NODE_W), NODE_H))
                for i, n in enumerate(nodes) if i % subs == sub]))
        x = right + COL_GAP
    return pos, headers, blocks


class LineageView(QGraphicsView):
    node_selected = Signal(str)  # node id (schema.name), "" when nothing is selected

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.items_by_id: dict[str, NodeItem] = {}
        self.scene().selectionChanged.connect(self._selection_changed)
        self._message: QGraphicsSimpleTextItem | None = None
        self._zoomed = False  # the user zoomed: a resize keeps the zoom
        self.tools = self._make_tools()

    # -- tools: search and zoom ----------------------------------------------------------------

    def _make_tools(self) -> QWidget:
        tools = QFrame(self)
        tools.setObjectName("lineageTools")
        tools.setFrameShape(QFrame.Shape.StyledPanel)
        tools.setAutoFillBackground(True)
        row = QHBoxLayout(tools)
        row.setContentsMargins(4, 2, 4, 2)
        row.setSpacing(2)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Find a model…")
        self.search.setClearButtonEnabled(True)
        self.search.setFixedWidth(180)
        self.search.textChanged.connect(self.highlight_matching)
        self.search.returnPressed.connect(self._select_match)
        row.addWidget(self.search)
        for text, tip, slot in (("−", "Zoom out (−, Ctrl+wheel)", lambda: self.zoom(1 / 1.25)),
                                ("+", "Zoom in (+, Ctrl+wheel)", lambda: self.zoom(1.25)),
                                ("Fit", "Fit the whole graph (0)", self.fit)):
            button = QToolButton()
            button.setText(text)
            button.setToolTip(tip)
            button.setAutoRaise(True)
            button.clicked.connect(slot)
            row.addWidget(button)
        self.match_label = QLabel("")
        row.addWidget(self.match_label)
        tools.adjustSize()
        return tools

    def _place_tools(self) -> None:
        self.tools.adjustSize()
        self.tools.move(max(self.width() - self.tools.width() - 22, 4), 6)
        self.tools.raise_()

    def zoom(self, factor: float) -> None:
        scale = self.transform().m11() * factor
        if not 0.1 <= scale <= 4.0:
            return
        self._zoomed = True
        self.scale(factor, factor)

    def highlight_matching(self, text: str) -> list[str]:
        """Highlight the models whose names contain ``text`` and centre the first; the ids."""
        needle = text.strip().lower()
        found = []
        for node_id, item in self.items_by_id.items():
            item.match = bool(needle) and needle in item.node.name.lower()
            if item.match:
                found.append(node_id)
            item.update()
        found.sort(key=lambda i: (self.items_by_id[i].pos().x(), self.items_by_id[i].pos().y()))
        if found:
            self.centerOn(self.items_by_id[found[0]])
        self.match_label.setText("" if not needle else
                                 f"{len(found)} found" if found else "none found")
        self._place_tools()
        return found

    def _select_match(self) -> None:
        found = self.highlight_matching(self.search.text())
        if found:
            self.select(found[0])
            self.centerOn(self.items_by_id[found[0]])

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom(1.25)
        elif key == Qt.Key.Key_Minus:
            self.zoom(1 / 1.25)
        elif key == Qt.Key.Key_0:
            self.fit()
        elif event.matches(QKeySequence.StandardKey.Find):
            self.search.setFocus()
            self.search.selectAll()
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def show_message(self, text: str) -> None:
        self.scene().clear()
        self.items_by_id = {}
        item = self.scene().addSimpleText(text)
        item.setBrush(theme.palette().color(QPalette.ColorRole.PlaceholderText))
        self.setSceneRect(item.boundingRect().adjusted(-20, -20, 20, 20))

    def set_graph(self, graph: Lineage, statuses: dict[str, str] | None = None) -> None:
        statuses = statuses or {}
        selected = self.selected_id()
        scene = self.scene()
        scene.blockSignals(True)
        scene.clear()
        scene.blockSignals(False)
        self.items_by_id = {}
        bold = QFont(self.font())
        bold.setBold(True)
        metrics = QFontMetricsF(bold)
        widths = {node.id: node_width(node, metrics) for node in graph.nodes}
        positions, headers, blocks = layout(graph, widths)
        pal = theme.palette()
        for layer, hx in headers.items():
            label = scene.addSimpleText(layer.upper())
            font = QFont(label.font())
            font.setBold(True)
            font.setLetterSpacing(QFont.SpacingType.PercentageSpacing, 110)
            label.setFont(font)
            label.setBrush(theme.layer_color(layer) if not theme.is_dark() else theme.layer_color(layer).lighter(120))
            label.setPos(hx, 0)
        for node in graph.nodes:
            status = statuses.get(node.name) if node.layer != "raw" else None
            item = NodeItem(node, status, widths[node.id])
            item.setPos(positions[node.id])
            scene.addItem(item)
            self.items_by_id[node.id] = item
        for a, b in graph.edges:
            if a in self.items_by_id and b in self.items_by_id:
                scene.addItem(EdgeItem(self.items_by_id[a], self.items_by_id[b], blocks))
        # Room above the layer headings for the search and zoom tools, which float top right.
        rect = scene.itemsBoundingRect().adjusted(-16, -12 - self.tools.sizeHint().height(), 16, 16)
        self.setSceneRect(rect)
        self.setBackgroundBrush(pal.color(QPalette.ColorRole.Window))
        if selected in self.items_by_id:
            self.items_by_id[selected].setSelected(True)
        self.fit()
        if self.search.text().strip():
            self.highlight_matching(self.search.text())

    def set_status(self, name: str, status: str | None) -> None:
        """Live: a model's status changed during a run."""
        for item in self.items_by_id.values():
            if item.node.name == name and item.node.layer != "raw":
                item.status = status
                item.update()

    def clear_statuses(self) -> None:
        for item in self.items_by_id.values():
            if item.node.layer != "raw":
                item.status = "pending"
                item.problem = None
                item.update()

    def set_problems(self, problems: dict[str, tuple[str, int]]) -> None:
        """Per model, the worst status of its tests that did not pass, and how many."""
        for item in self.items_by_id.values():
            problem = problems.get(item.node.name) if item.node.layer != "raw" else None
            tip = item.toolTip().split("\n⚠")[0]
            if problem:
                tip += f"\n⚠ {problem[1]} test(s) did not pass (worst: {problem[0]})"
            item.setToolTip(tip)
            item.problem = problem
            item.update()

    def select(self, node_id: str) -> None:
        self.scene().clearSelection()
        item = self.items_by_id.get(node_id)
        if item is not None:
            item.setSelected(True)
            self.ensureVisible(item)

    def selected_id(self) -> str:
        for item in self.scene().selectedItems():
            if isinstance(item, NodeItem):
                return item.node.id
        return ""

    def _selection_changed(self) -> None:
        self.node_selected.emit(self.selected_id())

    def fit(self) -> None:
        rect = self.sceneRect()
        self._zoomed = False
        if rect.isEmpty():
            return
        self.resetTransform()
        view = self.viewport().rect()
        scale = min(view.width() / rect.width(), view.height() / rect.height(), 1.0)
        # never shrink below legibility: scroll instead, from the sources on the left (the
        # graph reads left to right)
        scale = max(scale, 0.5)
        self.scale(scale, scale)
        half = view.width() / (2 * scale)
        x = rect.center().x() if rect.width() <= 2 * half else rect.left() + half
        self.centerOn(x, rect.center().y())

    def resizeEvent(self, event: object) -> None:
        super().resizeEvent(event)  # type: ignore[arg-type]
        if not self._zoomed:
            self.fit()
        self._place_tools()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:  # nodes and edges read the palette as they paint
            self.setBackgroundBrush(theme.palette().color(QPalette.ColorRole.Window))
            for item in self.scene().items():
                if isinstance(item, EdgeItem):
                    item.update_style()
            self.viewport().update()
        super().changeEvent(event)

    def wheelEvent(self, event: object) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:  # type: ignore[attr-defined]
            self.zoom(1.15 if event.angleDelta().y() > 0 else 1 / 1.15)  # type: ignore[attr-defined]
            return
        super().wheelEvent(event)  # type: ignore[arg-type]
