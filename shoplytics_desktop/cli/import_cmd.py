"""``shoplytics import`` (files → raw.*) and ``shoplytics batches`` (list / delete)."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shoplytics_desktop.cli.common import (
    TextReporter,
    add_workspace_arg,
    format_table,
    open_workspace,
    workspace_folder,
)
from shoplytics_desktop.core.errors import ImportError_
from shoplytics_desktop.core.workspace import DB_FILE

if TYPE_CHECKING:
    from shoplytics_desktop.core import ingest
    from shoplytics_desktop.core.ingest.wizard import Target
    from shoplytics_desktop.core.workspace import Workspace

# The importer (pydantic, polars and the ingest package, about 0.2 s) is imported by the commands
# that use it, so that every other command starts without it.


def register(sub: Any) -> None:
    p = sub.add_parser(
        "import",
        help="import event files (CSV/TSV, JSON, NDJSON, Parquet; .gz, .zip) as one batch",
        description=(
            "Import event files into the workspace as one batch. Files, folders (with their "
            "subfolders), zip archives and globs are read together. Without --mapping, columns and event names are mapped automatically; "
            "use --dry-run to see the proposal and --save-mapping to keep and edit it. Rows that "
            "break the event contract (and CSV rows with too many or too few fields) are kept in "
            "raw.rejected_events with their line and reason."
        ),
    )
    add_workspace_arg(p)
    p.add_argument("files", nargs="*", metavar="FILE", help="event files, folders or globs")
    p.add_argument("--mapping", metavar="FILE", help="a mapping YAML file to use")
    p.add_argument("--save-mapping", metavar="FILE", help="write the mapping used to FILE")
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="show the mapping, a preview and the validation summary; write nothing",
    )
    p.add_argument(
        "--replace-demo", action="store_true",
        help="delete the workspace's demo data (generated events) in the same step, so that "
             "it does not mix with these files (a backup is kept)",
    )
    p.add_argument("--products", metavar="FILE", help="a product catalog file (raw.products)")
    p.add_argument("--users", metavar="FILE", help="a user profile file (raw.users)")
    p.add_argument(
        "--format", choices=["csv", "json", "ndjson", "parquet"], help="override format detection"
    )
    p.add_argument(
        "--delimiter", metavar="CHAR", help="CSV delimiter, e.g. ';' or '\\t' (default: detected)"
    )
    p.add_argument(
        "--time-format",
        metavar="FMT",
        help="auto, epoch_s, epoch_ms, or a strptime format such as '%%d/%%m/%%Y %%H:%%M'",
    )
    p.add_argument(
        "--preset",
        metavar="NAME",
        help="map the files with this vendor preset (ga4, shopify, shopify_events, online_retail, "
        "segment, "
        "snowplow, amplitude, mixpanel), 'none' for generic detection, or 'list' to show the "
        "presets and how well each fits the files (default: the best-recognised preset)",
    )
    p.add_argument("--quiet", "-q", action="store_true", help="no progress output")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("batches", help="list import batches, or delete one")
    add_workspace_arg(p)
    p.add_argument("action", nargs="?", choices=["list", "delete"], default="list")
    p.add_argument("batch_id", nargs="?", metavar="ID", help="the batch to delete")
    p.set_defaults(func=cmd_batches)


def _delimiter(text: str | None) -> str | None:
    """What a shell makes easy to type: '\\t' or 'tab' for a tab."""
    if text is None:
        return None
    return "\t" if text in ("\\t", "tab", "TAB") else text


def _mapping_from_args(
    args: argparse.Namespace,
) -> tuple[ingest.Mapping | None, ingest.Proposal | None]:
    """The mapping the options give (None: propose one later), and the proposal it came from
    when read options made it necessary to propose one here."""

    from shoplytics_desktop.core import ingest

    args.delimiter = _delimiter(args.delimiter)
    if args.delimiter is not None and len(args.delimiter.encode("utf-8")) > 4:
        raise ImportError_(f"--delimiter {args.delimiter!r} is not one character.",
                           "Give the character that separates the values, e.g. ';' '|' or tab.")
    if args.time_format and "%" in args.time_format:
        from shoplytics_desktop.core.ingest.timeparse import check_time_format

        try:
            check_time_format(args.time_format)
        except ValueError as e:
            raise ImportError_(f"--time-format: {e}.", "Fix the option and retry.") from None
    mapping = ingest.load_mapping(args.mapping) if args.mapping else None
    proposal = None
    if args.mapping and args.preset:
        raise ImportError_("--mapping and --preset both say how to map the files.",
                           "Give one of them.")
    if args.format or args.delimiter or args.time_format:
        if mapping is None:
            # Read options must be known before the proposal, which depends on what is read.
            opts = ingest.SourceOptions(format=args.format or "auto", delimiter=args.delimiter)
            proposal = ingest.propose_for(args.files, opts, args.preset)
            mapping = proposal.mapping
        update: dict[str, Any] = {}
        if args.format:
            update["format"] = args.format
        if args.delimiter:
            update["delimiter"] = args.delimiter
        source = mapping.source.model_copy(update=update)
        mapping = mapping.model_copy(
            update={"source": source, **({"time_format": args.time_format} if args.time_format else {})}
        )
        if proposal is not None and args.time_format:
            # The time format is the user's: what the proposal said about it no longer holds.
            notes = tuple(n for n in proposal.notes
                          if proposal.date_order is None or n.rstrip(".") !=
                          _capital(proposal.date_order.message()))
            proposal = dataclasses.replace(proposal, notes=notes, date_order=None)
        if proposal is not None:
            proposal = dataclasses.replace(proposal, mapping=mapping)
    return mapping, proposal


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _print_proposal(proposal: ingest.Proposal) -> None:
    """What the proposal could not settle alone, and each file's own proposal."""
    if len(proposal.files) > 1:
        print("# The files' columns differ; each file's own proposal:")
        for f in proposal.files:
            print(f"#   {Path(f.path).name}: {f.describe()}")
    for note in proposal.notes:
        print(f"# Note: {note}")


def _save_anyway(
    args: argparse.Namespace, mapping: ingest.Mapping | None, error: ImportError_
) -> ImportError_:
    """On a failed import, still write the mapping (the proposal, with the fields it found no
    column for marked) to --save-mapping, and say so in the error."""
    from shoplytics_desktop.core import ingest

    if mapping is None:
        try:
            info = ingest.inspect_sources(args.files)
            mapping = ingest.propose_mapping(info, args.preset)
        except ImportError_:
            return error  # the files cannot be read: there is nothing to propose
    try:
        ingest.save_mapping(mapping, args.save_mapping, mark_missing=True)
    except ImportError_ as e:
        return ImportError_(error.message, f"{error.hint} (--save-mapping: {e.message})")
    marked = ingest.missing_required(mapping)
    what = " and fill in the fields marked REQUIRED" if marked else ""
    return ImportError_(
        error.message,
        f"The mapping was written to {args.save_mapping}: edit it{what}, then import with "
        f"--mapping {args.save_mapping}.",
    )


def _print_reasons(reasons: tuple[ingest.ReasonCount, ...], indent: str = "  ") -> None:
    for r in reasons:
        lines = f" (e.g. line {r.example_lines})" if r.example_lines else ""
        print(f"{indent}{r.count:>8,}  {r.reason}{lines}")


def _print_warnings(warnings: tuple[str, ...]) -> None:
    for w in warnings:
        print(f"Warning: {w}.")


def _open_for_dry_run(args: argparse.Namespace) -> Target:
    """A dry run must not create or change the workspace: read-only if it exists, else memory."""
    from shoplytics_desktop.core.ingest.wizard import scratch_warehouse

    folder = workspace_folder(args)
    if (folder / DB_FILE).exists():
        return open_workspace(args, read_only=True)
    return scratch_warehouse()


def _dry_run(
    args: argparse.Namespace,
    mapping: ingest.Mapping | None,
    proposal: ingest.Proposal | None = None,
) -> int:
    from shoplytics_desktop.core import ingest
    from shoplytics_desktop.core.ingest.wizard import connection_of

    target = _open_for_dry_run(args)
    try:
        con = connection_of(target)
        if args.files:
            try:
                info, settled = ingest.settle(args.files, mapping, con, args.preset)
            except ImportError_:
                alone = (ingest.catalog_files(con, args.files) if mapping is None
                         and args.preset is None and not args.products and not args.users
                         else {})
                if not alone:
                    raise
                for note in ingest.side_file_notes(alone):
                    print(f"# {note}")
                print("Dry run: nothing was written (a catalog is checked only in a real "
                      "import).")
                return 0
            side = {}
            if mapping is None and not args.products and not args.users:
                # A catalog among the files: the import loads it as one, and maps the others.
                side = ingest.find_side_files(con, info, settled.mapping)
                if side:
                    rest = [f.path for f in info.files if f.path not in side.values()]
                    info, settled = ingest.settle(rest, None, con, args.preset)
            shown = proposal or settled if mapping is None or proposal is not None else None
            mapping = settled.mapping
            print(f"# {info.display_name}: {info.format.upper()}"
                  + (f", delimiter {info.delimiter!r}" if info.delimiter else "")
                  + f", {info.encoding}"
                  + (f", about {info.row_estimate:,} rows" if info.row_estimate else ""))
            for note in [*info.notes, *ingest.side_file_notes(side)]:
                print(f"# {note}")
            if shown is not None:
                # A proposal (and not a mapping file): what it could not settle alone.
                _print_proposal(shown)
            preset_note = ingest.preset_note(info, mapping)
            if preset_note:
                print(f"# {preset_note}")
            given = "Mapping from " + args.mapping if args.mapping else "Proposed mapping"
            print(f"# {given} (save it with --save-mapping FILE, edit, reuse with --mapping):")
            print(mapping.to_yaml().rstrip())
            print()
            counts = ingest.event_name_counts(con, info, mapping)
            print(format_table(["event name", "rows", "event_type"],
                               [(c.name, c.count, c.event_type) for c in counts[:40]]))
            if len(counts) > 40:
                print(f"… and {len(counts) - 40} more names")
            print()
            frame = ingest.preview(con, info, mapping, limit=10)
            cols = ["event_time", "event_type", "event_name", "user_id", "session_id",
                    "product_id", "price", "category", "__reason"]
            print(format_table(cols, frame.select(cols).rows()))
            print()
            report = ingest.validate(con, info, mapping)
            print(f"Dry run: {report.summary()} (nothing was written).")
            if report.replaces:
                print(report.replaced_note())
            _print_reasons(report.reasons)
            _print_warnings(report.warnings)
        if args.save_mapping and mapping is not None:
            ingest.save_mapping(mapping, args.save_mapping)
            print(f"Mapping written to {args.save_mapping}")
        if args.products or args.users:
            print("(--products / --users are checked only in a real import)")
    finally:
        target.close()
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from shoplytics_desktop.core import ingest

    if args.preset == "list":
        return _list_presets(args)
    if not args.files and not args.products and not args.users:
        raise ImportError_("Nothing to import.", "Name event files, --products FILE or --users FILE.")
    mapping: ingest.Mapping | None = None
    if args.save_mapping and not args.dry_run:
        # Said before anything loads: a refused path must not follow a committed batch.
        ingest.check_mapping_target(args.save_mapping)
    try:
        mapping, proposal = _mapping_from_args(args) if args.files else (None, None)
        if args.dry_run:
            return _dry_run(args, mapping, proposal)
        reporter = TextReporter(quiet=args.quiet)
        with open_workspace(args) as ws:
            _refuse_mixing_with_demo(ws, args.replace_demo)
            report = ingest.import_events(
                ws, args.files, mapping, reporter=reporter, products=args.products,
                users=args.users, preset=args.preset, replace_demo=args.replace_demo,
            )
    except ImportError_ as e:
        if args.save_mapping and args.files:
            raise _save_anyway(args, mapping, e) from e
        raise
    if args.save_mapping:
        ingest.save_mapping(report.mapping, args.save_mapping)
    v = report.validation
    for note in report.notes:
        print(note)
    if v is not None:
        if report.batch_id:
            print(f"Imported {report.source} as batch {report.batch_id}: {v.summary()} "
                  f"in {report.seconds:.1f} s.")
        else:
            print(f"{report.source}: {v.summary()}.")
        _print_reasons(v.reasons)
        _print_warnings(v.warnings)
    for c in report.catalogs:
        print(f"{c.kind}: {c.rows_read:,} rows read, {c.rows_loaded:,} loaded, "
              f"{c.rows_duplicate:,} duplicate, {c.rows_rejected:,} rejected"
              + (f" (batch {c.batch_id})" if c.batch_id else " (nothing new)"))
        _print_reasons(c.reasons)
    if args.save_mapping:
        print(f"Mapping written to {args.save_mapping}")
    return 0


def _refuse_mixing_with_demo(ws: Workspace, replace: bool) -> None:
    """A shop's own data never mixes with demo data (as ``generate`` refuses the other way)."""
    from shoplytics_desktop.core.ingest.batches import demo_data

    demo = demo_data(ws)
    if demo.batches and not replace:
        raise ImportError_(
            f"The workspace {ws.folder} holds demo data ({demo.events:,} generated events); "
            "a shop's own data would mix with it.",
            "Import into another workspace (--workspace DIR), or add --replace-demo to delete "
            "the demo data first (a backup is kept).",
        )


def _list_presets(args: argparse.Namespace) -> int:
    """The presets; with files, each one's score for them and why, best first."""
    from shoplytics_desktop.core.ingest import inspect_sources, presets

    if not args.files:
        print(format_table(["preset", "recognises"],
                           [(name, m.TITLE) for name, m in presets.PRESETS.items()]))
        return 0
    info = inspect_sources(args.files)
    found = presets.recognize_all(info)
    print(format_table(
        ["preset", "score", "recognises", "why"],
        [(r.name, f"{r.score:.2f}", r.title, r.why) for r in found],
    ))
    chosen = presets.best(info)
    print(f"Chosen: {chosen.name}" if chosen else
          f"No preset reaches {presets.THRESHOLD:.2f}: generic detection maps the files.")
    return 0


def cmd_batches(args: argparse.Namespace) -> int:
    from shoplytics_desktop.core import ingest

    if args.action == "delete":
        if not args.batch_id:
            raise ImportError_("Which batch?", "Usage: shoplytics batches delete ID.")
        with open_workspace(args) as ws:
            rep = ingest.delete_batch(ws, args.batch_id)
        parts = ", ".join(f"{n:,} from {t}" for t, n in rep.rows_deleted.items() if n)
        print(f"Deleted batch {rep.batch_id}" + (f": {parts}." if parts else " (it held no rows)."))
        if rep.also_in:
            print(rep.shared_note())
        if rep.backup is not None:
            print(f"The workspace as it was is backed up in {rep.backup} "
                  "(`shoplytics restore-backup --yes` undoes the delete).")
        return 0
    with open_workspace(args, read_only=True) as ws:
        rows = ingest.list_batches(ws.cursor())
    if not rows:
        print("No batches yet. Import files with `shoplytics import FILE`.")
        return 0
    print(format_table(
        ["id", "kind", "source", "loaded", "duplicate", "rejected", "when (UTC)"],
        [(b.batch_id, b.kind, _short(b.source), b.rows_loaded, b.rows_duplicate,
          b.rows_rejected, f"{b.started_at:%Y-%m-%d %H:%M}" if b.started_at else "")
         for b in rows],
    ))
    return 0


def _short(text: str | None, width: int = 48) -> str:
    if not text:
        return ""
    return text if len(text) <= width else "…" + text[-(width - 1):]
