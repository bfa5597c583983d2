"""Numbers as the user's locale writes them (QLocale): thousands and decimal separators, one
format per column. The dashboards' cards, tables and axes and the Data page's cells share these."""

from __future__ import annotations

import decimal
import math
import re
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QLocale


def number_locale() -> QLocale:
    """The locale numbers are written in: the default QLocale (the system's unless a test or
    the app set one). The bare "C" locale has no thousands separators: it reads as en_US."""
    loc = QLocale()
    if loc.language() == QLocale.Language.C:
        return QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)
    return loc


def fmt_number(v: float, decimals: int = 0) -> str:
    """A number with the locale's thousands and decimal separators, fixed decimals; a minus
    sign for negatives (never accounting parentheses)."""
    loc = number_locale()
    text = loc.toString(abs(float(v)), "f", decimals)
    return (loc.negativeSign() + text) if v < 0 and text.strip("0.,\u202f\xa0 ") else text

_ID = re.compile(r"(^|_)(id|key|year|hour|zip|postcode|phone)$|^id", re.IGNORECASE)
_SCALE = re.compile(r"DECIMAL\(\s*\d+\s*,\s*(\d+)\s*\)|NUMERIC\(\s*\d+\s*,\s*(\d+)\s*\)")
_INTEGER = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
            "UINTEGER", "UBIGINT", "UHUGEINT", "INT")
_FLOAT = ("DOUBLE", "FLOAT", "REAL")


def float_decimals(values: Sequence[Any], most: int = 6) -> int:
    """The decimals a column of floats needs (at most ``most``), so it reads in one format."""
    need = 0
    for v in values:
        if not isinstance(v, float) or math.isnan(v) or math.isinf(v):
            continue
        for d in range(need, most + 1):
            if abs(v * 10**d - round(v * 10**d)) < 1e-6 * max(1.0, abs(v) * 10**d * 1e-9):
                break
        else:
            d = most
        need = max(need, d)
        if need == most:
            break
    return need


class ColumnFormat:
    """How one database column's values read in a cell: integers with thousands separators
    (identifiers, keys, years and hours as they are), decimals with their scale, floats with the
    decimals the column needs (fixed once its first rows are seen), the rest as text."""

    def __init__(self, name: str, dtype: str) -> None:
        base = dtype.upper().split("(")[0].strip()
        self.kind = ("id" if _ID.search(name) and base in _INTEGER else
                     "int" if base in _INTEGER else
                     "decimal" if base in ("DECIMAL", "NUMERIC") else
                     "float" if base in _FLOAT else "other")
        m = _SCALE.search(dtype.upper())
        self.decimals: int | None = int(m.group(1) or m.group(2)) if m else None

    def learn(self, values: Sequence[Any]) -> None:
        if self.kind == "float" and self.decimals is None:
            self.decimals = float_decimals(values)

    def text(self, value: Any) -> str | None:
        """The cell text, or None when the value is not one this column formats."""
        if isinstance(value, bool) or value is None:
            return None
        if self.kind == "int" and isinstance(value, int):
            # Whole 64-bit integers through QLocale's integer path (a double would round them).
            return number_locale().toString(value) if abs(value) < 2**63 else None
        if self.kind == "decimal" and isinstance(value, decimal.Decimal | int | float):
            places = self.decimals
            if places is None:
                exp = value.as_tuple().exponent if isinstance(value, decimal.Decimal) else 0
                places = -exp if isinstance(exp, int) and exp < 0 else 0
            return fmt_number(float(value), places)
        if self.kind == "float" and isinstance(value, float):
            if math.isnan(value) or math.isinf(value) or abs(value) >= 1e15:
                return None
            return fmt_number(value, self.decimals if self.decimals is not None else 2)
        return None
