"""Import throughput in every vendor's shape, against DuckDB's own read of the same file.

Each preset fixture (tests/fixtures/presets; Snowplow's warehouse CSV and its
headerless enriched TSV) is repeated until the file has about ``--rows``
rows, every copy made distinct (its event ids, invoice numbers or times changed), so the import
stores as many events as the file has. For each shape it prints, each in a process of its own:

- our import (``import_events`` into a fresh workspace, the preset recognised as a user's drop
  would be), the events it stored and its peak RSS;
- DuckDB's own ``CREATE TABLE t AS SELECT * FROM read_csv(…)`` (or ``read_json_auto``) into a
  new database file;
- their ratio. The import maps, validates, hashes, dedupes and stores the contract's columns,
  so it is always slower than the bare read; the ratio shows a shape that costs more than its
  share (a lookup done row by row, a second pass).

    python benchmarks/bench_import_shapes.py                      # every shape, 1M rows
    python benchmarks/bench_import_shapes.py --rows 200000 ga4 shopify_orders
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "presets"

Copy = Callable[[str, int], str]


def _suffix_value(key: str) -> Copy:
    """Copy k of a JSON line: ``"key": "v"`` becomes ``"key": "v-k"``."""
    rx = re.compile(r'("' + re.escape(key) + r'":\s*")([^"]*)(")')
    return lambda line, k: rx.sub(lambda m: f"{m.group(1)}{m.group(2)}-{k}{m.group(3)}", line, 1)


def _first_field(line: str, k: int) -> str:
    """Copy k of a CSV line: its first field (the row's id) gets ``-k``."""
    head, rest = line.split(",", 1)
    return f"{head}-{k},{rest}"


def _invoice(line: str, k: int) -> str:
    """Copy k of an invoice line: the invoice number gets k in front (a cancellation keeps its C)."""
    head, rest = line.split(",", 1)
    cancelled = head.startswith("C")
    return f"{'C' if cancelled else ''}{k}{head.lstrip('C')},{rest}"


def _ga4_time(line: str, k: int) -> str:
    """Copy k of a GA4 event: k milliseconds later (GA4 has no event id; its hash differs)."""
    return re.sub(r'("event_timestamp":\s*")(\d+)(")',
                  lambda m: f"{m.group(1)}{int(m.group(2)) + k * 1000}{m.group(3)}", line, count=1)


def _uuids(line: str, k: int) -> str:
    """Copy k of a Snowplow event: its UUIDs (event and session ids) start with k."""
    return re.sub(r"\b[0-9a-f]{8}(-[0-9a-f]{4}-4)", lambda m: f"{k:08x}{m.group(1)}", line)


#: name -> (fixture, file suffix, how copy k of a line differs, whether the first line is a header)
SHAPES: dict[str, tuple[str, str, Copy, bool]] = {
    "amplitude": ("amplitude/export.json", ".json", _suffix_value("$insert_id"), False),
    "ga4": ("ga4/events_20250511.ndjson", ".ndjson", _ga4_time, False),
    "mixpanel": ("mixpanel/ecommerce.json", ".json", _suffix_value("$insert_id"), False),
    "online_retail": ("online_retail/invoices.csv", ".csv", _invoice, True),
    "segment": ("segment/tracks.ndjson", ".ndjson", _suffix_value("messageId"), False),
    "segment_warehouse": ("segment_warehouse/tracks.csv", ".csv", _first_field, True),
    "shopify_events": ("shopify/customer_events.jsonl", ".jsonl", _suffix_value("id"), False),
    "shopify_orders": ("shopify/orders_export.csv", ".csv", _first_field, True),
    "snowplow": ("snowplow/atomic_events.csv", ".csv", _uuids, True),
    "snowplow_enriched": ("snowplow/enriched.tsv", ".tsv", _uuids, False),
}

_IMPORT = r"""
import resource, sys, time
from pathlib import Path
from shoplytics_desktop.core.ingest import import_events
from shoplytics_desktop.core.settings import WorkspaceSettings, save_settings
from shoplytics_desktop.core.workspace import Workspace
if sys.argv[3]:
    Path(sys.argv[2]).mkdir(parents=True, exist_ok=True)
    save_settings(Path(sys.argv[2]), WorkspaceSettings(import_memory_limit=sys.argv[3]))
with Workspace.open(Path(sys.argv[2])) as ws:
    t0 = time.perf_counter()
    import_events(ws, [sys.argv[1]])
    seconds = time.perf_counter() - t0
    events = ws.row_count("raw", "events")
print(seconds, events, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""

_BARE = r"""
import sys, time, duckdb
path = sys.argv[1]
reader = (f"read_csv('{path}')" if path.endswith(('.csv', '.tsv')) else f"read_json_auto('{path}')")
con = duckdb.connect(sys.argv[2])
con.execute("SET enable_progress_bar = false")
t0 = time.perf_counter()
con.execute(f"CREATE TABLE t AS SELECT * FROM {reader}")
con.close()
print(time.perf_counter() - t0)
"""


def write_shape(name: str, rows: int, folder: Path) -> tuple[Path, int]:
    """The fixture of ``name`` repeated to about ``rows`` lines, each copy distinct."""
    fixture, suffix, copy, has_header = SHAPES[name]
    lines = [line for line in (FIXTURES / fixture).read_text(encoding="utf-8").splitlines()
             if line.strip()]
    header, body = (lines[:1], lines[1:]) if has_header else ([], lines)
    copies = max(1, rows // len(body))
    path = folder / f"{name}{suffix}"
    with path.open("w", encoding="utf-8") as out:
        out.writelines(line + "\n" for line in header)
        for k in range(copies):
            out.write("\n".join(copy(line, k) for line in body) + "\n")
    return path, copies * len(body)


def _run(script: str, *args: str) -> list[str]:
    done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True,
                          check=False)
    if done.returncode:
        raise RuntimeError(done.stderr.strip().splitlines()[-1])
    return done.stdout.splitlines()[-1].split()


def measure(name: str, rows: int, folder: Path, memory: str = "") -> str:
    path, lines = write_shape(name, rows, folder)
    size = path.stat().st_size / 1e6
    try:
        (bare,) = (float(x) for x in _run(_BARE, str(path), str(folder / "bare.duckdb")))
        seconds, events, rss = (
            float(x) for x in _run(_IMPORT, str(path), str(folder / "ws"), memory)
        )
    except RuntimeError as e:
        return f"{name:18s} {lines:>9,} lines {size:6.0f} MB  FAILED: {e}"
    finally:
        shutil.rmtree(folder / "ws", ignore_errors=True)
        (folder / "bare.duckdb").unlink(missing_ok=True)
        path.unlink(missing_ok=True)
    return (f"{name:18s} {lines:>9,} lines {size:6.0f} MB  import {seconds:6.2f} s "
            f"({int(events):>9,} events, peak RSS {rss:5.0f} MB)  DuckDB's own read "
            f"{bare:5.2f} s  ratio {seconds / bare:5.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("shapes", nargs="*", choices=[*SHAPES, []], metavar="shape",
                        help=f"shapes to measure (default: all of {', '.join(SHAPES)})")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows per file")
    parser.add_argument("--dir", type=Path, default=None, help="scratch folder (default: temp)")
    parser.add_argument("--import-memory-limit", default="",
                        help="the workspace's import_memory_limit (default: the app's, 512MB)")
    args = parser.parse_args()
    folder = args.dir or Path(tempfile.mkdtemp(prefix="shapes-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        for name in args.shapes or SHAPES:
            print(measure(name, args.rows, folder, args.import_memory_limit), flush=True)
    finally:
        if args.dir is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
