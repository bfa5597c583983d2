"""Country names → ISO 3166-1 alpha-2 codes, from the table in data/countries.csv.

Exports such as GA4's (``geo.country: "United Kingdom"``) and invoice files (``EIRE``, ``USA``)
write names, the contract stores codes. The table is data: the English short names GA4 and
most tools use (data/countries.csv) plus common aliases (data/country_aliases.csv).
"""

from __future__ import annotations

import csv
import functools
import re
from pathlib import Path

from shoplytics_desktop.core.sqlutil import lookup_sql, quote_literal

_DATA = Path(__file__).resolve().parent / "data"


#: A value that is a code already (as written, whatever its case).
_CODE = "[A-Za-z]{2}"


def name_key(name: str) -> str:
    """A name as the table knows it (and as ``code_sql`` normalises it in SQL)."""
    return " ".join(name.replace("’", "'").lower().split())


def is_code(value: str) -> bool:
    """Whether ``code_sql`` takes the value as a code rather than a name."""
    return re.fullmatch(_CODE, value.strip()) is not None


@functools.cache
def table() -> dict[str, str]:
    """Normalised name → code."""
    out: dict[str, str] = {}
    for file in ("countries.csv", "country_aliases.csv"):
        with (_DATA / file).open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                out.setdefault(name_key(row["name"]), row["code"])
    return out


@functools.cache
def names_by_code() -> dict[str, str]:
    """Code → the English short name of the table (as GA4 writes it; the generator's vendor
    exports write countries so)."""
    with (_DATA / "countries.csv").open(encoding="utf-8", newline="") as fh:
        return {row["code"]: row["name"] for row in csv.DictReader(fh)}


def code_sql(value_sql: str) -> str:
    """SQL for the country code of a value: a two-letter value as a code, a known name by the
    table; NULL for unknown names ("(not set)"), so the default applies.

    The table is a MAP looked up by key: a CASE with a branch per name compared each value with
    the names one by one, about 11 s per million rows where the lookup takes 0.1 s."""
    norm = f"lower(regexp_replace(replace(trim({value_sql}), '’', ''''), '\\s+', ' ', 'g'))"
    lookup = lookup_sql(((k, quote_literal(v)) for k, v in sorted(table().items())), norm)
    return (
        f"CASE WHEN regexp_full_match(trim({value_sql}), '{_CODE}') "
        f"THEN upper(trim({value_sql})) ELSE {lookup} END"
    )
