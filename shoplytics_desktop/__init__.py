"""Shoplytics Desktop: e-commerce event analytics on an embedded DuckDB."""

__version__ = "0.1.0"
