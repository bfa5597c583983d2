"""One rule for SQL a model project or the command line hands the app: exactly one read-only SELECT.

DuckDB's own parser decides, since what it parses is what it runs (sqlglot and DuckDB disagree on
corners such as a DELETE inside a CTE, which DuckDB runs). ``extract_statements`` gives the
statements and their kinds; ``json_serialize_sql`` gives the SELECT's tree, which is walked for
what a read-only SELECT must not hold: a query node other than a SELECT (``WITH d AS (DELETE …)``),
a table function other than a few generators (``read_csv``, ``glob``, ``query`` … reach files,
the network or other SQL), a function that reads settings or the environment or changes state, a
function DuckDB does not have built in (it would install an extension from the network), and a
table name that is not a plain name (``FROM 'x.csv'`` reads a file). The caller decides which of
the relations it returns are known.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any

import duckdb

from shoplytics_desktop.core.sqlutil import is_simple_name

#: Table functions that only generate rows.
TABLE_FUNCTIONS = frozenset({"range", "generate_series", "unnest"})
#: Functions that read settings, the environment or other SQL, or change the session's state.
DENIED_FUNCTIONS = frozenset({
    "current_setting", "getenv", "nextval", "currval", "setseed", "write_log", "current_query",
    "json_serialize_sql", "json_deserialize_sql", "json_execute_serialized_sql", "query",
    "query_table",
})
_QUERY_NODES = frozenset({"SELECT_NODE", "SET_OPERATION_NODE", "RECURSIVE_CTE_NODE", "CTE_NODE"})
_TABLE_REFS = frozenset(
    {"BASE_TABLE", "JOIN", "SUBQUERY", "EMPTY", "EXPRESSION_LIST", "TABLE_FUNCTION", "PIVOT"}
)
_NO_LOCATION = 2**64 - 1
FILES_HINT = (
    "Read files with `shoplytics import` (File ▸ Import); models and queries read the "
    "workspace's tables only."
)


class UnsafeSQL(Exception):
    """Why the SQL is not one read-only SELECT; ``offset`` is the character where it shows."""

    def __init__(self, reason: str, offset: int | None = None, hint: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.offset = offset
        self.hint = hint


@dataclass(frozen=True)
class Relation:
    catalog: str
    schema: str
    name: str
    offset: int | None

    @property
    def display(self) -> str:
        return ".".join(p for p in (self.catalog, self.schema, self.name) if p)


def position(sql: str, offset: int | None) -> tuple[int, int] | None:
    """The 1-based (line, column) of a character offset."""
    if offset is None or not 0 <= offset <= len(sql):
        return None
    before = sql[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


_LOCK = threading.Lock()
_CON: duckdb.DuckDBPyConnection | None = None
_FUNCTIONS: set[str] | None = None


def _checker() -> tuple[duckdb.DuckDBPyConnection, set[str]]:
    """A private in-memory DuckDB (it never sees a workspace) and its built-in functions."""
    global _CON, _FUNCTIONS
    with _LOCK:
        if _CON is None or _FUNCTIONS is None:
            _CON = duckdb.connect(":memory:")
            _FUNCTIONS = {r[0] for r in _CON.execute(
                "SELECT DISTINCT lower(function_name) FROM duckdb_functions()"
            ).fetchall()}
        return _CON.cursor(), _FUNCTIONS


def check_select(sql: str) -> list[Relation]:
    """The relations ``sql`` reads, CTEs left out, if it is exactly one read-only SELECT; raises
    UnsafeSQL otherwise."""
    cur, functions = _checker()
    try:
        try:
            statements = cur.extract_statements(sql)
        except duckdb.Error as e:
            raise UnsafeSQL(f"DuckDB cannot parse it: {_first_line(e)}") from e
        if not statements:
            raise UnsafeSQL("it holds no statement", hint="Write one SELECT.")
        if len(statements) > 1:
            raise UnsafeSQL(
                f"it holds {len(statements)} statements; exactly one SELECT is allowed",
                hint="Remove the semicolon and what follows it.",
            )
        kind = statements[0].type.name
        if kind == "MULTI":
            raise UnsafeSQL(
                "DuckDB runs it as several statements (a PIVOT without IN lists, say); only "
                "one read-only SELECT is allowed",
                hint="List the PIVOT's values: PIVOT … ON col IN ('a', 'b') USING ….",
            )
        if kind != "SELECT":
            raise UnsafeSQL(
                f"{kind.replace('_', ' ')} statements are not allowed, only one read-only SELECT",
                hint="Write a SELECT (or WITH … SELECT); the app creates and writes tables itself.",
            )
        row = cur.execute("SELECT json_serialize_sql(?)", [sql]).fetchone()
    finally:
        cur.close()
    tree: dict[str, Any] = json.loads(row[0]) if row else {"error": True}
    if tree.get("error") or len(tree.get("statements", ())) != 1:
        raise UnsafeSQL(f"it cannot be checked: {tree.get('error_message', 'no SELECT found')}")
    return _walk(tree["statements"][0], functions)


def _walk(tree: object, functions: set[str]) -> list[Relation]:
    tables: list[Relation] = []
    ctes: set[str] = set()
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        stack.extend(node.values())
        kind = node.get("type")
        if not isinstance(kind, str):
            continue
        where = _offset(node)
        for entry in (node.get("cte_map") or {}).get("map", ()):
            ctes.add(str(entry.get("key", "")).lower())
        if node.get("class") == "FUNCTION":
            _check_function(str(node.get("function_name", "")).lower(), where, functions)
        elif "class" in node:
            continue
        elif kind.endswith("_NODE") and kind not in _QUERY_NODES:
            verb = kind.removesuffix("_NODE").removesuffix("_QUERY").replace("_", " ")
            raise UnsafeSQL(
                f"it holds a {verb} inside the SELECT; only reading is allowed", where,
                "Remove it: a model or query only reads.",
            )
        elif "sample" in node and "alias" in node:  # a table reference
            if kind not in _TABLE_REFS:
                shown = "SUMMARIZE, DESCRIBE or SHOW" if kind == "SHOW_REF" else kind
                raise UnsafeSQL(f"it reads from a {shown}, which is not allowed", where)
            if kind == "TABLE_FUNCTION":
                func = node.get("function") or {}
                name = str(func.get("function_name", "")).lower()
                if name not in TABLE_FUNCTIONS:
                    raise UnsafeSQL(
                        f"it calls the table function {name}(), which reaches files, the "
                        "network, settings or other SQL",
                        where, FILES_HINT,
                    )
            elif kind == "BASE_TABLE":
                tables.append(Relation(
                    str(node.get("catalog_name", "")), str(node.get("schema_name", "")),
                    str(node.get("table_name", "")), where,
                ))
    out = []
    for t in tables:
        if not t.catalog and not t.schema and t.name.lower() in ctes:
            continue
        if not all(is_simple_name(p) for p in (t.catalog, t.schema, t.name) if p):
            raise UnsafeSQL(
                f"it reads '{t.display}', which is not a table name (a quoted path reads a file)",
                t.offset, FILES_HINT,
            )
        out.append(t)
    return sorted(out, key=lambda r: (r.offset or 0, r.display))


def _check_function(name: str, where: int | None, functions: set[str]) -> None:
    if name in DENIED_FUNCTIONS:
        raise UnsafeSQL(
            f"it calls {name}(), which reads settings, the environment or other SQL, or changes "
            "state",
            where, "Remove the call; use a literal value instead.",
        )
    if name not in functions:
        raise UnsafeSQL(
            f"it calls {name}(), which is not built into DuckDB (the app loads no extensions "
            "for models or queries)",
            where, "Check the function's name in DuckDB's documentation.",
        )


def _offset(node: dict[str, object]) -> int | None:
    value = node.get("query_location")
    return value if isinstance(value, int) and value != _NO_LOCATION else None


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def check_condition(text: str) -> str | None:
    """Why ``text`` is not exactly one SQL expression (None: it is), by sqlglot: one condition,
    no semicolon, brackets that close inside it."""
    import sqlglot
    from sqlglot import TokenType, exp
    from sqlglot.errors import ParseError, TokenError

    if not text.strip():
        return "the expression is empty"
    try:
        tokens = sqlglot.Dialect.get_or_raise("duckdb").tokenize(text)
        if any(t.token_type == TokenType.SEMICOLON for t in tokens):
            return "the expression holds a semicolon"
        tree = sqlglot.parse_one(text, read="duckdb", into=exp.Condition)
    except (ParseError, TokenError) as e:
        return f"it is not one SQL expression ({str(e).splitlines()[0][:120]})"
    if not isinstance(tree, exp.Condition) or isinstance(tree, exp.Query):
        return "it is not one SQL expression"
    return None
