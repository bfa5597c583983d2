"""The model project loader: dependencies from sqlglot, qualification, cycles, selection."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shoplytics_desktop.core.errors import ModelError
from shoplytics_desktop.core.models.dag import DAG
from shoplytics_desktop.core.models.docs import data_dictionary
from shoplytics_desktop.core.models.lineage import lineage
from shoplytics_desktop.core.models.project import load_project
from tests.unit.modelproj import write_project

SOURCES = ["raw.events", "raw.users", "raw.products"]


def _project(tmp_path: Path, files: dict[str, str]):
    return load_project(write_project(tmp_path / "proj", files), known_sources=SOURCES)


BASIC = {
    "staging/stg_events.sql": "select * from raw.events",
    "staging/stg_users.sql": "select * from raw.users",
    "intermediate/int_x.sql": """
        with stg_users as (select 1 as user_id),   -- a CTE that shadows a model name
             joined as (select e.user_id from stg_events e join stg_users u using (user_id))
        select * from joined
    """,
    "marts/fct_a.sql": "select * from intermediate.int_x where user_id in (select user_id from staging.stg_users)",
    "marts/fct_b.sql": "select count(*) as n from fct_a",
}


def test_dependencies_come_from_every_scope_minus_cte_names(tmp_path: Path) -> None:
    p = _project(tmp_path, BASIC)
    # int_x reads stg_events; its 'stg_users' is the CTE, not the model.
    assert p.models["int_x"].depends_on == ["stg_events"]
    assert p.models["stg_events"].sources == ["raw.events"]
    # qualified refs and a subquery in WHERE both count
    assert p.models["fct_a"].depends_on == ["int_x", "stg_users"]
    assert p.models["fct_b"].depends_on == ["fct_a"]


def test_bare_model_names_are_qualified_in_place(tmp_path: Path) -> None:
    p = _project(tmp_path, BASIC)
    assert p.models["fct_b"].sql.strip() == "select count(*) as n from marts.fct_a"
    # the CTE named stg_users stays as written, the model stg_events is qualified
    sql = p.models["int_x"].sql
    assert "from staging.stg_events e join stg_users u" in sql


def test_a_reference_keeps_its_qualifier_however_far_back_it_starts() -> None:
    from shoplytics_desktop.core.models.parse import TableRef, replace_refs

    long_schema = '"' + "s" * 400 + '"'
    for qualifier in ("", "marts.", 'db . "marts" . ', f"{long_schema}.", f"db.{long_schema} . "):
        sql = "select 1 as x " * 40 + f"from {qualifier}fct_a as a"
        start = sql.index("fct_a")
        ref = TableRef(schema="", name="fct_a", start=start, end=start + 4, line=1, col=start)
        assert replace_refs(sql, [(ref, "temp.fct_a")]).endswith(" from temp.fct_a as a"), qualifier


def test_order_is_topological_and_deterministic(tmp_path: Path) -> None:
    p = _project(tmp_path, BASIC)
    assert p.order() == ["stg_events", "stg_users", "int_x", "fct_a", "fct_b"]


def test_cycle_reports_its_path(tmp_path: Path) -> None:
    files = {
        "staging/a.sql": "select * from c",
        "intermediate/b.sql": "select * from a",
        "marts/c.sql": "select * from b",
    }
    with pytest.raises(ModelError) as err:
        _project(tmp_path, files)
    assert "cycle: a → b → c → a" in err.value.message


def test_unknown_table_names_model_line_and_closest_name(tmp_path: Path) -> None:
    files = dict(BASIC)
    files["marts/fct_b.sql"] = "select count(*) as n\nfrom fct_aa"
    with pytest.raises(ModelError) as err:
        _project(tmp_path, files)
    assert "fct_b.sql, line 2: 'fct_aa' is neither a model nor a source table" in err.value.message
    assert err.value.hint == "Did you mean 'fct_a'?"


def test_unknown_source_table_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError) as err:
        _project(tmp_path, {"staging/s.sql": "select * from raw.event"})
    assert "'raw.event' is neither" in err.value.message
    assert "raw.events" in err.value.hint


def test_syntax_error_names_file_line_and_column(tmp_path: Path) -> None:
    with pytest.raises(ModelError) as err:
        _project(tmp_path, {"staging/s.sql": "select *\nfrom raw.events where ("})
    assert "s.sql: SQL syntax error at line 2" in err.value.message


def test_non_select_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="must be a SELECT"):
        _project(tmp_path, {"staging/s.sql": "drop table raw.events"})


def test_selection_semantics(tmp_path: Path) -> None:
    p = _project(tmp_path, BASIC)
    sel = lambda *s: p.dag.select(s, p.resolve)  # noqa: E731
    assert sel("int_x") == {"int_x"}
    assert sel("int_x+") == {"int_x", "fct_a", "fct_b"}
    assert sel("+int_x") == {"int_x", "stg_events"}
    assert sel("+fct_a+") == {"fct_a", "fct_b", "int_x", "stg_events", "stg_users"}
    assert sel("marts.fct_b") == {"fct_b"}
    with pytest.raises(ModelError, match="No model named 'nope'"):
        sel("nope")


def test_yaml_tests_severity_and_materialization(tmp_path: Path) -> None:
    files = dict(BASIC)
    files["marts/_marts.yml"] = """
        version: 2
        models:
          - name: fct_a
            description: A mart.
            config: {materialized: view}
            tests:
              - expression_is_true: {expression: "user_id is not null", severity: warn}
            columns:
              - name: user_id
                description: The user.
                tests:
                  - not_null
                  - unique: {config: {severity: warn}}
                  - relationships: {to: stg_users, field: user_id}
                  - accepted_values: {values: [a, b]}
    """
    files["tests/fct_b_positive.sql"] = """
        -- description: counts are never negative
        -- severity: warn
        select * from fct_b where n < 0
    """
    p = _project(tmp_path, files)
    assert p.models["fct_a"].materialized == "view"
    assert p.models["fct_b"].materialized == "table"
    by_id = {t.test_id: t for t in p.tests}
    assert by_id["not_null_fct_a_user_id"].severity == "error"
    assert by_id["unique_fct_a_user_id"].severity == "warn"
    assert by_id["relationships_fct_a_user_id_stg_users"].args == {"to": "stg_users", "field": "user_id"}
    assert by_id["expression_is_true_fct_a_user_id_is_not_null"].severity == "warn"
    singular = by_id["fct_b_positive"]
    assert (singular.model, singular.severity) == ("fct_b", "warn")
    assert singular.sql is not None and "from marts.fct_b" in singular.sql


def test_yaml_errors_are_clear(tmp_path: Path) -> None:
    files = dict(BASIC)
    files["marts/_marts.yml"] = "models:\n  - name: fct_aa\n"
    with pytest.raises(ModelError, match=r"describes a model 'fct_aa' that has no \.sql file"):
        _project(tmp_path, files)
    files["marts/_marts.yml"] = "models:\n  - name: fct_a\n    tests: [is_positive]\n"
    with pytest.raises(ModelError, match="unknown test 'is_positive'"):
        _project(tmp_path / "2", files)


def test_lineage_and_docs(tmp_path: Path) -> None:
    p = _project(tmp_path, BASIC)
    graph = lineage(p)
    ids = [n.id for n in graph.nodes]
    assert ids[:2] == ["raw.events", "raw.users"]
    assert ("intermediate.int_x", "marts.fct_a") in graph.edges
    assert ("raw.events", "staging.stg_events") in graph.edges
    assert '"staging.stg_events" -> "intermediate.int_x";' in graph.to_dot()
    doc = data_dictionary(p, {"marts.fct_b": {"n": "BIGINT"}})
    assert "### `marts.fct_b`" in doc
    assert "| `n` | BIGINT |" in doc
    assert "- Upstream: `marts.fct_a`" in doc


def test_dag_generic_cycle_and_order() -> None:
    dag = DAG.from_mapping({"b": ["a"], "c": ["a", "b"], "a": []})
    assert dag.sorted() == ["a", "b", "c"]
    assert dag.find_cycle() == []


def test_parses_are_cached_on_disk_by_sql_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from shoplytics_desktop.core.models import parse

    file = tmp_path / "cache" / parse.cache_file_name()
    cache = parse.ParseCache(file, shipped={})
    sql = "with x as (select 1 as id) select * from x join stg_a using (id) join raw.events e on true"
    first = cache.parse_select(sql, "m.sql")
    assert [r.display for r in first.refs] == ["stg_a", "raw.events"]
    cache.save()
    assert list((tmp_path / "cache").iterdir()) == [file]

    def no_parse(*_: object) -> None:
        raise AssertionError("parsed again")

    with monkeypatch.context() as m:
        m.setattr(parse, "_parse", no_parse)
        assert parse.ParseCache(file, shipped={}).parse_select(sql, "m.sql") == first  # a new process
    # A damaged cache file is ignored and rewritten.
    file.write_text("{not json", encoding="utf-8")
    cache = parse.ParseCache(file, shipped={})
    assert cache.entries == {}
    assert cache.parse_select(sql, "m.sql") == first
    cache.save()
    assert json.loads(file.read_text(encoding="utf-8"))["entries"]
    with pytest.raises(ModelError, match="syntax error"):
        cache.parse_select("select from from", "bad.sql")
    # A cache of another format or sqlglot or DuckDB version is an empty cache.
    data = json.loads(file.read_text(encoding="utf-8"))
    file.write_text(json.dumps({**data, "stamp": "1/sqlglot-0/duckdb-0"}), encoding="utf-8")
    assert parse.ParseCache(file, shipped={}).entries == {}


def test_an_edited_file_replaces_its_earlier_parse(tmp_path: Path) -> None:
    """The cache keeps one parse per file: the one of its text as last read (the same text
    under another file keeps its entry)."""
    from shoplytics_desktop.core.models import parse

    file = tmp_path / parse.cache_file_name()
    cache = parse.ParseCache(file, shipped={})
    before, after = "select * from stg_a", "select * from stg_b"
    cache.parse_select(before, "a.sql")
    cache.parse_select(before, "c.sql")
    cache.parse_select(after, "a.sql")
    assert set(cache.entries) == {f"sql:{parse._digest(before)}", f"sql:{parse._digest(after)}"}
    cache.parse_select(after, "c.sql")
    assert set(cache.entries) == {f"sql:{parse._digest(after)}"}
    cache.save()
    again = parse.ParseCache(file, shipped={})
    assert again.files == {"sql:a.sql": f"sql:{parse._digest(after)}",
                           "sql:c.sql": f"sql:{parse._digest(after)}"}
    assert not again.dirty


def test_the_parse_cache_stays_out_of_the_model_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shoplytics_desktop.core.models import parse

    monkeypatch.setenv("SHOPLYTICS_CACHE_DIR", str(tmp_path / "cache"))
    _project(tmp_path, BASIC)
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [parse.cache_file_name()]
    assert not [p for p in (tmp_path / "proj").rglob("*.json")]


def test_yaml_is_cached_with_the_parses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An unchanged project loads from the cache without PyYAML; YAML that JSON cannot hold as
    it is (a date) is read afresh every time, and an edited file is read again."""
    import sys


    monkeypatch.setenv("SHOPLYTICS_CACHE_DIR", str(tmp_path / "cache"))
    files = dict(BASIC)
    files["marts/_marts.yml"] = """
        models:
          - name: fct_a
            description: A mart.
            columns:
              - name: user_id
                tests: [not_null, {accepted_values: {values: [a, b], severity: warn}}]
    """
    files["staging/_staging.yml"] = """
        models:
          - name: stg_users
            description: Since 2024-01-01.
            columns:
              - name: user_id
                tests:
                  - accepted_values: {values: [2024-01-01]}
    """
    first = _project(tmp_path, files)  # each load reads the cache file and writes it back
    monkeypatch.setitem(sys.modules, "yaml", None)  # importing it now fails
    with pytest.raises(ImportError):
        load_project(tmp_path / "proj", known_sources=SOURCES)  # the file with a date is not in the cache
    (tmp_path / "proj" / "staging" / "_staging.yml").unlink()
    again = load_project(tmp_path / "proj", known_sources=SOURCES)
    assert again.models["fct_a"].description == "A mart."
    assert [(t.test_id, t.severity, t.args) for t in again.tests] == [
        (t.test_id, t.severity, t.args) for t in first.tests if t.model != "stg_users"
    ]
    (tmp_path / "proj" / "marts" / "_marts.yml").write_text(
        "models:\n  - name: fct_a\n    description: Edited.\n", encoding="utf-8"
    )
    with pytest.raises(ImportError):
        load_project(tmp_path / "proj", known_sources=SOURCES)


def test_a_shipped_project_loads_without_sqlglot_or_yaml_on_a_new_machine(tmp_path: Path) -> None:
    """The shipped parses stand in for an empty cache: neither sqlglot nor PyYAML is imported."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from shoplytics_desktop.core.models.project import load_project\n"
        "from shoplytics_desktop.core.paths import default_models_dir\n"
        "p = load_project(default_models_dir())\n"
        "print(len(p.models), len(p.tests), 'sqlglot' in sys.modules, 'yaml' in sys.modules)\n"
    )
    env = {**__import__("os").environ, "SHOPLYTICS_CACHE_DIR": str(tmp_path / "empty-cache")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    models, tests, sqlglot, yaml = out.stdout.split()
    assert int(models) > 20 and int(tests) > 90
    assert (sqlglot, yaml) == ("False", "False"), out.stderr


def test_a_shipped_parse_that_does_not_fit_the_text_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shoplytics_desktop.core.models import parse

    sql = "select * from stg_a join raw.events using (id)"
    wrong = [["", "stg_b", 14, 18, 1, 15]]  # made for other text: stg_b is not at 14..18
    cache = parse.ParseCache(shipped={parse._digest(sql): wrong})
    assert [r.display for r in cache.parse_select(sql, "m.sql").refs] == ["stg_a", "raw.events"]
    right = [list(parse.astuple(r)) for r in parse._parse(sql, "m.sql").refs]

    def no_parse(*_: object) -> None:
        raise AssertionError("parsed although a fitting shipped parse exists")

    monkeypatch.setattr(parse, "_parse", no_parse)
    cache = parse.ParseCache(shipped={parse._digest(sql): right})
    assert [r.display for r in cache.parse_select(sql, "m.sql").refs] == ["stg_a", "raw.events"]


@pytest.mark.parametrize(
    ("yml", "says"),
    [
        ("- just a list", "the file should be a mapping with a 'models' list"),
        ("models: {fct_a: {}}", "models should be a list"),
        ("models:\n  - description: no name", "models[0] needs a name"),
        ("models:\n  - name: fct_a\n    columns: [{description: x}]", "models[0] (fct_a): columns[0] needs a name"),
        ("models:\n  - name: fct_a\n    columns:\n      - name: n\n        tests: not_null",
         "column n: tests should be a list"),
    ],
)
def test_yaml_of_the_wrong_shape_is_named(tmp_path: Path, yml: str, says: str) -> None:
    with pytest.raises(ModelError) as err:
        _project(tmp_path, {**BASIC, "marts/_marts.yml": yml})
    assert "not a model properties file" in err.value.message and says in err.value.message
