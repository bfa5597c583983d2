"""Spark through Spark Connect (``sc://host:port``): raw tables uploaded as Arrow, each run built
in a database of its own and published by pointing at it.

Spark has no transactions. A run builds every model into ``shoplytics_build_<id>``; once its
tests pass, one INSERT OVERWRITE of the one-row table ``shoplytics_meta.published`` names the
new build, which swaps every mart at once for readers that follow the pointer (pulling does).
The views in the ``shoplytics`` database are re-pointed after it, for people querying by hand.
"""

from __future__ import annotations

import logging
import socket
import uuid
from pathlib import Path
from typing import Any

try:
    import pyarrow as pa
    from pyspark.errors import PySparkException
    from pyspark.sql import SparkSession
except ImportError as e:  # pragma: no cover - depends on the environment
    from shoplytics_desktop.core.engines.base import missing_driver

    raise missing_driver("spark", "pyspark[connect]") from e

from shoplytics_desktop.core.engines.base import (
    CONNECT_TIMEOUT,
    PUBLISHED_SCHEMA,
    RAW_SCHEMA,
    EngineError,
    EngineURL,
)

META = "shoplytics_meta"
BUILD_PREFIX = "shoplytics_build_"
#: Rows uploaded per request: a 1M-row table at once exhausts a 1 GB server.
CHUNK_ROWS = 100_000
STAGING_SUFFIX = "__incoming"


def _chunks(reader: Any, rows: int) -> Any:
    """pyarrow Tables of about ``rows`` rows from a RecordBatchReader."""
    pending: list[Any] = []
    count = 0
    for batch in reader:
        pending.append(batch)
        count += batch.num_rows
        if count >= rows:
            yield pa.Table.from_batches(pending)
            pending, count = [], 0
    if count:
        yield pa.Table.from_batches(pending)


def _q(relation: str) -> str:
    return ".".join(f"`{p}`" for p in relation.split("."))


class SparkEngine:
    dialect = "spark"
    #: Parquet tables cannot delete rows: a removed batch means sending the table again.
    can_delete = False

    def __init__(self, url: EngineURL) -> None:
        self.url = url
        # The client retries a wrong address for minutes: check the port first.
        try:
            socket.create_connection((url.host, url.port), timeout=CONNECT_TIMEOUT).close()
        except OSError as e:
            raise EngineError(
                f"Cannot connect to Spark Connect at {url.redacted()}: {e}",
                "Check that the Spark Connect server runs and listens on that host and port.",
            ) from None
        # Every SQL error would otherwise log kilobytes of query context.
        logging.getLogger("pyspark.sql.connect.logging").setLevel(logging.CRITICAL)
        logging.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)
        try:
            self.spark = SparkSession.builder.remote(f"sc://{url.host}:{url.port}").getOrCreate()
            self.spark.conf.set("spark.sql.session.timeZone", "UTC")
        except Exception as e:
            raise EngineError(
                f"Cannot start a Spark Connect session at {url.redacted()}: {_first_line(e)}",
                "Check that the server is a Spark Connect server of Spark 4.",
            ) from None

    def close(self) -> None:
        try:
            self.spark.stop()
        except Exception:  # a session the server already dropped
            logging.getLogger(__name__).debug("stopping the Spark session failed", exc_info=True)

    def check(self) -> str:
        """What "Test connection" says: the server answers SQL, and its Spark version."""
        try:
            self._sql("SELECT 1").collect()
        except Exception as e:
            raise EngineError(
                f"Spark Connect at {self.url.redacted()} does not answer SQL: {_first_line(e)}",
                "Check the server's log.",
            ) from None
        return f"Connected to Spark {self.spark.version} at {self.url.redacted()}; runs can build there."

    def cancel(self) -> None:
        """Interrupt what the session runs on the server (from any thread)."""
        self.spark.interruptAll()

    def _sql(self, sql: str) -> Any:
        return self.spark.sql(sql)

    def _exists(self, relation: str) -> bool:
        return bool(self.spark.catalog.tableExists(relation))

    # -- raw tables ------------------------------------------------------------------------------

    def raw_state(self, table: str) -> tuple[list[str], set[str]] | None:
        rel = f"{RAW_SCHEMA}.{table}"
        if not self._exists(rel):
            return None
        cols = list(self.spark.table(rel).columns)
        if "_batch_id" not in cols:
            return cols, set()
        rows = self._sql(f"SELECT DISTINCT _batch_id FROM {_q(rel)}").collect()
        return cols, {r[0] for r in rows}

    def push_raw(
        self, table: str, columns: list[tuple[str, str]], batches: Any, drop: set[str],
        replace: bool,
    ) -> int:
        """Upload the rows in chunks (the server holds one chunk at a time) into a staging
        table, then add them in one statement: a push that fails half-way leaves the raw table
        as it was, never with part of a batch."""
        rel = f"{RAW_SCHEMA}.{table}"
        staging = f"{RAW_SCHEMA}.{table}{STAGING_SUFFIX}"
        self._sql(f"CREATE DATABASE IF NOT EXISTS `{RAW_SCHEMA}`")
        self._sql(f"DROP TABLE IF EXISTS {_q(staging)}")
        reader = batches.arrow()
        rows = 0
        for chunk in _chunks(reader, CHUNK_ROWS):
            df = self.spark.createDataFrame(chunk)
            if rows == 0:
                df.write.format("parquet").saveAsTable(staging)
            else:
                df.write.insertInto(staging)
            rows += chunk.num_rows
        if rows == 0:
            # An empty table (a workspace without user or product snapshots): Spark cannot
            # infer a schema from no rows, so it is given the Arrow schema's equivalent.
            from pyspark.sql.pandas.types import from_arrow_schema

            empty = self.spark.createDataFrame([], schema=from_arrow_schema(reader.schema))
            empty.write.format("parquet").saveAsTable(staging)
        if replace or not self._exists(rel):
            self._sql(f"DROP TABLE IF EXISTS {_q(rel)}")
            self._sql(f"ALTER TABLE {_q(staging)} RENAME TO {_q(rel)}")
        else:
            self._sql(f"INSERT INTO {_q(rel)} SELECT * FROM {_q(staging)}")
            self._sql(f"DROP TABLE {_q(staging)}")
        return rows

    # -- a run -----------------------------------------------------------------------------------

    def begin_build(self) -> str:
        build = BUILD_PREFIX + uuid.uuid4().hex[:10]
        self._sql(f"CREATE DATABASE `{build}`")
        return build

    def create_table_as(self, relation: str, sql: str) -> int:
        self._sql(f"CREATE TABLE {_q(relation)} USING parquet AS\n{sql}")
        row = self._sql(f"SELECT count(*) FROM {_q(relation)}").collect()
        return int(row[0][0])

    def columns(self, relation: str) -> list[str]:
        return list(self.spark.table(relation).columns)

    def count_and_sample(
        self, sql: str, limit: int
    ) -> tuple[int, list[str], list[tuple[Any, ...]]]:
        n = int(self._sql(f"SELECT count(*) FROM (\n{sql}\n) AS failing").collect()[0][0])
        if not n:
            return 0, [], []
        df = self._sql(f"SELECT * FROM (\n{sql}\n) AS failing LIMIT {int(limit)}")
        return n, list(df.columns), [tuple(r) for r in df.collect()]

    def _builds(self) -> list[str]:
        return [
            d.name for d in self.spark.catalog.listDatabases() if d.name.startswith(BUILD_PREFIX)
        ]

    def publish(self, build: str, keep: list[str] | None = None) -> None:
        """Point readers at ``build``; the published tables named in ``keep`` (models a
        selection did not build) are copied into it first."""
        previous = self.published_schema()
        for name in keep or []:
            if previous and self._exists(f"{previous}.{name}"):
                self._sql(
                    f"CREATE TABLE `{build}`.`{name}` USING parquet AS "
                    f"SELECT * FROM `{previous}`.`{name}`"
                )
        self._sql(f"CREATE DATABASE IF NOT EXISTS `{META}`")
        self._sql(f"CREATE TABLE IF NOT EXISTS `{META}`.`published` (build STRING) USING parquet")
        # The one statement that switches every mart at once.
        self._sql(f"INSERT OVERWRITE TABLE `{META}`.`published` SELECT '{build}'")
        self._sql(f"CREATE DATABASE IF NOT EXISTS `{PUBLISHED_SCHEMA}`")
        for t in self.spark.catalog.listTables(build):
            self._sql(
                f"CREATE OR REPLACE VIEW `{PUBLISHED_SCHEMA}`.`{t.name}` AS "
                f"SELECT * FROM `{build}`.`{t.name}`"
            )
        # Keep the build just replaced (a reader may still be on it); drop older ones.
        for old in self._builds():
            if old not in (build, previous):
                self._sql(f"DROP DATABASE IF EXISTS `{old}` CASCADE")

    def abandon(self, build: str) -> None:
        try:
            self._sql(f"DROP DATABASE IF EXISTS `{build}` CASCADE")
        except PySparkException:
            logging.getLogger(__name__).debug("dropping %s failed", build, exc_info=True)

    def published_schema(self) -> str | None:
        if not self._exists(f"{META}.published"):
            return None
        rows = self._sql(f"SELECT build FROM `{META}`.`published`").collect()
        return str(rows[0][0]) if rows else None

    def into_duckdb(self, relation: str, cur: Any, name: str, folder: Path) -> None:
        data: pa.Table = self.spark.table(relation).toArrow()
        # Spark's timestamps come as UTC instants: as naive UTC, like the workspace's.
        fields = [
            pa.field(f.name, pa.timestamp("us")) if pa.types.is_timestamp(f.type) else f
            for f in data.schema
        ]
        data = data.cast(pa.schema(fields))
        view = f"{name}_arrow"
        cur.register(view, data)
        try:
            cur.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {view}")
        finally:
            cur.unregister(view)


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__
