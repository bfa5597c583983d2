"""Generated events written in a vendor's export shape, to import with that vendor's preset.

The same shop's behaviour in the files real tools write (``SHAPES``): Google Analytics 4's
BigQuery export (one JSON object per event, its parameters a key/value array, its products an
``items`` array, times in microseconds as digit strings, countries as names), Segment's track
calls, Amplitude's and Mixpanel's event exports, Shopify's orders export (a CSV line per line
item, the order's fields on its first line only) and its web pixel's customer events, Snowplow's
atomic events as a warehouse exports them and as the pipeline's enriched TSV, and invoice-line
CSVs. Importing such a file with its preset must give the events it was written from, up to what
the shape has no room for (event ids, sessions where a tool has none or numbers them its own
way, everything but the orders in an orders export): benchmarks measure the presets on realistic
data this way, and tests compare the models of both.

Each shape is an SQL query over a relation with the contract's event columns, written by DuckDB's
``COPY``; nothing is held in Python.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb

from shoplytics_desktop.core.sqlutil import lookup_sql, quote_literal

#: A product as most vendors list an order's products (Segment's, Amplitude's and Mixpanel's
#: ``products``, Segment's warehouse JSON): SQL over a line's columns.
_ITEM = ("{'product_id': product_id, 'name': 'Product ' || product_id, 'price': "
         "CAST(price AS DOUBLE), 'quantity': quantity, 'category': category, 'brand': brand}")
#: The page an event happened on: the product's, else the home page.
_PAGE = "'https://shop.example/' || coalesce('p/' || product_id, '')"


def _lookup(table: dict[str, str], key_sql: str) -> str:
    """The text ``table`` gives the value of ``key_sql`` (NULL for another value)."""
    return lookup_sql(((k, quote_literal(v)) for k, v in table.items()), key_sql)


def _country_name(code: str) -> str:
    from shoplytics_desktop.core.ingest.countries import names_by_code

    return f"coalesce({_lookup(names_by_code(), code)}, '(not set)')"


def _param(key: str, kind: str, value: str) -> str:
    """One entry of GA4's ``event_params``: all four value fields, the unused ones null."""
    fields = {"string_value": "NULL::VARCHAR", "int_value": "NULL::VARCHAR",
              "float_value": "NULL::DOUBLE", "double_value": "NULL::DOUBLE"}
    fields[kind] = value
    inner = ", ".join(f"'{k}': {v}" for k, v in fields.items())
    return f"{{'key': '{key}', 'value': {{{inner}}}}}"


def _grouped(events: str, item: str) -> str:
    """CTEs ending in ``grouped``: the events of relation ``events`` as a vendor's messages. An
    order's lines at one instant are one purchase (or refund) message with an item each (``item``,
    a struct over a line's columns); every other event is a message of its own, its product's
    fields kept (of its one row). ``session_start``: the epoch second its session
    started (GA4's session number, Amplitude's in milliseconds)."""
    one_event = "event_type IN ('purchase', 'refund') AND order_id IS NOT NULL"
    return f"""
        WITH e AS (
            SELECT *,
                CASE WHEN session_id IS NOT NULL THEN
                    epoch(min(event_time) OVER (PARTITION BY user_id, session_id))::BIGINT
                END AS session_start,
                CASE WHEN NOT ({one_event}) THEN row_number() OVER () END AS single
            FROM {events}
        ),
        grouped AS (
            SELECT
                user_id, session_id, session_start, event_time, event_type, event_name, device,
                country, traffic_source, currency, order_id, single,
                coalesce(list({item} ORDER BY product_id, price, quantity)
                    FILTER (WHERE product_id IS NOT NULL), []) AS items,
                CAST(sum(price * quantity) AS DOUBLE) AS value,
                min(event_id) AS event_id,
                min(product_id) AS product_id,
                any_value(price) AS price,
                any_value(quantity) AS quantity,
                any_value(category) AS category,
                any_value(brand) AS brand
            FROM e
            GROUP BY user_id, session_id, session_start, event_time, event_type, event_name,
                device, country, traffic_source, currency, order_id, single
        )"""


def ga4_sql(events: str) -> str:
    """GA4's BigQuery export (``events_YYYYMMDD``) of the events of relation ``events``: one
    object per event, times in microseconds, the session a number per user (its start),
    countries as names."""
    session = _param("ga_session_id", "int_value", "CAST(session_start AS VARCHAR)")
    page = _param("page_location", "string_value", _PAGE)
    money = _param("currency", "string_value", "currency")
    params = (f"CASE WHEN session_id IS NULL THEN [] ELSE [{session}] END || [{page}] || "
              f"CASE WHEN currency IS NULL THEN [] ELSE [{money}] END")
    item = ("{'item_id': product_id, 'item_name': 'Product ' || product_id, 'item_brand': brand, "
            "'item_category': category, 'price': CAST(price AS DOUBLE), "
            "'quantity': CAST(quantity AS VARCHAR)}")
    # One in three users signs in: their GA4 user_id is the shop's id and the pseudo id the
    # browser's; the others are known by the pseudo id alone.
    signed_in = "hash(user_id) % 3 = 0"
    return f"""{_grouped(events, item)}
        SELECT
            strftime(event_time, '%Y%m%d') AS event_date,
            CAST(epoch_us(event_time) AS VARCHAR) AS event_timestamp,
            CASE event_type
                WHEN 'product_view' THEN 'view_item'
                WHEN 'search' THEN 'view_search_results'
                WHEN 'other' THEN coalesce(event_name, 'user_engagement')
                ELSE event_type
            END AS event_name,
            {params} AS event_params,
            '4173026543' AS stream_id,
            'WEB' AS platform,
            CASE WHEN {signed_in} THEN user_id END AS user_id,
            CASE WHEN {signed_in} THEN user_id || '.pseudo' ELSE user_id END AS user_pseudo_id,
            {{'category': device, 'operating_system': NULL::VARCHAR}} AS device,
            {{'country': {_country_name('country')}, 'city': NULL::VARCHAR}} AS geo,
            {{'manual_medium': traffic_source, 'manual_source': NULL::VARCHAR}}
                AS collected_traffic_source,
            CASE WHEN event_type IN ('purchase', 'refund') THEN {{
                'transaction_id': coalesce(order_id, '(not set)'),
                'purchase_revenue': CASE WHEN event_type = 'purchase' THEN value END,
                'refund_value': CASE WHEN event_type = 'refund' THEN value END
            }} END AS ecommerce,
            items
        FROM grouped
        ORDER BY event_time, user_pseudo_id, grouped.event_id
    """


#: The e-commerce spec's event names (v2) of the contract's event types.
_SEGMENT_EVENTS = {
    "product_view": "Product Viewed", "search": "Products Searched",
    "add_to_cart": "Product Added", "remove_from_cart": "Product Removed",
    "begin_checkout": "Checkout Started", "purchase": "Order Completed",
    "refund": "Order Refunded",
}


def segment_sql(events: str) -> str:
    """Segment's track and page calls (its S3 / warehouse JSON) of the events of relation
    ``events``: page views as ``page`` calls, the rest as ``track`` calls named by the e-commerce
    spec, an order's lines in ``properties.products``; no session (Segment has none), so a
    session is the timeout rule's."""
    ts = "strftime(event_time, '%Y-%m-%dT%H:%M:%S.%gZ')"
    return f"""{_grouped(events, _ITEM)}
        SELECT
            'anon-' || user_id AS anonymousId,
            -- Segment leaves out what a call does not have: no nulls in its objects.
            {{'library': {{'name': 'analytics.js', 'version': '2.11.1'}},
              'device': {{'type': device}},
              'campaign': {{'medium': traffic_source, 'source': NULL::VARCHAR}},
              'location': {{'country': {_country_name('country')}}}}} AS context,
            event_id AS messageId,
            {ts} AS originalTimestamp,
            {ts} AS receivedAt,
            {ts} AS sentAt,
            {ts} AS timestamp,
            CASE WHEN event_type = 'page_view' THEN 'page' ELSE 'track' END AS type,
            user_id AS userId,
            CASE WHEN event_type = 'page_view' THEN NULL
                ELSE {_names(_SEGMENT_EVENTS)} END AS event,
            json_strip_nulls(to_json(CASE
                WHEN event_type IN ('purchase', 'refund') THEN {{
                    'order_id': order_id, 'revenue': value, 'currency': currency,
                    'products': items, 'product_id': NULL::VARCHAR, 'price': NULL::DOUBLE,
                    'quantity': NULL::INTEGER, 'category': NULL::VARCHAR, 'brand': NULL::VARCHAR}}
                ELSE {{
                    'order_id': NULL::VARCHAR, 'revenue': NULL::DOUBLE, 'currency': currency,
                    'products': NULL, 'product_id': product_id, 'price': CAST(price AS DOUBLE),
                    'quantity': CASE WHEN product_id IS NOT NULL THEN quantity END,
                    'category': category, 'brand': brand}}
            END)) AS properties
        FROM grouped
        ORDER BY event_time, userId, messageId
    """


def shopify_sql(events: str) -> str:
    """Shopify's orders export (Orders → Export, CSV) of the purchases of relation ``events``: a
    line per line item, newest order first, the order's fields on its first line only; the
    customer an e-mail address; the order's refund events summed into its ``Refunded Amount``.
    Nothing else of the shop's behaviour is in it: no views, carts, sessions, devices or sources."""
    money = "printf('%.2f', {})"
    first = "CASE WHEN l.line_no = 1 THEN {} END"
    order_level = {
        "Email": "o.user_id || '@example.com'",
        "Financial Status": ("CASE WHEN r.refunded >= o.subtotal THEN 'refunded' "
                             "WHEN r.refunded > 0 THEN 'partially_refunded' ELSE 'paid' END"),
        "Paid at": "o.created_at",
        "Fulfillment Status": "'fulfilled'",
        "Accepts Marketing": "'no'",
        "Currency": "coalesce(o.currency, 'USD')",
        "Subtotal": money.format("o.subtotal"),
        "Shipping": "'0.00'",
        "Taxes": "'0.00'",
        "Total": money.format("o.subtotal"),
        "Discount Code": "NULL",
        "Discount Amount": "'0.00'",
        "Shipping Method": "'Standard'",
        "Created at": "o.created_at",
        "Billing Country": "nullif(o.country, 'XX')",
        "Payment Method": "'Shopify Payments'",
        "Refunded Amount": money.format("coalesce(r.refunded, 0)"),
        "Outstanding Balance": "'0.00'",
        "Id": "CAST(5550000000 + o.order_no AS VARCHAR)",
        "Source": "'web'",
    }
    line_level = {
        "Lineitem quantity": "l.quantity",
        "Lineitem name": "'Product ' || l.product_id",
        "Lineitem price": money.format("l.price"),
        "Lineitem sku": "l.product_id",
        "Lineitem requires shipping": "'true'",
        "Vendor": "l.brand",
        "Lineitem discount": "'0.00'",
    }
    columns = ",\n            ".join(
        ['l.order_id AS "Name"']
        + [f'{first.format(v)} AS "{k}"' for k, v in order_level.items()]
        + [f'{v} AS "{k}"' for k, v in line_level.items()]
    )
    return f"""
        WITH lines AS (
            SELECT *, row_number() OVER (PARTITION BY order_id
                ORDER BY event_time, product_id, price, quantity, event_id) AS line_no
            FROM {events}
            WHERE event_type = 'purchase' AND order_id IS NOT NULL
        ),
        orders AS (
            SELECT order_id, any_value(user_id) AS user_id,
                strftime(min(event_time), '%Y-%m-%d %H:%M:%S +0000') AS created_at,
                min(event_time) AS created, sum(price * quantity) AS subtotal,
                any_value(currency) AS currency, any_value(country) AS country,
                row_number() OVER (ORDER BY min(event_time), order_id) AS order_no
            FROM lines
            GROUP BY order_id
        ),
        refunds AS (
            SELECT order_id, sum(price * quantity) AS refunded
            FROM {events}
            WHERE event_type = 'refund' AND order_id IS NOT NULL
            GROUP BY order_id
        )
        SELECT
            {columns}
        FROM lines AS l
        JOIN orders AS o USING (order_id)
        LEFT JOIN refunds AS r USING (order_id)
        ORDER BY o.created DESC, o.order_id, l.line_no
    """


#: Amplitude's and Mixpanel's event names (as their e-commerce guidance and autocapture name
#: them) of the contract's event types.
_AMPLITUDE_EVENTS = {
    "page_view": "[Amplitude] Page Viewed", "product_view": "Product Viewed", "search": "Search",
    "add_to_cart": "Product Added", "remove_from_cart": "Product Removed",
    "begin_checkout": "Checkout Started", "purchase": "Order Completed",
    "refund": "Order Refunded",
}
_MIXPANEL_EVENTS = {
    "page_view": "$mp_web_page_view", "product_view": "Product Viewed", "search": "Search",
    "add_to_cart": "Add to Cart", "remove_from_cart": "Remove from Cart",
    "begin_checkout": "Checkout Started", "purchase": "Purchase", "refund": "Refund",
}


def _names(table: dict[str, str]) -> str:
    """An event's name in a vendor's ``table`` of names by type, else its own."""
    return f"coalesce({_lookup(table, 'event_type')}, event_name, event_type)"


#: An event's own product fields, or an order's (Amplitude's and Mixpanel's properties).
_PRODUCT_PROPERTIES = """CASE
                WHEN event_type IN ('purchase', 'refund') THEN {
                    'order_id': order_id, 'revenue': value, 'currency': currency,
                    'products': items}
                ELSE {'productId': product_id, 'price': CAST(price AS DOUBLE),
                    'quantity': CASE WHEN product_id IS NOT NULL THEN quantity END,
                    'category': category, 'brand': brand, 'currency': currency}
            END"""


def amplitude_sql(events: str) -> str:
    """Amplitude's export (Export API / S3: one JSON event per line) of the events of relation
    ``events``: ``event_time`` as text to the microsecond, the session its start in epoch
    milliseconds (-1 outside one), a row's uuid, the device as Amplitude names it, countries as
    names, the medium a user property, an order's products in ``event_properties.products``."""
    return f"""{_grouped(events, _ITEM)}
        SELECT
            event_id AS "$insert_id",
            {_uuid('grouped.event_id')} AS uuid,
            hash(user_id) % 1000000000 AS amplitude_id,
            'dev-' || user_id AS device_id,
            user_id,
            {_names(_AMPLITUDE_EVENTS)} AS event_type,
            strftime(event_time, '%Y-%m-%d %H:%M:%S.%f') AS event_time,
            coalesce(session_start * 1000, -1) AS session_id,
            {_country_name('country')} AS country,
            'Web' AS platform,
            CASE device WHEN 'mobile' THEN 'Apple iPhone 14' WHEN 'tablet' THEN 'Apple iPad Air'
                WHEN 'desktop' THEN 'Mac' END AS device_type,
            CASE device WHEN 'desktop' THEN 'Chrome' ELSE 'ios' END AS os_name,
            json_strip_nulls(to_json({_PRODUCT_PROPERTIES})) AS event_properties,
            json_strip_nulls(to_json({{'utm_medium': traffic_source}})) AS user_properties
        FROM grouped
        ORDER BY event_time, user_id, grouped.event_id
    """


def mixpanel_sql(events: str) -> str:
    """Mixpanel's raw export (``{{"event": …, "properties": {{…}}}}`` per line) of the events of
    relation ``events``: time in epoch seconds, no session (Mixpanel has none, so a session is
    the timeout rule's), the device from ``$device`` and ``$os``, a country code, an order's
    products in ``properties.products``."""
    return f"""{_grouped(events, _ITEM)}
        SELECT
            {_names(_MIXPANEL_EVENTS)} AS event,
            json_strip_nulls(json_merge_patch(to_json({{
                'time': epoch(event_time)::BIGINT,
                'distinct_id': user_id,
                '$user_id': user_id,
                '$device_id': 'd-' || user_id,
                '$insert_id': event_id,
                'mp_country_code': nullif(country, 'XX'),
                '$device': CASE device WHEN 'mobile' THEN 'iPhone' WHEN 'tablet' THEN 'iPad' END,
                '$os': CASE device WHEN 'desktop' THEN 'Windows' ELSE 'iOS' END,
                'utm_medium': traffic_source}}), to_json({_PRODUCT_PROPERTIES}))) AS properties
        FROM grouped
        ORDER BY event_time, user_id, grouped.event_id
    """


_IGLU = "iglu:com.snowplowanalytics.snowplow.ecommerce"


def _uuid(text: str) -> str:
    """A UUID-shaped id from a text (Snowplow's event and session ids are UUIDs)."""
    h = f"md5({text})"
    return (f"substr({h}, 1, 8) || '-' || substr({h}, 9, 4) || '-4' || substr({h}, 14, 3) "
            f"|| '-8' || substr({h}, 18, 3) || '-' || substr({h}, 21, 12)")


def _snowplow_entities() -> dict[str, str]:
    """The e-commerce entities of an event (SQL over ``grouped``), by Snowplow's warehouse
    column: the action, the products, the transaction or refund, and YAUAA's device class."""
    product = ("{'id': product_id, 'name': 'Product ' || product_id, 'category': category, "
               "'price': CAST(price AS DOUBLE), 'quantity': quantity, 'currency': currency, "
               "'brand': brand}")
    action = ("CASE event_type WHEN 'purchase' THEN 'transaction' "
              "WHEN 'begin_checkout' THEN 'checkout_step' ELSE event_type END")
    return {
        "action": (f"CASE WHEN event_type IN ('product_view', 'add_to_cart', 'remove_from_cart', "
                   f"'begin_checkout', 'purchase', 'refund') THEN {{'type': {action}}} END"),
        "products": (f"CASE WHEN event_type IN ('purchase', 'refund') THEN items "
                     f"WHEN product_id IS NOT NULL THEN [{product}] END"),
        "transaction": ("CASE WHEN event_type = 'purchase' THEN [{'transaction_id': order_id, "
                        "'revenue': value, 'currency': currency, 'payment_method': 'card', "
                        "'total_quantity': CAST(len(items) AS INTEGER)}] END"),
        "refund": ("CASE WHEN event_type = 'refund' THEN [{'transaction_id': order_id, "
                   "'currency': currency, 'refund_amount': value}] END"),
        "device": ("[{'deviceClass': CASE device WHEN 'mobile' THEN 'Phone' WHEN 'tablet' "
                   "THEN 'Tablet' WHEN 'desktop' THEN 'Desktop' ELSE 'Unknown' END}]"),
        "product": product,
    }


def _snowplow_atomic() -> dict[str, str]:
    """The atomic fields of an event (SQL over ``grouped``)."""
    ts = "strftime(event_time, '%Y-%m-%d %H:%M:%S.%g')"
    name = ("CASE WHEN event_type = 'page_view' THEN 'page_view' "
            "WHEN event_type = 'search' THEN 'site_search' "
            "WHEN event_type = 'other' THEN coalesce(event_name, 'page_ping') "
            "ELSE 'snowplow_ecommerce_action' END")
    return {
        "app_id": "'shop'", "platform": "'web'", "etl_tstamp": ts, "collector_tstamp": ts,
        "dvce_created_tstamp": ts,
        "event": "CASE WHEN event_type = 'page_view' THEN 'page_view' ELSE 'unstruct' END",
        "event_id": _uuid("event_id"), "name_tracker": "'sp'", "v_tracker": "'js-3.23.0'",
        "user_id": "user_id", "domain_userid": "'d-' || user_id", "domain_sessionidx": "1",
        "network_userid": "'n-' || user_id", "geo_country": "nullif(country, 'XX')",
        "page_url": _PAGE,
        "mkt_medium": "traffic_source", "domain_sessionid": f"{_uuid('session_id')}",
        "derived_tstamp": ts,
        "event_vendor": ("CASE WHEN event_type IN ('page_view', 'search', 'other') "
                         "THEN 'com.snowplowanalytics.snowplow' ELSE "
                         "'com.snowplowanalytics.snowplow.ecommerce' END"),
        "event_name": name, "event_format": "'jsonschema'", "event_version": "'1-0-0'",
    }


def snowplow_sql(events: str) -> str:
    """Snowplow's ``atomic.events`` as a warehouse exports it (Snowflake: upper-case names, the
    self-describing entities each a column of JSON text) of the events of relation ``events``:
    the e-commerce plugin's action event, product / transaction / refund entities, YAUAA's
    device class, UUID event and session ids."""
    ent = _snowplow_entities()
    base = "COM_SNOWPLOWANALYTICS_SNOWPLOW_ECOMMERCE"
    columns = [f'{v} AS "{k.upper()}"' for k, v in _snowplow_atomic().items()] + [
        f'CAST(to_json({ent["action"]}) AS VARCHAR) AS '
        f'"UNSTRUCT_EVENT_{base}_SNOWPLOW_ECOMMERCE_ACTION_1"',
        f'CAST(to_json({ent["products"]}) AS VARCHAR) AS "CONTEXTS_{base}_PRODUCT_1"',
        f'CAST(to_json({ent["transaction"]}) AS VARCHAR) AS "CONTEXTS_{base}_TRANSACTION_1"',
        f'CAST(to_json({ent["refund"]}) AS VARCHAR) AS "CONTEXTS_{base}_REFUND_1"',
        f'CAST(to_json({ent["device"]}) AS VARCHAR) AS "CONTEXTS_NL_BASJES_YAUAA_CONTEXT_1"',
    ]
    listed = ",\n            ".join(columns)
    return f"""{_grouped(events, ent['product'])}
        SELECT
            {listed}
        FROM grouped
        ORDER BY event_time, user_id, grouped.event_id
    """


def snowplow_enriched_sql(events: str) -> str:
    """Snowplow's enriched events as the pipeline writes them to S3 (a TSV without a header,
    the 131 canonical fields, every entity in the self-describing JSON of ``contexts``,
    ``unstruct_event`` and ``derived_contexts``) of the events of relation ``events``."""
    from shoplytics_desktop.core.ingest.presets.snowplow import FIELDS

    ent = _snowplow_entities()
    product = f"{{'schema': '{_IGLU}/product/jsonschema/1-0-0', 'data': p}}"
    one = "{{'schema': '{0}/{1}/jsonschema/1-0-0', 'data': ({2})[1]}}"
    contexts = (
        "{'schema': 'iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0', 'data': "
        f"coalesce(list_transform({ent['products']}, lambda p: {product}), []) || "
        f"CASE WHEN event_type = 'purchase' THEN [{one.format(_IGLU, 'transaction', ent['transaction'])}] "
        f"WHEN event_type = 'refund' THEN [{one.format(_IGLU, 'refund', ent['refund'])}] "
        "ELSE [] END}"
    )
    unstruct = (
        "CASE WHEN event_type = 'search' THEN json_object('schema', "
        "'iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0', 'data', "
        "json_object('schema', 'iglu:com.snowplowanalytics.snowplow/site_search/jsonschema/1-0-0',"
        " 'data', json_object('terms', ['shoes'])))"
        f" WHEN ({ent['action']}) IS NOT NULL THEN to_json({{'schema': "
        "'iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0', 'data': "
        f"{{'schema': '{_IGLU}/snowplow_ecommerce_action/jsonschema/1-0-2', "
        f"'data': {ent['action']}}}}}) END"
    )
    derived = ("to_json({'schema': 'iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/"
               "1-0-1', 'data': [{'schema': 'iglu:nl.basjes/yauaa_context/jsonschema/1-0-4', "
               f"'data': ({ent['device']})[1]}}]}})")
    fields = dict(_snowplow_atomic())
    fields["contexts"] = f"json_strip_nulls(to_json({contexts}))"
    fields["unstruct_event"] = f"json_strip_nulls({unstruct})"
    fields["derived_contexts"] = derived
    listed = ",\n            ".join(
        f"CAST({fields[f]} AS VARCHAR) AS {f}" if f in fields else f"NULL::VARCHAR AS {f}"
        for f in FIELDS)
    return f"""{_grouped(events, ent['product'])}
        SELECT
            {listed}
        FROM grouped
        ORDER BY event_time, user_id, grouped.event_id
    """


#: The web pixel's standard event names of the contract's event types.
_PIXEL_EVENTS = {
    "page_view": "page_viewed", "product_view": "product_viewed", "search": "search_submitted",
    "add_to_cart": "product_added_to_cart", "remove_from_cart": "product_removed_from_cart",
    "begin_checkout": "checkout_started", "purchase": "checkout_completed",
}
_USER_AGENTS = {
    "mobile": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
              "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "tablet": "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
              "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "desktop": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like "
               "Gecko) Chrome/124.0 Safari/537.36",
}


def shopify_events_sql(events: str) -> str:
    """Shopify's customer events (what a web pixel receives, one JSON event per line) of the
    events of relation ``events``: the client id as the only user id, the product as a variant
    (price with its currency, product type and vendor), cart lines, a completed checkout's line
    items. No session, country, traffic source or refund: a pixel has none."""
    variant = ("{'id': 'v-' || product_id, 'sku': product_id, 'price': {'amount': "
               "CAST(price AS DOUBLE), 'currencyCode': currency}, 'product': {'id': product_id, "
               "'title': 'Product ' || product_id, 'type': category, 'vendor': brand}}")
    line = (f"{{'quantity': quantity, 'variant': {variant}, 'finalLinePrice': "
            "{'amount': CAST(price * quantity AS DOUBLE), 'currencyCode': currency}}")
    data = f"""CASE
                WHEN event_type = 'product_view' THEN to_json({{'productVariant': {variant}}})
                WHEN event_type IN ('add_to_cart', 'remove_from_cart') THEN to_json(
                    {{'cartLine': {{'quantity': quantity, 'merchandise': {variant}}}}})
                WHEN event_type = 'search' THEN to_json({{'searchResult': {{'query': 'shoes'}}}})
                WHEN event_type = 'begin_checkout' THEN to_json(
                    {{'checkout': {{'currencyCode': currency}}}})
                WHEN event_type = 'purchase' THEN to_json({{'checkout': {{
                    'currencyCode': currency, 'lineItems': items,
                    'totalPrice': {{'amount': value, 'currencyCode': currency}},
                    'order': {{'id': order_id}}}}}})
                ELSE to_json({{}})
            END"""
    return f"""{_grouped(events, line)}
        SELECT
            event_id AS id,
            user_id AS clientId,
            {_names(_PIXEL_EVENTS)} AS name,
            row_number() OVER (PARTITION BY user_id ORDER BY event_time, event_id) AS seq,
            strftime(event_time, '%Y-%m-%dT%H:%M:%S.%gZ') AS timestamp,
            'standard' AS type,
            {{'document': {{'location': {{'href': 'https://shop.example/'}}}},
              'navigator': {{'language': 'en-US', 'userAgent': {_lookup(_USER_AGENTS, 'device')}}}}}
                AS context,
            json_strip_nulls({data}) AS data
        FROM grouped
        WHERE event_type <> 'refund'
        ORDER BY event_time, user_id, grouped.event_id
    """


def online_retail_sql(events: str) -> str:
    """An invoice-line CSV in the shape of Online Retail II (``Invoice``, ``StockCode``,
    ``Description``, ``Quantity``, ``InvoiceDate`` as ISO text, ``Price``, ``Customer ID``,
    ``Country`` as a name; and a ``Currency``) of the purchases and refunds of relation
    ``events``: a refund is a cancellation invoice (``C`` and the order's number) with a
    negative quantity."""
    return f"""
        SELECT
            CASE WHEN event_type = 'refund' THEN 'C' || order_id ELSE order_id END AS "Invoice",
            product_id AS "StockCode",
            upper('Product ' || product_id) AS "Description",
            CASE WHEN event_type = 'refund' THEN -quantity ELSE quantity END AS "Quantity",
            strftime(event_time, '%Y-%m-%d %H:%M:%S') AS "InvoiceDate",
            printf('%.2f', price) AS "Price",
            user_id AS "Customer ID",
            {_country_name('country')} AS "Country",
            currency AS "Currency"
        FROM {events}
        WHERE event_type IN ('purchase', 'refund') AND order_id IS NOT NULL
            AND product_id IS NOT NULL
        ORDER BY event_time, "Invoice", product_id, event_id
    """


#: Segment's warehouse tables of the contract's event types: the table, and its own columns
#: (SQL over ``grouped``); every table also has the common columns (``_warehouse_common``).
_WAREHOUSE_PRODUCT = {
    "product_id": "product_id", "sku": "product_id", "name": "'Product ' || product_id",
    "category": "category", "brand": "brand", "price": "CAST(price AS DOUBLE)",
    "quantity": "quantity", "currency": "currency",
}
_WAREHOUSE_TABLES: dict[str, tuple[str, dict[str, str]]] = {
    "product_view": ("product_viewed", _WAREHOUSE_PRODUCT),
    "add_to_cart": ("product_added", _WAREHOUSE_PRODUCT),
    "remove_from_cart": ("product_removed", _WAREHOUSE_PRODUCT),
    "search": ("products_searched", {"query": "'shoes'"}),
    "begin_checkout": ("checkout_started", {"currency": "currency"}),
    "purchase": ("order_completed", {
        "order_id": "order_id", "revenue": "value", "currency": "currency",
        "products": "CAST(to_json(items) AS VARCHAR)"}),
    "refund": ("order_refunded", {
        "order_id": "order_id", "total": "value", "currency": "currency",
        "products": "CAST(to_json(items) AS VARCHAR)"}),
}


def _warehouse_common() -> dict[str, str]:
    ts = "strftime(event_time, '%Y-%m-%d %H:%M:%S.%f') || ' UTC'"
    return {
        "id": "event_id", "received_at": ts, "uuid_ts": ts, "anonymous_id": "'anon-' || user_id",
        "user_id": "user_id", "context_library_name": "'analytics.js'",
        "context_page_url": _PAGE,
        "context_user_agent": _lookup(_USER_AGENTS, "device"), "context_campaign_medium": "traffic_source",
        "context_location_country": _country_name("country"), "original_timestamp": ts,
        "sent_at": ts, "timestamp": ts,
    }


def write_segment_warehouse(con: duckdb.DuckDBPyConnection, events: str, folder: Path) -> Path:
    """Segment's warehouse tables of the events of relation ``events``, exported as CSV files
    into ``folder``: ``pages``, ``tracks`` (every track call, its name snake case in ``event``
    and as sent in ``event_text``) and a table per event with its properties as columns (an
    order's products as JSON text); no session (Segment has none)."""
    folder.mkdir(parents=True, exist_ok=True)
    con.execute(f"CREATE OR REPLACE TEMP TABLE __vendor_messages AS {_grouped(events, _ITEM)} "
                "SELECT * FROM grouped")
    common = _warehouse_common()

    def write(name: str, columns: dict[str, str], where: str) -> None:
        listed = ", ".join(f'{v} AS "{k}"' for k, v in columns.items())
        target = quote_literal(str(folder / f"{name}.csv"))
        con.execute(f"COPY (SELECT {listed} FROM __vendor_messages WHERE {where} "
                    f"ORDER BY event_time, user_id, event_id) TO {target} (FORMAT csv, HEADER)")

    try:
        write("pages", {**common, "name": "'Home'", "path": "'/'",
                        "url": "'https://shop.example/'", "title": "'Shop'"},
              "event_type = 'page_view'")
        snake = {k: table for k, (table, _) in _WAREHOUSE_TABLES.items()}
        write("tracks", {**common, "event": _lookup(snake, "event_type"),
                         "event_text": _lookup(_SEGMENT_EVENTS, "event_type")},
              f"event_type IN ({', '.join(quote_literal(k) for k in _WAREHOUSE_TABLES)})")
        for kind, (table, own) in _WAREHOUSE_TABLES.items():
            write(table, {**common, "event": quote_literal(table),
                          "event_text": quote_literal(_SEGMENT_EVENTS[kind]), **own},
                  f"event_type = {quote_literal(kind)}")
    finally:
        con.execute("DROP TABLE IF EXISTS __vendor_messages")
    return folder


#: shape → (its SQL over a relation of contract events, the COPY options, the file suffix); the
#: shapes are ``formats.VENDOR_FILES``.
SHAPES: dict[str, tuple[Callable[[str], str], str, str]] = {
    "ga4": (ga4_sql, "FORMAT json", ".ndjson"),
    "segment": (segment_sql, "FORMAT json", ".ndjson"),
    "shopify": (shopify_sql, "FORMAT csv, HEADER true", ".csv"),
    "amplitude": (amplitude_sql, "FORMAT json", ".json"),
    "mixpanel": (mixpanel_sql, "FORMAT json", ".json"),
    "shopify_events": (shopify_events_sql, "FORMAT json", ".jsonl"),
    "online_retail": (online_retail_sql, "FORMAT csv, HEADER true", ".csv"),
    "snowplow": (snowplow_sql, "FORMAT csv, HEADER true", ".csv"),
    # No header and no quoting: a quote that never occurs, so JSON's quotes are written as they
    # are (the enriched format escapes nothing; its fields hold no tabs or line breaks).
    "snowplow_enriched": (snowplow_enriched_sql,
                          "FORMAT csv, HEADER false, DELIMITER '\t', QUOTE '\x01', ESCAPE '\x01'",
                          ".tsv"),
}


#: Shapes written as a folder of files (shape → its writer); the command line writes files only.
FOLDERS: dict[str, Callable[[duckdb.DuckDBPyConnection, str, Path], Path]] = {
    "segment_warehouse": write_segment_warehouse,
}


def write_vendor_export(con: duckdb.DuckDBPyConnection, events: str, shape: str,
                        path: Path) -> Path:
    """Write the events of relation ``events`` (the contract's columns) in ``shape`` (one of
    ``SHAPES``, or of ``FOLDERS``: a folder of tables) to ``path``; returns the path."""
    if shape in FOLDERS:
        return FOLDERS[shape](con, events, path)
    sql, options, _ = SHAPES[shape]
    target = quote_literal(str(path))
    con.execute(f"COPY ({sql(events)}) TO {target} ({options})")
    return path
