"""One titled error type per area.

Every error a user can see is a ShoplyticsError: a short title, a message that says what happened
to which file/row/model, and a hint saying what to do next. The CLI prints it on one line; the app
shows it in its single error dialog. Driver errors are wrapped with ``raise ... from e``.
"""

from __future__ import annotations


class ShoplyticsError(Exception):
    """Base class of every error meant for a user."""

    title = "Shoplytics error"

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def one_line(self) -> str:
        return f"{self.message} {self.hint}".strip()


class WorkspaceError(ShoplyticsError):
    title = "Workspace error"


class WorkspaceLockedError(WorkspaceError):
    title = "Workspace in use"


class WorkspaceDamagedError(WorkspaceError):
    """The database file itself is damaged or not a DuckDB database: the one case in which the
    app offers to restore the backup."""

    title = "Workspace damaged"


class GenerateError(ShoplyticsError):
    title = "Generator error"


class ImportError_(ShoplyticsError):
    """Named with a trailing underscore so it never shadows the builtin ImportError."""

    title = "Import error"


class ModelError(ShoplyticsError):
    title = "Model error"


class QueryError(ShoplyticsError):
    title = "Query error"


class ExportError(ShoplyticsError):
    title = "Export error"


class Cancelled(ShoplyticsError):
    title = "Cancelled"

    def __init__(self, message: str = "Cancelled by the user; nothing was changed.") -> None:
        super().__init__(message)


def count_of(n: int, noun: str, plural: str | None = None) -> str:
    """'1 batch', '3 batches', '1,000 events'."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"
