"""Imports end to end: the real sample, every fixture shape, duplicates, batches, dry runs."""

from __future__ import annotations

import datetime as dt
import gzip
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from shoplytics_desktop.core.errors import Cancelled, ImportError_
from shoplytics_desktop.core.ingest import (
    Mapping,
    delete_batch,
    event_name_counts,
    import_events,
    inspect_sources,
    list_batches,
    load_mapping,
    preview,
    propose_mapping,
    save_mapping,
    validate,
)
from shoplytics_desktop.core.progress import RecordingReporter
from shoplytics_desktop.core.workspace import Workspace
from tests.samples import REAL_SAMPLE, needs_real_sample

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"
REAL = REAL_SAMPLE


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    with Workspace.open(tmp_path / "ws") as w:
        yield w


def q(ws: Workspace, sql: str) -> list[tuple]:
    return ws.cursor().execute(sql).fetchall()


def table_counts(ws: Workspace) -> tuple[int, ...]:
    return tuple(
        ws.row_count(s, t)
        for s, t in (("raw", "events"), ("raw", "rejected_events"), ("raw", "products"),
                     ("raw", "users"), ("_shoplytics", "batches"))
    )


# -- the real sample --------------------------------------------------------------------------

@needs_real_sample
def test_real_sample_loads_clean_and_matches_an_independent_count(ws: Workspace) -> None:
    report = import_events(ws, [REAL])
    v = report.validation
    assert v is not None
    # Counted independently over the raw file: 1,000 data rows, all distinct, every one with a
    # parseable time, a user and a non-negative price.
    independent = duckdb.connect().execute(
        f"""SELECT count(*),
                   count(*) FILTER (WHERE event_type = 'view'),
                   count(*) FILTER (WHERE event_type = 'cart'),
                   count(*) FILTER (WHERE event_type = 'purchase'),
                   count(*) FILTER (WHERE try_cast(replace(event_time, ' UTC', '') AS TIMESTAMP)
                                    IS NOT NULL AND user_id IS NOT NULL
                                    AND try_cast(price AS DOUBLE) >= 0),
                   (SELECT count(*) FROM (SELECT DISTINCT * FROM read_csv('{REAL}', all_varchar=true)))
            FROM read_csv('{REAL}', all_varchar=true)"""
    ).fetchone()
    assert independent is not None
    assert independent[0] == independent[4] == independent[5] == 1000
    assert (v.rows_read, v.rows_loaded, v.rows_duplicate, v.rows_rejected) == (1000, 1000, 0, 0)
    assert q(ws, "SELECT event_type, event_name, count(*) FROM raw.events GROUP BY ALL ORDER BY 3 DESC") == [
        ("product_view", "view", independent[1]),
        ("purchase", "purchase", independent[3]),
        ("add_to_cart", "cart", independent[2]),
    ]
    assert independent[1:4] == (987, 3, 10)
    # Category: the code where there is one, else the numeric id.
    row = q(ws, """SELECT count(*) FILTER (WHERE category LIKE '%.%'),
                          count(*) FILTER (WHERE regexp_full_match(category, '[0-9]+')),
                          count(*) FILTER (WHERE category IS NULL) FROM raw.events""")[0]
    raw_codes = duckdb.connect().execute(
        f"SELECT count(category_code) FROM read_csv('{REAL}', all_varchar=true)"
    ).fetchone()
    assert raw_codes is not None
    assert row == (raw_codes[0], 1000 - raw_codes[0], 0)
    # Contract defaults and lineage.
    assert q(ws, "SELECT DISTINCT device, country, traffic_source, quantity FROM raw.events") == [
        ("unknown", "XX", "unknown", 1)
    ]
    assert q(ws, "SELECT min(_source_line), max(_source_line), count(DISTINCT _source_line) FROM raw.events") == [
        (2, 1001, 1000)
    ]
    assert q(ws, "SELECT count(*) FROM raw.events WHERE properties IS NOT NULL") == [(0,)]
    first = q(ws, "SELECT event_time, user_id, session_id, product_id, price, category, brand "
                  "FROM raw.events WHERE _source_line = 2")[0]
    assert str(first[0]) == "2019-10-01 00:00:00"
    assert first[1:4] == ("541312140", "72d76fde-8bb3-4e00-8c23-a032dfed738c", "44600062")
    assert str(first[4]) == "35.79"
    assert first[5:] == ("2103807459595387724", "shiseido")
    batch = list_batches(ws.cursor())
    assert [(b.kind, b.rows_read, b.rows_loaded, b.rows_duplicate, b.rows_rejected, b.status)
            for b in batch] == [("events", 1000, 1000, 0, 0, "loaded")]
    mapping_yaml = q(ws, "SELECT mapping FROM _shoplytics.batches")[0][0]
    assert "category_code" in mapping_yaml and "user_session" in mapping_yaml


@needs_real_sample
def test_same_file_twice_adds_nothing(ws: Workspace) -> None:
    first = import_events(ws, [REAL])
    before = table_counts(ws)
    second = import_events(ws, [REAL])
    assert table_counts(ws) == before == (1000, 0, 0, 0, 1)
    assert second.batch_id is None
    assert second.previous_batch == first.batch_id
    v = second.validation
    assert v is not None
    assert (v.rows_loaded, v.rows_duplicate, v.duplicates_existing) == (0, 1000, 1000)
    assert any("Already imported" in n for n in second.notes)


def test_same_files_under_another_mapping_replace_their_batch(ws: Workspace) -> None:
    """A file imported again with a changed mapping is the same events mapped anew: the import
    replaces the earlier batch (after a backup) instead of skipping its rows as duplicates,
    which kept the old mapping."""
    first = import_events(ws, [FIXTURES / "clickstream.csv"])
    assert q(ws, "SELECT count(*) FROM raw.events WHERE event_name = 'home'") == [(2,)]
    assert q(ws, "SELECT DISTINCT event_type FROM raw.events WHERE event_name = 'home'") == [
        ("page_view",)]
    mapping = first.mapping.model_copy(update={"event_types": {"home": "other"}})
    second = import_events(ws, [FIXTURES / "clickstream.csv"], mapping)
    v = second.validation
    assert v is not None
    assert (v.rows_read, v.rows_loaded, v.rows_duplicate, v.rows_rejected) == (12, 10, 0, 2)
    assert v.replaced == ((first.batch_id, 10),)
    assert second.batch_id is not None and second.previous_batch == first.batch_id
    assert [b.batch_id for b in list_batches(ws.cursor())] == [second.batch_id]
    # The earlier batch's events and rejected rows went with it.
    assert table_counts(ws) == (10, 2, 0, 0, 1)
    assert q(ws, "SELECT DISTINCT event_type FROM raw.events WHERE event_name = 'home'") == [
        ("other",)]
    assert any("replaced by this import" in n and first.batch_id in n for n in second.notes)
    assert ws.backup_path.exists()
    # With that mapping again: already imported, nothing replaced.
    third = import_events(ws, [FIXTURES / "clickstream.csv"], mapping)
    assert third.batch_id is None and third.previous_batch == second.batch_id
    assert [b.batch_id for b in list_batches(ws.cursor())] == [second.batch_id]


def test_replacing_a_batch_of_hashed_ids_does_not_count_its_events_twice(
    ws: Workspace, tmp_path: Path
) -> None:
    """Without ids in the file, an event's id is a hash of its mapped fields: a changed default
    gave every row a new id, and the events of both imports counted (2 × 4 here)."""
    f = tmp_path / "events.csv"
    f.write_text("user,time,action,item,amount\n"
                 "a,2024-03-01 09:00:00,view,p1,\n"
                 "a,2024-03-01 09:01:00,cart,p1,\n"
                 "a,2024-03-01 09:02:00,purchase,p1,10.50\n"
                 "b,2024-03-02 10:00:00,view,p2,\n")
    first = import_events(ws, [f])
    assert first.validation is not None and first.validation.rows_loaded == 4
    changed = first.mapping.model_copy(
        update={"defaults": first.mapping.defaults.model_copy(update={"country": "FR"})})
    second = import_events(ws, [f], changed)
    assert second.validation is not None and second.validation.rows_loaded == 4
    assert q(ws, "SELECT count(*), count(DISTINCT country), min(country) FROM raw.events") == [
        (4, 1, "FR")]
    assert len(list_batches(ws.cursor())) == 1
    # Another file is never replaced, whatever its mapping.
    g = tmp_path / "more.csv"
    g.write_text(f.read_text().replace("2024-03-02 10:00:00", "2024-03-03 10:00:00"))
    import_events(ws, [g], changed)
    assert len(list_batches(ws.cursor())) == 2
    assert q(ws, "SELECT count(*) FROM raw.events") == [(5,)]


def test_a_folder_imported_again_with_a_day_more_under_another_mapping_replaces_its_batch(
    ws: Workspace, tmp_path: Path
) -> None:
    """A daily export folder: imported with two days, then with three under a corrected
    mapping. The earlier batch's files are all among the new import's: it is replaced, and
    every event counts once. An import of only some of a batch's files replaces those files'
    rows of it, and the batch keeps the rest."""
    folder = tmp_path / "daily"
    folder.mkdir()

    def day(n: int) -> None:
        (folder / f"2024-03-0{n}.csv").write_text(
            "user,time,action,item\n"
            f"a,2024-03-0{n} 09:00:00,view,p1\nb,2024-03-0{n} 10:00:00,view,p2\n")

    def country(default: str, mapping: Mapping) -> Mapping:
        return mapping.model_copy(
            update={"defaults": mapping.defaults.model_copy(update={"country": default})})

    day(1)
    day(2)
    first = import_events(ws, [folder])
    assert first.validation is not None and first.validation.rows_loaded == 4
    day(3)
    changed = country("FR", first.mapping)
    second = import_events(ws, [folder], changed)
    assert second.validation is not None and second.validation.replaced == (
        (first.batch_id, 4),)
    assert q(ws, "SELECT count(*), min(country), max(country) FROM raw.events") == [
        (6, "FR", "FR")]
    assert [b.batch_id for b in list_batches(ws.cursor())] == [second.batch_id]
    # One day of the three, under yet another mapping: its rows of the batch of three are
    # replaced (with hashed ids they counted twice: 8 events), the batch keeps the other days.
    one = folder / "2024-03-01.csv"
    third = import_events(ws, [one], country("DE", changed))
    v = third.validation
    assert v is not None and v.replaced == () and v.rows_loaded == 2
    assert v.replaced_files == ((second.batch_id, 2, (str(one),)),)
    assert any("those rows were replaced by this import" in n and one.name in n
               for n in third.notes)
    assert q(ws, "SELECT country, count(*), min(_batch_id) FROM raw.events GROUP BY 1 "
                 "ORDER BY 1") == [("DE", 2, third.batch_id), ("FR", 4, second.batch_id)]
    kept = {b.batch_id: b for b in list_batches(ws.cursor())}
    assert (kept[second.batch_id].rows_read, kept[second.batch_id].rows_loaded) == (4, 4)
    assert "2024-03-01.csv imported again with another mapping (2 events replaced)" in str(
        kept[second.batch_id].message)
    assert str(kept[second.batch_id].source).endswith("daily (without 2024-03-01.csv)")
    assert q(ws, "SELECT count(*) FROM _shoplytics.event_keys") == [(6,)]
    # The folder again under another: both batches' files are all among it.
    fourth = import_events(ws, [folder], country("ES", changed))
    assert fourth.validation is not None and fourth.validation.replaced == (
        (second.batch_id, 4), (third.batch_id, 2))
    assert q(ws, "SELECT count(*), min(country), max(country) FROM raw.events") == [
        (6, "ES", "ES")]
    # Batches that predate the record of their files (an older workspace): the same files,
    # or one of them, are still recognised by the batch's own fingerprint; some files of
    # one are not told apart, and its rows stay.
    ws.cursor().execute("DELETE FROM _shoplytics.batch_files")
    fifth = import_events(ws, [folder], country("IT", changed))
    assert fifth.validation is not None and fifth.validation.replaced == (
        (fourth.batch_id, 6),)
    assert q(ws, "SELECT count(*), min(country), max(country) FROM raw.events") == [
        (6, "IT", "IT")]
    ws.cursor().execute("UPDATE _shoplytics.batch_files SET source_file = NULL")
    sixth = import_events(ws, [one], country("NL", changed))
    assert sixth.validation is not None and sixth.validation.replaced_files == ()
    assert q(ws, "SELECT count(*) FROM raw.events") == [(8,)]


def test_some_files_of_a_batch_with_their_own_ids_under_another_mapping(
    ws: Workspace, tmp_path: Path
) -> None:
    """With the file's own ids, one file of a batch imported again under another mapping was
    skipped as already imported, keeping the old mapping: its rows of the batch are replaced.
    The check and a dry run count as the import will, and change nothing."""
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("id,user,time,action,item\n1,u,2024-03-01 09:00:00,home,\n"
                 "2,u,2024-03-01 09:01:00,view,p1\n")
    b.write_text("id,user,time,action,item\n3,v,2024-03-02 09:00:00,home,\n")
    first = import_events(ws, [a, b])
    assert first.validation is not None and first.validation.rows_loaded == 3
    before = table_counts(ws)
    mapping = first.mapping.model_copy(update={"event_types": {"home": "other"}})
    info = inspect_sources([a], mapping.source)
    checked = validate(ws, info, mapping)
    assert (checked.rows_loaded, checked.rows_duplicate) == (2, 0)
    assert checked.replaced_files == ((first.batch_id, 2, (str(a),)),)
    assert "this import replaces those rows" in checked.replaced_note()
    dry = import_events(ws, [a], mapping, dry_run=True)
    assert dry.validation is not None and dry.validation.rows_loaded == 2
    assert dry.validation.replaced_files == checked.replaced_files
    assert table_counts(ws) == before
    again = import_events(ws, [a], mapping)
    assert again.validation is not None and again.validation.rows_loaded == 2
    assert q(ws, "SELECT event_id, event_type, _batch_id = "
             f"'{first.batch_id}' FROM raw.events ORDER BY 1") == [("1", "other", False), ("2", "product_view", False),
                                   ("3", "page_view", True)]
    assert ws.backup_path.exists()
    # The same file with the first mapping: its rows of the new batch are replaced in turn
    # (the new batch holds only that file: whole).
    back = import_events(ws, [a], first.mapping)
    assert back.validation is not None and back.validation.replaced == ((again.batch_id, 2),)
    assert q(ws, "SELECT count(*), count(*) FILTER (WHERE event_type = 'other') "
                 "FROM raw.events") == [(3, 0)]


def test_a_dry_run_counts_as_the_replacing_import_and_changes_nothing(ws: Workspace) -> None:
    first = import_events(ws, [FIXTURES / "clickstream.csv"])
    before = table_counts(ws)
    mapping = first.mapping.model_copy(update={"event_types": {"home": "other"}})
    info = inspect_sources([FIXTURES / "clickstream.csv"], mapping.source)
    checked = validate(ws, info, mapping)
    assert (checked.rows_loaded, checked.rows_duplicate) == (10, 0)
    assert checked.replaced == ((first.batch_id, 10),)
    assert "this import replaces it" in checked.replaced_note()
    dry = import_events(ws, [FIXTURES / "clickstream.csv"], mapping, dry_run=True)
    assert dry.validation is not None and dry.validation.rows_loaded == 10
    assert dry.validation.replaced == ((first.batch_id, 10),)
    assert table_counts(ws) == before
    assert [b.batch_id for b in list_batches(ws.cursor())] == [first.batch_id]
    # The same mapping: nothing to replace.
    assert validate(ws, info, first.mapping).replaced == ()


def test_a_corrected_export_of_events_imported_before_says_so(ws: Workspace, tmp_path: Path) -> None:
    """A later export with an event's price corrected (same id) skipped it as a duplicate
    without a word: the import keeps the earlier values and says how to load the new ones."""
    head = "event_id,event_time,event_type,user_id,product_id,price\n"
    rows = ["e1,2024-03-01 10:00:00,view,u1,p1,10.00\n", "e2,2024-03-01 10:01:00,purchase,u1,p1,10.00\n"]
    first_file, overlap, corrected = (tmp_path / n for n in ("a.csv", "b.csv", "c.csv"))
    first_file.write_text(head + "".join(rows))
    overlap.write_text(head + "".join(rows) + "e3,2024-03-01 10:02:00,view,u2,p1,10.00\n")
    corrected.write_text(head + rows[0] + "e2,2024-03-01 10:01:00,purchase,u1,p1,12.00\n")
    first = import_events(ws, [first_file])
    same = import_events(ws, [overlap]).validation
    assert same is not None and (same.rows_loaded, same.rows_duplicate) == (1, 2)
    assert not [w for w in same.warnings if "other values" in w]
    fixed = import_events(ws, [corrected]).validation
    assert fixed is not None and (fixed.rows_loaded, fixed.rows_duplicate) == (0, 2)
    assert [w for w in fixed.warnings if "other values" in w] == [
        "1 event imported before has other values in this import (e.g. event e2 (price: 10.00 → "
        "12.00)): the earlier values are kept. To load the corrected rows, delete the earlier "
        f"batch (File ▸ Import batches…, or `shoplytics batches delete {first.batch_id}`) and "
        "import again what it held"]
    assert q(ws, "SELECT CAST(price AS VARCHAR) FROM raw.events WHERE event_id = 'e2'") == [("10.00",)]


def test_a_read_only_dry_run_counts_what_the_replacing_import_loads(tmp_path: Path) -> None:
    """`shoplytics import --dry-run` opens the workspace read-only, so the rows the import would
    replace stay: they must not count as duplicates of the files' own ids."""
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("id,user,time,action,item\n1,u,2024-03-01 09:00:00,home,\n"
                 "2,u,2024-03-01 09:01:00,view,p1\n")
    b.write_text("id,user,time,action,item\n3,v,2024-03-02 09:00:00,home,\n")
    with Workspace.open(tmp_path / "ws") as w:
        first = import_events(w, [a, b])
        before = table_counts(w)
    assert first.batch_id is not None
    mapping = first.mapping.model_copy(update={"event_types": {"home": "other"}})
    with Workspace.open(tmp_path / "ws", read_only=True) as ro:
        part = import_events(ro, [a], mapping, dry_run=True).validation
        whole = import_events(ro, [a, b], mapping, dry_run=True).validation
        same = import_events(ro, [a], first.mapping, dry_run=True).validation
        assert table_counts(ro) == before
    assert part is not None and (part.rows_loaded, part.rows_duplicate) == (2, 0)
    assert part.replaced_files == ((first.batch_id, 2, (str(a),)),)
    assert whole is not None and (whole.rows_loaded, whole.rows_duplicate) == (3, 0)
    assert whole.replaced == ((first.batch_id, 3),)
    # The same mapping replaces nothing: its rows are already imported.
    assert same is not None and (same.rows_loaded, same.rows_duplicate) == (0, 2)


def test_a_refused_replacement_keeps_the_earlier_batch(ws: Workspace) -> None:
    first = import_events(ws, [FIXTURES / "clickstream.csv"])
    before = table_counts(ws)
    broken = first.mapping.model_copy(
        update={"columns": {**first.mapping.columns, "event_time": "page"}})
    with pytest.raises(ImportError_):
        import_events(ws, [FIXTURES / "clickstream.csv"], broken)
    assert table_counts(ws) == before
    assert [b.batch_id for b in list_batches(ws.cursor())] == [first.batch_id]


@needs_real_sample
def test_a_copy_under_another_name_is_still_all_duplicates(ws: Workspace, tmp_path: Path) -> None:
    import_events(ws, [REAL])
    copy = tmp_path / "renamed.csv"
    shutil.copy(REAL, copy)
    report = import_events(ws, [copy])
    assert report.validation is not None and report.validation.rows_loaded == 0
    assert ws.row_count("raw", "events") == 1000


# -- fixture shapes ---------------------------------------------------------------------------

def test_retailrocket_shape(ws: Workspace) -> None:
    report = import_events(ws, [FIXTURES / "retailrocket.csv"])
    v = report.validation
    assert v is not None
    # 10 rows; the two identical 'transaction' rows (lines 7 and 8) are one event.
    assert (v.rows_read, v.rows_loaded, v.rows_duplicate, v.rows_rejected) == (10, 9, 1, 0)
    assert report.mapping.time_format == "epoch_ms"
    assert q(ws, "SELECT event_type, count(*) FROM raw.events GROUP BY 1 ORDER BY 1") == [
        ("add_to_cart", 2), ("product_view", 4), ("purchase", 2), ("remove_from_cart", 1)
    ]
    assert q(ws, "SELECT _source_line FROM raw.events WHERE order_id = '4000'") == [(7,)]
    # 1433221332117 ms = 2015-06-02 05:02:12.117 UTC
    assert q(ws, "SELECT CAST(event_time AS VARCHAR) FROM raw.events WHERE _source_line = 2") == [
        ("2015-06-02 05:02:12.117",)
    ]


def test_clickstream_without_products(ws: Workspace) -> None:
    report = import_events(ws, [FIXTURES / "clickstream.csv"])
    v = report.validation
    assert v is not None
    assert (v.rows_read, v.rows_loaded, v.rows_duplicate, v.rows_rejected) == (12, 10, 0, 2)
    assert {r.reason: (r.count, r.example_lines) for r in v.reasons} == {
        "event_time could not be parsed": (1, "12"),
        "user_id is missing": (1, "13"),
    }
    # No product column: the cart event loads with a null product instead of being rejected.
    assert q(ws, "SELECT product_id, session_id FROM raw.events WHERE event_type = 'add_to_cart'") == [
        (None, "s1")
    ]
    assert q(ws, "SELECT event_name, event_type FROM raw.events WHERE user_id = 'u1' ORDER BY event_time") == [
        ("home", "page_view"), ("category_page", "page_view"), ("product_page", "product_view"),
        ("add_to_cart", "add_to_cart"), ("checkout_shipping", "begin_checkout"),
        ("checkout_payment", "begin_checkout"), ("purchase_complete", "purchase"),
    ]
    assert q(ws, "SELECT event_type FROM raw.events WHERE event_name = 'newsletter_signup'") == [("other",)]
    # The page column has no contract place: it is kept in properties.
    assert q(ws, "SELECT properties ->> 'page' FROM raw.events WHERE event_name = 'search_results'") == [
        ("/search?q=boots",)
    ]
    rejected = q(ws, "SELECT _source_line, reason, source_row ->> 'timestamp' FROM raw.rejected_events ORDER BY 1")
    assert rejected == [(12, "event_time could not be parsed", "not a time"),
                        (13, "user_id is missing", "2024-03-01 11:00:00")]


def test_nested_ndjson(ws: Workspace) -> None:
    report = import_events(ws, [FIXTURES / "nested.ndjson"])
    v = report.validation
    assert v is not None
    assert (v.rows_read, v.rows_loaded, v.rows_duplicate, v.rows_rejected) == (5, 4, 0, 1)
    assert [(r.reason, r.example_lines) for r in v.reasons] == [
        ("product_id is missing on a cart event", "3")
    ]
    rows = q(ws, """SELECT CAST(event_time AS VARCHAR), event_type, user_id, product_id,
                           CAST(price AS VARCHAR), order_id, properties ->> 'color'
                    FROM raw.events ORDER BY _source_line""")
    assert rows == [
        ("2024-03-01 08:00:00", "product_view", "u1", "p1", "9.99", None, "red"),
        ("2024-03-01 08:01:00", "add_to_cart", "u1", "p1", "9.99", None, "red"),
        ("2024-03-01 08:05:00", "purchase", "u1", "p1", "9.99", "o1", None),
        # An epoch number in a column that otherwise holds ISO text; an unknown name → other.
        ("2024-03-01 10:00:00", "other", "u2", None, None, None, None),
    ]


def test_parquet(ws: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "events.parquet"
    duckdb.connect().execute(
        f"""COPY (SELECT TIMESTAMP '2024-01-01 00:00:00' + INTERVAL (i) MINUTE AS event_time,
                         CASE WHEN i % 4 = 0 THEN 'purchase' ELSE 'view' END AS event_type,
                         'u' || (i % 3) AS user_id, 'p' || i AS product_id,
                         CAST(i AS DOUBLE) + 0.5 AS price, i % 2 + 1 AS quantity
                  FROM range(8) t(i)) TO '{f}' (FORMAT parquet)"""
    )
    report = import_events(ws, [f])
    v = report.validation
    assert v is not None and report.format == "parquet"
    assert (v.rows_read, v.rows_loaded, v.rows_rejected) == (8, 8, 0)
    assert q(ws, "SELECT sum(quantity), CAST(sum(price) AS VARCHAR), min(_source_line), max(_source_line) FROM raw.events") == [
        (12, "32.00", 1, 8)
    ]
    assert q(ws, "SELECT count(*) FROM raw.events WHERE event_type = 'purchase'") == [(2,)]


def test_gzip_csv(ws: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "retailrocket.csv.gz"
    f.write_bytes(gzip.compress((FIXTURES / "retailrocket.csv").read_bytes()))
    v = import_events(ws, [f]).validation
    assert v is not None
    assert (v.rows_read, v.rows_loaded, v.rows_duplicate) == (10, 9, 1)


def test_tsv_and_negative_price(ws: Workspace) -> None:
    v = import_events(ws, [FIXTURES / "events.tsv"]).validation
    assert v is not None
    assert (v.rows_read, v.rows_loaded, v.rows_rejected) == (3, 2, 1)
    assert [(r.reason, r.example_lines) for r in v.reasons] == [("price is negative", "4")]


def test_semicolon_decimal_comma_and_quantity_rules(ws: Workspace) -> None:
    v = import_events(ws, [FIXTURES / "semicolon.csv"]).validation
    assert v is not None
    assert (v.rows_read, v.rows_loaded, v.rows_rejected) == (5, 3, 2)
    assert {r.reason: r.example_lines for r in v.reasons} == {
        "quantity is less than 1": "4",
        "quantity is not a whole number": "5",
    }
    assert q(ws, "SELECT CAST(price AS VARCHAR), quantity FROM raw.events ORDER BY _source_line") == [
        ("12.50", 1), ("12.50", 2), ("12.50", 2)
    ]


def test_thousands_separators_follow_the_files_decimal_point(ws: Workspace, tmp_path: Path) -> None:
    # A comma-separated file: "1,234" is one thousand two hundred and thirty-four, never 1.234;
    # "12,50" fits no reading of a file whose decimals are points, so its row is rejected.
    f = tmp_path / "us.csv"
    f.write_text(
        "event_id,event_time,event_type,user_id,order_id,price,quantity\n"
        'a,2024-03-01T10:00:00Z,purchase,u1,o1,"1,234.50",1\n'
        'b,2024-03-01T10:00:00Z,purchase,u1,o1,"1,234","1,000"\n'
        'c,2024-03-01T10:00:00Z,purchase,u1,o1,"12,50",1\n'
        "d,2024-03-01T10:00:00Z,purchase,u1,o1,2.00,2\n"
    )
    report = import_events(ws, [f])
    v = report.validation
    assert v is not None
    assert (v.rows_loaded, v.rows_rejected) == (3, 1)
    assert [(r.reason, r.example_lines) for r in v.reasons] == [("price is not a number", "4")]
    assert q(ws, "SELECT event_id, CAST(price AS VARCHAR), quantity FROM raw.events ORDER BY 1") == [
        ("a", "1234.50", 1), ("b", "1234.00", 1000), ("d", "2.00", 2)
    ]
    assert report.mapping.source.decimal == "."
    assert any("'12,50'" in n and "rejected" in n for n in report.notes)


def test_decimal_comma_with_thousands_points(ws: Workspace, tmp_path: Path) -> None:
    # Most values can only be read with a decimal comma: "3.25" is then no number (rejected),
    # and "1.234,50" is 1234.50.
    f = tmp_path / "eu.csv"
    f.write_text(
        "event_id;event_time;event_type;user_id;order_id;price\n"
        "a;2024-03-01T10:00:00Z;purchase;u1;o1;1.234,50\n"
        "b;2024-03-01T10:00:00Z;purchase;u1;o1;12,50\n"
        "c;2024-03-01T10:00:00Z;purchase;u1;o1;3.25\n"
        "d;2024-03-01T10:00:00Z;purchase;u1;o1;7\n"
    )
    report = import_events(ws, [f])
    assert report.mapping.source.decimal == ","
    assert q(ws, "SELECT event_id, CAST(price AS VARCHAR) FROM raw.events ORDER BY 1") == [
        ("a", "1234.50"), ("b", "12.50"), ("d", "7.00")
    ]
    assert q(ws, "SELECT _source_line, reason FROM raw.rejected_events") == [
        (4, "price is not a number")
    ]


def test_prices_with_currency_signs_or_codes(ws: Workspace, tmp_path: Path) -> None:
    """$1,234.50, USD 12.00 or 1.234,50 € rejected every row as 'price is not a number'; the
    number is read past the sign, by the file's decimal convention."""
    us = tmp_path / "us.csv"
    us.write_text("event_id,event_time,event_type,user_id,order_id,price\n"
                  'a,2024-03-01T10:00:00Z,purchase,u1,o1,"$1,234.50"\n'
                  "b,2024-03-01T10:00:00Z,purchase,u1,o2,USD 12.00\n"
                  "c,2024-03-01T10:00:00Z,purchase,u1,o3,-$5.00\n"
                  "d,2024-03-01T10:00:00Z,purchase,u1,o4,7\n")
    report = import_events(ws, [us])
    assert report.validation is not None and report.validation.rows_rejected == 1  # -5.00
    assert q(ws, "SELECT event_id, CAST(price AS VARCHAR) FROM raw.events ORDER BY 1") == [
        ("a", "1234.50"), ("b", "12.00"), ("d", "7.00")]
    assert any("currency sign" in n and "'$1,234.50'" in n for n in report.notes)
    eu = tmp_path / "eu.csv"
    eu.write_text("event_id;event_time;event_type;user_id;order_id;price\n"
                  "e;2024-03-01T10:00:00Z;purchase;u1;o5;1.234,50 €\n"
                  "f;2024-03-01T10:00:00Z;purchase;u1;o6;12,50 EUR\n")
    assert import_events(ws, [eu]).mapping.source.decimal == ","
    assert q(ws, "SELECT event_id, CAST(price AS VARCHAR) FROM raw.events WHERE event_id > 'd' "
                 "ORDER BY 1") == [("e", "1234.50"), ("f", "12.50")]


def test_the_other_decimal_separator_note_names_only_the_fields_that_use_it(
    ws: Workspace, tmp_path: Path
) -> None:
    f = tmp_path / "q.csv"
    f.write_text("event_id,event_time,event_type,user_id,order_id,price,quantity\n"
                 "a,2024-03-01T10:00:00Z,purchase,u1,o1,12.50,1\n"
                 "b,2024-03-01T10:00:00Z,purchase,u1,o1,3.25,1\n"
                 'c,2024-03-01T10:00:00Z,purchase,u1,o1,2.00,"1,5"\n')
    notes = [n for n in import_events(ws, [f]).notes if "other decimal separator" in n]
    assert notes and notes[0].startswith("1 value(s) of quantity use the other")


def test_the_decimal_separator_a_mapping_sets(ws: Workspace, tmp_path: Path) -> None:
    # A semicolon-separated file with decimal points, said so in the mapping.
    f = tmp_path / "points.csv"
    f.write_text(
        "event_id;event_time;event_type;user_id;order_id;price\n"
        "a;2024-03-01T10:00:00Z;purchase;u1;o1;12,50\n"
        "b;2024-03-01T10:00:00Z;purchase;u1;o1;3.25\n"
    )
    mapping = Mapping.from_yaml(
        "source: {decimal: '.'}\ncolumns: {event_id: event_id, event_time: event_time, "
        "event_type: event_type, user_id: user_id, order_id: order_id, price: price}\n"
    )
    assert "decimal: ." in mapping.to_yaml()
    assert "decimal" not in Mapping().to_yaml()
    import_events(ws, [f], mapping)
    assert q(ws, "SELECT event_id, CAST(price AS VARCHAR) FROM raw.events") == [("b", "3.25")]


def test_prices_round_half_away_from_zero_to_the_cent(ws: Workspace, tmp_path: Path) -> None:
    # 1.005 is not exact as a binary double (1.00499…): read through it, it fell to 1.00.
    f = tmp_path / "cents.csv"
    f.write_text(
        "event_id,event_time,event_type,user_id,order_id,price\n"
        "a,2024-03-01T10:00:00Z,purchase,u1,o1,1.005\n"
        "b,2024-03-01T10:00:00Z,purchase,u1,o1,2.675\n"
        "c,2024-03-01T10:00:00Z,purchase,u1,o1,12.344\n"
    )
    import_events(ws, [f])
    p = tmp_path / "cents.parquet"
    con = duckdb.connect()
    con.execute(
        "COPY (SELECT 'e' AS event_id, TIMESTAMP '2024-03-01 10:00:00' AS event_time, "
        "'purchase' AS event_type, 'u2' AS user_id, 'o2' AS order_id, "
        f"CAST(1.005 AS DECIMAL(10,3)) AS price) TO '{p}' (FORMAT parquet)"
    )
    con.close()
    import_events(ws, [p])
    assert q(ws, "SELECT event_id, CAST(price AS VARCHAR) FROM raw.events ORDER BY 1") == [
        ("a", "1.01"), ("b", "2.68"), ("c", "12.34"), ("e", "1.01")
    ]


def test_rows_without_an_event_name_are_rejected_not_the_file(ws: Workspace, tmp_path: Path) -> None:
    # A blank, null or missing name: the row is quarantined with its reason, the rest loads (a
    # NOT NULL constraint used to fail the whole import).
    csv = tmp_path / "names.csv"
    csv.write_text("event_id,event_time,event_name,user_id\n"
                   "e1,2024-03-01T10:00:00Z,page_view,u1\n"
                   "e2,2024-03-01T10:01:00Z,,u1\n"
                   "e3,2024-03-01T10:02:00Z,   ,u1\n")
    v = import_events(ws, [csv]).validation
    assert v is not None
    assert (v.rows_loaded, v.rows_rejected) == (1, 2)
    assert [(r.reason, r.example_lines) for r in v.reasons] == [("event name is missing", "3, 4")]
    js = tmp_path / "names.ndjson"
    js.write_text('{"event_id": "j1", "event_time": "2024-03-01T10:00:00Z", "event_name": "view", "user_id": "u2"}\n'
                  '{"event_id": "j2", "event_time": "2024-03-01T10:01:00Z", "event_name": null, "user_id": "u2"}\n'
                  '{"event_id": "j3", "event_time": "2024-03-01T10:02:00Z", "user_id": "u2"}\n')
    v = import_events(ws, [js]).validation
    assert v is not None
    assert (v.rows_loaded, v.rows_rejected) == (1, 2)
    assert q(ws, "SELECT count(*) FROM raw.rejected_events WHERE reason = 'event name is missing'") == [(4,)]


def test_a_repeated_event_id_with_other_values_is_quarantined(ws: Workspace, tmp_path: Path) -> None:
    # Lines 3 and 4 are one event twice (a duplicate); line 6 reuses line 5's id for another
    # order: not a duplicate, so it is rejected with its values and reason, not silently dropped.
    f = tmp_path / "ids.csv"
    f.write_text(
        "event_id,event_time,event_type,user_id,order_id,price\n"
        "a,2024-03-01T10:00:00Z,purchase,u1,o1,1.00\n"
        "b,2024-03-01T10:00:00Z,purchase,u1,o2,2.00\n"
        "b,2024-03-01T10:00:00Z,purchase,u1,o2,2.00\n"
        "x,2024-03-01T10:00:00Z,purchase,u2,o3,3.00\n"
        "x,2024-03-01T10:05:00Z,purchase,u2,o4,4.00\n"
    )
    v = import_events(ws, [f]).validation
    assert v is not None
    assert (v.rows_read, v.rows_loaded, v.rows_duplicate, v.rows_rejected) == (5, 3, 1, 1)
    assert [(r.reason, r.example_lines) for r in v.reasons] == [
        ("event_id repeats an earlier row of the import with other values", "6")
    ]
    assert q(ws, "SELECT event_id, order_id FROM raw.events ORDER BY 1") == [
        ("a", "o1"), ("b", "o2"), ("x", "o3")
    ]
    assert q(ws, "SELECT source_row ->> '$.order_id', source_row ->> '$.price' "
                 "FROM raw.rejected_events") == [("o4", "4.0")]


def test_excels_sep_line_names_the_delimiter(ws: Workspace, tmp_path: Path) -> None:
    # Excel writes "sep=;" above the header of a CSV it should open with that delimiter: the
    # line is not the header, and the lines keep their numbers (the header is line 2).
    text = ("sep=;\nevent_id;event_time;event_type;user_id;price\n"
            "e1;2024-03-01T10:00:00Z;view;u1;12,50\ne2;later;view;u1;3\n"
            "e3;2024-03-01T10:02:00Z;view;u2;1.234,50\n")
    f = tmp_path / "excel.csv"
    f.write_text(text)
    v = import_events(ws, [f]).validation
    assert v is not None
    assert (v.rows_read, v.rows_loaded, v.rows_rejected) == (3, 2, 1)
    assert [(r.reason, r.example_lines) for r in v.reasons] == [
        ("event_time could not be parsed", "4")
    ]
    assert q(ws, "SELECT event_id, _source_line, CAST(price AS VARCHAR) FROM raw.events "
                 "ORDER BY 1") == [("e1", 3, "12.50"), ("e3", 5, "1234.50")]
    gz = tmp_path / "excel2.csv.gz"
    gz.write_bytes(gzip.compress(text.replace("e1;", "e9;").encode()))
    v = import_events(ws, [gz]).validation
    assert v is not None and v.rows_loaded == 1  # e9 (e3 is there already)


def test_mapping_file_with_time_format_and_event_types(ws: Workspace) -> None:
    mapping = load_mapping(FIXTURES / "german_mapping.yaml")
    v = import_events(ws, [FIXTURES / "german.csv"], mapping).validation
    assert v is not None
    assert (v.rows_loaded, v.rows_rejected) == (3, 1)
    assert q(ws, "SELECT CAST(event_time AS VARCHAR), event_type, event_name, country FROM raw.events ORDER BY _source_line") == [
        ("2024-03-01 10:00:00", "product_view", "ansicht", "DE"),
        ("2024-03-01 10:05:00", "add_to_cart", "warenkorb", "DE"),
        ("2024-03-13 10:05:00", "purchase", "kauf", "DE"),
    ]


def test_several_files_and_a_folder_are_one_batch(ws: Workspace, tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    shutil.copy(FIXTURES / "retailrocket.csv", folder / "a.csv")
    (folder / "b.csv").write_text(
        "timestamp,visitorid,event,itemid,transactionid\n1433221332117,1,view,5,\n"
        "1433221332118,1,view,6,\n"
    )
    report = import_events(ws, [folder])
    v = report.validation
    assert v is not None
    assert (v.rows_read, v.rows_loaded, v.rows_duplicate) == (12, 11, 1)
    assert len(list_batches(ws.cursor())) == 1
    # Lines count per file.
    assert q(ws, "SELECT max(_source_line) FROM raw.events WHERE _source_file LIKE '%b.csv'") == [(3,)]
    # A glob over the same files adds nothing.
    again = import_events(ws, [str(folder / "*.csv")])
    assert again.validation is not None and again.validation.rows_loaded == 0


# -- the wizard's steps, dry runs, mappings ---------------------------------------------------

@needs_real_sample
def test_wizard_steps_write_nothing(ws: Workspace) -> None:
    info = inspect_sources([REAL])
    assert (info.format, info.delimiter, info.row_estimate) == ("csv", ",", 1000)
    assert [c.name for c in info.columns][:3] == ["event_time", "event_type", "product_id"]
    mapping = propose_mapping(info)
    counts = event_name_counts(ws, info, mapping)
    assert [(c.name, c.count, c.event_type) for c in counts] == [
        ("view", 987, "product_view"), ("purchase", 10, "purchase"), ("cart", 3, "add_to_cart")
    ]
    frame = preview(ws, info, mapping, limit=10)
    assert frame.height == 10
    assert frame["_source_line"].to_list() == list(range(2, 12))
    report = validate(ws, info, mapping)
    assert (report.rows_loaded, report.rows_rejected) == (1000, 0)
    assert table_counts(ws) == (0, 0, 0, 0, 0)


def test_dry_run_writes_nothing(ws: Workspace) -> None:
    report = import_events(ws, [FIXTURES / "clickstream.csv"], dry_run=True)
    assert report.dry_run and report.batch_id is None
    assert report.validation is not None and report.validation.rows_rejected == 2
    assert table_counts(ws) == (0, 0, 0, 0, 0)
    assert q(ws, "SELECT count(*) FROM duckdb_tables() WHERE temporary") == [(0,)]


def test_saved_mapping_gives_the_same_import(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "a") as a:
        first = import_events(a, [FIXTURES / "clickstream.csv"])
        save_mapping(first.mapping, tmp_path / "m.yaml")
        rows_a = q(a, "SELECT * EXCLUDE (_batch_id, _loaded_at) FROM raw.events ORDER BY event_id")
    with Workspace.open(tmp_path / "b") as b:
        import_events(b, [FIXTURES / "clickstream.csv"], load_mapping(tmp_path / "m.yaml"))
        rows_b = q(b, "SELECT * EXCLUDE (_batch_id, _loaded_at) FROM raw.events ORDER BY event_id")
    assert rows_a == rows_b and len(rows_a) == 10


def test_event_type_override_from_mapping(ws: Workspace) -> None:
    info = inspect_sources([FIXTURES / "clickstream.csv"])
    mapping = propose_mapping(info).model_copy(update={"event_types": {"newsletter_signup": "page_view"}})
    import_events(ws, [FIXTURES / "clickstream.csv"], mapping)
    assert q(ws, "SELECT event_type FROM raw.events WHERE event_name = 'newsletter_signup'") == [("page_view",)]


# -- batches ----------------------------------------------------------------------------------

def test_delete_batch_removes_its_rows_only(ws: Workspace) -> None:
    a = import_events(ws, [FIXTURES / "clickstream.csv"])
    b = import_events(ws, [FIXTURES / "retailrocket.csv"])
    assert table_counts(ws) == (19, 2, 0, 0, 2)
    assert a.batch_id and b.batch_id
    rep = delete_batch(ws, a.batch_id)
    assert rep.rows_deleted == {"raw.events": 10, "raw.products": 0, "raw.users": 0,
                                "raw.rejected_events": 2}
    assert table_counts(ws) == (9, 0, 0, 0, 1)
    # After deleting, the same file imports again in full.
    again = import_events(ws, [FIXTURES / "clickstream.csv"])
    assert again.validation is not None and again.validation.rows_loaded == 10


def test_deleting_a_batch_says_what_it_takes_from_later_ones(ws: Workspace, tmp_path: Path) -> None:
    # B repeats one of A's orders (o2), so B skipped it as already imported. Deleting A takes
    # o2 out of the workspace: the delete says so, and B's file imports again to bring it back
    # (it was "already imported" before the delete).
    head = "event_id,event_time,event_type,user_id,order_id,price\n"
    a = tmp_path / "a.csv"
    a.write_text(head + "e1,2024-03-01T10:00:00Z,purchase,u1,o1,10.00\n"
                        "e2,2024-03-02T10:00:00Z,purchase,u2,o2,4.00\n")
    b = tmp_path / "b.csv"
    b.write_text(head + "e2,2024-03-02T10:00:00Z,purchase,u2,o2,4.00\n"
                        "e3,2024-03-03T10:00:00Z,purchase,u3,o3,7.00\n")
    ra, rb = import_events(ws, [a]), import_events(ws, [b])
    assert ra.batch_id and rb.batch_id and rb.validation is not None
    assert (rb.validation.rows_loaded, rb.validation.rows_duplicate) == (1, 1)
    # Before any delete, importing B's file again adds nothing.
    assert import_events(ws, [b]).previous_batch == rb.batch_id
    rep = delete_batch(ws, ra.batch_id)
    assert rep.also_in == ((rb.batch_id, str(b), 1),)
    assert "1 of the deleted events were also in later imports" in rep.shared_note()
    assert q(ws, "SELECT event_id FROM raw.events ORDER BY 1") == [("e3",)]
    again = import_events(ws, [b])
    assert again.validation is not None
    assert (again.validation.rows_loaded, again.validation.rows_duplicate) == (1, 1)
    assert q(ws, "SELECT event_id, order_id FROM raw.events ORDER BY 1") == [
        ("e2", "o2"), ("e3", "o3")
    ]
    # The second import of B's file skipped e3 as B's own: deleting B says that in turn; the
    # last batch held nothing a later one skipped.
    assert delete_batch(ws, rb.batch_id).also_in == ((again.batch_id, str(b), 1),)
    assert again.batch_id and delete_batch(ws, again.batch_id).also_in == ()


def test_products_and_users_files(ws: Workspace, tmp_path: Path) -> None:
    products = tmp_path / "products.csv"
    products.write_text("sku,title,category,brand,list_price\nA1,Boot,shoes,acme,59.90\n"
                        "A2,Sock,socks,acme,-1\n,Nameless,x,y,1\n"
                        # Too large for DECIMAL(12,2), at once or once rounded, and infinite:
                        # each row refused, not the whole file as a failed cast.
                        "A3,Car,x,y,99999999999\nA4,Yacht,x,y,9999999999.995\nA5,Moon,x,y,inf\n")
    users = tmp_path / "users.csv"
    users.write_text("customer_id,signup_date,country,segment,updated_at\n"
                     "u1,2024-01-01,DE,vip,2024-02-01 00:00:00\nu2,2024-01-05,FR,new,\n")
    report = import_events(ws, [FIXTURES / "clickstream.csv"], products=products, users=users)
    cats = {c.kind: (c.rows_read, c.rows_loaded, c.rows_rejected) for c in report.catalogs}
    assert cats == {"products": (6, 1, 5), "users": (2, 2, 0)}
    products_report = next(c for c in report.catalogs if c.kind == "products")
    assert {r.reason: r.count for r in products_report.reasons} == {
        "product_id is missing": 1, "price is negative": 1, "price is not a number": 1,
        "price is too large for DECIMAL(12,2) (≥ 10,000,000,000)": 2}
    assert q(ws, "SELECT product_id, name, CAST(price AS VARCHAR) FROM raw.products") == [("A1", "Boot", "59.90")]
    # No updated_at: the snapshot is as of the signup.
    assert q(ws, "SELECT user_id, CAST(updated_at AS VARCHAR) FROM raw.users ORDER BY 1") == [
        ("u1", "2024-02-01 00:00:00"), ("u2", "2024-01-05 00:00:00")
    ]
    assert sorted(b.kind for b in list_batches(ws.cursor())) == ["events", "products", "users"]
    # Again: nothing new anywhere, and every row accounted for (loaded, duplicate, rejected).
    again = import_events(ws, [], products=products, users=users)
    assert {c.kind: (c.rows_loaded, c.rows_duplicate, c.rows_rejected) for c in again.catalogs} == {
        "products": (0, 1, 5), "users": (0, 2, 0)}
    assert (ws.row_count("raw", "products"), ws.row_count("raw", "users")) == (1, 2)


# -- cancel -----------------------------------------------------------------------------------

@needs_real_sample
def test_cancel_leaves_the_workspace_unchanged(ws: Workspace) -> None:
    import_events(ws, [FIXTURES / "retailrocket.csv"])
    before = table_counts(ws)
    reporter = RecordingReporter(cancel_after=2)
    with pytest.raises(Cancelled):
        import_events(ws, [REAL], reporter=reporter)
    assert table_counts(ws) == before


def test_interrupt_from_another_thread_becomes_cancelled(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = tmp_path / "big.csv"
    duckdb.connect().execute(
        f"""COPY (SELECT '2024-01-01 00:00:00' AS event_time, 'view' AS event_type,
                         'u' || (i % 1000) AS user_id, i AS product_id
                  FROM range(3000000) t(i)) TO '{big}' (FORMAT csv, HEADER)"""
    )
    # An interrupt lands only on a running statement (one between two does nothing): it comes
    # 0.2 s into the insert of the 3M rows, which takes seconds.
    from shoplytics_desktop.core.ingest import load

    insert = load._insert_valid
    timers: list[threading.Timer] = []

    def interrupted_insert(*args: object, **kwargs: object) -> int:
        timers.append(threading.Timer(0.2, ws.interrupt))
        timers[-1].start()
        return insert(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(load, "_insert_valid", interrupted_insert)
    with pytest.raises(Cancelled):
        import_events(ws, [big])
    for timer in timers:
        timer.join()
    assert len(timers) == 1
    assert table_counts(ws) == (0, 0, 0, 0, 0)


def test_overlapping_export_adds_only_the_new_rows(ws: Workspace, tmp_path: Path) -> None:
    import_events(ws, [FIXTURES / "retailrocket.csv"])
    lines = (FIXTURES / "retailrocket.csv").read_text().splitlines()
    overlap = tmp_path / "next_export.csv"
    # Two rows seen before (one of them twice), one new row, one broken row.
    overlap.write_text("\n".join([lines[0], lines[1], lines[2], lines[2],
                                  "1433300000000,1,view,7,", "x,1,view,8,"]) + "\n")
    report = import_events(ws, [overlap])
    v = report.validation
    assert v is not None
    assert (v.rows_read, v.rows_loaded, v.rows_duplicate, v.rows_rejected) == (5, 1, 3, 1)
    assert v.duplicates_existing == 3
    assert ws.row_count("raw", "events") == 10
    assert q(ws, f"SELECT _source_line FROM raw.events WHERE _batch_id = '{report.batch_id}'") == [(5,)]
    assert q(ws, f"SELECT _source_line, reason FROM raw.rejected_events WHERE _batch_id = '{report.batch_id}'") == [
        (6, "event_time could not be parsed")
    ]


def test_lines_after_ragged_rows_in_several_files(ws: Workspace, tmp_path: Path) -> None:
    header = "event_time,event_type,user_id\n"
    a = tmp_path / "a.csv"
    a.write_text(header + "2024-01-01 00:00:00,view,u1\n2024-01-01 00:00:01,view\n"
                 "2024-01-01 00:00:02,view,u2\n")
    b = tmp_path / "b.csv"
    b.write_text(header + "2024-01-02 00:00:00,view,u3,x\n2024-01-02 00:00:01,view,u4,y\n"
                 "2024-01-02 00:00:02,view,u5\n2024-01-02 00:00:03,nope\n2024-01-02 00:00:04,view,u6\n")
    v = import_events(ws, [a, b]).validation
    assert v is not None
    assert (v.rows_read, v.rows_loaded, v.rows_rejected) == (8, 4, 4)
    loaded = q(ws, "SELECT regexp_extract(_source_file, '(.)\\.csv$', 1), _source_line, user_id "
                   "FROM raw.events ORDER BY 1, 2")
    assert loaded == [("a", 2, "u1"), ("a", 4, "u2"), ("b", 4, "u5"), ("b", 6, "u6")]
    rejected = q(ws, "SELECT regexp_extract(_source_file, '(.)\\.csv$', 1), _source_line "
                     "FROM raw.rejected_events ORDER BY 1, 2")
    assert rejected == [("a", 3), ("b", 2), ("b", 3), ("b", 5)]


def test_validate_reports_examples_with_the_source_row(tmp_path: Path) -> None:
    f = tmp_path / "mixed.json"
    f.write_text(
        '[{"ts": "2024-01-01T00:00:00Z", "event": "view", "user": 1, "price": "9.5"},'
        ' {"ts": 1704067260000, "event": "cart", "user": "u2", "price": 3, "sku": "A"},'
        ' {"ts": "yesterday", "event": "view", "user": "u3", "price": null},'
        ' {"ts": "2024-01-01T00:02:00Z", "event": "purchase", "user": "u4", "price": "free"}]'
    )
    con = duckdb.connect()
    info = inspect_sources([f])
    assert info.format == "json"
    mapping = propose_mapping(info)
    report = validate(con, info, mapping)
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (4, 2, 2)
    by_reason = {r.reason: r for r in report.reasons}
    assert set(by_reason) == {"event_time could not be parsed", "price is not a number"}
    example = by_reason["event_time could not be parsed"].examples[0]
    assert example.line == 3
    assert example.source_row is not None and '"yesterday"' in example.source_row
    frame = preview(con, info, mapping)
    assert frame["event_time"].to_list()[:2] == [
        dt.datetime(2024, 1, 1, 0, 0), dt.datetime(2024, 1, 1, 0, 1)
    ]
    assert frame["user_id"].to_list() == ["1", "u2", "u3", "u4"]


def test_reasons_give_counts_and_the_first_examples_by_file_and_line() -> None:
    from shoplytics_desktop.core.ingest.validation import reasons

    con = duckdb.connect()
    # Two reasons; "b" 4 rows in two files, out of order; "a" 1 row; a row without a line
    # (none known) comes after the numbered ones of its file.
    con.execute("""CREATE TABLE r AS SELECT * FROM (VALUES
        ('f2.csv', 3, 'b', '{"x":1}'), ('f1.csv', 9, 'b', '{"x":2}'), ('f1.csv', NULL, 'b', NULL),
        ('f1.csv', 4, 'b', '{"x":3}'), ('f1.csv', 7, 'a', '{"x":4}'))
        AS t(_source_file, _source_line, __reason, source_row)""")
    got = reasons(con, "SELECT * FROM r")
    assert [(g.reason, g.count) for g in got] == [("b", 4), ("a", 1)]
    assert [(e.file, e.line, e.source_row) for e in got[0].examples] == [
        ("f1.csv", 4, '{"x":3}'), ("f1.csv", 9, '{"x":2}'), ("f1.csv", None, None)]
    assert [(e.file, e.line) for e in got[1].examples] == [("f1.csv", 7)]


def test_reasons_of_many_wide_rejected_rows_fit_a_small_memory_limit() -> None:
    # 200,000 rejected rows of 2 kB each (400 MB of text) within 64 MB: only the first three
    # examples of a reason are kept as the rows stream by.
    from shoplytics_desktop.core.ingest.validation import reasons

    con = duckdb.connect()
    con.execute("SET memory_limit = '64MB'")
    con.execute("SET threads = 1")
    got = reasons(con, """SELECT 'f.csv' AS _source_file, 200001 - i AS _source_line,
                                 'too wide' AS __reason, repeat('x', 2000) || i AS source_row
                          FROM range(200000) t(i)""")
    assert [(g.reason, g.count) for g in got] == [("too wide", 200000)]
    assert [e.line for e in got[0].examples] == [2, 3, 4]


def test_progress_is_reported(ws: Workspace) -> None:
    reporter = RecordingReporter()
    import_events(ws, [FIXTURES / "clickstream.csv"], reporter=reporter)
    assert reporter.updates[0][:2] == (0, 5)
    assert reporter.updates[-1] == (5, 5, "Done")
    assert [u[0] for u in reporter.updates] == sorted(u[0] for u in reporter.updates)


def test_event_ids_do_not_depend_on_other_files_columns(ws: Workspace, tmp_path: Path) -> None:
    wide = tmp_path / "wide.csv"
    wide.write_text("event_time,event_type,user_id,page\n2024-01-01 00:00:00,view,u1,/x\n")
    narrow = tmp_path / "narrow.csv"
    narrow.write_text("event_time,event_type,user_id\n2024-01-01 00:00:00,view,u1\n"
                      "2024-01-01 00:00:01,view,u2\n")
    together = import_events(ws, [wide, narrow])
    assert any("columns differ" in n for n in together.notes)
    assert together.validation is not None and together.validation.rows_loaded == 3
    # Absent columns leave no null keys behind in properties.
    assert q(ws, "SELECT user_id, properties FROM raw.events ORDER BY _source_file, _source_line") == [
        ("u1", None), ("u2", None), ("u1", '{"page":"/x"}')
    ]
    alone = import_events(ws, [narrow])
    assert alone.validation is not None
    assert (alone.validation.rows_loaded, alone.validation.rows_duplicate) == (0, 2)


def test_delete_batch_keeps_a_backup_first(ws: Workspace) -> None:
    a = import_events(ws, [FIXTURES / "retailrocket.csv"])
    assert a.batch_id
    delete_batch(ws, a.batch_id)
    bak = duckdb.connect(str(ws.backup_path), read_only=True)
    try:
        assert bak.execute("SELECT count(*) FROM raw.events").fetchone() == (9,)
    finally:
        bak.close()


def test_a_workspace_of_schema_9_gets_the_names_of_batch_files(ws: Workspace, tmp_path: Path) -> None:
    """Opening a workspace of schema version 9 adds batch_files.source_file; the batches it
    recorded before keep no names, so some of their files are never told apart."""
    from shoplytics_desktop.core.workspace import SCHEMA_VERSION

    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("user,time,action\nu,2024-03-01 09:00:00,view\n")
    b.write_text("user,time,action\nv,2024-03-02 09:00:00,view\n")
    first = import_events(ws, [a, b])
    folder = ws.folder
    con = ws.cursor()
    con.execute("ALTER TABLE _shoplytics.batch_files DROP COLUMN source_file")
    con.execute("UPDATE _shoplytics.meta SET value = '9' WHERE key = 'schema_version'")
    ws.close()
    with Workspace.open(folder) as again:
        assert q(again, "SELECT value FROM _shoplytics.meta WHERE key = 'schema_version'") == [
            (str(SCHEMA_VERSION),)]
        assert q(again, "SELECT count(*), count(source_file) FROM _shoplytics.batch_files") == [
            (2, 0)]
        other = first.mapping.model_copy(
            update={"defaults": first.mapping.defaults.model_copy(update={"country": "FR"})})
        report = import_events(again, [a], other)
        assert report.validation is not None and report.validation.replaced_files == ()
        assert q(again, "SELECT count(*) FROM raw.events") == [(3,)]
