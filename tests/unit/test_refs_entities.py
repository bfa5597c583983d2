"""References that vendors' exports need: self-describing entities picked by schema prefix,
the first non-empty of several values, and a device class from device and OS names."""

from __future__ import annotations

import duckdb
import pytest

from shoplytics_desktop.core.ingest import refs
from shoplytics_desktop.core.sqlutil import quote_literal

CONTEXTS = (
    '{"schema":"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0","data":['
    '{"schema":"iglu:com.snowplowanalytics.snowplow/web_page/jsonschema/1-0-0","data":{"id":"w"}},'
    '{"schema":"iglu:com.acme/product/jsonschema/1-0-0","data":{"id":"P1","price":2.5}},'
    '{"schema":"iglu:com.acme/product/jsonschema/1-0-1","data":{"id":"P2","price":4}}]}'
)
UNSTRUCT = ('{"schema":"iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0",'
            '"data":{"schema":"iglu:com.acme/action/jsonschema/1-0-2","data":{"type":"refund"}}}')


def _value(ref: str, explode: str | None = None) -> object:
    scope = refs.Scope([("contexts", "VARCHAR"), ("unstruct_event", "VARCHAR")], explode)
    typed = scope.compile(ref)
    src = (f"SELECT {quote_literal(CONTEXTS)} AS contexts, "
           f"{quote_literal(UNSTRUCT)} AS unstruct_event")
    if explode:
        elements = scope.explode_sql()
        src = f"SELECT *, unnest({elements}) AS {refs.ELEMENT} FROM ({src}) src"
    rows = duckdb.sql(f"SELECT CAST({typed.sql} AS VARCHAR) FROM ({src}) src").fetchall()
    return [r[0] for r in rows] if explode else rows[0][0]


def test_entities_by_schema_prefix() -> None:
    products = "contexts.data[schema^='iglu:com.acme/product/']"
    assert _value(products + "[0].data.id") == '"P1"'
    assert _value(products + "[].data.id", explode=products) == ['"P1"', '"P2"']
    # One object (an unstructured event's payload) is a list of one.
    assert _value("unstruct_event.data[schema^='iglu:com.acme/action/'][0].data.type") == '"refund"'
    assert _value("unstruct_event.data[schema^='iglu:com.acme/other/'][0].data.type") is None
    assert _value("coalesce(unstruct_event.data.data.missing, contexts.data[1].data.id)") == "P1"


@pytest.mark.parametrize(("args", "expected"), [
    (("'Apple iPad Air'", "'ios'"), "tablet"),
    (("'Apple iPhone 15'",), "mobile"),
    (("NULL", "'Android'"), "mobile"),
    (("'Mac'", "'Chrome'"), "desktop"),
    (("'Windows'",), "desktop"),
    (("'Phone'",), "mobile"),
    (("'Smart TV'",), None),
])
def test_device_class(args: tuple[str, ...], expected: str | None) -> None:
    assert duckdb.sql(f"SELECT {refs.device_class_sql(list(args))}").fetchall() == [(expected,)]


def test_unexploded_reads_a_row_only_where_its_array_gave_no_elements() -> None:
    from shoplytics_desktop.core.errors import ImportError_

    cols = [("items", "STRUCT(price DOUBLE)[]"), ("total", "DOUBLE")]
    scope = refs.Scope(cols, "items")
    typed = scope.compile("unexploded(total)")
    assert typed.type == "DOUBLE"
    rows = duckdb.sql(
        f"SELECT CAST({typed.sql} AS VARCHAR) FROM (SELECT * FROM (VALUES (20.0, 1), (20.0, 2), "
        f"(12.5, NULL)) AS v(total, {refs.ORDINAL})) src"
    ).fetchall()
    assert rows == [(None,), (None,), ("12.5",)]
    # Without an exploded array every row is its own: the value as it is.
    assert refs.Scope(cols, None).compile("unexploded(total)").sql == 'src."total"'
    with pytest.raises(ImportError_, match="takes one reference"):
        scope.compile("unexploded(total, total)")
