"""Leave alone what nothing changed: models and tests whose inputs are as at their last build.

Each model a run builds gets a *token*, a name for its content: a new one when the run wrote
something to it, the one it had when the run wrote nothing (an incremental model with no new
rows, a model of kind ``all`` whose rows all stayed). Raw tables have the batches they hold as
their token (each batch with its number of rows: batches are only ever added or deleted whole).

A model's *digest* is a hash of what decides its content: its SQL and config, the settings the
models read, the DuckDB and Shoplytics versions, and the token of every relation it reads. A run
that finds a model's digest as stored at its last build, and its relation in place, does not
build it again: its content would be the same. Its token stays, so the models after it can be
left alone too. A data test is kept the same way: one that passed, whose SQL and every relation
it reads are as then, passes again without running.

SQL whose result depends on more than the relations it reads (the clock, random numbers, files
read by name, the environment) is always run. ``run --full-refresh`` builds and tests everything.
The digests and tokens are in ``_shoplytics.build_state``, written in the run's transaction, so a
run that is not published leaves the previous ones.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import duckdb

from shoplytics_desktop import __version__
from shoplytics_desktop.core.workspace import INTERNAL

if TYPE_CHECKING:
    from shoplytics_desktop.core.models.datatests import TestResult
    from shoplytics_desktop.core.models.project import DataTest, Model

STATE = f"{INTERNAL}.build_state"
#: The note of a model left as it was.
UNCHANGED = "unchanged: nothing it reads changed since its last build"
#: The message of a test not run again.
KEPT = "passed before, and nothing it reads has changed since"

#: Functions whose result is not decided by the relations a statement reads.
_VOLATILE = re.compile(
    r"\b(current_date|current_time|current_timestamp|localtime|localtimestamp)\b|"
    r"\b(now|today|get_current_time|get_current_timestamp|transaction_timestamp|random|setseed|"
    r"uuid|gen_random_uuid|uuidv4|uuidv7|nextval|currval|getenv|glob|sniff_csv|read_\w+|"
    r"parquet_\w+|query_table|query|duckdb_\w+|current_setting|pragma_\w+)\s*\(",
    re.IGNORECASE,
)


def is_volatile(sql: str) -> bool:
    """Whether ``sql`` may give another result over the same relations."""
    return bool(_VOLATILE.search(sql))


def forget(cur: duckdb.DuckDBPyConnection) -> None:
    """Make the next run build and test everything (the relations were written by something
    else: marts pulled from another engine, say)."""
    cur.execute(f"DELETE FROM {STATE}")


@dataclass(frozen=True)
class _Entry:
    digest: str
    token: str


def _sha(parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


class Freshness:
    """Which models and tests of one run can be left as they are (inside the run's
    transaction)."""

    def __init__(
        self,
        cur: duckdb.DuckDBPyConnection,
        models: Mapping[str, Model],
        settings: str,
        run_id: str,
        raw_token: Callable[[str], str],
        enabled: bool = True,
    ) -> None:
        self.cur, self.models, self.run_id = cur, models, run_id
        self.enabled = enabled
        self._raw_token = raw_token
        self._context = [settings, duckdb.__version__, __version__]
        self._by_relation = {m.relation: m for m in models.values()}
        self.stored: dict[str, _Entry] = {
            name: _Entry(digest, token)
            for name, digest, token in cur.execute(
                f"SELECT name, digest, token FROM {STATE}").fetchall()
        } if enabled else {}
        #: this run's tokens of the models it has decided on: relation → token
        self.tokens: dict[str, str] = {}
        self._digests: dict[str, str] = {}  # model or test key → its digest in this run
        self.skipped: set[str] = set()  # models left as they were
        self._raw: dict[str, str] = {}  # the tokens of the relations that are not models

    # -- tokens ------------------------------------------------------------------------------

    def _stored_token(self, name: str) -> str:
        """A relation's token as the last recorded run left it (a model's stored token)."""
        model = self.models.get(name) or self._by_relation.get(name)
        entry = self.stored.get(model.name) if model is not None else None
        return entry.token if entry is not None else self.token(name)

    def token(self, name: str) -> str:
        """The token of a model (by name or relation) or of another relation. A view (a
        transient model is published as one) holds nothing of its own: what it gives is decided
        by its SQL and what it reads, its digest."""
        model = self.models.get(name) or self._by_relation.get(name)
        if model is None:
            if name not in self._raw:
                self._raw[name] = self._raw_token(name)
            return self._raw[name]
        if model.materialized in ("view", "transient"):
            return f"view:{self.digest(model)}"
        if model.relation in self.tokens:
            return self.tokens[model.relation]
        entry = self.stored.get(model.name)
        # Not decided in this run (not selected): as its last build left it.
        return entry.token if entry else f"unknown:{model.name}"

    def _reads(self, model: Model) -> list[tuple[str, str]]:
        return sorted((r, self.token(r)) for r in {*model.depends_on, *model.sources})

    # -- models ------------------------------------------------------------------------------

    def digest(self, model: Model) -> str:
        if model.name not in self._digests:
            self._digests[model.name] = _sha([
                model.sql, model.materialized, repr(model.incremental), self._context,
                self._reads(model),
            ])
        return self._digests[model.name]

    def unchanged(self, model: Model, kind: str | None) -> bool:
        """Whether ``model`` can be left as it is: built before from what it reads now, and
        its relation (of ``kind`` in the catalog now) still the one that build made."""
        entry = self.stored.get(model.name)
        expected = "VIEW" if model.materialized in ("view", "transient") else "TABLE"
        if (not self.enabled or entry is None or kind != expected
                or is_volatile(model.sql) or entry.digest != self.digest(model)):
            return False
        self.tokens[model.relation] = self.token(model.name) if expected == "VIEW" else entry.token
        self.skipped.add(model.name)
        return True

    def built(self, model: Model, wrote: bool) -> None:
        """``model`` was built in this run; ``wrote``: whether its content may have changed."""
        if model.materialized in ("view", "transient"):
            self.tokens[model.relation] = self.token(model.name)
            return
        entry = self.stored.get(model.name)
        self.tokens[model.relation] = (
            entry.token if entry is not None and not wrote else f"{self.run_id}:{model.name}"
        )

    # -- tests -------------------------------------------------------------------------------

    def test_digest(self, test: DataTest, sql: str,
                    token: Callable[[str], str] | None = None) -> str:
        reads = sorted((r, (token or self.token)(r)) for r in test_reads(test))
        return _sha([sql, test.severity, self._context, reads])

    def passed_before(self, test: DataTest, sql: str) -> bool:
        """Whether ``test`` passed, with this SQL, on what the relations it reads held before
        this run (incremental updates then test only the rows they wrote)."""
        entry = self.stored.get(_test_key(test))
        return entry is not None and entry.digest == self.test_digest(
            test, sql, self._stored_token)

    def kept(self, test: DataTest, sql: str) -> bool:
        """Whether ``test`` passed before on the same relations, with the same SQL."""
        if is_volatile(sql):
            return False
        # Worked out on a full refresh too: the tests that pass there are kept for the next run.
        digest = self._digests[_test_key(test)] = self.test_digest(test, sql)
        entry = self.stored.get(_test_key(test))
        return self.enabled and entry is not None and entry.digest == digest

    # -- writing -----------------------------------------------------------------------------

    def record(self, decided: Iterable[str], results: Iterable[TestResult]) -> None:
        """Store the digests and tokens of the models this run decided on and of the tests that
        passed (in the run's transaction); a test that did not pass is forgotten."""
        rows: list[tuple[str, str, str]] = []
        for name in decided:
            model = self.models[name]
            if model.relation in self.tokens and not is_volatile(model.sql):
                rows.append((name, self.digest(model), self.tokens[model.relation]))
        gone = []
        for r in results:
            key = _test_key_of(r.test_id)
            if r.status == "pass" and key in self._digests:
                rows.append((key, self._digests[key], "pass"))
            else:
                gone.append(key)
        names = [r[0] for r in rows] + gone
        if names:
            self.cur.execute(f"DELETE FROM {STATE} WHERE list_contains(?, name)", [names])
        if rows:  # one statement: a row each would cost a statement each
            self.cur.execute(f"INSERT INTO {STATE} (name, digest, token) "
                             "SELECT unnest(?), unnest(?), unnest(?)",
                             [list(column) for column in zip(*rows, strict=True)])


def forget_tests(cur: duckdb.DuckDBPyConnection, test_ids: Iterable[str]) -> None:
    """Forget that these tests passed: they failed on what is published now (its tables were
    changed from outside, say), so the next run must run them again rather than keep them."""
    names = [_test_key_of(t) for t in test_ids]
    if names:
        cur.execute(f"DELETE FROM {STATE} WHERE list_contains(?, name)", [names])


def test_reads(test: DataTest) -> set[str]:
    """The models and relations a test reads."""
    reads = set(test.reads)
    if test.model:
        reads.add(test.model)
    if "to" in test.args:
        reads.add(str(test.args["to"]))
    return reads


def _test_key(test: DataTest) -> str:
    return _test_key_of(test.test_id)


def _test_key_of(test_id: str) -> str:
    return f"test:{test_id}"
