"""The model graph drawn left to right: raw → staging → intermediate → marts.

Nodes sit in one column per layer, ordered to keep edges short (each node goes near the mean
position of what it reads); edges are curves from an upstream's right side to a downstream's
left side. A node's border shows its status in the latest run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QFont, QPainter, QPainterPath, QPalette, QPen, QPolygonF
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QStyleOptionGraphicsItem,
    QWidget,
)

from shoplytics_desktop.ui import theme

if TYPE_CHECKING:
    from shoplytics_desktop.core.models.lineage import Lineage, Node

COLUMNS = ("raw", "staging", "intermediate", "marts")
NODE_W, NODE_H = 190.0, 42.0
COL_GAP, ROW_GAP = 80.0, 16.0
HEADER_H = 36.0


class NodeItem(QGraphicsItem):
    def __init__(self, node: Node, status: str | None) -> None:
        super().__init__()
        self.node = node
        self.status = status
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
        return QRectF(-2, -2, NODE_W + 4, NODE_H + 4)

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
        rect = QRectF(0, 0, NODE_W, NODE_H)
        base = pal.color(QPalette.ColorRole.Base)
        fill = theme.mix(base, pal.color(QPalette.ColorRole.Highlight), 0.18) if self.isSelected() else base
        if self._hover and not self.isSelected():
            fill = theme.mix(base, pal.color(QPalette.ColorRole.Text), 0.06)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        shown = self.problem[0] if self.problem else self.status
        border = theme.status_color(shown) if shown else pal.color(QPalette.ColorRole.Mid)
        width = 2.5 if shown in ("error", "fail", "warn") or self.isSelected() else 1.5
        if self.isSelected():
            border = pal.color(QPalette.ColorRole.Highlight)
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
            painter.drawEllipse(QPointF(NODE_W - 14, NODE_H / 2), 5, 5)
        painter.setPen(pal.color(QPalette.ColorRole.Text))
        font = QFont(painter.font())
        font.setBold(True)
        painter.setFont(font)
        text_rect = QRectF(16, 4, NODE_W - 38, NODE_H / 2)
        name = painter.fontMetrics().elidedText(self.node.name, Qt.TextElideMode.ElideRight, int(text_rect.width()))
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name)
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
        sub_rect = QRectF(16, NODE_H / 2, NODE_W - 38, NODE_H / 2 - 4)
        sub = painter.fontMetrics().elidedText(sub, Qt.TextElideMode.ElideRight, int(sub_rect.width()))
        painter.drawText(sub_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, sub)

    def anchor_out(self) -> QPointF:
        return self.pos() + QPointF(NODE_W, NODE_H / 2)

    def anchor_in(self) -> QPointF:
        return self.pos() + QPointF(0, NODE_H / 2)


class EdgeItem(QGraphicsPathItem):
    """A curve stroked with the pen, and an arrowhead filled at its end."""

    def __init__(self, source: NodeItem, target: NodeItem) -> None:
        super().__init__()
        self.source, self.target = source, target
        source.edges.append(self)
        target.edges.append(self)
        self.setZValue(-1)
        a, b = source.anchor_out(), target.anchor_in()
        dx = max((b.x() - a.x()) * 0.5, 30.0)
        path = QPainterPath(a)
        path.cubicTo(a + QPointF(dx, 0), b - QPointF(dx, 0), b - QPointF(7, 0))
        self.setPath(path)
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


MAX_ROWS = 8  # a taller layer is laid out in staggered sub-columns
SUB_GAP = 36.0


def layout(graph: Lineage) -> tuple[dict[str, QPointF], dict[str, float]]:
    """Positions per node id, and the x of each layer's header.

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
        subs = -(-len(nodes) // MAX_ROWS)
        rows = -(-len(nodes) // subs)
        offset = (tallest - rows) * step / 2
        headers[layer] = x
        for i, node in enumerate(nodes):
            sub, row = i % subs, i // subs
            y = HEADER_H + offset + row * step + (sub * step / subs if subs > 1 else 0)
            pos[node.id] = QPointF(x + sub * (NODE_W + SUB_GAP), y)
            y_of[node.id] = y
        x += subs * NODE_W + (subs - 1) * SUB_GAP + COL_GAP
    return pos, headers


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
        positions, headers = layout(graph)
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
            item = NodeItem(node, status)
            item.setPos(positions[node.id])
            scene.addItem(item)
            self.items_by_id[node.id] = item
        for a, b in graph.edges:
            if a in self.items_by_id and b in self.items_by_id:
                scene.addItem(EdgeItem(self.items_by_id[a], self.items_by_id[b]))
        rect = scene.itemsBoundingRect().adjusted(-16, -12, 16, 16)
        self.setSceneRect(rect)
        self.setBackgroundBrush(pal.color(QPalette.ColorRole.Window))
        if selected in self.items_by_id:
            self.items_by_id[selected].setSelected(True)
        self.fit()

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
        if rect.isEmpty():
            return
        self.resetTransform()
        view = self.viewport().rect()
        scale = min(view.width() / rect.width(), view.height() / rect.height(), 1.0)
        # never shrink below legibility: scroll instead
        self.scale(max(scale, 0.5), max(scale, 0.5))
        self.centerOn(rect.center())

    def resizeEvent(self, event: object) -> None:
        super().resizeEvent(event)  # type: ignore[arg-type]
        self.fit()

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
            factor = 1.15 if event.angleDelta().y() > 0 else 1 / 1.15  # type: ignore[attr-defined]
            self.scale(factor, factor)
            return
        super().wheelEvent(event)  # type: ignore[arg-type]


def status_map(last_models: dict[str, tuple[str, int | None, float, str]]) -> dict[str, str]:
    return {name: row[0] for name, row in last_models.items()}


