"""Incremental runs equal full rebuilds on every vendor's export shape, not only on generated
data: each preset fixture (and the real sample) is split into two files at random rows, as two
exports that overlap in time; the first is imported and built, then the second, whose run
updates the models; then the first batch is deleted and the run updates them again. After each
update every built relation must hold exactly the rows a full rebuild of the same events gives
(EXCEPT ALL both ways), in UTC and in a reporting zone with another currency and timeout."""

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


def _split(path: Path, header: bool, folder: Path, seed: int) -> tuple[Path, Path]:
    """The file's rows in two files of the same name, each row in one of them at random (a
    JSON array's items alike)."""
    text = path.read_text(encoding="utf-8")
    rnd = random.Random(seed)
    parts: list[list[str]] = [[], []]
    if text.lstrip().startswith("["):
        items: list[list[object]] = [[], []]
        for item in json.loads(text):
            items[rnd.random() < 0.5].append(item)
        parts = [[json.dumps(i)] for i in items]
    else:
        lines = [line for line in text.splitlines() if line.strip()]
        head, body = (lines[:1], lines[1:]) if header else ([], lines)
        for line in body:
            parts[rnd.random() < 0.5].append(line)
        parts = [head + p for p in parts]
    out = []
    for i, part in enumerate(parts):
        (folder / f"part{i}").mkdir()
        target = folder / f"part{i}" / path.name
        target.write_text("\n".join(part) + "\n", encoding="utf-8")
        out.append(target)
    return out[0], out[1]


def _assert_equals_full_rebuild(ws: Workspace, result: RunResult, updated: bool = True) -> None:
    """Every relation the run built equals a full rebuild's; ``updated``: the run updated some
    models (a delete may rebuild everything, which must agree all the same)."""
    assert result.published, result.message
    built = [f"{m.layer}.{m.name}" for m in result.models if m.materialized != "view"]
    notes = {m.name: m.note for m in result.models}
    assert not updated or any(n.startswith("updated") for n in notes.values()), notes
    cur = ws.cursor()
    cur.execute("CREATE SCHEMA inc_copy")
    for rel in built:
        cur.execute(f"CREATE TABLE inc_copy.{rel.split('.')[1]} AS FROM {rel}")
    full = run_project(ws, full_refresh=True)
    assert full.published, full.message
    differing = {}
    for rel in built:
        mine = f"inc_copy.{rel.split('.')[1]}"
        counts = cur.execute(
            f"SELECT (SELECT count(*) FROM (FROM {mine} EXCEPT ALL FROM {rel})), "
            f"(SELECT count(*) FROM (FROM {rel} EXCEPT ALL FROM {mine}))").fetchone()
        if counts != (0, 0):
            differing[rel] = counts
    cur.execute("DROP SCHEMA inc_copy CASCADE")
    assert differing == {}


@pytest.mark.slow
@pytest.mark.parametrize(("case", "path", "preset", "header"), SHAPES, ids=[s[0] for s in SHAPES])
@pytest.mark.parametrize("zoned", [False, True], ids=["utc", "new_york"])
def test_updates_equal_full_rebuilds_on_every_export_shape(
    tmp_path: Path, case: str, path: Path | None, preset: str | None, header: bool, zoned: bool
) -> None:
    if path is None or not path.exists():
        pytest.skip("the real sample is not beside the repository")
    first, second = _split(path, header, tmp_path, seed=len(case) + zoned)
    folder = tmp_path / "ws"
    if zoned:
        save_settings(folder, ZONED)
    with Workspace.open(folder) as ws:
        report = import_events(ws, [first], preset=preset)
        assert report.batch_id is not None
        assert run_project(ws).published
        import_events(ws, [second], preset=preset)
        _assert_equals_full_rebuild(ws, run_project(ws))
        delete_batch(ws, report.batch_id)
        _assert_equals_full_rebuild(ws, run_project(ws), updated=False)
