"""Time the model graph on DuckDB, PostgreSQL and Spark Connect at the same generated data.

    python benchmarks/bench_engines.py [--events 1000000] [--engines duckdb,postgres,spark]

Starts throwaway local servers (tests/engines/servers.py), prints one line per engine: the first
run (raw tables sent, models built, tests, marts pulled back), a second run (nothing to send), and
whether every mart equals DuckDB's. Figures depend on the machine: print them, never assert them.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import tempfile
import time
from pathlib import Path

from shoplytics_desktop.core.engines import parse_url
from shoplytics_desktop.core.engines.run import run_on_engine
from shoplytics_desktop.core.generate import GenerateSpec, generate_into
from shoplytics_desktop.core.models.runner import run_project
from shoplytics_desktop.core.workspace import Workspace
from tests.engines import servers
from tests.engines.compare import differences, keep_duckdb_marts


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--days", type=int, default=90)
    ap.add_argument("--engines", default="duckdb,postgres,spark")
    args = ap.parse_args()
    engines = args.engines.split(",")
    root = Path(tempfile.mkdtemp(prefix="shoplytics-bench-"))
    try:
        folder = root / "ws"
        with Workspace.open(folder) as ws:
            t = time.perf_counter()
            generate_into(ws, GenerateSpec(events=args.events, days=args.days, seed=3), replace=True)
            print(f"generated {args.events:,} events in {time.perf_counter() - t:.1f}s")
            t = time.perf_counter()
            result = run_project(ws)
            print(f"duckdb    run {time.perf_counter() - t:7.1f}s  ({result.message})")
            names = keep_duckdb_marts(ws)
            for kind in engines:
                if kind == "duckdb":
                    continue
                start = servers.postgres_server if kind == "postgres" else servers.spark_server
                with start() as srv:
                    url = parse_url(srv.url)
                    t = time.perf_counter()
                    first = run_on_engine(ws, url)
                    t1 = time.perf_counter() - t
                    t = time.perf_counter()
                    second = run_on_engine(ws, url)
                    t2 = time.perf_counter() - t
                    diff = differences(ws, names) if second.published else {"run": second.message}
                    same = len(names) - len(diff)
                    print(f"{kind:<9} run {t1:7.1f}s first (sends raw), {t2:7.1f}s again; "
                          f"{first.status}; marts equal to DuckDB's: {same}/{len(names)}")
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(root)


if __name__ == "__main__":
    main()
