"""Generator benchmark: generate and load N events into a fresh temporary workspace.

Each size runs in its own subprocess so that the peak RSS printed is that size's own. Beside each
figure stands DuckDB's own share of the job measured alone, in another subprocess: the same
INSERT INTO raw.events, of the same number of rows, with the same SQL (ids, timestamps, names)
from integer columns DuckDB computes itself, into a fresh workspace file, in one transaction and
under the same settings. ``x bare`` is the ratio of the two wall times and ``x cpu`` of the two
CPU times (steadier when other work shares the machine), so a slower machine does not hide a
regression (nor a faster one fake a gain). The last table shows how seconds, CPU seconds and
peak RSS grow with the size (medians of the repeats).

    python benchmarks/bench_generate.py              # 1M and 10M events
    python benchmarks/bench_generate.py 1000000 --repeat 3
    python benchmarks/bench_generate.py 1000000 10000000 100000000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shoplytics_desktop.core.generate import GenerateSpec


def _spec(events: int, days: int, seed: int) -> GenerateSpec:
    from shoplytics_desktop.core.generate import GenerateSpec

    start = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=days + 1)
    return GenerateSpec(events=events, days=days, seed=seed, start=start)


def _one(events: int, days: int, seed: int) -> dict[str, float]:
    from shoplytics_desktop.core.generate import generate_into
    from shoplytics_desktop.core.workspace import Workspace

    spec = _spec(events, days, seed)
    with tempfile.TemporaryDirectory(prefix="bench-generate-") as tmp:
        with Workspace.open(Path(tmp) / "ws") as ws:
            t0 = time.perf_counter()
            c0 = time.process_time()
            summary = generate_into(ws, spec)
            seconds = time.perf_counter() - t0
            cpu = time.process_time() - c0
            loaded = ws.row_count("raw", "events")
        size_mb = (Path(tmp) / "ws" / "warehouse.duckdb").stat().st_size / 1e6
        leftovers = [p.name for p in (Path(tmp) / "ws" / "tmp").glob("*")]
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    assert loaded == events, (loaded, events)
    assert not leftovers, leftovers
    return {
        "events": events,
        "seconds": seconds,
        "cpu_seconds": cpu,
        "peak_rss_mb": rss_kb / 1024,
        "db_mb": size_mb,
        "sessions": summary.sessions,
        "orders": summary.orders,
    }


def _bare(events: int, days: int, seed: int) -> dict[str, float]:
    """DuckDB alone: INSERT INTO raw.events of ``events`` rows made by the generator's own SQL
    from integer columns that DuckDB computes from range() (no numpy, no Python per chunk)."""
    from shoplytics_desktop.core.generate import behaviour as b
    from shoplytics_desktop.core.generate import sql
    from shoplytics_desktop.core.generate.catalog import build_catalog
    from shoplytics_desktop.core.generate.spec import resolve
    from shoplytics_desktop.core.workspace import Workspace

    rs = resolve(_spec(events, days, seed))
    catalog = build_catalog(rs)
    span = rs.end_s - rs.start_s
    # About the generator's mix: a user per 12 events, a session per 4.4, a product on 70% of
    # events and an order line on 3%, times in order over the range.
    codes = f"""
        SELECT i AS eidx, {rs.start_s} + i * {span} // {events} AS t, (i * 7 % 13 % 7)::TINYINT AS typ,
               (hash(i // 4) % {rs.users})::INTEGER AS uidx, (i // 4)::INTEGER AS sidx,
               CASE WHEN i % 10 < 7 THEN (hash(i) % {catalog.size})::INTEGER ELSE -1 END AS pidx,
               CASE WHEN i % 33 = 0 THEN (i // 33)::INTEGER ELSE -1 END AS oidx,
               CASE WHEN i % 10 < 7 THEN 500 + hash(i) % 20000 ELSE -1 END AS price,
               1::INTEGER AS qty,
               CASE WHEN i % 10 < 7 THEN (hash(i) % {len(catalog.category_names)})::TINYINT
                    ELSE -1 END AS cat,
               CASE WHEN i % 10 < 7 THEN (hash(i) % {len(catalog.brand_names)})::SMALLINT
                    ELSE -1 END AS brand,
               (hash(i // 4) % {len(b.DEVICES)})::TINYINT AS dev,
               (hash(i // 12) % {len(b.COUNTRIES)})::TINYINT AS cty,
               (hash(i // 4) % {len(b.SOURCES)})::TINYINT AS src
        FROM range({events}) r(i)"""
    lineage = (
        "'bench' AS _batch_id, 'generator' AS _source_file, NULL::BIGINT AS _source_line, "
        "TIMESTAMP '2026-01-01' AS _loaded_at"
    )
    with (
        tempfile.TemporaryDirectory(prefix="bench-generate-bare-") as tmp,
        Workspace.open(Path(tmp) / "ws") as ws,
    ):
        cur = ws.cursor()
        # The settings generate_into uses.
        cur.execute("SET SESSION preserve_insertion_order = false")
        with ws.memory_budget(ws.settings.import_memory_limit):
            t0 = time.perf_counter()
            c0 = time.process_time()
            cur.execute("BEGIN TRANSACTION")
            cur.execute(
                f"INSERT INTO raw.events BY NAME SELECT *, {lineage} "
                f"FROM ({sql.events_select(rs, catalog, f'({codes})')})"
            )
            cur.execute("COMMIT")
            seconds = time.perf_counter() - t0
            cpu = time.process_time() - c0
        loaded = ws.row_count("raw", "events")
    assert loaded == events, (loaded, events)
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"events": events, "seconds": seconds, "cpu_seconds": cpu, "peak_rss_mb": rss_kb / 1024}


def _child(mode: str, size: int, days: int, seed: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, str(size), "--days", str(days), "--seed", str(seed),
         f"--{mode}"],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1_000_000, 10_000_000])
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs per size (each in a fresh process)"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--bare-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_one(args.sizes[0], args.days, args.seed)))
        return 0
    if args.bare_child:
        print(json.dumps(_bare(args.sizes[0], args.days, args.seed)))
        return 0
    # Other work on the machine slows wall time, not CPU time: show both (and both ratios),
    # and the load. Each generate run is followed by its bare DuckDB run, so both see about the
    # same load.
    print(
        f"{'events':>12} {'seconds':>8} {'cpu s':>7} {'events/s':>11} {'peak RSS MB':>11} "
        f"{'db MB':>7} {'bare s':>7} {'x bare':>7} {'bare cpu':>8} {'x cpu':>6} {'bare RSS':>8} "
        f"{'load avg':>8}"
    )
    medians: list[tuple[int, float, float, float, float]] = []
    for size in args.sizes:
        runs = []
        for _ in range(args.repeat):
            load = os.getloadavg()[0]
            r = _child("child", size, args.days, args.seed)
            bare = _child("bare-child", size, args.days, args.seed)
            ratio = r["seconds"] / bare["seconds"]
            runs.append((r["seconds"], r["cpu_seconds"], r["peak_rss_mb"], ratio))
            print(
                f"{r['events']:>12,} {r['seconds']:>8.2f} {r['cpu_seconds']:>7.2f} "
                f"{r['events'] / r['seconds']:>11,.0f} {r['peak_rss_mb']:>11,.0f} "
                f"{r['db_mb']:>7,.0f} {bare['seconds']:>7.2f} {ratio:>7.2f} "
                f"{bare['cpu_seconds']:>8.2f} {r['cpu_seconds'] / bare['cpu_seconds']:>6.2f} "
                f"{bare['peak_rss_mb']:>8,.0f} {load:>8.2f}",
                flush=True,
            )
        medians.append((size, *(statistics.median(run[i] for run in runs) for i in range(4))))
    if len(medians) > 1:
        base_size, base_s, base_cpu, base_mb, _ = medians[0]
        print(f"\ngrowth from {base_size:,} events (medians):")
        print(f"{'events':>12} {'x size':>7} {'seconds':>8} {'x time':>7} {'cpu s':>8} {'x cpu':>6} "
              f"{'peak RSS MB':>11} {'x RSS':>6} {'x bare':>7}")
        for size, s, cpu, mb, ratio in medians:
            print(
                f"{size:>12,} {size / base_size:>7.0f} {s:>8.2f} {s / base_s:>7.1f} "
                f"{cpu:>8.2f} {cpu / base_cpu:>6.1f} {mb:>11,.0f} {mb / base_mb:>6.2f} {ratio:>7.2f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
