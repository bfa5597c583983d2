"""The import itself (the wizard's steps before it are in wizard.py).

An import is one transaction: stage the sources (stage.py), insert every valid mapped row into
raw.events, take out the duplicates (against earlier batches and within the batch), quarantine the
rejected rows in raw.rejected_events, write the batch row, commit. A dry run, a failure or a
cancel rolls all of it back, leaving the workspace exactly as it was. Importing contents already
imported with the same mapping is recognised by fingerprint and reads nothing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from shoplytics_desktop.core import contract
from shoplytics_desktop.core.errors import Cancelled, ImportError_
from shoplytics_desktop.core.ingest import archives, batches, catalogs, keys
from shoplytics_desktop.core.ingest.coverage import batch_warnings
from shoplytics_desktop.core.ingest.detect import SourceInfo, inspect_sources
from shoplytics_desktop.core.ingest.leftovers import RECLAIM_MARKER, RESERVE_FILE
from shoplytics_desktop.core.ingest.mapping import (
    Mapping,
    check_mapping,
    generic_mapping,
    missing_required,
)
from shoplytics_desktop.core.ingest.proposal import MAX_FILES, refine
from shoplytics_desktop.core.ingest.report import (
    CatalogReport,
    ImportReport,
    ValidationReport,
)
from shoplytics_desktop.core.ingest.sources import resolve_paths
from shoplytics_desktop.core.ingest.stage import (
    Staged,
    drop_stage,
    physical_line_sql,
    reader_rejects_sql,
    shift_lines,
    stage_sources,
)
from shoplytics_desktop.core.ingest.timeparse import utc_session
from shoplytics_desktop.core.ingest.transform import mapped_rows_sql, mapped_sql
from shoplytics_desktop.core.ingest.validation import count_mapped, reasons
from shoplytics_desktop.core.ingest.wizard import (
    cancel_watch,
    preset_note,
    settle,
    translate_error,
)
from shoplytics_desktop.core.progress import NullReporter, Reporter
from shoplytics_desktop.core.workspace import INTERNAL, Workspace

_EVENT_COLS = [c.name for c in contract.EVENT_COLUMNS]
#: The start of the note on files with different columns (detect.py), which a mapping that
#: joins such files (``supersede``) replaces with its own.
_UNION_NOTE = "The files' columns differ"
_CASTS = {"price": "CAST(CAST(price AS DECIMAL(18,6)) AS DECIMAL(12,2))", "quantity": "CAST(quantity AS INTEGER)"}


def _load_events(
    con: duckdb.DuckDBPyConnection,
    mapped: str,
    staged: Staged,
    batch_id: str,
    now: dt.datetime,
    rows_sql: str | None = None,
    own_ids: bool = True,
    event_types: dict[str, str] | None = None,
) -> ValidationReport:
    """Insert the batch's new events and its rejected rows; count what happened.

    Counting after writing costs less than counting first: the mapping runs once for the events
    (with its hash), and again only if some rows were rejected, to quarantine them. The duplicate
    checks then read the batch's ids only, and the earlier batches' ids only when there are any.
    """
    since = keys.next_rowid(con)  # the batch's rows come after it
    valid = _insert_valid(con, mapped, batch_id, now)
    # Every valid row went in, so the rejected ones are known without mapping again; the
    # duplicates come out below, which costs little when there are none.
    held = keys.drop_existing(con, batch_id, since, compare=own_ids) if valid else keys.Existing()
    existing = held.rows
    repeats = conflicts = 0
    if valid > existing:
        # The batch's keys go into the index now; the repeats within the batch are looked for
        # among them, without reading the ids again.
        keys.add_batch(con, batch_id, since)
        repeats, conflicts = _drop_repeats(con, batch_id, since, now)
    source_rows = None
    if rows_sql is not None:
        # One source row may be several events (an order's items): count mapped rows instead.
        source_rows = staged.rows + staged.reader_rejects
        row = con.execute(rows_sql).fetchone()
        staged = dataclasses.replace(staged, rows=int(row[0]) if row else 0)
    rejected = staged.rows - valid
    _quarantine(con, mapped, batch_id, now, rejected, staged.reader_rejects)
    loaded = valid - existing - repeats - conflicts
    all_rejected = rejected + staged.reader_rejects + conflicts
    if all_rejected and shift_lines(con, staged):
        con.execute(
            "UPDATE raw.rejected_events AS r SET _source_line = "
            f"{physical_line_sql('r._source_file', 'r._source_line')} WHERE r._batch_id = ?",
            [batch_id])
    warnings = batch_warnings(
        con, f"SELECT event_name, event_type FROM raw.events WHERE {keys.batch_rows(since)}",
        [batch_id], event_types,
    ) if loaded else ()
    if held.changed:
        warnings += (
            f"{held.changed:,} event{'s' if held.changed > 1 else ''} imported before "
            f"{'have' if held.changed > 1 else 'has'} other values in this import (e.g. "
            f"{held.example}): the earlier values are kept. To load the corrected rows, delete "
            f"the earlier batch (File ▸ Import batches…, or `shoplytics batches delete "
            f"{held.held_by}`) and import again what it held",)
    return ValidationReport(
        warnings=warnings,
        rows_read=staged.rows + staged.reader_rejects,
        rows_loaded=loaded,
        rows_duplicate=valid - loaded - conflicts,
        rows_rejected=all_rejected,
        duplicates_existing=existing,
        source_rows=source_rows,
        reasons=reasons(
            con,
            "SELECT _source_file, _source_line, reason AS __reason, source_row "
            "FROM raw.rejected_events WHERE _batch_id = ?",
            [batch_id],
        )
        if all_rejected
        else (),
    )


def _insert_valid(
    con: duckdb.DuckDBPyConnection, mapped: str, batch_id: str, now: dt.datetime
) -> int:
    """Map, validate and insert in one statement: the rows without a reject reason."""
    select = ", ".join(_CASTS.get(c, c) for c in _EVENT_COLS)
    row = con.execute(
        f"""INSERT INTO raw.events ({', '.join(_EVENT_COLS)}, _batch_id, _source_file,
                _source_line, _loaded_at)
            SELECT {select}, ?, _source_file, _source_line, ? FROM ({mapped})
            WHERE __reason IS NULL""",
        [batch_id, now],
    ).fetchone()
    return int(row[0]) if row else 0


#: The reject reason of a row whose event id an earlier row of the same import has, with other
#: values: the first is kept, and this one is not silently taken for a duplicate of it.
CONFLICT_REASON = "event_id repeats an earlier row of the import with other values"
#: The contract's values two rows of one event must agree on (lineage and properties aside:
#: an export may carry a send time or a sequence number that differs between copies).
_SAME_EVENT = [c for c in _EVENT_COLS if c not in ("event_id", "properties")]


def _drop_repeats(
    con: duckdb.DuckDBPyConnection, batch_id: str, since: int = 0, now: dt.datetime | None = None
) -> tuple[int, int]:
    """Delete the repeats of an event within the batch, keeping its first occurrence; (exact
    repeats, conflicting ones). A repeat with other values is quarantined with its reason."""
    # The batch's keys (64-bit hashes of the ids) sorted, each compared with the next: a fraction
    # of the memory of the ids themselves, and at millions of rows a few times faster than a
    # distinct count's hash table. A shared key only means the exact check below runs; it counts
    # exact repeats, and the batch's keys are written again without theirs.
    if not keys.repeats_possible(con, batch_id):
        return 0, 0
    values = ", ".join(_SAME_EVENT)
    try:
        # Only the rows whose key repeats can repeat an id: the window sorts those, not the
        # batch (a million Segment events with a few retried ones: 1.27 s -> 0.49 s).
        keys.find_repeated(con, batch_id)
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _shoplytics_repeats AS
                SELECT rowid AS row_id, _source_file, _source_line, event_id, {values},
                       hash({values}) <> first_value(hash({values})) OVER w AS conflict
                FROM raw.events WHERE {keys.batch_rows(since)}
                    AND {keys.key_sql('event_id')} IN (SELECT key FROM {keys.REPEATED})
                WINDOW w AS (PARTITION BY event_id ORDER BY _source_file, _source_line)
                QUALIFY row_number() OVER w > 1""",
            [batch_id],
        )
        conflicts = con.execute(
            f"""INSERT INTO raw.rejected_events
                    (_batch_id, _source_file, _source_line, reason, source_row, _loaded_at)
                SELECT ?, _source_file, _source_line, ?,
                       to_json(struct_pack(event_id, {values})), ?
                FROM _shoplytics_repeats WHERE conflict""",
            [batch_id, CONFLICT_REASON, now or dt.datetime.now(dt.UTC).replace(tzinfo=None)],
        ).fetchone()
        row = con.execute(
            "DELETE FROM raw.events WHERE rowid IN (SELECT row_id FROM _shoplytics_repeats)"
        ).fetchone()
        deleted = int(row[0]) if row else 0
        if deleted:
            keys.rewrite_repeated(con, batch_id, since)
    finally:
        con.execute("DROP TABLE IF EXISTS temp._shoplytics_repeats")
        keys.drop_temp(con)
    conflicting = int(conflicts[0]) if conflicts else 0
    return deleted - conflicting, conflicting


def _quarantine(
    con: duckdb.DuckDBPyConnection,
    mapped: str,
    batch_id: str,
    now: dt.datetime,
    rejected: int,
    reader_rejects: int,
) -> None:
    """Write the rejected rows (mapped again, only when there are some: the event id's hash is
    not computed for them) and the lines the reader could not split, with their reasons."""
    insert = """INSERT INTO raw.rejected_events
                    (_batch_id, _source_file, _source_line, reason, source_row, _loaded_at)
                SELECT ?, _source_file, _source_line, __reason, source_row, ?"""
    if rejected:
        con.execute(f"{insert} FROM ({mapped}) WHERE __reason IS NOT NULL", [batch_id, now])
    if reader_rejects:
        con.execute(f"{insert} FROM ({reader_rejects_sql()})", [batch_id, now])


def _batch_row(con: duckdb.DuckDBPyConnection, batch_id: str, kind: str, source: str,
               fp: str, mapping_yaml: str | None, read: int, loaded: int, dup: int,
               rejected: int, started: dt.datetime, message: str) -> None:
    con.execute(
        f"""INSERT INTO {INTERNAL}.batches (batch_id, kind, source, fingerprint, mapping,
                rows_read, rows_loaded, rows_duplicate, rows_rejected, started_at, finished_at,
                status, message)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'loaded', ?)""",
        [batch_id, kind, source, fp, mapping_yaml, read, loaded, dup, rejected, started,
         dt.datetime.now(dt.UTC).replace(tzinfo=None), message],
    )


def _nothing_loaded(info: SourceInfo, report: ValidationReport) -> ImportError_:
    reasons = "; ".join(
        f"{r.reason}: {r.count:,}" + (f" (e.g. line {r.example_lines})" if r.example_lines else "")
        for r in report.reasons[:3]
    )
    hint = "Fix the mapping (--save-mapping writes one to edit, --dry-run shows the result) or the file."
    if report.reasons and report.reasons[0].reason == "event_time could not be parsed":
        hint += (" For times in a form of their own, give it: --time-format '%d/%m/%Y %I:%M %p' "
                 "(strptime codes), or time_format in the mapping.")
    return ImportError_(
        f"Nothing could be loaded from {info.display_name}: all {report.rows_rejected:,} rows "
        f"break the event contract ({reasons}).",
        hint,
    )


@dataclass
class _Run:
    """One import as it goes: what it reads, how it maps, what it found so far."""

    con: duckdb.DuckDBPyConnection
    reporter: Reporter
    dry_run: bool
    started: dt.datetime
    batch_id: str | None
    mapping: Mapping
    proposed: bool
    info: SourceInfo | None = None
    report: ValidationReport | None = None
    previous: str | None = None
    #: The files by fingerprint, read once.
    contents: batches.Contents | None = None
    #: Earlier batches of the same files with another mapping, backed up before the import:
    #: the ones it may replace (``batches.drop_replaced``).
    replaceable: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)
    catalogs: list[CatalogReport] = field(default_factory=list)


def import_events(
    ws: Workspace,
    paths: Sequence[str | Path],
    mapping: Mapping | None = None,
    reporter: Reporter | None = None,
    dry_run: bool = False,
    products: str | Path | None = None,
    users: str | Path | None = None,
    preset: str | None = None,
    replace_demo: bool = False,
) -> ImportReport:
    """Import event files (plus an optional product catalog and user-profile file) as one batch.

    ``replace_demo``: delete the workspace's demo data (the generator's batches) in the same
    transaction, after a backup, so that a shop's own data never mixes with it (the command
    line and the app ask for it; see ``demo_data``).

    Raises ``ImportError_`` when nothing can be loaded, ``Cancelled`` when stopped; in both
    cases the workspace is unchanged.
    """
    t0 = time.perf_counter()
    run = _Run(
        con=ws.cursor(),
        reporter=reporter or NullReporter(),
        dry_run=dry_run,
        started=dt.datetime.now(dt.UTC).replace(tzinfo=None),
        batch_id=None if dry_run else batches.new_batch_id(),
        mapping=mapping if mapping is not None else Mapping(),
        proposed=mapping is None,
    )
    if paths:
        paths, products, users = _settle_files(run, paths, mapping, preset, products, users)
    if not paths and not products and not users:
        raise ImportError_("Nothing to import.", "Name event files, --products or --users.")
    run.reporter.check_cancelled()
    demo = batches.generated_batches(ws) if replace_demo and not dry_run else []
    if run.info is not None:
        run.contents = batches.contents(run.info.files)
        if not dry_run:
            run.replaceable = batches.replaceable(run.con, run.contents, run.mapping.to_yaml())
    if demo or run.replaceable:
        ws.backup()
    with _import_transaction(ws, run):
        if demo:
            gone = batches.drop_batches(run.con, demo).get("raw.events", 0)
            run.notes.append(f"The demo data ({gone:,} generated events) was deleted first, so "
                             "that it does not mix with these files (a backup was kept).")
        if run.info is not None:
            _import_event_files(run, paths)
        for spec, path in ((catalogs.PRODUCTS, products), (catalogs.USERS, users)):
            if path is not None:
                _import_catalog(run, spec, path)
    run.reporter.update(5, 5, "Done")
    if run.info is not None and (note := _wall_clock_note(run.info, run.mapping,
                                                           ws.settings.time_zone)):
        run.notes.append(note)
    report = run.report
    if report is not None and report.rows_loaded and run.batch_id and not dry_run and (
            said := _currency_note(run.con, run.batch_id, ws.settings.currency)):
        run.notes.append(said)
    loaded_any = bool(report and report.rows_loaded) or any(c.batch_id for c in run.catalogs)
    return ImportReport(
        source=_source_label(paths) if paths else "",
        format=run.info.format if run.info else "",
        mapping=run.mapping,
        validation=report,
        batch_id=run.batch_id if (loaded_any and report and report.rows_loaded) else None,
        dry_run=dry_run,
        previous_batch=run.previous,
        seconds=time.perf_counter() - t0,
        catalogs=tuple(run.catalogs),
        notes=tuple(run.notes),
    )


_Side = str | Path | None


def _settle_files(
    run: _Run, paths: Sequence[str | Path], mapping: Mapping | None, preset: str | None,
    products: _Side, users: _Side,
) -> tuple[Sequence[str | Path], _Side, _Side]:
    """The event files with their mapping settled, and the catalog and customer list: those
    named, else those found among the files (``_side_files``), else every file when each is
    one of them and none holds events (a product catalog imported on its own)."""
    try:
        _settle_mapping(run, paths, mapping, preset)
    except ImportError_:
        # Loaded as what they are, not refused for want of an event column.
        alone = (catalog_files(run.con, paths)
                 if run.proposed and preset is None and products is None and users is None
                 else {})
        if not alone:
            raise
        run.notes = side_file_notes(alone)
        return (), alone.get("products"), alone.get("users")
    if products is None and users is None:
        side = _side_files(run, paths, preset)
        products, users = side.get("products"), side.get("users")
    return paths, products, users


def _currency_note(con: duckdb.DuckDBPyConnection, batch_id: str, currency: str) -> str | None:
    """What to do when every priced purchase of the batch is in another currency than the
    workspace's, and the workspace has none in its own: money is never summed across
    currencies, so its revenue would show as zero."""
    found = con.execute(
        "SELECT coalesce(currency, ?) AS c, count(*) FROM raw.events WHERE _batch_id = ? "
        "AND event_type = 'purchase' AND price > 0 GROUP BY 1 ORDER BY 2 DESC",
        [currency, batch_id]).fetchall()
    if not found or any(c == currency for c, _ in found):
        return None
    held = con.execute(
        "SELECT count(*) FROM (SELECT 1 FROM raw.events WHERE event_type = 'purchase' "
        "AND coalesce(currency, ?) = ? LIMIT 1)", [currency, currency]).fetchall()[0][0]
    if held:
        return None
    top = str(found[0][0])
    said = (f"The {int(found[0][1]):,} purchases of this import are in {top}" if len(found) == 1
            else f"The purchases of this import are in {', '.join(str(c) for c, _ in found)} "
                 f"(most in {top})")
    return (f"{said}, but the workspace currency is {currency}: revenue is shown in {currency} "
            f"and would leave them out. Set the workspace currency to {top} (File ▸ Workspace "
            f"settings…, or `shoplytics settings currency={top}`), then run the pipeline.")


def _settle_mapping(
    run: _Run, paths: Sequence[str | Path], mapping: Mapping | None, preset: str | None
) -> None:
    """Inspect the files and settle the mapping (a proposal is checked against every row once
    the rows are staged, in ``_refine``); note what the user should know about it."""
    run.reporter.update(0, 5, "Inspecting the files")
    info, settled = settle(paths, mapping, run.con, preset, whole_source=False)
    run.info, run.mapping = info, settled.mapping
    m = run.mapping
    # A mapping that joins the files (supersede) or leaves some out (skip_files) says so itself.
    run.notes += [n for n in info.notes
                  if not ((m.supersede or m.skip_files) and n.startswith(_UNION_NOTE))]
    if m.skip_files:
        run.notes.append(
            f"Rows of {', '.join(m.skip_files)} are left out of the events: those files hold "
            "no events (user or group traits, a catalog)."
        )
    if m.supersede:
        run.notes.append(
            f"The files are read together by column name; rows of {m.supersede.file} "
            "that another file repeats (the same "
            f"{m.supersede.key}) are read from that file, with its columns."
        )
    note = preset_note(info, m)
    if note:
        run.notes.append(note)


def _side_files(run: _Run, paths: Sequence[str | Path], preset: str | None) -> dict[str, Path]:
    """The side files among the proposed files (``find_side_files``): the mapping is settled
    again for the other files, and each side file is named in a note."""
    info = run.info
    if info is None or not run.proposed:
        return {}
    found = find_side_files(run.con, info, run.mapping)
    rest = [f.path for f in info.files if f.path not in found.values()]
    if not found or not rest:
        return {}
    run.notes.clear()
    _settle_mapping(run, rest, None, preset)
    run.notes += side_file_notes(found)
    return found


def find_side_files(
    con: duckdb.DuckDBPyConnection, info: SourceInfo, mapping: Mapping
) -> dict[str, Path]:
    """A product catalog or customer list among proposed event files of differing columns (a
    shop's zip of events, products.csv and customers.csv): such a file, which has no event
    column, no time but the catalog's own (a signup date) and the catalog's shape, is loaded as
    that catalog, not as events that are all rejected. One file per kind, by the kind's name
    (products, users); none when every file would be one. Beside a vendor's export a preset
    recognised, only a store's own products export (Shopify's beside its orders export): a
    preset's other files are its own to read or leave out."""
    if not info.union_by_name or len(info.files) > MAX_FILES:
        return {}
    found: dict[str, Path] = {}
    for f in info.files:
        spec = _catalog_kind(con, f.path, store_only=bool(mapping.preset))
        if spec is not None and spec.kind not in found:
            found[spec.kind] = f.path
    return found if len(found) < len(info.files) else {}


def catalog_files(con: duckdb.DuckDBPyConnection, paths: Sequence[str | Path]) -> dict[str, Path]:
    """The files named, when every one of them is a catalog or customer list and none holds
    events (``products.csv`` imported on its own, after the events): each by its kind. Empty
    when any file is not, or two are of one kind."""
    try:
        info = inspect_sources(paths, con=con)
    except ImportError_:
        return {}
    found: dict[str, Path] = {}
    for f in info.files[:3]:
        spec = _catalog_kind(con, f.path)
        if spec is None or spec.kind in found:
            return {}
        found[spec.kind] = f.path
    return found if len(found) == len(info.files) else {}


def _catalog_kind(con: duckdb.DuckDBPyConnection, path: Path,
                  store_only: bool = False) -> catalogs.CatalogSpec | None:
    """The catalog ``path`` is, when it holds no events: no event column (or a product type
    taken for one, with neither a time nor a user; or a store's products export), and no time
    but the catalog's own (a customer's signup, a snapshot's date)."""
    try:
        one = inspect_sources([path], con=con)
    except ImportError_:
        return None
    store = catalogs.is_store_catalog(one)
    if store_only and not store:
        return None
    proposed = generic_mapping(one)
    missing = missing_required(proposed)
    no_events = "event_type" in missing or {"event_time", "user_id"} <= set(missing) or store
    spec = catalogs.kind_of(one) if no_events else None
    if spec is not None and (
            "event_time" in missing
            or proposed.columns.get("event_time") in catalogs.matched_names(one, spec)):
        return spec
    return None


def side_file_notes(found: dict[str, Path]) -> list[str]:
    """What the import does with each side file ``find_side_files`` found."""
    what = {"products": "a product catalog", "users": "user profiles"}
    return [f"{archives.label(p) or p} holds no events but {what[kind]}: it is loaded into "
            f"raw.{kind}, as with --{kind}." for kind, p in found.items()]


@contextlib.contextmanager
def _import_transaction(ws: Workspace, run: _Run) -> Iterator[None]:
    """The import's one transaction: committed when the body ends (rolled back for a dry run);
    on a failure or a cancel rolled back, with the database file's space given back. The
    staging tables go either way."""
    con, info = run.con, run.info
    db_size = _file_size(ws.db_path)
    reserve = None if run.dry_run else _make_reserve(ws)
    try:
        with (
            utc_session(con),
            cancel_watch(con, run.reporter),
            # A file of any size then needs the same memory: DuckDB spills the rest to disk. A
            # JSON array is read whole (its reader's buffer holds it): no budget can hold it.
            ws.memory_budget(
                None if info is not None and info.format == "json"
                else ws.settings.import_memory_limit
            ),
            _transaction(ws, run, db_size, reserve),
        ):
            yield
    except duckdb.InterruptException as e:
        # A cancel pressed while the session was being set up, before anything was written.
        raise Cancelled() from e
    finally:
        _drop_reserve(reserve)


@contextlib.contextmanager
def _transaction(
    ws: Workspace, run: _Run, db_size: int, reserve: Path | None
) -> Iterator[None]:
    con, info = run.con, run.info
    committed = False
    try:
        if info is not None and not run.dry_run:
            _index_keys(con)
        con.execute("BEGIN TRANSACTION")
        yield
        con.execute("ROLLBACK" if run.dry_run else "COMMIT")
        committed = True
    except duckdb.InterruptException as e:
        raise Cancelled() from e
    except (duckdb.Error, UnicodeDecodeError) as e:
        if info is not None:
            raise translate_error(e, info) from e
        raise ImportError_(f"The import failed: {str(e).splitlines()[0]}", "Nothing was changed.") from e
    finally:
        if not committed:
            with contextlib.suppress(duckdb.Error):
                con.execute("ROLLBACK")
        drop_stage(con)
        if not committed:
            _give_space_back(ws, con, db_size, reserve)


def _index_keys(con: duckdb.DuckDBPyConnection) -> None:
    """Bring the event-key index up to date (after an upgrade, it indexes every stored event
    once) and commit it apart from the import, which may load nothing and roll back."""
    con.execute("BEGIN TRANSACTION")
    keys.ensure(con)
    con.execute("COMMIT")


def _import_event_files(run: _Run, paths: Sequence[str | Path]) -> None:
    """Stage, map, validate and load the event files, unless an earlier batch loaded the same
    contents with the same mapping; then record the batch."""
    con, info, held = run.con, run.info, run.contents
    assert info is not None and held is not None
    fp = held.together
    same = None if run.dry_run else batches.find_previous(con, "events", fp, run.mapping.to_yaml())
    if same is not None:
        # The same contents with the same mapping: every row it can load is loaded
        # already, so skip reading it again and report the earlier batch's counts.
        run.previous = same.batch_id
        run.report = _already_imported(same, run.notes)
        return
    run.reporter.update(1, 5, f"Reading {info.display_name}")
    staged = stage_sources(con, info)
    run.info = info = info.with_read_types(staged.read_types)
    run.reporter.check_cancelled()
    if run.proposed:
        same = _refine(run, staged, fp)
    mapped = mapped_sql(info, run.mapping, staged.source, loaded_at=run.started)
    prev = batches.find_previous(con, "events", fp)
    run.previous = prev.batch_id if prev else None
    if same is not None:
        run.previous = same.batch_id
        run.report = _already_imported(same, run.notes)
        run.reporter.check_cancelled()
        return
    # The same files mapped otherwise: their events go first, so that they neither count twice
    # (ids hashed from the mapped fields differ) nor keep the old mapping (the file's own ids
    # would skip the rows as already imported); of a batch holding other files too, those files'
    # rows go. In a dry run too: it is rolled back.
    replaced = batches.drop_replaced(con, held, run.mapping.to_yaml(),
                                     None if run.dry_run else run.replaceable)
    if run.dry_run:
        run.reporter.update(2, 5, "Validating")
        report = count_mapped(con, mapped, staged, replaced.kept_sql("e"))
        run.report = dataclasses.replace(
            report, replaced=replaced.whole, replaced_files=replaced.files,
            warnings=batch_warnings(con, f"SELECT * FROM ({mapped}) WHERE __reason IS NULL",
                                    event_types=dict(run.mapping.event_types)))
        run.reporter.check_cancelled()
        return
    assert run.batch_id is not None
    run.reporter.update(2, 5, "Mapping, validating and loading")
    rows_sql = (
        mapped_rows_sql(info, run.mapping, staged.source) if run.mapping.adds_rows else None
    )
    run.report = dataclasses.replace(
        _load_events(con, mapped, staged, run.batch_id, run.started, rows_sql,
                     own_ids=bool(run.mapping.sources_of("event_id") or run.mapping.event_key),
                     event_types=dict(run.mapping.event_types)),
        replaced=replaced.whole, replaced_files=replaced.files)
    run.reporter.check_cancelled()
    _record_batch(run, paths)


_OFFSET_END = re.compile(r"([+-]\d{2}(:?\d{2})?|[Zz]|\s?UTC|\s?GMT)$")


def _wall_clock_note(info: SourceInfo, mapping: Mapping, reporting_zone: str) -> str:
    """When the times have no offset and the workspace reports in another zone than UTC: they
    are read as UTC, which shifts a local-time export's days; say how to name their zone."""
    if mapping.time_zone is not None or reporting_zone.upper() == "UTC":
        return ""
    for name in mapping.sources_of("event_time"):
        col = info.column(name)
        if col is None:
            continue
        t = (col.read_type or col.type).upper()
        naive = t.startswith(("TIMESTAMP", "DATE")) and "TIME ZONE" not in t and t != "TIMESTAMPTZ"
        naive = naive or (t == "VARCHAR" and any(
            v.strip() and not _OFFSET_END.search(v.strip())
            and not v.strip().lstrip("-").replace(".", "", 1).isdigit() for v in col.samples))
        if naive:
            return (f"The times in {name} carry no UTC offset: they are read as UTC. If they are "
                    f"the shop's local time ({reporting_zone}, the reporting zone), set "
                    f"time_zone: {reporting_zone} in a mapping file and import again.")
    return ""


def _refine(run: _Run, staged: Staged, fp: str) -> batches.BatchInfo | None:
    """Check a proposed mapping against every staged row; when that changes it, the batch an
    earlier import of the same contents with the changed mapping loaded, if any."""
    assert run.info is not None
    refined = refine(run.con, run.info, run.mapping, staged.source)
    check_mapping(refined.mapping, run.info)
    run.notes += refined.notes
    same = None
    if refined.mapping != run.mapping and not run.dry_run:
        same = batches.find_previous(run.con, "events", fp, refined.mapping.to_yaml())
    run.mapping = refined.mapping
    return same


def _record_batch(run: _Run, paths: Sequence[str | Path]) -> None:
    """Write the batch row; with nothing new, undo the import's writes and say why; with
    nothing loadable at all, fail."""
    report, info, con, held = run.report, run.info, run.con, run.contents
    assert report is not None and info is not None and held is not None
    assert run.batch_id is not None
    if report.rows_loaded == 0:
        if report.rows_duplicate == 0:
            raise _nothing_loaded(info, report)
        # Nothing new: add no batch and no second copy of the rejected rows (nor replace any).
        con.execute("ROLLBACK")
        con.execute("BEGIN TRANSACTION")
        run.report = dataclasses.replace(report, replaced=(), replaced_files=())
        run.notes.append(
            f"Already imported (batch {run.previous}): nothing new."
            if run.previous
            else "Every valid row is already in the workspace: nothing new."
        )
        return
    if report.replaces:
        run.notes.append(report.replaced_note(done=True))
    run.reporter.update(3, 5, "Recording the batch")
    _batch_row(con, run.batch_id, "events", _source_label(paths), held.together,
               run.mapping.to_yaml(), report.rows_read, report.rows_loaded,
               report.rows_duplicate, report.rows_rejected, run.started, report.summary())
    batches.record_files(con, run.batch_id, held)


def _import_catalog(run: _Run, spec: catalogs.CatalogSpec, path: str | Path) -> None:
    """Load a product catalog or user-profile file as a batch of its own."""
    con, dry_run, started = run.con, run.dry_run, run.started
    run.reporter.update(4, 5, f"Loading the {spec.kind} file {path}")
    cat_id = None if dry_run else batches.new_batch_id()
    rep = catalogs.load_catalog(con, spec, path, cat_id, started, dry_run)
    if not dry_run and cat_id is not None and rep.rows_loaded:
        _batch_row(con, cat_id, spec.kind, archives.label(Path(path)) or str(path),
                   batches.fingerprint(resolve_paths([path])), None, rep.rows_read,
                   rep.rows_loaded, rep.rows_read - rep.rows_loaded - rep.rows_rejected,
                   rep.rows_rejected, started, f"{rep.rows_loaded:,} {spec.kind} loaded")
    elif not dry_run and rep.rows_read and rep.rows_rejected == rep.rows_read:
        raise ImportError_(
            f"Nothing could be loaded from the {spec.kind} file {path}: every row "
            f"was rejected ({rep.reasons[0].reason if rep.reasons else 'no reason'}).",
            "Fix the file and import it again.",
        )
    run.catalogs.append(rep if rep.rows_loaded or dry_run else
                        CatalogReport(rep.kind, rep.source, None, rep.rows_read,
                                      0, rep.rows_rejected, rep.reasons))
    run.reporter.check_cancelled()


_RESERVE_BYTES = 64 * 1024


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _make_reserve(ws: Workspace) -> Path | None:
    """A small file beside the database, written now and deleted when the import ends.

    DuckDB writes a large import into the database file before it commits; when the import
    fails (a full disk, a cancel) those blocks become free space inside the file, and DuckDB
    only cuts them off at a checkpoint after a change, which needs a few KB of write-ahead log.
    On a full disk that room is this file's."""
    path = ws.folder / RESERVE_FILE
    try:
        with path.open("wb") as fh:
            fh.write(b"\0" * _RESERVE_BYTES)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError:
        _drop_reserve(path)
        return None
    return path


def _drop_reserve(path: Path | None) -> None:
    if path is not None:
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)


def _give_space_back(
    ws: Workspace, con: duckdb.DuckDBPyConnection, size_before: int, reserve: Path | None
) -> None:
    """After a failed or cancelled import, shrink the database file back to its size before:
    the import's blocks are free, but DuckDB cuts free blocks off the end of the file only when
    a checkpoint writes a change. Some blocks stay held until the database is closed; then a
    marker has the next writer open finish the job (``leftovers``)."""
    if _file_size(ws.db_path) <= size_before:
        return
    _drop_reserve(reserve)
    reclaim_space(con)
    if _file_size(ws.db_path) > size_before + SHRINK_SLACK:
        with contextlib.suppress(OSError):
            (ws.folder / RECLAIM_MARKER).touch()


#: What a checkpoint may leave at the end of the file: the blocks it wrote (256 KB each).
SHRINK_SLACK = 1024 * 1024


def reclaim_space(con: duckdb.DuckDBPyConnection) -> None:
    """Record a small change and checkpoint, so that DuckDB truncates the free blocks at the
    end of the database file."""
    for statement in (
        f"INSERT OR REPLACE INTO {INTERNAL}.meta VALUES ('space_reclaimed_at', "
        "CAST(now() AS VARCHAR))",
        "CHECKPOINT",
    ):
        try:
            con.execute(statement)
        except duckdb.InterruptException:
            # A cancel still arriving: try once more, the interrupt has been used up.
            with contextlib.suppress(duckdb.Error):
                con.execute(statement)
        except duckdb.Error:
            return


def _source_label(paths: Sequence[str | Path]) -> str:
    return ", ".join(str(p) for p in paths)


def _already_imported(same: batches.BatchInfo, notes: list[str]) -> ValidationReport:
    """The report of an import whose contents and mapping an earlier batch loaded: every row it
    can load is loaded already, so nothing is read again and that batch's counts are reported."""
    notes.append(
        f"Already imported (batch {same.batch_id}, same contents and mapping): nothing new."
    )
    return ValidationReport(
        rows_read=same.rows_read,
        rows_loaded=0,
        rows_duplicate=same.rows_loaded + same.rows_duplicate,
        rows_rejected=same.rows_rejected,
        duplicates_existing=same.rows_loaded,
    )
