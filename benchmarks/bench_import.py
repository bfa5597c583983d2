"""Import throughput against DuckDB's own copy of the same file, in the real sample's shape.

Writes its own input files (DuckDB ``COPY`` from ``range``) and, for each, prints the median of
``--repeat`` runs of:

- our import (``import_events`` into a fresh workspace, in a process of its own), with where
  its time goes and the peak RSS of that process;
- the bare DuckDB operation on the same file: ``CREATE TABLE t AS SELECT * FROM read_csv(...)``
  (or ``read_parquet``) into a new database file, also in a process of its own;
- their ratio;
- DuckDB writing the rows our import stored (already mapped, held in memory) into a new database
  file: the part of the import that is storage alone, whatever the mapping costs.

``--large`` also imports ``--new-rows`` new events into a workspace that holds ``--large`` rows
already, against the bare copy of those new rows. On a shared machine the figures are noisy:
compare ratios taken in one run rather than seconds taken on different days.

    python benchmarks/bench_import.py                          # 1M CSV, 10M Parquet, 100k into 10M
    python benchmarks/bench_import.py --csv-rows 200000 --parquet-rows 0 --large 0 --repeat 1
    python benchmarks/bench_import.py --memory                 # peak RSS at 1M and 10M rows
    # 100k new events into 100M (building that workspace takes minutes: --keep-large keeps it)
    python benchmarks/bench_import.py --csv-rows 0 --parquet-rows 0 --large 100000000 \
        --dir /tmp/x --keep-large /tmp/x/ws100m
    # ... with the OS page cache dropped after each copy (as after a reboot; needs root)
    python benchmarks/bench_import.py --csv-rows 0 --parquet-rows 0 --large 100000000 \
        --dir /tmp/x --keep-large /tmp/x/ws100m --cold
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._util import drop_page_cache
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
    -- one event a second, wrapping after about six years (new events start at 10 × the rows
    -- already held): every row stays inside the import's time bounds
    strftime(TIMESTAMP '2019-10-01' + to_seconds(i % 200000000), '%Y-%m-%d %H:%M:%S')
        || ' UTC'
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
FROM range({start}, {end}) t(i)
"""


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_file(path: Path, rows: int, fmt: str, start: int = 0) -> float:
    """Rows ``start`` … ``start + rows - 1`` of the sample's shape (other starts: other events)."""
    t = time.perf_counter()
    opts = "(FORMAT csv, HEADER)" if fmt == "csv" else "(FORMAT parquet)"
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute(f"COPY ({_ROWS_SQL.format(start=start, end=start + rows)}) TO '{path}' {opts}")
    return time.perf_counter() - t


def bare_copy(path: Path, fmt: str, db_file: Path) -> tuple[float, float, float]:
    """DuckDB alone copying the file into a table of a new database file (seconds, peak RSS,
    CPU seconds of every thread)."""
    db_file.unlink(missing_ok=True)
    con = duckdb.connect(str(db_file))
    con.execute("SET enable_progress_bar = false")
    reader = {"csv": "read_csv", "parquet": "read_parquet", "json": "read_json_auto"}[fmt]
    reader = f"{reader}('{str(path).replace(chr(39), chr(39) * 2)}')"
    cpu = time.process_time()
    t = time.perf_counter()
    con.execute(f"CREATE TABLE t AS SELECT * FROM {reader}")
    seconds = time.perf_counter() - t
    cpu = time.process_time() - cpu
    con.close()
    db_file.unlink(missing_ok=True)
    return seconds, peak_rss_mb(), cpu


def our_import(
    path: Path, ws_dir: Path, memory_limit: str | None, template: Path | None = None,
    then: Path | None = None, cold: bool = False, import_memory_limit: str | None = None,
) -> dict[str, Any]:
    """``import_events`` of the file into a fresh workspace (or a copy of ``template``); with
    ``then``, that file's import next, in the same process (what the first one read is in the
    caches now). ``cold``: the OS page cache is dropped after the copy. A fresh workspace is
    left in place for ``store_rows``; a copy of ``template`` is deleted."""
    shutil.rmtree(ws_dir, ignore_errors=True)
    if template is not None:
        shutil.copytree(template, ws_dir)
    if cold and not drop_page_cache():
        print("  (the page cache could not be dropped: not root, or not Linux)", flush=True)
    elif memory_limit or import_memory_limit:
        save_settings(ws_dir, WorkspaceSettings(memory_limit=memory_limit,
                                                import_memory_limit=import_memory_limit))
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
        seconds_then = None
        if then is not None:
            t = time.perf_counter()
            import_events(ws, [then])
            seconds_then = time.perf_counter() - t
    v = report.validation
    assert v is not None and again.validation is not None and not again.validation.rows_loaded
    if template is not None:
        shutil.rmtree(ws_dir, ignore_errors=True)
    return {
        "seconds": seconds, "cpu": cpu, "phases": phases, "again": seconds_again,
        "then": seconds_then,
        "loaded": v.rows_loaded, "duplicate": v.rows_duplicate, "rejected": v.rows_rejected,
        "rss": peak_rss_mb(),
    }


def store_rows(ws_dir: Path) -> float:
    """Seconds DuckDB takes to write the rows an import stored (raw.events: the contract's
    columns, event ids and lineage, already mapped), held in memory, into a table of a new
    database file: what storing them costs without reading, mapping, validating or checking
    duplicates. The workspace folder is deleted afterwards."""
    target = ws_dir.with_name("stored.duckdb")
    target.unlink(missing_ok=True)
    con = duckdb.connect(str(target))
    con.execute("SET enable_progress_bar = false")
    con.execute(f"ATTACH '{ws_dir / 'warehouse.duckdb'}' AS ws (READ_ONLY)")
    con.execute("CREATE TEMP TABLE rows AS SELECT * FROM ws.raw.events")
    con.execute("DETACH ws")
    t = time.perf_counter()
    con.execute("CREATE TABLE t AS SELECT * FROM rows")
    seconds = time.perf_counter() - t
    con.close()
    target.unlink(missing_ok=True)
    shutil.rmtree(ws_dir, ignore_errors=True)
    return seconds


def in_child(fn: Any, *args: Any) -> Any:
    """Run ``fn`` in a process of its own, so that its peak RSS is its own."""
    with multiprocessing.get_context("spawn").Pool(1, maxtasksperchild=1) as pool:
        return pool.apply(fn, args)


def _median(values: list[float]) -> float:
    return statistics.median(values)


def _load() -> str:
    """The load average now: the figures of a busy machine are not those of an idle one."""
    return "load average " + ", ".join(f"{v:.2f}" for v in os.getloadavg())


def _spread(values: list[float]) -> str:
    return f"(runs: {', '.join(f'{v:.2f}' for v in values)})"


def compare(folder: Path, rows: int, fmt: str, repeat: int, memory_limit: str | None) -> None:
    path = folder / f"events_{rows}.{fmt}"
    made = in_child(make_file, path, rows, fmt)
    size_mb = path.stat().st_size / 1e6
    bare, ours, stored = [], [], []
    for _ in range(repeat):
        bare.append(in_child(bare_copy, path, fmt, folder / "bare.duckdb"))
        ours.append(in_child(our_import, path, folder / f"ws_{fmt}", memory_limit))
        stored.append(in_child(store_rows, folder / f"ws_{fmt}"))
    b = [s for s, _, _ in bare]
    o = [r["seconds"] for r in ours]
    bc = _median([c for _, _, c in bare])
    oc = _median([r["cpu"] for r in ours])
    st = _median(stored)
    last = ours[-1]
    print(
        f"{fmt:<8} {rows:>11,} rows  {size_mb:8.1f} MB  (written in {made:.1f} s)\n"
        f"  duckdb CTAS into a file  {_median(b):7.2f} s  {_spread(b)}  peak RSS "
        f"{_median([r for _, r, _ in bare]):.0f} MB\n"
        f"  import                   {_median(o):7.2f} s  {_spread(o)}  "
        f"{rows / _median(o):,.0f} rows/s\n"
        f"  ratio import / duckdb    {_median(o) / _median(b):7.2f}  (CPU seconds: "
        f"{oc:.2f} / {bc:.2f} = {oc / bc:.2f}, steadier on a busy machine)\n"
        f"  duckdb storing the rows  {st:7.2f} s  {_spread(stored)}  (the rows the import "
        f"stored, from memory into a new file; import = {_median(o) / st:.2f} × that)\n"
        f"  import peak RSS          {_median([r['rss'] for r in ours]):7.0f} MB "
        f"(max {max(r['rss'] for r in ours):.0f} MB; the importing process)\n"
        f"  last run                 cpu {last['cpu']:.2f} s; loaded {last['loaded']:,} "
        f"dup {last['duplicate']:,} rejected {last['rejected']:,}; phases {last['phases']}\n"
        f"  re-import (no-op)        {_median([r['again'] for r in ours]):7.2f} s\n"
        f"  {_load()}",
        flush=True,
    )
    path.unlink()


def into_large(
    folder: Path, existing: int, new: int, repeat: int, memory_limit: str | None,
    keep: Path | None = None, cold: bool = False,
) -> None:
    """``new`` new events into a workspace of ``existing`` events, against the bare copy of the
    new events' file. With ``keep``, the workspace of ``existing`` events is built there and
    kept (or taken from there when it exists: building 100M events takes minutes). ``cold``:
    the OS page cache is dropped before each import, so the workspace is read from the disk."""
    template = keep or folder / "ws_large"
    if keep is not None and (keep / "warehouse.duckdb").exists():
        made, made_rss = 0.0, 0.0
    else:
        big = folder / f"existing_{existing}.parquet"
        in_child(make_file, big, existing, "parquet")
        made, made_rss = in_child(_build_workspace, big, template, memory_limit)
        print(f"a workspace of {existing:,} events imported from one Parquet file of "
              f"{big.stat().st_size / 1e9:.1f} GB in {made:.1f} s, peak RSS {made_rss:.0f} MB "
              f"({existing / made:,.0f} rows/s)", flush=True)
        big.unlink()
    path = folder / f"new_{new}.parquet"
    in_child(make_file, path, new, "parquet", 10 * existing)
    # Other new events, imported right after in the same process.
    later = folder / f"later_{new}.parquet"
    in_child(make_file, later, new, "parquet", 11 * existing)
    bare, ours = [], []
    for _ in range(repeat):
        bare.append(in_child(bare_copy, path, "parquet", folder / "bare.duckdb"))
        ours.append(in_child(our_import, path, folder / "ws_copy", memory_limit, template, later,
                              cold))
    o = [r["seconds"] for r in ours]
    t = [r["then"] for r in ours]
    b = [s for s, _, _ in bare]
    bc = _median([c for _, _, c in bare])
    oc = _median([r["cpu"] for r in ours])
    print(
        f"new events {new:,} into a workspace of {existing:,} (built in {made:.1f} s)\n"
        f"  duckdb CTAS of the new rows  {_median(b):7.2f} s  {_spread(b)}\n"
        f"  import                       {_median(o):7.2f} s  {_spread(o)}  (into a fresh copy"
        f"{', the page cache dropped' if cold else ''})\n"
        f"  then {new:,} others            {_median(t):7.2f} s  {_spread(t)}  (the same process: "
        f"the index in the caches)\n"
        f"  ratio import / duckdb        {_median(o) / _median(b):7.2f}  (CPU seconds: "
        f"{oc:.2f} / {bc:.2f} = {oc / bc:.2f})\n"
        f"  loaded {ours[-1]['loaded']:,} dup {ours[-1]['duplicate']:,}; peak RSS "
        f"{_median([r['rss'] for r in ours]):.0f} MB; phases of each run:\n"
        + "".join(f"    {r['seconds']:.2f} s: {r['phases']}\n" for r in ours)
        + f"  {_load()}",
        flush=True,
    )
    if keep is None:
        shutil.rmtree(template, ignore_errors=True)
    path.unlink()
    later.unlink()


def _build_workspace(path: Path, ws_dir: Path, memory_limit: str | None) -> tuple[float, float]:
    """Import ``path`` into a new workspace: seconds, and the peak RSS of the process (MB)."""
    shutil.rmtree(ws_dir, ignore_errors=True)
    if memory_limit:
        save_settings(ws_dir, WorkspaceSettings(memory_limit=memory_limit))
    with Workspace.open(ws_dir) as ws:
        t = time.perf_counter()
        import_events(ws, [path])
        return time.perf_counter() - t, peak_rss_mb()


def memory(folder: Path, repeat: int, memory_limit: str | None) -> None:
    """Peak RSS of the import at 1M and 10M rows of each format: flat when it does not grow."""
    for fmt in ("csv", "parquet"):
        peaks = {}
        for rows in (1_000_000, 10_000_000):
            path = folder / f"events_{rows}.{fmt}"
            in_child(make_file, path, rows, fmt)
            runs = [in_child(our_import, path, folder / "ws_mem", memory_limit)
                    for _ in range(repeat)]
            peaks[rows] = _median([r["rss"] for r in runs])
            print(f"{fmt:<8} {rows:>11,} rows  import {_median([r['seconds'] for r in runs]):6.2f} s"
                  f"  peak RSS {peaks[rows]:6.0f} MB  ({_load()})", flush=True)
            path.unlink()
        print(f"{fmt:<8} peak RSS 10M / 1M: {peaks[10_000_000] / peaks[1_000_000]:.2f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv-rows", type=int, default=1_000_000)
    parser.add_argument("--parquet-rows", type=int, default=10_000_000)
    parser.add_argument("--large", type=int, default=10_000_000,
                        help="events already in the workspace for the new-events figure (0: skip)")
    parser.add_argument("--new-rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (medians shown)")
    parser.add_argument("--dir", type=Path, default=None, help="scratch folder (default: temp)")
    parser.add_argument("--memory-limit", default=None, help="workspace memory_limit, e.g. 1GB")
    parser.add_argument("--memory", action="store_true", help="peak RSS at 1M and 10M rows")
    parser.add_argument("--keep-large", type=Path, default=None,
                        help="build the --large workspace here and keep it (reused when present)")
    parser.add_argument("--cold", action="store_true",
                        help="drop the OS page cache before each import into --large (root)")
    args = parser.parse_args()
    if args.dir:
        Path(args.dir).mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="bench_import_", dir=args.dir))
    try:
        if args.memory:
            memory(folder, args.repeat, args.memory_limit)
            return
        if args.csv_rows:
            compare(folder, args.csv_rows, "csv", args.repeat, args.memory_limit)
        if args.parquet_rows:
            compare(folder, args.parquet_rows, "parquet", args.repeat, args.memory_limit)
        if args.large:
            into_large(folder, args.large, args.new_rows, args.repeat, args.memory_limit,
                       args.keep_large, args.cold)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
