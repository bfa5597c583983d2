"""House rule: no function in the package is longer than 80 lines (signature to last line,
decorators not counted). Files being split elsewhere are listed below until they are done."""

from __future__ import annotations

import ast
from pathlib import Path

import shoplytics_desktop

LIMIT = 80
PACKAGE = Path(shoplytics_desktop.__file__).parent

# (file relative to the package, function name or "*" for every function in the file).
ALLOWED: set[tuple[str, str]] = {
}


def _allowed(rel: str, name: str) -> bool:
    for file, func in ALLOWED:
        same_file = rel == file or (file.endswith("/*") and rel.startswith(file[:-1]))
        if same_file and func in ("*", name):
            return True
    return False


def long_functions(root: Path = PACKAGE) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > LIMIT and not _allowed(rel, node.name):
                found.append(f"{rel}:{node.lineno} {node.name} ({length} lines)")
    return found


def test_no_function_is_over_80_lines():
    assert long_functions() == []


def test_the_check_sees_a_long_function(tmp_path):
    body = "\n".join(f"    x{i} = {i}" for i in range(LIMIT))
    (tmp_path / "long.py").write_text(f"def too_long():\n{body}\n", encoding="utf-8")
    (tmp_path / "short.py").write_text("def fine():\n    return 1\n", encoding="utf-8")
    assert long_functions(tmp_path) == [f"long.py:1 too_long ({LIMIT + 1} lines)"]
