"""Time the model graph on DuckDB, PostgreSQL and Spark Connect at the same generated data.

    python benchmarks/bench_engines.py [--events 1000000] [--engines duckdb,postgres,spark]

Starts throwaway local servers (tests/engines/servers.py: PostgreSQL, and Spark Connect in
local[2] mode with a 2 GB heap by default) and prints, per engine, the seconds of
each step of a first run: push (raw tables sent), build (every model), test (every data test),
publish and pull (marts back into the workspace); then a second run (nothing to send), whether
every mart equals DuckDB's, and each figure's ratio to DuckDB's (DuckDB neither pushes nor pulls:
its build and test are the sums of its models' and tests' own seconds). Figures depend on the
machine and its load: print them, never assert them.
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

STEPS = ("push", "build", "test", "publish", "pull")


def _row(name: str, steps: dict[str, float], total: float, base: dict[str, float] | None) -> str:
    cells = [f"{name:<10}"]
    for step in (*STEPS, "total"):
        value = total if step == "total" else steps.get(step)
        if value is None:
            cells.append(f"{'-':>16}")
            continue
        ref = None if base is None else base.get(step)
        ratio = f" ({value / ref:5.1f}x)" if ref else "        "
        cells.append(f"{value:8.1f}{ratio}")
    return " ".join(cells)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--days", type=int, default=90)
    ap.add_argument("--engines", default="duckdb,postgres,spark")
    ap.add_argument("--spark-memory", default="2g", help="the local Spark server's heap")
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
            total = time.perf_counter() - t
            duck = {
                "build": sum(m.seconds for m in result.models),
                "test": sum(x.seconds for x in result.tests),
                "total": total,
            }
            print(f"seconds per step (ratio to DuckDB); duckdb: {result.message}")
            print(" ".join([f"{'engine':<10}", *(f"{s:>16}" for s in (*STEPS, "total"))]))
            print(_row("duckdb", duck, total, None))
            names = keep_duckdb_marts(ws)
            for kind in engines:
                if kind != "duckdb":
                    _bench(ws, kind, names, duck, args.spark_memory)
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(root)


def _bench(
    ws: Workspace, kind: str, names: list[str], duck: dict[str, float], spark_memory: str
) -> None:
    server = (
        servers.postgres_server() if kind == "postgres"
        else servers.spark_server(memory=spark_memory)
    )
    with server as srv:
        url = parse_url(srv.url)
        steps: dict[str, float] = {}
        t = time.perf_counter()
        first = run_on_engine(ws, url, timings=steps)
        t1 = time.perf_counter() - t
        print(_row(kind, steps, t1, duck))
        again: dict[str, float] = {}
        t = time.perf_counter()
        second = run_on_engine(ws, url, timings=again)
        t2 = time.perf_counter() - t
        diff = differences(ws, names) if second.published else {"run": second.message}
        print(
            f"{'':<10} {first.status}; second run {t2:.1f}s (push {again.get('push', 0):.1f}s, "
            f"nothing new to send); marts equal to DuckDB's: {len(names) - len(diff)}/{len(names)}"
        )


if __name__ == "__main__":
    main()
