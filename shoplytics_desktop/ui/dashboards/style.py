"""Chart colours for the light and dark palettes (the Okabe–Ito series of ``ui/theme.py``, the
app's one palette), and the number formats every chart, card and table of the dashboards
shares."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from shoplytics_desktop.ui import theme

#: Symbols only where one currency owns them; "$" alone would be ambiguous for CAD or AUD, so
#: they show their code (CA$ 10), as does every currency not listed.
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "CNY": "CN¥",
            "CAD": "CA$", "AUD": "A$", "KRW": "₩", "BRL": "R$", "MXN": "MX$"}

from shoplytics_desktop.ui.numbers import fmt_number, number_locale  # noqa: E402

#: Antialias only lines of up to this many points (per item). Qt strokes a wide antialiased
#: polyline slowly (about 0.3 ms per point here): 3 lines of 180 days took longer to paint than
#: the whole query. Bars, axes and text are crisp without antialiasing.
ANTIALIAS_MAX_POINTS = 45


@dataclass(frozen=True)
class Theme:
    dark: bool
    background: str
    foreground: str
    grid_alpha: float
    muted: str

    def series(self, i: int) -> QColor:
        colors = theme.SERIES_DARK if self.dark else theme.SERIES
        return QColor(colors[i % len(colors)])

    def positive(self) -> str:
        return theme.SKY if self.dark else theme.BLUE

    def negative(self) -> str:
        return theme.ORANGE if self.dark else theme.VERMILLION


def current_theme() -> Theme:
    app = QApplication.instance()
    pal = app.palette() if isinstance(app, QApplication) else QPalette()
    dark = theme.is_dark(pal)
    base = pal.color(QPalette.ColorRole.Base).name()
    text = pal.color(QPalette.ColorRole.Text).name()
    return Theme(dark, base, text, 0.25 if dark else 0.15, "#9a9a9a" if dark else "#6b6b6b")


def currency_symbol(code: str) -> str:
    return _SYMBOLS.get(code.upper(), code.upper() + " ")


def with_currency(amount: str, currency: str = "USD", negative: bool = False) -> str:
    """A formatted amount with the currency where the locale puts it: "€1,234.50" (en_US),
    "1.234,50 €" (de_DE). Codes (CA$ is a symbol; CHF a code) are kept apart from the digits."""
    loc = number_locale()
    one = loc.toString(1.0, "f", 2)
    pattern = loc.toCurrencyString(1.0, "\u00a4", 2)
    symbol = currency_symbol(currency).strip()
    if one not in pattern:  # a locale whose currency format we cannot read: symbol first
        pattern = "\u00a4" + one
    prefix = pattern.index("\u00a4") < pattern.index(one)
    if prefix and symbol[-1:].isalpha() and pattern.startswith("\u00a4" + one):
        pattern = pattern.replace("\u00a4", "\u00a4\u00a0")
    text = pattern.replace(one, amount).replace("\u00a4", symbol)
    return (loc.negativeSign() + text) if negative else text


def fmt_money(v: float | None, currency: str = "USD", decimals: int = 2) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    text = fmt_number(abs(v), decimals)
    return with_currency(text, currency, negative=v < 0 and text.strip("0.,\u202f\xa0 ") != "")


def count_decimals(values: Sequence[float | None]) -> int:
    """One format for a column of counts: whole numbers, or one decimal when any value needs it
    (averages under 100)."""
    for v in values:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            continue
        if not float(v).is_integer() and abs(v) < 100:
            return 1
    return 0


def fmt_count(v: float | None, decimals: int | None = None) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    if decimals is None:
        decimals = count_decimals([v])
    return fmt_number(v, decimals)


def fmt_pct(v: float | None, decimals: int = 1) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    return fmt_number(100 * v, decimals) + "%"


def fmt_value(v: float | None, kind: str, currency: str = "USD") -> str:
    if kind == "money":
        return fmt_money(v, currency)
    if kind in ("rate", "ratio"):
        return fmt_pct(v, 2 if kind == "rate" else 1)
    return fmt_count(v)


def fmt_change(change: float | None, kind: str) -> str:
    """The delta line of a KPI: a relative change, or points for rates."""
    if change is None:
        return "no previous data"
    arrow = "▲" if change > 0 else "▼" if change < 0 else "■"
    sign = "+" if change >= 0 else number_locale().negativeSign()
    if kind in ("rate", "ratio"):
        return f"{arrow} {sign}{fmt_number(abs(100 * change), 2)} pts"
    return f"{arrow} {sign}{fmt_number(abs(100 * change), 1)}%"


_UNITS = ((1e9, "B"), (1e6, "M"), (1e3, "k"))


def _number(v: float, decimals: int) -> str:
    """A number with the locale's group and decimal separators."""
    return number_locale().toString(float(v), "f", decimals)


def format_ticks(values: list[float], kind: str = "count", currency: str = "USD") -> list[str]:
    """The labels of one axis, in one format: one unit (k, M, B) chosen by the largest value and
    the decimals the step needs, so "5k" never stands beside "10,000"; rates in percent; money
    with the currency's symbol (its code where the symbol is ambiguous). Locale separators."""
    if not values:
        return []
    vals = [float(v) for v in values]
    finite = [abs(v) for v in vals if not math.isnan(v)]
    top = max(finite, default=0.0)
    steps = sorted({round(abs(b - a), 12) for a, b in itertools.pairwise(vals)} - {0.0})
    step = steps[0] if steps else (top or 1.0)
    if kind in ("rate", "ratio"):
        scale, suffix = 100.0, "%"
    else:
        scale, suffix = 1.0, ""
        for size, unit in _UNITS:
            if top >= 10 * size or (top >= size and step >= size / 2):
                scale, suffix = 1 / size, unit
                break
    scaled = [v * scale for v in vals if not math.isnan(v)]
    decimals = next(
        (d for d in range(4) if all(abs(x * 10**d - round(x * 10**d)) < 1e-6 for x in scaled)), 3
    )
    out = []
    for v in vals:
        x = v * scale
        if x == 0:
            text = "0" + (suffix if kind in ("rate", "ratio") else "")
        else:
            text = f"{_number(abs(x), decimals)}{suffix}"
        if kind == "money":
            text = with_currency(text, currency, negative=x < 0)
        elif x < 0:
            text = number_locale().negativeSign() + text
        out.append(text)
    return out


def compact(v: float) -> str:
    """Axis tick labels: thousands separators, k/M for large values."""
    a = abs(v)
    if a >= 1e9:
        return fmt_number(v / 1e9, 1) + "B"
    if a >= 1e6:
        return fmt_number(v / 1e6, 1) + "M"
    if a >= 1e4:
        return fmt_number(v / 1e3, 0) + "k"
    if a >= 1 or a == 0:
        return fmt_number(v, 0 if float(v).is_integer() else 1)
    return number_locale().toString(float(v), "g", 2)


def epoch(day: dt.date) -> float:
    """A UTC day as the x value of time charts (seconds since the epoch, UTC midnight)."""
    return float((day - dt.date(1970, 1, 1)).days * 86400)


def day_of(x: float) -> dt.date:
    return dt.date(1970, 1, 1) + dt.timedelta(days=math.floor(x / 86400 + 0.5))


def fmt_period(day: dt.date, grain: str) -> str:
    if grain == "week":
        return f"week of {day:%Y-%m-%d}"
    if grain == "month":
        return f"{day:%B %Y}"
    return f"{day:%a %Y-%m-%d}"
