"""Colours: the system palette for everything, plus a small colour-blind-safe accent set.

The accents are from the Okabe–Ito palette, distinguishable with the common colour-vision
deficiencies; every status is also spelled out in text, so colour is never the only cue.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

BLUE = "#0072B2"
SKY = "#56B4E9"
GREEN = "#009E73"
ORANGE = "#E69F00"
VERMILLION = "#D55E00"
PURPLE = "#CC79A7"
GREY = "#8C8C8C"

_STATUS = {
    "success": GREEN,
    "pass": GREEN,
    "warn": ORANGE,
    "fail": VERMILLION,
    "error": VERMILLION,
    "running": BLUE,
    "cancelled": GREY,
    "rolled back": GREY,
    "skipped": GREY,
    "pending": GREY,
}

LAYER_COLORS = {"raw": GREY, "staging": SKY, "intermediate": PURPLE, "marts": BLUE}


def palette() -> QPalette:
    app = QApplication.instance()
    return app.palette() if isinstance(app, QApplication) else QPalette()


def is_dark(pal: QPalette | None = None) -> bool:
    pal = pal or palette()
    return pal.color(QPalette.ColorRole.Window).lightness() < 128


def status_color(status: str | None) -> QColor:
    """The accent for a run or test status; the palette's mid tone for anything unknown."""
    if status and status in _STATUS:
        return QColor(_STATUS[status])
    return palette().color(QPalette.ColorRole.Mid)


def status_text_color(status: str | None) -> QColor:
    """A status colour readable as text on the palette's base colour in light and dark themes."""
    color = status_color(status)
    if status in (None, "pending", "skipped", "cancelled", "rolled back"):
        return palette().color(QPalette.ColorRole.PlaceholderText)
    return color.lighter(135) if is_dark() else color.darker(115)


def layer_color(layer: str) -> QColor:
    return QColor(LAYER_COLORS.get(layer, GREY))


def mix(a: QColor, b: QColor, t: float) -> QColor:
    """``a`` moved a fraction ``t`` towards ``b``."""
    return QColor(
        round(a.red() + (b.red() - a.red()) * t),
        round(a.green() + (b.green() - a.green()) * t),
        round(a.blue() + (b.blue() - a.blue()) * t),
    )
