"""Per-model seconds of a full run, as medians over repeated runs, beside the machine's load.

    python benchmarks/bench_models.py --events 1000000 --repeats 5
    python benchmarks/bench_models.py --workspace /path/to/workspace --repeats 3

bench_run.py gives one run's total and its three slowest models; this one repeats the whole run
(models and data tests, in process) and prints every model's median, min and max, the run's
median wall clock and the process's CPU seconds (DuckDB's threads included). On a shared machine
wall-clock figures swing with the other work; the CPU seconds and the load average printed
beside them say how far to trust a difference.

Workspaces are generated under benchmarks/out/ (reused, as bench_run.py does) unless
--workspace names one; every repeat rebuilds the same models, so the workspace is left as a
normal run leaves it.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def _runs(folder: Path, repeats: int) -> tuple[list[dict[str, float]], list[float], list[float]]:
    from shoplytics_desktop.core.models.runner import load_workspace_project, run_project
    from shoplytics_desktop.core.workspace import Workspace

    per_model: list[dict[str, float]] = []
    walls: list[float] = []
    cpus: list[float] = []
    with Workspace.open(folder) as ws:
        project = load_workspace_project(ws)
        project.order()
        for _ in range(repeats):
            c0, t0 = _cpu_s(), time.perf_counter()
            result = run_project(ws, project=project)
            walls.append(time.perf_counter() - t0)
            cpus.append(_cpu_s() - c0)
            if result.status not in ("success", "warn"):
                sys.exit(f"the run ended {result.status}: {result.message}")
            seconds = {m.name: m.seconds for m in result.models}
            seconds["(data tests)"] = sum(t.seconds for t in result.tests)
            per_model.append(seconds)
    return per_model, walls, cpus


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--workspace", type=Path, default=None,
                        help="an existing workspace to run (default: a generated one)")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    if args.workspace is not None:
        folder = args.workspace
        if not (folder / "warehouse.duckdb").exists():
            parser.error(f"{folder} is not a workspace (no warehouse.duckdb in it)")
        label = str(folder)
    else:
        from benchmarks._util import generated_workspace

        folder = ROOT / "out" / f"run-{args.events}"
        generated_workspace(folder, args.events)
        label = f"{args.events:,} generated events"

    load_before = _load()
    per_model, walls, cpus = _runs(folder, args.repeats)
    load_after = _load()

    print(f"{label}: {args.repeats} run(s); load average {load_before} before, {load_after} after")
    print(f"run + tests: median {statistics.median(walls):.2f}s wall (min {min(walls):.2f}s, "
          f"max {max(walls):.2f}s), median {statistics.median(cpus):.2f}s CPU")
    names = list(per_model[0])
    medians = {n: statistics.median(r[n] for r in per_model) for n in names}
    width = max(len(n) for n in names)
    print(f"{'model':<{width}}  median     min     max")
    for name in sorted(names, key=lambda n: -medians[n]):
        xs = [r[name] for r in per_model]
        print(f"{name:<{width}}  {medians[name]:6.3f}s {min(xs):6.3f}s {max(xs):6.3f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
