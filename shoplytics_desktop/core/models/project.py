"""Load a model project: ``<layer>/<model>.sql`` + YAML docs and tests + singular tests.

Nothing about the default project is hard-coded here: any folder in this shape works, and a user
may point a workspace at their own copy.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from shoplytics_desktop.core.errors import ModelError
from shoplytics_desktop.core.models.dag import DAG
from shoplytics_desktop.core.models.incremental import IncrementalSpec, parse_incremental
from shoplytics_desktop.core.models.parse import (
    ParseCache,
    ParsedSQL,
    TableRef,
    parse_yaml,
    qualify,
)
from shoplytics_desktop.core.sqlutil import is_simple_name
from shoplytics_desktop.core.status import (
    DEFAULT_MATERIALIZATION,
    LAYERS,
    MATERIALIZATIONS,
    Layer,
    Materialization,
    Severity,
)

__all__ = ["DEFAULT_MATERIALIZATION", "LAYERS", "MATERIALIZATIONS", "Severity"]

#: Schemas a model may read directly besides the layers.
SOURCE_SCHEMAS = ("raw",)
GENERIC_TESTS = (
    "not_null",
    "unique",
    "accepted_values",
    "relationships",
    "unique_combination_of_columns",
    "expression_is_true",
)


# -- YAML schema ---------------------------------------------------------------------------------


class _YamlShapeError(ValueError):
    pass


@dataclass
class _ColumnYaml:
    name: str
    description: str = ""
    tests: list[Any] = field(default_factory=list)
    data_tests: list[Any] = field(default_factory=list)


@dataclass
class _ModelYaml:
    name: str
    description: str = ""
    config: dict[str, Any] = field(default_factory=dict)
    columns: list[_ColumnYaml] = field(default_factory=list)
    tests: list[Any] = field(default_factory=list)
    data_tests: list[Any] = field(default_factory=list)


def _get(mapping: dict[str, Any], key: str, kind: type, where: str, default: Any) -> Any:
    value = mapping.get(key)
    if value is None:
        return default() if callable(default) else default
    if not isinstance(value, kind):
        names: dict[type, str] = {str: "text", list: "a list", dict: "a mapping"}
        expected = names.get(kind, kind.__name__)
        raise _YamlShapeError(f"{where}{key} should be {expected}")
    return value


def _file_yaml(data: Any) -> list[_ModelYaml]:
    """The models of a dbt-style properties file (other keys are allowed and ignored)."""
    if not isinstance(data, dict):
        raise _YamlShapeError("the file should be a mapping with a 'models' list")
    out = []
    for i, entry in enumerate(_get(data, "models", list, "", list)):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise _YamlShapeError(f"models[{i}] needs a name")
        where = f"models[{i}] ({entry['name']}): "
        columns = []
        for j, col in enumerate(_get(entry, "columns", list, where, list)):
            if not isinstance(col, dict) or not isinstance(col.get("name"), str):
                raise _YamlShapeError(f"{where}columns[{j}] needs a name")
            cw = f"{where}column {col['name']}: "
            columns.append(
                _ColumnYaml(
                    col["name"],
                    _get(col, "description", str, cw, ""),
                    _get(col, "tests", list, cw, list),
                    _get(col, "data_tests", list, cw, list),
                )
            )
        out.append(
            _ModelYaml(
                entry["name"],
                _get(entry, "description", str, where, ""),
                _get(entry, "config", dict, where, dict),
                columns,
                _get(entry, "tests", list, where, list),
                _get(entry, "data_tests", list, where, list),
            )
        )
    return out


# -- the project ---------------------------------------------------------------------------------


@dataclass
class ColumnDoc:
    name: str
    description: str = ""


@dataclass
class DataTest:
    test_id: str
    test_type: str  # a generic test name, or 'singular'
    model: str | None
    column: str | None
    severity: Severity
    args: dict[str, Any] = field(default_factory=dict)
    sql: str | None = None  # singular tests: the (qualified) SELECT of failing rows
    description: str = ""
    path: Path | None = None
    #: Singular and expression tests: the models and sources their SQL reads (besides
    #: ``model`` and a relationship's ``to``, which every test of that kind reads).
    reads: tuple[str, ...] = ()
    #: Singular tests (``-- per: user_id``): the column whose every value the test judges on its
    #: own rows alone, so an update of its model by user checks the users it updated only.
    per: str | None = None
    #: Singular tests: the SQL as written, and each table it names with what that resolves to.
    parsed_sql: str = ""
    refs: tuple[tuple[TableRef, str], ...] = ()


@dataclass
class Model:
    name: str
    layer: Layer | Literal["tests"]  # "tests": the holder of a test's SQL, not a model
    path: Path
    raw_sql: str
    sql: str = ""  # with bare model names qualified
    description: str = ""
    materialized: Materialization = "view"
    columns: list[ColumnDoc] = field(default_factory=list)
    depends_on: list[str] = field(default_factory=list)  # models
    sources: list[str] = field(default_factory=list)  # e.g. raw.events
    incremental: IncrementalSpec | None = None  # materialized: incremental
    #: The relations the SQL reads, where in ``parsed_sql``: each reference and what it names
    #: (a model's name, or a source such as raw.events).
    refs: list[tuple[TableRef, str]] = field(default_factory=list)
    parsed_sql: str = ""

    @property
    def relation(self) -> str:
        return f"{self.layer}.{self.name}"


@dataclass
class Project:
    root: Path
    models: dict[str, Model]
    tests: list[DataTest]
    dag: DAG

    def order(self) -> list[str]:
        layer_rank: dict[str, int] = {layer: i for i, layer in enumerate(LAYERS)}
        return self.dag.sorted(key=lambda n: (layer_rank[self.models[n].layer], n))

    def resolve(self, name: str) -> str | None:
        """A typed model name (bare or qualified) to the model's name."""
        bare = name.split(".")[-1]
        model = self.models.get(bare)
        if model and (name == bare or name == model.relation):
            return bare
        return None

    def tests_for(self, models: Iterable[str]) -> list[DataTest]:
        wanted = set(models)
        return [t for t in self.tests if t.model in wanted]

    def tests_to_run(self, models: Iterable[str]) -> list[DataTest]:
        """The tests of these models and every test on sources alone (a singular test that
        reads only raw.*): those belong to no model, so every run and test runs them."""
        wanted = set(models)
        return [t for t in self.tests if t.model in wanted or t.model is None]


def load_project(
    root: Path, known_sources: Iterable[str] | None = None, cache: ParseCache | None = None
) -> Project:
    """Read, parse and wire up every model and test under ``root``.

    ``known_sources`` lists the source relations that exist (``raw.events`` …); when given, a
    reference to anything else that is not a model is an error naming the closest known name.
    ``cache``: where parses are looked up and kept (default: the app's cache file, written
    back once the project is loaded).
    """
    cache = cache if cache is not None else ParseCache.default()
    if not root.is_dir():
        raise ModelError(
            f"The model project folder {root} "
            + ("is a file, not a folder." if root.exists() else "does not exist."),
            "Point the workspace at a folder with staging/, intermediate/ and marts/ subfolders.",
        )
    models: dict[str, Model] = {}
    parsed: dict[str, ParsedSQL] = {}
    for layer in LAYERS:
        folder = root / layer
        for path in sorted(folder.glob("*.sql")) if folder.is_dir() else []:
            name = path.stem
            if not is_simple_name(name):
                raise ModelError(
                    f"{path}: model names use letters, digits and underscores only.",
                    "Rename the file.",
                )
            if name in models:
                raise ModelError(
                    f"Two models are named '{name}': {models[name].path} and {path}.",
                    "Model names must be unique across layers; rename one.",
                )
            text = _read(path)
            parsed[name] = cache.parse_select(text, path)
            models[name] = Model(
                name=name,
                layer=layer,
                path=path,
                raw_sql=text,
                materialized=DEFAULT_MATERIALIZATION[layer],
            )
    if not models:
        raise ModelError(
            f"The model project {root} has no models.",
            "Add .sql files under staging/, intermediate/ or marts/.",
        )
    sources = {s.lower() for s in known_sources} if known_sources is not None else None
    for name, model in models.items():
        _wire(model, parsed[name], models, sources)

    tests: list[DataTest] = []
    for layer in LAYERS:
        folder = root / layer
        for path in sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")]) if folder.is_dir() else []:
            tests.extend(_apply_yaml(path, models, sources, cache))
    tests.extend(_singular_tests(root / "tests", models, sources, cache))
    dag = DAG.from_mapping({n: m.depends_on for n, m in models.items()})
    project = Project(root=root, models=models, tests=tests, dag=dag)
    cache.save()
    project.order()  # raises on a cycle, with its path
    return project


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ModelError(f"Cannot read {path}: {e}.", "Check the file is UTF-8 text.") from e


def _wire(
    model: Model,
    parsed: ParsedSQL,
    models: dict[str, Model],
    sources: set[str] | None,
    where: str | None = None,
) -> None:
    deps: set[str] = set()
    srcs: set[str] = set()
    replacements: dict[TableRef, str] = {}
    for ref in parsed.refs:
        target = _resolve_ref(ref, models, sources, where or f"{model.path}, line {ref.line}")
        if target in models:
            deps.add(target)
            if not ref.schema:
                replacements[ref] = models[target].relation
        else:
            srcs.add(target)
    if model.name in deps:
        raise ModelError(
            f"{model.path}: the model '{model.name}' reads itself.",
            "A model cannot depend on itself; read its sources instead.",
        )
    model.depends_on = sorted(deps)
    model.sources = sorted(srcs)
    model.sql = qualify(parsed, replacements)
    model.parsed_sql = parsed.sql
    model.refs = [
        (ref, _resolve_ref(ref, models, sources, where or f"{model.path}, line {ref.line}"))
        for ref in parsed.refs
    ]


def _resolve_ref(
    ref: TableRef, models: dict[str, Model], sources: set[str] | None, where: str
) -> str:
    schema, name = ref.schema.lower(), ref.name
    if not schema and name in models:
        return name
    if schema in LAYERS and name in models and models[name].layer == schema:
        return name
    qualified = f"{schema}.{name}".lower() if schema else name.lower()
    if schema in SOURCE_SCHEMAS and (sources is None or qualified in sources):
        return qualified
    candidates = [m.relation for m in models.values()] + list(models) + sorted(sources or ())
    close = difflib.get_close_matches(ref.display, candidates, n=1, cutoff=0.5)
    hint = f"Did you mean '{close[0]}'?" if close else "Check the name, or add the model."
    raise ModelError(f"{where}: '{ref.display}' is neither a model nor a source table.", hint)


def _test_entries(entries: list[Any]) -> Iterable[tuple[str, dict[str, Any]]]:
    for entry in entries:
        if isinstance(entry, str):
            yield entry, {}
        elif isinstance(entry, dict) and len(entry) == 1:
            (name, args), = entry.items()
            yield str(name), dict(args or {})
        else:
            yield "", {"__bad__": entry}


def _make_test(
    test_type: str, args: dict[str, Any], model: str, column: str | None, path: Path
) -> DataTest:
    if test_type not in GENERIC_TESTS:
        raise ModelError(
            f"{path}: unknown test '{test_type or args.get('__bad__')}' on {model}"
            f"{'.' + column if column else ''}.",
            f"Known tests: {', '.join(GENERIC_TESTS)}.",
        )
    args = dict(args)
    config = args.pop("config", None) or {}
    severity = str(args.pop("severity", config.get("severity", "error"))).lower()
    if severity not in ("error", "warn"):
        raise ModelError(f"{path}: severity must be 'error' or 'warn', not '{severity}'.")
    required = {
        "accepted_values": ("values",),
        "relationships": ("to", "field"),
        "unique_combination_of_columns": ("combination_of_columns",),
        "expression_is_true": ("expression",),
    }.get(test_type, ())
    missing = [r for r in required if r not in args]
    if missing:
        raise ModelError(
            f"{path}: test '{test_type}' on {model} needs {', '.join(missing)}.",
            "See the dbt-style test vocabulary in docs/runbook.md.",
        )
    problem = _bad_args(args)
    if problem:
        raise ModelError(
            f"{path}: test '{test_type}' on {model}: {problem}.",
            "See the dbt-style test vocabulary in docs/runbook.md.",
        )
    if column is None and test_type in ("not_null", "unique", "accepted_values", "relationships"):
        column = args.pop("column_name", None)
        if column is None:
            raise ModelError(f"{path}: test '{test_type}' on {model} needs a column.")
    detail = ""
    if test_type == "relationships":
        detail = f"_{str(args['to']).split('.')[-1]}"
    elif test_type == "expression_is_true":
        detail = "_" + re.sub(r"\W+", "_", str(args["expression"])).strip("_")[:40]
    elif test_type == "unique_combination_of_columns":
        detail = "_" + "_".join(map(str, args["combination_of_columns"]))[:40]
    test_id = f"{test_type}_{model}{'_' + column if column else ''}{detail}"
    return DataTest(test_id, test_type, model, column, severity, args, path=path)  # type: ignore[arg-type]


def _bad_args(args: dict[str, Any]) -> str | None:
    """What is wrong with the shape of a generic test's arguments (None: nothing). Names are
    quoted and values passed as literals when the test's SQL is made; this keeps a list a list."""
    for key in ("to", "field", "expression", "column_name"):
        if key in args and not isinstance(args[key], str):
            return f"{key} should be text"
    values = args.get("values", [])
    if not isinstance(values, list) or any(isinstance(v, list | dict) for v in values):
        return "values should be a list of plain values"
    columns = args.get("combination_of_columns", [])
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        return "combination_of_columns should be a list of column names"
    return None


def _load_yaml(path: Path, cache: ParseCache) -> Any:
    """The file's YAML, from the parse cache when its text is unchanged."""
    text = _read(path)
    data = cache.data("yaml", text)
    if data is not None:
        return data
    import yaml

    try:
        data = parse_yaml(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ModelError(f"{path}: YAML error{where}: {e}.", "Fix the YAML and run again.") from e
    cache.remember_data("yaml", text, data, path)
    return data


def _apply_yaml(
    path: Path, models: dict[str, Model], sources: set[str] | None, cache: ParseCache
) -> list[DataTest]:
    try:
        entries = _file_yaml(_load_yaml(path, cache))
    except _YamlShapeError as e:
        raise ModelError(
            f"{path}: not a model properties file ({e}).",
            "Use the dbt layout: models: - name, description, columns: - name, tests.",
        ) from e
    tests: list[DataTest] = []
    for entry in entries:
        model = models.get(entry.name)
        if model is None:
            close = difflib.get_close_matches(entry.name, list(models), n=1)
            raise ModelError(
                f"{path}: describes a model '{entry.name}' that has no .sql file.",
                f"Did you mean '{close[0]}'?" if close else "Remove the entry or add the model.",
            )
        model.description = entry.description.strip()
        materialized = entry.config.get("materialized", model.materialized)
        if materialized not in MATERIALIZATIONS:
            raise ModelError(
                f"{path}: {entry.name}: materialized must be one of "
                f"{', '.join(MATERIALIZATIONS)}; found '{materialized}'."
            )
        model.materialized = materialized
        model.incremental = (
            parse_incremental(entry.config, f"{path}: {entry.name}")
            if materialized == "incremental" else None
        )
        model.columns = [ColumnDoc(c.name, c.description.strip()) for c in entry.columns]
        for test_type, args in _test_entries(entry.tests + entry.data_tests):
            tests.append(_make_test(test_type, args, entry.name, None, path))
        for col in entry.columns:
            for test_type, args in _test_entries(col.tests + col.data_tests):
                tests.append(_make_test(test_type, args, entry.name, col.name, path))
    seen: dict[str, int] = {}
    for t in tests:  # identical ids (two tests of one kind on one column) get a suffix
        n = seen.get(t.test_id, 0)
        seen[t.test_id] = n + 1
        if n:
            t.test_id = f"{t.test_id}_{n + 1}"
    for t in tests:
        _check_test_sql(t, models, sources, path, cache)
    return tests


def _check_test_sql(
    test: DataTest,
    models: dict[str, Model],
    sources: set[str] | None,
    path: Path,
    cache: ParseCache,
) -> None:
    """A relationships test's parent is a model or a source; an expression is one SQL expression,
    and the SELECT made around it is checked like a model and kept as the test's SQL."""
    where = f"{path}: test {test.test_type} on {test.model}"
    if test.test_type == "relationships":
        parts = str(test.args["to"]).split(".")
        ref = TableRef(".".join(parts[:-1]), parts[-1], -1, -1, 0, 0)
        test.args["to"] = _resolve_ref(ref, models, sources, where)
    elif test.test_type == "expression_is_true":
        expression = str(test.args["expression"])
        assert test.model is not None
        # The expression on lines of its own: a trailing -- comment ends with its line.
        sql = (
            f"SELECT * FROM {models[test.model].relation}\n"
            f"WHERE NOT coalesce((\n{expression}\n), false)"
        )
        holder = Model(name=test.test_id, layer="tests", path=path, raw_sql=sql)
        parsed = cache.parse_select(
            sql, where, condition=expression, source=f"{path}#{test.test_id}"
        )
        _wire(holder, parsed, models, sources, f"{where}: the expression")
        test.sql = holder.sql
        test.reads = (*holder.depends_on, *holder.sources)


_HEADER = re.compile(r"^\s*--\s*(description|severity|model|per)\s*:\s*(.*?)\s*$", re.IGNORECASE)


def _singular_tests(
    folder: Path, models: dict[str, Model], sources: set[str] | None, cache: ParseCache
) -> list[DataTest]:
    tests = []
    for path in sorted(folder.glob("*.sql")) if folder.is_dir() else []:
        text = _read(path)
        meta: dict[str, str] = {}
        for line in text.splitlines():
            m = _HEADER.match(line)
            if m:
                meta[m.group(1).lower()] = m.group(2)
        parsed = cache.parse_select(text, path)
        holder = Model(name=path.stem, layer="tests", path=path, raw_sql=text)
        _wire(holder, parsed, models, sources)
        severity = meta.get("severity", "error").lower()
        if severity not in ("error", "warn"):
            raise ModelError(f"{path}: severity must be 'error' or 'warn', not '{severity}'.")
        model = meta.get("model") or (holder.depends_on[0] if holder.depends_on else None)
        if model is not None and model not in models:
            raise ModelError(f"{path}: '-- model: {model}' names no model.")
        per = meta.get("per") or None
        if per is not None and model is None:
            raise ModelError(f"{path}: '-- per: {per}' needs the model it judges ('-- model: …').")
        tests.append(
            DataTest(
                test_id=path.stem,
                test_type="singular",
                model=model,
                column=None,
                severity=severity,  # type: ignore[arg-type]
                sql=holder.sql,
                description=meta.get("description", ""),
                path=path,
                args={"depends_on": holder.depends_on},
                reads=(*holder.depends_on, *holder.sources),
                per=per,
                parsed_sql=holder.parsed_sql,
                refs=tuple(holder.refs),
            )
        )
    return tests
