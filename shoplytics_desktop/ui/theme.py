"""Colours: the system palette for everything, plus a small colour-blind-safe accent set.

The app follows the system's light or dark setting: Qt's colour-scheme hint when the platform
gives one (``follow_system`` keeps the palette in step with it, also when it changes while the
app runs), else the palette's own lightness. ``is_dark()`` is what every colour choice of the
app asks, the dashboards' included.

The accents are from the Okabe–Ito palette, distinguishable with the common colour-vision
deficiencies; every status is also spelled out in text, so colour is never the only cue.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

BLUE = "#0072B2"
SKY = "#56B4E9"
GREEN = "#009E73"
ORANGE = "#E69F00"
VERMILLION = "#D55E00"
PURPLE = "#CC79A7"
YELLOW = "#F0E442"
GREY = "#8C8C8C"

#: Okabe–Ito, in the order chart series take them (black is left out: it vanishes on dark).
SERIES = (BLUE, ORANGE, GREEN, PURPLE, SKY, VERMILLION, YELLOW)
#: On dark backgrounds the deep blue is dim: sky blue leads instead.
SERIES_DARK = (SKY, ORANGE, GREEN, PURPLE, BLUE, VERMILLION, YELLOW)

#: The one colour of every run, model and test status (``core.status``) and of the import
#: wizard's notes; grey ones are "nothing happened" and read as muted text.
_STATUS = {
    "success": GREEN,
    "unchanged": GREEN,  # a model a run left as it was: as good as built
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
    """The palette (default: the app's) is a dark one: light text on dark backgrounds."""
    pal = pal or palette()
    return pal.color(QPalette.ColorRole.Window).lightness() < 128


def system_scheme() -> bool | None:
    """The system's colour scheme as Qt reports it: True dark, False light, None unknown."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return None
    scheme = app.styleHints().colorScheme()
    if scheme == Qt.ColorScheme.Dark:
        return True
    if scheme == Qt.ColorScheme.Light:
        return False
    return None


def dark_palette() -> QPalette:
    """A dark palette for styles that do not make one themselves (Fusion on some desktops)."""
    pal = QPalette()
    window, base, text = QColor("#2b2b2b"), QColor("#1f1f1f"), QColor("#e6e6e6")
    roles = {
        QPalette.ColorRole.Window: window, QPalette.ColorRole.WindowText: text,
        QPalette.ColorRole.Base: base, QPalette.ColorRole.AlternateBase: QColor("#262626"),
        QPalette.ColorRole.Text: text, QPalette.ColorRole.Button: QColor("#353535"),
        QPalette.ColorRole.ButtonText: text, QPalette.ColorRole.ToolTipBase: QColor("#3a3a3a"),
        QPalette.ColorRole.ToolTipText: text, QPalette.ColorRole.Highlight: QColor(BLUE),
        QPalette.ColorRole.HighlightedText: QColor("#ffffff"), QPalette.ColorRole.Link: QColor(SKY),
        QPalette.ColorRole.PlaceholderText: QColor("#9a9a9a"), QPalette.ColorRole.Mid: QColor("#5a5a5a"),
        QPalette.ColorRole.Dark: QColor("#181818"), QPalette.ColorRole.Light: QColor("#4a4a4a"),
        QPalette.ColorRole.BrightText: QColor("#ffffff"),
    }
    for role, color in roles.items():
        pal.setColor(role, color)
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.WindowText, QPalette.ColorRole.ButtonText):
        pal.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7a7a7a"))
    return pal


def apply_system_scheme(app: QApplication, dark: bool | None = None) -> bool:
    """Make the app's palette match the system's scheme (``dark``: as if the system said so);
    True when the palette changed. Widgets repaint on the palette change they receive."""
    wanted = system_scheme() if dark is None else dark
    if wanted is None or wanted == is_dark(app.palette()):
        return False
    app.setPalette(dark_palette() if wanted else app.style().standardPalette())
    return True


def follow_system(app: QApplication) -> None:
    """Match the system's scheme now and whenever it changes."""
    apply_system_scheme(app)
    app.styleHints().colorSchemeChanged.connect(lambda _scheme: apply_system_scheme(app))


def status_color(status: str | None) -> QColor:
    """The accent for a run or test status; the palette's mid tone for anything unknown."""
    if status and status in _STATUS:
        return QColor(_STATUS[status])
    return palette().color(QPalette.ColorRole.Mid)


def status_text_color(status: str | None) -> QColor:
    """A status colour readable as text on the palette's base colour in light and dark themes."""
    color = status_color(status)
    if status is None or _STATUS.get(status) == GREY:
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
