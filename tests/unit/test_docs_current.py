"""docs/data_dictionary.md is what `shoplytics docs` generates from the shipped model project."""

from __future__ import annotations

from pathlib import Path

from shoplytics_desktop.cli import main

DOC = Path(__file__).resolve().parents[2] / "docs" / "data_dictionary.md"


def test_data_dictionary_is_current(tmp_path: Path, capsys) -> None:
    ws = str(tmp_path / "ws")
    assert main(["run", "--workspace", ws, "--quiet"]) == 0  # builds every model (types) on no data
    assert main(["docs", "--workspace", ws, "--out", str(tmp_path)]) == 0
    fresh = (tmp_path / "data_dictionary.md").read_text(encoding="utf-8")
    assert DOC.read_text(encoding="utf-8") == fresh, (
        "docs/data_dictionary.md is out of date: run `shoplytics run -w /tmp/empty && "
        "shoplytics docs -w /tmp/empty --out docs`"
    )
