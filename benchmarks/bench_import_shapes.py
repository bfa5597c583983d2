"""Import throughput in every vendor's shape, against DuckDB's own read of the same file.

Each preset fixture (tests/fixtures/presets; Snowplow's warehouse CSV and its
headerless enriched TSV) is repeated until the file has about ``--rows``
rows, every copy made distinct (its event ids, invoice numbers or times changed), so the import
stores as many events as the file has. For each shape it prints, each in a process of its own:

- our import (``import_events`` into a fresh workspace, the preset recognised as a user's drop
  would be; bench_import.py's ``our_import``), the events it stored and its peak RSS;
- DuckDB's own ``CREATE TABLE t AS SELECT * FROM read_csv(…)`` (or ``read_json_auto``) into a
  new database file;
- their ratio. The import maps, validates, hashes, dedupes and stores the contract's columns,
  so it is always slower than the bare read; the ratio shows a shape that costs more than its
  share (a lookup done row by row, a second pass).

    python benchmarks/bench_import_shapes.py                      # every shape, 1M rows
    python benchmarks/bench_import_shapes.py --rows 200000 ga4 shopify_orders
    python benchmarks/bench_import_shapes.py --files 90 ga4   # a folder of 90 daily files
    python benchmarks/bench_import_shapes.py --generated        # a generated shop's behaviour

With ``--generated``, the files are written from ``--rows`` generated events instead
(``generate.vendor``: the users, sessions, days and orders of a shop rather than copies of a
fixture; Shopify's orders export and the invoice lines hold the orders alone, about 1 % of the
events), every shape but Segment's warehouse tables.
"""

from __future__ import annotations

import argparse
import functools
import re
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_import import bare_copy, in_child, our_import

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


_UUID = re.compile(r"\b([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-)[0-9a-f]{8}([0-9a-f]{4})\b")


def _uuids(line: str, k: int) -> str:
    """Copy k of a Snowplow event: its UUIDs (event and session ids) carry k in their last
    group. The fixture's ids differ in their first group or their last digits, both kept (k
    in the first group made a0f1…-0002 and b0f1…-0002 one id, taken for conflicting repeats)."""
    return _UUID.sub(lambda m: f"{m.group(1)}{k:08x}{m.group(2)}", line)


def _amplitude(line: str, k: int) -> str:
    """Copy k of an Amplitude event: its insert id and its uuid (the row's id) carry k."""
    return _uuids(_suffix_value("$insert_id")(line, k), k)


#: name -> (fixture, file suffix, how copy k of a line differs, whether the first line is a header)
SHAPES: dict[str, tuple[str, str, Copy, bool]] = {
    "amplitude": ("amplitude/export.json", ".json", _amplitude, False),
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

def write_shape(name: str, rows: int, folder: Path, files: int = 1) -> tuple[Path, int]:
    """The fixture of ``name`` repeated to about ``rows`` lines, each copy distinct: one file,
    or ``files`` files in a folder (as a daily export comes), each with the header if any."""
    fixture, suffix, copy, has_header = SHAPES[name]
    lines = [line for line in (FIXTURES / fixture).read_text(encoding="utf-8").splitlines()
             if line.strip()]
    header, body = (lines[:1], lines[1:]) if has_header else ([], lines)
    copies = max(1, rows // len(body))
    if files <= 1:
        paths = [folder / f"{name}{suffix}"]
    else:
        (folder / name).mkdir(exist_ok=True)
        paths = [folder / name / f"{name}_{i:03d}{suffix}" for i in range(files)]
    per_file = -(-copies // len(paths))
    for i, path in enumerate(paths):
        with path.open("w", encoding="utf-8") as out:
            out.writelines(line + "\n" for line in header)
            for k in range(i * per_file, min(copies, (i + 1) * per_file)):
                out.write("\n".join(copy(line, k) for line in body) + "\n")
    return (paths[0] if files <= 1 else folder / name), copies * len(body)


#: The shapes ``generate.vendor`` writes, by this script's names.
GENERATED = {"amplitude": "amplitude", "ga4": "ga4", "mixpanel": "mixpanel",
             "online_retail": "online_retail", "segment": "segment",
             "shopify_events": "shopify_events", "shopify_orders": "shopify",
             "snowplow": "snowplow", "snowplow_enriched": "snowplow_enriched"}


def write_generated(name: str, events: int, folder: Path) -> tuple[Path, int]:
    """The shape's file written from ``events`` generated events (90 days, as
    ``shoplytics generate --out --format``); its lines."""
    from shoplytics_desktop.core.generate import GenerateSpec, write_files

    spec = GenerateSpec(events=events, days=90, seed=7)
    path = write_files(spec, folder, GENERATED[name], force=True)[0]
    with path.open("rb") as fh:
        lines = sum(1 for _ in fh) - (1 if path.suffix == ".csv" else 0)
    return path, lines


def measure(name: str, rows: int, folder: Path, memory: str | None = None, files: int = 1,
            generated: bool = False) -> str:
    """Our import and DuckDB's own read of the shape's file (or folder of ``files`` files),
    each in a process of its own (the helpers of bench_import.py)."""
    if generated:
        path, lines = in_child(write_generated, name, rows, folder)
        name = f"{name} (gen.)"
    else:
        path, lines = write_shape(name, rows, folder, files)
    parts = sorted(path.iterdir()) if path.is_dir() else [path]
    size = sum(p.stat().st_size for p in parts) / 1e6
    fmt = "csv" if parts[0].suffix in (".csv", ".tsv") else "json"
    label = name if files <= 1 else f"{name} ×{files}"
    try:
        # DuckDB reads a folder's files by a glob.
        read = path / f"*{parts[0].suffix}" if path.is_dir() else path
        bare, _, _ = in_child(bare_copy, read, fmt, folder / "bare.duckdb")
        ours = in_child(functools.partial(our_import, import_memory_limit=memory),
                        path, folder / "ws", None)
    except Exception as e:  # a shape that fails to import is a figure too
        return f"{label:24s} {lines:>9,} lines {size:6.0f} MB  FAILED: {type(e).__name__}: {e}"
    finally:
        shutil.rmtree(folder / "ws", ignore_errors=True)
        for part in parts:
            part.unlink(missing_ok=True)
        if path.is_dir():
            path.rmdir()
    return (f"{label:24s} {lines:>9,} lines {size:6.0f} MB  import {ours['seconds']:6.2f} s "
            f"({ours['loaded']:>9,} events, peak RSS {ours['rss']:5.0f} MB)  DuckDB's own read "
            f"{bare:5.2f} s  ratio {ours['seconds'] / bare:5.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("shapes", nargs="*", choices=[*SHAPES, []], metavar="shape",
                        help=f"shapes to measure (default: all of {', '.join(SHAPES)})")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows per file")
    parser.add_argument("--files", type=int, default=1,
                        help="split each shape's rows into this many files of a folder")
    parser.add_argument("--dir", type=Path, default=None, help="scratch folder (default: temp)")
    parser.add_argument("--generated", action="store_true",
                        help="the shapes written from --rows generated "
                        "events instead of copies of the fixtures")
    parser.add_argument("--import-memory-limit", default="",
                        help="the workspace's import_memory_limit (default: the app's, 512MB)")
    args = parser.parse_args()
    folder = args.dir or Path(tempfile.mkdtemp(prefix="shapes-"))
    folder.mkdir(parents=True, exist_ok=True)
    names = args.shapes or (list(GENERATED) if args.generated else SHAPES)
    if args.generated and set(names) - set(GENERATED):
        sys.exit(f"--generated writes {', '.join(GENERATED)} only")
    try:
        for name in names:
            print(measure(name, args.rows, folder, args.import_memory_limit or None, args.files,
                          args.generated), flush=True)
    finally:
        if args.dir is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
