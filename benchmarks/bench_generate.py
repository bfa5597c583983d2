"""Generator benchmark: generate and load N events into a fresh temporary workspace.

Each size runs in its own subprocess so that the peak RSS printed is that size's own.

    python benchmarks/bench_generate.py              # 1M and 10M events
    python benchmarks/bench_generate.py 200000 1000000 --repeat 3
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _one(events: int, days: int, seed: int) -> dict[str, float]:
    from shoplytics_desktop.core.generate import GenerateSpec, generate_into
    from shoplytics_desktop.core.workspace import Workspace

    start = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=days + 1)
    spec = GenerateSpec(events=events, days=days, seed=seed, start=start)
    with tempfile.TemporaryDirectory(prefix="bench-generate-") as tmp:
        with Workspace.open(Path(tmp) / "ws") as ws:
            t0 = time.perf_counter()
            c0 = time.process_time()
            summary = generate_into(ws, spec)
            seconds = time.perf_counter() - t0
            cpu = time.process_time() - c0
            loaded = ws.row_count("raw", "events")
        size_mb = (Path(tmp) / "ws" / "warehouse.duckdb").stat().st_size / 1e6
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    assert loaded == events, (loaded, events)
    return {
        "events": events,
        "seconds": seconds,
        "cpu_seconds": cpu,
        "events_per_s": events / seconds,
        "peak_rss_mb": rss_kb / 1024,
        "db_mb": size_mb,
        "sessions": summary.sessions,
        "orders": summary.orders,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1_000_000, 10_000_000])
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs per size (each in a fresh process)"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_one(args.sizes[0], args.days, args.seed)))
        return 0
    # Other work on the machine slows wall time, not CPU time: show both, and the load.
    print(
        f"{'events':>12} {'seconds':>8} {'cpu s':>8} {'events/s':>12} {'peak RSS MB':>12} "
        f"{'db MB':>8} {'load avg':>9}"
    )
    for size in args.sizes:
        for _ in range(args.repeat):
            load = os.getloadavg()[0]
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    str(size),
                    "--days",
                    str(args.days),
                    "--seed",
                    str(args.seed),
                    "--child",
                ],
                check=True,
                capture_output=True,
                text=True,
            )
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(
                f"{r['events']:>12,} {r['seconds']:>8.2f} {r['cpu_seconds']:>8.2f} {r['events_per_s']:>12,.0f} "
                f"{r['peak_rss_mb']:>12,.0f} {r['db_mb']:>8,.0f} {load:>9.2f}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
