"""The mapping: how a source's columns and event names become the contract's.

A mapping is a small YAML file that users can keep, edit and reuse::

    version: 1
    source: {format: csv, delimiter: ",", header: true}
    columns:
      event_time: timestamp
      event_type: event            # the source column holding the event name
      user_id: visitorid
      category: [category_code, category_id]   # first non-empty value wins
    time_format: epoch_ms          # auto | epoch_s | epoch_ms | epoch_us | epoch_ns | strptime
    event_types: {transaction: purchase}
    defaults: {device: unknown, country: XX, traffic_source: unknown, quantity: 1}

Vendors' exports (see presets/) also use: references instead of column names (refs.py:
``items[].item_id``, ``event_params[key='ga_session_id'].value.int_value``, ``hash(Email)``),
``explode`` (an array giving one row per element), ``fill_down`` (order-level values written on
an order's first line only), ``event_key`` (the source's natural key of a row),
``properties_fields``, ``country_names`` and ``negative_quantity: refund``.

``propose_mapping`` builds one from a ``SourceInfo`` using column names first, then content.
"""

from __future__ import annotations

import dataclasses
import os
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from shoplytics_desktop.core import contract
from shoplytics_desktop.core.errors import ImportError_
from shoplytics_desktop.core.ingest import countries, refs
from shoplytics_desktop.core.ingest.detect import SourceColumn, SourceInfo
from shoplytics_desktop.core.ingest.timeparse import AUTO, guess_format, is_numeric_type

MappedField = contract.MappedField


class SourceOptions(BaseModel):
    """How to read the files; ``None`` means detect."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["auto", "csv", "json", "ndjson", "parquet"] = "auto"
    delimiter: str | None = None
    #: ``""``: no quoting at all (a tab-separated file whose values hold JSON with quotes).
    quote: str | None = None
    escape: str | None = None
    header: bool = True
    #: The column names of a file without a header row, in order.
    names: list[str] | None = None
    encoding: Literal["utf-8", "cp1252", "latin-1", "utf-16", "utf-16-le", "utf-16-be"] | None = None
    #: The decimal separator of numbers written as text: ``"."`` (1,234.50) or ``","``
    #: (1.234,50). ``None``: settled from the values when the import checks every row, else
    #: ``","`` in a semicolon-separated file and ``"."`` otherwise.
    decimal: Literal[".", ","] | None = None

    @field_validator("delimiter", "quote", "escape")
    @classmethod
    def _one_character(cls, value: str | None) -> str | None:
        # DuckDB's CSV reader takes at most 4 bytes; a delimiter is a character (',' ';' tab).
        if value is not None and len(value.encode("utf-8")) > 4:
            raise ValueError(f"{value!r} is not one character: a CSV delimiter, quote or escape "
                             "is a single character such as ',' ';' '|' or a tab")
        return value


class Defaults(BaseModel):
    model_config = ConfigDict(extra="forbid")

    device: str = contract.UNKNOWN
    country: str = contract.UNKNOWN_COUNTRY
    traffic_source: str = contract.UNKNOWN
    quantity: int = Field(default=1, ge=1)
    #: The event name of a row that has none: of every row when no column gives one (an order
    #: export, whose every row is a purchase: ``purchase``).
    event_name: str | None = Field(default=None, min_length=1)


class FillDown(BaseModel):
    """Values a source writes only on the first row of a group (an order's first line)."""

    model_config = ConfigDict(extra="forbid")

    by: str = Field(min_length=1)
    columns: list[str] = Field(min_length=1)


#: The comment after a required field a saved proposal found no column for.
MISSING_MARK = "# REQUIRED: no column found"


class OrderRefund(BaseModel):
    """An order-level refunded amount (Shopify's ``Refunded Amount``): each order whose amount is
    above 0 gets one ``refund`` event of that amount (quantity 1, no product), beside its lines."""

    model_config = ConfigDict(extra="forbid")

    amount: str = Field(min_length=1)
    by: str = Field(min_length=1)


class Supersede(BaseModel):
    """Rows of one file that other files of the import repeat with more detail: Segment's
    ``tracks`` table holds every track call, its per-event tables (``order_completed`` …) the
    same calls (the same ``id``) with their properties. The ``file`` rows whose ``key`` another
    file's row has are left out; the event is read from the richer row."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1)
    #: The file's name without its extensions (``tracks`` for tracks.csv, tracks.csv.gz …).
    file: str = Field(min_length=1)


#: Mapping keys added for vendors' exports, left out of the YAML while they hold their default.
_RESHAPE_KEYS = ("time_zone", "preset", "explode", "explode_events", "fill_down", "event_key",
                 "properties_fields", "country_names", "negative_quantity", "negative_price",
                 "order_refund", "refunded_events", "supersede",
                 "skip_files")


class Mapping(BaseModel):
    """Source column(s) for each contract field, event-name overrides, time format, defaults."""

    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = 1
    source: SourceOptions = Field(default_factory=SourceOptions)
    columns: dict[MappedField, str | list[str]] = Field(default_factory=dict)
    time_format: str = AUTO
    #: The IANA zone of times written without an offset (a shop's local-time export): they are
    #: converted from it to UTC. ``None``: UTC. Times with an offset, and epoch numbers, are UTC
    #: instants whatever it says.
    time_zone: str | None = None
    event_types: dict[str, contract.EventType] = Field(default_factory=dict)
    defaults: Defaults = Field(default_factory=Defaults)
    #: Source columns the contract has no place for go into ``properties`` as JSON.
    keep_unmapped: bool = True
    #: The vendor preset that proposed this mapping (for the user to see; the mapping is
    #: complete without it).
    preset: str | None = None
    #: An array (reference) whose elements each become a row, e.g. ``items``; references
    #: ``items[].field`` read the element. Rows whose array is empty stay one row.
    explode: str | None = None
    #: Source event names whose array is exploded (all when empty); other rows stay one row.
    explode_events: list[str] = Field(default_factory=list)
    fill_down: FillDown | None = None
    #: The source's natural key of a row (order + line item, say): the event id is built from
    #: it (plus a counter among rows with equal keys), so an updated export of the same rows
    #: adds nothing. Without it the id is the event_id column's, else a hash of the row.
    event_key: list[str] = Field(default_factory=list)
    #: Named values kept in ``properties`` (name → source reference).
    properties_fields: dict[str, str] = Field(default_factory=dict)
    #: The country column holds names ("United Kingdom"): store ISO 3166 alpha-2 codes.
    country_names: bool = False
    #: ``refund``: a negative quantity is a refund (cancellation) line of that many units.
    negative_quantity: Literal["reject", "refund"] = "reject"
    #: ``refund``: a negative price is a refund of that amount (Amplitude's revenue events:
    #: "$price and $revenue can be negative", for refunds).
    negative_price: Literal["reject", "refund"] = "reject"
    order_refund: OrderRefund | None = None
    #: Source event names (an order export's status, ``refunded``) of rows that are a purchase
    #: given back in full: each such row is loaded as its purchase and a refund of the same line
    #: (same product, price and quantity), so revenue counts the sale and net revenue does not.
    refunded_events: list[str] = Field(default_factory=list)
    supersede: Supersede | None = None
    #: Files (names without extensions, any case) of the import whose rows are not events, such
    #: as Segment's ``identifies`` and ``users`` tables beside its event tables: left out.
    skip_files: list[str] = Field(default_factory=list)

    @property
    def adds_rows(self) -> bool:
        """Whether source rows and events may differ in number (exploded arrays, order refunds,
        superseded rows, files left out)."""
        return bool(self.explode or self.order_refund or self.refunded_events or self.supersede
                    or self.skip_files)

    @field_validator("columns", mode="before")
    @classmethod
    def _unfilled(cls, value: object) -> object:
        # A saved proposal marks the required fields it found no column for as null: unmapped.
        if isinstance(value, dict):
            return {k: v for k, v in value.items() if v is not None}
        return value

    @field_validator("time_format")
    @classmethod
    def _time_format(cls, value: str) -> str:
        if "%" in value:
            from shoplytics_desktop.core.ingest.timeparse import check_time_format

            check_time_format(value)
        return value

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        from shoplytics_desktop.core.settings import canonical_time_zone

        zone = canonical_time_zone(value)
        if zone is None:
            raise ValueError(f"time_zone {value!r} is not an IANA time zone name "
                             "(e.g. Europe/London, America/New_York or UTC)")
        return zone

    @field_validator("columns")
    @classmethod
    def _non_empty(cls, value: dict[str, str | list[str]]) -> dict[str, str | list[str]]:
        for key, src in value.items():
            if not src or (isinstance(src, list) and not all(src)):
                raise ValueError(f"column for '{key}' is empty")
        return value

    def sources_of(self, field: str) -> list[str]:
        src = self.columns.get(field)  # type: ignore[call-overload]
        if src is None:
            return []
        return [src] if isinstance(src, str) else list(src)

    def used_columns(self) -> set[str]:
        """Every source reference the mapping reads (column names or refs.py references)."""
        used = {c for f in self.columns for c in self.sources_of(f)}
        used.update(self.properties_fields.values())
        used.update(self.event_key)
        if self.explode:
            used.add(self.explode)
        if self.fill_down:
            used.add(self.fill_down.by)
            used.update(self.fill_down.columns)
        if self.order_refund:
            used.update((self.order_refund.amount, self.order_refund.by))
        if self.supersede:
            used.add(self.supersede.key)
        return used

    def to_yaml(self) -> str:
        data = self.model_dump(mode="json")
        default = Mapping().model_dump(mode="json")
        for key in _RESHAPE_KEYS:
            if data[key] == default[key]:
                del data[key]
        for key in ("names", "decimal"):
            if data["source"].get(key) is None:
                del data["source"][key]
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)

    def to_yaml_marked(self) -> str:
        """The YAML with each required field that has no column written ``null`` and marked,
        for the user to fill in (loading it back leaves the field unmapped)."""
        text = self.to_yaml()
        missing = missing_required(self)
        if not missing:
            return text
        marks = "".join(f"  {f}: null  {MISSING_MARK}\n" for f in missing)
        if "\ncolumns: {}\n" in text:
            text = text.replace("\ncolumns: {}\n", "\ncolumns:\n" + marks, 1)
        else:
            text = text.replace("\ncolumns:\n", "\ncolumns:\n" + marks, 1)
        head = ("# A proposed mapping: the fields marked REQUIRED have no column yet. Write the "
                "source column\n# after each, then import with --mapping THIS_FILE.\n")
        return head + text

    @classmethod
    def from_yaml(cls, text: str, origin: str = "the mapping") -> Mapping:
        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as e:
            raise ImportError_(f"{origin} is not valid YAML: {e}", "Fix the file and retry.") from e
        if not isinstance(data, dict):
            raise ImportError_(f"{origin} is not a mapping (a YAML dictionary).", "Fix the file.")
        try:
            return cls.model_validate(data)
        except ValidationError as e:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in e.errors()
            )
            raise ImportError_(f"{origin} is invalid: {problems}.", "Fix the file and retry.") from e


def load_mapping(path: Path | str) -> Mapping:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise ImportError_(f"Cannot read the mapping file {p}: {e.strerror}.", "Check the path.") from e
    return Mapping.from_yaml(text, origin=f"The mapping file {p}")


def _is_mapping_file(path: Path) -> bool:
    """Whether ``path`` holds a mapping (as this function writes them): only such a file is
    replaced by a new one."""
    try:
        if path.stat().st_size > 1_000_000:
            return False
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return False
    return isinstance(data, dict) and "version" in data and "columns" in data


def check_mapping_target(path: Path | str) -> Path:
    """The path a mapping may be written to: new, or a mapping file itself (checked before an
    import, so that a bad path is said before anything is loaded)."""
    p = Path(path).expanduser()
    if p.exists() and (not p.is_file() or not _is_mapping_file(p)):
        raise ImportError_(
            f"{p} exists and is not a mapping file; it was left as it is.",
            "Choose another path for the mapping (e.g. mapping.yaml).",
        )
    return p


def save_mapping(mapping: Mapping, path: Path | str, mark_missing: bool = False) -> None:
    """Write the mapping as YAML, atomically. An existing file is replaced only if it is a
    mapping itself: never an event file, a workspace's database or anything else.
    ``mark_missing`` writes the required fields without a column as marked nulls."""
    p = check_mapping_target(path)
    tmp = p.with_name(f".{p.name}.partial")
    try:
        text = mapping.to_yaml_marked() if mark_missing else mapping.to_yaml()
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, p)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise ImportError_(f"Cannot write the mapping file {p}: {e.strerror}.", "Choose another path.") from e


# -- proposing ---------------------------------------------------------------------------------

#: Source column names per contract field, most specific first (compared normalised).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "event_id": ("event_id", "eventid", "event_uuid", "message_id", "messageid", "uuid", "id"),
    "event_time": ("event_time", "event_timestamp", "timestamp", "ts", "time", "created_at",
                   "datetime", "date_time", "event_date", "occurred_at", "time_stamp", "date",
                   "order_time", "order_date", "invoice_date", "transaction_date", "purchase_date",
                   "paid_at", "created", "zeitstempel", "datum", "zeitpunkt", "horodatage", "fecha",
                   "fecha_hora", "tijdstip", "tijdstempel", "datum_tijd", "data_ora"),
    "event_type": ("event_type", "event_name", "event", "action", "type", "eventtype", "activity",
                   "event_action", "ereignis", "ereignistyp", "aktion", "evenement",
                   "type_evenement", "evento", "tipo_evento", "gebeurtenis"),
    "user_id": ("user_id", "visitorid", "visitor_id", "customer_id", "client_id", "user", "userid",
                "customer", "visitor", "anonymous_id", "member_id", "account_id", "uid", "kunde",
                "kunden_id", "kundennummer", "kundennr", "benutzer", "nutzer", "client",
                "id_client", "utilisateur", "cliente", "id_cliente", "usuario", "utente", "klant",
                "klantnummer", "gebruiker"),
    "session_id": ("user_session", "session_id", "session", "sessionid", "visit_id", "session_key",
                   "ga_session_id", "session_uuid", "sitzung", "sitzungs_id", "sitzung_id",
                   "id_session", "sesion", "id_sesion", "sessione", "sessao"),
    "product_id": ("product_id", "itemid", "item_id", "sku", "productid", "product", "item",
                   "product_sku", "article_id", "stock_code", "lineitem_sku", "artikel",
                   "artikelnummer", "artikelnr", "produkt", "produkt_id", "produit", "id_produit",
                   "producto", "id_producto", "prodotto", "codice_articolo", "artikel_id"),
    "order_id": ("transactionid", "transaction_id", "order_id", "orderid", "order", "order_number",
                 "invoice", "invoice_no", "invoiceno", "bestellung", "bestellnummer", "bestellnr",
                 "auftrag", "auftragsnummer", "commande", "numero_commande", "pedido",
                 "numero_pedido", "ordine", "bestelling", "bestelnummer"),
    "price": ("price", "unit_price", "amount", "unitprice", "item_price", "value", "price_usd",
              "preis", "einzelpreis", "prix", "prix_unitaire", "precio", "precio_unitario",
              "prezzo", "prijs", "preco", "preco_unitario", "valor_unitario", "item_cost",
              "product_price", "sale_price", "selling_price", "lineitem_price",
              "line_item_price", "item_unit_price"),
    "quantity": ("quantity", "qty", "units", "count", "item_quantity", "menge", "anzahl",
                 "stueckzahl", "quantite", "cantidad", "quantita", "aantal"),
    "currency": ("currency", "currency_code", "currencycode", "price_currency", "iso_currency",
                 "currency_iso", "order_currency", "transaction_currency", "payment_currency",
                 "waehrung", "wahrung", "devise", "moneda", "valuta"),
    "category": ("category_code", "category", "category_name", "product_category", "categoryid",
                 "category_id", "categorycode"),
    "brand": ("brand", "brand_name", "manufacturer"),
    "device": ("platform", "device", "device_type", "devicetype", "device_category", "os"),
    "country": ("country", "country_code", "countrycode", "geo_country", "land", "pays", "pais",
                "paese"),
    "traffic_source": ("acquisition_channel", "utm_source", "traffic_source", "source", "channel",
                       "referrer_type", "medium", "utm_medium", "traffic_medium",
                       "traffic_source_medium", "default_channel_group", "channel_grouping",
                       "marketing_channel"),
    "properties": ("properties", "props", "event_properties", "attributes", "params", "context"),
}

#: Columns of an anonymous visitor's id (normalised), the user's where the user id is empty.
_ANONYMOUS_IDS = ("anonymousid", "anonid", "anonymoususerid", "guestid", "cookieid",
                  "visitorid", "clientid", "deviceid")

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_CONTAINERS = {"properties", "props", "eventproperties", "attributes", "params", "context",
               "data", "payload", "details"}
_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{1,2}:\d{2}.*)?$")
_EPOCH = re.compile(r"^\d{9,19}(\.\d+)?$")
_DATE = re.compile(r"^\d{1,2}[/.-]\d{1,2}[/.-](\d{2}|\d{4})([ T]\d{1,2}:\d{2}(:\d{2})?)?$")


def normalize_name(name: str) -> str:
    """The name compared with the synonyms: lower case, letters without their accents (Währung
    is waehrung's "wahrung", Événement "evenement"), only letters and digits."""
    plain = unicodedata.normalize("NFKD", name.lower().replace("ß", "ss"))
    return _NON_ALNUM.sub("", "".join(ch for ch in plain if not unicodedata.combining(ch)))


#: Words in a column's name that, with epoch-like values, make it the time (ts_ms, event_ts,
#: created_at_ms, epoch), besides any name with "time" or "stamp" in it.
_TIME_WORDS = {"ts", "epoch", "date", "at", "when"}


def _time_named(name: str) -> bool:
    low = name.lower()
    words = set(re.split(r"[^a-z0-9]+", low))
    return "time" in low or "stamp" in low or bool(words & _TIME_WORDS)


def _looks_like_time(col: SourceColumn) -> bool:
    t = col.type.upper()
    if t.startswith(("TIMESTAMP", "DATE")):
        return True
    if not col.samples:
        return False
    if all(_ISO_TIME.match(s) or _DATE.match(s) for s in col.samples):
        return True
    return all(_EPOCH.match(s) for s in col.samples) and _time_named(col.name)


def propose_mapping(info: SourceInfo, preset: str | None = None) -> Mapping:
    """A mapping proposal: the named preset's (``preset``), else the best-recognised vendor
    preset's (presets/), else generic detection; ``preset="none"`` asks for generic detection."""
    from shoplytics_desktop.core.ingest import presets

    if preset and preset != presets.NONE:
        return presets.plan(preset, info)
    if preset is None:
        found = presets.best(info)
        if found is not None:
            return presets.plan(found.name, info)
    return generic_mapping(info)


def generic_mapping(info: SourceInfo) -> Mapping:
    """A mapping proposal from column names (normalised synonyms), then from column content."""
    by_norm = _columns_by_name(info)
    used: set[str] = set()
    exact = {c.name: c for c in info.columns if len(c.path) == 1}
    columns = _columns_by_synonym(by_norm, used, exact)
    wrapped = _wrapped_events(info) if not {"event_time", "event_type"} <= set(columns) else None
    if wrapped is not None:
        return _unwrapped_mapping(info, *wrapped)
    _columns_by_content(info, columns, used)
    _date_and_time(info, columns, used)
    _hash_addresses(info, columns)
    _id_of_orders(columns, by_norm)
    _order_totals(info, columns, used, by_norm)
    time_format = _proposed_time_format(info, columns.get("event_time"))
    defaults = Defaults()
    statuses: dict[str, object] = {}
    if "event_type" not in columns and "order_id" in columns and (
        "price" in columns or "quantity" in columns
    ):
        # No event column, but orders, prices, quantities: an order export, a line per row.
        defaults = Defaults(event_name="purchase")
        statuses = _order_statuses(info, columns, used, by_norm)
    return Mapping(
        source=source_options(info),
        columns=columns,  # type: ignore[arg-type]
        time_format=time_format,
        defaults=defaults,
        country_names=_country_names(info, columns.get("country")),
        **statuses,  # type: ignore[arg-type]
    )


def _wrapped_events(info: SourceInfo) -> tuple[str, list[SourceColumn]] | None:
    """JSON whose events are an array inside each object (``{"events": [...]}``, an API's
    ``data`` or a batch's ``batch``, or deeper, ``{"data": {"items": [...]}}``): the array's
    reference and its elements' fields, each as a
    column named by its reference (``events[].ts``). An array whose elements have a time (by
    its name or values); of several, the one with the most fields."""
    if info.format not in ("json", "ndjson", "parquet"):
        return None
    found: list[tuple[str, list[SourceColumn]]] = []
    for col in info.columns:
        t = (col.read_type or col.type).upper()
        path = col.path or (col.name,)
        if "child" in path or not (t.startswith("STRUCT") and t.endswith("[]")):
            continue  # not an array of objects, or one inside another array
        ref = ".".join(_ref_name(p) for p in path)  # data.items for {"data": {"items": [...]}}
        n = len(path)
        fields = [dataclasses.replace(c, name=f"{ref}[].{_ref_name(c.path[n + 1])}",
                                      path=(c.path[n + 1],))
                  for c in info.columns
                  if len(c.path) == n + 2 and c.path[:n + 1] == (*path, "child")]
        names = {normalize_name(c.path[0]) for c in fields}
        if any(normalize_name(n) in names for n in SYNONYMS["event_time"]) or any(
                _looks_like_time(c) for c in fields):
            found.append((ref, fields))
    return max(found, key=lambda f: len(f[1])) if found else None


def _unwrapped_mapping(info: SourceInfo, array: str, fields: list[SourceColumn]) -> Mapping:
    """The mapping of events held in an array (``_wrapped_events``): one event per element
    (``explode``), each field read from the element, else from the object around it (a user
    id written once for a user's events); the element's other fields kept in properties."""
    by_norm: dict[str, SourceColumn] = {}
    exact: dict[str, SourceColumn] = {}
    for c in fields:
        by_norm.setdefault(normalize_name(c.path[0]), c)
        exact.setdefault(c.path[0], c)
    outer = [c for c in info.columns if len(c.path) == 1
             and not _is_nested_type(c.read_type or c.type)]
    for c in outer:
        by_norm.setdefault(normalize_name(c.name), c)
    used: set[str] = set()
    columns = _columns_by_synonym(by_norm, used, exact)
    # By content: the elements' fields first, then the object's.
    _columns_by_content(dataclasses.replace(info, columns=tuple(fields + outer)), columns, used)
    _hash_addresses(info, columns)
    kept = {c.path[0]: c.name for c in fields if c.name not in used}
    kept |= {c.name: _ref_name(c.name) for c in outer if c.name not in used and c.name not in kept}
    return Mapping(
        source=source_options(info),
        columns=columns,  # type: ignore[arg-type]
        explode=array,
        keep_unmapped=False,
        properties_fields=kept,
    )


_PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _ref_name(name: str) -> str:
    """A column or field name in a reference: as it is where plain, else double-quoted."""
    return name if _PLAIN_NAME.match(name) else _quoted(name)


def _quoted(name: str) -> str:
    """A column name as a reference (refs.py) whatever its characters: double-quoted."""
    return '"' + name.replace('"', '""') + '"'


_DATE_ONLY = re.compile(r"^(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})$")
_TIME_OF_DAY = re.compile(r"^\d{1,2}:\d{2}(:\d{2}([.,]\d+)?)?(\s*[AaPp]\.?[Mm]\.?)?"
                          r"(\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2}))?$")
#: Names of a column of the time of day beside a date column (normalised).
_TIME_OF_DAY_NAMES = ("time", "eventtime", "ordertime", "timeofday", "uhrzeit", "zeit", "heure",
                      "hora", "ora", "tijd", "orario")


def _holds(col: SourceColumn, form: re.Pattern[str], sql_type: str) -> bool:
    """Whether the column is of ``sql_type`` or its sampled values are all in ``form``."""
    if (col.read_type or col.type).upper() == sql_type:
        return True
    values = [v.strip() for v in col.samples if v.strip()]
    return bool(values) and _is_text(col) and all(form.match(v) for v in values)


def _date_and_time(
    info: SourceInfo, columns: dict[str, str | list[str]], used: set[str]
) -> None:
    """A date in one column and the time of day in another (``Date``, ``Time``) are read
    together as the event's time (the date alone where the time is empty). Found from the
    time column chosen: a date whose time of day has a column of its own, or a time of day
    whose date has."""
    src = columns.get("event_time")
    chosen = info.column(src) if isinstance(src, str) else None
    if chosen is None or len(chosen.path) > 1:
        return
    top = [c for c in info.columns if len(c.path) == 1 and c.name not in used]
    date: SourceColumn | None
    time: SourceColumn | None
    if _holds(chosen, _DATE_ONLY, "DATE"):
        named = {normalize_name(c.name): c for c in top}
        other = next((c for n in _TIME_OF_DAY_NAMES if (c := named.get(n)) is not None
                      and _holds(c, _TIME_OF_DAY, "TIME")), None)
        if other is None:
            other = next((c for c in top if _holds(c, _TIME_OF_DAY, "TIME")), None)
        date, time = chosen, other
    elif _holds(chosen, _TIME_OF_DAY, "TIME"):
        date = next((c for c in top if _holds(c, _DATE_ONLY, "DATE")), None)
        time = chosen
    else:
        return
    if date is None or time is None:
        return
    d, t = (_quoted(c.name) for c in (date, time))
    used.update((date.name, time.name))
    columns["event_time"] = f"coalesce(concat({d}, ' ', {t}), {d})"


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _hash_addresses(info: SourceInfo, columns: dict[str, str | list[str]]) -> None:
    """A user column of e-mail addresses (by its name or its values) is read hashed: the
    customer is a stable hash of the trimmed, lower-cased address, which is never stored."""
    def hashed(name: str) -> str:
        col = info.column(name)
        if col is None or len(col.path) > 1:
            return name
        values = [v for v in col.samples if v.strip()]
        by_name = any(w in normalize_name(name) for w in ("email", "mail"))
        if by_name or (values and all(_EMAIL.match(v.strip()) for v in values)):
            return f"hash({_quoted(name)})"
        return name

    src = columns.get("user_id")
    if isinstance(src, str):
        columns["user_id"] = hashed(src)
    elif src:
        columns["user_id"] = [hashed(s) for s in src]


#: Columns of a line's or an order's total (normalised), for a file without a unit price.
_TOTALS = ("total", "ordertotal", "linetotal", "netsales", "grosssales", "netrevenue", "revenue",
           "ordervalue", "grandtotal", "grandtotalpurchased", "grandtotalbase", "totalamount", "amounttotal", "totalprice", "linetotalprice",
           "itemtotal", "sales", "umsatz", "gesamt", "gesamtbetrag", "gesamtpreis",
           "montanttotal", "total_ttc", "importetotal", "totale", "totaal")


def _order_totals(
    info: SourceInfo, columns: dict[str, str | list[str]], used: set[str],
    by_norm: dict[str, SourceColumn],
) -> None:
    """An order export with a total (an order's ``Net Sales``, a line's ``Total``) but no unit
    price: the total is the price of one unit, and a count of items is not read as a quantity
    (that would multiply the total by it)."""
    if "price" in columns or "order_id" not in columns or "event_type" in columns:
        return
    total = next((c for n in _TOTALS if (c := by_norm.get(normalize_name(n))) is not None
                  and c.name not in used and len(c.path) == 1), None)
    if total is None:
        return
    columns["price"] = total.name
    used.add(total.name)
    columns.pop("quantity", None)


def _id_of_orders(columns: dict[str, str | list[str]], by_norm: dict[str, SourceColumn]) -> None:
    """A plain ``ID`` beside an order's total or status, in a file of no events and no other
    order id (an order grid's export, Magento's): the id is the order's, not an event's."""
    src = columns.get("event_id")
    if "event_type" in columns or "order_id" in columns or not isinstance(src, str) or \
            normalize_name(src) != "id":
        return
    from shoplytics_desktop.core.ingest.eventnames import status_kind

    statuses = [c for n in STATUS_COLUMNS if (c := by_norm.get(n)) is not None and
                any(status_kind(v) for v in c.samples)]
    if statuses or any(by_norm.get(normalize_name(n)) is not None for n in _TOTALS):
        columns["order_id"] = columns.pop("event_id")


def total_column(mapping: Mapping) -> str | None:
    """The total an order export's rows are priced by (see ``_order_totals``), or None."""
    src = mapping.columns.get("price")
    if mapping.preset is None and mapping.defaults.event_name == "purchase" and \
            "quantity" not in mapping.columns and isinstance(src, str) and \
            normalize_name(src) in {normalize_name(n) for n in _TOTALS}:
        return src
    return None


#: Columns of an order's status (normalised): an order export's rows are read by it.
STATUS_COLUMNS = ("status", "orderstatus", "financialstatus", "paymentstatus",
                  "transactionstatus", "state", "orderstate", "bestellstatus", "zahlungsstatus",
                  "statut", "statutcommande", "estado", "estadopedido", "stato", "statoordine",
                  "orderstatusname")
#: Columns of an order's refunded amount (normalised).
_REFUND_AMOUNTS = ("refundedamount", "refundamount", "amountrefunded", "refundedtotal",
                   "totalrefunded", "refundtotal", "ordertotalrefunded", "orderrefundamount",
                   "orderrefundedamount", "orderrefundtotal", "refunds", "refunded",
                   "erstattetenbetrag", "erstattungsbetrag", "montantrembourse",
                   "importereembolsado")


def _order_statuses(
    info: SourceInfo, columns: dict[str, str | list[str]], used: set[str],
    by_norm: dict[str, SourceColumn],
) -> dict[str, object]:
    """An order export's status column, read as each row's event (``columns``, ``used`` are
    updated): a cancelled, failed or pending order is no purchase, a refunded one is a purchase
    and its refund. A column only counts when its sampled values are mostly statuses known
    here (a ``State`` column may be the address's). With a refunded-amount column, each
    order's refund is that amount (partial refunds too) instead. The mapping's extra keys."""
    from shoplytics_desktop.core.ingest.eventnames import status_kind

    status = next((c for n in STATUS_COLUMNS if (c := by_norm.get(n)) is not None
                   and c.name not in used and len(c.path) == 1 and _is_text(c)), None)
    values = [v for v in status.samples if v.strip()] if status is not None else []
    known = [v for v in values if status_kind(v) is not None]
    if status is None or not known or len(known) * 2 < len(values):
        return {}
    columns["event_type"] = status.name
    used.add(status.name)
    extra: dict[str, object] = {}
    amount = next((c for n in _REFUND_AMOUNTS if (c := by_norm.get(n)) is not None
                   and c.name not in used and len(c.path) == 1), None)
    order = columns["order_id"]
    if amount is not None and isinstance(order, str):
        used.add(amount.name)
        extra["order_refund"] = OrderRefund(amount=amount.name, by=order)
    types, refunded = order_status_types(values, by_amount="order_refund" in extra)
    return extra | {"event_types": types, "refunded_events": refunded}


def order_status_types(
    names: list[str] | tuple[str, ...], by_amount: bool = False
) -> tuple[dict[str, str], list[str]]:
    """The event type of each order status in ``names`` (a status not known here: the order
    stands, a purchase), and the statuses whose rows are also refunded in full (none where
    ``by_amount``: a refunded-amount column gives each order's refund)."""
    from shoplytics_desktop.core.ingest.eventnames import (
        STATUS_REFUNDED,
        STATUS_UNPAID,
        status_kind,
    )

    types: dict[str, str] = {}
    refunded: list[str] = []
    for name in dict.fromkeys(names):
        kind = status_kind(name)
        types[name] = "other" if kind == STATUS_UNPAID else "purchase"
        if kind == STATUS_REFUNDED and not by_amount:
            refunded.append(name)
    return types, refunded


def status_column(mapping: Mapping) -> str | None:
    """The order-status column an order export's rows are read by (see ``_order_statuses``),
    or None."""
    src = mapping.columns.get("event_type")
    if mapping.preset is None and mapping.defaults.event_name == "purchase" and \
            isinstance(src, str) and normalize_name(src) in STATUS_COLUMNS:
        return src
    return None


def _country_names(info: SourceInfo, source: str | list[str] | None) -> bool:
    """Whether the country column holds names ("Germany", "Deutschland") rather than codes: its
    sampled values that are not two letters are all names the country table knows (an unknown
    name would become the default, so a column with one is kept as it is)."""
    col = info.column(source) if isinstance(source, str) else None
    if col is None:
        return False
    names = [v for v in col.samples if v.strip() and not countries.is_code(v)]
    table = countries.table()
    return bool(names) and all(countries.name_key(v) in table for v in names)


def _columns_by_name(info: SourceInfo) -> dict[str, SourceColumn]:
    """The columns by normalised name. Top-level columns first, so they win over nested fields of
    the same name. A nested field is known by its full path ("user.id" → userid), and inside a
    properties-like container also by its own name ("properties.product_id" → productid)."""
    by_norm: dict[str, SourceColumn] = {}
    for col in sorted(info.columns, key=lambda c: len(c.path) > 1):
        by_norm.setdefault(normalize_name(col.name), col)
        if len(col.path) == 2 and normalize_name(col.path[0]) in _CONTAINERS:
            by_norm.setdefault(normalize_name(col.path[1]), col)
    return by_norm


def _columns_by_synonym(
    by_norm: dict[str, SourceColumn], used: set[str],
    exact: dict[str, SourceColumn] | None = None,
) -> dict[str, str | list[str]]:
    """Fields whose column a synonym names (the synonyms in order); ``used`` gets the columns
    taken. Of two columns one synonym names, the one named exactly so wins over one that only
    normalises to it (event_time over Event Time)."""
    columns: dict[str, str | list[str]] = {}

    def candidates(field: str) -> Iterator[SourceColumn | None]:
        for syn in SYNONYMS[field]:
            yield (exact or {}).get(syn)
            yield by_norm.get(normalize_name(syn))

    def take(field: str) -> SourceColumn | None:
        for col in candidates(field):
            if (
                col is not None
                and col.name not in used
                and not _claimed_parent(col, used)
                and not _is_nested_type(col.read_type or col.type)
            ):
                used.add(col.name)
                return col
        return None

    for field in SYNONYMS:
        if field in ("category", "properties"):
            continue
        taken = take(field)
        if taken is not None:
            columns[field] = taken.name
    # A logged-in user's id beside the anonymous visitor's: events before the login have only
    # the second, and take it rather than be rejected without a user.
    if "user_id" in columns:
        anonymous = next((c for n in _ANONYMOUS_IDS if (c := by_norm.get(n)) is not None
                          and c.name not in used and not _is_nested_type(c.read_type or c.type)),
                         None)
        if anonymous is not None:
            used.add(anonymous.name)
            columns["user_id"] = [str(columns["user_id"]), anonymous.name]
    # Category: prefer the readable code, fall back to the id where the code is empty.
    cats = [by_norm.get(n) for n in ("categorycode", "category", "categoryname", "productcategory")]
    ids = [by_norm.get(n) for n in ("categoryid", "categoryid")]
    chosen = [c.name for c in cats + ids if c is not None and c.name not in used]
    chosen = list(dict.fromkeys(chosen))
    if chosen:
        used.update(chosen)
        columns["category"] = chosen[0] if len(chosen) == 1 else chosen
    props = next(
        (c for n in SYNONYMS["properties"] if (c := by_norm.get(normalize_name(n))) is not None
         and len(c.path) == 1 and c.type.upper().startswith(("STRUCT", "JSON", "MAP"))),
        None,
    )
    if props is not None:
        columns["properties"] = props.name
        used.add(props.name)
    return columns


def _columns_by_content(
    info: SourceInfo, columns: dict[str, str | list[str]], used: set[str]
) -> None:
    """A time column by its values; an event column by its values (mostly names of the funnel's
    events: a file without a header, or an event column named in a language not known here);
    a user column by name fragments (when names found none)."""
    if "event_type" not in columns:
        found = next((c for c in info.columns if c.name not in used and len(c.path) == 1
                      and _is_text(c) and _holds_event_names(c)), None)
        if found is not None:
            columns["event_type"] = found.name
            used.add(found.name)
    if "event_time" not in columns:
        # Not a field of an array's elements (their samples are the elements'): one per row.
        found = next((c for c in info.columns if c.name not in used and "child" not in c.path
                      and _looks_like_time(c)), None)
        if found is not None:
            columns["event_time"] = found.name
            used.add(found.name)
    if "user_id" not in columns:
        found = next(
            (c for c in info.columns if c.name not in used
             and any(k in normalize_name(c.name) for k in ("user", "visitor", "customer", "client"))),
            None,
        )
        if found is not None:
            columns["user_id"] = found.name
            used.add(found.name)


def _holds_event_names(col: SourceColumn) -> bool:
    """Whether most sampled values are names the vocabulary knows as funnel events (a view,
    a cart, a purchase …), at least two of them different."""
    from shoplytics_desktop.core.ingest.eventnames import _by_rules, normalize

    values = [v for v in col.samples if v.strip()]
    known = [v for v in values if _by_rules(normalize(v)) not in (None, "other")]
    return len(set(known)) >= 2 and len(known) * 2 > len(values)


def _proposed_time_format(info: SourceInfo, time_src: str | list[str] | None) -> str:
    tcol = info.column(time_src) if isinstance(time_src, str) else None
    if tcol is not None and not is_numeric_type(tcol.read_type or tcol.type) and tcol.samples and all(
        _EPOCH.match(s) for s in tcol.samples
    ):
        # Told apart by magnitude row by row anyway; naming the unit makes the saved mapping
        # clear. Samples of two units name none (proposal.py checks the whole column).
        units = {_epoch_unit(float(s)) for s in tcol.samples}
        return units.pop() if len(units) == 1 else AUTO
    if tcol is not None and _is_text(tcol):
        return guess_format(tcol.samples) or AUTO  # 12/1/2010 8:26 and the like
    return AUTO


def _epoch_unit(value: float) -> str:
    """The unit of an epoch number by its magnitude (as timeparse.epoch_by_magnitude)."""
    v = abs(value)
    return "epoch_s" if v < 1e11 else "epoch_ms" if v < 1e14 else "epoch_us" if v < 1e17 \
        else "epoch_ns"


def _is_nested_type(sql_type: str) -> bool:
    t = sql_type.upper()
    return t.startswith(("STRUCT", "MAP")) or t.endswith("]")


def _claimed_parent(col: SourceColumn, used: set[str]) -> bool:
    return len(col.path) > 1 and col.path[0] in used


def missing_required(mapping: Mapping) -> list[str]:
    """Required fields with neither a source column nor (the event name) a default."""
    return [
        f for f in contract.REQUIRED_SOURCE_COLUMNS
        if f not in mapping.columns and not (f == "event_type" and mapping.defaults.event_name)
    ]


def _roots(ref: str, names: set[str]) -> set[str]:
    try:
        return refs.roots(ref, names)
    except ValueError as e:
        raise ImportError_(
            f"The mapping's source {ref!r} is not a column name or reference ({e}).",
            "Write a column name, a path such as device.category, or hash(column).",
        ) from e


def _is_text(col: SourceColumn) -> bool:
    return (col.read_type or col.type).upper().startswith("VARCHAR")


def check_mapping(mapping: Mapping, info: SourceInfo) -> None:
    """Every mapped source column exists, and the contract's required fields are mapped."""
    names = {c.name for c in info.columns}
    seen = ", ".join(c.name for c in info.columns if len(c.path) == 1)
    where = info.display_name
    unknown = sorted(
        r for c in mapping.used_columns() for r in _roots(c, names) if r not in names
    )
    if unknown:
        raise ImportError_(
            f"The mapping names columns that {where} does not have: {', '.join(unknown)} "
            f"(columns seen: {seen}).",
            "Fix the mapping file, or check that the right file was chosen.",
        )
    missing = missing_required(mapping)
    if missing:
        labels = {"event_time": "time", "event_type": "event name", "user_id": "user"}
        what = ", ".join(f"{labels.get(m, m)} ({m})" for m in missing)
        hint = "Map them with --mapping FILE (see --save-mapping for a starting point)."
        if info.format == "csv" and not info.header and not info.names:
            hint = ("The file has no header row: write the proposal with --save-mapping FILE, "
                    "map each field to its column (column0, column1 … in the file's order) and "
                    "import with --mapping FILE; or add a header line to the file.")
        elif len([c for c in info.columns if len(c.path) == 1]) == 1 and info.format == "csv":
            hint = (
                "The whole header was read as one column: the file probably uses another "
                "delimiter; set source.delimiter in a mapping file, or " + hint[0].lower() + hint[1:]
            )
        raise ImportError_(
            f"No column for {what} could be found in {where} (columns seen: {seen}).", hint
        )


def source_options(
    info: SourceInfo, decimal: Literal[".", ","] | None = None
) -> SourceOptions:
    """How to read a source as detected: its format, CSV dialect and encoding, with a header.
    ``decimal``: a vendor's known decimal point (None: settled from the values)."""
    fmt = info.format if info.format in ("csv", "json", "ndjson", "parquet") else "auto"
    return SourceOptions(
        format=fmt,  # type: ignore[arg-type]
        delimiter=info.delimiter,
        quote=info.quote,
        escape=info.escape,
        header=info.header,
        encoding=info.encoding,  # type: ignore[arg-type]
        decimal=decimal,
    )
