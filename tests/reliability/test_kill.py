"""SIGKILL in the middle of an import, a model run and an export.

After every kill the workspace must open, hold exactly the batches that committed (no row of an
unrecorded batch, each batch as many rows as it says), show the marts of the last published build,
record the killed run as 'interrupted', and leave no export file under its final name unless it
is complete. A killed export may leave its hidden ``.<name>.partial`` file (nothing in a process
survives SIGKILL to remove it); it never carries the target name, and the next export of the
same table replaces and removes it.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from shoplytics_desktop.core.export import export_tables
from shoplytics_desktop.core.sqlutil import quote_literal
from shoplytics_desktop.core.workspace import Workspace
from tests.reliability.children import (
    export_child,
    generate_child,
    import_child,
    kill_when,
    run_child,
)
from tests.reliability.conftest import write_events_csv
from tests.reliability.support import Snapshot, check_consistent, record_figure

pytestmark = pytest.mark.reliability

IMPORT_ROWS = 200_000
LOAD_STEP = "Mapping, validating and loading"
# (progress message to wait for, seconds to wait after it); loading 200,000 rows takes 0.4-0.6 s.
IMPORT_KILLS = [
    ("opened", 0.0),
    ("Inspecting the files", 0.0),
    ("Reading", 0.05),
    (LOAD_STEP, 0.0),
    (LOAD_STEP, 0.1),
    (LOAD_STEP, 0.2),
    (LOAD_STEP, 0.3),
    ("Recording the batch", 0.0),
    ("Done", 0.0),  # the last update, after the commit: the batch must survive
    ("done", 0.0),  # returned, workspace still open: the batch must survive
]
CLI_IMPORT_ROWS = 600_000
CLI_IMPORT_KILLS = (0, 2_000_000)  # bytes the database file has grown by (0: written at all)


def _reopen_and_check(folder: Path, before: Snapshot) -> Snapshot:
    with Workspace.open(folder) as ws:
        check_consistent(ws)
        after = Snapshot.take(ws)
    assert after.marts == before.marts, "the marts differ from the last published build"
    assert after.last_published == before.last_published
    return after


def _check_batches(
    before: Snapshot, after: Snapshot, completed: dict[str, int], rows: int = IMPORT_ROWS
) -> dict[str, int]:
    """Earlier batches intact, a new one whole or absent; returns the batches now present."""
    base = {b: n for b, kind, n in before.batches if kind == "events"}
    now = {b: n for b, kind, n in after.batches if kind == "events" and b not in base}
    assert {b: n for b, kind, n in after.batches if b in base} == base, "a batch before lost rows"
    for batch_id, n in completed.items():
        assert now.get(batch_id) == n, "a completed batch lost rows"
    assert all(now[b] == rows for b in set(now) - set(completed)), "a partial batch"
    assert after.event_rows == before.event_rows + sum(now.values()), "rows lost or added"
    return now


def test_kill_during_import(ws_dir: Path, tmp_path: Path) -> None:
    with Workspace.open(ws_dir) as ws:
        before = Snapshot.take(ws)
    completed: dict[str, int] = {}
    labels = []
    src = write_events_csv(tmp_path / "events_0.csv", IMPORT_ROWS, "k0-")
    for i, (trigger, delay) in enumerate(IMPORT_KILLS):
        killed = kill_when(import_child, (str(ws_dir), str(src)), trigger, delay)
        labels.append(f"import:{killed.label}")
        if trigger in ("Done", "done"):
            # Committed but not checkpointed: a reader (e.g. `shoplytics export`) opening first
            # sees the batch too, from the write-ahead log.
            with Workspace.open(ws_dir, read_only=True) as ws:
                check_consistent(ws)
                assert ws.row_count("raw", "events") == before.event_rows + IMPORT_ROWS * (
                    len(completed) + 1)
        after = _reopen_and_check(ws_dir, before)
        now = _check_batches(before, after, completed)
        if killed.finished:
            assert now.get(killed.done) == IMPORT_ROWS, "a committed batch was lost"
        if trigger in ("Done", "done"):
            assert len(now) == len(completed) + 1, "a committed batch was lost"
        labels[-1] += " (batch committed)" if len(now) > len(completed) else " (rolled back)"
        if len(now) > len(completed):  # that file is in: the next kill needs new events
            src = write_events_csv(tmp_path / f"events_{i + 1}.csv", IMPORT_ROWS, f"k{i + 1}-")
        completed = now
    assert completed, "the kill after the commit should have left its batch"
    record_figure("kill points: import", labels)


def test_kill_the_import_command(shop_ws_dir: Path, tmp_path: Path) -> None:
    """The real command line, killed once the load writes to the database file (DuckDB writes a
    big insert's row groups there before the commit): at its first write, then once the file
    has grown by 2 MB."""
    ws_dir = shop_ws_dir
    with Workspace.open(ws_dir) as ws:
        before = Snapshot.take(ws)
    completed: dict[str, int] = {}
    labels = []
    db = ws_dir / "warehouse.duckdb"
    for i, grown in enumerate(CLI_IMPORT_KILLS):
        src = write_events_csv(tmp_path / f"cli_{i}.csv", CLI_IMPORT_ROWS, f"c{i}-")
        start = db.stat()
        proc = subprocess.Popen(
            [sys.executable, "-m", "shoplytics_desktop.cli", "import", "-q", "-w", str(ws_dir),
             str(src)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while proc.poll() is None:
            now = db.stat()
            if now.st_mtime_ns != start.st_mtime_ns and now.st_size >= start.st_size + grown:
                break
            assert time.monotonic() < deadline
            time.sleep(0.002)
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(10) == -signal.SIGKILL, "the command ended before the kill"
        labels.append("import CLI:" + (f"database file grown by {grown:,} bytes" if grown
                                       else "first write to the database file"))
        present = _check_batches(before, _reopen_and_check(ws_dir, before), completed,
                                 CLI_IMPORT_ROWS)
        labels[-1] += " (batch committed)" if len(present) > len(completed) else " (rolled back)"
        completed = present
    record_figure("kill points: import", labels)


# The run takes ~1 s: staging and intermediate models, then 16 marts, then 111 data tests.
RUN_KILLS = [
    ("building staging.stg_events", 0.0),
    ("building intermediate.int_sessions", 0.05),
    ("building marts.", 0.0),
    ("testing", 0.0),
    ("testing", 0.4),
    ("Built ", 0.0),  # the last update ("Built N model(s)"): published, history not yet returned
    ("done", 0.0),  # returned, workspace still open
]


def test_kill_during_model_run(ws_dir: Path) -> None:
    with Workspace.open(ws_dir) as ws:
        before = Snapshot.take(ws)
    published = before.last_published
    labels = []
    for trigger, delay in RUN_KILLS:
        killed = kill_when(run_child, (str(ws_dir),), trigger, delay)
        labels.append(f"run:{killed.label}")
        with Workspace.open(ws_dir) as ws:
            check_consistent(ws)
            after = Snapshot.take(ws)
            runs = ws.cursor().execute(
                "SELECT run_id, status, message FROM _shoplytics.runs "
                "ORDER BY started_at DESC, run_id DESC"
            ).fetchall()
        assert after.runs == before.runs + len(labels), "the killed run is not in the history"
        assert after.raw == before.raw
        # Same raw data and same models: any published rebuild has the same contents.
        assert after.marts == before.marts
        run_id, status, message = runs[0]
        if killed.finished:
            assert killed.done == f"{run_id} success"
        # The history and the published marts agree: interrupted means nothing was published.
        if status == "interrupted":
            assert "nothing was published" in message
            assert after.last_published == published
        else:
            assert status == "success", runs[0]
            assert after.last_published == run_id
            published = run_id
    record_figure("kill points: run", labels)


EXPORT_ROWS = 400_000


@pytest.fixture
def big_ws(ws_dir: Path) -> Path:
    """The published workspace plus a 400,000-row table to export."""
    with Workspace.open(ws_dir) as ws:
        ws.cursor().execute(
            "CREATE TABLE staging.big AS SELECT i AS id, 'row ' || i AS label, i * 0.5 AS x, "
            "TIMESTAMP '2024-01-01' + to_seconds(i) AS at FROM range(?) t(i)",
            [EXPORT_ROWS],
        )
    return ws_dir


def _partial_at_least(out: Path, name: str, size: int) -> Callable[[], bool]:
    """True once the export's temporary file holds ``size`` bytes: the kill lands mid-write."""

    def reached() -> bool:
        try:
            return (out / f".{name}.partial").stat().st_size >= size
        except FileNotFoundError:
            return False

    return reached


CSV_SIZE = 17_000_000  # about what big.csv weighs
# (format, trigger: a progress message, or bytes of big.<fmt>.partial written)
EXPORT_KILLS: list[tuple[str, str | int]] = [
    ("csv", "exporting staging.big"),
    ("csv", 1),
    ("csv", CSV_SIZE // 3),
    ("csv", 2 * CSV_SIZE // 3),
    ("csv", "exporting marts.dim_users"),  # first table written (not yet renamed), second started
    ("parquet", 1),
    ("csv", "done"),
]


def _complete(path: Path, fmt: str, rows: int) -> bool:
    reader = "read_csv" if fmt == "csv" else "read_parquet"
    con = duckdb.connect()
    try:
        got = con.execute(f"SELECT count(*) FROM {reader}({quote_literal(str(path))})").fetchone()
    finally:
        con.close()
    return got == (rows,)


def test_kill_during_export(big_ws: Path, tmp_path: Path) -> None:
    with Workspace.open(big_ws) as ws:
        before = Snapshot.take(ws)
        dim_users = ws.row_count("marts", "dim_users")
    expected = {"big": EXPORT_ROWS, "dim_users": dim_users}
    tables = ["staging.big", "marts.dim_users"]
    labels = []
    for i, (fmt, when) in enumerate(EXPORT_KILLS):
        out = tmp_path / f"out_{i}"
        if isinstance(when, int):
            trigger: str | Callable[[], bool] = _partial_at_least(out, f"big.{fmt}", when)
            label = f"big.{fmt}.partial >= {when:,} bytes"
        else:
            trigger, label = when, when
        killed = kill_when(export_child, (str(big_ws), tables, str(out), fmt), trigger,
                           label=label)
        labels.append(f"export {fmt}:{killed.label}")
        _reopen_and_check(big_ws, before)
        names = sorted(p.name for p in out.iterdir()) if out.exists() else []
        for name in names:
            if name.startswith("."):
                # A killed export's own temporary file: hidden, never the target name.
                assert name.endswith(f".{fmt}.partial"), f"unexpected leftover {name}"
                continue
            stem, _, ext = name.partition(".")
            assert ext == fmt and _complete(out / name, fmt, expected[stem]), (
                f"{name} is under its final name but incomplete"
            )
        if isinstance(when, int):
            assert f".big.{fmt}.partial" in names and f"big.{fmt}" not in names
        # All or nothing: no table gets its name before every table is written.
        assert [n for n in names if not n.startswith(".")] in ([], [f"big.{fmt}", f"dim_users.{fmt}"])
        if killed.finished:
            assert names == [f"big.{fmt}", f"dim_users.{fmt}"]
        # The next export into the same folder replaces the leftovers.
        with Workspace.open(big_ws, read_only=True) as ws:
            export_tables(ws, tables, out, fmt, force=True)
        assert sorted(p.name for p in out.iterdir()) == [f"big.{fmt}", f"dim_users.{fmt}"]
        assert _complete(out / f"big.{fmt}", fmt, EXPORT_ROWS)
    record_figure("kill points: export", labels)


GENERATE_EVENTS = 750_000  # three chunks of 250,000
# (progress message to wait for, seconds to wait after it)
GENERATE_KILLS = [
    ("Planning sessions", 0.0),
    ("Loaded 250,", 0.0),  # first chunk in (chunks end with a session), inside the transaction
    ("Loaded 250,", 0.15),  # during the next insert
    ("Loaded 500,", 0.05),
    ("Loaded 750,000", 0.0),  # every chunk in, not yet committed
    ("Done", 0.0),  # after the commit: the batch must survive
]


def test_kill_during_generate(ws_dir: Path) -> None:
    """A killed generation adds nothing, or (killed after its commit) exactly its batch; nothing
    of it is left in the workspace folder either."""
    with Workspace.open(ws_dir) as ws:
        before = Snapshot.take(ws)
    files_before = sorted(p.name for p in ws_dir.iterdir())
    labels = []
    for i, (step, delay) in enumerate(GENERATE_KILLS):
        killed = kill_when(generate_child, (str(ws_dir), GENERATE_EVENTS, 300 + i), step, delay)
        labels.append(f"generate:{killed.label}")
        with Workspace.open(ws_dir) as ws:
            check_consistent(ws)
            after = Snapshot.take(ws)
            if step == "Done":  # the last kill
                assert after.event_rows == before.event_rows + GENERATE_EVENTS
                assert len(after.batches) == len(before.batches) + 1
            else:
                assert after.raw == before.raw, f"a killed generation left rows ({killed.label})"
                assert after.batches == before.batches
        assert sorted(p.name for p in ws_dir.iterdir()) == files_before
        leftovers = list((ws_dir / "tmp").glob("*")) if (ws_dir / "tmp").exists() else []
        assert leftovers == [], leftovers
    record_figure("kill points: generate", labels)


def test_kill_point_counts() -> None:
    """The README quotes these numbers."""
    assert len(IMPORT_KILLS) + len(CLI_IMPORT_KILLS) == 12
    assert (len(GENERATE_KILLS), len(RUN_KILLS), len(EXPORT_KILLS)) == (6, 7, 7)
