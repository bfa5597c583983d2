"""Incremental runs equal full rebuilds on every vendor's export shape, not only on generated
data: each preset fixture (and the real sample) is split into three files at random rows (about
50 %, 45 % and 5 %), as exports that overlap in time. The first is imported and built; each of
the others is imported and its run updates the models; then the small last batch is deleted
(a batch of at most a tenth of the events is updated for, a larger one rebuilt in full) and the
run updates them again. After each run every built relation must hold exactly the rows a full
rebuild of the same events gives (EXCEPT ALL both ways), in UTC and in a reporting zone with
another currency and session timeout."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from shoplytics_desktop.core.ingest import import_events
from shoplytics_desktop.core.ingest.batches import delete_batch
from shoplytics_desktop.core.models.runner import RunResult, run_project
from shoplytics_desktop.core.settings import WorkspaceSettings, save_settings
from shoplytics_desktop.core.workspace import Workspace
from tests.samples import REAL_SAMPLE
from tests.unit.relcompare import assert_equals_full_rebuild

PRESETS = Path(__file__).resolve().parents[1] / "fixtures" / "presets"

#: (case, file, preset, whether its first line is a header)
SHAPES = [
    ("amplitude", PRESETS / "amplitude" / "export.json", "amplitude", False),
    ("ga4", PRESETS / "ga4" / "events_20250511.ndjson", "ga4", False),
    ("mixpanel", PRESETS / "mixpanel" / "ecommerce.json", "mixpanel", False),
    ("online_retail", PRESETS / "online_retail" / "invoices.csv", "online_retail", True),
    ("segment", PRESETS / "segment" / "tracks.ndjson", "segment", False),
    ("segment_warehouse", PRESETS / "segment_warehouse" / "tracks.csv", "segment_warehouse", True),
    ("shopify_orders", PRESETS / "shopify" / "orders_export.csv", "shopify", True),
    ("shopify_events", PRESETS / "shopify" / "customer_events.jsonl", None, False),
    ("snowplow", PRESETS / "snowplow" / "atomic_events.csv", "snowplow", True),
    ("snowplow_enriched", PRESETS / "snowplow" / "enriched.tsv", "snowplow", False),
    ("real_sample", REAL_SAMPLE, None, True),
]
ZONED = WorkspaceSettings(time_zone="America/New_York", currency="EUR", session_timeout_minutes=15)


def _split(path: Path, header: bool, folder: Path, seed: int, by_order: bool) -> list[Path]:
    """The file's rows in three files of the same name (about 50 %, 45 % and 5 % of them, at
    random; each gets one of the first three rows, so none is empty); a JSON array's items
    alike."""
    text = path.read_text(encoding="utf-8")
    rnd = random.Random(seed)

    def part_of(i: int) -> int:
        if i < 3:
            return i
        x = rnd.random()
        return 0 if x < 0.5 else 1 if x < 0.95 else 2

    parts: list[list[str]]
    if text.lstrip().startswith("["):
        items: list[list[object]] = [[], [], []]
        for i, item in enumerate(json.loads(text)):
            items[part_of(i)].append(item)
        parts = [[json.dumps(i)] for i in items]
    else:
        lines = [line for line in text.splitlines() if line.strip()]
        head, body = (lines[:1], lines[1:]) if header else ([], lines)
        parts = [list(head), list(head), list(head)]
        # An order export's lines stay with their order (its first line alone carries the
        # order's time): consecutive lines with the same first field go to one part.
        i, previous = -1, None
        for line in body:
            key = line.split(",", 1)[0] if by_order else None
            if key is None or key != previous:
                i, slot = i + 1, part_of(i + 1)
            previous = key
            parts[slot].append(line)
    out = []
    for i, part in enumerate(parts):
        (folder / f"part{i}").mkdir()
        target = folder / f"part{i}" / path.name
        target.write_text("\n".join(part) + "\n", encoding="utf-8")
        out.append(target)
    return out


def _assert_equals_full_rebuild(ws: Workspace, result: RunResult, updated: bool = True) -> None:
    """Every relation the run built equals a full rebuild's; ``updated``: the run updated some
    models (a delete may rebuild everything, which must agree all the same)."""
    notes = {m.name: m.note for m in result.models}
    assert not updated or any(n.startswith("updated") for n in notes.values()), notes
    assert_equals_full_rebuild(ws, result)


@pytest.mark.slow
@pytest.mark.parametrize(("case", "path", "preset", "header"), SHAPES, ids=[s[0] for s in SHAPES])
@pytest.mark.parametrize("zoned", [False, True], ids=["utc", "new_york"])
def test_updates_equal_full_rebuilds_on_every_export_shape(
    tmp_path: Path, case: str, path: Path | None, preset: str | None, header: bool, zoned: bool
) -> None:
    if path is None or not path.exists():
        pytest.skip("the real sample is not beside the repository")
    parts = _split(path, header, tmp_path, len(case) + zoned, by_order=case == "shopify_orders")
    folder = tmp_path / "ws"
    if zoned:
        save_settings(folder, ZONED)
    with Workspace.open(folder) as ws:
        import_events(ws, [parts[0]], preset=preset)
        assert run_project(ws).published
        import_events(ws, [parts[1]], preset=preset)
        _assert_equals_full_rebuild(ws, run_project(ws))
        last = import_events(ws, [parts[2]], preset=preset)
        assert last.batch_id is not None
        _assert_equals_full_rebuild(ws, run_project(ws))
        delete_batch(ws, last.batch_id)
        _assert_equals_full_rebuild(ws, run_project(ws), updated=False)
