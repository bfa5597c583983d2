"""What an import (or its dry run) tells the user: counts, grouped reject reasons, examples."""

from __future__ import annotations

from dataclasses import dataclass, field

from shoplytics_desktop.core.ingest.mapping import Mapping


def file_name(shown: str) -> str:
    """A file as the user knows it: the last part of its name (of a folder's file, or of an
    archive's member)."""
    return shown.replace("\\", "/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class RejectExample:
    file: str
    line: int | None
    source_row: str | None


@dataclass(frozen=True)
class ReasonCount:
    """Rows rejected for one reason, with up to three example lines."""

    reason: str
    count: int
    examples: tuple[RejectExample, ...] = ()

    @property
    def example_lines(self) -> str:
        return ", ".join(str(e.line) for e in self.examples if e.line is not None)


@dataclass(frozen=True)
class ValidationReport:
    """Every row read is loaded, a duplicate or rejected: read = loaded + duplicate + rejected."""

    rows_read: int
    rows_loaded: int
    rows_duplicate: int
    rows_rejected: int
    #: Of the duplicates, how many repeat an event already in the workspace.
    duplicates_existing: int = 0
    reasons: tuple[ReasonCount, ...] = ()
    #: What the loaded rows lack for the funnel (no views, carts, purchases), for the user.
    warnings: tuple[str, ...] = ()

    #: The source's own rows, where one row may give several events (an order's items, an
    #: order's refund): ``rows_read`` then counts the events they gave.
    source_rows: int | None = None
    #: Earlier batches of the same files imported with another mapping, which the import
    #: replaces: (batch id, events).
    replaced: tuple[tuple[str, int], ...] = ()
    #: Earlier batches holding some of these files among others, imported with another
    #: mapping: (batch id, events of those files, the files' names), which the import replaces.
    replaced_files: tuple[tuple[str, int, tuple[str, ...]], ...] = ()

    @property
    def replaces(self) -> bool:
        """Whether the import replaces earlier batches or some of their files."""
        return bool(self.replaced or self.replaced_files)

    def replaced_note(self, done: bool = False) -> str:
        """What the import does (``done``: did) to the batches it replaces ('' if none)."""
        notes = [n for n in (self._whole_note(done), self._files_note(done)) if n]
        return " ".join(notes)

    def _files_note(self, done: bool) -> str:
        if not self.replaced_files:
            return ""
        parts = "; ".join(f"{', '.join(file_name(f) for f in files)} in batch {b}, {n:,} events"
                          for b, n, files in self.replaced_files)
        head = f"Imported before with another mapping, with other files of its batch ({parts}): "
        if done:
            return head + ("those rows were replaced by this import, so they do not count twice; "
                           "the batch keeps its other files (a backup was kept).")
        return head + ("this import replaces those rows, so they do not count twice; the batch "
                       "keeps its other files.")

    def _whole_note(self, done: bool) -> str:
        if not self.replaced:
            return ""
        one = len(self.replaced) == 1
        listed = ", ".join(b for b, _ in self.replaced)
        events = sum(n for _, n in self.replaced)
        head = (f"The same data was imported before with another mapping (batch{'' if one else 'es'} "
                f"{listed}, {events:,} events): ")
        its = "its" if one else "their"
        if done:
            return head + f"replaced by this import, so {its} events do not count twice (a backup was kept)."
        return head + f"this import replaces {'it' if one else 'them'}, so {its} events do not count twice."

    @property
    def read_text(self) -> str:
        """``8 rows read``, or ``8 rows read, giving 9 events`` where rows became several."""
        if self.source_rows is None or self.source_rows == self.rows_read:
            return f"{self.rows_read:,} rows read"
        return f"{self.source_rows:,} rows read, giving {self.rows_read:,} events"

    def summary(self) -> str:
        return (
            f"{self.read_text}: {self.rows_loaded:,} loaded, "
            f"{self.rows_duplicate:,} duplicate, {self.rows_rejected:,} rejected"
        )


@dataclass(frozen=True)
class CatalogReport:
    """A product catalog or user-profile file loaded alongside the events."""

    kind: str
    source: str
    batch_id: str | None
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    reasons: tuple[ReasonCount, ...] = ()

    @property
    def rows_duplicate(self) -> int:
        """Rows identical to one loaded already (earlier in the file, or by an earlier import):
        every row read is loaded, a duplicate or rejected."""
        return self.rows_read - self.rows_loaded - self.rows_rejected


@dataclass(frozen=True)
class ImportReport:
    source: str
    format: str
    mapping: Mapping
    validation: ValidationReport | None
    batch_id: str | None = None
    dry_run: bool = False
    #: The earlier batch with the same file contents, when there was one.
    previous_batch: str | None = None
    seconds: float = 0.0
    catalogs: tuple[CatalogReport, ...] = field(default_factory=tuple)
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def rows_loaded(self) -> int:
        return self.validation.rows_loaded if self.validation else 0
