"""The import wizard's steps before loading: settle the mapping, preview, count event names,
validate. Each reads the sources and writes nothing; the app calls them one by one, the CLI's dry
run calls them all.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from shoplytics_desktop.core.cancel import Outcome, classify
from shoplytics_desktop.core.errors import Cancelled
from shoplytics_desktop.core.ingest import batches, readers
from shoplytics_desktop.core.ingest.coverage import batch_warnings
from shoplytics_desktop.core.ingest.detect import SourceInfo, inspect_sources
from shoplytics_desktop.core.ingest.mapping import (
    Mapping,
    SourceOptions,
    check_mapping,
    missing_required,
    propose_mapping,
)
from shoplytics_desktop.core.ingest.proposal import Proposal, propose
from shoplytics_desktop.core.ingest.report import ValidationReport
from shoplytics_desktop.core.ingest.stage import drop_stage, stage_sources
from shoplytics_desktop.core.ingest.timeparse import utc_session
from shoplytics_desktop.core.ingest.transform import mapped_sql, preview_source
from shoplytics_desktop.core.ingest.validation import count_mapped
from shoplytics_desktop.core.progress import NullReporter, Reporter
from shoplytics_desktop.core.sqlutil import to_polars
from shoplytics_desktop.core.workspace import Workspace

if TYPE_CHECKING:
    import polars as pl  # the preview's frame: imported by to_polars when one is made


def preset_note(info: SourceInfo, mapping: Mapping) -> str | None:
    """What the user is told about the preset behind a mapping: which, and why."""
    from shoplytics_desktop.core.ingest import presets

    if not mapping.preset or mapping.preset not in presets.PRESETS:
        return None
    r = presets.recognition_of(mapping.preset, info)
    return f"Recognised as {r.title} (preset {r.name}): {r.why}."


@dataclass(frozen=True)
class EventNameCount:
    """A source event name, how often it occurs and the type the mapping gives it."""

    name: str | None
    count: int
    event_type: str | None


#: What the wizard's steps read through: a workspace, or a connection of their own (a dry run
#: with no workspace yet).
Target = Workspace | duckdb.DuckDBPyConnection


def _connection(target: Target) -> duckdb.DuckDBPyConnection:
    return target.cursor() if isinstance(target, Workspace) else target


def connection_of(target: Target) -> duckdb.DuckDBPyConnection:
    """The connection the steps run on: this thread's cursor of a workspace, or ``target``."""
    return _connection(target)


def scratch_warehouse() -> duckdb.DuckDBPyConnection:
    """An in-memory database holding the raw tables of an empty workspace: what a dry run
    checks files against when there is no workspace yet (nothing is written anywhere)."""
    from shoplytics_desktop.core import contract

    con = duckdb.connect()
    con.execute("CREATE SCHEMA raw")
    for ddl in contract.raw_ddl():
        con.execute(ddl)
    return con


@dataclass(frozen=True)
class SourceHead:
    """What the files are (``SourceInfo``) and their first rows exactly as the reader reads
    them."""

    info: SourceInfo
    columns: tuple[str, ...]
    rows: tuple[tuple[object, ...], ...]
    #: The generic or preset proposal checked against every row (None: it could not be made).
    proposal: Proposal | None = None
    #: A product catalog or customer list among the files, by kind (products, users): left
    #: out of ``info`` and of the proposal (its ``skip_files``), to be loaded as that.
    side: tuple[tuple[str, str], ...] = ()
    #: Every file is a catalog or customer list (``side``) and none holds events: the import
    #: loads them as such, without a mapping.
    catalogs_only: bool = False


def read_head(
    paths: Sequence[str], options: SourceOptions | None = None, rows: int = 50,
    side_files: bool = False,
) -> SourceHead:
    """Inspect the files and read their first ``rows`` rows, on a connection of its own.
    ``side_files``: look for a catalog or customer list among them (see ``SourceHead.side``)."""
    from shoplytics_desktop.core.errors import ImportError_
    from shoplytics_desktop.core.ingest.load import catalog_files, find_side_files, side_file_notes
    from shoplytics_desktop.core.sqlutil import quote_ident

    con = duckdb.connect()
    try:
        info = inspect_sources(paths, options, con=con)
        headerless = headerless_read(info) if options is None else None
        if headerless is not None:
            # A headerless format a preset knows (Snowplow's enriched TSV): read it under its
            # columns' names.
            info = inspect_sources(paths, headerless, con=con)
        side = find_side_files(con, info, propose_mapping(info)) \
            if side_files and options is None else {}
        if side:
            rest = [f.path for f in info.files if f.path not in side.values()]
            info = inspect_sources(rest, con=con)
            info = dataclasses.replace(info, notes=(*info.notes, *side_file_notes(side)))
        # The reader adds the file name (and, for Parquet, the row number) for lineage; the
        # user's preview shows only the source's own columns.
        exclude = ", ".join(quote_ident(h) for h in info.hidden_columns)
        try:
            rel = con.execute(
                f"SELECT * EXCLUDE ({exclude}) FROM {info.reader_sql()} LIMIT {int(rows)}"
            )
            names = tuple(d[0] for d in rel.description or [])
            head = tuple(tuple(r) for r in rel.fetchall())
        except (duckdb.Error, UnicodeDecodeError) as e:
            raise readers.read_error(e, info.display_name, info.format) from e
        try:
            proposal: Proposal | None = propose(con, info)
        except ImportError_:
            proposal = None
        if side_files and options is None and not side and (
                proposal is None or missing_required(proposal.mapping)):
            # No events in them: a catalog or customer list on its own loads as such.
            alone = catalog_files(con, paths)
            if alone:
                info = dataclasses.replace(info, notes=(*info.notes, *side_file_notes(alone)))
                return SourceHead(info, names, head, None,
                                  tuple((kind, str(p)) for kind, p in alone.items()),
                                  catalogs_only=True)
        if proposal is not None and side:
            # The import reads every file named: the side files' rows are left out of it.
            skipped = [p.name.split(".")[0] for p in side.values()]
            proposal = dataclasses.replace(proposal, mapping=proposal.mapping.model_copy(
                update={"skip_files": list(dict.fromkeys(proposal.mapping.skip_files + skipped))}))
        return SourceHead(info, names, head, proposal,
                          tuple((kind, str(p)) for kind, p in side.items()))
    finally:
        con.close()


def translate_error(e: duckdb.Error | UnicodeDecodeError, info: SourceInfo) -> Exception:
    if isinstance(e, duckdb.Error) and classify(e) is Outcome.CANCELLED:
        return Cancelled()
    return readers.read_error(e, info.display_name, info.format)


@contextlib.contextmanager
def cancel_watch(con: duckdb.DuckDBPyConnection, reporter: Reporter) -> Iterator[None]:
    """Bind ``con`` to the job's cancel token for the block: a cancel interrupts the running
    statement, so a long read stops within moments instead of at the next step boundary."""
    with reporter.token.bind(con):
        yield


def headerless_read(info: SourceInfo) -> SourceOptions | None:
    """The read options of a headerless format that a preset recognises in ``info`` (Snowplow's
    enriched TSV: its columns named from the format), when the files were read without them."""
    from shoplytics_desktop.core.ingest import presets

    if info.names:
        return None
    found = presets.best(info)
    if found is None:
        return None
    source = presets.plan(found.name, info).source
    return source if source.names else None


def prepare(
    paths: Sequence[str | Path],
    mapping: Mapping | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
    preset: str | None = None,
) -> tuple[SourceInfo, Mapping]:
    """Inspect the sources and settle the mapping (the given one, checked, or a proposal:
    ``preset`` names a vendor preset, ``"none"`` asks for generic detection)."""
    info, settled = settle(paths, mapping, con, preset)
    return info, settled.mapping


def propose_for(
    paths: Sequence[str | Path], options: SourceOptions, preset: str | None = None
) -> Proposal:
    """A proposal for files read with ``options`` (a format or delimiter the user chose), checked
    against every row, on a connection of its own."""
    con = duckdb.connect()
    try:
        return propose(con, inspect_sources(paths, options, con=con), preset)
    finally:
        con.close()


def settle(
    paths: Sequence[str | Path],
    mapping: Mapping | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
    preset: str | None = None,
    whole_source: bool = True,
) -> tuple[SourceInfo, Proposal]:
    """``prepare`` with what the user is told about a proposal (notes, an unsettled day/month
    order, a proposal per file). A proposal is checked against every row (``proposal.refine``)
    unless ``whole_source`` is False (the import does that on its staged copy instead)."""
    info = inspect_sources(paths, mapping.source if mapping else None, con=con)
    if mapping is None:
        first = propose_mapping(info, preset)
        if first.source.names and not info.names:
            # A headerless format the preset knows: read again under the format's column names.
            info = inspect_sources(paths, first.source, con=con)
    if mapping is not None:
        settled = Proposal(mapping)
    elif not whole_source:
        settled = Proposal(propose_mapping(info, preset))
    else:
        own = duckdb.connect() if con is None else None
        try:
            settled = propose(own or con, info, preset)  # type: ignore[arg-type]
        finally:
            if own is not None:
                own.close()
    check_mapping(settled.mapping, info)
    return info, settled


def preview(
    target: Workspace | duckdb.DuckDBPyConnection,
    info: SourceInfo,
    mapping: Mapping,
    limit: int = 10,
) -> pl.DataFrame:
    """The first ``limit`` rows as they would load (with ``__reason`` set on rows that would be
    rejected). Reads only the start of the files."""
    con = _connection(target)
    check_mapping(mapping, info)
    with utc_session(con):
        try:
            # An infinite time is rejected with its reason; shown as empty, not converted.
            rel = con.sql(
                "SELECT * REPLACE (CASE WHEN isfinite(event_time) THEN event_time END "
                f"AS event_time) FROM ({mapped_sql(info, mapping, preview_source(info, limit))})"
            )
            return to_polars(rel)
        except duckdb.Error as e:
            raise translate_error(e, info) from e


def event_name_counts(
    target: Workspace | duckdb.DuckDBPyConnection, info: SourceInfo, mapping: Mapping
) -> list[EventNameCount]:
    """Each source event name with its count and mapped type, most frequent first."""
    con = _connection(target)
    check_mapping(mapping, info)
    sql = mapped_sql(info, mapping)
    with utc_session(con):
        try:
            rows = con.execute(
                f"SELECT event_name, event_type, count(*) FROM ({sql}) GROUP BY 1, 2 "
                "ORDER BY 3 DESC, 1"
            ).fetchall()
        except duckdb.Error as e:
            raise translate_error(e, info) from e
    return [EventNameCount(r[0], int(r[2]), r[1]) for r in rows]


def validate(
    target: Workspace | duckdb.DuckDBPyConnection,
    info: SourceInfo,
    mapping: Mapping,
    reporter: Reporter | None = None,
) -> ValidationReport:
    """What an import would do (counts, reasons, examples), writing nothing."""
    con = _connection(target)
    reporter = reporter or NullReporter()
    check_mapping(mapping, info)
    with utc_session(con), cancel_watch(con, reporter):
        con.execute("BEGIN TRANSACTION")
        try:
            staged = stage_sources(con, info)
            reporter.check_cancelled()
            mapped = mapped_sql(info.with_read_types(staged.read_types), mapping, staged.source)
            # Counted as the import will: without the batches of the same files mapped
            # otherwise, which it replaces (this transaction is rolled back).
            replaced = batches.drop_replaced(con, batches.contents(info.files), mapping.to_yaml())
            report = count_mapped(con, mapped, staged, replaced.kept_sql("e"))
            warnings = batch_warnings(con, f"SELECT * FROM ({mapped}) WHERE __reason IS NULL",
                                      event_types=dict(mapping.event_types))
            return dataclasses.replace(report, warnings=warnings, replaced=replaced.whole,
                                       replaced_files=replaced.files)
        except duckdb.Error as e:
            raise translate_error(e, info) from e
        finally:
            with contextlib.suppress(duckdb.Error):
                con.execute("ROLLBACK")
            drop_stage(con)


def mapped_samples(
    info: SourceInfo, mapping: Mapping, fields: Sequence[str], rows: int = 200, per_field: int = 8
) -> dict[str, tuple[str, ...]]:
    """Distinct values of mapped fields over the first ``rows`` source rows, as the mapping reads
    them (references into nested data, exploded arrays, first-non-empty lists): what the
    wizard shows beside a field whose source is not a plain column. A field whose source does
    not fit the file is left out."""
    from shoplytics_desktop.core.errors import ImportError_
    from shoplytics_desktop.core.ingest import transform

    b = transform._Builder(info, mapping)
    exprs: list[tuple[str, str]] = []
    for field in fields:
        try:
            text = b.text(field)
        except ImportError_:
            continue
        exprs.append((field, f"list(DISTINCT {text}) FILTER (WHERE {text} IS NOT NULL)"))
    if not exprs:
        return {}
    con = duckdb.connect()
    try:
        src = transform._reshaped(b, preview_source(info, rows))
        row = con.execute(
            f"WITH {src} SELECT {', '.join(e for _, e in exprs)} FROM src"
        ).fetchone()
    except (duckdb.Error, ImportError_):
        return {}
    finally:
        con.close()
    assert row is not None
    return {f: tuple(sorted(str(v) for v in (vals or []))[:per_field])
            for (f, _), vals in zip(exprs, row, strict=True)}
