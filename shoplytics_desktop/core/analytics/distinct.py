"""Exact distinct counts of orders and buyers over agg_sales, as bitmaps of their dense numbers
where that is cheap."""

from __future__ import annotations

from dataclasses import dataclass

from shoplytics_desktop.core.workspace import Workspace

#: Distinct orders and buyers are counted with a bitmap of the dense order and user numbers
#: (1…max) where the bitmaps of all groups of a query stay under this many bits, and the query
#: reads enough lines to pay for them; DuckDB's count(DISTINCT) otherwise. Both count exactly;
#: over many lines the bitmap is many times faster, over a few the bitmaps' size dominates.
_BITMAP_BITS = 1 << 29
_BITMAP_MIN_LINES = 100_000


@dataclass(frozen=True)
class Numbering:
    """The largest order and user number of agg_sales, and about how many categories it has."""

    orders: int
    users: int
    categories: int
    #: How many lines the queries read, when known (None: many).
    lines: int | None = None

    def distinct(self, column: str, groups: int, cond: str = "") -> str:
        """SQL counting the distinct values of order_no or user_no in each of ``groups``."""
        top = self.orders if column == "order_no" else self.users
        many = self.lines is None or self.lines >= _BITMAP_MIN_LINES
        if many and top > 0 and groups * top <= _BITMAP_BITS:
            return f"bit_count(bitstring_agg({column}, 1, {top}){cond})"
        return f"count(DISTINCT {column}){cond}"

    def figures(self, groups: int, cond: str = "") -> str:
        """Revenue (summed exactly, as decimals), orders, buyers and units of each group."""
        return (
            f"CAST(sum(revenue){cond} AS DOUBLE), {self.distinct('order_no', groups, cond)}, "
            f"{self.distinct('user_no', groups, cond)}, sum(units){cond}"
        )


def numbering(ws: Workspace) -> Numbering:
    row = ws.cursor().execute(
        "SELECT max(order_no), max(user_no), approx_count_distinct(category) FROM marts.agg_sales"
    ).fetchone()
    return Numbering(*(int(v or 0) for v in row)) if row else Numbering(0, 0, 0)
