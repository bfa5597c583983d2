"""Run the model graph on another engine (PostgreSQL, Spark Connect) instead of DuckDB.

No Qt here. The drivers are optional dependencies, imported only when an engine is opened: without
them, opening one is a clear error naming the extra to install.
"""

from shoplytics_desktop.core.engines.base import Engine, EngineError, EngineURL, parse_url

__all__ = ["Engine", "EngineError", "EngineURL", "open_engine", "parse_url"]


def open_engine(url: str | EngineURL, password: str | None = None) -> Engine:
    """Connect to the engine a URL names (postgresql://… or sc://…)."""
    target = parse_url(url) if isinstance(url, str) else url
    if target.kind == "postgres":
        from shoplytics_desktop.core.engines.postgres import PostgresEngine

        return PostgresEngine(target, password)
    from shoplytics_desktop.core.engines.spark import SparkEngine

    return SparkEngine(target)
