"""What vendors' exports at a million rows taught the import: names looked up, not compared one
by one; exploded rows counted without the mapping; JSON read within the memory budget; and an
error inside the import's transaction reported as itself."""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from shoplytics_desktop.core.errors import ImportError_
from shoplytics_desktop.core.ingest import (
    import_events,
    inspect_sources,
    proposal,
    propose_mapping,
    readers,
    transform,
)
from shoplytics_desktop.core.ingest.countries import code_sql
from shoplytics_desktop.core.ingest.transform import mapped_rows_sql, mapped_sql
from shoplytics_desktop.core.workspace import Workspace

PRESETS = Path(__file__).resolve().parents[1] / "fixtures" / "presets"


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    with Workspace.open(tmp_path / "ws") as w:
        yield w


def test_country_names_are_looked_up_in_one_step() -> None:
    expr = code_sql("c")
    # One lookup, not a branch per name: 300 branches compared every row with each name in
    # turn (11 s per million rows of "United Kingdom").
    assert expr.count(" WHEN ") == 1
    rows = duckdb.connect().execute(
        f"SELECT c, {expr} FROM (VALUES ('United  Kingdom'), ('gb'), ('EIRE'), "
        "('Côte d’Ivoire'), ('(not set)'), (NULL), (''), ('Åland Islands'), ('USA')) t(c)"
    ).fetchall()
    assert rows == [
        ("United  Kingdom", "GB"), ("gb", "GB"), ("EIRE", "IE"), ("Côte d’Ivoire", "CI"),
        ("(not set)", None), (None, None), ("", None), ("Åland Islands", "AX"), ("USA", "US"),
    ]


@pytest.mark.parametrize(
    "fixture",
    ["ga4/events_20250511.ndjson", "shopify/orders_export.csv", "segment/tracks.ndjson",
     # Arrays exploded for some events only; Snowplow's are JSON text.
     "shopify/customer_events.jsonl", "mixpanel/ecommerce.json", "snowplow/atomic_events.csv"],
)
def test_mapped_rows_are_counted_without_the_mapping(fixture: str) -> None:
    info = inspect_sources([PRESETS / fixture])
    mapping = propose_mapping(info)
    assert mapping.adds_rows
    con = duckdb.connect()
    sql = mapped_rows_sql(info, mapping)
    counted = con.execute(sql).fetchone()
    mapped = con.execute(f"SELECT count(*) FROM ({mapped_sql(info, mapping)})").fetchone()
    source = con.execute(f"SELECT count(*) FROM {info.reader_sql()}").fetchone()
    assert counted is not None and mapped is not None and source is not None
    assert counted[0] == mapped[0]
    assert counted[0] != source[0]  # items exploded or refund rows added: not the file's rows
    if mapping.explode:
        assert "unnest(" not in sql  # an exploded row counts its elements without exploding


def test_the_fill_down_is_skipped_where_nothing_read_is_filled() -> None:
    """Counting GA4's rows and reading its names need no fill-down (it fills user_id): no pass
    over every row for it. Shopify's order status is filled down, and its refund rows depend on
    the filled refunded amount: both keep it."""
    ga4 = inspect_sources([PRESETS / "ga4" / "events_20250511.ndjson"])
    mapping = propose_mapping(ga4)
    assert mapping.fill_down is not None
    b = transform._Builder(ga4, mapping)
    assert not transform.reads_filled(b, transform._event_name_sql(b, None))
    assert "PARTITION BY" not in mapped_rows_sql(ga4, mapping)
    shopify = inspect_sources([PRESETS / "shopify" / "orders_export.csv"])
    mapping = propose_mapping(shopify)
    b = transform._Builder(shopify, mapping)
    assert transform.reads_filled(b, transform._event_name_sql(b, mapping.defaults.event_name))
    assert "max(" in mapped_rows_sql(shopify, mapping)


def test_an_exploded_array_is_written_once() -> None:
    """The array (a JSON text's entities, parsed anew by each JSON function) is computed once
    per row and read by name; it was written four times: whether to explode, the elements, and
    their positions twice. At a million Snowplow TSV rows that was 16 s of a 38 s import."""
    info = inspect_sources([PRESETS / "snowplow" / "atomic_events.csv"])
    mapping = propose_mapping(info)
    array = transform._Builder(info, mapping).scope.explode_sql()
    assert "json_extract(" in array
    assert mapped_sql(info, mapping).count(array) == 1
    assert mapped_rows_sql(info, mapping).count(array) == 1


class _Recording:
    """A connection that keeps the SQL it is given."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con, self.sql = con, []  # type: list[str]

    def execute(self, sql: str, *args: object) -> duckdb.DuckDBPyConnection:
        self.sql.append(sql)
        return self.con.execute(sql, *args)

    def __getattr__(self, name: str) -> object:
        return getattr(self.con, name)


def test_event_names_are_read_before_the_arrays_are_exploded() -> None:
    """A name is a row's, and exploding keeps every row: the distinct names come from the rows
    without parsing their arrays, and they are the names the exploded rows have."""
    info = inspect_sources([PRESETS / "snowplow" / "atomic_events.csv"])
    mapping = propose_mapping(info)
    assert mapping.explode
    rec = _Recording(duckdb.connect())
    refined = proposal.refine(rec, info, mapping)  # type: ignore[arg-type]
    names = [s for s in rec.sql if "SELECT DISTINCT" in s]
    assert len(names) == 1 and "unnest(" not in names[0]
    exploded = duckdb.connect().execute(
        f"SELECT DISTINCT event_name FROM ({mapped_sql(info, refined.mapping)})").fetchall()
    before = rec.con.execute(names[0]).fetchall()
    assert sorted(r[0] for r in before) == sorted(r[0] for r in exploded if r[0] is not None)
    assert not transform.reads_element(names[0])
    assert transform.reads_element('src."__el" ->> \'$.sku\'')


def test_the_json_object_size_comes_from_duckdbs_error() -> None:
    error = ('Invalid Input Error: "maximum_object_size" of 16777216 bytes exceeded while '
             'reading file "x.ndjson" (>31708848 bytes).')
    assert readers.json_object_bytes_for(error, 16 * 2**20) == 32 * 2**20
    assert readers.json_object_bytes_for("Malformed JSON", 16 * 2**20) is None
    # Without a size: the next power of two; past the ceiling: the file is refused.
    assert readers.json_object_bytes_for("maximum_object_size", 16 * 2**20) == 32 * 2**20
    assert readers.json_object_bytes_for("maximum_object_size (>4000000000 bytes)", 1) is None


def _ndjson(path: Path, first: int, odd: dict[str, object], then: int) -> Path:
    """``first`` plain events, the odd one, ``then`` more."""
    plain = [
        json.dumps({"ts": "2024-01-02 00:00:00", "event": "view", "user": f"u{i}", "price": i})
        for i in range(first + then)
    ]
    path.write_text("\n".join([*plain[:first], json.dumps(odd), *plain[first:]]) + "\n")
    return path


@pytest.mark.reliability
def test_an_ndjson_line_longer_than_the_readers_buffer(ws: Workspace, tmp_path: Path) -> None:
    path = _ndjson(tmp_path / "events.ndjson", 150_000, {
        "ts": "2024-01-02 00:00:01", "event": "view", "user": "big", "note": "y" * 33_000_000,
    }, 150_000)
    # The reader's usual buffers (16 MB) do not hold the long line: the file is read again.
    with pytest.raises(duckdb.InvalidInputException, match="maximum_object_size"):
        duckdb.connect().execute(
            f"SELECT count(*) FROM {inspect_sources([path]).reader_sql()}").fetchall()
    threads = ws.cursor().execute("SELECT current_setting('threads')").fetchone()
    v = import_events(ws, [path]).validation
    assert v is not None and (v.rows_loaded, v.rows_rejected) == (300_001, 0)
    # The one-thread reread gave the threads back.
    assert ws.cursor().execute("SELECT current_setting('threads')").fetchone() == threads


@pytest.mark.reliability
def test_a_file_that_fails_after_the_reread_gives_the_threads_back(
    ws: Workspace, tmp_path: Path
) -> None:
    """The reread with room for a long line runs on one thread; when it fails further on (a
    broken line), the error ended the transaction, and the workspace must not stay on one
    thread for the rest of the session. (The broken line is then read again as a row of nulls
    and quarantined.)"""
    path = _ndjson(tmp_path / "events.ndjson", 150_000, {
        "ts": "2024-01-02 00:00:01", "event": "view", "user": "big", "note": "y" * 33_000_000,
    }, 150_000)
    with path.open("a") as out:
        out.write('{"ts": "2024-01-02 00:00:02", "event": "view", "user": \n')
    threads = ws.cursor().execute("SELECT current_setting('threads')").fetchone()
    v = import_events(ws, [path]).validation
    assert v is not None and (v.rows_loaded, v.rows_rejected) == (300_001, 1)
    assert [(r.reason, r.example_lines) for r in v.reasons] == [
        ("line is not a valid JSON object", "300002")]
    assert ws.cursor().execute("SELECT current_setting('threads')").fetchone() == threads


def test_a_key_first_seen_after_the_readers_sample(ws: Workspace, tmp_path: Path) -> None:
    """DuckDB takes a JSON file's columns from its first objects (about 20,000): a key that
    appears only later stopped the reader, and the import refused the whole file."""
    path = _ndjson(tmp_path / "events.ndjson", 30_000, {
        "ts": "2024-01-02 00:00:01", "event": "view", "user": "late", "coupon": "SPRING",
    }, 10)
    v = import_events(ws, [path]).validation
    assert v is not None and (v.rows_loaded, v.rows_rejected) == (30_011, 0)
    assert ws.cursor().execute(
        "SELECT count(*) FROM raw.events WHERE user_id = 'late'").fetchone() == (1,)


def test_a_value_of_another_type_after_the_readers_sample(ws: Workspace, tmp_path: Path) -> None:
    """Prices that are numbers in the first objects and text later: the file is read (it was
    the whole file's error) with the column as text, so a decimal comma reads as it does in a
    CSV, and a price that is no number is quarantined with that reason."""
    path = _ndjson(tmp_path / "events.ndjson", 30_000, {
        "ts": "2024-01-02 00:00:01", "event": "view", "user": "late", "price": "12,50",
    }, 10)
    with path.open("a") as out:
        out.write(json.dumps({"ts": "2024-01-02 00:00:02", "event": "view", "user": "odd",
                              "price": "twelve"}) + "\n")
    v = import_events(ws, [path]).validation
    assert v is not None and (v.rows_loaded, v.rows_rejected) == (30_011, 1)
    assert [(r.reason, r.examples[0].line) for r in v.reasons] == [("price is not a number", 30_012)]
    prices = ws.cursor().execute(
        "SELECT user_id, price FROM raw.events WHERE user_id IN ('late', 'u7') ORDER BY 1"
    ).fetchall()
    assert [(u, float(p)) for u, p in prices] == [("late", 12.5), ("u7", 7.0)]


def test_an_error_that_ends_the_transaction_is_reported_as_itself(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An error while checking every row (a budget run out) ends the import's transaction: it
    is the import's error, not a note followed by "transaction is aborted"."""
    source = tmp_path / "tracks.ndjson"
    shutil.copy(PRESETS / "segment" / "tracks.ndjson", source)

    def out_of_memory(con: duckdb.DuckDBPyConnection, *args: object) -> object:
        con.execute("SELECT error('could not allocate block of size 256.0 KiB')")
        raise AssertionError("unreachable")

    monkeypatch.setattr(proposal, "_settle_names", out_of_memory)
    with pytest.raises(ImportError_) as info:
        import_events(ws, [source])
    assert "could not allocate block" in info.value.message
    assert "aborted" not in info.value.message
    assert ws.row_count("raw", "events") == 0


def test_arrays_exploded_in_several_files(ws: Workspace, tmp_path: Path) -> None:
    """Two files share line numbers, and each row still gets its own items only."""
    text = (PRESETS / "ga4" / "events_20250511.ndjson").read_text(encoding="utf-8")
    one = tmp_path / "one"
    one.mkdir()
    (one / "events_20250511.ndjson").write_text(text, encoding="utf-8")
    single = import_events(ws, [one / "events_20250511.ndjson"]).validation
    assert single is not None and single.source_rows is not None
    assert single.rows_loaded > single.source_rows  # 25 rows, 27 events
    # The same events a day later, in a second file: every line number appears twice.
    later = text.replace('"event_date": "20250511"', '"event_date": "20250512"')
    later = later.replace('"event_timestamp": "17469', '"event_timestamp": "17470')
    later = later.replace('"item_id": "', '"item_id": "later-')
    two = tmp_path / "two"
    two.mkdir()
    (two / "events_20250511.ndjson").write_text(text, encoding="utf-8")
    (two / "events_20250512.ndjson").write_text(later, encoding="utf-8")
    with Workspace.open(tmp_path / "ws2") as other:
        both = import_events(other, [two]).validation
        assert both is not None
        assert (both.source_rows, both.rows_loaded) == (2 * single.source_rows, 2 * single.rows_loaded)
        per_file = other.cursor().execute(
            "SELECT _source_file, count(*), count(product_id) FROM raw.events GROUP BY 1 ORDER BY 1"
        ).fetchall()
        assert [n for _, n, _ in per_file] == [single.rows_loaded, single.rows_loaded]
        assert per_file[0][2] == per_file[1][2]
        products = other.cursor().execute(
            "SELECT DISTINCT _source_file LIKE '%0512%', starts_with(product_id, 'later-') "
            "FROM raw.events WHERE product_id IS NOT NULL").fetchall()
        assert sorted(products) == [(False, False), (True, True)]  # each file's own items


def test_equal_natural_keys_at_one_line_of_two_files_are_numbered_by_file(tmp_path: Path) -> None:
    """An invoice line repeated at the same line of two files: the first file's is #1 in every
    import, so importing the files again finds both as duplicates."""
    lines = (PRESETS / "online_retail" / "invoices.csv").read_text(encoding="utf-8").splitlines()
    folder = tmp_path / "invoices"
    folder.mkdir()
    for name in ("a_invoices.csv", "b_invoices.csv"):
        (folder / name).write_text("\n".join(lines[:3]) + "\n", encoding="utf-8")
    seen = []
    for k in range(3):
        with Workspace.open(tmp_path / f"ws{k}") as w:
            import_events(w, [folder])
            seen.append(w.cursor().execute(
                "SELECT event_id, regexp_extract(_source_file, '[ab]_invoices') FROM raw.events "
                "ORDER BY 1").fetchall())
            again = import_events(w, [folder / "a_invoices.csv", folder / "b_invoices.csv"])
            assert again.validation is None or again.validation.rows_loaded == 0
    assert seen[0] == seen[1] == seen[2]
    assert seen[0] == [("536365|71053#1", "a_invoices"), ("536365|71053#2", "b_invoices"),
                       ("536365|85123A#1", "a_invoices"), ("536365|85123A#2", "b_invoices")]


def test_a_natural_key_over_exploded_items_is_numbered_by_line_then_item(ws: Workspace) -> None:
    """GA4's events keyed by the user (a mapping's choice): the numbers follow the file's lines,
    and an event's items (exploded, one line) follow their order in the array."""
    source = PRESETS / "ga4" / "events_20250511.ndjson"
    mapping = propose_mapping(inspect_sources([source]))
    assert mapping.explode
    keyed = mapping.model_copy(update={"event_key": ["user_pseudo_id"]})
    v = import_events(ws, [source], mapping=keyed).validation
    assert v is not None and (v.rows_loaded, v.rows_duplicate, v.rows_rejected) == (27, 0, 0)
    rows = ws.cursor().execute(
        "SELECT event_id, _source_line, product_id FROM raw.events "
        "WHERE starts_with(event_id, '1180203456.') ORDER BY _source_line, event_id").fetchall()
    assert [(int(i.split("#")[1]), line, p) for i, line, p in rows] == [
        (1, 1, None), (2, 2, None), (3, 3, None), (4, 4, "SKU-1"), (5, 5, "SKU-1"),
        (6, 6, None), (7, 7, None), (8, 8, "SKU-1"), (9, 8, "SKU-2"), (10, 24, None),
        (11, 25, "SKU-2")]


def test_json_columns_are_detected_once(tmp_path: Path) -> None:
    """After the first read detects a JSON source's columns, every later read names them and
    samples nothing; the nested fields come from the types, without reading the files again."""
    info = inspect_sources([PRESETS / "ga4" / "events_20250511.ndjson"])
    assert dict(info.json_columns)["geo"].startswith("STRUCT(")
    reader = info.reader_sql()
    assert "columns={" in reader and "sample_size" not in reader
    assert {"geo.country", "device.web_info.browser", "traffic_source.source"} <= {
        c.name for c in info.columns}
    con = duckdb.connect()
    pinned = con.execute(f"SELECT * EXCLUDE (__file) FROM {reader}").fetchall()
    fresh = dataclasses.replace(info, json_columns=())
    assert "columns=" not in fresh.reader_sql()
    assert pinned == con.execute(f"SELECT * EXCLUDE (__file) FROM {fresh.reader_sql()}").fetchall()
    # Read with other types later (the columns of every object): detected again after that.
    assert info.with_read_types([("event_date", "BIGINT")]).json_columns == ()


def test_many_json_files_share_the_sample(ws: Workspace, tmp_path: Path) -> None:
    """Each of several files is sampled in part (each was sampled as one file would be: 90 daily
    GA4 files took three seconds per read); an object with a key past a file's part loads."""
    folder = tmp_path / "days"
    folder.mkdir()
    for day in range(30):
        n = 1_500 if day == 29 else 100
        lines = [json.dumps({"ts": "2024-01-02 00:00:00", "event": "view", "user": f"d{day}-{i}",
                             "price": 1}) for i in range(n)]
        if day == 29:
            lines.append(json.dumps({"ts": "2024-01-03 00:00:00", "event": "cart", "user": "late",
                                     "price": 5, "coupon": "SPRING"}))
        (folder / f"events_{day:02d}.ndjson").write_text("\n".join(lines) + "\n")
    info = inspect_sources([folder])
    assert f"sample_size={readers.JSON_FILE_SAMPLE_MIN}" in readers.json_reader(
        info.paths, "ndjson", False, True)
    assert "coupon" not in dict(info.json_columns)  # the 1,501st object of its file
    v = import_events(ws, [folder]).validation
    assert v is not None and (v.rows_loaded, v.rows_rejected) == (29 * 100 + 1_501, 0)
    row = ws.cursor().execute(
        "SELECT event_type, price FROM raw.events WHERE user_id = 'late'").fetchone()
    assert row == ("add_to_cart", 5)


def test_csv_files_with_the_first_files_header_share_its_sniff(ws: Workspace, tmp_path: Path) -> None:
    """A daily export's files begin with one header: the first is sniffed for all of them; a
    file that begins otherwise is sniffed on its own."""
    lines = (PRESETS / "online_retail" / "invoices.csv").read_text(encoding="utf-8").splitlines()
    folder = tmp_path / "days"
    folder.mkdir()
    for day in range(4):
        body = [f"{day}{line}" for line in lines[1:]]  # distinct invoice numbers per day
        (folder / f"invoices_{day}.csv").write_text("\n".join([lines[0], *body]) + "\n")
    rec = _Recording(duckdb.connect())
    info = inspect_sources([folder], con=rec)  # type: ignore[arg-type]
    assert sum("sniff_csv(" in q for q in rec.sql) == 1
    assert (info.delimiter, info.union_by_name) == (",", False)
    v = import_events(ws, [folder]).validation
    assert v is not None and v.rows_loaded == 4 * (len(lines) - 1)
    # Another header (a column more): sniffed too, and the files are read by column name.
    (folder / "invoices_4.csv").write_text(
        lines[0] + ",Note\n" + "\n".join(f"4{line}," for line in lines[1:]) + "\n")
    rec = _Recording(duckdb.connect())
    info = inspect_sources([folder], con=rec)  # type: ignore[arg-type]
    assert sum("sniff_csv(" in q for q in rec.sql) == 2
    assert info.union_by_name


@pytest.mark.parametrize("lookup_files", [100, 0], ids=["literal", "join"])
def test_lines_of_several_files(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lookup_files: int
) -> None:
    """Each file's rows are numbered from its own first line, whether its first row is looked
    up in a literal (up to 100 files) or joined; a line the reader rejects keeps its number."""
    from shoplytics_desktop.core.ingest import stage

    monkeypatch.setattr(stage, "_LOOKUP_FILES", lookup_files)
    folder = tmp_path / "days"
    folder.mkdir()
    header = "event_time,event_type,user_id,product_id,price"
    for day in range(3):
        rows = [f"2024-01-0{day + 1} 10:00:0{i},view,u{day}{i},p{i},1.50" for i in range(4)]
        if day == 1:
            rows.insert(2, "2024-01-02 10:00:09,view,broken,p9,1.50,extra")  # line 4
        (folder / f"day{day}.csv").write_text("\n".join([header, *rows]) + "\n")
    v = import_events(ws, [folder]).validation
    assert v is not None and (v.rows_loaded, v.rows_rejected) == (12, 1)
    lines = ws.cursor().execute(
        "SELECT regexp_extract(_source_file, 'day\\d'), user_id, _source_line FROM raw.events "
        "ORDER BY 1, 3").fetchall()
    rejected = ws.cursor().execute(
        "SELECT regexp_extract(_source_file, 'day\\d'), _source_line FROM raw.rejected_events"
    ).fetchall()
    assert [(f, u, n) for f, u, n in lines if f == "day1"] == [
        ("day1", "u10", 2), ("day1", "u11", 3), ("day1", "u12", 5), ("day1", "u13", 6)]
    assert [n for f, _, n in lines if f != "day1"] == [2, 3, 4, 5] * 2
    assert rejected == [("day1", 4)]
