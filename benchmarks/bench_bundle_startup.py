"""Cold start of the packaged app: process start to its window mapped on a real X server.

    python benchmarks/bench_bundle_startup.py [--bundle dist/Shoplytics] [--runs 5]

Starts Xvfb (unless DISPLAY is set), launches ``shoplytics-desktop`` on a fresh empty workspace
with a fresh home folder each run, and waits for a visible window named Shoplytics (xdotool).
Needs the Xvfb and xdotool packages. Target: at most 3 s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _wait_for_window(env: dict[str, str], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = subprocess.run(
            ["xdotool", "search", "--onlyvisible", "--name", "Shoplytics"],
            env=env, capture_output=True, text=True, check=False,
        )
        if found.stdout.strip():
            return True
        time.sleep(0.02)
    return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, default=ROOT / "dist" / "Shoplytics")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    exe = args.bundle / "shoplytics-desktop"
    if not exe.exists():
        print(f"no bundle at {args.bundle}: run packaging/build.sh first", file=sys.stderr)
        return 1
    for tool in ("xdotool",) + (() if os.environ.get("DISPLAY") else ("Xvfb",)):
        if not shutil.which(tool):
            print(f"{tool} is needed (apt-get install xvfb xdotool)", file=sys.stderr)
            return 1
    env = dict(os.environ)
    env.pop("QT_QPA_PLATFORM", None)
    xvfb = None
    if not env.get("DISPLAY"):
        env["DISPLAY"] = ":97"
        xvfb = subprocess.Popen(["Xvfb", ":97", "-screen", "0", "1600x1000x24"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)
    times = []
    try:
        for i in range(args.runs):
            with tempfile.TemporaryDirectory() as tmp:
                run_env = dict(env, HOME=tmp, XDG_CONFIG_HOME=f"{tmp}/.config",
                               XDG_DATA_HOME=f"{tmp}/.local/share")
                t0 = time.monotonic()
                proc = subprocess.Popen([str(exe), "--workspace", f"{tmp}/ws"], env=run_env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                ok = _wait_for_window(run_env, 30)
                elapsed = time.monotonic() - t0
                proc.terminate()
                proc.wait(timeout=10)
                if not ok:
                    print(f"run {i + 1}: no window within 30 s", file=sys.stderr)
                    return 1
                times.append(elapsed)
                print(f"run {i + 1}: window shown after {elapsed:.2f} s")
    finally:
        if xvfb:
            xvfb.terminate()
    print(f"packaged cold start to window: median {statistics.median(times):.2f} s, "
          f"max {max(times):.2f} s over {len(times)} runs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
