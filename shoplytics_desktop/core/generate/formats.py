"""File formats ``write_files`` can produce, with their extensions."""

FORMATS = {"parquet": ".parquet", "csv": ".csv", "ndjson": ".ndjson"}
