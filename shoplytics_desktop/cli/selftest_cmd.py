"""``shoplytics self-test``: check this installation end to end in a temporary workspace."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser("self-test", help="check this installation end to end (headless)")
    p.set_defaults(func=cmd_selftest)


def cmd_selftest(args: argparse.Namespace) -> int:
    from shoplytics_desktop.selftest import run_selftest

    return 0 if run_selftest() else 1
