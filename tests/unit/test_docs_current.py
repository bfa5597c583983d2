"""Generated files that ship are current: docs/data_dictionary.md (what `shoplytics docs` makes
from the shipped model project) and the project's shipped parses
(shoplytics_desktop/core/models/_shipped_parses.json)."""

from __future__ import annotations

from pathlib import Path

from shoplytics_desktop.cli import main

DOC = Path(__file__).resolve().parents[2] / "docs" / "data_dictionary.md"


def test_data_dictionary_is_current(tmp_path: Path, capsys) -> None:
    ws = str(tmp_path / "ws")
    (tmp_path / "ws").mkdir()  # an empty folder: run makes it a workspace
    assert main(["run", "--workspace", ws, "--quiet"]) == 0  # builds every model (types) on no data
    assert main(["docs", "--workspace", ws, "--out", str(tmp_path)]) == 0
    fresh = (tmp_path / "data_dictionary.md").read_text(encoding="utf-8")
    assert DOC.read_text(encoding="utf-8") == fresh, (
        "docs/data_dictionary.md is out of date: run `shoplytics run -w /tmp/empty && "
        "shoplytics docs -w /tmp/empty --out docs`"
    )


def test_shipped_parses_are_current() -> None:
    """An entry for every SQL and YAML file's current text and every SQL made around a YAML
    expression, naming the tables a fresh parse finds at offsets that fit the text (offsets
    themselves may differ between sqlglot versions)."""
    import json

    from shoplytics_desktop.core.models import parse
    from shoplytics_desktop.core.paths import default_models_dir, shipped_parses_file

    root = default_models_dir()
    shipped = json.loads(shipped_parses_file().read_text(encoding="utf-8"))
    fresh = parse.shipped_entries(root)
    stale = (f"{shipped_parses_file().name} is out of date: run "
             "`python -m shoplytics_desktop.core.models.parse`")
    assert shipped["format"] == parse._CACHE_FORMAT
    assert set(shipped["entries"]) == set(fresh), stale
    texts = {parse._digest(p.read_text(encoding="utf-8")): p.read_text(encoding="utf-8")
             for p in root.rglob("*.sql")}
    for key, value in shipped["entries"].items():
        if key.startswith("yaml:"):
            assert value == fresh[key], stale
            continue
        refs = tuple(parse.TableRef(*r) for r in value)
        if key in texts:
            assert parse._refs_fit(texts[key], refs), stale
        assert [(r.schema, r.name) for r in refs] == [(r[0], r[1]) for r in fresh[key]], stale


def test_no_parse_cache_in_the_shipped_project() -> None:
    """Parses in a model folder are never read (a shared project could forge them): the shipped
    ones live in the package."""
    from shoplytics_desktop.core.paths import default_models_dir

    assert not (default_models_dir() / "_parse_cache.json").exists()
