"""Parse model SQL once with sqlglot: find what it reads, and qualify bare model names.

Dependencies are the tables of every scope minus CTE names (as SQLMesh does). Qualifying splices
``layer.name`` into the original text at the positions sqlglot reports, so the SQL the user wrote is
what runs, byte for byte apart from those names.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError
from sqlglot.optimizer.scope import traverse_scope

from shoplytics_desktop.core.errors import ModelError


@dataclass(frozen=True)
class TableRef:
    schema: str  # '' when the SQL names the table bare
    name: str
    start: int  # character offsets of the table identifier in the SQL (inclusive)
    end: int
    line: int
    col: int

    @property
    def display(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name


@dataclass(frozen=True)
class ParsedSQL:
    sql: str
    refs: tuple[TableRef, ...]


def parse_select(sql: str, path: Path | str) -> ParsedSQL:
    """Parse one SELECT; a syntax error names the file, line and column."""
    try:
        statements = [s for s in sqlglot.parse(sql, read="duckdb") if s is not None]
    except ParseError as e:
        first = e.errors[0] if e.errors else {}
        where = f"line {first.get('line', '?')}, column {first.get('col', '?')}"
        desc = str(first.get("description") or e).splitlines()[0]
        raise ModelError(
            f"{path}: SQL syntax error at {where}: {desc}.",
            "Fix the SQL in that file and run again.",
        ) from e
    if len(statements) != 1:
        raise ModelError(
            f"{path}: a model holds exactly one SELECT statement; found {len(statements)}.",
            "Split it into one file per model.",
        )
    tree = statements[0]
    if not isinstance(tree, exp.Query):
        raise ModelError(
            f"{path}: a model must be a SELECT (or WITH … SELECT); found {tree.key.upper()}.",
            "Write the model as a query; the runner creates the table or view.",
        )
    return ParsedSQL(sql, tuple(_table_refs(tree)))


def _table_refs(tree: exp.Expression) -> list[TableRef]:
    refs: dict[int, TableRef] = {}
    for scope in traverse_scope(tree):
        for table in scope.tables:
            if not table.name or isinstance(table.this, exp.Func):
                continue  # table functions such as read_csv(...)
            if not table.db and table.name in scope.cte_sources:
                continue
            ident = table.this
            meta = ident.meta if isinstance(ident, exp.Identifier) else {}
            start, end = int(meta.get("start", -1)), int(meta.get("end", -1))
            ref = TableRef(
                schema=table.db,
                name=table.name,
                start=start,
                end=end,
                line=int(meta.get("line", 0)),
                col=int(meta.get("col", 0)),
            )
            refs[id(table)] = ref
    return sorted(refs.values(), key=lambda r: (r.start, r.name))


def qualify(parsed: ParsedSQL, replacements: dict[TableRef, str]) -> str:
    """Replace each bare reference by its qualified name, in place in the original text."""
    sql = parsed.sql
    for ref in sorted(replacements, key=lambda r: r.start, reverse=True):
        if ref.schema or ref.start < 0:
            continue
        start, end = ref.start, ref.end + 1
        # sqlglot's offsets cover the name inside quotes; replace the quotes too.
        if start > 0 and sql[start - 1] == '"' and end < len(sql) and sql[end] == '"':
            start, end = start - 1, end + 1
        sql = sql[:start] + replacements[ref] + sql[end:]
    return sql
