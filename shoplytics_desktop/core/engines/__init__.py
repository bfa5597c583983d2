"""Run the model graph on another engine (PostgreSQL, Spark Connect) instead of DuckDB.

No Qt here. The drivers are optional dependencies, imported only when an engine is opened: without
them, opening one is a clear error naming the extra to install.
"""

from shoplytics_desktop.core.engines.base import Engine, EngineError, EngineURL, parse_url

__all__ = ["Engine", "EngineError", "EngineURL", "check_connection", "open_engine", "parse_url"]


def open_engine(url: str | EngineURL, password: str | None = None) -> Engine:
    """Connect to the engine a URL names (postgresql://… or sc://…)."""
    target = parse_url(url) if isinstance(url, str) else url
    if password is None and target.password is None:
        from shoplytics_desktop.core.engines.passwords import stored_password

        password = stored_password(target)
    if target.kind == "postgres":
        from shoplytics_desktop.core.engines.postgres import PostgresEngine

        return PostgresEngine(target, password)
    from shoplytics_desktop.core.engines.spark import SparkEngine

    return SparkEngine(target)


def check_connection(url: str | EngineURL, password: str | None = None) -> str:
    """Connect, check that a run could build there, and say what was found (or raise an
    EngineError saying what is wrong: unreachable, refused, a missing privilege or driver)."""
    engine = open_engine(url, password)
    try:
        return engine.check()
    finally:
        engine.close()
