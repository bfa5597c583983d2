"""Small SQL helpers: quoting, lookups in a literal, DuckDB <-> polars without pyarrow."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb
    import polars as pl

_SIMPLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def quote_ident(name: str) -> str:
    """Quote any identifier, whatever characters it holds."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def lookup_sql(entries: Iterable[tuple[str, str]], key_sql: str) -> str:
    """The value ``key_sql`` has in ``entries`` (text key, SQL value), NULL for another key:
    one lookup in a MAP literal, where a CASE compared the key with every entry in turn."""
    listed = ", ".join(f"{quote_literal(k)}: {v}" for k, v in entries)
    return f"map_extract_value(MAP {{{listed}}}, {key_sql})"


def is_simple_name(name: str) -> bool:
    """Names of tables and models that users may type: letters, digits, underscores."""
    return bool(_SIMPLE_NAME.match(name))


def to_polars(relation: duckdb.DuckDBPyRelation) -> pl.DataFrame:
    """A DuckDB result as a polars frame, through the Arrow C stream interface."""
    import polars as pl

    return pl.DataFrame(relation)


def from_polars(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame) -> duckdb.DuckDBPyRelation:
    """A polars frame as a DuckDB relation, through the Arrow C stream interface."""
    return con.from_arrow(_CapsuleSource(frame))


class _CapsuleSource:
    """Exposes only ``__arrow_c_stream__`` so DuckDB does not look for pyarrow."""

    def __init__(self, frame: Any) -> None:
        self._frame = frame

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        return self._frame.__arrow_c_stream__(requested_schema)
