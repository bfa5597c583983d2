"""The workspace: schemas, settings, locking, damaged files, backups, interrupted runs."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from shoplytics_desktop.core import contract
from shoplytics_desktop.core.errors import WorkspaceError, WorkspaceLockedError
from shoplytics_desktop.core.settings import WorkspaceSettings, load_settings
from shoplytics_desktop.core.workspace import ROW_GROUP_SIZE, Workspace


def test_new_workspace_has_schemas_and_contract_tables(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "ws") as ws:
        schemas = {r[0] for r in ws.cursor().execute("select schema_name from duckdb_schemas()").fetchall()}
        assert {"raw", "staging", "intermediate", "marts", "_shoplytics"} <= schemas
        cols = ws.cursor().execute(
            "select column_name, data_type, is_nullable from information_schema.columns "
            "where table_schema = 'raw' and table_name = 'events' order by ordinal_position"
        ).fetchall()
        names = [c[0] for c in cols]
        # Contract columns first, lineage after them, then the columns later schema versions added
        assert names == [c.name for c in contract.RAW_TABLES["raw.events"]]
        assert set(contract.EVENT_COLUMN_NAMES) <= set(names)
        types = {c[0]: (c[1], c[2]) for c in cols}
        assert types["price"] == ("DECIMAL(12,2)", "YES")
        assert types["event_time"] == ("TIMESTAMP", "NO")
        assert types["quantity"] == ("INTEGER", "NO")
        assert ws.is_empty()


def test_read_only_open_of_missing_workspace_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="has no data yet"):
        Workspace.open(tmp_path / "none", read_only=True)


def test_second_process_gets_one_clear_sentence(tmp_path: Path) -> None:
    folder = tmp_path / "ws"
    with Workspace.open(folder):
        code = textwrap.dedent(
            f"""
            from shoplytics_desktop.core.workspace import Workspace
            from shoplytics_desktop.core.errors import WorkspaceLockedError
            for ro in (False, True):
                try:
                    Workspace.open({str(folder)!r}, read_only=ro)
                except WorkspaceLockedError as e:
                    print(e.one_line())
            """
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 2
    assert "is in use by another Shoplytics process (process" in lines[0]
    # On this platform a read-only open is refused as well: neither line suggests it.
    assert all(line.endswith("Let its work finish or close it there, then try again.")
               for line in lines)
    assert "Traceback" not in out.stderr


def test_the_same_workspace_opened_twice_in_one_process_is_a_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "ws"
    with Workspace.open(folder):
        for read_only in (False, True):
            with pytest.raises(WorkspaceLockedError, match="already open in this process"):
                Workspace.open(folder, read_only=read_only)
    with Workspace.open(folder, read_only=True) as ws:  # and once closed, it opens again
        assert ws.cursor().execute("select current_database()").fetchone() == ("warehouse",)


def test_tables_are_written_in_small_row_groups_on_every_cursor(tmp_path: Path) -> None:
    """Full row groups are written while a table is built; only the last one waits for COMMIT."""
    import threading

    rows = 2 * ROW_GROUP_SIZE + 100
    with Workspace.open(tmp_path / "ws") as ws:
        ws.cursor().execute(f"create table marts.a as select range as i from range({rows})")

        def other_thread() -> None:
            ws.cursor().execute(f"create table marts.b as select range as i from range({rows})")

        t = threading.Thread(target=other_thread)
        t.start()
        t.join()
        for table in ("marts.a", "marts.b"):
            sizes = ws.cursor().execute(
                "select row_group_id, max(count) from pragma_storage_info(?) group by all "
                "order by 1",
                [table],
            ).fetchall()
            assert [n for _, n in sizes] == [ROW_GROUP_SIZE, ROW_GROUP_SIZE, 100]


def test_a_folder_duckdb_cannot_hold_a_database_in_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "shop?v=2"
    with pytest.raises(WorkspaceError, match=r"has a '\?' in its path"):
        Workspace.open(folder)
    assert not folder.exists()



@pytest.mark.parametrize("name", ["md:shop", "s3://bucket/shop", "http://example.com/x", "sqlite:x"])
def test_folder_names_that_look_like_services_are_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    # DuckDB reads a database name starting md:, s3://, http:// or sqlite: as a service or an
    # extension's format (and would download the extension): a workspace is a folder, always.
    monkeypatch.chdir(tmp_path)
    with Workspace.open(name) as ws:
        ws.cursor().execute("CREATE TABLE main.t AS SELECT 1 AS x")
        assert ws.db_path.resolve().is_relative_to(tmp_path)
    assert (Path(name) / "warehouse.duckdb").is_file()


def test_damaged_file_is_reported_and_backup_restores(tmp_path: Path) -> None:
    folder = tmp_path / "ws"
    with Workspace.open(folder) as ws:
        ws.cursor().execute("create table marts.keep as select 42 as answer")
        ws.backup()
    (folder / "warehouse.duckdb").write_bytes(b"this is not a database" * 100)
    with pytest.raises(WorkspaceError, match="damaged or not a DuckDB database") as err:
        Workspace.open(folder)
    assert not isinstance(err.value, WorkspaceLockedError)
    result = Workspace.restore_backup(folder)
    with Workspace.open(folder, read_only=True) as ws:
        assert ws.cursor().execute("select answer from marts.keep").fetchone() == (42,)
    assert result.kept_as is not None and result.kept_as.name.startswith("warehouse.duckdb.replaced-")
    assert result.kept_as.read_bytes() == b"this is not a database" * 100


def test_unwritable_folder(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(WorkspaceError, match="Cannot create the workspace folder"):
        Workspace.open(blocker / "ws")


def test_runs_left_running_by_a_dead_process_become_interrupted(tmp_path: Path) -> None:
    folder = tmp_path / "ws"
    with Workspace.open(folder) as ws:
        ws.cursor().execute(
            "insert into _shoplytics.runs values ('r1', 'run', '', '', now(), null, 'running', null)"
        )
    with Workspace.open(folder) as ws:
        assert ws.cursor().execute("select status from _shoplytics.runs").fetchone() == ("interrupted",)


def test_settings_round_trip_and_bad_file(tmp_path: Path) -> None:
    folder = tmp_path / "ws"
    with Workspace.open(folder) as ws:
        ws.settings = WorkspaceSettings(memory_limit="2GB", session_timeout_minutes=45)
        ws.save_settings()
    assert load_settings(folder).session_timeout_minutes == 45
    with Workspace.open(folder) as ws:
        assert ws.cursor().execute("select current_setting('memory_limit')").fetchone()[0].startswith("1.8")
    (folder / "settings.json").write_text("{not json")
    with Workspace.open(folder) as ws:  # opens with defaults, and says why
        assert ws.settings == WorkspaceSettings()
        assert len(ws.settings_warnings) == 1 and "settings file" in ws.settings_warnings[0]
    # Saving keeps the user's unreadable text; a second one never overwrites the first.
    for text in ("{not json", "{still not"):
        (folder / "settings.json").write_text(text)
        with Workspace.open(folder) as ws:
            ws.save_settings()
    assert (folder / "settings.json.invalid").read_text() == "{not json"
    assert (folder / "settings.json.invalid-2").read_text() == "{still not"


def test_cli_restore_backup_and_backup_on_model_project_switch(tmp_path: Path, capsys) -> None:
    from shoplytics_desktop.cli import main

    folder = tmp_path / "ws"
    with Workspace.open(folder) as ws:
        ws.cursor().execute("create table marts.keep as select 1 as v")
    assert not (folder / "warehouse.duckdb.bak").exists()
    assert main(["settings", "-w", str(folder), f"models_dir={tmp_path / 'models'}"]) == 0
    assert (folder / "warehouse.duckdb.bak").exists()  # switching projects keeps a backup
    (folder / "warehouse.duckdb").write_bytes(b"broken" * 100)
    assert main(["info", "-w", str(folder)]) == 1
    assert "restore" in capsys.readouterr().err.lower()
    assert main(["restore-backup", "-w", str(folder)]) == 0
    assert "restored" in capsys.readouterr().out
    with Workspace.open(folder, read_only=True) as ws:
        assert ws.cursor().execute("select v from marts.keep").fetchone() == (1,)
    assert main(["restore-backup", "-w", str(tmp_path / "nothing")]) == 1


def test_reopening_skips_the_ddl_only_when_every_table_exists(tmp_path: Path) -> None:
    from shoplytics_desktop.core import workspace as W

    with Workspace.open(tmp_path / "ws") as ws:
        created = {
            f"{s}.{t}"
            for s, t in ws.cursor()
            .execute("select schema_name, table_name from duckdb_tables() where schema_name in ('raw', '_shoplytics')")
            .fetchall()
        }
        assert created == W._EXPECTED_TABLES
        ws.cursor().execute("drop table raw.users")
    with Workspace.open(tmp_path / "ws") as ws:  # a missing table is created again
        assert ws.cursor().execute("select count(*) from raw.users").fetchone() == (0,)


def test_memory_budget_caps_and_restores_duckdb_memory(tmp_path: Path) -> None:
    from shoplytics_desktop.core.settings import WorkspaceSettings, memory_bytes, save_settings

    assert memory_bytes("512MB") == 512_000_000 and memory_bytes("1.5 GiB") == 3 * 2**29
    limit = "select current_setting('memory_limit')"
    with Workspace.open(tmp_path / "a") as ws:
        default = ws.cursor().execute(limit).fetchone()
        with ws.memory_budget("512MB"):
            assert ws.cursor().execute(limit).fetchone() == ("488.2 MiB",)
        assert ws.cursor().execute(limit).fetchone() == default
    save_settings(tmp_path / "b", WorkspaceSettings(memory_limit="256MB"))
    with Workspace.open(tmp_path / "b") as ws:
        own = ws.cursor().execute(limit).fetchone()
        with ws.memory_budget("512MB"):  # never above the workspace's own limit
            assert ws.cursor().execute(limit).fetchone() == own
    with pytest.raises(ValueError, match="import_memory_limit: write a size such as 512MB"):
        WorkspaceSettings(import_memory_limit="lots")


def test_without_a_setting_duckdb_gets_a_quarter_of_the_machine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shoplytics_desktop.core import settings

    limit = "select current_setting('memory_limit')"
    monkeypatch.setattr(settings, "physical_memory", lambda: 24 * 2**30)
    assert settings.default_memory_limit() == "6144MiB"
    with Workspace.open(tmp_path / "a") as ws:
        assert ws.memory_limit == "6144MiB"
        assert ws.cursor().execute(limit).fetchone() == ("6.0 GiB",)
        with ws.memory_budget("512MB"):
            assert ws.cursor().execute(limit).fetchone() == ("488.2 MiB",)
        assert ws.cursor().execute(limit).fetchone() == ("6.0 GiB",)
    # A small machine: at least 2 GiB; a tiny one: never more than 80 % of it.
    monkeypatch.setattr(settings, "physical_memory", lambda: 4 * 2**30)
    assert settings.default_memory_limit() == "2048MiB"
    monkeypatch.setattr(settings, "physical_memory", lambda: 2 * 2**30)
    assert settings.default_memory_limit() == "1638MiB"
    monkeypatch.setattr(settings, "physical_memory", lambda: None)
    assert settings.default_memory_limit() is None
    with Workspace.open(tmp_path / "a") as ws:  # DuckDB's own default, where memory is unknown
        assert ws.memory_limit is None


def test_settings_are_checked_and_coerced(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from shoplytics_desktop.cli import main
    from shoplytics_desktop.core.settings import SettingsError

    s = WorkspaceSettings.from_dict(
        {"threads": "2", "session_timeout_minutes": "45", "currency": "", "memory_limit": " 4GB ",
         "unknown": 1}
    )
    assert (s.threads, s.session_timeout_minutes, s.currency, s.memory_limit) == (2, 45, "USD", "4GB")
    with pytest.raises(SettingsError) as err:
        WorkspaceSettings.from_dict({"threads": 0, "session_timeout_minutes": "soon", "currency": "EURO"})
    assert [k for k, _ in err.value.problems] == ["threads", "session_timeout_minutes", "currency"]
    folder = tmp_path / "ws"
    assert main(["settings", "-w", str(folder), "threads=3", "session_timeout_minutes=20"]) == 0
    assert load_settings(folder).to_dict()["threads"] == 3
    assert main(["settings", "-w", str(folder), "session_timeout_minutes=0"]) == 1
    err_text = capsys.readouterr().err
    assert "session_timeout_minutes: a whole number from 1 to 1440 is needed" in err_text
    assert load_settings(folder).session_timeout_minutes == 20  # nothing changed


def test_a_setting_is_restored_through_interrupts() -> None:
    import duckdb

    from shoplytics_desktop.core.workspace import restore_setting

    class Hammered:  # a cursor a Cancel interrupts twice before the statement gets through
        def __init__(self) -> None:
            self.calls: list[str] = []

        def execute(self, sql: str) -> None:
            self.calls.append(sql)
            if len(self.calls) <= 2:
                raise duckdb.InterruptException("INTERRUPT Error: Interrupted!")

    cur = Hammered()
    restore_setting(cur, "RESET memory_limit")  # type: ignore[arg-type]
    assert cur.calls == ["RESET memory_limit"] * 3


def test_settings_duckdb_must_judge_are_checked_and_defaults_open_no_database(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """DuckDB judges the memory sizes, thread counts and time zone names a workspace sets; with
    every one of them at its default (and UTC), no throw-away database is opened for it."""
    import duckdb

    from shoplytics_desktop.core import settings

    problems = settings.duckdb_problems(WorkspaceSettings(
        memory_limit="9999999999999GB", import_memory_limit="9999999999999GB", threads=4,
        time_zone="Europe/Berlin"))
    assert [key for key, _ in problems] == ["memory_limit", "import_memory_limit"]
    assert settings.duckdb_problems(WorkspaceSettings(time_zone="America/St_Johns")) == []
    opened: list[str] = []
    real = duckdb.connect
    monkeypatch.setattr(duckdb, "connect", lambda *a, **k: opened.append("db") or real(*a, **k))
    assert settings.duckdb_problems(WorkspaceSettings()) == []
    assert opened == []
    assert settings.duckdb_problems(WorkspaceSettings(threads=2)) == []
    assert opened == ["db"]


def _wal_bytes(ws: Workspace) -> int:
    return ws.wal_path.stat().st_size if ws.wal_path.exists() else 0


def test_a_commit_leaves_its_changes_in_the_log_until_a_checkpoint(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "ws") as ws:
        cur = ws.cursor()
        # DuckDB's 16 MB default would checkpoint an update of a 10M-event workspace inside
        # its commit; the workspace raises it and checkpoints when the app is idle.
        assert cur.execute("SELECT current_setting('checkpoint_threshold')").fetchone() == (
            "256.0 MiB",)
        ws.checkpoint()
        assert _wal_bytes(ws) == 0 and ws.checkpoint() is False  # nothing to write
        cur.execute("CREATE TABLE main.t AS SELECT range AS i FROM range(1000)")
        cur.execute("DELETE FROM main.t WHERE i % 2 = 0")
        assert _wal_bytes(ws) > 0
        assert ws.checkpoint() is True
        assert _wal_bytes(ws) == 0
        assert cur.execute("SELECT count(*), sum(i) FROM main.t").fetchone() == (500, 250000)
    with Workspace.open(tmp_path / "ws", read_only=True) as ro:
        assert ro.checkpoint() is False
        assert ro.cursor().execute("SELECT count(*) FROM main.t").fetchone() == (500,)


def test_changes_in_the_log_survive_a_killed_process(tmp_path: Path) -> None:
    folder = tmp_path / "ws"
    code = textwrap.dedent(f"""
        import os
        from shoplytics_desktop.core.workspace import Workspace
        ws = Workspace.open({str(folder)!r})
        cur = ws.cursor()
        cur.execute("CREATE TABLE main.t AS SELECT range AS i FROM range(1000)")
        cur.execute("DELETE FROM main.t WHERE i >= 10")
        print(ws.wal_path.stat().st_size, flush=True)
        os._exit(9)  # no close, no checkpoint
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 9 and int(out.stdout.split()[0]) > 0, out.stderr
    with Workspace.open(folder) as ws:
        assert ws.cursor().execute("SELECT count(*), max(i) FROM main.t").fetchone() == (10, 9)


@pytest.mark.parametrize(("code", "hint"), [
    (errno.EACCES, "Make the workspace folder writable"),
    (errno.ENOSPC, "Free some disk space"),
])
def test_a_backup_that_cannot_be_written_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, hint: str
) -> None:
    from shoplytics_desktop.core import backups

    def refuse(src: Path, dst: Path) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(backups, "copy_file", refuse)
    with Workspace.open(tmp_path / "ws") as ws, pytest.raises(WorkspaceError) as info:
        ws.backup()
    assert info.value.hint.startswith(hint) and "nothing was changed" in info.value.hint
    assert not (tmp_path / "ws" / "warehouse.duckdb.bak").exists()
