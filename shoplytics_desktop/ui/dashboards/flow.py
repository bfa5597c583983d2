"""A layout that places its items left to right and wraps to the next line when the width runs
out (Qt's flow layout example): the filter bar and the KPI cards fit a 1000-pixel window and
200 % scaling without horizontal scrolling."""

from __future__ import annotations

from PySide6.QtCore import QMargins, QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QLayout, QLayoutItem, QSizePolicy, QWidget


class FlowLayout(QLayout):
    def __init__(self, parent: QWidget | None = None, spacing: int = 6,
                 stretch_last: bool = False) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._spacing = spacing
        #: Items grow to fill their line (KPI cards): each line's spare width is shared.
        self.fill = stretch_last
        self.setContentsMargins(QMargins(0, 0, 0, 0))

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._do_layout(QRect(0, 0, width, 0), test=True)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._do_layout(rect, test=False)

    def sizeHint(self) -> QSize:
        return self.minimumSize()

    def minimumSize(self) -> QSize:
        size = QSize()
        for item in self._items:
            if not item.isEmpty():
                size = size.expandedTo(item.minimumSize())
        m = self.contentsMargins()
        return size + QSize(m.left() + m.right(), m.top() + m.bottom())

    def _visible(self) -> list[QLayoutItem]:
        return [i for i in self._items if not i.isEmpty()]

    def _do_layout(self, rect: QRect, test: bool) -> int:
        m = self.contentsMargins()
        area = rect.adjusted(m.left(), m.top(), -m.right(), -m.bottom())
        lines: list[list[QLayoutItem]] = [[]]
        x = 0
        for item in self._visible():
            w = min(item.sizeHint().width(), area.width())
            if lines[-1] and x + w > area.width():
                lines.append([])
                x = 0
            lines[-1].append(item)
            x += w + self._spacing
        y = area.y()
        for line in lines:
            if not line:
                continue
            widths = [min(i.sizeHint().width(), area.width()) for i in line]
            if self.fill:
                spare = area.width() - sum(widths) - self._spacing * (len(line) - 1)
                grow = [i for i, it in enumerate(line)
                        if (widget := it.widget()) is None
                        or widget.sizePolicy().horizontalPolicy() != QSizePolicy.Policy.Fixed]
                if spare > 0 and grow:
                    for i in grow:
                        widths[i] += spare // len(grow)
            height = max(
                (it.heightForWidth(w) if it.hasHeightForWidth() else it.sizeHint().height())
                for it, w in zip(line, widths, strict=True)
            )
            x = area.x()
            for it, w in zip(line, widths, strict=True):
                if not test:
                    h = it.sizeHint().height() if not self.fill else height
                    top = y + (height - h) // 2
                    it.setGeometry(QRect(QPoint(x, top), QSize(w, h)))
                x += w + self._spacing
            y += height + self._spacing
        return y - self._spacing - rect.y() + m.bottom()
