"""Side files of an import: the product catalog (``raw.products``) and user profile snapshots
(``raw.users``), mapped by column names and validated set-wise like events.

Rows identical to ones already loaded are skipped, so re-importing a catalog adds nothing.
Columns these tables have no place for are not kept (the tables carry no ``properties``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from shoplytics_desktop.core import contract
from shoplytics_desktop.core.errors import ImportError_
from shoplytics_desktop.core.ingest import validation
from shoplytics_desktop.core.ingest.detect import SourceColumn, SourceInfo, inspect_sources
from shoplytics_desktop.core.ingest.mapping import normalize_name
from shoplytics_desktop.core.ingest.report import CatalogReport
from shoplytics_desktop.core.ingest.timeparse import time_sql
from shoplytics_desktop.core.ingest.transform import text_sql
from shoplytics_desktop.core.sqlutil import quote_ident, quote_literal


@dataclass(frozen=True)
class CatalogSpec:
    kind: str
    table: str
    key: str
    synonyms: dict[str, tuple[str, ...]]


PRODUCTS = CatalogSpec(
    "products",
    "raw.products",
    "product_id",
    {
        "product_id": ("product_id", "productid", "item_id", "itemid", "sku", "id"),
        "name": ("name", "title", "product_name", "productname", "description"),
        "category": ("category_code", "category", "category_name", "category_id"),
        "brand": ("brand", "brand_name", "manufacturer"),
        "price": ("price", "unit_price", "list_price", "amount"),
    },
)
USERS = CatalogSpec(
    "users",
    "raw.users",
    "user_id",
    {
        "user_id": ("user_id", "userid", "customer_id", "visitorid", "visitor_id", "client_id", "id"),
        "signup_date": ("signup_date", "signup", "signed_up_at", "created_at", "registered_at",
                        "registration_date", "first_seen"),
        "country": ("country", "country_code", "countrycode"),
        "segment": ("segment", "customer_segment", "tier", "plan"),
        "device": ("device", "platform", "device_type"),
        "updated_at": ("updated_at", "snapshot_at", "valid_from", "as_of", "modified_at",
                       "snapshot_date"),
    },
)
_STAGE = "__ingest_catalog_stage"


def matched_names(info: SourceInfo, spec: CatalogSpec) -> set[str]:
    """The columns of ``info`` the catalog ``spec`` would read (none without its key)."""
    try:
        return {c.name for c in _match(info, spec).values()}
    except ImportError_:
        return set()


def kind_of(info: SourceInfo) -> CatalogSpec | None:
    """The side file a file of no events is (a product catalog or customer list among event
    files): its key column and at least one other of the catalog's fields, for one kind only."""
    kinds = []
    for spec in (PRODUCTS, USERS):
        try:
            cols = _match(info, spec)
        except ImportError_:
            continue
        if len(cols) >= 2 and not (spec is PRODUCTS and set(cols) == {"product_id", "price"}):
            kinds.append(spec)
    return kinds[0] if len(kinds) == 1 else None


def is_store_catalog(info: SourceInfo) -> bool:
    """Whether ``info`` is a store's own products export (Shopify's, WooCommerce's): a catalog
    whatever an event mapping would take its columns for (a product's type for the event name)."""
    return _store_export(_by_norm(info)) is not None


def _by_norm(info: SourceInfo) -> dict[str, SourceColumn]:
    return {normalize_name(c.name): c for c in info.top_columns}


def _match(info: SourceInfo, spec: CatalogSpec) -> dict[str, SourceColumn]:
    by_norm = _by_norm(info)
    store = _store_export(by_norm) if spec is PRODUCTS else None
    if store is not None:
        return store.columns
    out: dict[str, SourceColumn] = {}
    used: set[str] = set()
    for field, names in spec.synonyms.items():
        for n in names:
            col = by_norm.get(normalize_name(n))
            if col is not None and col.name not in used:
                out[field] = col
                used.add(col.name)
                break
    if spec.key not in out:
        seen = ", ".join(c.name for c in info.top_columns)
        raise ImportError_(
            f"No {spec.key} column found in the {spec.kind} file {info.display_name} "
            f"(columns seen: {seen}).",
            f"Name the id column '{spec.key}' (or one of: {', '.join(spec.synonyms[spec.key])}).",
        )
    return out


# -- stores' own products exports ---------------------------------------------------------------


@dataclass(frozen=True)
class _StoreExport:
    """A store's products export: the columns it has (normalised names), the catalog's columns
    read from its rows, and the SQL of those rows (from the file's info and its line number)."""

    needs: tuple[str, ...]
    columns: dict[str, SourceColumn]
    source: Callable[[SourceInfo, str], str]


def _store_columns(prefix: str, names: tuple[str, str, str, str, str]) -> dict[str, SourceColumn]:
    """The catalog's columns as the ``__{prefix}_{field}`` columns the export's source adds,
    named after the export's own column each mostly comes from."""
    fields = ("product_id", "name", "category", "brand", "price")
    return {field: SourceColumn(name, "VARCHAR", expr=f"src.{quote_ident(f'__{prefix}_{field}')}")
            for field, name in zip(fields, names, strict=True)}


def _text(by_norm: dict[str, SourceColumn], alias: str, norm: str) -> str:
    """The column ``norm`` of the rows ``alias`` as trimmed text, NULL when blank or absent."""
    col = by_norm.get(norm)
    return f"NULLIF(trim(CAST({col.sql(alias)} AS VARCHAR)), '')" if col else "NULL"


def _last_level(path: str) -> str:
    """The last level of a category path ("Clothing > Tshirts" is Tshirts)."""
    return f"NULLIF(trim(regexp_extract({path}, '[^>]*$')), '')"


# -- Shopify's products export ------------------------------------------------------------------

#: Shopify's products export (Products ▸ Export) has a row per variant: the product's title,
#: vendor, type and category on its first row only (the others leave them blank), and a row per
#: further image with the handle alone. A variant's id is its SKU; without one, the name an
#: order's line gives it ("Title - Red / M", the title alone for a product without options), as
#: the orders export's preset reads a line without a SKU. The category is the product's type,
#: else the last level of Shopify's product category ("… > Shirts & Tops").
def _shopify_source(info: SourceInfo, line: str) -> str:
    """The export's variant rows, each with its product's fields and its line in the file; the
    rows of images alone are left out."""
    by_norm = _by_norm(info)

    def text(norm: str) -> str:
        return _text(by_norm, "r", norm)

    def product(norm: str) -> str:  # written on the product's first row only
        return f"coalesce({text(norm)}, max({text(norm)}) OVER product)"

    category = f"coalesce({product('type')}, {_last_level(product('productcategory'))})"
    options = [text(f"option{i}value") for i in (1, 2, 3)]
    variant = f"NULLIF(concat_ws(' / ', {', '.join(options)}), '')"
    key = (f"coalesce({text('variantsku')}, CASE WHEN {text('variantprice')} IS NOT NULL THEN "
           f"CASE WHEN {variant} IS NULL OR {variant} = 'Default Title' THEN {product('title')} "
           f"ELSE {product('title')} || ' - ' || {variant} END END)")
    handle = by_norm["handle"].sql("r")
    return f"""SELECT * FROM (
        SELECT r.*, {line} AS __line, {key} AS __shopify_product_id,
               {product('title')} AS __shopify_name, {category} AS __shopify_category,
               {product('vendor')} AS __shopify_brand, {text('variantprice')} AS __shopify_price,
               {text('variantsku')} IS NOT NULL OR {text('variantprice')} IS NOT NULL AS __variant
        FROM {info.reader_sql()} AS r
        WINDOW product AS (PARTITION BY {handle})
    ) WHERE __variant"""


# -- WooCommerce's products export --------------------------------------------------------------

#: WooCommerce's products export (Products ▸ Export): a row per product and per variation; a
#: variation ("T-Shirt - Red") names its parent ("id:15", or the parent's SKU) and leaves the
#: categories to it. Categories are listed ("Clothing > Tshirts, Clothing"): the first one's
#: last level is the category. The id is the SKU, else the product's ID; the price the regular
#: one (a sale price is for a time).
def _woocommerce_source(info: SourceInfo, line: str) -> str:
    """The export's rows, each with the catalog's columns and its line in the file. A variation's
    parent is looked up by SKU and by ID (its "id:15"), each a hash join on the rows read once
    (an OR of the two compares every row with every other, and with the file read for each
    join DuckDB planned a cross product: 100,000 rows ran out of memory after two minutes)."""
    by_norm = _by_norm(info)

    def text(alias: str, norm: str) -> str:
        return _text(by_norm, alias, norm)

    def first_last_level(listed: str) -> str:
        return _last_level(f"split_part({listed}, ',', 1)")

    def parents(key: str) -> str:  # one row per key (its first values, should two share one)
        return (f"(SELECT {key} AS k, arg_min({text('p', 'categories')}, p.__line) AS categories,"
                f" arg_min({text('p', 'brands')}, p.__line) AS brands FROM woo_rows AS p "
                f"WHERE k IS NOT NULL GROUP BY k)")

    parent = text("r", "parent")
    parent_id = f"CASE WHEN starts_with({parent}, 'id:') THEN substr({parent}, 4) END"
    category, brand = (
        f"coalesce({first_last_level(text('r', own))}, {first_last_level(f'by_sku.{field}')}, "
        f"{first_last_level(f'by_id.{field}')})"
        for own, field in (("categories", "categories"), ("brands", "brands")))
    return f"""WITH woo_rows AS MATERIALIZED (SELECT *, {line} AS __line FROM {info.reader_sql()})
        SELECT r.*,
            coalesce({text('r', 'sku')}, {text('r', 'id')}) AS __woo_product_id,
            {text('r', 'name')} AS __woo_name, {category} AS __woo_category,
            {brand} AS __woo_brand, {text('r', 'regularprice')} AS __woo_price
        FROM woo_rows AS r
        LEFT JOIN {parents(text('p', 'sku'))} AS by_sku ON by_sku.k = {parent}
        LEFT JOIN {parents(text('p', 'id'))} AS by_id ON by_id.k = {parent_id}"""


_STORE_EXPORTS = (
    _StoreExport(("handle", "title", "variantprice"),
                 _store_columns("shopify", ("Variant SKU", "Title", "Type", "Vendor",
                                            "Variant Price")),
                 _shopify_source),
    _StoreExport(("id", "type", "sku", "name", "regularprice", "categories"),
                 _store_columns("woo", ("SKU", "Name", "Categories", "Brands", "Regular price")),
                 _woocommerce_source),
)


def _store_export(by_norm: dict[str, SourceColumn]) -> _StoreExport | None:
    return next((e for e in _STORE_EXPORTS if all(n in by_norm for n in e.needs)), None)


def _select(info: SourceInfo, spec: CatalogSpec, cols: dict[str, SourceColumn], now: str) -> str:
    exprs: list[str] = []
    rules: list[tuple[str, str]] = [(f"{spec.key} is missing", f"{spec.key} IS NULL")]
    for spec_col in contract.columns_of(contract.Product if spec is PRODUCTS else contract.UserSnapshot):
        name = spec_col.name
        col = cols.get(name)
        if spec_col.sql_type.startswith("DECIMAL"):
            raw = text_sql(col) if col else "CAST(NULL AS VARCHAR)"
            exprs += [f"{raw} AS {name}__raw", f"try_cast({raw} AS DOUBLE) AS {name}"]
            digits, places = (int(x) for x in spec_col.sql_type[8:-1].split(","))
            limit = 10 ** (digits - places)
            rules += [
                (f"{name} is not a number",
                 f"{name}__raw IS NOT NULL AND ({name} IS NULL OR NOT isfinite({name}))"),
                (f"{name} is negative", f"{name} < 0"),
                (f"{name} is too large for {spec_col.sql_type} (≥ {limit:,})",
                 f"round({name}, {places}) >= {limit}"),
            ]
        elif spec_col.sql_type in ("DATE", "TIMESTAMP"):
            typ = spec_col.sql_type
            # A snapshot without a date is taken to be as of its signup, else of the import.
            if_missing = "NULL"
            if name == "updated_at":
                signup = cols.get("signup_date")
                if_missing = f"coalesce({_time(signup)}, {now})" if signup else now
            if col is None:
                exprs += [f"CAST(NULL AS VARCHAR) AS {name}__raw",
                          f"CAST({if_missing} AS {typ}) AS {name}"]
                continue
            raw = text_sql(col)
            exprs += [
                f"{raw} AS {name}__raw",
                f"CAST(CASE WHEN {raw} IS NULL THEN {if_missing} ELSE {_time(col)} END AS {typ}) "
                f"AS {name}",
            ]
            rules += [
                (f"{name} is not a finite time", f"NOT isfinite({name})"),
                (f"{name} could not be parsed", f"{name}__raw IS NOT NULL AND {name} IS NULL"),
            ]
        else:
            exprs.append(f"{text_sql(col, True) if col else 'CAST(NULL AS VARCHAR)'} AS {name}")
    reason = "CASE " + " ".join(f"WHEN {p} THEN {quote_literal(r)}" for r, p in rules) + " END"
    items = ", ".join(f"{quote_literal(c.name)}: {c.sql()}" for c in info.top_columns)
    line = "file_row_number + 1" if info.format == "parquet" and info.row_number else (
        f"row_number() OVER () + {1 if info.format == 'csv' else 0}"
    )
    source = f"SELECT * FROM {info.reader_sql()}"
    store = _store_export(_by_norm(info)) if spec is PRODUCTS else None
    if store is not None:
        source, line = store.source(info, line), "__line"
    return f"""
WITH src AS ({source}),
m AS (SELECT {', '.join(exprs)}, src.{quote_ident(info.file_column)} AS _source_file,
             {line} AS _source_line, {{{items}}} AS __src FROM src)
SELECT *, {reason} AS __reason FROM m"""


def _time(col: SourceColumn) -> str:
    return time_sql(col.sql(), text_sql(col), col.read_type or col.type)


def load_catalog(
    con: duckdb.DuckDBPyConnection,
    spec: CatalogSpec,
    path: Path | str,
    batch_id: str | None,
    loaded_at: dt.datetime,
    dry_run: bool = False,
) -> CatalogReport:
    """Stage, validate and (unless ``dry_run``) insert one side file, inside the caller's
    transaction. Returns the counts; rejected rows go to ``raw.rejected_events``."""
    info = inspect_sources([path], con=con)
    cols = _match(info, spec)
    now = f"TIMESTAMP {quote_literal(loaded_at.strftime('%Y-%m-%d %H:%M:%S'))}"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {_STAGE} AS {_select(info, spec, cols, now)}")
    names = [c.name for c in contract.columns_of(
        contract.Product if spec is PRODUCTS else contract.UserSnapshot)]
    same = " AND ".join(f"t.{n} IS NOT DISTINCT FROM s.{n}" for n in names)
    new_rows = f"""FROM {_STAGE} s WHERE s.__reason IS NULL
        AND NOT EXISTS (SELECT 1 FROM {spec.table} t WHERE {same})
        QUALIFY row_number() OVER (PARTITION BY {', '.join(f's.{n}' for n in names)}
                                   ORDER BY s._source_line) = 1"""
    counts = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE __reason IS NOT NULL) FROM {_STAGE}"
    ).fetchone()
    assert counts is not None
    loaded_row = con.execute(f"SELECT count(*) FROM (SELECT s.* {new_rows})").fetchone()
    loaded = int(loaded_row[0]) if loaded_row else 0
    reasons = validation.reasons(
        con, f"SELECT _source_file, _source_line, __reason, to_json(__src) AS source_row "
             f"FROM {_STAGE} WHERE __reason IS NOT NULL")
    if not dry_run and batch_id is not None:
        cast = {c.name: c.sql_type for c in contract.columns_of(
            contract.Product if spec is PRODUCTS else contract.UserSnapshot)}
        select = ", ".join(f"CAST(s.{n} AS {cast[n]})" for n in names)
        con.execute(
            f"""INSERT INTO {spec.table} ({', '.join(names)}, _batch_id, _source_file,
                    _source_line, _loaded_at)
                SELECT {select}, ?, s._source_file, s._source_line, ? {new_rows}""",
            [batch_id, loaded_at],
        )
        con.execute(
            f"""INSERT INTO raw.rejected_events
                    (_batch_id, _source_file, _source_line, reason, source_row, _loaded_at)
                SELECT ?, _source_file, _source_line, {quote_literal(spec.kind + ' file: ')} || __reason,
                       to_json(__src), ?
                FROM {_STAGE} WHERE __reason IS NOT NULL""",
            [batch_id, loaded_at],
        )
    con.execute(f"DROP TABLE IF EXISTS temp.{_STAGE}")
    return CatalogReport(
        kind=spec.kind,
        source=str(path),
        batch_id=batch_id,
        rows_read=int(counts[0]),
        rows_loaded=loaded,
        rows_rejected=int(counts[1]),
        reasons=reasons,
    )
