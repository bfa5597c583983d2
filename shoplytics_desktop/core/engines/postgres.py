"""PostgreSQL (15+) through psycopg 3: raw tables loaded with COPY, a run built in one
transaction and published by renaming its schema, marts read back with COPY."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

try:
    import psycopg
    from psycopg import errors as pg_errors
    from psycopg import sql as pg_sql
except ImportError as e:  # pragma: no cover - depends on the environment
    from shoplytics_desktop.core.engines.base import missing_driver

    raise missing_driver("postgres", "psycopg") from e

import contextlib

from shoplytics_desktop.core.engines.base import (
    BUILD_SCHEMA,
    CONNECT_TIMEOUT,
    PUBLISHED_SCHEMA,
    RAW_SCHEMA,
    EngineError,
    EngineURL,
)

_TYPES = {
    "VARCHAR": "text", "JSON": "text", "TIMESTAMP": "timestamp", "DATE": "date",
    "INTEGER": "integer", "BIGINT": "bigint", "DOUBLE": "double precision",
    "BOOLEAN": "boolean", "SMALLINT": "smallint", "FLOAT": "real",
}


def pg_type(duckdb_type: str) -> str:
    t = duckdb_type.upper()
    if t.startswith("DECIMAL"):
        return "numeric" + t[len("DECIMAL"):]
    return _TYPES.get(t, "text")


def _ident(relation: str) -> pg_sql.Composable:
    return pg_sql.Identifier(*relation.split("."))


class PostgresEngine:
    dialect = "postgres"

    def __init__(self, url: EngineURL, password: str | None = None) -> None:
        self.url = url
        secret = url.resolved_password(password)
        try:
            self.conn = psycopg.connect(
                host=url.host,
                port=url.port,
                dbname=url.database,
                user=url.user or None,
                password=secret,
                connect_timeout=CONNECT_TIMEOUT,
                autocommit=True,
                application_name="shoplytics",
                # Naive timestamps are UTC, as in the workspace.
                options="-c TimeZone=UTC",
            )
        except psycopg.OperationalError as e:
            detail = _first_line(e, secret)
            raise EngineError(
                f"Cannot connect to PostgreSQL at {url.redacted()}: {detail}",
                "Check that the server runs and accepts connections from this computer, and the "
                "user and password (PGPASSWORD or SHOPLYTICS_ENGINE_PASSWORD).",
            ) from None
        self._secret = secret
        self._in_build = False

    def close(self) -> None:
        self.conn.close()

    def cancel(self) -> None:
        """Stop the statement running on the server (from any thread): it fails with
        "canceling statement due to user request", and the run rolls back."""
        cancel = getattr(self.conn, "cancel_safe", None) or self.conn.cancel
        cancel()

    def check(self) -> str:
        """What "Test connection" says: the server, the user, and whether a run could build."""
        row = self.conn.execute(
            "SELECT current_setting('server_version'), current_user, "
            "has_database_privilege(current_user, current_database(), 'CREATE')"
        ).fetchone()
        assert row is not None
        version, user, can_create = row
        if not can_create:
            raise EngineError(
                f"Connected to PostgreSQL {version} at {self.url.redacted()}, but the user "
                f"{user} may not create schemas in the database {self.url.database}.",
                f"Grant it: GRANT CREATE ON DATABASE {self.url.database} TO {user}",
            )
        return (
            f"Connected to PostgreSQL {version} at {self.url.redacted()} as {user}; runs can "
            "build there."
        )

    def _privileged(self, what: str, fn: Any) -> Any:
        try:
            return fn()
        except pg_errors.InsufficientPrivilege as e:
            raise EngineError(
                f"PostgreSQL refused to {what} in {self.url.redacted()}: {_first_line(e, self._secret)}",
                f"Grant the user CREATE on the database (GRANT CREATE ON DATABASE "
                f"{self.url.database} TO {self.url.user or 'the user'}) and run again.",
            ) from None

    # -- raw tables ------------------------------------------------------------------------------

    def raw_state(self, table: str) -> tuple[list[str], set[str]] | None:
        cols = [
            r[0]
            for r in self.conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = %s "
                "AND table_name = %s ORDER BY ordinal_position",
                [RAW_SCHEMA, table],
            ).fetchall()
        ]
        if not cols:
            return None
        if "_batch_id" not in cols:
            return cols, set()
        batches = self.conn.execute(
            pg_sql.SQL("SELECT DISTINCT _batch_id FROM {}").format(_ident(f"{RAW_SCHEMA}.{table}"))
        ).fetchall()
        return cols, {r[0] for r in batches}

    def push_raw(
        self, table: str, columns: list[tuple[str, str]], batches: Any, drop: set[str],
        replace: bool,
    ) -> int:
        """``batches`` writes the new rows as CSV to a path it is given."""
        rel = _ident(f"{RAW_SCHEMA}.{table}")
        with tempfile.TemporaryDirectory(prefix="shoplytics-pg-") as tmp:
            path = Path(tmp) / "rows.csv"
            rows: int = batches(path)

            def load() -> None:
                with self.conn.transaction():
                    self.conn.execute(
                        pg_sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(
                            pg_sql.Identifier(RAW_SCHEMA))
                    )
                    if replace:
                        self.conn.execute(pg_sql.SQL("DROP TABLE IF EXISTS {}").format(rel))
                        cols = pg_sql.SQL(", ").join(
                            pg_sql.SQL("{} {}").format(pg_sql.Identifier(n), pg_sql.SQL(pg_type(t)))
                            for n, t in columns
                        )
                        self.conn.execute(pg_sql.SQL("CREATE TABLE {} ({})").format(rel, cols))
                    elif drop:
                        self.conn.execute(
                            pg_sql.SQL("DELETE FROM {} WHERE _batch_id = ANY(%s)").format(rel),
                            [sorted(drop)],
                        )
                    if rows:
                        names = pg_sql.SQL(", ").join(pg_sql.Identifier(n) for n, _ in columns)
                        copy = pg_sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(rel, names)
                        with self.conn.cursor() as cur, cur.copy(copy) as out, path.open("rb") as f:
                            while chunk := f.read(1 << 20):
                                out.write(chunk)
                self.conn.execute(pg_sql.SQL("ANALYZE {}").format(rel))

            self._privileged(f"load {RAW_SCHEMA}.{table}", load)
        return rows

    # -- a run -----------------------------------------------------------------------------------

    def begin_build(self) -> str:
        def begin() -> None:
            self.conn.execute("BEGIN")
            self._in_build = True
            self.conn.execute(
                pg_sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(pg_sql.Identifier(BUILD_SCHEMA))
            )
            self.conn.execute(
                pg_sql.SQL("CREATE SCHEMA {}").format(pg_sql.Identifier(BUILD_SCHEMA))
            )

        try:
            self._privileged("create the build schema", begin)
        except EngineError:
            self.abandon(BUILD_SCHEMA)
            raise
        return BUILD_SCHEMA

    def create_table_as(self, relation: str, sql: str) -> int:
        with self.conn.cursor() as cur:
            cur.execute("SAVEPOINT model")
            try:
                cur.execute(
                    pg_sql.SQL("CREATE TABLE {} AS ").format(_ident(relation)) + pg_sql.SQL(sql)  # type: ignore[arg-type, unused-ignore]
                )
            except psycopg.Error:
                cur.execute("ROLLBACK TO SAVEPOINT model")
                raise
            rows = cur.rowcount
            cur.execute("RELEASE SAVEPOINT model")
        return max(rows, 0)

    def columns(self, relation: str) -> list[str]:
        schema, table = relation.split(".")
        return [
            r[0]
            for r in self.conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = %s "
                "AND table_name = %s ORDER BY ordinal_position",
                [schema, table],
            ).fetchall()
        ]

    def count_and_sample(
        self, sql: str, limit: int
    ) -> tuple[int, list[str], list[tuple[Any, ...]]]:
        savepoint = self._in_build
        with self.conn.cursor() as cur:
            if savepoint:  # a failing statement must not end the run's transaction
                cur.execute("SAVEPOINT test")
            try:
                cur.execute(f"SELECT count(*) FROM (\n{sql}\n) AS failing")  # type: ignore[arg-type, unused-ignore]
                row = cur.fetchone()
                n = int(row[0]) if row else 0
                names: list[str] = []
                sample: list[tuple[Any, ...]] = []
                if n:
                    cur.execute(f"SELECT * FROM (\n{sql}\n) AS failing LIMIT {int(limit)}")  # type: ignore[arg-type, unused-ignore]
                    names = [d.name for d in cur.description or []]
                    sample = list(cur.fetchall())
            except psycopg.Error:
                if savepoint:
                    cur.execute("ROLLBACK TO SAVEPOINT test")
                raise
            if savepoint:
                cur.execute("RELEASE SAVEPOINT test")
        return n, names, sample

    def publish(self, build: str, keep: list[str] | None = None) -> None:
        """Swap the build in for the published schema, in the run's one transaction: readers see
        the old relations until the COMMIT, then all the new ones. The published tables named in
        ``keep`` (models a selection did not build) move into the build first."""
        for name in keep or []:
            if self.columns(f"{PUBLISHED_SCHEMA}.{name}"):
                self.conn.execute(
                    pg_sql.SQL("ALTER TABLE {} SET SCHEMA {}").format(
                        _ident(f"{PUBLISHED_SCHEMA}.{name}"), pg_sql.Identifier(build)
                    )
                )
        self.conn.execute(
            pg_sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(pg_sql.Identifier(PUBLISHED_SCHEMA))
        )
        self.conn.execute(
            pg_sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(
                pg_sql.Identifier(build), pg_sql.Identifier(PUBLISHED_SCHEMA)
            )
        )
        self.conn.execute("COMMIT")
        self._in_build = False

    def abandon(self, build: str) -> None:
        if self._in_build:
            self._in_build = False
            with contextlib.suppress(psycopg.Error):
                self.conn.execute("ROLLBACK")

    def published_schema(self) -> str | None:
        row = self.conn.execute(
            "SELECT 1 FROM information_schema.schemata WHERE schema_name = %s", [PUBLISHED_SCHEMA]
        ).fetchone()
        return PUBLISHED_SCHEMA if row else None

    def copy_out(self, relation: str, path: Path) -> None:
        """The relation as CSV with a header (NULL unquoted-empty, '' quoted)."""
        copy = pg_sql.SQL("COPY (SELECT * FROM {}) TO STDOUT (FORMAT csv, HEADER)").format(
            _ident(relation)
        )
        with self.conn.cursor() as cur, cur.copy(copy) as src, path.open("wb") as f:
            for chunk in src:
                f.write(chunk)

    def into_duckdb(self, relation: str, cur: Any, name: str, folder: Path) -> None:
        """A temporary DuckDB table ``name`` holding the relation, every column as text."""
        path = folder / f"{name}.csv"
        self.copy_out(relation, path)
        cur.execute(
            f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM read_csv(?, header = true, "
            "all_varchar = true, delim = ',', quote = '\"', escape = '\"', "
            "allow_quoted_nulls = false)",
            [str(path)],
        )


def _first_line(e: BaseException, secret: str | None) -> str:
    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return text.replace(secret, "***") if secret else text
