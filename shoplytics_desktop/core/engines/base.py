"""What every engine offers the runner, and the URLs that name one."""

from __future__ import annotations

import os
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from shoplytics_desktop.core.errors import ShoplyticsError

#: Where the raw tables live on an engine, where a run builds, and what it publishes.
RAW_SCHEMA = "shoplytics_raw"
BUILD_SCHEMA = "shoplytics_build"
PUBLISHED_SCHEMA = "shoplytics"
#: Seconds to wait for a server before saying it cannot be reached.
CONNECT_TIMEOUT = 5


class EngineError(ShoplyticsError):
    """The engine cannot be reached, refuses, or is missing its driver."""


def missing_driver(extra: str, module: str) -> EngineError:
    return EngineError(
        f"Running on {'PostgreSQL' if extra == 'postgres' else 'Spark'} needs the Python package "
        f"{module}, which is not installed.",
        f"Install it with: pip install 'shoplytics-desktop[{extra}]'",
    )


@dataclass(frozen=True)
class EngineURL:
    kind: str  # postgres | spark
    host: str
    port: int
    database: str = ""
    user: str = ""
    #: Only from a URL given on the command line; never saved or printed.
    password: str | None = None

    @property
    def dialect(self) -> str:
        return self.kind

    def redacted(self) -> str:
        """The URL without its password: what logs, history and settings may show."""
        if self.kind == "spark":
            return f"sc://{self.host}:{self.port}"
        user = f"{urllib.parse.quote(self.user)}@" if self.user else ""
        return f"postgresql://{user}{self.host}:{self.port}/{self.database}"

    def resolved_password(self, given: str | None = None) -> str | None:
        """The password: given, else from the URL, else PGPASSWORD / SHOPLYTICS_ENGINE_PASSWORD."""
        return (
            given
            or self.password
            or os.environ.get("SHOPLYTICS_ENGINE_PASSWORD")
            or os.environ.get("PGPASSWORD")
            or None
        )


def parse_url(url: str) -> EngineURL:
    """``postgresql://user[:password]@host[:port]/db`` or ``sc://host[:port]``."""
    parts = urllib.parse.urlsplit(url.strip())
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError as e:
        raise EngineError(f"The engine URL has a bad port: {e}.", _URL_HINT) from e
    if scheme in ("postgresql", "postgres"):
        if not parts.hostname:
            raise EngineError("The PostgreSQL URL names no host.", _URL_HINT)
        return EngineURL(
            "postgres",
            parts.hostname,
            port or 5432,
            urllib.parse.unquote(parts.path.lstrip("/")) or "postgres",
            urllib.parse.unquote(parts.username or ""),
            urllib.parse.unquote(parts.password) if parts.password else None,
        )
    if scheme == "sc":
        if not parts.hostname:
            raise EngineError("The Spark Connect URL names no host.", _URL_HINT)
        return EngineURL("spark", parts.hostname, port or 15002)
    raise EngineError(f"Unknown engine URL scheme '{parts.scheme or url}'.", _URL_HINT)


_URL_HINT = (
    "Use postgresql://user@host:5432/database (password in PGPASSWORD or "
    "SHOPLYTICS_ENGINE_PASSWORD) or sc://host:15002 for Spark Connect."
)


class Engine(Protocol):
    """A SQL engine the model graph runs on. Relations are "schema.table" names on the engine."""

    url: EngineURL
    dialect: str

    def close(self) -> None: ...

    def check(self) -> str:
        """Say what was reached and whether a run can build there (else raise EngineError)."""
        ...

    def cancel(self) -> None:
        """Stop the statement running on the engine; called from another thread."""
        ...

    # raw tables
    def raw_state(self, table: str) -> tuple[list[str], set[str]] | None:
        """The columns and batch ids of a raw table on the engine; None if it has none."""
        ...

    def push_raw(
        self, table: str, columns: list[tuple[str, str]], batches: Any, drop: set[str],
        replace: bool,
    ) -> int:
        """Bring a raw table up to date: drop the rows of ``drop`` batches (or all, if
        ``replace``), append ``batches`` (a pyarrow RecordBatchReader). Returns rows added."""
        ...

    # a run
    def begin_build(self) -> str:
        """Start a build; returns the schema models are built in."""
        ...

    def create_table_as(self, relation: str, sql: str) -> int: ...

    def columns(self, relation: str) -> list[str]: ...

    def count_and_sample(self, sql: str, limit: int) -> tuple[int, list[str], list[tuple[Any, ...]]]:
        """Rows a test query returns, and the first ``limit`` of them."""
        ...

    def publish(self, build: str, keep: list[str] | None = None) -> None:
        """Make the build the published one, all relations at once, with the published
        relations named in ``keep`` carried over into it."""
        ...

    def abandon(self, build: str) -> None: ...

    def published_schema(self) -> str | None:
        """Where the published build is (None: nothing published yet)."""
        ...

    def into_duckdb(self, relation: str, cur: Any, name: str, folder: Path) -> None:
        """A temporary DuckDB table ``name`` (on the cursor ``cur``) holding the relation;
        ``folder`` is scratch space for the transfer."""
        ...
