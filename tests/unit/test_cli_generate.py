"""``shoplytics generate``: exit codes, messages and what lands in the workspace or folder."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from shoplytics_desktop.cli import main
from shoplytics_desktop.core.generate import vendor_preset
from shoplytics_desktop.core.workspace import Workspace

BASE = ["generate", "--events", "3000", "--days", "10", "--start", "2026-01-05", "--seed", "4"]


def _events(ws: Path) -> int:
    with Workspace.open(ws, read_only=True) as w:
        return w.row_count("raw", "events")


def test_generate_into_a_workspace(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ws = tmp_path / "ws"
    assert main([*BASE, "--workspace", str(ws)]) == 0
    out = capsys.readouterr().out
    assert "raw.events" in out and "3,000" in out and "raw.users" in out
    assert _events(ws) == 3000

    assert main([*BASE, "--workspace", str(ws)]) == 0
    assert "Already loaded" in capsys.readouterr().out
    assert _events(ws) == 3000

    assert main([*BASE, "--events", "1000", "--workspace", str(ws), "--replace"]) == 0
    assert _events(ws) == 1000


def test_generate_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "files"
    assert main([*BASE, "--out", str(out), "--format", "csv"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["events.csv", "products.csv", "users.csv"]
    assert duckdb.connect().execute(
        f"SELECT count(*) FROM read_csv('{out / 'events.csv'}')"
    ).fetchall()[0] == (3000,)
    assert "shoplytics import" in capsys.readouterr().out


@pytest.mark.parametrize(("shape", "name", "rows"), [
    ("ga4", "ga4_events.ndjson", 3000), ("segment", "segment_tracks.ndjson", 3000),
    ("shopify", "shopify_orders_export.csv", None),
    ("snowplow_enriched", "snowplow_enriched.tsv", 3000),
])
def test_generate_a_vendor_export_that_its_preset_imports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], shape: str, name: str, rows: int | None
) -> None:
    out = tmp_path / "files"
    assert main([*BASE, "--out", str(out), "--format", shape]) == 0
    assert [p.name for p in out.iterdir()] == [name]
    assert f"shoplytics import {out / name}" in capsys.readouterr().out
    ws = tmp_path / "ws"
    assert main(["import", str(out / name), "--workspace", str(ws)]) == 0
    said = capsys.readouterr().out
    preset = vendor_preset(shape)
    assert f"(preset {preset})" in said and "0 rejected" in said
    assert main([*BASE, "--workspace", str(tmp_path / "generated")]) == 0
    with Workspace.open(tmp_path / "generated", read_only=True) as gen:
        purchases = gen.cursor().execute(
            "SELECT count(*) FROM raw.events WHERE event_type = 'purchase'").fetchone()
    # GA4 and Segment keep every event; Shopify's export is the orders' lines alone.
    assert _events(ws) == (rows if rows is not None else purchases[0] if purchases else -1)
    # Written again without --force: refused, the file kept.
    assert main([*BASE, "--out", str(out), "--format", shape]) == 1
    assert "already holds" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--events", "0"], "events must be at least 1"),
        (["--events", "-3"], "events must be at least 1"),
        (["--days", "0"], "days must be at least 1"),
        (["--users", "0"], "users must be at least 1"),
        (["--start", "2099-01-01"], "in the future"),
        (["--start", "2026-01-05", "--days", "5000"], "days must be at most"),
        (["--format", "csv"], "--format applies only to files"),
    ],
)
def test_bad_values_exit_1_and_leave_no_workspace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    ws = tmp_path / "ws"
    assert main([*BASE, *extra, "--workspace", str(ws)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and message in err
    assert len(err.splitlines()) == 1
    assert not ws.exists()


def test_range_past_today_exits_1(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    import datetime as dt

    start = (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=3)).isoformat()
    assert (
        main(
            [
                "generate",
                "--events",
                "10",
                "--days",
                "10",
                "--start",
                start,
                "-w",
                str(tmp_path / "w"),
            ]
        )
        == 1
    )
    assert "never in the future" in capsys.readouterr().err


def test_bad_files_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*BASE, "--out", str(tmp_path), "--format", "xml"]) == 1
    assert "Unknown file format 'xml'" in capsys.readouterr().err
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    assert main([*BASE, "--out", str(blocker / "sub")]) == 1
    assert "Cannot write to the folder" in capsys.readouterr().err
    assert main([*BASE, "--out", str(tmp_path / "o"), "--replace"]) == 1
    assert "--replace" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["generate", "--events", "many"],
        ["generate", "--start", "yesterday"],
        ["generate", "--no-such-option"],
    ],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert "usage:" in capsys.readouterr().err
