"""Updates against full rebuilds on many small odd data sets: every vendor export shape the
generator writes (and the generic CSV), in reporting time zones with half-hour and 45-minute
offsets and clock changes, over days that cross them, with several session timeouts and
currencies, the new events the latest or a random sample, or a second file of overlapping rows.
Each case is ``bench_files.py --skip-import`` on a generated export, in a process of its own:
after the update and after the new batch is deleted again, every relation must equal a full
rebuild of the same events (EXCEPT ALL both ways).

    python benchmarks/sweep_updates.py --cases 80 --seed 7

Prints one line per case and the cases that differed, with the command that shows them; the
exit status is 1 when any did. The cases follow from ``--seed``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from shoplytics_desktop.core.generate import GenerateSpec, write_files  # noqa: E402

SHAPES = ("csv", "ga4", "segment", "amplitude", "mixpanel", "snowplow", "snowplow_enriched",
          "shopify_events", "shopify", "online_retail")
ZONES = ("UTC", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu", "Pacific/Chatham",
         "Europe/London")
# First days whose spans cross clock changes: Lord Howe and Chatham in spring (September,
# October), New York and London in autumn, and the southern autumn in March.
STARTS = ("2026-09-20", "2026-10-20", "2026-03-01")


def _case(rnd: random.Random, i: int) -> dict[str, object]:
    return {"i": i, "shape": rnd.choice(SHAPES), "zone": rnd.choice(ZONES),
            "seed": rnd.randrange(1000), "start": rnd.choice(STARTS),
            "events": rnd.choice((3_000, 20_000, 60_000)), "days": rnd.choice((3, 30, 45)),
            "new": rnd.choice((0.01, 0.1, 0.4)), "pick": rnd.choice(("random", "latest")),
            "timeout": rnd.choice((None, None, 5, 90)), "currency": rnd.choice((None, None, "EUR")),
            "split": rnd.random() < 0.5}


def _generate(case: dict[str, object], folder: Path) -> list[Path]:
    """The case's events as its shape's export file (what ``shoplytics generate --out`` writes;
    the generic CSV's products and users files are left out)."""
    spec = GenerateSpec(events=int(str(case["events"])), days=int(str(case["days"])),
                        seed=int(str(case["seed"])),
                        start=dt.date.fromisoformat(str(case["start"])))
    return write_files(spec, folder, str(case["shape"]))[:1]


def _split(path: Path, rnd: random.Random) -> list[Path]:
    """A CSV's rows dealt into two files at random, the second repeating a few of the first."""
    lines = path.read_text(encoding="utf-8").splitlines()
    head, body = lines[0], lines[1:]
    rnd.shuffle(body)
    cut, overlap = len(body) * 2 // 3, rnd.randrange(0, 50)
    out = []
    for j, part in enumerate((body[:cut], body[cut - overlap:])):
        p = path.with_name(f"part{j}.csv")
        p.write_text("\n".join([head, *part]) + "\n", encoding="utf-8")
        out.append(p)
    path.unlink()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=int, default=40)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--dir", type=Path, help="scratch folder (default: temp)")
    args = ap.parse_args()
    rnd = random.Random(args.seed)
    if args.dir is not None:
        args.dir.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="sweep-", dir=args.dir))
    failed: list[str] = []
    t0 = time.perf_counter()
    try:
        for i in range(args.cases):
            case = _case(rnd, i)
            folder = scratch / f"case{i}"
            files = _generate(case, folder)
            cmd = [sys.executable, str(ROOT / "bench_files.py"), *map(str, files),
                   "--skip-import", "--repeat", "1", "--time-zone", str(case["zone"])]
            if case["shape"] == "csv" and case["split"]:
                files = _split(files[0], rnd)
                cmd[2:3] = map(str, files)
                what = "2 files, the second repeating some rows"
            else:
                cmd += ["--new", str(case["new"]), "--pick", str(case["pick"])]
                what = f"{case['pick']} {case['new']:.0%}"
            if case["timeout"]:
                cmd += ["--session-timeout", str(case["timeout"])]
            if case["currency"]:
                cmd += ["--currency", str(case["currency"])]
            run = subprocess.run([*cmd, "--dir", str(folder)], capture_output=True, text=True)
            ok = run.returncode == 0
            print(f"[{i:3d}] {'equal' if ok else 'DIFFER'}  {case['shape']:<17} "
                  f"{case['events']:>6,} events / {case['days']} days from {case['start']} "
                  f"in {case['zone']}, {what}", flush=True)
            if not ok:
                tail = "\n".join((run.stdout + run.stderr).strip().splitlines()[-8:])
                failed.append(f"case {i}: {' '.join(cmd)}\n{tail}")
            else:
                shutil.rmtree(folder, ignore_errors=True)
    finally:
        if not failed:
            shutil.rmtree(scratch, ignore_errors=True)
    print(f"\n{args.cases - len(failed)} of {args.cases} cases equal a full rebuild after the "
          f"update and after the delete ({time.perf_counter() - t0:.0f} s)")
    for f in failed:
        print(f"\n{f}")
    if failed:
        print(f"\nthe failed cases' files are kept in {scratch}")
        sys.exit(1)


if __name__ == "__main__":
    main()
