"""``shoplytics import --preset``: list, override, none."""

from __future__ import annotations

from pathlib import Path

import pytest

from shoplytics_desktop.cli import main
from tests.unit.presetcheck import PRESETS

INVOICES = str(PRESETS / "online_retail" / "invoices.csv")


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_preset_list_scores_the_files(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "import", "--preset", "list", INVOICES)
    assert code == 0
    lines = out.splitlines()
    assert lines[2].split()[0] == "online_retail" and "cancelled invoices" in lines[2]
    assert lines[-1] == "Chosen: online_retail"


def test_preset_none_and_unknown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    w = str(tmp_path / "ws")
    # Generic detection has no idea of cancellations: their negative quantities are rejected,
    # and the two-digit years do not parse.
    code, out, _ = _run(capsys, "import", "-w", w, "--dry-run", "--preset", "none", INVOICES)
    assert code == 0 and "Recognised" not in out and "0 rejected" not in out
    code, _, err = _run(capsys, "import", "-w", w, "--preset", "nope", INVOICES)
    assert code == 1 and err.startswith("error: There is no import preset 'nope'.")
    code, out, _ = _run(capsys, "import", "-w", w, "--dry-run", "--preset", "online_retail", INVOICES)
    assert code == 0 and "# Recognised as Invoice lines" in out
    assert "14 rows read: 14 loaded, 0 duplicate, 0 rejected" in out
