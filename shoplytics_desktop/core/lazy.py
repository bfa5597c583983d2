"""Public names of a package imported on first use (PEP 562), so that importing the package, or
one light submodule of it, does not import its heavy ones (numpy, polars, pydantic).

In the package's ``__init__``, the names are imported under ``TYPE_CHECKING`` for the type
checker, and at run time::

    __getattr__, __dir__ = lazy_names(__name__, {"generate_into": "load", ...}, globals())

A name is looked up once: its value is then kept in the package's namespace.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_names(
    package: str, homes: Mapping[str, str], namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The package's ``__getattr__`` and ``__dir__``: ``homes`` maps each public name to the
    submodule (relative to ``package``) that defines it."""

    def __getattr__(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{home}"), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *homes})

    return __getattr__, __dir__
