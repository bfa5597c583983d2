"""The pipeline commands: exit codes, one-line errors, outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shoplytics_desktop.cli import main
from shoplytics_desktop.core.workspace import Workspace
from tests.unit.modelproj import PROJECT, write_project
from tests.unit.modelproj import insert_users as _insert


@pytest.fixture
def ws_args(tmp_path: Path) -> list[str]:
    proj = write_project(tmp_path / "proj", PROJECT)
    with Workspace.open(tmp_path / "ws") as ws:
        _insert(ws, ["a", "a", "b", "=1+2"])
    return ["--workspace", str(tmp_path / "ws"), "--models", str(proj)]


def test_run_then_query_models_lineage_docs(ws_args: list[str], tmp_path: Path, capsys) -> None:
    assert main(["run", *ws_args]) == 0
    out = capsys.readouterr().out
    assert "SUCCESS: Built 3 model(s); 3 test(s), 0 warning(s)." in out
    assert main(["query", "--workspace", ws_args[1], "select total from fct_total", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"total": 4}]
    assert main(["models", *ws_args]) == 0
    assert any(line.split() == ["marts.fct_total", "table", "marts.fct_users"] for line in capsys.readouterr().out.splitlines())
    assert main(["lineage", *ws_args, "--format", "json"]) == 0
    graph = json.loads(capsys.readouterr().out)
    assert ["staging.stg_counts", "marts.fct_users"] in graph["edges"]
    assert main(["docs", *ws_args, "--out", str(tmp_path / "docs")]) == 0
    doc = (tmp_path / "docs" / "data_dictionary.md").read_text()
    assert "| `user_id` | VARCHAR | The user. | not_null; unique |" in doc


def test_run_with_error_test_exits_1(ws_args: list[str], tmp_path: Path, capsys) -> None:
    write_project(Path(ws_args[3]), {"marts/fct_users.sql": "select 'x' as user_id, 1 as n, 1 as score from range(2)"})
    assert main(["run", *ws_args]) == 1
    out = capsys.readouterr().out
    assert "ERROR: 1 error-severity test(s) failed. Marts not published" in out
    # nothing was ever published: the tests cannot run, and say why
    assert main(["test", *ws_args]) == 1
    assert "fct_users has not been built yet" in capsys.readouterr().out


def test_query_is_read_only_and_errors_are_one_line(ws_args: list[str], capsys) -> None:
    main(["run", *ws_args])
    capsys.readouterr()
    assert main(["query", "--workspace", ws_args[1], "delete from raw.events"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: The query was refused: DELETE statements are not allowed")
    assert err.count("\n") == 1
    assert main(["query", "--workspace", ws_args[1], "select * from nope"]) == 1
    assert "'nope', which is no table or view of the workspace" in capsys.readouterr().err
    assert main(["query", "--workspace", ws_args[1], "select sum(n) from stg_countz"]) == 1
    assert "Did you mean 'stg_counts'?" in capsys.readouterr().err


def test_export_csv_neutralises_formulas_and_refuses_overwrite(ws_args: list[str], tmp_path: Path, capsys) -> None:
    main(["run", *ws_args])
    out = tmp_path / "out"
    assert main(["export", "--workspace", ws_args[1], "--model", "fct_users", "--format", "csv", "--out", str(out)]) == 0
    text = (out / "fct_users.csv").read_text()
    assert "'=1+2" in text
    assert main(["export", "--workspace", ws_args[1], "--all", "--format", "csv", "--out", str(out)]) == 1
    assert "already exists" in capsys.readouterr().err
    assert main(["export", "--workspace", ws_args[1], "--all", "--format", "parquet", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["fct_total.parquet", "fct_users.csv", "fct_users.parquet"]
    assert main(["export", "--workspace", ws_args[1], "--model", "nope", "--out", str(out)]) == 1


def test_usage_errors_exit_2(capsys) -> None:
    with pytest.raises(SystemExit) as e:
        main(["run", "--bogus"])
    assert e.value.code == 2


def test_locked_workspace_is_one_line(ws_args: list[str], capsys) -> None:
    import subprocess
    import sys

    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb,time; c=duckdb.connect({ws_args[1] + '/warehouse.duckdb'!r}); print('ok', flush=True); time.sleep(30)"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ok"
        assert main(["run", *ws_args]) == 1
        err = capsys.readouterr().err
        assert "is in use by another Shoplytics process" in err and "Traceback" not in err
    finally:
        holder.kill()
        holder.wait()


def test_query_errors_say_to_fix_the_query_and_export_needs_marts(
    ws_args: list[str], tmp_path: Path, capsys
) -> None:
    out = tmp_path / "out"
    # Before any run there are no marts: exporting them all says so (it used to write nothing
    # and succeed).
    assert main(["export", "--workspace", ws_args[1], "--all", "--out", str(out)]) == 1
    assert "nothing to export: the workspace has no marts yet" in capsys.readouterr().err
    assert not out.exists()
    main(["run", *ws_args])
    capsys.readouterr()
    assert main(["query", "--workspace", ws_args[1], "select nosuchcol from raw.events"]) == 1
    err = capsys.readouterr().err
    assert "Fix the query and run it again." in err and "read-only" not in err


def test_docs_never_replaces_a_file_it_did_not_write(
    ws_args: list[str], tmp_path: Path, capsys
) -> None:
    out = tmp_path / "docs"
    out.mkdir()
    (out / "data_dictionary.md").write_text("my notes\n")
    assert main(["docs", *ws_args, "--out", str(out)]) == 1
    assert "was not written by `shoplytics docs`" in capsys.readouterr().err
    assert (out / "data_dictionary.md").read_text() == "my notes\n"
    assert main(["docs", *ws_args, "--out", str(out), "--force"]) == 0
    assert main(["docs", *ws_args, "--out", str(out)]) == 0  # its own file: replaced
    a_file = tmp_path / "afile"
    a_file.write_text("x")
    capsys.readouterr()
    assert main(["docs", *ws_args, "--out", str(a_file)]) == 1
    assert "is a file, not a folder" in capsys.readouterr().err


def test_query_json_is_strict_json(ws_args: list[str], capsys) -> None:
    assert main(["query", "--workspace", ws_args[1], "--format", "json",
                 "select 1/0 as a, 'NaN'::double as b, [1.0, '-inf'::double] as c"]) == 0
    text = capsys.readouterr().out
    assert "NaN" not in text and "Infinity" not in text
    assert json.loads(text) == [{"a": None, "b": None, "c": [1.0, None]}]


def test_models_and_lineage_without_a_workspace_show_the_shipped_graph(tmp_path: Path, capsys) -> None:
    typo = tmp_path / "no-such-ws"
    assert main(["models", "--workspace", str(typo)]) == 0
    out, err = capsys.readouterr()
    assert "marts.fct_daily_engagement" in out and "the models the app ships" in err
    assert main(["lineage", "--workspace", str(typo), "--format", "json"]) == 0
    assert ["staging.stg_events", "intermediate.int_sessions"] in json.loads(capsys.readouterr().out)["edges"]
    assert not typo.exists()


@pytest.mark.parametrize("command", [["test"], ["run"], ["docs", "--out", "d"]])
def test_reading_a_missing_workspace_creates_none(
    tmp_path: Path, capsys, command: list[str]
) -> None:
    typo = tmp_path / "no-such-ws"
    assert main([command[0], "--workspace", str(typo), *command[1:]]) == 1
    err = capsys.readouterr().err
    assert f"There is no workspace at {typo}" in err and "Traceback" not in err
    assert not typo.exists()


def test_query_values_are_written_exactly(ws_args: list[str], capsys) -> None:
    sql = ("select 2026 as y, 0.123456789::double as f, null as n, '' as e, [1, null] as l, "
           "'x'::blob as b, interval 3 day as i")
    assert main(["query", "--workspace", ws_args[1], "--format", "csv", sql]) == 0
    assert capsys.readouterr().out.splitlines()[1] == \
        '2026,0.123456789,,,"[1, null]",\\x78,3 days 00:00:00'
    assert main(["query", "--workspace", ws_args[1], sql]) == 0
    row = capsys.readouterr().out.splitlines()[2].split()
    assert row[:3] == ["2026", "0.123456789", "NULL"]  # no grouping, no rounding, NULL shown


def test_a_run_of_a_project_lacking_built_models_backs_up_first(
    ws_args: list[str], tmp_path: Path, capsys
) -> None:
    # The first project built stg_counts, fct_users and fct_total; one without fct_total drops
    # its table: the command says so and keeps a backup that still has it.
    import duckdb

    assert main(["run", *ws_args]) == 0
    smaller = {k: v for k, v in PROJECT.items() if k != "marts/fct_total.sql"}
    other = write_project(tmp_path / "smaller", smaller)
    capsys.readouterr()
    assert main(["run", "--workspace", ws_args[1], "--models", str(other)]) == 0
    err = capsys.readouterr().err
    assert "lack 1 that earlier runs built (marts.fct_total)" in err and "backed up before" in err
    bak = Path(ws_args[1]) / "warehouse.duckdb.bak"
    con = duckdb.connect()
    con.execute(f"ATTACH '{bak}' AS b (READ_ONLY)")
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = 'b' "
                       "AND schema_name = 'marts' AND table_name = 'fct_total'").fetchone() == (1,)
    con.close()
    with Workspace.open(Path(ws_args[1]), read_only=True) as ws:
        assert not ws.table_exists("marts", "fct_total")
    # The same project again: nothing more to remove, no note.
    assert main(["run", "--workspace", ws_args[1], "--models", str(other)]) == 0
    assert "note:" not in capsys.readouterr().err
