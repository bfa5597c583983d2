"""Parse model SQL once with sqlglot: find what it reads, and qualify bare model names.

Dependencies are the tables of every scope minus CTE names (as SQLMesh does). Qualifying splices
``layer.name`` into the original text at the positions sqlglot reports, so the SQL the user wrote is
what runs, byte for byte apart from those names.

Every parse also checks the SQL is exactly one read-only SELECT (``sqlsafety``): a parse is
kept only once it passed, and only the app's own parses are trusted: a ``ParseCache`` the app
writes (under ``paths.cache_dir()``, never inside a model project) and the shipped project's
parses in the package (``paths.shipped_parses_file()``). A ``_parse_cache.json`` inside a model
project, which older versions read, is ignored: a shared project could key a hostile file's text to
a clean parse.

What a parse finds depends on the SQL text alone, so a ``ParseCache`` keeps it by a hash of the
text, remembers which text each file had last (an edited file's old parse is dropped), and is
stamped with the cache format and the sqlglot and DuckDB versions: loading an unchanged project
neither imports nor runs sqlglot. The project's YAML files are kept there the same way
(``ParseCache.data``), so neither is PyYAML. The project loader owns one cache per load and
writes it back at the end (``ParseCache.save``).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import astuple, dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from shoplytics_desktop.core.errors import ModelError
from shoplytics_desktop.core.models import sqlsafety
from shoplytics_desktop.core.paths import cache_dir, default_models_dir, shipped_parses_file

if TYPE_CHECKING:
    from sqlglot import exp

#: Bump when what parse_select extracts or checks changes (1: before the read-only check).
_CACHE_FORMAT = 2
_CACHE_LIMIT = 2000  # entries (a few hundred bytes each)


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


# -- the cache -----------------------------------------------------------------------------------


class ParseCache:
    """Parses of model SQL and YAML, by the hash of the text, in one JSON file.

    ``path`` None: kept in memory only. ``shipped``: the parses to fall back on (a fitting one
    is copied in); None reads the package's shipped parses the first time one is needed.
    Entries beyond ``limit`` are dropped, least recently used first. A file that cannot be read,
    or was written by another format or sqlglot or DuckDB version, is an empty cache; one that
    cannot be written is no error (the parses are made again next time)."""

    def __init__(
        self,
        path: Path | None = None,
        shipped: Mapping[str, object] | None = None,
        limit: int = _CACHE_LIMIT,
    ) -> None:
        self.path = path
        self.limit = limit
        self._shipped = shipped
        #: content key ("sql:<hash>", "condition:<hash>", "yaml:<hash>") → what it parses to.
        self.entries: dict[str, object] = {}
        #: "<kind>:<file>" → the content key of the text the file had last.
        self.files: dict[str, str] = {}
        self.dirty = False
        if path is not None:
            self._read(path)

    @classmethod
    def default(cls) -> ParseCache:
        """The app's cache file in ``paths.cache_dir()``."""
        return cls(cache_dir() / cache_file_name())

    # -- lookups ---------------------------------------------------------------------------------

    def parse_select(
        self,
        sql: str,
        path: Path | str,
        condition: str | None = None,
        source: Path | str | None = None,
    ) -> ParsedSQL:
        """Parse one read-only SELECT; a syntax error or anything else names ``path``, the line
        and the column. ``condition``: the SQL was made around this YAML expression, which must
        be exactly one SQL expression (kept apart from other SQL, so a plain parse of the same
        text does not stand in for that check). ``source``: what the SQL comes from, when not
        ``path``: its parse replaces the one of its earlier text."""
        source = path if source is None else source
        kind = "sql" if condition is None else "condition"
        key = f"{kind}:{_digest(sql)}"
        refs = _as_refs(self.entries.get(key))
        if refs is not None:
            self._put(key, self.entries[key], kind, source)  # most recently used last
            return ParsedSQL(sql, refs)
        shipped = self.shipped().get(_shipped_key(key))
        refs = _as_refs(shipped)
        if refs is not None and _refs_fit(sql, refs):
            self._put(key, shipped, kind, source)
            return ParsedSQL(sql, refs)
        if condition is not None:
            problem = sqlsafety.check_condition(condition)
            if problem:
                raise ModelError(
                    f"{path}: the expression {condition.strip()[:80]!r} is refused: {problem}.",
                    "Write one SQL condition on the model's columns, such as \"a <= b\".",
                )
        parsed = _parse(sql, path, located=condition is None)
        self._put(key, [list(astuple(r)) for r in parsed.refs], kind, source)
        return parsed

    def data(self, kind: str, text: str) -> object | None:
        """What was remembered for ``text`` (say, its parsed YAML), or None."""
        key = f"{kind}:{_digest(text)}"
        entry = self.entries.get(key) or self.shipped().get(key)
        return entry.get("data") if isinstance(entry, dict) else None

    def remember_data(self, kind: str, text: str, data: object, path: Path | str = "") -> None:
        """Keep what ``text`` parses to, if it is plain JSON (YAML dates, say, are not: not
        kept)."""
        if _plain_json(data):
            self._put(f"{kind}:{_digest(text)}", {"data": data}, kind, path)

    def shipped(self) -> Mapping[str, object]:
        if self._shipped is None:
            self._shipped = load_shipped()
        return self._shipped

    # -- storage ---------------------------------------------------------------------------------

    def _put(self, key: str, value: object, kind: str, path: Path | str) -> None:
        old_value = self.entries.pop(key, None)
        self.entries[key] = value
        self.dirty = self.dirty or old_value != value
        if not str(path):
            return
        file_key = f"{kind}:{path}"
        old = self.files.pop(file_key, None)
        self.files[file_key] = key
        if old is not None and old != key:
            self.dirty = True
            if old not in self.files.values():
                self.entries.pop(old, None)  # the file's earlier text: no longer read

    def _read(self, path: Path) -> None:
        with contextlib.suppress(OSError, ValueError):
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or data.get("stamp") != _stamp():
                return
            entries, files = data.get("entries"), data.get("files")
            if isinstance(entries, dict) and isinstance(files, dict):
                self.entries = entries
                self.files = {str(k): str(v) for k, v in files.items() if v in entries}

    def save(self) -> None:
        """Write the cache to its file if it changed (atomically)."""
        if not self.dirty or self.path is None:
            return
        entries = dict(list(self.entries.items())[-self.limit :])
        files = {k: v for k, v in self.files.items() if v in entries}
        body = {"stamp": _stamp(), "entries": entries, "files": files}
        folder = self.path.parent
        with contextlib.suppress(OSError):
            folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=".sql-parse-", suffix=".tmp")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    json.dump(body, f, separators=(",", ":"))
                os.replace(tmp, self.path)
                self.dirty = False
            finally:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)


@functools.cache
def _versions() -> tuple[str, str]:
    """The sqlglot and DuckDB versions (a frozen app ships no metadata: its own version). Read
    once per process: reading package metadata costs milliseconds."""
    try:
        sqlglot_version = metadata.version("sqlglot")
    except metadata.PackageNotFoundError:
        from shoplytics_desktop import __version__

        sqlglot_version = f"app-{__version__}"
    try:
        duckdb_version = metadata.version("duckdb")
    except metadata.PackageNotFoundError:
        duckdb_version = "app"
    return sqlglot_version, duckdb_version


def _stamp() -> str:
    # The DuckDB version too: the read-only check allows the functions DuckDB has built in.
    sqlglot_version, duckdb_version = _versions()
    return f"{_CACHE_FORMAT}/sqlglot-{sqlglot_version}/duckdb-{duckdb_version}"


def cache_file_name() -> str:
    sqlglot_version, duckdb_version = _versions()
    return f"sql-parse-{_CACHE_FORMAT}-sqlglot-{sqlglot_version}-duckdb-{duckdb_version}.json"


def _as_refs(value: object) -> tuple[TableRef, ...] | None:
    """Stored references as TableRefs; None for anything else."""
    if not isinstance(value, list):
        return None
    try:
        return tuple(TableRef(*r) for r in value)
    except (TypeError, ValueError):
        return None


# -- the shipped project's parses ----------------------------------------------------------------
#
# The parses of the shipped project's SQL and YAML, made when it was written
# (``python -m shoplytics_desktop.core.models.parse``), ship in the package, so that even the
# first load on a new machine needs neither sqlglot nor PyYAML. Entries are keyed by the text
# like the cache's, so an edited file simply misses; a shipped parse is used only if every table
# it names is found at its place in the text. SQL entries are keyed by the bare hash.


def _shipped_key(key: str) -> str:
    return key.removeprefix("sql:")


def load_shipped() -> dict[str, object]:
    """The package's shipped parses ({} if they cannot be read)."""
    with contextlib.suppress(OSError, ValueError):
        data = json.loads(shipped_parses_file().read_text(encoding="utf-8"))
        if isinstance(data, dict) and data.get("format") == _CACHE_FORMAT:
            entries = data.get("entries")
            if isinstance(entries, dict):
                return entries
    return {}


def shipped_entries(root: Path) -> dict[str, object]:
    """Fresh parses of the project at ``root``: every SQL file, every SQL made around a YAML
    expression, and every YAML file (neither a cache file nor the shipped parses used)."""
    from shoplytics_desktop.core.models.project import load_project

    cache = ParseCache(shipped={})
    load_project(root, cache=cache)
    return {_shipped_key(k): v for k, v in cache.entries.items()}


def _refs_fit(sql: str, refs: tuple[TableRef, ...]) -> bool:
    """Every reference names its table at its offsets in ``sql``."""
    for r in refs:
        if not 0 <= r.start <= r.end < len(sql):
            return False
        if sql[r.start : r.end + 1].strip('"').lower() != r.name.lower():
            return False
    return True


def parse_yaml(text: str) -> object:
    """Safe-loaded YAML ({} for an empty file); raises yaml.YAMLError. libyaml's loader when the
    wheel has it: ten times faster than the pure-Python one."""
    import yaml

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}


def _plain_json(data: object) -> bool:
    """``data`` survives a JSON round trip unchanged (YAML dates, say, do not)."""
    try:
        return bool(json.loads(json.dumps(data)) == data)
    except (TypeError, ValueError):
        return False


def write_shipped(root: Path | None = None) -> Path:
    """Write the shipped parses of the project at ``root`` (the shipped one): one line per file
    parsed, so that diffs stay readable."""
    target = shipped_parses_file()
    lines = [
        f"{json.dumps(key)}: {json.dumps(value, sort_keys=True, separators=(',', ':'))}"
        for key, value in sorted(shipped_entries(root or default_models_dir()).items())
    ]
    body = f'{{"format": {_CACHE_FORMAT}, "entries": {{\n' + ",\n".join(lines) + "\n}}\n"
    target.write_text(body, encoding="utf-8")
    return target


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _snippet(text: str, width: int = 40) -> str:
    one = " ".join(text.split())
    return repr(one if len(one) <= width else one[: width - 1] + "…")


def _first_word(sql: str) -> str:
    """The first word of the SQL after its comments."""
    body = re.sub(r"--[^\n]*|/\*.*?\*/", " ", sql, flags=re.S).split()
    return body[0] if body else ""


def _parse(sql: str, path: Path | str, located: bool = True) -> ParsedSQL:
    """``located``: the SQL is the file's text, so a line and column in it mean something."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ParseError

    unquoted = re.sub(r"'(?:[^']|'')*'", "''", sql)  # braces in a string are text
    template = r"\{\{.*?\}\}|\{%.*?%\}"
    templated = re.search(template, sql, re.S) if re.search(template, unquoted, re.S) else None
    if templated:
        raise ModelError(
            f"{path}: models are plain SQL; the template {_snippet(templated.group(0))} is not "
            "understood.",
            "Name the table itself (select … from fct_orders, not {{ ref('fct_orders') }}): "
            "the dependencies are found in the SQL.",
        )
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
    if not statements:
        raise ModelError(f"{path}: the model file holds no SQL (a model is one SELECT).",
                         "Write its SELECT, or delete the file.")
    if len(statements) != 1:
        raise ModelError(
            f"{path}: a model holds exactly one SELECT statement; found {len(statements)}.",
            "Split it into one file per model.",
        )
    tree = statements[0]
    if not isinstance(tree, exp.Query):
        word = _first_word(sql)
        found = (tree.key.upper() if word.upper() == tree.key.upper()
                 else f"a statement beginning {_snippet(word)}")
        raise ModelError(
            f"{path}: a model must be a SELECT (or WITH … SELECT); found {found}.",
            "Write the model as a query; the runner creates the table or view.",
        )
    refs = tuple(_table_refs(tree))
    _check_read_only(sql, path, refs, located)
    return ParsedSQL(sql, refs)


def _check_read_only(
    sql: str, path: Path | str, refs: tuple[TableRef, ...], located: bool
) -> None:
    """DuckDB's parser agrees it is one read-only SELECT, reading no table sqlglot missed (the
    tables sqlglot found are checked against the project's models and sources on every load)."""
    try:
        relations = sqlsafety.check_select(sql)
        seen = {(r.schema.lower(), r.name.lower()) for r in refs}
        for rel in relations:
            if rel.catalog:
                raise sqlsafety.UnsafeSQL(
                    f"it reads '{rel.display}' from another database", rel.offset,
                    "Read the project's models and raw.* sources only.",
                )
            if (rel.schema.lower(), rel.name.lower()) not in seen:
                raise sqlsafety.UnsafeSQL(
                    f"it reads '{rel.display}' in a way that cannot be checked", rel.offset,
                    "Name the table plainly in a FROM or JOIN.",
                )
    except sqlsafety.UnsafeSQL as e:
        at = sqlsafety.position(sql, e.offset) if located else None
        where = f", line {at[0]}, column {at[1]}" if at else ""
        raise ModelError(
            f"{path}{where}: refused, {e.reason}.",
            e.hint or "A model or test is one read-only SELECT over the project's models and "
            "raw.* sources.",
        ) from e


def _table_refs(tree: exp.Query) -> list[TableRef]:
    from sqlglot import exp
    from sqlglot.optimizer.scope import traverse_scope

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


_QUALIFIER = re.compile(r'(?:(?:"[^"]*"|[A-Za-z_][\w$]*)\s*\.\s*)+$')


def _ref_span(sql: str, start: int, end: int) -> tuple[int, int]:
    """The characters of a table reference (``TableRef.start``/``end``), its quotes and its
    schema (and catalog) qualifier included."""
    end += 1
    if start > 0 and sql[start - 1] == '"' and end < len(sql) and sql[end] == '"':
        start, end = start - 1, end + 1
    # A qualifier ends in a dot just before the reference. A search of all the text before it
    # tries the pattern at every character (0.15 ms a reference on a long model): only the
    # text just before is searched, and all of it where the qualifier may start further back.
    before = start - 1
    while before >= 0 and sql[before].isspace():
        before -= 1
    if before < 0 or sql[before] != ".":
        return start, end
    window = max(0, start - 256)
    m = _QUALIFIER.search(sql, window, start)
    if window > 0 and (m is None or m.start() == window):
        m = _QUALIFIER.search(sql[:start])
    return (m.start() if m else start), end


def replace_refs(sql: str, replacements: Iterable[tuple[TableRef, str]]) -> str:
    """``sql`` (the text the references were parsed from) with each reference, qualifier and
    quotes included, replaced by the relation given for it."""
    for ref, relation in sorted(replacements, key=lambda r: r[0].start, reverse=True):
        start, end = _ref_span(sql, ref.start, ref.end)
        sql = sql[:start] + relation + sql[end:]
    return sql


def qualify(parsed: ParsedSQL, replacements: dict[TableRef, str]) -> str:
    """Replace each bare reference by its qualified name, in place in the original text."""
    return replace_refs(parsed.sql, [(ref, relation) for ref, relation in replacements.items()
                                     if not ref.schema and ref.start >= 0])


if __name__ == "__main__":  # python -m shoplytics_desktop.core.models.parse
    # This module runs as __main__: write with the imported one, whose classes load_project uses.
    from shoplytics_desktop.core.models import parse as _module

    print(f"wrote {_module.write_shipped()}")
