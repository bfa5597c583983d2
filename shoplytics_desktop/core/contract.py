"""The canonical event contract (METRICS.md §1), defined once.

The pydantic models below are the single definition: the DuckDB DDL of the ``raw`` tables, the
list of required columns and the set-wise validation rules are all derived from them. Pydantic
validates settings, mapping files and single rows shown in the UI; bulk data is validated in SQL
with ``validation_rules()``, never one object per row.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

EventType = Literal[
    "page_view",
    "product_view",
    "search",
    "add_to_cart",
    "remove_from_cart",
    "begin_checkout",
    "purchase",
    "refund",
    "other",
]
EVENT_TYPES: tuple[str, ...] = get_args(EventType)

#: Values used where a not-null dimension is missing in the source.
UNKNOWN = "unknown"
UNKNOWN_COUNTRY = "XX"

_LINEAGE = {"_batch_id", "_source_file", "_source_line", "_loaded_at"}


def _sql(sql_type: str, description: str, since: int = 1, **kwargs: Any) -> Any:
    """A contract field: its DuckDB type and the schema version that added it."""
    extra: JsonDict = {"sql": sql_type, "since": since}
    return Field(json_schema_extra=extra, description=description, **kwargs)


class Event(BaseModel):
    """One canonical event row of ``raw.events``."""

    model_config = ConfigDict(extra="forbid")

    event_id: str = _sql("VARCHAR", "Unique id: from the source, or a hash of the mapped row.")
    event_time: dt.datetime = _sql("TIMESTAMP", "When the event happened, UTC.")
    event_type: EventType = _sql("VARCHAR", "The contract's event type.")
    event_name: str = _sql("VARCHAR", "The source's own name for the event.")
    user_id: str = _sql("VARCHAR", "The user (visitor/customer) id.", min_length=1)
    session_id: str | None = _sql("VARCHAR", "The source's session id, if it has one.")
    product_id: str | None = _sql("VARCHAR", "The product the event is about.")
    order_id: str | None = _sql("VARCHAR", "Purchase lines of one order share it.")
    price: Decimal | None = _sql("DECIMAL(12,2)", "Unit price.", ge=0, max_digits=12, decimal_places=2)
    quantity: int = _sql("INTEGER", "Units; default 1.", ge=1, default=1)
    category: str | None = _sql("VARCHAR", "Product category carried on the event.")
    brand: str | None = _sql("VARCHAR", "Product brand carried on the event.")
    device: str = _sql("VARCHAR", "Device class; 'unknown' when missing.", default=UNKNOWN)
    country: str = _sql("VARCHAR", "Country code; 'XX' when missing.", default=UNKNOWN_COUNTRY)
    traffic_source: str = _sql("VARCHAR", "Acquisition channel; 'unknown' when missing.", default=UNKNOWN)
    properties: str | None = _sql("JSON", "Anything else the source row had, as JSON.")
    # Added in schema version 2: existing workspaces get it by ALTER TABLE ADD COLUMN, which
    # appends it after the lineage columns, so new workspaces put it there too (one layout).
    currency: str | None = _sql(
        "VARCHAR(3)",
        "ISO 4217 code of price (upper case); null = the workspace currency (setting).",
        pattern=r"^[A-Z]{3}$",
        since=2,
    )


class Product(BaseModel):
    """A row of the optional product catalog ``raw.products``."""

    product_id: str = _sql("VARCHAR", "Product id.", min_length=1)
    name: str | None = _sql("VARCHAR", "Product name.")
    category: str | None = _sql("VARCHAR", "Category.")
    brand: str | None = _sql("VARCHAR", "Brand.")
    price: Decimal | None = _sql("DECIMAL(12,2)", "List price.", ge=0)


class UserSnapshot(BaseModel):
    """A profile snapshot of the optional ``raw.users`` table (SCD2 source)."""

    user_id: str = _sql("VARCHAR", "User id.", min_length=1)
    signup_date: dt.date | None = _sql("DATE", "When the user signed up.")
    country: str | None = _sql("VARCHAR", "Country code.")
    segment: str | None = _sql("VARCHAR", "Customer segment.")
    device: str | None = _sql("VARCHAR", "Preferred device.")
    updated_at: dt.datetime = _sql("TIMESTAMP", "When this snapshot was taken.")


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    sql_type: str
    nullable: bool
    description: str
    default: Any = None
    #: The workspace schema version that added the column (see workspace.migrate).
    since: int = 1


def _is_optional(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return type(None) in typing.get_args(annotation)
    return False


def columns_of(model: type[BaseModel]) -> list[ColumnSpec]:
    specs = []
    for name, info in model.model_fields.items():
        extra = info.json_schema_extra
        assert isinstance(extra, dict), name
        default = None if info.is_required() else info.default
        since = extra.get("since", 1)
        assert isinstance(since, int), name
        specs.append(
            ColumnSpec(
                name=name,
                sql_type=str(extra["sql"]),
                nullable=_is_optional(info.annotation),
                description=info.description or "",
                default=default,
                since=since,
            )
        )
    return specs


EVENT_COLUMNS = columns_of(Event)
EVENT_COLUMN_NAMES = [c.name for c in EVENT_COLUMNS]
#: The event fields an import reads from source columns: every contract column but event_name
#: (the source's own value of the event_type column), in the contract's order. A type for a
#: checker; ``MAPPED_FIELDS`` is checked against ``Event`` by the tests.
MappedField = Literal[
    "event_id", "event_time", "event_type", "user_id", "session_id", "product_id", "order_id",
    "price", "quantity", "category", "brand", "device", "country", "traffic_source",
    "properties", "currency",
]
MAPPED_FIELDS: tuple[MappedField, ...] = get_args(MappedField)
#: Contract columns that a source must map (the rest have defaults or may be null).
REQUIRED_SOURCE_COLUMNS = ("event_time", "event_type", "user_id")

LINEAGE_COLUMNS = [
    ColumnSpec("_batch_id", "VARCHAR", False, "The import batch that loaded the row."),
    ColumnSpec("_source_file", "VARCHAR", True, "The file the row came from."),
    ColumnSpec("_source_line", "BIGINT", True, "Line (CSV) or row number (other formats) in the file."),
    ColumnSpec("_loaded_at", "TIMESTAMP", False, "When the batch was loaded, UTC."),
]

REJECTED_COLUMNS = [
    ColumnSpec("_batch_id", "VARCHAR", False, "The import batch."),
    ColumnSpec("_source_file", "VARCHAR", True, "The file the row came from."),
    ColumnSpec("_source_line", "BIGINT", True, "Line (CSV) or row number in the file."),
    ColumnSpec("reason", "VARCHAR", False, "Why the row breaks the contract."),
    ColumnSpec("source_row", "JSON", True, "The row as it was in the source."),
    ColumnSpec("_loaded_at", "TIMESTAMP", False, "When the batch was attempted, UTC."),
]


def _ddl(table: str, specs: list[ColumnSpec]) -> str:
    cols = ",\n    ".join(
        f'"{c.name}" {c.sql_type}{"" if c.nullable else " NOT NULL"}' for c in specs
    )
    return f"CREATE TABLE IF NOT EXISTS {table} (\n    {cols}\n)"


def _table_columns(specs: list[ColumnSpec]) -> list[ColumnSpec]:
    """A table's columns in stored order: the first version's contract columns, the lineage,
    then the columns later versions added, in the order ALTER TABLE ADD COLUMN appends them."""
    return (
        [c for c in specs if c.since == 1]
        + LINEAGE_COLUMNS
        + sorted((c for c in specs if c.since > 1), key=lambda c: c.since)
    )


#: Each raw table's columns in stored order.
RAW_TABLES: dict[str, list[ColumnSpec]] = {
    "raw.events": _table_columns(EVENT_COLUMNS),
    "raw.rejected_events": REJECTED_COLUMNS,
    "raw.products": _table_columns(columns_of(Product)),
    "raw.users": _table_columns(columns_of(UserSnapshot)),
}


def raw_ddl() -> list[str]:
    """DDL of every ``raw`` table, derived from the models above."""
    return [_ddl(table, specs) for table, specs in RAW_TABLES.items()]


def added_columns(since_version: int) -> list[tuple[str, ColumnSpec]]:
    """(table, column) of every column added after schema version ``since_version``, in the order
    a migration adds them."""
    return [
        (table, c)
        for table, specs in RAW_TABLES.items()
        for c in specs
        if c.since > since_version
    ]


@dataclass(frozen=True)
class Rule:
    """A contract rule: ``violated`` is a SQL predicate over typed, mapped columns."""

    reason: str
    violated: str


#: The earliest event time the contract accepts; the latest is the load time + ``TIME_AHEAD``.
EARLIEST_EVENT_TIME = dt.datetime(1990, 1, 1)
TIME_AHEAD = dt.timedelta(days=1)
#: The largest line amount (price × quantity) the models can hold: DECIMAL(18,2).
LINE_AMOUNT_MAX = 10 ** (18 - 2)


def validation_rules(
    has_product_column: bool = True, loaded_at: dt.datetime | None = None
) -> list[Rule]:
    """Set-wise rules in the order a row's first failing reason is reported.

    The predicates read a relation with the contract's column names, where values that could not be
    parsed are NULL and the raw text, when there was any, is kept in ``<col>__raw``. ``price`` and
    ``quantity`` are DOUBLE there, so that out-of-range values can be named before the cast to
    the contract's types. ``has_product_column`` says whether the source carries product ids at
    all: a page-level clickstream without them loads cart events with a null product.
    ``loaded_at`` (UTC, default now) bounds event times: none may be after it + ``TIME_AHEAD``.
    """
    types_list = ", ".join(f"'{t}'" for t in EVENT_TYPES)
    price_max = 10 ** (12 - 2)
    now = loaded_at or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    latest = now + TIME_AHEAD
    rules = [
        Rule("event_time is missing", "event_time IS NULL AND event_time__raw IS NULL"),
        # Infinite times parse (and break every later time difference); NaN and '+inf' do not.
        Rule(
            "event_time is not a finite time",
            "NOT isfinite(event_time) OR (event_time IS NULL AND "
            "regexp_full_match(lower(trim(event_time__raw)), '[+-]?(inf|infinity|nan)'))",
        ),
        Rule("event_time could not be parsed", "event_time IS NULL"),
        Rule(
            f"event_time is before {EARLIEST_EVENT_TIME:%Y-%m-%d}",
            f"event_time < TIMESTAMP '{EARLIEST_EVENT_TIME:%Y-%m-%d %H:%M:%S}'",
        ),
        Rule(
            "event_time is after the load time + 1 day",
            f"event_time > TIMESTAMP '{latest:%Y-%m-%d %H:%M:%S.%f}'",
        ),
        Rule("user_id is missing", "user_id IS NULL OR trim(user_id) = ''"),
        Rule("event name is missing", "event_name IS NULL OR trim(event_name) = ''"),
        Rule("event_type is missing", "event_type IS NULL"),
        Rule(f"event_type is not one of {', '.join(EVENT_TYPES)}", f"event_type NOT IN ({types_list})"),
        Rule(
            "price is not a number",
            "price__raw IS NOT NULL AND (price IS NULL OR NOT isfinite(price))",
        ),
        Rule("price is negative", "price < 0"),
        # Stored rounded to cents: 9999999999.995 is 10,000,000,000.00, too large as well.
        Rule(f"price is too large for DECIMAL(12,2) (≥ {price_max:,})", f"round(price, 2) >= {price_max}"),
        Rule(
            "quantity is not a whole number",
            "quantity__raw IS NOT NULL AND (quantity IS NULL OR NOT isfinite(quantity) "
            "OR quantity <> floor(quantity))",
        ),
        Rule("quantity is less than 1", "quantity < 1"),
        Rule("quantity is too large for INTEGER", "quantity > 2147483647"),
        # A line's amount (price × quantity) is worked out as DECIMAL(18,2) by the models: a
        # row beyond it would stop every later run.
        Rule(f"price × quantity is too large (≥ {LINE_AMOUNT_MAX:,})",
             f"round(price, 2) * quantity >= {LINE_AMOUNT_MAX}"),
        # Mapped values arrive trimmed and upper-cased, a sign of one currency as its code: 'eur '
        # and '€' are EUR; 'EURO' or '$' (whose dollar?) is refused.
        Rule(
            "currency is not a three-letter ISO 4217 code (e.g. EUR)",
            "currency IS NOT NULL AND NOT regexp_full_match(currency, '[A-Z]{3}')",
        ),
    ]
    if has_product_column:
        rules.append(
            Rule(
                "product_id is missing on a cart event",
                "event_type IN ('add_to_cart', 'remove_from_cart') AND product_id IS NULL",
            )
        )
    return rules
