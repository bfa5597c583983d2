"""The commands that do not import files start without the importer: ``shoplytics run`` on a
workspace imports neither pydantic nor polars (about 0.2 s of every command's start), and the
import package still offers every public name, each the function or class it documents."""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys
import types
from pathlib import Path

from shoplytics_desktop.core.workspace import Workspace


def test_run_and_info_start_without_the_importer(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "ws"):
        pass  # an empty workspace: run builds the models on no events
    code = (
        "import json, sys\n"
        "from shoplytics_desktop.cli import main\n"
        "codes = [main(['run', '-q', '-w', sys.argv[1]]), main(['info', '-w', sys.argv[1]])]\n"
        "heavy = [m for m in ('pydantic', 'polars', 'shoplytics_desktop.core.ingest.load',\n"
        "                     'shoplytics_desktop.core.ingest.wizard') if m in sys.modules]\n"
        "print(json.dumps([codes, heavy]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "ws")],
                         capture_output=True, text=True, check=True)
    codes, heavy = json.loads(out.stdout.strip().splitlines()[-1])
    assert codes == [0, 0], out.stderr
    assert heavy == []


def test_every_public_name_of_the_import_package_is_what_it_names() -> None:
    """With every submodule loaded (a submodule binds its name on the package), each public
    name is still the package's function or class, not a module of the same name."""
    from shoplytics_desktop.core import ingest

    for info in pkgutil.walk_packages(ingest.__path__, f"{ingest.__name__}."):
        importlib.import_module(info.name)
    assert sorted(ingest.__all__) == sorted(ingest._HOMES)
    for name in ingest.__all__:
        value = getattr(ingest, name)
        assert not isinstance(value, types.ModuleType), name
        assert value.__module__.startswith(ingest.__name__), name
    assert callable(ingest.validate) and ingest.validate.__name__ == "validate"
