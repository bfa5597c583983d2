"""File names are names: a file whose name holds ``[ ] * ?`` is read as itself, never as a
pattern, whether it is named directly, found in a folder, converted to UTF-8 first, or given as a
product or user file. Only an argument that is no existing file and holds glob characters is a
pattern (the user typed one).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from shoplytics_desktop.cli import main
from shoplytics_desktop.core.ingest import import_events, propose_mapping
from shoplytics_desktop.core.ingest.mapping import Mapping
from shoplytics_desktop.core.progress import NullReporter
from shoplytics_desktop.core.workspace import Workspace
from shoplytics_desktop.ui.import_wizard.jobs import SourceHead, expand, import_job, inspect_job

pytestmark = pytest.mark.reliability

HEADER = "event_id,event_time,event_type,user_id,product_id,price\n"


def _events(path: Path, prefix: str, n: int = 3) -> Path:
    path.write_text(HEADER + "".join(
        f"{prefix}{i},2024-03-01 10:00:{i:02d},page_view,u{i},p{i},1.00\n" for i in range(n)
    ), encoding="utf-8")
    return path


def _loaded(ws: Workspace) -> dict[str, list[str]]:
    rows = ws.cursor().execute(
        "SELECT _source_file, list(event_id ORDER BY event_id) FROM raw.events "
        "WHERE _batch_id IS NOT NULL AND event_id LIKE 'n-%' GROUP BY 1 ORDER BY 1"
    ).fetchall()
    return {str(f): list(ids) for f, ids in rows}


@pytest.fixture
def empty_ws(tmp_path: Path):
    with Workspace.open(tmp_path / "ws") as ws:
        yield ws


def test_a_folder_of_names_with_brackets_reads_each_file_once(empty_ws: Workspace,
                                                               tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    a = _events(folder / "sales[2024].csv", "n-a")
    b = _events(folder / "sales2.csv", "n-b", 2)
    report = import_events(empty_ws, [folder])
    assert report.validation is not None
    assert (report.validation.rows_read, report.validation.rows_loaded) == (5, 5)
    assert _loaded(empty_ws) == {str(a): ["n-a0", "n-a1", "n-a2"], str(b): ["n-b0", "n-b1"]}


@pytest.mark.parametrize("name, decoy", [
    ("br[1].csv", "br1.csv"),
    ("all*.csv", "all-other.csv"),
    ("q?.csv", "qa.csv"),
    ("[abc].csv", "a.csv"),
])
def test_a_file_named_directly_is_read_literally(empty_ws: Workspace, tmp_path: Path,
                                                  name: str, decoy: str) -> None:
    f = _events(tmp_path / name, "n-f")
    _events(tmp_path / decoy, "n-decoy")
    report = import_events(empty_ws, [f])
    assert report.validation is not None and report.validation.rows_loaded == 3
    assert _loaded(empty_ws) == {str(f): ["n-f0", "n-f1", "n-f2"]}


def test_a_relative_name_with_brackets_keeps_its_name(empty_ws: Workspace, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    _events(tmp_path / "rel[1].csv", "n-r")
    _events(tmp_path / "rel1.csv", "n-decoy")
    monkeypatch.chdir(tmp_path)
    import_events(empty_ws, ["./rel[1].csv"])
    assert _loaded(empty_ws) == {"rel[1].csv": ["n-r0", "n-r1", "n-r2"]}


def test_a_folder_with_brackets_in_its_own_name(empty_ws: Workspace, tmp_path: Path) -> None:
    folder = tmp_path / "exports[march]"
    folder.mkdir()
    (tmp_path / "exportsm").mkdir()
    _events(tmp_path / "exportsm" / "e.csv", "n-decoy")
    f = _events(folder / "e.csv", "n-m")
    import_events(empty_ws, [folder])
    assert _loaded(empty_ws) == {str(f): ["n-m0", "n-m1", "n-m2"]}


def test_parquet_and_ndjson_names_with_brackets(empty_ws: Workspace, tmp_path: Path) -> None:
    con = duckdb.connect()
    try:
        for name, prefix in (("p[1].parquet", "n-p"), ("p1.parquet", "n-decoy")):
            con.execute(
                f"COPY (SELECT '{prefix}' || i AS event_id, TIMESTAMP '2024-03-01' + "
                f"to_seconds(i) AS event_time, 'page_view' AS event_type, 'u1' AS user_id "
                f"FROM range(4) t(i)) TO '{tmp_path / name}' (FORMAT parquet)"
            )
    finally:
        con.close()
    import_events(empty_ws, [tmp_path / "p[1].parquet"])
    assert _loaded(empty_ws) == {str(tmp_path / "p[1].parquet"): [f"n-p{i}" for i in range(4)]}
    for name, prefix in (("j[1].ndjson", "n-j"), ("j1.ndjson", "n-decoy")):
        (tmp_path / name).write_text(
            f'{{"event_id":"{prefix}0","event_time":"2024-03-01T10:00:00Z",'
            '"event_type":"page_view","user_id":"u1"}\n', encoding="utf-8")
    import_events(empty_ws, [tmp_path / "j[1].ndjson"])
    assert _loaded(empty_ws)[str(tmp_path / "j[1].ndjson")] == ["n-j0"]
    assert not any("n-decoy" in i for ids in _loaded(empty_ws).values() for i in ids)


def test_a_windows_1252_file_with_brackets(empty_ws: Workspace, tmp_path: Path) -> None:
    """The UTF-8 copy of a converted file is read literally too, and rows name the original."""
    f = tmp_path / "excel[1].csv"
    f.write_bytes((HEADER + "n-w0,2024-03-01 10:00:00,page_view,u1,p1,1.00\n"
                   "n-w1,2024-03-01 10:00:01,page_view,u1,caf\u00e9 \u20ac,1.00\n").encode("cp1252"))
    (tmp_path / "excel1.csv").write_text(HEADER + "n-decoy,2024-03-01,page_view,u,p,1\n")
    import_events(empty_ws, [f])
    assert _loaded(empty_ws) == {str(f): ["n-w0", "n-w1"]}


def test_side_files_with_brackets(empty_ws: Workspace, tmp_path: Path) -> None:
    events = _events(tmp_path / "e.csv", "n-e")
    (tmp_path / "products[v2].csv").write_text("product_id,name,price\np1,Shoe,5.00\n")
    (tmp_path / "productsv.csv").write_text("product_id,name,price\nDECOY,Decoy,1.00\n")
    (tmp_path / "users[v2].csv").write_text("user_id,country\nu1,DE\n")
    (tmp_path / "usersv.csv").write_text("user_id,country\nDECOY,FR\n")
    report = import_events(empty_ws, [events], products=tmp_path / "products[v2].csv",
                           users=tmp_path / "users[v2].csv")
    assert [(c.kind, c.rows_loaded) for c in report.catalogs] == [("products", 1), ("users", 1)]
    cur = empty_ws.cursor()
    assert cur.execute("SELECT product_id, _source_file FROM raw.products").fetchall() == [
        ("p1", str(tmp_path / "products[v2].csv"))]
    assert cur.execute("SELECT user_id FROM raw.users").fetchall() == [("u1",)]


def test_the_wizard_reads_names_literally(empty_ws: Workspace, tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    a = _events(folder / "x[1].csv", "n-x")
    _events(folder / "x1.csv", "n-y")
    paths = [str(p) for p in expand([folder])]
    assert sorted(paths) == sorted([str(a), str(folder / "x1.csv")])
    head = inspect_job([str(a)])
    assert [r[0] for r in head.rows] == ["n-x0", "n-x1", "n-x2"]
    report = import_job(empty_ws, paths, _mapping(head), reporter=NullReporter())
    assert report.validation is not None and report.validation.rows_loaded == 6
    assert sorted(_loaded(empty_ws)) == sorted(paths)


def test_a_pattern_typed_on_the_command_line_is_a_pattern(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    _events(folder / "day1.csv", "n-1")
    _events(folder / "day2.csv", "n-2")
    _events(folder / "other.csv", "n-o")
    ws = tmp_path / "ws"
    assert main(["import", "-q", "-w", str(ws), str(folder / "day*.csv")]) == 0
    with Workspace.open(ws) as w:
        assert sorted(Path(f).name for f in _loaded(w)) == ["day1.csv", "day2.csv"]
    # An existing file whose name looks like a pattern is that file, on the command line too.
    star = _events(folder / "day*.csv", "n-s")
    assert main(["import", "-q", "-w", str(ws), str(star)]) == 0
    with Workspace.open(ws) as w:
        assert _loaded(w)[str(star)] == ["n-s0", "n-s1", "n-s2"]
        assert w.row_count("raw", "events") == 9


def _mapping(head: SourceHead) -> Mapping:
    return propose_mapping(head.info)

