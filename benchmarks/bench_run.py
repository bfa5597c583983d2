"""Time the model graph: load + parse + plan, and a full rebuild with all tests, at 1M and 10M events.

    python benchmarks/bench_run.py                 # 1M and 10M events
    python benchmarks/bench_run.py --events 1000000

Besides ``run_project`` itself it times the command a user types, ``shoplytics run``, from
process start to exit (Python start-up and imports included), ``--cli-runs`` times per size, and
as often again with an empty user cache, as the first run on a new machine would be.

Beside it, the bare DuckDB operation the run wraps: the same models' SQL executed by hand, each
as one ``CREATE OR REPLACE TABLE … AS`` (or VIEW) in dependency order in one transaction, without
tests, incremental bookkeeping or history, and rolled back. ``x bare`` is the ratio of the two:
what the runner, its data tests and its commit add, steadier across machines than seconds.

Each size runs in its own subprocess so peak RSS is per size. Workspaces are kept under
benchmarks/out/ (reused between invocations: generation is not part of the timed run).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shoplytics_desktop.core.models.project import Project
    from shoplytics_desktop.core.workspace import Workspace

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))


def _one(events: int, memory_limit: str | None) -> dict[str, Any]:
    from benchmarks._util import generated_workspace, peak_rss_mb
    from shoplytics_desktop.core.models import parse
    from shoplytics_desktop.core.models.project import load_project
    from shoplytics_desktop.core.models.runner import (
        load_workspace_project,
        run_project,
        source_relations,
    )
    from shoplytics_desktop.core.workspace import Workspace

    folder = ROOT / "out" / f"run-{events}"
    generated_workspace(folder, events)
    with Workspace.open(folder) as ws, tempfile.TemporaryDirectory() as cache:
        if memory_limit:
            ws.cursor().execute(f"SET memory_limit = '{memory_limit}'")
        # First parsing every model with sqlglot (an empty cache, the shipped parses ignored),
        # then as a new machine would (an empty cache, the shipped parses), then as usual.
        os.environ["SHOPLYTICS_CACHE_DIR"] = cache
        sources = source_relations(ws)
        t0 = time.perf_counter()
        no_shipped = parse.ParseCache(Path(cache) / parse.cache_file_name(), shipped={})
        load_project(ws.models_dir, sources, cache=no_shipped).order()
        plan_cold_s = time.perf_counter() - t0
        with tempfile.TemporaryDirectory() as empty:
            # An empty cache file, the package's shipped parses.
            fresh = parse.ParseCache(Path(empty) / parse.cache_file_name())
            t0 = time.perf_counter()
            load_project(ws.models_dir, sources, cache=fresh).order()
            plan_new_s = time.perf_counter() - t0
        t0 = time.perf_counter()  # as usual: the loader reads the cache file written above
        project = load_workspace_project(ws)
        project.order()
        plan_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        # A full rebuild: with nothing new since the workspace's last run, an incremental run
        # would leave the incremental models as they are (bench_incremental.py times those).
        result = run_project(ws, project=project, full_refresh=True)
        run_s = time.perf_counter() - t0
        slowest = sorted(result.models, key=lambda m: -m.seconds)[:3]
        bare_s = _bare(ws, project)
        return {
            "events": events,
            "plan_s": round(plan_s, 3),
            "plan_cold_s": round(plan_cold_s, 3),
            "plan_new_s": round(plan_new_s, 3),
            "run_s": round(run_s, 3),
            "bare_s": round(bare_s, 3),
            "models_s": round(sum(m.seconds for m in result.models), 3),
            "models": len(result.models),
            "tests": len(result.tests),
            "status": result.status,
            "peak_rss_mb": round(peak_rss_mb(), 1),
            "slowest": ", ".join(f"{m.name} {m.seconds:.2f}s" for m in slowest),
            "tests_s": round(sum(t.seconds for t in result.tests), 3),
        }


def _bare(ws: Workspace, project: Project) -> float:
    """Seconds DuckDB takes to execute the models' SQL alone (see the module's docstring)."""
    from shoplytics_desktop.core.models.runner import _Catalog, _session_vars

    cur = ws.cursor()
    _session_vars(cur, ws)
    catalog = _Catalog(cur)
    cur.execute("BEGIN")
    t0 = time.perf_counter()
    try:
        for name in project.order():
            model = project.models[name]
            kind = "VIEW" if model.materialized == "view" else "TABLE"
            catalog.make_room(cur, model, kind)  # a transient model is published as a view
            cur.execute(f"CREATE OR REPLACE {kind} {model.relation} AS\n{model.sql}")
        return time.perf_counter() - t0
    finally:
        cur.execute("ROLLBACK")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--memory-limit", default=None, help="DuckDB memory_limit, e.g. 4GB")
    parser.add_argument("--cli-runs", type=int, default=3, help="`shoplytics run` timings per size")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_one(args.events[0], args.memory_limit)))
        return 0
    # a cold process for the parse/plan figure, as a user's first run would be
    for n in args.events:
        cmd = [sys.executable, __file__, "--child", "--events", str(n)]
        if args.memory_limit:
            cmd += ["--memory-limit", args.memory_limit]
        out = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if out.returncode != 0:
            print(out.stderr, file=sys.stderr)
            return 1
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{r['events']:>11,} events: plan {r['plan_s']:.3f}s (first load on a new machine "
            f"{r['plan_new_s']:.3f}s, parsing afresh {r['plan_cold_s']:.3f}s), run+tests "
            f"{r['run_s']:.2f}s "
            f"({r['models']} models in {r['models_s']:.2f}s, {r['tests']} tests in "
            f"{r['tests_s']:.2f}s, {r['status']}); the models' SQL alone {r['bare_s']:.2f}s, "
            f"x bare {r['run_s'] / r['bare_s']:.2f}; "
            f"peak RSS {r['peak_rss_mb']:,.0f} MB; slowest: {r['slowest']}"
        )
        walls = [_cli_run(ROOT / "out" / f"run-{n}") for _ in range(args.cli_runs)]
        if walls:
            print(
                f"{'':>19} `shoplytics run` wall clock: median {statistics.median(walls):.2f}s "
                f"(min {min(walls):.2f}s, max {max(walls):.2f}s over {len(walls)} runs)"
            )
        news = [_cli_run(ROOT / "out" / f"run-{n}", empty_cache=True) for _ in range(args.cli_runs)]
        if news:
            print(
                f"{'':>19} the same with an empty user cache (a new machine): median "
                f"{statistics.median(news):.2f}s (min {min(news):.2f}s, max {max(news):.2f}s)"
            )
    return 0


def _cli_run(folder: Path, empty_cache: bool = False) -> float:
    exe = shutil.which("shoplytics") or sys.exit("`shoplytics` is not on PATH (pip install -e .)")
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "SHOPLYTICS_CACHE_DIR": cache} if empty_cache else None
        t0 = time.perf_counter()
        out = subprocess.run([exe, "run", "-w", str(folder), "--full-refresh"],
                             capture_output=True, text=True, check=False, env=env)
        wall = time.perf_counter() - t0
    if out.returncode != 0:
        sys.exit(f"shoplytics run failed: {out.stderr.strip()}")
    return wall


if __name__ == "__main__":
    raise SystemExit(main())
