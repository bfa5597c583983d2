"""Exports as they arrive: zip archives (Amplitude's Export API returns one zip of gzipped JSON
files, an hour each) and folders of dated subfolders (Segment's S3 bucket layout).

The Amplitude fixture (see test_presets_product_analytics) split into two hourly members of a
zip gives the same numbers as the file: page_view 1, product_view 1, purchase 1, other 1;
2 users, 1 session, 2 units, 1 line, revenue EUR 25.00. The Segment fixture split over two
day folders of a bucket, with the files such a bucket holds beside the data, gives its 11
events, 2 duplicate.
"""

from __future__ import annotations

import gzip
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest

from shoplytics_desktop.cli import main
from shoplytics_desktop.core.errors import ImportError_
from shoplytics_desktop.core.ingest import archives
from shoplytics_desktop.core.ingest.sources import resolve_paths
from shoplytics_desktop.core.workspace import Workspace
from tests.unit.presetcheck import PRESETS, import_file, numbers

AMPLITUDE = PRESETS / "amplitude" / "export.json"
SEGMENT = PRESETS / "segment" / "tracks.ndjson"


def _amplitude_zip(dest: Path) -> Path:
    lines = AMPLITUDE.read_text(encoding="utf-8").splitlines(keepends=True)
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as z:
        # Amplitude's layout: <project id>/<project id>_<day>_<hour>#<part>.json.gz
        z.writestr("123456/123456_2025-05-11_10#0.json.gz", gzip.compress("".join(lines[:3]).encode()))
        z.writestr("123456/123456_2025-05-11_11#0.json.gz", gzip.compress("".join(lines[3:]).encode()))
        # What zipping on a Mac adds beside the data.
        z.writestr("__MACOSX/123456/._123456_2025-05-11_10#0.json.gz", b"\x00\x05\x16\x07junk")
        z.writestr("123456/.DS_Store", b"\x00\x00\x00\x01Bud1")
    return dest


def test_amplitude_zip_reads_as_its_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _amplitude_zip(tmp_path / "amplitude export.zip")
    out = import_file(tmp_path / "ws", src, capsys)
    assert "(preset amplitude)" in out and "4 loaded, 0 duplicate, 0 rejected" in out
    n = numbers(tmp_path / "ws")
    assert n.types == {"page_view": 1, "product_view": 1, "purchase": 1, "other": 1}
    assert (n.users, n.sessions, n.units, n.lines) == (2, 1, 2, 1)
    assert n.revenue == {"EUR": Decimal("25.00")}
    with Workspace.open(tmp_path / "ws", read_only=True) as w:
        rows = w.cursor().execute(
            "SELECT _source_file, count(*) FROM raw.events GROUP BY 1 ORDER BY 1").fetchall()
        source = w.cursor().execute("SELECT source FROM _shoplytics.batches").fetchone()
    # Each row names the member it came from, inside the archive the user chose.
    assert rows == [(f"{src}/123456/123456_2025-05-11_10#0.json.gz", 3),
                    (f"{src}/123456/123456_2025-05-11_11#0.json.gz", 1)]
    assert source is not None and source[0].endswith("amplitude export.zip")
    from shoplytics_desktop.core.ingest import inspect_sources

    assert inspect_sources([src]).display_name == (
        "2 files in amplitude export.zip (123456_2025-05-11_10#0.json.gz, …)")
    # The same archive again is recognised and reads nothing.
    again = import_file(tmp_path / "ws", src, capsys)
    assert "Already imported" in again


def test_segment_bucket_folders(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = SEGMENT.read_text(encoding="utf-8").splitlines(keepends=True)
    bucket = tmp_path / "segment-logs" / "src-1"
    day1, day2 = bucket / "1746921600000", bucket / "1747008000000"
    day1.mkdir(parents=True)
    day2.mkdir(parents=True)
    (day1 / "1746925200000.a1b2.gz").write_bytes(gzip.compress("".join(lines[:6]).encode()))
    (day2 / "1747011600000.c3d4.gz").write_bytes(gzip.compress("".join(lines[6:]).encode()))
    (day1 / "_SUCCESS").write_bytes(b"")
    (bucket / ".hidden").mkdir()
    (bucket / ".hidden" / "stale.ndjson").write_text('{"event": "x"}\n', encoding="utf-8")
    (tmp_path / "segment-logs" / "README.md").write_text("# bucket\n", encoding="utf-8")
    out = import_file(tmp_path / "ws", tmp_path / "segment-logs", capsys)
    assert "(preset segment)" in out and "11 loaded, 2 duplicate, 0 rejected" in out
    assert resolve_paths([tmp_path / "segment-logs"]) == [
        day1 / "1746925200000.a1b2.gz", day2 / "1747011600000.c3d4.gz"]


def test_folder_holding_a_zip(tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    src = _amplitude_zip(folder / "day.zip")
    # The wizard lists the archive itself; the import reads what it holds.
    assert resolve_paths([folder], open_archives=False) == [src]
    inside = resolve_paths([folder])
    assert [p.name for p in inside] == ["123456_2025-05-11_10#0.json.gz",
                                        "123456_2025-05-11_11#0.json.gz"]
    assert archives.label(inside[0]) == f"{src}/123456/123456_2025-05-11_10#0.json.gz"
    # Unpacked once per version of the archive.
    assert resolve_paths([src]) == inside


def test_files_that_look_like_data_but_are_not_read_are_named(tmp_path: Path) -> None:
    """A zip inside the zip, an Excel workbook or a .csv.bz2 beside the CSVs were left out
    without a word; the import names them with what to do."""
    csv = "event_time,event_type,user_id\n2024-03-01 10:00:00,view,u1\n"
    bundle = tmp_path / "exports.zip"
    with zipfile.ZipFile(bundle, "w") as z:
        z.writestr("march/events.csv", csv)
        z.writestr("march/events.xlsx", b"PK\x03\x04 not read")
        z.writestr("april.zip", b"PK\x05\x06" + b"\x00" * 18)
        z.writestr("README.txt", "about these files")
        z.writestr("__MACOSX/march/._events.xlsx", b"junk")
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "may.csv").write_text(csv)
    (folder / "june.csv.bz2").write_bytes(b"BZh9")
    with Workspace.open(tmp_path / "ws") as ws:
        from shoplytics_desktop.core.ingest import import_events

        zipped = import_events(ws, [bundle])
        assert "Not read: exports.zip/april.zip (a zip inside the zip: unpack it and import its "\
               "files), exports.zip/march/events.xlsx (an Excel workbook: save it as CSV)." \
               in zipped.notes
        listed = import_events(ws, [folder])
        assert "Not read: june.csv.bz2 (bzip2: unpack it, or compress it with gzip)." in listed.notes
        sheet = tmp_path / "orders.xlsx"
        sheet.write_bytes(b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 20 + b"xl/workbook.xml")
        with pytest.raises(ImportError_, match=r"orders\.xlsx is an Excel workbook: save it as CSV"):
            import_events(ws, [sheet])


def test_member_names_cannot_leave_the_scratch_folder(tmp_path: Path) -> None:
    src = tmp_path / "odd.zip"
    with zipfile.ZipFile(src, "w") as z:
        z.writestr("/abs/events.csv", "event_type,user_id,event_time\nview,u1,2025-01-01\n")
        z.writestr("a/../../up.csv", "event_type,user_id,event_time\nview,u2,2025-01-01\n")
    files = resolve_paths([src])
    assert [p.name for p in files] == ["events.csv", "up.csv"]
    assert not (tmp_path / "up.csv").exists() and not Path("/abs/events.csv").exists()
    scratch = files[0].parents[2]
    assert all(scratch in p.parents for p in files)


@pytest.mark.parametrize(("content", "says"), [
    (b"not a zip at all", "is not a readable zip archive"),
    (None, "holds no data files"),
    ("cut", "is not a readable zip archive"),
])
def test_broken_archives_are_refused_clearly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | str | None, says: str
) -> None:
    src = tmp_path / "export.zip"
    if content is None:
        with zipfile.ZipFile(src, "w") as z:
            z.writestr("notes.txt", "nothing here")
            z.writestr("logo.png", b"\x89PNG")
    elif content == "cut":
        _amplitude_zip(tmp_path / "whole.zip")
        src.write_bytes((tmp_path / "whole.zip").read_bytes()[:300])
    else:
        assert isinstance(content, bytes)
        src.write_bytes(content)
    with pytest.raises(ImportError_, match=says):
        resolve_paths([src])
    code = main(["import", "-w", str(tmp_path / "ws"), "-q", str(src)])
    _, err = capsys.readouterr()
    assert code != 0 and says in err and "Traceback" not in err
    with Workspace.open(tmp_path / "ws", read_only=True) as w:
        assert w.cursor().execute("SELECT count(*) FROM raw.events").fetchone() == (0,)


def test_damaged_member_is_named(tmp_path: Path) -> None:
    src = _amplitude_zip(tmp_path / "export.zip")
    data = bytearray(src.read_bytes())
    # Flip bytes inside the first member's compressed data: its CRC check fails on unpacking.
    start = data.index(b"123456/123456_2025-05-11_10#0.json.gz") + 40
    for i in range(start, start + 20):
        data[i] ^= 0xFF
    bad = tmp_path / "damaged.zip"
    bad.write_bytes(bytes(data))
    with pytest.raises(ImportError_, match="damaged zip archive"):
        resolve_paths([bad])


def test_password_protected_archive_is_explained(tmp_path: Path) -> None:
    src = tmp_path / "locked.zip"
    with zipfile.ZipFile(src, "w") as z:
        z.writestr("events.csv", "event_type,user_id,event_time\nview,u1,2025-01-01\n")
    data = bytearray(src.read_bytes())
    # Mark the member encrypted (general purpose flag bit 0) in its local and central headers.
    local = data.index(b"PK\x03\x04")
    central = data.index(b"PK\x01\x02")
    data[local + 6] |= 1
    data[central + 8] |= 1
    src.write_bytes(bytes(data))
    with pytest.raises(ImportError_, match="password-protected"):
        resolve_paths([src])


def test_a_catalog_and_a_customer_list_beside_the_events_load_as_such(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A shop's zip of events.csv, products.csv and customers.csv: the two files of no events
    had every row rejected as events (no time, no event name). They load as the product
    catalog and the user profiles, each named in the batch list by its place in the zip; a
    page-view log without an event column is not taken for user profiles."""
    archive = tmp_path / "shop.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("events.csv", "event_time,event_type,user_id,product_id,price,order_id\n"
                                 "2024-03-01 10:00:00,view,u1,p1,,\n"
                                 "2024-03-01 10:05:00,cart,u1,p1,,\n"
                                 "2024-03-01 10:09:30,purchase,u1,p1,12.50,o1\n")
        z.writestr("customers.csv", "customer_id,email,created_at,country\n"
                                    "u1,a@x.com,2023-01-01,DE\nu2,b@x.com,2023-02-01,FR\n")
        z.writestr("products.csv", "product_id,name,category,brand,price\n"
                                   "p1,Mug,kitchen,Acme,12.50\np2,Tee,apparel,Acme,20.00\n")
    ws = tmp_path / "ws"
    # The dry run says so too, and shows the mapping of the events alone.
    assert main(["import", "--workspace", str(ws), "--dry-run", str(archive)]) == 0
    out = capsys.readouterr().out
    assert "shop.zip/products.csv holds no events but a product catalog" in out
    assert "has no event name column" not in out and "3 rows read: 3 loaded" in out
    assert main(["import", "--workspace", str(ws), str(archive)]) == 0
    out = capsys.readouterr().out
    assert "shop.zip/products.csv holds no events but a product catalog" in out
    assert "shop.zip/customers.csv holds no events but user profiles" in out
    assert "3 rows read: 3 loaded, 0 duplicate, 0 rejected" in out
    w = Workspace(ws)
    con = w.cursor()
    try:
        assert con.execute("SELECT product_id, category, brand FROM raw.products ORDER BY 1"
                           ).fetchall() == [("p1", "kitchen", "Acme"), ("p2", "apparel", "Acme")]
        assert con.execute("SELECT user_id, country FROM raw.users ORDER BY 1").fetchall() == \
            [("u1", "DE"), ("u2", "FR")]
        sources = con.execute("SELECT source FROM _shoplytics.batches").fetchall()
        assert sorted(str(r[0]).replace(f"{tmp_path}/", "") for r in sources) == \
            ["shop.zip", "shop.zip/customers.csv", "shop.zip/products.csv"]
    finally:
        con.close()
        w.close()
    # A log of page views without an event column beside event files: still events (its rows
    # rejected for the missing name), not user profiles.
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "a.csv").write_text("event_time,event_type,user_id\n2024-03-01 10:00:00,view,u1\n",
                                  encoding="utf-8")
    (folder / "b.csv").write_text("timestamp,user_id,country\n2024-03-01 11:00:00,u2,DE\n",
                                  encoding="utf-8")
    assert main(["import", "--workspace", str(tmp_path / "ws2"), str(folder)]) == 0
    out = capsys.readouterr().out
    assert "holds no events" not in out and "1 rejected" in out


def test_a_catalog_or_customer_list_imported_on_its_own_loads_as_such(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The events first, the product catalog later on its own: the catalog was refused ("No
    column for time, event name, user could be found"). A file or pair of files that are
    catalogs and hold no events load as them; a file that is neither still gets the error."""
    events = tmp_path / "events.csv"
    events.write_text("event_time,event_type,user_id,product_id,price,order_id\n"
                      "2024-03-01 10:00:00,view,u1,p1,,\n"
                      "2024-03-01 10:09:30,purchase,u1,p1,12.50,o1\n", encoding="utf-8")
    products = tmp_path / "products.csv"
    products.write_text("product_id,name,category,brand,price\n"
                        "p1,Mug,kitchen,Acme,12.50\np2,Tee,apparel,Acme,20.00\n", encoding="utf-8")
    customers = tmp_path / "customers.csv"
    customers.write_text("customer_id,email,created_at,country\n"
                         "u1,a@x.com,2023-01-01,DE\nu2,b@x.com,2023-02-01,FR\n", encoding="utf-8")
    ws = tmp_path / "ws"
    assert main(["import", "--workspace", str(ws), str(events)]) == 0
    capsys.readouterr()
    # The dry run says what the import will do, and writes nothing.
    assert main(["import", "--workspace", str(ws), "--dry-run", str(products)]) == 0
    out = capsys.readouterr().out
    assert f"{products} holds no events but a product catalog" in out
    assert "nothing was written" in out
    assert main(["import", "--workspace", str(ws), str(products)]) == 0
    out = capsys.readouterr().out
    assert f"{products} holds no events but a product catalog: it is loaded into " \
           "raw.products" in out
    assert "products: 2 rows read, 2 loaded, 0 duplicate, 0 rejected" in out
    # The catalog and the customer list together, each as its own.
    assert main(["import", "--workspace", str(ws), str(customers), str(products)]) == 0
    out = capsys.readouterr().out
    assert "users: 2 rows read, 2 loaded" in out and "products: 2 rows read, 0 loaded" in out
    w = Workspace(ws)
    con = w.cursor()
    try:
        assert con.execute("SELECT product_id, category FROM raw.products ORDER BY 1"
                           ).fetchall() == [("p1", "kitchen"), ("p2", "apparel")]
        assert con.execute("SELECT user_id, country FROM raw.users ORDER BY 1").fetchall() == \
            [("u1", "DE"), ("u2", "FR")]
        assert con.execute("SELECT count(*) FROM raw.events").fetchone() == (2,)
        kinds = con.execute("SELECT kind, count(*) FROM _shoplytics.batches GROUP BY 1 ORDER BY 1"
                            ).fetchall()
        assert kinds == [("events", 1), ("products", 1), ("users", 1)]
    finally:
        con.close()
        w.close()
    # Two product catalogs, or a file of neither kind: the events' error, as before.
    other = tmp_path / "other.csv"
    other.write_text("sku,colour\np1,red\n", encoding="utf-8")
    more = tmp_path / "more_products.csv"
    more.write_text(products.read_text(encoding="utf-8"), encoding="utf-8")
    for files in ([other], [products, other], [products, more]):
        assert main(["import", "--workspace", str(ws), *map(str, files)]) == 1
        err = capsys.readouterr().err
        assert "No column for" in err and "holds no events" not in err
