"""Data safety: no command, dialog or file loses the user's data (docs/data_safety.md).

Each test reproduces a way data used to be lost: restoring over a healthy database, twice, under
load or from a bad backup; a restore offered for errors a restore cannot fix; demo data deleting
or mixing with imports; impossible settings locking the user out; exports, generated files and
saved mappings overwriting what they should not.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from shoplytics_desktop.cli import main
from shoplytics_desktop.core.backups import BACKUP_FILE, DB_FILE, inspect_database
from shoplytics_desktop.core.errors import (
    GenerateError,
    WorkspaceDamagedError,
    WorkspaceError,
    WorkspaceLockedError,
)
from shoplytics_desktop.core.generate import GenerateSpec, generate_into
from shoplytics_desktop.core.ingest import import_events
from shoplytics_desktop.core.workspace import Workspace
from tests.reliability.conftest import BASE_EVENTS, write_events_csv
from tests.reliability.support import record_figure

pytestmark = pytest.mark.reliability


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _events(folder: Path) -> int:
    with Workspace.open(folder, read_only=True) as ws:
        return ws.row_count("raw", "events")


def _replaced(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob(DB_FILE + ".replaced-*") if not p.name.endswith(".wal"))


def _import(folder: Path, tmp_path: Path, rows: int, prefix: str) -> None:
    src = write_events_csv(tmp_path / f"{prefix}.csv", rows, prefix)
    with Workspace.open(folder) as ws:
        assert import_events(ws, [src]).rows_loaded == rows


# -- restore --------------------------------------------------------------------------------------


def test_a_backup_that_does_not_open_is_never_restored(ws_dir: Path) -> None:
    (ws_dir / BACKUP_FILE).write_bytes(os.urandom(3 * 4096 + 5000))
    before = _digest(ws_dir / DB_FILE)
    with pytest.raises(WorkspaceError, match="cannot be restored"):
        Workspace.restore_backup(ws_dir)
    assert _digest(ws_dir / DB_FILE) == before
    assert _replaced(ws_dir) == []
    # a DuckDB file that is no workspace is refused the same way
    import duckdb

    (ws_dir / BACKUP_FILE).unlink()
    duckdb.connect(str(ws_dir / BACKUP_FILE)).close()
    with pytest.raises(WorkspaceError, match="not a Shoplytics workspace"):
        Workspace.restore_backup(ws_dir)
    assert _digest(ws_dir / DB_FILE) == before
    record_figure("data safety", ["restore from a bad backup"])


def test_restoring_twice_keeps_every_replaced_database(ws_dir: Path, tmp_path: Path) -> None:
    with Workspace.open(ws_dir) as ws:
        ws.backup()
    _import(ws_dir, tmp_path, 700, "a-")
    first = Workspace.restore_backup(ws_dir)
    assert _events(ws_dir) == BASE_EVENTS
    _import(ws_dir, tmp_path, 300, "b-")
    second = Workspace.restore_backup(ws_dir)
    assert _events(ws_dir) == BASE_EVENTS
    assert first.kept_as and second.kept_as and first.kept_as != second.kept_as
    assert inspect_database(first.kept_as).events == BASE_EVENTS + 700
    assert inspect_database(second.kept_as).events == BASE_EVENTS + 300
    # and a third time with nothing changed still overwrites nothing
    third = Workspace.restore_backup(ws_dir)
    assert len({first.kept_as, second.kept_as, third.kept_as}) == 3
    record_figure("data safety", ["restore twice"])



@pytest.mark.parametrize("killed_after", [1, 2])
def test_a_restore_killed_between_its_renames_is_settled_on_open(
    ws_dir: Path, tmp_path: Path, killed_after: int
) -> None:
    """restore_backup renames the WAL aside, then the database, then the backup's copy into
    place. Killed after the first rename, the database would open without its last writes;
    after the second, there would be no database and an empty one would be made. The next
    open settles it: the WAL goes back (the 700 events imported after the backup are there),
    or the restore is finished (the backup's events)."""
    with Workspace.open(ws_dir) as ws:
        ws.backup()
    # A process killed with unwritten writes: the import's commit is in the WAL only.
    code = textwrap.dedent(f"""
        import os, sys
        from pathlib import Path
        from shoplytics_desktop.core.ingest import import_events
        from shoplytics_desktop.core.workspace import Workspace
        ws = Workspace.open(Path({str(ws_dir)!r}))
        ws.cursor().execute("SET checkpoint_threshold = '1TB'")
        import_events(ws, [Path({str(write_events_csv(tmp_path / "w.csv", 700, "w-"))!r})])
        os._exit(0)
    """)
    subprocess.run([sys.executable, "-c", code], check=True)
    assert (ws_dir / (DB_FILE + ".wal")).exists()
    # The restore, in a process that dies (os._exit: no cleanup runs) after that many renames.
    restore = textwrap.dedent(f"""
        import os
        from pathlib import Path
        import shoplytics_desktop.core.backups as backups
        real, calls = os.replace, []
        def dying(src, dst):
            calls.append(src)
            if len(calls) > {killed_after}:
                os._exit(9)
            real(src, dst)
        backups.os.replace = dying
        backups.restore_backup(Path({str(ws_dir)!r}))
    """)
    assert subprocess.run([sys.executable, "-c", restore], check=False).returncode == 9
    # What the kill left: the WAL aside (and the database too, after the second rename).
    assert (ws_dir / DB_FILE).exists() == (killed_after == 1)
    assert (ws_dir / (DB_FILE + ".restoring")).exists()
    with Workspace.open(ws_dir) as ws:
        events = ws.row_count("raw", "events")
    assert events == (BASE_EVENTS + 700 if killed_after == 1 else BASE_EVENTS)
    assert not (ws_dir / (DB_FILE + ".restoring")).exists()
    if killed_after == 2:
        kept = _replaced(ws_dir)
        assert len(kept) == 1 and inspect_database(kept[0]).events == BASE_EVENTS + 700
    record_figure("data safety", [f"restore killed after rename {killed_after}"])

_HOLDER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from shoplytics_desktop.core.workspace import Workspace
    with Workspace.open(Path(sys.argv[1])) as ws:
        print("ready", flush=True)
        sys.stdin.readline()
        ws.cursor().execute("CREATE TABLE raw.written_while_held AS SELECT 1 AS v")
    print("done", flush=True)
    """
)


def test_restore_refuses_while_another_process_writes(ws_dir: Path) -> None:
    with Workspace.open(ws_dir) as ws:
        ws.backup()
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(ws_dir)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        before = _digest(ws_dir / DB_FILE)
        with pytest.raises(WorkspaceLockedError):
            Workspace.restore_backup(ws_dir)
        assert main(["restore-backup", "--yes", "-w", str(ws_dir)]) == 1
        assert _digest(ws_dir / DB_FILE) == before and _replaced(ws_dir) == []
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "done"
    finally:
        holder.wait(timeout=30)
    # what the other process wrote is in the database, not in a side copy
    with Workspace.open(ws_dir, read_only=True) as ws:
        assert ws.table_exists("raw", "written_while_held")
    record_figure("data safety", ["restore under another process's lock"])


def test_the_command_asks_before_replacing_a_database_that_opens(
    ws_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Workspace.open(ws_dir) as ws:
        ws.backup()
    _import(ws_dir, tmp_path, 400, "c-")
    before = _digest(ws_dir / DB_FILE)
    assert main(["restore-backup", "-w", str(ws_dir)]) == 1  # no terminal to ask on
    out = capsys.readouterr()
    assert "opens fine" in out.err and "--yes" in out.err
    assert f"{BASE_EVENTS + 400:,} events" in out.out and f"{BASE_EVENTS:,} events" in out.out
    assert _digest(ws_dir / DB_FILE) == before and _replaced(ws_dir) == []
    assert main(["restore-backup", "--yes", "-w", str(ws_dir)]) == 0
    assert "kept as" in capsys.readouterr().out
    assert _events(ws_dir) == BASE_EVENTS
    assert inspect_database(_replaced(ws_dir)[0]).events == BASE_EVENTS + 400
    record_figure("data safety", ["restore over a healthy database"])


def test_the_app_offers_a_restore_only_for_a_damaged_database(qtbot, ws_dir: Path) -> None:
    from shoplytics_desktop.ui.workspace_open import Opener, restore_box

    with Workspace.open(ws_dir) as ws:
        ws.backup()
    asked: list[str] = []
    opener = Opener(None)
    opener.confirm_restore = lambda f, e: asked.append(e.message) or False
    settings = ws_dir / "settings.json"
    for text in ("{not json", json.dumps({"memory_limit": "9999999999999GB"}),
                 json.dumps({"threads": "many", "currency": "EURO"})):
        settings.write_text(text)
        ws = opener.open(ws_dir)
        assert ws is not None, opener.last_error
        assert ws.settings_warnings and ws.row_count("raw", "events") == BASE_EVENTS
        ws.close()
    assert asked == []
    # a damaged file is offered its backup, and the question's default keeps the files
    settings.unlink()
    (ws_dir / DB_FILE).write_bytes(b"damaged" * 2000)
    assert opener.open(ws_dir) is None and len(asked) == 1
    assert isinstance(opener.last_error, WorkspaceDamagedError)
    box, restore = restore_box(None, ws_dir, opener.last_error)
    assert box.defaultButton() is not restore
    assert f"{BASE_EVENTS:,} events" in box.informativeText()
    assert (ws_dir / DB_FILE).read_bytes() == b"damaged" * 2000
    from PySide6.QtWidgets import QApplication, QMessageBox

    for shown in QApplication.topLevelWidgets():  # the error the declined restore reported
        if isinstance(shown, QMessageBox):
            shown.close()
    record_figure("data safety", ["restore offered only for damage"])


def test_a_damaged_data_block_names_the_damage_and_the_backup(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "ws"
    with Workspace.open(folder) as ws:
        ws.cursor().execute(
            "CREATE TABLE raw.big AS SELECT i, md5(i::VARCHAR) AS h FROM range(1500000) t(i)")
        ws.backup()
    db = folder / DB_FILE
    size = db.stat().st_size
    with db.open("r+b") as fh:  # garbage over data blocks, past the headers and catalog
        fh.seek(size // 2)
        fh.write(os.urandom(size // 4))
    for argv in (["query", "SELECT max(h) FROM raw.big"],
                 ["export", "--model", "raw.big", "--out", str(tmp_path / "out")]):
        assert main([*argv, "-w", str(folder)]) == 1
        err = capsys.readouterr().err
        assert "damaged" in err and "restore-backup" in err and "unexpected" not in err, err
    record_figure("data safety", ["damaged data block"])


# -- demo data and imports ----------------------------------------------------------------------


def test_demo_never_deletes_or_mixes_with_imported_data(
    ws_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _import(ws_dir, tmp_path, 900, "imp-")
    small = ["--events", "3000", "--days", "10"]
    for argv in (["demo", *small], ["generate", *small, "--seed", "9"],
                 ["generate", *small, "--replace"]):
        assert main([*argv, "-w", str(ws_dir)]) == 1
        err = capsys.readouterr().err
        assert "holds imported data" in err and "--replace-imports" in err and "-demo" in err
        assert _events(ws_dir) == BASE_EVENTS + 900
    # asked for explicitly, the imports go, after a verified backup that holds them
    assert main(["demo", *small, "--replace-imports", "-w", str(ws_dir)]) == 0
    assert "backed up in" in capsys.readouterr().out
    assert _events(ws_dir) == 3000
    assert inspect_database(ws_dir / BACKUP_FILE).events == BASE_EVENTS + 900
    record_figure("data safety", ["demo over imports"])


def test_a_shops_files_never_mix_with_demo_data(
    ws_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # ws_dir holds 20,000 generated events: an import is refused, and with --replace-demo the
    # demo data goes in the import's own transaction, after a backup that holds it.
    src = write_events_csv(tmp_path / "shop.csv", 800, "shop-")
    assert main(["import", "-q", "-w", str(ws_dir), str(src)]) == 1
    err = capsys.readouterr().err
    assert "holds demo data (20,000 generated events)" in err and "--replace-demo" in err
    assert _events(ws_dir) == BASE_EVENTS
    assert main(["import", "-q", "--replace-demo", "-w", str(ws_dir), str(src)]) == 0
    assert "demo data (20,000 generated events) was deleted first" in capsys.readouterr().out
    assert _events(ws_dir) == 800
    assert inspect_database(ws_dir / BACKUP_FILE).events == BASE_EVENTS
    # A failed import takes nothing: the demo data stays when the files cannot be loaded.
    with Workspace.open(ws_dir) as ws:
        generate_into(ws, GenerateSpec(events=2000, days=5, seed=4), replace_imports=True)
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    assert main(["import", "-q", "--replace-demo", "-w", str(ws_dir), str(bad)]) == 1
    capsys.readouterr()
    assert _events(ws_dir) == 2000
    record_figure("data safety", ["imports over demo data"])


def test_a_damaged_block_met_by_a_data_test_is_said_as_damage() -> None:
    # The tests read the marts: a damaged block there is the file's damage (said with the
    # restore the workspace offers), not 128 tests that "could not run".
    import duckdb

    from shoplytics_desktop.core.models.datatests import run_test
    from shoplytics_desktop.core.models.project import DataTest

    class Damaged:
        def execute(self, *_a: object) -> None:
            raise duckdb.IOException("Corrupt database file: computed checksum 1 does not match")

    test = DataTest("not_null_t_x", "not_null", "t", "x", "error")
    with pytest.raises(duckdb.IOException, match="Corrupt database file"):
        run_test(Damaged(), test, {}, "SELECT 1")  # type: ignore[arg-type]

def test_replacing_generated_data_keeps_a_backup(ws_dir: Path) -> None:
    with Workspace.open(ws_dir) as ws:
        generate_into(ws, GenerateSpec(events=2000, days=5, seed=1))
        summary = generate_into(ws, GenerateSpec(events=1000, days=5, seed=2), replace=True)
        assert summary.removed_batches == 2 and summary.backup is not None
        assert ws.row_count("raw", "events") == 1000
    assert inspect_database(ws_dir / BACKUP_FILE).events == BASE_EVENTS + 2000
    with Workspace.open(ws_dir) as ws, pytest.raises(GenerateError):
        # a workspace with imports refuses generated data, even without --replace
        ws.cursor().execute(
            "INSERT INTO _shoplytics.batches (batch_id, kind, status, rows_loaded) "
            "VALUES ('x', 'events', 'loaded', 5)")
        generate_into(ws, GenerateSpec(events=1000, days=5, seed=3))


def test_the_generate_wizard_puts_demo_data_in_a_separate_workspace(
    qtbot, ws_dir: Path, tmp_path: Path
) -> None:
    from shoplytics_desktop.ui.generate_wizard import GenerateWizard

    _import(ws_dir, tmp_path, 600, "wiz-")
    with Workspace.open(ws_dir) as ws:
        wizard = GenerateWizard(ws)
        qtbot.addWidget(wizard)
        params = wizard.params
        assert not params.to_demo.isHidden() and not params.imports_note.isHidden()
        assert "600 events" in params.imports_note.text()
        assert params.to_demo.isChecked() and not params.replace_imports.isChecked()
        assert params.replace.isHidden()
        params.events.setValue(5000)
        params.days.setValue(7)
        fn, args, options = params.job()
        summary = fn(*args, **options)
        assert ws.row_count("raw", "events") == BASE_EVENTS + 600
    assert summary.events == 5000
    assert _events(params.demo_folder) == 5000
    record_figure("data safety", ["generate wizard over imports"])


# -- settings -----------------------------------------------------------------------------------


def test_an_impossible_memory_limit_is_refused_and_never_locks_the_user_out(
    ws_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = ["-w", str(ws_dir)]
    assert main(["settings", *w, "memory_limit=9999999999999GB"]) == 1
    assert "memory_limit" in capsys.readouterr().err
    # (the new workspace stored only its time zone, the computer's)
    assert json.loads((ws_dir / "settings.json").read_text())["memory_limit"] is None
    # written by hand (or by an older version), it names itself and every command still works
    (ws_dir / "settings.json").write_text(json.dumps({"memory_limit": "9999999999999GB",
                                                      "session_timeout_minutes": 45}))
    for argv in (["info"], ["run"], ["settings"]):
        assert main([*argv, *w]) == 0
        err = capsys.readouterr().err
        assert "memory_limit" in err and "9999999999999GB" in err
    assert main(["settings", *w, "memory_limit=2GB"]) == 0
    capsys.readouterr()
    assert json.loads((ws_dir / "settings.json").read_text())["memory_limit"] == "2GB"
    assert json.loads((ws_dir / "settings.json").read_text())["session_timeout_minutes"] == 45
    assert main(["info", *w]) == 0 and "warning" not in capsys.readouterr().err
    record_figure("data safety", ["impossible memory setting"])


# -- files written ------------------------------------------------------------------------------


def test_an_export_that_cannot_replace_one_file_replaces_none(
    ws_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from shoplytics_desktop.core import export as export_mod

    out = tmp_path / "out"
    w = ["-w", str(ws_dir)]
    assert main(["export", "--all", "--out", str(out), *w]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert len(before) >= 5
    real = os.replace
    calls = {"n": 0}

    refused: list[str] = []

    def flaky(src: object, dst: object) -> None:
        if str(src).endswith(".partial"):
            calls["n"] += 1
            if calls["n"] == 3:
                refused.append(Path(str(dst)).name)
                raise PermissionError(1, "Operation not permitted")
        real(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(export_mod.os, "replace", flaky)
    with Workspace.open(ws_dir) as ws:
        ws.cursor().execute("UPDATE marts.fct_orders SET revenue = revenue + 1")
    capsys.readouterr()
    assert main(["export", "--all", "--force", "--out", str(out), *w]) == 1
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    # The message names the file that could not be put in place, not the first one.
    assert f"put the export in place as {out / refused[0]}:" in capsys.readouterr().err
    monkeypatch.setattr(export_mod.os, "replace", real)
    # a folder in the way is refused before anything is written
    (out / "fct_orders.csv").unlink()
    (out / "fct_orders.csv").mkdir()
    assert main(["export", "--all", "--force", "--out", str(out), *w]) == 1
    assert sorted(p.name for p in out.iterdir()) == sorted(before)
    record_figure("data safety", ["export --force with a file that cannot be replaced"])


def test_generated_files_and_saved_mappings_never_overwrite_other_files(
    ws_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "gen"
    out.mkdir()
    (out / "events.parquet").write_bytes(b"my own file")
    gen = ["generate", "--events", "2000", "--days", "5", "--out", str(out), "-q"]
    assert main(gen) == 1
    assert "--force" in capsys.readouterr().err
    assert (out / "events.parquet").read_bytes() == b"my own file"
    assert not (out / "products.parquet").exists()
    assert main([*gen, "--force"]) == 0
    assert (out / "events.parquet").read_bytes() != b"my own file"

    src = write_events_csv(tmp_path / "shop.csv", 50, "m-")
    csv_before = src.read_bytes()
    db_before = _digest(ws_dir / DB_FILE)
    for target in (src, ws_dir / DB_FILE):
        argv = ["import", str(src), "--dry-run", "--save-mapping", str(target), "-w", str(ws_dir)]
        assert main(argv) == 1
        assert "is not a mapping file" in capsys.readouterr().err
    assert src.read_bytes() == csv_before and _digest(ws_dir / DB_FILE) == db_before
    mapping = tmp_path / "m.yaml"
    for _ in range(2):  # a mapping file is replaced by a newer one
        argv = ["import", str(src), "--dry-run", "--save-mapping", str(mapping), "-w", str(ws_dir)]
        assert main(argv) == 0
    assert "columns:" in mapping.read_text()
    record_figure("data safety", ["generate --out and --save-mapping over other files"])


def test_a_backup_copy_cut_short_is_removed_on_open(ws_dir: Path) -> None:
    # A process killed while it copied the backup leaves a copy as big as the database; the
    # previous backup is untouched, and the next writer removes the copy.
    partial = ws_dir / (BACKUP_FILE + ".partial")
    partial.write_bytes(b"\0" * 100_000)
    with Workspace.open(ws_dir):
        pass
    assert not partial.exists()
