"""A model project and the ``query`` command run one read-only SELECT or nothing.

Models, singular tests and YAML test arguments from a shared project are hostile input: a value is
quoted, an expression is one SQL expression, and every statement is exactly one SELECT that reads
the project's models, ``raw.*`` and its own CTEs, with no function that reaches files, the
network, settings or other SQL. A ``_parse_cache.json`` inside a project is not trusted. A
singular test on sources runs in every run and test. ``query`` refuses anything but a SELECT,
in one line, exit code 1.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from shoplytics_desktop.cli import main
from shoplytics_desktop.core.workspace import BACKUP_FILE, Workspace
from tests.reliability.support import Snapshot, check_consistent

pytestmark = pytest.mark.reliability

STG = {"staging/stg_ok.sql": "select event_id, user_id, event_time from raw.events\n"}


def _project(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def _cli(*argv: str) -> tuple[int, str]:
    err_buf, out_buf = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err_buf), contextlib.redirect_stdout(out_buf):
        code = main(list(argv))
    return code, (out_buf.getvalue() + err_buf.getvalue()).strip()


def _run_refused(ws_dir: Path, proj: Path, expected: str, command: str = "run") -> str:
    """``command`` on ``proj`` exits 1 with one line holding ``expected``, changing nothing."""
    with Workspace.open(ws_dir) as ws:
        before = Snapshot.take(ws)
    code, text = _cli(command, "-q" if command == "run" else "--select", *(
        [] if command == "run" else ["stg_ok"]), "-w", str(ws_dir), "--models", str(proj))
    assert code == 1, text
    assert "Traceback" not in text and text.count("\n") == 0, text
    assert expected in text, text
    with Workspace.open(ws_dir) as ws:
        check_consistent(ws)
        after = Snapshot.take(ws)
    assert (after.raw, after.marts, after.last_published) == (
        before.raw, before.marts, before.last_published)
    return text


def _yaml_test(test: str) -> str:
    return "models:\n  - name: stg_ok\n    tests:\n" + textwrap.indent(test, "      ")


# -- 1. YAML values are data, an expression is one expression ---------------------------------------


def _hostile_expressions(tmp: Path) -> dict[str, str]:
    target = tmp / "x.sh"
    return {
        "statements after the expression": (
            f"1=1) t; DELETE FROM raw.events; COPY (SELECT 1) TO '{target}'; "
            "SELECT * FROM (SELECT 1"),
        "a second statement": "true; DELETE FROM raw.events",
        "a bracket that escapes": "event_id is null) or (1=1",
        "a file read in a subquery": "(select count(*) from read_csv('/etc/passwd')) > 0",
        "an unknown relation in a subquery": "(select count(*) from _shoplytics.runs) >= 0",
        "a setting": "current_setting('threads') is not null",
        "a DELETE in a subquery": (
            "exists (with d as (delete from raw.events returning *) select * from d)"),
        "an empty expression": " ",
    }


@pytest.mark.parametrize("kind", list(_hostile_expressions(Path("/tmp"))))
def test_a_hostile_expression_is_refused(ws_dir: Path, tmp_path: Path, kind: str) -> None:
    expression = _hostile_expressions(tmp_path)[kind]
    proj = _project(tmp_path / "proj", {
        **STG,
        "staging/_staging.yml": _yaml_test(
            f"- expression_is_true:\n    expression: {json.dumps(expression)}\n"),
    })
    _run_refused(ws_dir, proj, "_staging.yml")
    assert not (tmp_path / "x.sh").exists()


def test_an_expression_with_a_subquery_on_sources_runs(ws_dir: Path, tmp_path: Path) -> None:
    """A subquery on sources is allowed, and a trailing comment ends with the expression."""
    expression = "event_id in (select event_id from raw.events) and user_id is not null --"
    proj = _project(tmp_path / "proj", {
        **STG,
        "staging/_staging.yml": _yaml_test(
            f"- expression_is_true:\n    expression: {json.dumps(expression)}\n"),
    })
    code, text = _cli("run", "-q", "-w", str(ws_dir), "--models", str(proj))
    assert code == 0 and "1 test(s)" in text, text


@pytest.mark.parametrize(
    ("test", "expected"),
    [
        ("- relationships:\n    to: \"read_csv('/etc/passwd')\"\n    field: x\n    column_name: user_id\n",
         "is neither a model nor a source table"),
        ("- relationships:\n    to: _shoplytics.runs\n    field: run_id\n    column_name: user_id\n",
         "is neither a model nor a source table"),
        ("- unique_combination_of_columns:\n    combination_of_columns: \"user_id\"\n",
         "combination_of_columns should be a list of column names"),
        ("- accepted_values:\n    column_name: user_id\n    values: {a: 1}\n",
         "values should be a list"),
    ],
)
def test_a_hostile_yaml_value_is_refused(ws_dir: Path, tmp_path: Path, test: str,
                                         expected: str) -> None:
    proj = _project(tmp_path / "proj", {**STG, "staging/_staging.yml": _yaml_test(test)})
    _run_refused(ws_dir, proj, expected)


def test_hostile_names_and_values_are_quoted(ws_dir: Path, tmp_path: Path) -> None:
    """A column name or an accepted value holding SQL is a name or a value: the tests run, fail
    or cannot run (no such column), and nothing is deleted."""
    drop = "x'); DELETE FROM raw.events; --"
    yml = (
        "models:\n  - name: stg_ok\n    columns:\n"
        f"      - name: {json.dumps(drop)}\n        tests: [not_null]\n"
        "      - name: user_id\n        tests:\n"
        f"          - accepted_values: {{values: [{json.dumps(drop)}], severity: warn}}\n"
    )
    proj = _project(tmp_path / "proj", {**STG, "staging/_staging.yml": yml})
    with Workspace.open(ws_dir) as ws:
        before = Snapshot.take(ws)
    code, text = _cli("run", "-q", "-w", str(ws_dir), "--models", str(proj))
    assert code == 1 and "has no column" in text, text
    with Workspace.open(ws_dir) as ws:
        assert Snapshot.take(ws).raw == before.raw


# -- 2. a parse cache inside a project is not trusted ---------------------------------------------


def test_a_parse_cache_shipped_in_a_project_skips_no_check(ws_dir: Path, tmp_path: Path) -> None:
    hostile = "select 1 as x; delete from raw.events\n"
    entry = {hashlib.sha256(hostile.encode()).hexdigest(): []}
    proj = _project(tmp_path / "proj", {
        **STG,
        "marts/fct_x.sql": hostile,
        "_parse_cache.json": json.dumps({"format": 1, "entries": entry}),
    })
    _run_refused(ws_dir, proj, "fct_x.sql")


def test_a_parse_cache_cannot_hide_a_table_function(ws_dir: Path, tmp_path: Path) -> None:
    hostile = "select * from read_text('/etc/passwd')\n"
    for fmt in (1, 2, 3):
        entry = {hashlib.sha256(hostile.encode()).hexdigest(): []}
        (_project(tmp_path / "proj", {**STG, "marts/fct_x.sql": hostile})
         / "_parse_cache.json").write_text(json.dumps({"format": fmt, "entries": entry}))
        _run_refused(ws_dir, tmp_path / "proj", "fct_x.sql")


# -- 3. every model and test is one read-only SELECT over known relations ------------------------

HOSTILE_SELECTS = {
    "read_csv": "select * from read_csv('/etc/passwd')",
    "read_csv_auto": "select * from read_csv_auto('/etc/passwd')",
    "read_text": "select content from read_text('/etc/passwd')",
    "read_blob": "select content from read_blob('/etc/passwd')",
    "read_parquet over http": "select * from read_parquet('https://example.com/x.parquet')",
    "read_json": "select * from read_json('/etc/x.json')",
    "glob": "select * from glob('/*')",
    "query": "select * from query('select 42')",
    "query_table": "select * from query_table('raw.events')",
    "sniff_csv": "select * from sniff_csv('/etc/passwd')",
    "parquet_metadata": "select * from parquet_metadata('/tmp/x.parquet')",
    "a file as a table": "select * from '/etc/passwd.csv'",
    "a quoted file as a table": 'select * from "exports/x.parquet"',
    "s3 path": "select * from 's3://bucket/x.parquet'",
    "table function in a subquery": "select (select count(*) from read_csv('/etc/passwd')) as n",
    "table function in a join": "select e.* from raw.events e join glob('/*') g on true",
    "current_setting": "select current_setting('home_directory') as h",
    "getenv": "select getenv('HOME') as h",
    "nextval": "select nextval('s') as n",
    "duckdb_secrets": "select * from duckdb_secrets()",
    "a DELETE in a CTE": "with d as (delete from raw.events returning *) select * from d",
    "an INSERT in a CTE": ("with d as (insert into raw.events select * from raw.events "
                           "returning *) select * from d"),
    "another catalog": "select * from other.raw.events",
    "COPY": "copy (select 1) to '/tmp/x.csv'",
    "ATTACH": "attach '/tmp/other.duckdb' as other",
    "PRAGMA": "pragma version",
    "SET": "set threads = 1",
    "CALL": "call pragma_version()",
    "INSTALL": "install httpfs",
    "LOAD": "load httpfs",
    "CREATE": "create table raw.x as select 1 as x",
    "EXPORT": "export database '/tmp/dump'",
    "two SELECTs": "select 1 as x; select 2 as x",
    "a SELECT then DELETE": "select 1 as x; delete from raw.events",
}


@pytest.mark.parametrize("kind", list(HOSTILE_SELECTS))
def test_a_model_that_is_not_a_read_only_select_is_refused(
    ws_dir: Path, tmp_path: Path, kind: str
) -> None:
    proj = _project(tmp_path / "proj", {**STG, "marts/fct_x.sql": HOSTILE_SELECTS[kind] + "\n"})
    _run_refused(ws_dir, proj, "fct_x.sql")


@pytest.mark.parametrize("kind", ["read_csv", "a DELETE in a CTE", "getenv", "a SELECT then DELETE"])
def test_a_singular_test_that_is_not_a_read_only_select_is_refused(
    ws_dir: Path, tmp_path: Path, kind: str
) -> None:
    proj = _project(tmp_path / "proj", {**STG, "tests/t_x.sql": HOSTILE_SELECTS[kind] + "\n"})
    _run_refused(ws_dir, proj, "t_x.sql")
    _run_refused(ws_dir, proj, "t_x.sql", command="test")


def test_the_refusal_names_line_column_and_what_to_write(ws_dir: Path, tmp_path: Path) -> None:
    sql = "select e.user_id,\n       f.content\nfrom raw.events e, read_text('/etc/passwd') f\n"
    proj = _project(tmp_path / "proj", {**STG, "marts/fct_x.sql": sql})
    text = _run_refused(ws_dir, proj, "fct_x.sql, line 3, column 20")
    assert "read_text" in text and "shoplytics import" in text, text


def test_allowed_table_functions_still_run(ws_dir: Path, tmp_path: Path) -> None:
    sql = ("with d as (select * from range(3) r(i)) "
           "select i, unnest([1, 2]) as u from d, generate_series(1, 2) g(j)\n")
    proj = _project(tmp_path / "proj", {**STG, "marts/fct_x.sql": sql})
    code, text = _cli("run", "-q", "-w", str(ws_dir), "--models", str(proj))
    assert code == 0, text


# -- 4. singular tests on sources run ------------------------------------------------------------


def test_a_singular_test_on_sources_runs_and_blocks(ws_dir: Path, tmp_path: Path) -> None:
    proj = _project(tmp_path / "proj", {
        **STG,
        "tests/raw_has_no_events.sql": "-- description: fails on any event\n"
                                       "select event_id from raw.events\n",
    })
    with Workspace.open(ws_dir) as ws:
        before = Snapshot.take(ws)
    code, text = _cli("run", "-q", "-w", str(ws_dir), "--models", str(proj))
    assert code == 1 and "1 error-severity test(s) failed" in text, text
    assert "raw_has_no_events" in text
    with Workspace.open(ws_dir) as ws:
        assert Snapshot.take(ws).last_published == before.last_published
    code, text = _cli("test", "-w", str(ws_dir), "--models", str(proj))
    assert code == 1 and "raw_has_no_events" in text, text
    code, text = _cli("test", "-w", str(ws_dir), "--models", str(proj), "--select", "stg_ok")
    assert code == 1 and "raw_has_no_events" in text, text


def test_a_warn_singular_test_on_sources_is_counted(ws_dir: Path, tmp_path: Path) -> None:
    proj = _project(tmp_path / "proj", {
        **STG,
        "tests/raw_warn.sql": "-- severity: warn\nselect event_id from raw.events limit 2\n",
    })
    code, text = _cli("run", "-q", "-w", str(ws_dir), "--models", str(proj))
    assert code == 0 and "1 test(s), 1 warning(s)" in text, text


# -- 5. query ------------------------------------------------------------------------------------


def _query(ws_dir: Path, *args: str) -> tuple[int, str, str]:
    err_buf, out_buf = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err_buf), contextlib.redirect_stdout(out_buf):
        code = main(["query", "-w", str(ws_dir), *args])
    return code, out_buf.getvalue(), err_buf.getvalue()


def _other_workspace(tmp_path: Path) -> Path:
    with Workspace.open(tmp_path / "other") as ws:
        ws.cursor().execute("CREATE TABLE raw.keep AS SELECT 1 AS x")
    return tmp_path / "other" / "warehouse.duckdb"


@pytest.mark.parametrize(
    "sql",
    [
        "",
        "   ;  ",
        "-- only a comment",
        "COPY (SELECT 1 AS hacked) TO '{ws}/settings.json' (FORMAT json)",
        "COPY (SELECT 1 AS hacked) TO '{ws}/" + BACKUP_FILE + "'",
        "ATTACH '{other}' AS o; DELETE FROM o.raw.keep",
        "ATTACH '{other}' AS o",
        "SELECT * FROM read_text('{ws}/settings.json')",
        "SELECT * FROM '{ws}/settings.json'",
        "SELECT current_setting('home_directory')",
        "WITH d AS (DELETE FROM raw.events RETURNING *) SELECT count(*) FROM d",
        "SELECT 1; SELECT 2",
        "PRAGMA version",
        "SET threads = 1",
        "INSTALL httpfs",
    ],
)
def test_query_runs_one_read_only_select(ws_dir: Path, tmp_path: Path, sql: str) -> None:
    other = _other_workspace(tmp_path)
    with Workspace.open(ws_dir) as ws:
        ws.save_settings()
    settings = (ws_dir / "settings.json").read_bytes()
    backup = (ws_dir / BACKUP_FILE).read_bytes() if (ws_dir / BACKUP_FILE).exists() else None
    with Workspace.open(ws_dir, read_only=True) as ws:
        before = Snapshot.take(ws)
    code, out, err = _query(ws_dir, sql.format(ws=ws_dir, other=other))
    assert code == 1, (out, err)
    assert err.startswith("error: The query") and err.count("\n") == 1, err
    assert "unexpected" not in err
    assert (ws_dir / "settings.json").read_bytes() == settings
    assert ((ws_dir / BACKUP_FILE).read_bytes() if (ws_dir / BACKUP_FILE).exists() else None) == backup
    with Workspace.open(ws_dir, read_only=True) as ws:
        assert Snapshot.take(ws) == before
    with Workspace.open(other.parent, read_only=True) as ws:
        assert ws.cursor().execute("SELECT count(*) FROM raw.keep").fetchone() == (1,)


def test_query_reads_any_relation_of_the_workspace(ws_dir: Path) -> None:
    code, out, err = _query(ws_dir, "WITH t AS (SELECT count(*) AS n FROM raw.events) "
                                    "SELECT n > 0 AS ok FROM t, fct_orders LIMIT 1", "--format", "csv")
    assert (code, out.splitlines()) == (0, ["ok", "true"]), err
    code, out, err = _query(ws_dir, "SELECT count(*) AS n FROM _shoplytics.runs", "--format", "json")
    assert code == 0 and json.loads(out)[0]["n"] >= 1, err


def test_query_limit_is_honoured(ws_dir: Path) -> None:
    code, out, _ = _query(ws_dir, "SELECT event_id FROM raw.events ORDER BY 1", "--limit", "3")
    assert code == 0
    lines = out.splitlines()
    assert lines[-1].startswith("... more rows"), out
    assert len(lines) == 2 + 3 + 1, out
    code, out, _ = _query(ws_dir, "SELECT event_id FROM raw.events", "--format", "json",
                          "--limit", "3")
    assert code == 0 and len(json.loads(out)) == 3
    code, out, _ = _query(ws_dir, "SELECT event_id FROM raw.events", "--format", "csv",
                          "--limit", "3")
    assert code == 0 and len(out.splitlines()) == 4
    code, out, _ = _query(ws_dir, "SELECT event_id FROM raw.events", "--format", "json")
    assert code == 0 and len(json.loads(out)) == 20_000


def test_query_limit_fetches_only_what_it_prints(ws_dir: Path, monkeypatch) -> None:
    fetched: list[str] = []
    original_cursor = Workspace.cursor

    def cursor(self: Workspace):  # type: ignore[no-untyped-def]
        cur = original_cursor(self)
        return _SpyCursor(cur, fetched)

    monkeypatch.setattr(Workspace, "cursor", cursor)
    code, _, err = _query(ws_dir, "SELECT * FROM raw.events", "--limit", "5")
    assert code == 0, err
    mine = [f for f in fetched if f.startswith("SELECT * FROM raw.events:")]
    assert mine == ["SELECT * FROM raw.events: fetchmany"], fetched


class _SpyCursor:
    """Logs each fetch as 'SQL: method' for the statement it reads."""

    def __init__(self, cur, log: list[str]) -> None:  # type: ignore[no-untyped-def]
        self._cur, self._log, self._sql = cur, log, ""

    def execute(self, sql, *a, **k):  # type: ignore[no-untyped-def]
        self._cur.execute(sql, *a, **k)
        self._sql = sql
        return self

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        attr = getattr(self._cur, name)
        if callable(attr) and name.startswith("fetch"):
            self._log.append(f"{self._sql}: {name}")
        return attr


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_query_into_a_closed_pipe_exits_quietly(ws_dir: Path, fmt: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.Popen(
        [sys.executable, "-m", "shoplytics_desktop.cli", "query", "-w", str(ws_dir),
         "SELECT * FROM raw.events", "--format", fmt, "--limit", "100000"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()  # as `| head -1` does
    err = proc.stderr.read().decode()
    code = proc.wait(timeout=60)
    assert code in (0, 141), (code, err)
    assert "unexpected" not in err and "Traceback" not in err and "Exception" not in err, err
