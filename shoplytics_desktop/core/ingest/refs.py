"""Source references: what a mapping may name besides a plain column.

A plain column name (``user_id``, ``Lineitem price``, ``user.id``) is the common case and costs
nothing extra. Vendors' exports nest what the contract needs, so a mapping may also name:

- a struct path: ``device.category``, ``ecommerce.transaction_id``;
- a key/value lookup in an array of structs: ``event_params[key='ga_session_id'].value.int_value``;
- a field of the exploded array's element: ``items[].item_id`` (the mapping's ``explode`` says
  which array gives one row per element);
- paths into JSON held as text (a CSV column of JSON): the same syntax, read with JSON operators;
- an element by position (0-based): ``contexts_…_transaction_1[0].revenue``;
- every element whose field starts with a prefix, as a list: ``contexts.data[schema^='iglu:com.acme/product/']``
  (self-describing JSON, where entities of every schema share one array; ``[…][0]`` takes the
  first, ``[…][]`` explodes them);
- small functions: ``nullif(session_id, '-1')``, ``hash(Email)`` (a stable SHA-256 of the trimmed, lower-cased value, so a
  personal address is never stored), ``concat(user_pseudo_id, ':', event_params[…]…)`` (NULL
  when any referenced value is missing), ``lower(x)``, ``upper(x)``,
  ``device_class(device_type, os_name)`` (desktop, mobile or tablet from the first value that
  says which), ``coalesce(a, b)`` (the first non-empty, as text), ``unexploded(x)`` (x on a row
  the exploded array gave no element rows, such as a purchase without items; NULL on element
  rows, so an order's total is never taken for each of its items), and ``'text'`` literals.

Names with characters of the syntax may be double-quoted: ``"a.b"``. Everything compiles to SQL
through ``quote_ident`` / ``quote_literal``. Types are found by DuckDB itself, from a typed empty
relation in memory, so nothing is read from the files.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from shoplytics_desktop.core.errors import ImportError_
from shoplytics_desktop.core.sqlutil import quote_ident, quote_literal

#: The element of the exploded array and its 1-based position, as columns of the source rows.
ELEMENT = "__el"
ORDINAL = "__el_i"
FUNCTIONS = ("hash", "concat", "lower", "upper", "nullif", "device_class", "coalesce",
             "unexploded")

#: ``device_class(a, b, …)``: the first argument that names a kind of device, as the contract's
#: classes (a device type "Apple iPad" before an OS name "iOS", so the tablet wins).
_DEVICE_CLASSES = (
    ("tablet", r"tablet|ipad|kindle|\btab\b"),
    ("mobile", r"phone|mobile|ipod|android|\bios\b|watch"),
    ("desktop", r"desktop|computer|laptop|windows|mac ?os|macintosh|\bmac\b|linux|ubuntu|chrome ?os"),
)


@dataclass(frozen=True)
class Path:
    root: str
    steps: tuple[tuple[str, ...], ...]  # ("field", name) | ("lookup", field, value) | ("each",)


@dataclass(frozen=True)
class Literal:
    text: str


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Path | Literal | Call, ...]


Ref = Path | Literal | Call

_TOKEN = re.compile(
    r"""\s*(?:(?P<str>'(?:[^']|'')*')|(?P<qid>"(?:[^"]|"")*")|(?P<punct>\[\]|\^=|[.\[\](),=])|(?P<word>[^.\[\](),='"^]+))"""
)


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ValueError(f"cannot read {text[pos:]!r}")
        pos = m.end()
        kind = m.lastgroup or ""
        value = m.group(kind)
        if kind == "word":
            value = value.strip()
            if not value:
                continue
        out.append((kind, value))
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok is None or (value is not None and tok[1] != value):
            raise ValueError(f"expected {value or 'more'} in {self.text!r}")
        self.i += 1
        return tok

    def name(self) -> str:
        kind, value = self.take()
        if kind == "qid":
            return value[1:-1].replace('""', '"')
        if kind == "word":
            return value
        raise ValueError(f"expected a name in {self.text!r}")

    def expr(self) -> Ref:
        tok = self.peek()
        if tok is None:
            raise ValueError("empty reference")
        if tok[0] == "str":
            self.i += 1
            return Literal(tok[1][1:-1].replace("''", "'"))
        if (
            tok[0] == "word" and tok[1].lower() in FUNCTIONS
            and self.i + 1 < len(self.toks) and self.toks[self.i + 1][1] == "("
        ):
            self.i += 2
            args = [self.expr()]
            while self.peek() and self.peek() == ("punct", ","):
                self.i += 1
                args.append(self.expr())
            self.take(")")
            return Call(tok[1].lower(), tuple(args))
        root = self.name()
        steps: list[tuple[str, ...]] = []
        while (tok := self.peek()) is not None and tok[1] in (".", "[", "[]"):
            self.i += 1
            if tok[1] == ".":
                steps.append(("field", self.name()))
            elif tok[1] == "[]":
                steps.append(("each",))
            elif (nxt := self.peek()) is not None and nxt[1].isdigit():
                self.i += 1
                self.take("]")
                steps.append(("index", nxt[1]))
            else:
                key = self.name()
                op = self.take()[1]
                if op not in ("=", "^="):
                    raise ValueError(f"expected = or ^= in {self.text!r}")
                kind, value = self.take()
                if kind != "str":
                    raise ValueError(f"a lookup needs a quoted value in {self.text!r}")
                self.take("]")
                steps.append(("lookup" if op == "=" else "prefix", key, value[1:-1].replace("''", "'")))
        return Path(root, tuple(steps))


@functools.lru_cache(maxsize=4096)
def parse(text: str) -> Ref:
    p = _Parser(text)
    ref = p.expr()
    if p.peek() is not None:
        raise ValueError(f"unexpected {p.peek()[1]!r} in {text!r}")  # type: ignore[index]
    return ref


def roots(text: str, names: set[str]) -> set[str]:
    """The source columns a reference reads (for 'unknown column' checks and properties)."""
    if text in names:
        return {text}
    ref = parse(text)
    out: set[str] = set()

    def walk(r: Ref) -> None:
        if isinstance(r, Path):
            out.add(r.root)
        elif isinstance(r, Call):
            for a in r.args:
                walk(a)

    walk(ref)
    return out


# -- compiling ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Typed:
    sql: str
    type: str


class Scope:
    """Compiles references against the source's top-level columns (name → DuckDB type) and,
    when the mapping explodes an array, its element."""

    def __init__(self, columns: Sequence[tuple[str, str]], explode: str | None = None,
                 alias: str = "src") -> None:
        self.columns = dict(columns)
        self.alias = alias
        self.explode = explode
        self.element_type: str | None = None
        if explode:
            arr = self.compile(explode)
            self.element_type = element_type(arr.type)

    def _describe(self, expr: str) -> str:
        return describe(tuple(self.columns.items()), self.element_type, expr)

    def compile(self, text: str) -> Typed:
        try:
            ref = parse(text)
        except ValueError as e:
            raise ImportError_(
                f"The mapping's source {text!r} is not a column name or reference ({e}).",
                "Write a column name, a path such as device.category or items[].item_id, or "
                "hash(column) / concat(a, ':', b).",
            ) from e
        return self._compile(ref, text)

    def _compile(self, ref: Ref, text: str) -> Typed:
        if isinstance(ref, Literal):
            return Typed(quote_literal(ref.text), "VARCHAR")
        if isinstance(ref, Call):
            args = [self._compile(a, text) for a in ref.args]
            if ref.name == "unexploded":
                if len(args) != 1:
                    raise ImportError_(
                        f"The mapping's source {text!r}: unexploded() takes one reference.",
                        "Write unexploded(column), e.g. unexploded(ecommerce.purchase_revenue).",
                    )
                if not self.explode:
                    return args[0]
                return Typed(f"CASE WHEN {self.alias}.{quote_ident(ORDINAL)} IS NULL "
                             f"THEN {args[0].sql} END", args[0].type)
            texts = [_as_text(a) for a in args]
            if ref.name == "hash":
                return Typed(f"sha256(lower(trim({texts[0]})))", "VARCHAR")
            if ref.name == "coalesce":
                parts = ", ".join(f"nullif({t}, '')" for t in texts)
                return Typed(f"coalesce({parts})", "VARCHAR")
            if ref.name == "device_class":
                return Typed(device_class_sql(texts), "VARCHAR")
            if ref.name in ("lower", "upper"):
                return Typed(f"{ref.name}({texts[0]})", "VARCHAR")
            if ref.name == "nullif":
                return Typed(f"nullif({texts[0]}, {texts[1]})", "VARCHAR")
            # concat: NULL when any referenced (non-literal) value is missing or blank.
            needed = [t for a, t in zip(ref.args, texts, strict=True) if not isinstance(a, Literal)]
            guard = " OR ".join(f"nullif({t}, '') IS NULL" for t in needed) or "false"
            return Typed(f"CASE WHEN {guard} THEN NULL ELSE concat({', '.join(texts)}) END",
                         "VARCHAR")
        return self._path(ref, text)

    def _path(self, path: Path, text: str) -> Typed:
        steps = list(path.steps)
        if self.explode and "each" in [s[0] for s in steps]:
            k = [s[0] for s in steps].index("each")
            prefix = _path_text(Path(path.root, tuple(steps[:k])))
            if prefix != _path_text(parse(self.explode)):
                raise ImportError_(
                    f"The mapping's source {text!r} reads elements of {prefix}, but the mapping "
                    f"explodes {self.explode!r}.",
                    "Set explode to that array, or read a field of the exploded one.",
                )
            assert self.element_type is not None
            cur = Typed(f"{self.alias}.{quote_ident(ELEMENT)}", self.element_type)
            steps = steps[k + 1:]
        elif path.root in self.columns:
            cur = Typed(f"{self.alias}.{quote_ident(path.root)}", self.columns[path.root])
        else:
            raise ImportError_(
                f"The mapping's source {text!r} names a column {path.root!r} that the file does "
                "not have.",
                "Fix the mapping, or check that the right file was chosen.",
            )
        for step in steps:
            cur = self._step(cur, step, text)
        return cur

    def _step(self, cur: Typed, step: tuple[str, ...], text: str) -> Typed:
        t = cur.type.upper()
        jsonish = t in ("JSON", "VARCHAR")
        if step[0] == "each":
            raise ImportError_(
                f"The mapping's source {text!r} reads an array's elements, but the mapping "
                "explodes no array.",
                "Set explode to the array to give one row per element.",
            )
        if step[0] == "index":
            n = int(step[1])
            sql = (f"json_extract({cur.sql}, '$[{n}]')" if jsonish else f"({cur.sql})[{n + 1}]")
        elif step[0] == "field":
            name = step[1]
            if jsonish:
                sql = f"json_extract({cur.sql}, {quote_literal('$.' + _json_key(name))})"
            elif t.startswith("MAP"):
                sql = f"element_at({cur.sql}, {quote_literal(name)})[1]"
            else:
                sql = f"struct_extract({cur.sql}, {quote_literal(name)})"
        elif step[0] == "prefix":
            key, value = step[1], step[2]
            if jsonish:
                # One object (an unstructured event's self-describing payload) is a list of one.
                items = (f"CASE WHEN json_type({cur.sql}) = 'OBJECT' THEN [CAST({cur.sql} AS JSON)] "
                         f"ELSE CAST(json_extract({cur.sql}, '$[*]') AS JSON[]) END")
                sql = (f"list_filter({items}, lambda __x: "
                       f"starts_with(__x ->> {quote_literal('$.' + _json_key(key))}, "
                       f"{quote_literal(value)}))")
            else:
                sql = (f"list_filter({cur.sql}, lambda __x: starts_with(CAST(struct_extract(__x, "
                       f"{quote_literal(key)}) AS VARCHAR), {quote_literal(value)}))")
        else:
            key, value = step[1], step[2]
            if jsonish:
                sql = (f"list_filter(CAST(json_extract({cur.sql}, '$[*]') AS JSON[]), lambda __x: "
                       f"__x ->> {quote_literal('$.' + _json_key(key))} = {quote_literal(value)})[1]")
            else:
                sql = (f"list_filter({cur.sql}, lambda __x: CAST(struct_extract(__x, "
                       f"{quote_literal(key)}) AS VARCHAR) = {quote_literal(value)})[1]")
        try:
            typ = self._describe(sql)
        except duckdb.Error as e:
            raise ImportError_(
                f"The mapping's source {text!r} does not fit the file's structure "
                f"({str(e).splitlines()[0]}).",
                "Check the path against the columns the file has.",
            ) from e
        return Typed(sql, typ)

    def explode_sql(self) -> str:
        """The array to explode, as a list. The caller computes it once per row and refers to
        it by name (see ``explode_lists``)."""
        assert self.explode
        arr = self.compile(self.explode)
        t = arr.type.upper()
        return arr.sql if t.endswith("]") else f"CAST(json_extract({arr.sql}, '$[*]') AS JSON[])"


def _exploding(array: str, keep: str) -> str:
    """Whether a row's array is exploded: it has elements and ``keep`` holds; else the row
    stays one row, with a NULL element."""
    return f"({keep}) AND len(coalesce({array}, [])) > 0"


def explode_lists(array: str, keep: str) -> tuple[str, str]:
    """(elements, ordinals) lists to unnest, given the names of the columns that hold the array
    and whether to explode it: an array written once per row and read four times here is
    parsed once, where a JSON array was parsed again in each of the four."""
    ok = _exploding(array, keep)
    return (f"CASE WHEN {ok} THEN {array} ELSE [NULL] END",
            f"CASE WHEN {ok} THEN range(1, len({array}) + 1) ELSE [NULL] END")


def explode_count(array: str, keep: str) -> str:
    """How many rows ``explode_lists`` makes of a row."""
    return f"CASE WHEN {_exploding(array, keep)} THEN len({array}) ELSE 1 END"


def device_class_sql(texts: Sequence[str]) -> str:
    """desktop / mobile / tablet from the first of ``texts`` that says which, else NULL."""
    def one(t: str) -> str:
        low = f"lower({t})"
        whens = " ".join(
            f"WHEN regexp_matches({low}, {quote_literal(rx)}) THEN {quote_literal(cls)}"
            for cls, rx in _DEVICE_CLASSES
        )
        return f"CASE {whens} END"
    return f"coalesce({', '.join(one(t) for t in texts)})" if len(texts) > 1 else one(texts[0])


def _json_key(name: str) -> str:
    return '"' + name.replace('"', '\\"') + '"'


def _path_text(p: Ref) -> str:
    if not isinstance(p, Path):
        return ""
    out = p.root
    for s in p.steps:
        if s[0] == "field":
            out += "." + s[1]
        elif s[0] == "each":
            out += "[]"
        elif s[0] == "index":
            out += f"[{s[1]}]"
        elif s[0] == "prefix":
            out += f"[{s[1]}^='{s[2]}']"
        else:
            out += f"[{s[1]}='{s[2]}']"
    return out


def _as_text(t: Typed) -> str:
    u = t.type.upper()
    if u == "VARCHAR":
        return t.sql
    if u == "JSON":
        return f"({t.sql} ->> '$')"
    if u in ("DOUBLE", "FLOAT", "REAL"):
        return (f"CASE WHEN {t.sql} = floor({t.sql}) AND abs({t.sql}) < 9e15 "
                f"THEN CAST(CAST({t.sql} AS BIGINT) AS VARCHAR) ELSE CAST({t.sql} AS VARCHAR) END")
    return f"CAST({t.sql} AS VARCHAR)"


def element_type(array_type: str) -> str:
    t = array_type.strip()
    if t.endswith("[]"):
        return t[:-2]
    return "JSON"


@functools.lru_cache(maxsize=4096)
def describe(columns: tuple[tuple[str, str], ...], element: str | None, expr: str) -> str:
    """The DuckDB type of ``expr`` over empty columns of these types (nothing is read)."""
    cols = [f"CAST(NULL AS {typ}) AS {quote_ident(name)}" for name, typ in columns]
    if element is not None:
        cols.append(f"CAST(NULL AS {element}) AS {quote_ident(ELEMENT)}")
    con = duckdb.connect()
    try:
        row = con.execute(f"DESCRIBE SELECT {expr} AS v FROM (SELECT {', '.join(cols)}) src").fetchone()
    finally:
        con.close()
    assert row is not None
    return str(row[1])
