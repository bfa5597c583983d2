"""File formats ``write_files`` can produce, with their extensions; and the vendors' export
shapes it can write the events in (``generate.vendor``), each one file."""

FORMATS = {"parquet": ".parquet", "csv": ".csv", "ndjson": ".ndjson"}
#: Shape → the file the events are written to (the shape's own name for such a file).
VENDOR_FILES = {"ga4": "ga4_events.ndjson", "segment": "segment_tracks.ndjson",
                "shopify": "shopify_orders_export.csv", "amplitude": "amplitude_export.json",
                "mixpanel": "mixpanel_export.json", "snowplow": "snowplow_atomic_events.csv",
                "snowplow_enriched": "snowplow_enriched.tsv",
                "shopify_events": "shopify_customer_events.jsonl",
                "online_retail": "online_retail_invoices.csv"}


def vendor_preset(shape: str) -> str:
    """The import preset that reads a vendor shape: its own name, but the snowplow preset reads
    both of Snowplow's shapes."""
    return shape.removesuffix("_enriched")
