"""Time an incremental run: a workspace of N generated events gets 1 % new events as a batch of
their own, and ``run`` updates the models; against a full rebuild of the same data.

    python benchmarks/bench_incremental.py                       # 10M events, 1 % new
    python benchmarks/bench_incremental.py --events 1000000 --new 0.01 --repeat 3
    python benchmarks/bench_incremental.py --models 34            # every model's time
    python benchmarks/bench_incremental.py --derived-sessions     # events without session ids

The new events are the latest 1 % by time (the next export of a shop), moved out of the
generated workspace into a batch of their own. Each repeat: restore the workspace as built
before the new batch, add the batch, time ``run_project`` (incremental); then time ``run_project
(full_refresh=True)`` on the same data. It prints the medians, their ratio, the checkpoint after the
incremental run (not part of it: the app checkpoints when idle), the time of a run with
nothing new right after the incremental one, the time of a run after the batch is deleted again
(as the app deletes it), the models that took longest in the incremental run and the peak RSS.
Last, unless ``--no-verify``: the update and the run after the delete again, each compared with
a full rebuild of the same events, relation by relation (EXCEPT ALL both ways); exit status 1
when any differs.
The workspace is kept under benchmarks/out/.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

if TYPE_CHECKING:
    from benchmarks._util import RebuildCheck


def _prepare(folder: Path, events: int, share: float, derived: bool = False) -> Path:
    """A workspace of ``events`` generated events, without its latest ``share``, fully built;
    the held-back events wait in main.new_events. Reused when there. ``derived``: the events
    have no session ids (as many exports), so every session comes from the timeout rule."""
    from benchmarks._util import generated_workspace, hold_back
    from shoplytics_desktop.core.models.runner import run_project
    from shoplytics_desktop.core.workspace import Workspace

    base = folder.parent / f"{folder.name}{'-derived' if derived else ''}-base"
    ready = base / "ready"
    if ready.exists() and ready.read_text() == _models_hash():
        return base
    generated_workspace(folder, events)
    shutil.rmtree(base, ignore_errors=True)
    shutil.copytree(folder, base)
    with Workspace.open(base) as ws:
        if derived:
            ws.cursor().execute("UPDATE raw.events SET session_id = NULL")
        hold_back(ws, share)
        result = run_project(ws, full_refresh=True)
        assert result.published, result.message
    ready.write_text(_models_hash())
    return base


def _models_hash() -> str:
    """The model files the base was built with: built with others, it is built again."""
    import hashlib

    from shoplytics_desktop.core.paths import default_models_dir

    digest = hashlib.sha256()
    root = default_models_dir()
    for path in sorted(root.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(root).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()


def _with_new_batch(base: Path, work: Path) -> int:
    """A copy of the base workspace at ``work``, with the held-back events added as their
    batch; how many."""
    from benchmarks._util import add_held_batch
    from shoplytics_desktop.core.workspace import Workspace

    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(base, work)
    with Workspace.open(work) as ws:
        return add_held_batch(ws)


def _timed(
    base: Path, work: Path, full: bool, models: int = 8
) -> tuple[float, list[tuple[str, float, str]], int, tuple[float, float]]:
    """The run's seconds, its slowest models, the new events, and the checkpoint after it (the
    app's when it is idle, or DuckDB's at close): seconds and MB of write-ahead log written."""
    from shoplytics_desktop.core.models.runner import run_project
    from shoplytics_desktop.core.workspace import Workspace

    new = _with_new_batch(base, work)
    with Workspace.open(work) as ws:
        t0 = time.perf_counter()
        result = run_project(ws, full_refresh=full)
        seconds = time.perf_counter() - t0
        assert result.published, result.message
        logged = ws.wal_path.stat().st_size / 1e6 if ws.wal_path.exists() else 0.0
        t0 = time.perf_counter()
        ws.checkpoint()
        checkpoint = (time.perf_counter() - t0, logged)
        slowest = sorted(result.models, key=lambda m: -m.seconds)[:models]
        full_built = [m.name for m in result.models if m.note.startswith("rebuilt in full")]
        if not full and full_built:
            print(f"  note: rebuilt in full in the incremental run: {', '.join(full_built)}")
        return seconds, [(m.name, m.seconds, m.note) for m in slowest], new, checkpoint


def _timed_nothing_new(work: Path) -> tuple[float, int]:
    """A run right after the incremental one, with nothing new: every model and test is left as
    it is (the seconds, and how many models were built all the same)."""
    from shoplytics_desktop.core.models.freshness import UNCHANGED
    from shoplytics_desktop.core.models.runner import run_project
    from shoplytics_desktop.core.workspace import Workspace

    with Workspace.open(work) as ws:
        t0 = time.perf_counter()
        result = run_project(ws)
        seconds = time.perf_counter() - t0
        assert result.published, result.message
        return seconds, sum(m.note != UNCHANGED for m in result.models)


def _timed_delete(work: Path) -> tuple[float, str, float]:
    """The new batch deleted again as the app deletes it (``delete_batch``: a backup, then its
    events' users and times recorded and its rows deleted), then ``run``: the run's seconds, how
    it built int_sessions, and the seconds of the delete itself (its backup included)."""
    from shoplytics_desktop.core.ingest import delete_batch
    from shoplytics_desktop.core.models.runner import run_project
    from shoplytics_desktop.core.workspace import Workspace

    with Workspace.open(work) as ws:
        t0 = time.perf_counter()
        delete_batch(ws, "new-batch")
        removing = time.perf_counter() - t0
        t0 = time.perf_counter()
        result = run_project(ws)
        seconds = time.perf_counter() - t0
        assert result.published, result.message
        return seconds, next(m.note for m in result.models if m.name == "int_sessions"), removing


def _verified(base: Path, work: Path) -> list[tuple[str, RebuildCheck]]:
    """The update and the run after the batch's delete, each compared with a full rebuild of the
    same events (``full_rebuild_differences``)."""
    from benchmarks._util import full_rebuild_differences
    from shoplytics_desktop.core.ingest import delete_batch
    from shoplytics_desktop.core.models.runner import run_project
    from shoplytics_desktop.core.workspace import Workspace

    _with_new_batch(base, work)
    with Workspace.open(work) as ws:
        updated = full_rebuild_differences(ws, run_project(ws))
        delete_batch(ws, "new-batch")
        after_delete = full_rebuild_differences(ws, run_project(ws))
    return [("the update", updated), ("the run after the delete", after_delete)]


def _timed_cli(base: Path, work: Path) -> float:
    """The command a user types after an import: `shoplytics run`, from process start to exit."""
    import subprocess

    _with_new_batch(base, work)
    exe = shutil.which("shoplytics") or sys.exit("`shoplytics` is not on PATH (pip install -e .)")
    t0 = time.perf_counter()
    out = subprocess.run([exe, "run", "-q", "-w", str(work)], capture_output=True, text=True,
                         check=False)
    seconds = time.perf_counter() - t0
    if out.returncode != 0:
        sys.exit(f"shoplytics run failed: {out.stderr.strip() or out.stdout.strip()}")
    return seconds


def main() -> None:
    from benchmarks._util import peak_rss_mb

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--new", type=float, default=0.01, help="share of the events that arrive new")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cli-runs", type=int, default=1, help="`shoplytics run` timings")
    ap.add_argument("--models", type=int, default=8,
                    help="how many of the slowest models of the last update to list")
    ap.add_argument("--derived-sessions", action="store_true",
                    help="events without session ids: every session from the timeout rule")
    ap.add_argument("--no-verify", action="store_true",
                    help="skip comparing the update's relations with a full rebuild")
    args = ap.parse_args()
    folder = ROOT / "out" / f"run-{args.events}"
    base = _prepare(folder, args.events, args.new, args.derived_sessions)
    work = folder.parent / f"{folder.name}-incremental"
    inc: list[float] = []
    full: list[float] = []
    cli: list[float] = []
    nothing: list[tuple[float, int]] = []
    deleted: list[tuple[float, str, float]] = []
    checkpoints: list[tuple[float, float]] = []
    slowest: list[tuple[str, float, str]] = []
    new = 0
    try:
        for _ in range(args.repeat):
            s, slowest, new, checkpoint = _timed(base, work, full=False, models=args.models)
            inc.append(s)
            checkpoints.append(checkpoint)
            nothing.append(_timed_nothing_new(work))
            deleted.append(_timed_delete(work))
            full.append(_timed(base, work, full=True)[0])
        cli = [_timed_cli(base, work) for _ in range(args.cli_runs)]
        verified = [] if args.no_verify else _verified(base, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    i, f = statistics.median(inc), statistics.median(full)
    print(f"{args.events:,} events, {new:,} new in one batch ({args.new:.0%}), "
          f"{'no session ids (every session derived), ' if args.derived_sessions else ''}"
          f"median of {args.repeat}:")
    print(f"  incremental run + tests: {i:.2f} s  (runs: {', '.join(f'{x:.2f}' for x in inc)})")
    print(f"  full rebuild + tests:    {f:.2f} s  (runs: {', '.join(f'{x:.2f}' for x in full)})")
    print(f"  incremental / full: {i / f:.2f}")
    print(f"  the checkpoint after the incremental run (the app's when idle, DuckDB's at close): "
          f"{statistics.median(c for c, _ in checkpoints):.2f} s, writing "
          f"{statistics.median(m for _, m in checkpoints):.1f} MB of write-ahead log into the file")
    n = statistics.median(x for x, _ in nothing)
    print(f"  then a run with nothing new: {n:.3f} s "
          f"(models built all the same: {max(b for _, b in nothing)}, the ones reading the clock)")
    d = statistics.median(x for x, _, _ in deleted)
    print(f"  then the batch deleted again as the app deletes it, and a run: {d:.2f} s "
          f"(runs: {', '.join(f'{x:.2f}' for x, _, _ in deleted)}; int_sessions "
          f"{deleted[-1][1]}), × {d / f:.2f} the full rebuild")
    print(f"  the delete itself, with the workspace's backup copy taken first: "
          f"{statistics.median(r for _, _, r in deleted):.2f} s "
          f"(runs: {', '.join(f'{r:.2f}' for _, _, r in deleted)})")
    if cli:
        print(f"  `shoplytics run` after the import (a fresh process: Python, imports, open, run): "
              f"median {statistics.median(cli):.2f} s over {len(cli)}")
    print(f"  the {len(slowest)} slowest models of the last incremental run:")
    for name, seconds, note in slowest:
        print(f"    {name:28s} {seconds:6.2f} s  {note}")
    agree = all([check.report(label) for label, check in verified])
    print(f"  peak RSS {peak_rss_mb():.0f} MB")
    if not agree:
        sys.exit(1)


if __name__ == "__main__":
    main()
