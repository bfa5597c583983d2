"""What the workspace holds, and paged reads of it: the Data page's, the table model's and the
command line's one way to ask DuckDB's catalog.

Relations are named by schema and name and quoted here; a paged read takes a ``Browse`` (what to
read, its columns, a filter text and a sort) and builds the SQL with the filter text passed as a
parameter, never spliced into it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import duckdb

from shoplytics_desktop.core.errors import QueryError
from shoplytics_desktop.core.sqlutil import quote_ident

if TYPE_CHECKING:
    from shoplytics_desktop.core.workspace import Workspace

#: The schemas the app shows: loaded events, the model layers and the run history.
APP_SCHEMAS = ("raw", "staging", "intermediate", "marts", "_shoplytics")
MODEL_SCHEMAS = ("raw", "staging", "intermediate", "marts")
#: Column types the filter searches in.
TEXT_TYPES = ("VARCHAR", "JSON", "UUID")


class RelationKind(StrEnum):
    TABLE = "table"
    VIEW = "view"


@dataclass(frozen=True)
class Relation:
    schema: str
    name: str
    kind: RelationKind
    rows: int | None = None  # counted on request (a view's count computes it)

    @property
    def qualified(self) -> str:
        """'schema.name' as the app names it (unquoted)."""
        return f"{self.schema}.{self.name}"

    @property
    def quoted(self) -> str:
        return quoted(self.schema, self.name)


@dataclass(frozen=True)
class Column:
    name: str
    type: str


class MissingRelation(QueryError):
    """A relation a reader needs does not exist (say, the marts before the first run)."""

    title = "Not built yet"


def quoted(schema: str, name: str) -> str:
    return f"{quote_ident(schema)}.{quote_ident(name)}"


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" * len(values))


def list_relations(
    ws: Workspace,
    schemas: Sequence[str] = APP_SCHEMAS,
    kinds: Sequence[RelationKind] = (RelationKind.TABLE, RelationKind.VIEW),
    counts: bool = False,
) -> list[Relation]:
    """The tables and views of ``schemas``, by schema then name; ``counts``: with the row
    count of each table (views are left uncounted: counting computes them)."""
    if not schemas:
        return []
    parts: list[str] = []
    params: list[str] = []
    if RelationKind.TABLE in kinds:
        parts.append(
            "SELECT schema_name, table_name, 'table' FROM duckdb_tables() "
            f"WHERE schema_name IN ({_marks(schemas)})"
        )
        params.extend(schemas)
    if RelationKind.VIEW in kinds:
        parts.append(
            "SELECT schema_name, view_name, 'view' FROM duckdb_views() "
            f"WHERE schema_name IN ({_marks(schemas)}) AND NOT internal"
        )
        params.extend(schemas)
    if not parts:
        return []
    rows = ws.cursor().execute(" UNION ALL ".join(parts) + " ORDER BY 1, 2", params).fetchall()
    found = [Relation(str(s), str(n), RelationKind(str(k))) for s, n, k in rows]
    if counts:
        found = [
            Relation(r.schema, r.name, r.kind, row_count(ws, r.schema, r.name))
            if r.kind is RelationKind.TABLE else r
            for r in found
        ]
    return found


def exists(ws: Workspace, schema: str, name: str) -> bool:
    """A table or a view of that name is in the workspace."""
    row = ws.cursor().execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        [schema, name],
    ).fetchone()
    return bool(row and row[0])


def row_count(ws: Workspace, schema: str, name: str) -> int:
    """Rows of a table or view; 0 when it does not exist."""
    if not exists(ws, schema, name):
        return 0
    row = ws.cursor().execute(f"SELECT count(*) FROM {quoted(schema, name)}").fetchone()
    return int(row[0]) if row else 0


def columns(ws: Workspace, schema: str, name: str) -> list[Column]:
    """The columns of a table or view and their types, in order ([] if it does not exist)."""
    rows = ws.cursor().execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
        [schema, name],
    ).fetchall()
    return [Column(str(c), str(t)) for c, t in rows]


def column_types(
    ws: Workspace, schemas: Sequence[str] = MODEL_SCHEMAS
) -> dict[str, dict[str, str]]:
    """'schema.name' → column → type, for every relation of ``schemas``."""
    if not schemas:
        return {}
    types: dict[str, dict[str, str]] = {}
    for schema, table, col, dtype in ws.cursor().execute(
        "SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns "
        f"WHERE table_schema IN ({_marks(schemas)}) "
        "ORDER BY table_schema, table_name, ordinal_position",
        list(schemas),
    ).fetchall():
        types.setdefault(f"{schema}.{table}", {})[str(col)] = str(dtype)
    return types


# -- paged reads ----------------------------------------------------------------------------------


def filter_clause(cols: Sequence[tuple[str, str]], text: str) -> tuple[str, list[str]]:
    """A WHERE clause matching ``text`` in any text column, and its parameters."""
    text = text.strip()
    if not text:
        return "", []
    names = [name for name, dtype in cols if dtype.upper().split("(")[0] in TEXT_TYPES]
    if not names:
        return " WHERE false", []
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    parts = [f"CAST({quote_ident(c)} AS VARCHAR) ILIKE ? ESCAPE '\\'" for c in names]
    return " WHERE " + " OR ".join(parts), [pattern] * len(names)


def order_clause(cols: Sequence[tuple[str, str]], column: int, descending: bool) -> str:
    """ORDER BY the column, then by every other column: pages read with LIMIT/OFFSET need a
    total order, or rows with equal keys could show on two pages or none."""
    if not 0 <= column < len(cols):
        return ""
    direction = "DESC NULLS LAST" if descending else "ASC NULLS FIRST"
    key = f"{quote_ident(cols[column][0])} {direction}"
    ties = [quote_ident(name) for i, (name, _) in enumerate(cols) if i != column]
    return " ORDER BY " + ", ".join([key, *ties])


@dataclass(frozen=True)
class Browse:
    """A paged, filtered, sorted read of one relation.

    ``source`` is a quoted relation (``quoted(schema, name)``) or a parenthesised query with an
    alias; ``columns`` are its (name, type) pairs; ``sort_column`` -1 keeps the source's order."""

    source: str
    columns: tuple[tuple[str, str], ...]
    filter_text: str = ""
    sort_column: int = -1
    descending: bool = False

    @classmethod
    def of(cls, ws: Workspace, schema: str, name: str) -> Browse:
        return cls(quoted(schema, name), tuple((c.name, c.type) for c in columns(ws, schema, name)))

    def _where(self) -> tuple[str, list[str]]:
        return filter_clause(self.columns, self.filter_text)

    def page_sql(self, offset: int, limit: int) -> tuple[str, list[str]]:
        where, params = self._where()
        order = order_clause(self.columns, self.sort_column, self.descending)
        return (
            f"SELECT * FROM {self.source}{where}{order} LIMIT {int(limit)} OFFSET {int(offset)}",
            params,
        )

    def count_sql(self) -> tuple[str, list[str]]:
        where, params = self._where()
        return f"SELECT count(*) FROM {self.source}{where}", params


def read_page(ws: Workspace, browse: Browse, offset: int, limit: int) -> list[tuple[Any, ...]]:
    """Rows ``offset`` to ``offset + limit`` of the browse (fewer at the end)."""
    sql, params = browse.page_sql(offset, limit)
    return [tuple(r) for r in ws.cursor().execute(sql, params).fetchall()]


def count_matching(ws: Workspace, browse: Browse) -> int:
    """Rows the browse's filter matches."""
    sql, params = browse.count_sql()
    row = ws.cursor().execute(sql, params).fetchone()
    return int(row[0]) if row else 0


def sample_rows(ws: Workspace, schema: str, name: str, limit: int = 10) -> list[tuple[Any, ...]]:
    """The first ``limit`` rows of a relation, in its own order."""
    return read_page(ws, Browse.of(ws, schema, name), 0, limit)


# -- browse snapshots -----------------------------------------------------------------------------


def memory_table(name: str) -> str:
    """The quoted name of a table in DuckDB's in-memory database, which every cursor of the
    workspace sees and which is never written to the workspace file."""
    return f"memory.main.{quote_ident(name)}"


def copy_to_memory(ws: Workspace, source: str, target: str) -> int:
    """Compute ``source`` (a quoted relation or aliased query) once into ``target`` (from
    ``memory_table``); its row count."""
    row = ws.cursor().execute(f"CREATE OR REPLACE TABLE {target} AS SELECT * FROM {source}").fetchone()
    return int(row[0]) if row else 0


def drop_memory_table(ws: Workspace, target: str) -> None:
    """Drop a table ``copy_to_memory`` made; nothing happens if the workspace is closed."""
    with contextlib.suppress(duckdb.Error):
        ws.cursor().execute(f"DROP TABLE IF EXISTS {target}")


def is_missing_relation(error: BaseException) -> bool:
    """``error`` says a table, view or column a query reads does not exist: the marts are not
    built yet, or were built by an older project."""
    return isinstance(error, (MissingRelation, duckdb.CatalogException))
