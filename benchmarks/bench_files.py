"""Your own export files: the import against DuckDB's bare read of the same files, and an update
after a new batch against a full rebuild of the same events (time, and whether they agree).

    python benchmarks/bench_files.py export.csv                  # its latest 1 % arrive later
    python benchmarks/bench_files.py day1.ndjson day2.ndjson     # the last file arrives later
    python benchmarks/bench_files.py orders.csv --preset shopify --new 0.05 --pick random
    python benchmarks/bench_files.py events.parquet --time-zone Europe/Berlin --currency EUR

1. **Import.** Every file as one import into a new workspace, as the app and ``shoplytics
   import`` do it (the best-recognised preset, ``--preset`` or ``--mapping``), in a process of its
   own; against DuckDB's own ``CREATE TABLE … AS SELECT * FROM read_csv/read_json/read_parquet``
   of each file into a new database file, also in a process of its own. Prints the medians of
   ``--repeat`` runs, their ratio, where the import's time goes, its counts and peak RSS.
2. **Update against a full rebuild.** With several files, all but the last are imported (a batch
   each) and built, then the last is imported and ``run`` updates the models. With one file, the
   file is imported and the ``--new`` share of its events (the latest by time, or with ``--pick
   random`` a sample from its whole range: late events, orders and sessions split between
   batches) is moved into a batch of its own, to arrive after the build. The update is timed,
   then every relation it built is compared with a full rebuild of the same events (EXCEPT ALL
   both ways); then the new batch is deleted again as the app deletes it, and the run after that
   is timed and compared the same way. Differences are printed by relation; the exit status is 1
   when there are any.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from benchmarks._util import (  # noqa: E402
    add_held_batch,
    full_rebuild_differences,
    hold_back,
    peak_rss_mb,
)
from benchmarks.bench_import import PhaseTimer, bare_copy, in_child  # noqa: E402


def _format(path: Path) -> str | None:
    """The format bench_import's ``bare_copy`` reads the file as (None: DuckDB reads no such
    file)."""
    name = path.name.lower().removesuffix(".gz")
    if name.endswith(".zip"):
        return None
    if name.endswith(".parquet"):
        return "parquet"
    return "json" if name.endswith((".json", ".ndjson", ".jsonl")) else "csv"


def bare_read(paths: list[Path], db_file: Path) -> tuple[float, float] | None:
    """DuckDB alone copying each file into a table of a new database file (``bare_copy``):
    seconds in all and peak RSS; None when DuckDB has no reader of one of them."""
    formats = [_format(p) for p in paths]
    if None in formats:
        return None
    seconds = sum(bare_copy(p, str(f), db_file)[0] for p, f in zip(paths, formats, strict=True))
    return seconds, peak_rss_mb()


def _settings(ws_dir: Path, args: argparse.Namespace) -> None:
    from shoplytics_desktop.core.settings import WorkspaceSettings, save_settings

    given = {k: v for k, v in (("time_zone", args.time_zone), ("currency", args.currency),
                               ("session_timeout_minutes", args.session_timeout)) if v}
    if given:
        save_settings(ws_dir, WorkspaceSettings(**given))


def _import(ws: Any, paths: list[Path], args: argparse.Namespace, reporter: Any = None) -> Any:
    from shoplytics_desktop.core.ingest import import_events, load_mapping

    mapping = load_mapping(args.mapping) if args.mapping else None
    return import_events(ws, paths, mapping=mapping, preset=args.preset, reporter=reporter)


def our_import(paths: list[Path], ws_dir: Path, args: argparse.Namespace) -> dict[str, Any]:
    """The files as one import into a new workspace: seconds, phases, counts, peak RSS."""
    from shoplytics_desktop.core.workspace import Workspace

    shutil.rmtree(ws_dir, ignore_errors=True)
    _settings(ws_dir, args)
    with Workspace.open(ws_dir) as ws:
        timer = PhaseTimer()
        t = time.perf_counter()
        report = _import(ws, paths, args, timer)
        seconds = time.perf_counter() - t
    shutil.rmtree(ws_dir, ignore_errors=True)
    v = report.validation
    return {
        "seconds": seconds, "phases": timer.phases(t + seconds), "preset": report.mapping.preset,
        "loaded": v.rows_loaded if v else 0, "duplicate": v.rows_duplicate if v else 0,
        "rejected": v.rows_rejected if v else 0, "rss": peak_rss_mb(),
    }


def compare_import(paths: list[Path], folder: Path, args: argparse.Namespace) -> None:
    bare, ours = [], []
    for _ in range(args.repeat):
        bare.append(in_child(bare_read, paths, folder / "bare.duckdb"))
        ours.append(in_child(our_import, paths, folder / "ws_import", args))
    size = sum(p.stat().st_size for p in paths) / 1e6
    seconds = [r["seconds"] for r in ours]
    o = statistics.median(seconds)
    last = ours[-1]
    print(f"{len(paths)} file(s), {size:,.1f} MB; preset {last['preset'] or 'none (generic)'}; "
          f"loaded {last['loaded']:,}, duplicate {last['duplicate']:,}, rejected "
          f"{last['rejected']:,}")
    print(f"  import                   {o:7.2f} s  (runs: "
          f"{', '.join(f'{x:.2f}' for x in seconds)}), peak RSS "
          f"{max(r['rss'] for r in ours):.0f} MB")
    if all(b is not None for b in bare):
        b = statistics.median(x[0] for x in bare)
        print(f"  duckdb's own read        {b:7.2f} s  (CREATE TABLE AS of each file into a new "
              f"database file; peak RSS {max(x[1] for x in bare):.0f} MB)")
        print(f"  ratio import / duckdb    {o / b:7.2f}")
    else:
        print("  duckdb's own read        n/a (DuckDB reads no .zip file)")
    print(f"  phases of the last import: {last['phases']}", flush=True)


def _base(paths: list[Path], folder: Path, args: argparse.Namespace) -> tuple[Path, float, int]:
    """A built workspace without the new batch (kept in main.new_events, or the last file):
    its folder, the seconds of its full build, and the events held back (0: a file)."""
    from shoplytics_desktop.core.models.runner import run_project
    from shoplytics_desktop.core.workspace import Workspace

    base = folder / "ws_base"
    shutil.rmtree(base, ignore_errors=True)
    _settings(base, args)
    with Workspace.open(base) as ws:
        held = 0
        if len(paths) > 1:
            for path in paths[:-1]:
                _import(ws, [path], args)
        else:
            _import(ws, paths, args)
            held = hold_back(ws, args.new, args.pick)
        t0 = time.perf_counter()
        result = run_project(ws, full_refresh=True)
        built = time.perf_counter() - t0
        assert result.published, result.message
        ws.checkpoint()
    return base, built, held


def _new_batch(ws: Any, paths: list[Path], args: argparse.Namespace) -> tuple[str, int, float]:
    """The new batch added: its id, its events and the seconds of its import (0: held back)."""
    if len(paths) == 1:
        return "new-batch", add_held_batch(ws), 0.0
    t0 = time.perf_counter()
    report = _import(ws, paths[-1:], args)
    seconds = time.perf_counter() - t0
    assert report.batch_id is not None, "the last file added no batch"
    return report.batch_id, report.rows_loaded, seconds


def _how(result: Any) -> str:
    notes = [m.note for m in result.models if m.note]
    updated = sum(n.startswith("updated") for n in notes)
    full = sum(n.startswith("rebuilt in full") for n in notes)
    return f"{updated} models updated, {full} rebuilt in full"


def compare_update(paths: list[Path], folder: Path, args: argparse.Namespace) -> bool:
    from shoplytics_desktop.core.ingest import delete_batch
    from shoplytics_desktop.core.models.runner import run_project
    from shoplytics_desktop.core.workspace import Workspace

    base, built, _ = _base(paths, folder, args)
    work = folder / "ws_update"
    runs: list[float] = []
    agree = True
    for i in range(args.repeat):
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(base, work)
        with Workspace.open(work) as ws:
            batch, new, imported = _new_batch(ws, paths, args)
            t0 = time.perf_counter()
            result = run_project(ws)
            runs.append(time.perf_counter() - t0)
            assert result.published, result.message
            if i < args.repeat - 1:
                continue
            events = ws.row_count("raw", "events")
            what = (f"the last file ({new:,} events, imported in {imported:.2f} s)"
                    if len(paths) > 1 else
                    f"{new:,} of them held back ({args.pick}), added as a batch")
            print(f"update: {events:,} events, {what}")
            print(f"  full build before it     {built:7.2f} s")
            print(f"  update run + tests       {statistics.median(runs):7.2f} s  (runs: "
                  f"{', '.join(f'{r:.2f}' for r in runs)}; {_how(result)})")
            agree &= full_rebuild_differences(ws, result).report("after the update")
            t0 = time.perf_counter()
            delete_batch(ws, batch)
            deleting = time.perf_counter() - t0
            t0 = time.perf_counter()
            result = run_project(ws)
            seconds = time.perf_counter() - t0
            assert result.published, result.message
            print(f"  the batch deleted again  {deleting:7.2f} s (with the workspace's backup), "
                  f"then run + tests {seconds:.2f} s ({_how(result)})")
            agree &= full_rebuild_differences(ws, result).report("after the delete")
    print(f"  peak RSS {peak_rss_mb():.0f} MB", flush=True)
    shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(base, ignore_errors=True)
    return agree


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+", type=Path, help="export files (the last one arrives "
                    "later when there are several)")
    ap.add_argument("--preset", help="map the files with this preset (default: the "
                    "best-recognised one; none: generic detection)")
    ap.add_argument("--mapping", type=Path, help="a saved mapping (JSON) to import with")
    ap.add_argument("--new", type=float, default=0.01,
                    help="with one file: the share of its events that arrive later")
    ap.add_argument("--pick", choices=["latest", "random"], default="latest",
                    help="with one file: which events arrive later")
    ap.add_argument("--repeat", type=int, default=3, help="runs per figure (medians shown)")
    ap.add_argument("--time-zone", help="the workspace's reporting time zone")
    ap.add_argument("--currency", help="the workspace's currency")
    ap.add_argument("--session-timeout", type=int, help="minutes between a user's events that "
                    "end a session (derived sessions)")
    ap.add_argument("--skip-import", action="store_true", help="only the update figures")
    ap.add_argument("--dir", type=Path, help="scratch folder (default: temp)")
    args = ap.parse_args()
    missing = [str(p) for p in args.files if not p.is_file()]
    if missing:
        sys.exit(f"no such file: {', '.join(missing)}")
    if args.mapping and args.preset:
        sys.exit("--mapping and --preset both say how to map the files: give one of them")
    if not 0 < args.new < 1:
        sys.exit("--new is a share between 0 and 1, e.g. 0.01")
    paths = [p.resolve() for p in args.files]
    folder = args.dir or Path(tempfile.mkdtemp(prefix="shoplytics-bench-files-"))
    folder.mkdir(parents=True, exist_ok=True)
    from shoplytics_desktop.core.errors import ShoplyticsError

    try:
        if not args.skip_import:
            compare_import(paths, folder, args)
        agree = compare_update(paths, folder, args)
    except ShoplyticsError as e:  # a file the import refuses, say: its message, not a traceback
        sys.exit(f"error: {e}")
    finally:
        if args.dir is None:
            shutil.rmtree(folder, ignore_errors=True)
    sys.exit(0 if agree else 1)


if __name__ == "__main__":
    main()
