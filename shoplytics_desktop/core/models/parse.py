"""Parse model SQL once with sqlglot: find what it reads, and qualify bare model names.

Dependencies are the tables of every scope minus CTE names (as SQLMesh does). Qualifying splices
``layer.name`` into the original text at the positions sqlglot reports, so the SQL the user wrote is
what runs, byte for byte apart from those names.

What a parse finds depends on the SQL text alone, so it is cached on disk by a hash of the text
(and the sqlglot version): loading an unchanged project neither imports nor runs sqlglot. The
project's YAML files are kept there the same way (``cached_data``), so neither is PyYAML.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from dataclasses import astuple, dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from shoplytics_desktop.core.errors import ModelError
from shoplytics_desktop.core.paths import cache_dir

if TYPE_CHECKING:
    from sqlglot import exp

#: Bump when what parse_select extracts changes.
_CACHE_FORMAT = 1
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


def parse_select(sql: str, path: Path | str) -> ParsedSQL:
    """Parse one SELECT; a syntax error names the file, line and column."""
    cache = _cache()
    key = _digest(sql)
    cached = cache.entries.pop(key, None)
    if cached is not None:
        with contextlib.suppress(TypeError, ValueError):
            refs = tuple(TableRef(*r) for r in cached)
            cache.entries[key] = cached  # most recently used last
            return ParsedSQL(sql, refs)
    seeded = _SEED.get(key)
    if isinstance(seeded, list):
        with contextlib.suppress(TypeError, ValueError):
            refs = tuple(TableRef(*r) for r in seeded)
            if _refs_fit(sql, refs):
                cache.entries[key] = seeded
                cache.dirty = True
                return ParsedSQL(sql, refs)
    parsed = _parse(sql, path)
    cache.entries[key] = [list(astuple(r)) for r in parsed.refs]
    cache.dirty = True
    return parsed


def cached_data(kind: str, text: str) -> object | None:
    """What was remembered for ``text`` (say, its parsed YAML), or None."""
    key = f"{kind}:{_digest(text)}"
    entry = _cache().entries.get(key) or _SEED.get(key)
    return entry.get("data") if isinstance(entry, dict) else None


# -- parses shipped with a model project ---------------------------------------------------------
#
# A model project may carry SEED_FILE: the parses of its own SQL and YAML, made when it was
# written (``python -m shoplytics_desktop.core.models.parse sql_models``), so that even the first
# load on a new machine needs neither sqlglot nor PyYAML. Entries are keyed by the text like the
# cache's, so an edited file simply misses; a shipped parse is used only if every table it names
# is found at its place in the text.

SEED_FILE = "_parse_cache.json"
_SEED: dict[str, object] = {}
_SEEDS_READ: dict[Path, float] = {}  # seed file -> its mtime when read


def load_seed(root: Path) -> None:
    """Take in the parses shipped with the project at ``root`` (none: nothing happens); a file
    already read and unchanged is not read again."""
    path = root / SEED_FILE
    with contextlib.suppress(OSError, ValueError):
        mtime = path.stat().st_mtime
        if _SEEDS_READ.get(path) == mtime:
            return
        data = json.loads(path.read_text(encoding="utf-8"))
        _SEEDS_READ[path] = mtime
        if isinstance(data, dict) and data.get("format") == _CACHE_FORMAT:
            entries = data.get("entries")
            if isinstance(entries, dict):
                _SEED.update(entries)


def _refs_fit(sql: str, refs: tuple[TableRef, ...]) -> bool:
    """Every reference names its table at its offsets in ``sql``."""
    for r in refs:
        if not 0 <= r.start <= r.end < len(sql):
            return False
        if sql[r.start : r.end + 1].strip('"').lower() != r.name.lower():
            return False
    return True


def seed_entries(root: Path) -> dict[str, object]:
    """Fresh parses of every SQL and YAML file of the project at ``root`` (no cache used)."""
    entries: dict[str, object] = {}
    for path in sorted(root.rglob("*")):
        if path.suffix == ".sql":
            text = path.read_text(encoding="utf-8")
            entries[_digest(text)] = [list(astuple(r)) for r in _parse(text, path).refs]
        elif path.suffix in (".yml", ".yaml"):
            text = path.read_text(encoding="utf-8")
            data = parse_yaml(text)
            if _plain_json(data):
                entries[f"yaml:{_digest(text)}"] = {"data": data}
    return entries


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


def write_seed(root: Path) -> Path:
    """Write the project's SEED_FILE: one line per file parsed, so that diffs stay readable."""
    target = root / SEED_FILE
    lines = [
        f"{json.dumps(key)}: {json.dumps(value, sort_keys=True, separators=(',', ':'))}"
        for key, value in sorted(seed_entries(root).items())
    ]
    body = f'{{"format": {_CACHE_FORMAT}, "entries": {{\n' + ",\n".join(lines) + "\n}}\n"
    target.write_text(body, encoding="utf-8")
    return target


def remember_data(kind: str, text: str, data: object) -> None:
    """Keep what ``text`` parses to, if it is plain JSON (YAML dates, say, are not: not kept)."""
    if not _plain_json(data):
        return
    cache = _cache()
    cache.entries[f"{kind}:{_digest(text)}"] = {"data": data}
    cache.dirty = True


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _parse(sql: str, path: Path | str) -> ParsedSQL:
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ParseError

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


@dataclass
class _Cache:
    path: Path
    entries: dict[str, list[object]]
    dirty: bool = False


_CACHE: _Cache | None = None


def _cache() -> _Cache:
    global _CACHE
    if _CACHE is None:
        try:
            version = metadata.version("sqlglot")
        except metadata.PackageNotFoundError:  # a frozen app ships no metadata: its own version
            from shoplytics_desktop import __version__

            version = f"app-{__version__}"
        path = cache_dir() / f"sql-parse-{_CACHE_FORMAT}-sqlglot-{version}.json"
        entries: dict[str, list[object]] = {}
        with contextlib.suppress(OSError, ValueError):
            data = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(data, dict):
                entries = data
        _CACHE = _Cache(path, entries)
    return _CACHE


def save_cache() -> None:
    """Write new parses to disk (atomically; a cache that cannot be written is no error)."""
    cache = _cache()
    if not cache.dirty:
        return
    keep = dict(list(cache.entries.items())[-_CACHE_LIMIT:])
    with contextlib.suppress(OSError):
        cache.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache.path.parent, prefix=".sql-parse-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(keep, f, separators=(",", ":"))
            os.replace(tmp, cache.path)
            cache.dirty = False
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _table_refs(tree: exp.Expression) -> list[TableRef]:
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


if __name__ == "__main__":  # python -m shoplytics_desktop.core.models.parse sql_models
    import sys

    for folder in sys.argv[1:] or ["sql_models"]:
        print(f"wrote {write_seed(Path(folder))}")
