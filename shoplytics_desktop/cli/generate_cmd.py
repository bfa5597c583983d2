"""``shoplytics generate``: synthetic shop data into the workspace, or into files."""

from __future__ import annotations

import argparse
import datetime as dt
import time
from pathlib import Path
from typing import Any

from shoplytics_desktop.cli.common import (
    TextReporter,
    add_workspace_arg,
    format_table,
    open_workspace,
)
from shoplytics_desktop.core.errors import GenerateError, count_of
from shoplytics_desktop.core.generate import FORMATS, VENDOR_FILES, vendor_preset


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date in the form YYYY-MM-DD") from None


def register(sub: Any) -> None:
    p = sub.add_parser(
        "generate",
        help="generate realistic synthetic shop events (into the workspace, or files with --out)",
        description=(
            "Generate users, sessions, a product catalog and orders with realistic behaviour. "
            "The same options always give the same data."
        ),
    )
    p.add_argument(
        "--events",
        type=int,
        default=200_000,
        metavar="N",
        help="events to generate (default 200000)",
    )
    p.add_argument("--days", type=int, default=90, metavar="D", help="days covered (default 90)")
    p.add_argument(
        "--users", type=int, default=None, metavar="U", help="users (default: one per 12 events)"
    )
    p.add_argument("--seed", type=int, default=42, metavar="S", help="random seed (default 42)")
    p.add_argument(
        "--start",
        type=_date,
        default=None,
        metavar="YYYY-MM-DD",
        help="first day (default: so that the last day is yesterday, UTC)",
    )
    p.add_argument(
        "--replace", action="store_true",
        help="remove the generated data loaded before (imported data stays; a backup is kept)",
    )
    p.add_argument(
        "--replace-imports", action="store_true",
        help="remove the imported data too (a backup is kept); without it, generating into a "
        "workspace with imported data is refused",
    )
    p.add_argument("--force", action="store_true", help="with --out: replace existing files")
    p.add_argument(
        "--out", type=Path, default=None, metavar="DIR", help="write files here instead of loading"
    )
    p.add_argument(
        "--format",
        default=None,
        metavar="FORMAT",
        help=f"file format with --out: {', '.join(FORMATS)} (default parquet); or the events "
        f"alone as a vendor exports them, to import with its preset: {', '.join(VENDOR_FILES)}",
    )
    p.add_argument("--quiet", "-q", action="store_true", help="no progress output")
    add_workspace_arg(p)
    p.set_defaults(func=cmd_generate)


def cmd_generate(args: argparse.Namespace) -> int:
    from shoplytics_desktop.core.generate import (
        GenerateSpec,
        check_format,
        check_out_dir,
        check_targets,
        generate_into,
        resolve,
        write_files,
    )

    spec = GenerateSpec(
        events=args.events, days=args.days, users=args.users, seed=args.seed, start=args.start
    )
    # Every check happens before the workspace is opened or a file is written.
    rs = resolve(spec)
    reporter = TextReporter(quiet=args.quiet)
    if args.out is None:
        if args.format is not None:
            raise GenerateError(
                "--format applies only to files.", "Add --out DIR, or drop --format."
            )
        with open_workspace(args) as ws:
            summary = generate_into(ws, spec, reporter, replace=args.replace,
                                    replace_imports=args.replace_imports)
            where = ws.folder
        if summary.backup is not None:
            print(f"Removed {count_of(summary.removed_batches, 'earlier batch', 'earlier batches')}; the workspace as it was "
                  f"is backed up in {summary.backup}")
        if summary.already_loaded:
            print(
                f"Already loaded: {rs.describe()} is batch {summary.batch_id} in {where}; nothing added."
            )
            print("Use --replace to start over, or another --seed for new data.")
            return 0
        print(f"Generated {rs.describe()}")
        print(f"into {where} (batch {summary.batch_id}) in {summary.seconds:.2f} s")
        print()
        rows = [(table, count) for table, count in summary.table_rows().items()]
        print(format_table(["table", "rows"], rows))
        print()
        print(
            f"{summary.users:,} users with events, {summary.sessions:,} sessions, "
            f"{summary.orders:,} orders"
        )
        return 0

    if args.replace or args.replace_imports:
        raise GenerateError(
            "--replace applies to loading into a workspace, not to --out.", "Drop --replace."
        )
    fmt = check_format(args.format or "parquet")
    check_targets(args.out, fmt, args.force)
    out = check_out_dir(args.out)
    t0 = time.perf_counter()
    paths = write_files(spec, out, fmt, reporter, force=args.force)
    seconds = time.perf_counter() - t0
    print(f"Generated {rs.describe()}")
    print(f"into {out} in {seconds:.2f} s")
    print()
    print(format_table(["file", "MB"], [(p.name, round(p.stat().st_size / 1e6, 2)) for p in paths]))
    print()
    if fmt in VENDOR_FILES:
        print(f"Load it with: shoplytics import {paths[0]}  "
              f"(the {vendor_preset(fmt)} preset recognises it)")
        return 0
    events, products, users = paths
    print(f"Load them with: shoplytics import {events} --products {products} --users {users}")
    return 0
