"""Names from files, mappings, the command line and model files are data or refused, never SQL:
hostile column names import into ``properties``, hostile table names and queries change nothing,
and a bad model file is named with its line and column in one line, exit code 1."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from shoplytics_desktop.cli import main
from shoplytics_desktop.core.errors import ImportError_
from shoplytics_desktop.core.ingest import import_events, inspect_sources, propose_mapping
from shoplytics_desktop.core.ingest.mapping import Mapping
from shoplytics_desktop.core.workspace import Workspace
from tests.reliability.support import Snapshot, check_consistent

pytestmark = pytest.mark.reliability

DROP = 'x"; DROP TABLE raw.events; --'
NAMES = [
    DROP,
    "'); DROP TABLE raw.events; --",
    'a"b;c',
    "naïve 列 🚀",
    "_batch_id",  # a lineage column's name
    "event_time; DELETE FROM raw.events",
    "$1",
    "?",
]


def _csv_cell(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def test_hostile_column_names_are_data(ws: Workspace, tmp_path: Path) -> None:
    before = Snapshot.take(ws)
    f = tmp_path / "it's; DROP TABLE raw.events.csv"  # a quote in the file name too
    header = "event_id,event_time,event_type,user_id," + ",".join(_csv_cell(n) for n in NAMES)
    values = ",".join(_csv_cell(f"v{i}'; DROP TABLE raw.events; --") for i in range(len(NAMES)))
    f.write_text(f"{header}\ninj-1,2024-01-01 00:00:00,page_view,u1,{values}\n", encoding="utf-8")
    report = import_events(ws, [f])
    assert report.validation is not None and report.validation.rows_loaded == 1
    row = ws.cursor().execute(
        "SELECT properties, _batch_id, _source_file FROM raw.events WHERE event_id = 'inj-1'"
    ).fetchone()
    assert row is not None
    props, batch, source = row
    assert json.loads(props) == {n: f"v{i}'; DROP TABLE raw.events; --"
                                 for i, n in enumerate(NAMES)}
    assert batch == report.batch_id and source.endswith(f.name)
    check_consistent(ws)
    assert ws.row_count("raw", "events") == before.event_rows + 1


def test_hostile_json_keys_and_event_names(ws: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "e.ndjson"
    rows = [{"event_id": "j1", "ts": "2024-01-01T00:00:00Z", "event": DROP, "user": "u1",
             DROP: 1, "'": {"nested\"": "x"}}]
    f.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    report = import_events(ws, [f])
    assert report.validation is not None and report.validation.rows_loaded == 1
    row = ws.cursor().execute(
        "SELECT event_name, properties FROM raw.events WHERE event_id = 'j1'"
    ).fetchone()
    assert row is not None
    name, props = row
    assert name == DROP
    assert json.loads(props)[DROP] == 1
    assert ws.table_exists("raw", "events")


def test_a_mapping_naming_a_hostile_column_is_refused(ws: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "m.csv"
    f.write_text("when,what,who\n2024-01-01 00:00:00,view,u1\n")
    mapping = propose_mapping(inspect_sources([f]))
    data = mapping.model_dump()
    data["columns"] = {**data["columns"], "user_id": DROP, "event_type": "what"}
    before = Snapshot.take(ws)
    with pytest.raises(ImportError_) as err:
        import_events(ws, [f], Mapping.model_validate(data))
    assert DROP in err.value.message
    assert Snapshot.take(ws) == before


@pytest.mark.parametrize("name", [DROP, "raw.events; DROP TABLE raw.events", "marts.x' OR '1'='1",
                                  "../../etc/passwd"])
def test_export_of_a_hostile_table_name(ws_dir: Path, tmp_path: Path, name: str, capsys) -> None:
    out = tmp_path / "out"
    code = main(["export", "-w", str(ws_dir), "--model", name, "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("error: There is no table") and err.count("\n") == 1, err
    assert not out.exists() or list(out.iterdir()) == []
    with Workspace.open(ws_dir, read_only=True) as ws:
        assert ws.table_exists("raw", "events") and not ws.is_empty()


@pytest.mark.parametrize("sql", ["DROP TABLE raw.events",
                                 "SELECT 1; DROP TABLE raw.events",
                                 f'SELECT * FROM "{DROP}"',
                                 "CREATE TABLE raw.x AS SELECT 1; DELETE FROM raw.events"])
def test_query_cannot_change_the_workspace(ws_dir: Path, sql: str, capsys) -> None:
    with Workspace.open(ws_dir, read_only=True) as ws:
        before = Snapshot.take(ws)
    code = main(["query", "-w", str(ws_dir), sql])
    out = capsys.readouterr()
    assert code == 1 and out.err.startswith("error: The query was refused") and out.err.count("\n") == 1
    with Workspace.open(ws_dir, read_only=True) as ws:
        assert Snapshot.take(ws) == before


def _project(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


BAD_MODELS = {
    "a file named with a space": ({"marts/bad name.sql": "select 1 as x\n"},
                                  "bad name.sql: model names use letters, digits and underscores"),
    "a file named with SQL": ({f"marts/{DROP.replace('/', '')}.sql": "select 1 as x\n"},
                              "model names use letters, digits and underscores"),
    "a syntax error": ({"marts/fct_x.sql": "select user_id,\n  count(* as n\nfrom raw.events\n"},
                       "fct_x.sql: SQL syntax error at line 2, column"),
    "an unknown column": ({"marts/fct_x.sql": "select user_id,\n       nosuch + 1 as n\n"
                                              "from raw.events\n"},
                          "Model fct_x (fct_x.sql) failed at line 2, column 8: Binder Error"),
    "a type error": ({"marts/fct_x.sql": "select user_id\nfrom raw.events\n"
                                         "where user_id = 1 + 'a'::INTEGER\n"},
                     "Model fct_x (fct_x.sql) failed at line 3"),
    "a DROP statement": ({"marts/fct_x.sql": "DROP TABLE raw.events\n"},
                         "a model must be a SELECT"),
    "a misspelt SELECT": ({"marts/fct_x.sql": "-- counts\nselec broken\n"},
                          "found a statement beginning 'selec'"),
    "a dbt template": ({"marts/fct_x.sql": "select * from {{ ref('fct_orders') }}\n"},
                       "models are plain SQL; the template \"{{ ref('fct_orders') }}\""),
    "two statements": ({"marts/fct_x.sql": "select 1 as x; drop table raw.events\n"},
                       "a model holds exactly one SELECT statement"),
    "an unknown table": ({"marts/fct_x.sql": "select * from raw.evnts\n"},
                         "line 1: 'raw.evnts' is neither a model nor a source table"),
}


@pytest.mark.parametrize("kind", list(BAD_MODELS))
def test_bad_model_file_is_one_line_naming_it(ws_dir: Path, tmp_path: Path, kind: str) -> None:
    files, expected = BAD_MODELS[kind]
    proj = _project(tmp_path / "proj", {"staging/stg_ok.sql": "select user_id from raw.events\n",
                                        **files})
    with Workspace.open(ws_dir) as ws:
        before = Snapshot.take(ws)
    out = subprocess.run(
        [sys.executable, "-m", "shoplytics_desktop.cli", "run", "-q", "-w", str(ws_dir),
         "--models", str(proj)], capture_output=True, text=True, timeout=60,
    ) if kind == "a syntax error" else None
    if out is None:  # in-process: faster, same code path
        import contextlib
        import io

        err_buf, out_buf = io.StringIO(), io.StringIO()
        with contextlib.redirect_stderr(err_buf), contextlib.redirect_stdout(out_buf):
            code = main(["run", "-q", "-w", str(ws_dir), "--models", str(proj)])
        stdout, stderr = out_buf.getvalue(), err_buf.getvalue()
    else:
        code, stdout, stderr = out.returncode, out.stdout, out.stderr
    text = (stdout + stderr).strip()
    assert code == 1, text
    assert "Traceback" not in text and text.count("\n") == 0, text
    assert expected in text, text
    with Workspace.open(ws_dir) as ws:
        check_consistent(ws)
        after = Snapshot.take(ws)
        assert ws.table_exists("raw", "events")
    assert (after.raw, after.marts, after.last_published) == (before.raw, before.marts,
                                                               before.last_published)
