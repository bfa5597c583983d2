"""CSV export neutralises spreadsheet formulas by default (a text cell starting with = + - @, tab
or CR gets a leading quote), ``--no-sanitize`` keeps cells as they are, and no existing file is
ever overwritten without ``--force``."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from shoplytics_desktop.cli import main
from shoplytics_desktop.core.errors import ExportError
from shoplytics_desktop.core.export import export_tables
from shoplytics_desktop.core.sqlutil import quote_literal
from shoplytics_desktop.core.workspace import Workspace

pytestmark = pytest.mark.reliability

CELLS = {
    "=1+2": "'=1+2",
    "+SUM(A1:A9)": "'+SUM(A1:A9)",
    "-2+3": "'-2+3",
    "@SUM(1)": "'@SUM(1)",
    "\tTAB": "'\tTAB",
    "\rCR": "'\rCR",
    "=HYPERLINK(\"http://x\",\"y\")": "'=HYPERLINK(\"http://x\",\"y\")",
    "plain": "plain",
    "a=b": "a=b",
    " =space first": " =space first",
    "": "",
}


@pytest.fixture
def cells_ws(ws_dir: Path) -> Path:
    with Workspace.open(ws_dir) as ws:
        cur = ws.cursor()
        cur.execute("CREATE TABLE staging.cells (i INTEGER, text VARCHAR, n INTEGER, x DOUBLE, "
                    "d DECIMAL(10,2))")
        cur.executemany("INSERT INTO staging.cells VALUES (?, ?, -5, -1.5, -2.25)",
                        [[i, v] for i, v in enumerate(CELLS)])
        cur.execute("INSERT INTO staging.cells VALUES (99, NULL, NULL, NULL, NULL)")
    return ws_dir


def _read(path: Path, fmt: str = "csv") -> list[tuple[object, ...]]:
    con = duckdb.connect()
    try:
        reader = (f"read_csv({quote_literal(str(path))}, all_varchar=true)" if fmt == "csv"
                  else f"read_parquet({quote_literal(str(path))})")
        return con.execute(f"SELECT * FROM {reader} ORDER BY i::INTEGER").fetchall()
    finally:
        con.close()


def test_formulas_are_neutralised_by_default_and_kept_with_no_sanitize(
    cells_ws: Path, tmp_path: Path, capsys
) -> None:
    w = ["-w", str(cells_ws), "--model", "staging.cells"]
    assert main(["export", *w, "--out", str(tmp_path / "safe")]) == 0
    assert main(["export", *w, "--out", str(tmp_path / "raw"), "--no-sanitize"]) == 0
    assert main(["export", *w, "--out", str(tmp_path / "pq"), "--format", "parquet"]) == 0
    capsys.readouterr()
    safe, raw, pq = (_read(tmp_path / "safe" / "cells.csv"), _read(tmp_path / "raw" / "cells.csv"),
                     _read(tmp_path / "pq" / "cells.parquet", "parquet"))
    originals = list(CELLS)
    for i, original in enumerate(originals):
        expected = CELLS[original]
        # DuckDB writes '' for an empty string and for NULL alike; read back, both are NULL.
        assert safe[i][1] == (expected or None), (original, safe[i])
        assert raw[i][1] == (original or None), (original, raw[i])
        assert pq[i][1] == original
        # Numbers are numbers, negative ones included: never quoted.
        assert safe[i][2:] == ("-5", "-1.5", "-2.25")
    assert safe[-1][1:] == (None, None, None, None)
    formula_starts = ("=", "+", "-", "@", "\t", "\r")
    assert not [r for r in safe if isinstance(r[1], str) and r[1].startswith(formula_starts)]


def test_formulas_in_other_text_types(ws: Workspace, tmp_path: Path) -> None:
    """Cells that are text without being VARCHAR (an ENUM, a BLOB) are written as their text."""
    cur = ws.cursor()
    cur.execute("CREATE TYPE mood AS ENUM ('=cmd|'' /C calc''!A0', 'fine')")
    cur.execute("CREATE TABLE staging.enum_cells AS SELECT 1 AS i, "
                "'=cmd|'' /C calc''!A0'::mood AS m, '@SUM(1)'::BLOB AS b "
                "UNION ALL SELECT 2, 'fine'::mood, 'ok'::BLOB")
    export_tables(ws, ["staging.enum_cells"], tmp_path, "csv")
    rows = _read(tmp_path / "enum_cells.csv")
    assert rows == [("1", "'=cmd|' /C calc'!A0", "'@SUM(1)"), ("2", "fine", "ok")]


def test_existing_files_are_never_overwritten_without_force(
    cells_ws: Path, tmp_path: Path, capsys
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "dim_users.csv").write_text("keep me\n")
    (out / "cells.parquet").write_text("keep me too\n")
    w = ["-w", str(cells_ws)]
    for fmt, model in (("csv", "dim_users"), ("parquet", "staging.cells")):
        code = main(["export", *w, "--model", "staging.cells", model, "--format", fmt,
                     "--out", str(out)])
        err = capsys.readouterr().err
        assert code == 1 and "already exists" in err and "--force" in err, err
    # Refused before anything was written: not even the table whose file did not exist.
    assert sorted(p.name for p in out.iterdir()) == ["cells.parquet", "dim_users.csv"]
    assert (out / "dim_users.csv").read_text() == "keep me\n"
    with Workspace.open(cells_ws, read_only=True) as ws:
        with pytest.raises(ExportError, match="already exists"):
            export_tables(ws, ["marts.dim_users"], out, "csv")
        files = export_tables(ws, ["marts.dim_users"], out, "csv", force=True)
        n = ws.row_count("marts", "dim_users")
    assert files[0].rows == n and len(_read_any(out / "dim_users.csv")) == n


def _read_any(path: Path) -> list[tuple[object, ...]]:
    con = duckdb.connect()
    try:
        return con.execute(f"SELECT * FROM read_csv({quote_literal(str(path))})").fetchall()
    finally:
        con.close()
