"""Draw the app icon and write every size and format the platforms want.

resources/icons/shoplytics-<size>.png (16…512), shoplytics.ico (Windows) and shoplytics.icns
(macOS). Drawn with QPainter so the icon has a single source: this file.
"""

from __future__ import annotations

import itertools
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QGuiApplication,
    QImage,
    QLinearGradient,
    QPainter,
    QPainterPath,
    QPen,
)

SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
OUT = Path(__file__).resolve().parent.parent / "resources" / "icons"


def draw(size: int) -> QImage:
    img = QImage(size, size, QImage.Format.Format_ARGB32)
    img.fill(Qt.GlobalColor.transparent)
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    s = size / 64.0
    grad = QLinearGradient(0, 0, 0, size)
    grad.setColorAt(0, QColor("#0a7e8c"))
    grad.setColorAt(1, QColor("#074f63"))
    path = QPainterPath()
    path.addRoundedRect(QRectF(2 * s, 2 * s, 60 * s, 60 * s), 13 * s, 13 * s)
    p.fillPath(path, grad)
    # three bars rising (engagement) …
    bars = [(13, 36, "#f0e442"), (25, 26, "#e69f00"), (37, 16, "#ffffff")]
    for x, top, colour in bars:
        p.fillRect(QRectF(x * s, top * s, 9 * s, (50 - top) * s), QColor(colour))
    # … and a trend line through them (conversion)
    pen = QPen(QColor("#ffffff"), max(1.0, 2.6 * s))
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    p.setPen(pen)
    pts = [QPointF(11 * s, 30 * s), QPointF(29 * s, 19 * s), QPointF(52 * s, 9 * s)]
    for a, b in itertools.pairwise(pts):
        p.drawLine(a, b)
    p.end()
    return img


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    OUT.mkdir(parents=True, exist_ok=True)
    for size in SIZES:
        draw(size).save(str(OUT / f"shoplytics-{size}.png"))
    draw(256).save(str(OUT / "shoplytics.ico"))
    draw(512).save(str(OUT / "shoplytics.icns"))
    del app
    print(f"icons written to {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
