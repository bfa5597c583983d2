"""``shoplytics import`` and ``shoplytics batches``: output, exit codes, no tracebacks."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from shoplytics_desktop.cli import main
from shoplytics_desktop.core.workspace import Workspace
from tests.samples import REAL_SAMPLE, needs_real_sample

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"
REAL = REAL_SAMPLE


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@needs_real_sample
def test_import_then_again_then_batches_then_delete(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = str(tmp_path / "ws")
    code, out, err = run(capsys, "import", "-w", w, "-q", str(REAL))
    assert code == 0, err
    assert "1,000 rows read: 1,000 loaded, 0 duplicate, 0 rejected" in out
    batch_id = out.split(" as batch ")[1].split(":")[0]

    code, out, _ = run(capsys, "import", "-w", w, "-q", str(REAL))
    assert code == 0
    assert f"Already imported (batch {batch_id}, same contents and mapping): nothing new." in out
    assert "0 loaded, 1,000 duplicate" in out

    code, out, _ = run(capsys, "batches", "-w", w)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["id", "kind", "source", "loaded", "duplicate", "rejected",
                                "when", "(UTC)"]
    assert len(lines) == 3 and lines[2].startswith(batch_id) and "1,000" in lines[2]

    code, out, _ = run(capsys, "batches", "-w", w, "delete", batch_id)
    assert code == 0
    first, second = out.strip().splitlines()
    assert first == f"Deleted batch {batch_id}: 1,000 from raw.events."
    assert second.startswith("The workspace as it was is backed up in ")
    assert second.endswith("warehouse.duckdb.bak (`shoplytics restore-backup --yes` undoes the delete).")
    with Workspace.open(Path(w), read_only=True) as ws:
        assert ws.row_count("raw", "events") == 0

    code, _, err = run(capsys, "batches", "-w", w, "delete", batch_id)
    assert code == 1
    assert err.startswith(f"error: There is no batch '{batch_id}'")


def test_rejected_rows_are_reported_grouped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "import", "-w", str(tmp_path / "ws"), "-q",
                       str(FIXTURES / "clickstream.csv"))
    assert code == 0
    assert "12 rows read: 10 loaded, 0 duplicate, 2 rejected" in out
    assert "1  event_time could not be parsed (e.g. line 12)" in out
    assert "1  user_id is missing (e.g. line 13)" in out


def test_dry_run_prints_mapping_preview_and_summary_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = tmp_path / "ws"
    saved = tmp_path / "mapping.yaml"
    code, out, err = run(capsys, "import", "-w", str(w), "--dry-run", "--save-mapping",
                         str(saved), str(FIXTURES / "retailrocket.csv"))
    assert code == 0, err
    assert "user_id: visitorid" in out and "time_format: epoch_ms" in out
    assert "transaction" in out and "purchase" in out  # the event-name table
    assert "2015-06-02 05:02:12.117000" in out or "2015-06-02 05:02:12.117" in out
    assert "Dry run: 10 rows read: 9 loaded, 1 duplicate, 0 rejected (nothing was written)." in out
    assert not w.exists()
    assert saved.exists()
    # The saved mapping imports the same way.
    code, out, _ = run(capsys, "import", "-w", str(w), "-q", "--mapping", str(saved),
                       str(FIXTURES / "retailrocket.csv"))
    assert code == 0 and "10 rows read: 9 loaded, 1 duplicate, 0 rejected" in out


def test_dry_run_on_an_existing_workspace_counts_duplicates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = str(tmp_path / "ws")
    assert main(["import", "-w", w, "-q", str(FIXTURES / "retailrocket.csv")]) == 0
    capsys.readouterr()
    code, out, _ = run(capsys, "import", "-w", w, "--dry-run", str(FIXTURES / "retailrocket.csv"))
    assert code == 0
    assert "Dry run: 10 rows read: 0 loaded, 10 duplicate, 0 rejected" in out


def test_bad_input_exits_1_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    code, out, err = run(capsys, "import", "-w", str(tmp_path / "ws"), str(empty))
    assert code == 1
    assert err.strip() == (
        f"error: {empty} is empty (0 bytes). Export the data again and import that file."
    )
    assert "Traceback" not in err + out


def test_time_format_and_delimiter_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "d.csv"
    f.write_text("ts|event|user\n01/10/2019 10:00|view|u1\n")
    code, _out, err = run(capsys, "import", "-w", str(tmp_path / "ws"), "-q", "--delimiter", "|",
                         "--time-format", "%d/%m/%Y %H:%M", str(f))
    assert code == 0, err
    with Workspace.open(tmp_path / "ws", read_only=True) as ws:
        assert ws.cursor().execute("SELECT CAST(event_time AS VARCHAR) FROM raw.events").fetchall() == [
            ("2019-10-01 10:00:00",)
        ]


def test_nothing_to_import(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "import", "-w", str(tmp_path / "ws"))
    assert code == 1 and "Nothing to import" in err


def test_batches_on_a_fresh_workspace(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Workspace.open(tmp_path / "ws").close()
    code, out, _ = run(capsys, "batches", "-w", str(tmp_path / "ws"))
    assert code == 0 and out.startswith("No batches yet.")


def test_a_file_in_the_store_export_shape_imports_everywhere(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Our own small file in the real sample's shape (` UTC` times, view/cart/purchase, 19-digit
    category ids, empty codes and brands), so the shape is tested where the sample is absent.
    Counted by hand from the file: 31 view, 4 cart, 4 remove_from_cart, 1 purchase of 527.88,
    8 users, each with one session id."""
    from tests.samples import SAME_SHAPE

    w = str(tmp_path / "ws")
    code, out, err = run(capsys, "import", "-w", w, "-q", str(SAME_SHAPE))
    assert code == 0, err
    assert "40 rows read: 40 loaded, 0 duplicate, 0 rejected" in out
    with Workspace.open(Path(w), read_only=True) as ws:
        cur = ws.cursor()
        by_type = dict(cur.execute(
            "SELECT event_type, count(*) FROM raw.events GROUP BY 1").fetchall())
        assert by_type == {"product_view": 31, "add_to_cart": 4, "remove_from_cart": 4,
                           "purchase": 1}
        assert cur.execute(
            "SELECT count(DISTINCT user_id), count(DISTINCT session_id), "
            "sum(price * quantity) FILTER (WHERE event_type = 'purchase') FROM raw.events"
        ).fetchone() == (8, 8, Decimal("527.88"))


def test_a_console_that_cannot_print_a_name_does_not_fail_the_import(tmp_path: Path) -> None:
    # A Windows console or redirect in cp1252 cannot encode 日本 or →: the import is committed,
    # so the command says so (the names with replacement characters) and succeeds.
    import os
    import subprocess
    import sys

    src = tmp_path / "日本.csv"
    src.write_text("event_time,event_type,user_id\n2024-03-01 10:00:00,view,u1\n", encoding="utf-8")
    env = {**os.environ, "PYTHONIOENCODING": "cp1252"}
    for args in (["import", str(src)], ["batches"], ["run", "-q"],
                 ["export", "--model", "staging.stg_events", "--out", str(tmp_path / "out")]):
        done = subprocess.run(
            [sys.executable, "-m", "shoplytics_desktop.cli", *args, "-w", str(tmp_path / "ws")],
            capture_output=True, env=env, check=False)
        assert done.returncode == 0, (args, done.stderr.decode("cp1252", "replace"))
        assert b"Traceback" not in done.stderr and b"UnicodeEncodeError" not in done.stderr
    assert (tmp_path / "out" / "stg_events.csv").exists()


def test_option_and_path_mistakes_are_named_as_such(tmp_path: Path, capsys) -> None:
    # Each mistake is said as what it is, not as a file that cannot be read.
    import os

    from shoplytics_desktop.cli import main

    src = tmp_path / "e.csv"
    src.write_text("event_time,event_type,user_id\n2024-03-01 10:00:00,view,u1\n")
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    models = tmp_path / "models" / "marts"
    models.mkdir(parents=True)
    (models / "empty.sql").write_text("")
    cases = [
        (["import", "--dry-run", "--time-format", "%d/%Q", str(src)],
         "time_format '%d/%Q' is not a strptime format"),
        (["import", "--dry-run", "--delimiter", "abcde", str(src)], "is not one character"),
        (["import", "/dev/null"], "is not a file on disk (a device or a pipe)"),
        (["import", str(fifo)], "is not a file on disk (a device or a pipe)"),
        (["models", "--models", str(tmp_path / "models")], "the model file holds no SQL"),
    ]
    (tmp_path / "ws").mkdir()
    for argv, says in cases:
        assert main([argv[0], "-w", str(tmp_path / "ws"), *argv[1:]]) == 1, argv
        err = capsys.readouterr().err
        assert says in err and "unexpected" not in err and "Traceback" not in err, (argv, err)
    assert main(["info", "-w", "~no-such-user-here/ws"]) == 1
    assert "no user of that name" in capsys.readouterr().err


def test_a_file_imported_again_under_another_mapping_replaces_its_batch(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The dry run says the earlier batch would be replaced (a read-only look: it names it,
    the workspace keeps it), the import replaces it, and `batches` lists the new one alone."""
    w = str(tmp_path / "ws")
    src = FIXTURES / "clickstream.csv"
    saved = tmp_path / "mapping.yaml"
    code, out, err = run(capsys, "import", "-w", w, "-q", "--save-mapping", str(saved), str(src))
    assert code == 0, err
    first = out.split(" as batch ")[1].split(":")[0]
    saved.write_text(saved.read_text().replace("country: XX", "country: FR"))
    code, out, err = run(capsys, "import", "-w", w, "--dry-run", "--mapping", str(saved), str(src))
    assert code == 0, err
    assert f"(batch {first}, 10 events): this import replaces it" in out
    code, out, err = run(capsys, "import", "-w", w, "-q", "--mapping", str(saved), str(src))
    assert code == 0, err
    assert f"(batch {first}, 10 events): replaced by this import" in out
    assert "10 loaded, 0 duplicate, 2 rejected" in out
    second = out.split(" as batch ")[1].split(":")[0]
    code, out, _ = run(capsys, "batches", "-w", w)
    assert second in out and first not in out
