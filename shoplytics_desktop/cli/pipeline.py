"""``run``, ``test``, ``models``, ``lineage``, ``docs``, ``query``, ``export`` and ``demo``."""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import json
import math
import os
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from shoplytics_desktop.cli.common import (
    TextReporter,
    add_workspace_arg,
    format_table,
    open_workspace,
    require_workspace,
    workspace_folder,
)
from shoplytics_desktop.core import catalog
from shoplytics_desktop.core.errors import ExportError, QueryError, count_of
from shoplytics_desktop.core.models.runner import RunResult


def register(sub: Any) -> None:
    p = sub.add_parser("run", help="build the models and run their data tests (all or nothing)")
    add_workspace_arg(p)
    p.add_argument("--select", "-s", nargs="+", metavar="SEL", help="NAME, NAME+ (and downstream), +NAME (and upstream)")
    p.add_argument("--models", metavar="DIR", help="use this model project instead of the workspace's")
    p.add_argument("--quiet", "-q", action="store_true", help="print only the summary")
    p.add_argument("--on", metavar="URL", help="run on PostgreSQL (postgresql://user@host:port/db) or Spark Connect (sc://host:port); password from PGPASSWORD or SHOPLYTICS_ENGINE_PASSWORD")
    p.add_argument("--no-pull", action="store_true", help="with --on: publish on the engine only, leave the workspace's marts as they are")
    p.add_argument("--full-refresh", action="store_true", help="build and test every model: incremental ones from all events, not only where new batches change them, and the ones nothing changed for too")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("test", help="run the data tests against the published models")
    add_workspace_arg(p)
    p.add_argument("--select", "-s", nargs="+", metavar="SEL")
    p.add_argument("--models", metavar="DIR")
    p.add_argument("--on", metavar="URL", help="test what is published on PostgreSQL or Spark Connect")
    p.set_defaults(func=cmd_test)

    p = sub.add_parser("models", help="list the models: layer, materialization, dependencies")
    add_workspace_arg(p)
    p.add_argument("--models", metavar="DIR")
    p.set_defaults(func=cmd_models)

    p = sub.add_parser("lineage", help="print the model graph as DOT or JSON")
    add_workspace_arg(p)
    p.add_argument("--format", choices=("dot", "json"), default="dot")
    p.add_argument("--models", metavar="DIR")
    p.set_defaults(func=cmd_lineage)

    p = sub.add_parser("docs", help="write the data dictionary (Markdown)")
    add_workspace_arg(p)
    p.add_argument("--out", metavar="DIR", required=True)
    p.add_argument("--models", metavar="DIR")
    p.add_argument("--force", action="store_true",
                   help="replace a data_dictionary.md there that this command did not write")
    p.set_defaults(func=cmd_docs)

    p = sub.add_parser("query", help="run a read-only SQL query")
    add_workspace_arg(p)
    p.add_argument("sql")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.add_argument("--limit", type=int, default=None, help="rows to print (default: 1000 in table format, all in csv and json)")
    p.set_defaults(func=cmd_query)

    p = sub.add_parser("export", help="export marts (or any table) to CSV or Parquet")
    add_workspace_arg(p)
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--model", nargs="+", metavar="NAME", help="tables to export (marts by default; schema.table for others)")
    which.add_argument("--all", action="store_true", help="every mart")
    p.add_argument("--format", choices=("csv", "parquet"), default="csv")
    p.add_argument("--out", metavar="DIR", required=True)
    p.add_argument("--force", action="store_true", help="overwrite existing files")
    p.add_argument("--no-sanitize", action="store_true", help="keep CSV cells that start with = + - @ as they are")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("demo", help="fill the workspace with demo data, run the pipeline, print KPIs")
    add_workspace_arg(p)
    p.add_argument("--events", type=int, default=200_000)
    p.add_argument("--days", type=int, default=90)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument(
        "--replace-imports", action="store_true",
        help="also delete the imported data of this workspace (a backup is kept); without it, a "
        "workspace with imported data is refused",
    )
    p.set_defaults(func=cmd_demo)


def _project_ws(args: argparse.Namespace, read_only: bool = False) -> Any:
    """The workspace, with --models as its model project for this command."""
    ws = open_workspace(args, read_only=read_only)
    if getattr(args, "models", None):
        ws.settings.models_dir = str(Path(args.models).expanduser().resolve())
    return ws


def _back_up_before_retiring(ws: Any, project: Any) -> str:
    """A run of a project that lacks models earlier runs built drops their tables: back the
    workspace up first (as when the setting changes); what to say once the run published."""
    from shoplytics_desktop.core.models.runner import retired_by

    gone = retired_by(ws, project)
    if not gone:
        return ""
    path = ws.backup()
    return (f"note: the models in {ws.settings.models_dir} lack {len(gone)} that earlier runs "
            f"built ({', '.join(gone[:3])}{', …' if len(gone) > 3 else ''}): their tables were "
            f"removed; the workspace was backed up before, in {path}.")


def _print_result(result: RunResult, quiet: bool = False) -> None:
    if result.models and not quiet:
        print(
            format_table(
                ["model", "layer", "kind", "status", "rows", "seconds", "built"],
                [
                    (m.name, m.layer, m.materialized, m.status, m.rows, round(m.seconds, 3),
                     m.note)
                    for m in result.models
                ],
            )
        )
        print()
    if result.tests:
        failing = result.failed_tests
        passed = len(result.tests) - len(failing)
        print(f"tests: {passed} passed, {len(failing)} not passed")
        if failing:
            print(
                format_table(
                    ["test", "model", "column", "severity", "status", "failing rows"],
                    [(t.test_id, t.model, t.column, t.severity, t.status, t.failing_rows) for t in failing],
                )
            )
            for t in failing:
                if t.status == "error":
                    print(f"  {t.test_id}: {t.message}")
    print(f"{result.status.upper()}: {result.message} ({result.seconds:.2f}s)")


def cmd_run(args: argparse.Namespace) -> int:
    from shoplytics_desktop.core.models.runner import load_workspace_project, run_project

    if getattr(args, "workspace", None):
        # A mistyped path must not become a new, empty workspace that "passes" every test.
        require_workspace(args, "run", "create the folder first (an empty folder becomes a "
                          "new workspace)", database=False)
    with _project_ws(args) as ws:
        target = _engine_target(args, ws)
        project, retired = None, ""
        if getattr(args, "models", None) and not args.select and target is None:
            # Only a local run of every model drops what the project no longer has.
            project = load_workspace_project(ws)
            retired = _back_up_before_retiring(ws, project)
        if target is not None:
            from shoplytics_desktop.core.engines.run import run_on_engine

            result = run_on_engine(
                ws, target, pull=not args.no_pull, reporter=TextReporter(quiet=True),
                select=args.select,
            )
        else:
            result = run_project(ws, select=args.select, project=project,
                                 reporter=TextReporter(quiet=True),
                                 full_refresh=args.full_refresh)
        _print_result(result, args.quiet)
        if retired and result.published:
            print(retired, file=sys.stderr)
    return 1 if result.status == "error" else 0


def _engine_target(args: argparse.Namespace, ws: Any) -> Any:
    """The engine to run on: --on URL, else the workspace's "run the pipeline on" setting
    (None: this computer). A password in the URL is used for this run only."""
    from shoplytics_desktop.core.engines import parse_url

    url = getattr(args, "on", None) or getattr(ws.settings, "run_on", None)
    if not url or url == "local":
        return None
    return parse_url(url)


def cmd_test(args: argparse.Namespace) -> int:
    from shoplytics_desktop.core.models.runner import run_data_tests

    require_workspace(args, "test", "import data and run first")
    with _project_ws(args) as ws:
        target = _engine_target(args, ws)
        if target is not None:
            from shoplytics_desktop.core.engines.run import test_on_engine

            result = test_on_engine(ws, target, select=args.select)
        else:
            result = run_data_tests(ws, select=args.select)
        _print_result(result)
    return 1 if result.status == "error" else 0


def _graph_project(args: argparse.Namespace) -> Any:
    """The workspace's model project; where there is no workspace, the shipped models (or
    --models), read without creating one there."""
    from shoplytics_desktop.core.backups import DB_FILE
    from shoplytics_desktop.core.models.project import load_project
    from shoplytics_desktop.core.models.runner import load_workspace_project
    from shoplytics_desktop.core.paths import default_models_dir

    folder = workspace_folder(args)
    if (folder / DB_FILE).exists():
        with _project_ws(args) as ws:
            return load_workspace_project(ws)
    own = getattr(args, "models", None)
    root = Path(own).expanduser().resolve() if own else default_models_dir()
    print(f"note: there is no workspace at {folder}; these are the models "
          f"{'in ' + str(root) if own else 'the app ships'}.", file=sys.stderr)
    return load_project(root)


def cmd_models(args: argparse.Namespace) -> int:
    project = _graph_project(args)
    rows = []
    for name in project.order():
        m = project.models[name]
        deps = [project.models[d].relation for d in m.depends_on] + m.sources
        rows.append((m.relation, m.materialized, ", ".join(deps), m.description[:60]))
    print(format_table(["model", "kind", "depends on", "description"], rows))
    return 0


def cmd_lineage(args: argparse.Namespace) -> int:
    from shoplytics_desktop.core.models.lineage import lineage

    graph = lineage(_graph_project(args))
    sys.stdout.write(graph.to_dot() if args.format == "dot" else graph.to_json() + "\n")
    return 0


def cmd_docs(args: argparse.Namespace) -> int:
    from shoplytics_desktop.core.models.docs import data_dictionary
    from shoplytics_desktop.core.models.runner import load_workspace_project

    require_workspace(args, "describe", "run the pipeline there first")
    with _project_ws(args) as ws:
        project = load_workspace_project(ws)
        types = catalog.column_types(ws, ("staging", "intermediate", "marts"))
    out = Path(args.out).expanduser()
    path = out / "data_dictionary.md"
    if out.exists() and not out.is_dir():
        raise ExportError(f"{out} is a file, not a folder.", "Name a folder for --out.")
    if path.is_dir() or (path.exists() and not args.force and not _generated_docs(path)):
        raise ExportError(
            f"{path} exists and was not written by `shoplytics docs`: it is left as it is.",
            "Choose another folder, or add --force to replace it.",
        )
    text = data_dictionary(project, types)
    tmp = path.with_name(f".{path.name}.partial")
    try:
        out.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as e:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise ExportError(
            f"Could not write {path}: {e.strerror}.",
            "Check that the folder is writable, or choose another with --out.",
        ) from e
    print(f"wrote {path}")
    return 0


def _generated_docs(path: Path) -> bool:
    """Whether ``path`` is a data dictionary this command wrote (it says so at its top)."""
    try:
        with path.open(encoding="utf-8", errors="replace") as fh:
            head = fh.read(400)
    except OSError:
        return False
    return "Generated by `shoplytics docs`" in head


TABLE_LIMIT = 1000
_FETCH = 10_000


def cmd_query(args: argparse.Namespace) -> int:
    if args.limit is not None and args.limit < 0:
        raise QueryError(f"--limit must be 0 or more, not {args.limit}.")
    with open_workspace(args, read_only=True) as ws:
        from shoplytics_desktop.core.query import stream_query

        result = stream_query(ws, args.sql)
        names = result.names
        if args.format == "csv":
            writer = csv.writer(sys.stdout)
            writer.writerow(names)
            for batch in result.batches(args.limit, _FETCH):
                writer.writerows([[_cell(v, "") for v in row] for row in batch])
        elif args.format == "json":
            _write_json(names, result.batches(args.limit, _FETCH))
        else:
            limit = TABLE_LIMIT if args.limit is None else args.limit
            rows = result.fetch(limit + 1)
            print(format_table(
                names, [[_cell(v, "NULL").replace("\n", "\\n") for v in row]
                        for row in rows[:limit]]))
            if len(rows) > limit:
                print("... more rows (use --limit N, or --format csv for all)")
    return 0


def _write_json(names: list[str], batches: Iterator[list[tuple[Any, ...]]]) -> None:
    """A JSON list of one object per row, written as the rows come (as ``json.dumps(rows,
    indent=1)`` would write it all at once)."""
    out = sys.stdout
    first = True
    for batch in batches:
        for row in batch:
            item = json.dumps(dict(zip(names, map(_json_safe, row), strict=True)),
                              default=str, indent=1, allow_nan=False)
            out.write(("[\n" if first else ",\n") + textwrap.indent(item, " "))
            first = False
    out.write("[]\n" if first else "\n]\n")


def _cell(value: Any, null: str) -> str:
    """A query's value as exact text: numbers as they are (no grouping, no rounding), lists and
    structs as JSON, blobs and intervals as DuckDB writes them; ``null`` for NULL."""
    if value is None:
        return null
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else {"inf": "Infinity", "-inf": "-Infinity"}.get(
            repr(value), "NaN")
    if isinstance(value, list | tuple | dict):
        return json.dumps(_json_safe(value), default=str)
    if isinstance(value, bytes | bytearray | memoryview):
        return "".join(f"\\x{b:02X}" for b in bytes(value))
    if isinstance(value, dt.timedelta):
        days, rest = value.days, value - dt.timedelta(days=value.days)
        seconds = rest.total_seconds()
        clock = (f"{int(seconds // 3600):02}:{int(seconds % 3600 // 60):02}:"
                 f"{seconds % 60:09.6f}".rstrip("0").rstrip("."))
        return (f"{days} day{'s' if abs(days) != 1 else ''} " if days else "") + clock
    return str(value)


def _json_safe(value: Any) -> Any:
    """JSON has no NaN or infinities: they are written null (as JavaScript writes them)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    return value


def cmd_export(args: argparse.Namespace) -> int:
    from shoplytics_desktop.core.export import export_tables

    with open_workspace(args, read_only=True) as ws:
        if args.all:
            tables = [
                r.qualified
                for r in catalog.list_relations(ws, ("marts",), kinds=(catalog.RelationKind.TABLE,))
            ]
        else:
            tables = [t if "." in t else f"marts.{t}" for t in args.model]
        files = export_tables(
            ws, tables, Path(args.out).expanduser(), args.format, force=args.force,
            sanitize_csv=not args.no_sanitize,
        )
    for f in files:
        print(f"{f.table}: {f.rows:,} rows → {f.path}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from shoplytics_desktop.core.analytics import headline_kpis
    from shoplytics_desktop.core.generate import GenerateSpec, generate_into
    from shoplytics_desktop.core.models.runner import run_project

    with open_workspace(args) as ws:
        spec = GenerateSpec(events=args.events, days=args.days, seed=args.seed)
        summary = generate_into(ws, spec, reporter=TextReporter(), replace=True,
                                replace_imports=args.replace_imports)
        if summary.backup is not None:
            print(f"removed {count_of(summary.removed_batches, 'earlier batch', 'earlier batches')}; the workspace as it was "
                  f"is backed up in {summary.backup}")
        print(
            f"generated {summary.events:,} events, {summary.sessions:,} sessions, "
            f"{summary.orders:,} orders from {summary.users:,} users "
            f"({summary.start} to {summary.end - dt.timedelta(days=1)}) in {summary.seconds:.2f}s"
        )
        result = run_project(ws, reporter=TextReporter(quiet=True))
        _print_result(result, quiet=True)
        if result.published:
            print()
            for label, value in headline_kpis(ws).items():
                print(f"{label:<22}{value}")
    return 1 if result.status == "error" else 0
