"""Updates after real imports equal a full rebuild: six vendor presets' fixtures, a Shopify
orders export followed by its updated version, and the real sample, imported in parts as
separate batches with a run after each (and the real sample's middle batch deleted again), give
the same rows in every table of staging, intermediate and marts as one full rebuild of the same
workspace (EXCEPT ALL both ways, doubles compared exactly), in reporting time zones with and
without DST, and in UTC.

The generated scenarios (test_incremental_scenarios.py) make the data hard on purpose; these
take the shapes the importer maps from vendors' exports: exploded GA4 items, Segment messages,
Shopify pixel events, Snowplow's atomic table and enriched TSV, invoice lines, and the store's
own export.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from shoplytics_desktop.core import removed
from shoplytics_desktop.core.ingest import delete_batch, import_events
from shoplytics_desktop.core.models.runner import run_project
from shoplytics_desktop.core.workspace import Workspace
from tests.samples import REAL_SAMPLE, REPO, needs_real_sample
from tests.unit.relcompare import differences, published, tables

pytestmark = pytest.mark.slow

PRESETS = REPO / "tests" / "fixtures" / "presets"


def _split(source: Path, folder: Path, parts: int, header: bool) -> list[Path]:
    """The file's rows dealt out in turn to ``parts`` files (each with the header, if any): every
    part spans the whole time range, so later parts bring events to users and days already
    built."""
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    head, body = (lines[:1], lines[1:]) if header else ([], lines)
    out = []
    for i in range(parts):
        path = folder / f"{source.stem}_{i}{source.suffix}"
        path.write_text("".join(head + body[i::parts]), encoding="utf-8")
        out.append(path)
    return out


def _updates_equal_a_full_rebuild(parts: list[Path], folder: Path, zone: str,
                                  delete: int | None = None) -> list[str]:
    """Import the parts one by one with a run after each (then, with ``delete``, delete that
    part's batch as the app does and run again), then compare with a full rebuild of a copy;
    returns how int_sessions was built by each run."""
    inc, full = folder / "inc", folder / "full"
    built, batches = [], []
    with Workspace.open(inc) as ws:
        ws.settings.time_zone = zone
        for path in parts:
            report = import_events(ws, [path])
            assert report.validation is not None and report.validation.rows_loaded, path
            batches.append(report.batch_id)
            notes = {m.name: m.note for m in published(run_project(ws)).models}
            built.append(notes["int_sessions"])
        if delete is not None:
            assert batches[delete] is not None
            delete_batch(ws, batches[delete])
            notes = {m.name: m.note for m in published(run_project(ws)).models}
            built.append(notes["int_sessions"])
    shutil.copytree(inc, full)
    with Workspace.open(inc) as ws_inc, Workspace.open(full) as ws_full:
        ws_full.settings.time_zone = zone
        published(run_project(ws_full, full_refresh=True))
        assert len(tables(ws_full)) > 20
        assert differences(ws_inc, ws_full, folder / "cmp") == {}
    return built


@pytest.mark.parametrize("fixture, header", [
    ("ga4/events_20250511.ndjson", False),
    ("segment/tracks.ndjson", False),
    ("shopify/customer_events.jsonl", False),
    ("snowplow/atomic_events.csv", True),
    ("snowplow/enriched.tsv", False),
    ("online_retail/invoices.csv", True),
])
def test_a_preset_import_in_two_batches_equals_a_full_rebuild(
        fixture: str, header: bool, tmp_path: Path) -> None:
    parts = _split(PRESETS / fixture, tmp_path, 2, header)
    built = _updates_equal_a_full_rebuild(parts, tmp_path, "America/New_York")
    # The second batch is an update, unless it brings the first event of a funnel step type
    # (a step no event had is skipped: every session's funnel changes, as it should).
    assert built[1].startswith(("updated for", "rebuilt in full: intermediate.int_step_types"))


@needs_real_sample
@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin"])
def test_the_real_sample_in_three_batches_equals_a_full_rebuild(
        zone: str, tmp_path: Path) -> None:
    parts = _split(REAL_SAMPLE, tmp_path, 3, header=True)
    built = _updates_equal_a_full_rebuild(parts, tmp_path, zone)
    # The first third has no cart event: the second batch brings the first ones (a rebuild in
    # full, as in the presets' case); the third is an update.
    assert built[1:] == ["rebuilt in full: intermediate.int_step_types changed",
                         "updated for 181 user(s) with new events, from the first session those "
                         "can change"], built


@needs_real_sample
def test_the_real_sample_with_a_batch_deleted_again_equals_a_full_rebuild(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The middle third deleted as the app deletes it (its events' users and times recorded),
    and the run after it an update of those users, in a zone with a half-hour offset."""
    monkeypatch.setattr(removed, "MAX_SHARE", 0.5)  # a third of the events: recorded all the same
    parts = _split(REAL_SAMPLE, tmp_path, 3, header=True)
    built = _updates_equal_a_full_rebuild(parts, tmp_path, "America/St_Johns", delete=1)
    assert built[3].startswith("updated for") and "deleted events" in built[3], built


@needs_real_sample
def test_a_batch_imported_again_under_another_mapping_equals_a_full_rebuild(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The middle third imported again with its carts mapped to 'other' and another default
    country replaces its batch (every event id changes: they are hashed from the mapped fields),
    and the run after it updates the users of both the old and the new events."""
    monkeypatch.setattr(removed, "MAX_SHARE", 0.5)
    parts = _split(REAL_SAMPLE, tmp_path, 3, header=True)
    inc, full = tmp_path / "inc", tmp_path / "full"
    with Workspace.open(inc) as ws:
        ws.settings.time_zone = "Asia/Kolkata"
        reports = []
        for path in parts:
            reports.append(import_events(ws, [path]))
            published(run_project(ws))
        m = reports[1].mapping
        remapped = m.model_copy(update={
            "event_types": {**m.event_types, "cart": "other"},
            "defaults": m.defaults.model_copy(update={"country": "FR"})})
        again = import_events(ws, [parts[1]], remapped)
        assert again.validation is not None
        assert again.validation.replaced == ((reports[1].batch_id, 333),)
        assert ws.cursor().execute("SELECT count(*) FROM raw.events").fetchall() == [(1000,)]
        notes = {m.name: m.note for m in published(run_project(ws)).models}
        assert notes["int_sessions"].startswith("updated for"), notes["int_sessions"]
        assert ws.cursor().execute(
            "SELECT count(*) FROM marts.fct_funnel").fetchall()[0][0] > 0
    shutil.copytree(inc, full)
    with Workspace.open(inc) as ws_inc, Workspace.open(full) as ws_full:
        ws_full.settings.time_zone = "Asia/Kolkata"
        published(run_project(ws_full, full_refresh=True))
        assert differences(ws_inc, ws_full, tmp_path / "cmp") == {}


def test_an_updated_shopify_export_equals_a_full_rebuild(tmp_path: Path) -> None:
    """The same orders export downloaded again later (a new order, a partial refund grown to a
    full one): keyed by the source's natural key, the second import adds only what is new, and
    the update that follows equals a full rebuild."""
    parts = [PRESETS / "shopify" / "orders_export.csv",
             PRESETS / "shopify" / "orders_export_updated.csv"]
    built = _updates_equal_a_full_rebuild(parts, tmp_path, "Asia/Tokyo")
    assert built[1].startswith("updated for"), built


@needs_real_sample
def test_some_files_of_a_batch_imported_again_under_another_mapping_equal_a_full_rebuild(
        tmp_path: Path) -> None:
    """Two thirds imported as one batch, the last as another; then one file of the first batch
    again with its carts mapped to 'other': its rows of that batch are replaced (1,000 events,
    not 1,333), the batch keeps its other file, and the run after it equals a full rebuild, as
    does the update after the next batch."""
    parts = _split(REAL_SAMPLE, tmp_path, 4, header=True)
    inc, full = tmp_path / "inc", tmp_path / "full"
    with Workspace.open(inc) as ws:
        ws.settings.time_zone = "Europe/Berlin"
        pair = import_events(ws, parts[:2])
        import_events(ws, [parts[2]])
        published(run_project(ws))
        m = pair.mapping
        remapped = m.model_copy(update={"event_types": {**m.event_types, "cart": "other"}})
        again = import_events(ws, [parts[1]], remapped)
        assert again.validation is not None and again.validation.replaced == ()
        assert again.validation.replaced_files == ((pair.batch_id, 250, (str(parts[1]),)),)
        assert ws.cursor().execute("SELECT count(*) FROM raw.events").fetchall() == [(750,)]
        notes = {m.name: m.note for m in published(run_project(ws)).models}
        # The batch is no longer the one the models were built from: a full rebuild.
        assert notes["int_sessions"].startswith("rebuilt in full"), notes["int_sessions"]
        import_events(ws, [parts[3]])
        notes = {m.name: m.note for m in published(run_project(ws)).models}
        assert notes["int_sessions"].startswith("updated for"), notes["int_sessions"]
        assert ws.cursor().execute("SELECT count(*) FROM raw.events").fetchall() == [(1000,)]
    shutil.copytree(inc, full)
    with Workspace.open(inc) as ws_inc, Workspace.open(full) as ws_full:
        ws_full.settings.time_zone = "Europe/Berlin"
        published(run_project(ws_full, full_refresh=True))
        assert differences(ws_inc, ws_full, tmp_path / "cmp") == {}
