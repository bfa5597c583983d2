"""Import throughput: a 1M-row CSV and a 10M-row Parquet file in the real sample's shape.

Writes its own input files (DuckDB ``COPY`` from ``range``), imports each into a fresh
workspace through ``import_events`` and prints seconds, rows/s and the peak RSS of the process
that imported (each import runs in a process of its own).

    python benchmarks/bench_import.py                 # 1M CSV + 10M Parquet
    python benchmarks/bench_import.py --csv-rows 200000 --parquet-rows 0
    python benchmarks/bench_import.py --memory        # peak RSS at 1M, 3M and 10M rows, both formats
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb

from shoplytics_desktop.core.ingest import import_events
from shoplytics_desktop.core.progress import NullReporter
from shoplytics_desktop.core.settings import WorkspaceSettings, save_settings
from shoplytics_desktop.core.workspace import Workspace


class PhaseTimer(NullReporter):
    """Records when each import phase starts, to print where the time goes."""

    def __init__(self) -> None:
        super().__init__()
        self.marks: list[tuple[float, str]] = []

    def update(self, done: float, total: float, message: str = "") -> None:
        self.marks.append((time.perf_counter(), message.split(" ")[0] or "done"))

    def phases(self, end: float) -> str:
        out = []
        for (t, name), (t2, _) in zip(self.marks, [*self.marks[1:], (end, "")], strict=True):
            out.append(f"{name} {t2 - t:.2f}")
        return ", ".join(out)

# Columns and value forms of the multi-category-store sample (event_time '... UTC', ids as
# digits, empty category codes and brands now and then, UUID-like sessions).
_ROWS_SQL = """
SELECT
    strftime(TIMESTAMP '2019-10-01' + to_seconds(i // 3), '%Y-%m-%d %H:%M:%S') || ' UTC'
        AS event_time,
    CASE WHEN i % 100 < 2 THEN 'purchase' WHEN i % 100 < 6 THEN 'cart' ELSE 'view' END
        AS event_type,
    1000000 + (hash(i) % 50000) AS product_id,
    2053013552326770905 + (hash(i) % 300) AS category_id,
    CASE WHEN i % 3 = 0 THEN '' ELSE 'electronics.smartphone' END AS category_code,
    CASE WHEN i % 5 = 0 THEN '' ELSE 'brand' || (i % 40) END AS brand,
    round(1 + (hash(i * 7) % 100000) / 100.0, 2) AS price,
    500000000 + (hash(i * 13) % 200000) AS user_id,
    md5(CAST((hash(i * 13) % 200000) * 10 + i // 50000 AS VARCHAR)) AS user_session
FROM range({n}) t(i)
"""


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_file(path: Path, rows: int, fmt: str) -> float:
    t = time.perf_counter()
    opts = "(FORMAT csv, HEADER)" if fmt == "csv" else "(FORMAT parquet)"
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute(f"COPY ({_ROWS_SQL.format(n=rows)}) TO '{path}' {opts}")
    return time.perf_counter() - t


def baseline(path: Path, fmt: str) -> float:
    """DuckDB alone reading the file into a table: the floor for an import."""
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    t = time.perf_counter()
    reader = f"read_csv('{path}')" if fmt == "csv" else f"read_parquet('{path}')"
    con.execute(f"CREATE TABLE t AS SELECT * FROM {reader}")
    return time.perf_counter() - t


def _in_child(fn: Any, *args: Any) -> float:
    """Run a helper in a child process so its memory does not count in this one's peak RSS."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return float(pool.apply(fn, args))


def bench(folder: Path, rows: int, fmt: str, memory_limit: str | None) -> None:
    """One import in a process of its own, so its peak RSS is its own."""
    ctx = multiprocessing.get_context("spawn")
    child = ctx.Process(target=_bench, args=(folder, rows, fmt, memory_limit))
    child.start()
    child.join()
    if child.exitcode != 0:
        raise SystemExit(f"the {fmt} import of {rows:,} rows failed")


def _bench(folder: Path, rows: int, fmt: str, memory_limit: str | None) -> None:
    path = folder / f"events_{rows}.{fmt}"
    made = _in_child(make_file, path, rows, fmt)
    size_mb = path.stat().st_size / 1e6
    floor = _in_child(baseline, path, fmt)
    ws_dir = folder / f"ws_{fmt}"
    if memory_limit:
        save_settings(ws_dir, WorkspaceSettings(memory_limit=memory_limit))
    with Workspace.open(ws_dir) as ws:
        timer = PhaseTimer()
        cpu = time.process_time()
        t = time.perf_counter()
        report = import_events(ws, [path], reporter=timer)
        seconds = time.perf_counter() - t
        cpu = time.process_time() - cpu
        phases = timer.phases(t + seconds)
        t = time.perf_counter()
        again = import_events(ws, [path])
        seconds_again = time.perf_counter() - t
    v = report.validation
    assert v is not None and again.validation is not None
    print(
        f"{fmt:<8} {rows:>11,} rows  {size_mb:8.1f} MB  (written in {made:.1f} s)\n"
        f"  duckdb read alone  {floor:7.2f} s\n"
        f"  import             {seconds:7.2f} s  {rows / seconds:12,.0f} rows/s  "
        f"(cpu {cpu:.2f} s)  loaded {v.rows_loaded:,} dup {v.rows_duplicate:,} "
        f"rejected {v.rows_rejected:,}\n"
        f"  phases             {phases}\n"
        f"  re-import (no-op)  {seconds_again:7.2f} s  "
        f"loaded {again.validation.rows_loaded:,} dup {again.validation.rows_duplicate:,}\n"
        f"  peak RSS (import)  {peak_rss_mb():7.0f} MB (the importing process; files made apart)",
        flush=True,
    )
    shutil.rmtree(ws_dir, ignore_errors=True)
    path.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv-rows", type=int, default=1_000_000)
    parser.add_argument("--parquet-rows", type=int, default=10_000_000)
    parser.add_argument("--dir", type=Path, default=None, help="scratch folder (default: temp)")
    parser.add_argument("--memory-limit", default=None, help="workspace memory_limit, e.g. 1GB")
    parser.add_argument(
        "--memory", action="store_true", help="imports of 1M, 3M and 10M rows of each format"
    )
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench_import_", dir=args.dir))
    try:
        if args.memory:
            for fmt in ("csv", "parquet"):
                for rows in (1_000_000, 3_000_000, 10_000_000):
                    bench(folder, rows, fmt, args.memory_limit)
            return
        if args.csv_rows:
            bench(folder, args.csv_rows, "csv", args.memory_limit)
        if args.parquet_rows:
            bench(folder, args.parquet_rows, "parquet", args.memory_limit)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
