"""The desktop bundle ships every data file the package reads at run time: the bundle holds
only what packaging/shoplytics.spec lists, and a table left out fails only in the packaged app
(the country table did: importing any file with country names stopped there)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _spec_data_paths() -> list[Path]:
    spec = (ROOT / "packaging" / "shoplytics.spec").read_text(encoding="utf-8")
    block = spec[spec.index("datas = ["):]
    block = block[:block.index("\n]\n")]
    return [
        ROOT.joinpath(*re.findall(r'"([^"]+)"', parts))
        for parts in re.findall(r"str\(ROOT((?:\s*/\s*\"[^\"]+\")+)\)", block)
    ]


def _package_data_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "shoplytics_desktop"], cwd=ROOT, capture_output=True, text=True,
        check=False,
    )
    if listed.returncode == 0 and listed.stdout.strip():
        files = [ROOT / line for line in listed.stdout.splitlines()]
    else:  # not a git checkout: every file of the package
        files = [p for p in (ROOT / "shoplytics_desktop").rglob("*") if p.is_file()]
    return [p for p in files if p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts]


def test_every_package_data_file_is_in_the_bundle() -> None:
    shipped = _spec_data_paths()
    assert ROOT / "shoplytics_desktop" / "core" / "ingest" / "data" in shipped
    data = _package_data_files()
    assert ROOT / "shoplytics_desktop" / "core" / "ingest" / "data" / "countries.csv" in data
    missing = [
        str(p.relative_to(ROOT)) for p in data
        if not any(p == s or s in p.parents for s in shipped)
    ]
    assert missing == [], f"not in packaging/shoplytics.spec datas: {missing}"
