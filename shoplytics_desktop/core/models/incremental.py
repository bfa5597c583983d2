"""Incremental models: update a table only where new events can change it.

Raw events arrive in batches that are only ever added or deleted whole. A model declared

    config:
      materialized: incremental
      unique_key: session_key
      partition_by: {user: user_id, changed_days: [session_date]}

promises that its rows for a user are computed from that user's rows upstream alone (sessions,
orders and journeys are: the 30-minute rule never joins two users' events). A run then rebuilds
only the users who have events in the batches added since the model was last built: it deletes
their rows and inserts them again from the model's own SQL, with every upstream relation that
has the partition column read through a filter on those users. A session that spans midnight, a
late event that lands inside yesterday's session or between two old ones: all are exact, since
the user's whole history is sessionized again.

A user model may also name the column of each row's session:

    partition_by: {user: user_id, session: session_id, changed_days: [session_date]}

promising that a session's rows come from that session's events alone. A changed event can only
change its user's sessions from a point on: t − the session timeout for an event at t (an event
without a session id joins a derived session that ended up to a timeout before it), and the
start of the stored session a new event names by its session id. That point moves back to the
start of any stored session (``int_sessions`` as built before) that spans it, so no session
crosses it. The run then reads those users' events from that point on only, and replaces only
their rows of the sessions that started there or later; older sessions are neither read nor
written (``IncrementalRun._session_tails``). Where that cannot be known (the stored sessions were
not built from the same batches, a user is updated for rows changed upstream, the model does
not read the events), the user's whole history is computed again as above.

A model declared

    partition_by: {day: session_date, lookback_days: 0, from: {int_sessions: session_date}}

promises that its rows for day d are computed from upstream rows of days d − lookback … d (by the
upstream day columns named in ``from``). A run rebuilds the days that can have changed: the days
of the new events and every day an incremental upstream deleted or inserted rows for (its
``changed_days``), each with the ``lookback_days`` after it.

A model declared

    partition_by: {all: user_id, changed_days: [order_date]}

is computed from all of its input on every run (a numbering of every user, the list of days), but
only the rows that changed are written: the run compares the new rows with the stored ones by a
hash of their values, deletes the rows that went and inserts the ones that came. The users (the
column named by ``all``) and the days (``changed_days``) of those rows are what incremental models
downstream update: a user model reading it recomputes those users as well as the users with new
events, a day model follows those days.

A model of kind all that numbers the rows of one user model may say so:

    partition_by: {all: user_id, number: user_key, order_by: [first_event_time, user_id]}

promising that its rows are the upstream's, numbered 1, 2, … by ``row_number() over (order by
first_event_time, user_id)``, with the number, the user and the order columns as its only
columns (the unique key among the order columns, so the order is total). Only the users the
upstream was updated for can have moved, come or gone; the run finds the first place among their
rows, stored and upstream, that is not in both, keeps every row before it, and numbers the
upstream's rows from there on after them. New users arrive last, so an update mostly numbers
them alone (``IncrementalRun._update_numbered``).

Anything the filters cannot follow rebuilds the model in full, so the result always equals a full
rebuild: ``run --full-refresh``; the model's first build; a change of its SQL, its config or the
settings the models read (time zone, session timeout, currency); a batch deleted without a record
of its events, or changed (each batch is known with its number of events: deleting a batch through
the app records its events' users and times first, and a run then updates those users and days
as it does a new batch's, see removed.py); an incremental upstream that was rebuilt
in full or not built in the same run; and any other relation it reads in full (a table of
another kind, ``raw.users``) whose content changed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import duckdb

from shoplytics_desktop.core import removed
from shoplytics_desktop.core.errors import ModelError
from shoplytics_desktop.core.models import freshness
from shoplytics_desktop.core.models.parse import replace_refs
from shoplytics_desktop.core.sqlutil import quote_ident, quote_literal

if TYPE_CHECKING:
    from shoplytics_desktop.core.models.project import DataTest, Model, Project

PartitionKind = Literal["user", "day", "all"]

#: The event stream: its changes are the batches added since a model was built.
STREAM = "raw.events"
STATE = "_shoplytics.incremental_models"
_USERS = "temp.main._inc_users"
_DAYS = "temp.main._inc_days"  # the days a day-kind model's upstreams changed


def _days_of(model: str) -> str:
    """The temp table of the days an incremental model changed in this run."""
    return f"_inc_days__{model}"


def _users_of(model: str) -> str:
    """The temp table of the users whose rows a model of kind all changed in this run, or the
    users a user model updated when they were more than the users with new events."""
    return f"_inc_users__{model}"


#: The model whose stored sessions (user_id, session_id, session_start, session_end,
#: is_derived_session) tell where each user's sessions can change (see ``_session_tails``).
SESSIONS = "int_sessions"
_SINCE = "temp.main._inc_since"  # per user with changed events: their sessions change from here
_TAIL_SESSIONS = "temp.main._inc_tail_sessions"  # the stored sessions from there on
_USER_EVENTS = "temp.main._inc_events"  # every event of the users with changed events
_TAIL_EVENTS = "temp.main._inc_tail_events"  # the users' events from there on
#: Rounds of moving a user's cut back past the sessions spanning it (each goes back to the
#: earliest of them); a longer chain of overlapping sessions takes the user's whole history.
_SPAN_ROUNDS = 20

#: The alias a whole row is hashed by: a name no model column has (a column of the alias's name
#: would be hashed instead of the row).
_ROW = "__shoplytics_row__"

#: The days of the new events (what day models that read the events follow).
_STREAM_DAYS = "_inc_days__stream"
_OUT_DAYS = "temp.main._inc_out_days"
_IN_DAYS = "temp.main._inc_in_days"


@dataclass(frozen=True)
class IncrementalSpec:
    """What an incremental model promises about its rows (see the module docstring)."""

    unique_key: tuple[str, ...]
    kind: PartitionKind
    column: str  # the model's own partition column (kind all: its user column, or "")
    lookback_days: int = 0
    #: day kind: upstream → its date columns (a row belongs to the days of any of them)
    days_from: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    changed_days: tuple[str, ...] = ()  # user and all kinds: the day columns day models follow
    #: user kind: the column naming each row's session, whose rows are then computed again only
    #: from the first session changed events can change (module docstring); "": not said
    session: str = ""
    #: all kind: the column numbering the rows of its one upstream model 1, 2, … in the order
    #: of ``order_by`` (module docstring); "": not said
    number: str = ""
    order_by: tuple[str, ...] = ()


def _names(value: Any, where: str, what: str) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(v, str) for v in items):
        raise ModelError(f"{where}: {what} should be a column name or a list of them.")
    return tuple(items)


def _numbering(
    part: Mapping[str, Any], unique_key: tuple[str, ...], column: str, where: str, hint: str
) -> tuple[str, tuple[str, ...]]:
    """The ``number`` and ``order_by`` of a model of kind all that numbers its upstream's rows."""
    if "number" not in part and "order_by" not in part:
        return "", ()
    if "number" not in part or "order_by" not in part or not column:
        raise ModelError(f"{where}: partition_by.number goes with partition_by.order_by and a "
                         "user column in partition_by.all.", hint)
    number = _names(part["number"], where, "partition_by.number")[0]
    order_by = _names(part["order_by"], where, "partition_by.order_by")
    if not set(unique_key) <= set(order_by) or number in order_by:
        raise ModelError(f"{where}: partition_by.order_by should hold the unique_key (the order "
                         "is then total) and not the number column.", hint)
    return number, order_by


def parse_incremental(config: Mapping[str, Any], where: str) -> IncrementalSpec:
    """The incremental settings of a model's ``config``; a clear error when they do not fit."""
    hint = (
        "Write partition_by: {user: user_id}, partition_by: {day: <date column>, "
        "lookback_days: N, from: {<upstream model>: <its date column>}} or "
        "partition_by: {all: <user column or null>, changed_days: [<date columns>]} (with "
        "number: <column> and order_by: [<columns>] for a numbering of its upstream's rows)."
    )
    part = config.get("partition_by")
    if not isinstance(part, dict) or len({"user", "day", "all"} & set(part)) != 1:
        raise ModelError(f"{where}: an incremental model needs partition_by.", hint)
    if "session" in part and "user" not in part:
        raise ModelError(f"{where}: partition_by.session goes with partition_by.user.", hint)
    unique_key = _names(config.get("unique_key"), where, "unique_key")
    changed = part.get("changed_days", [])
    changed_days = _names(changed, where, "changed_days") if changed else ()
    if "user" in part:
        session = part.get("session")
        return IncrementalSpec(
            unique_key, "user", _names(part["user"], where, "partition_by.user")[0],
            changed_days=changed_days,
            session=_names(session, where, "partition_by.session")[0] if session else "",
        )
    if "all" in part:
        users = part["all"]
        column = _names(users, where, "partition_by.all")[0] if users not in (None, True) else ""
        number, order_by = _numbering(part, unique_key, column, where, hint)
        return IncrementalSpec(unique_key, "all", column, changed_days=changed_days,
                               number=number, order_by=order_by)
    lookback = part.get("lookback_days", 0)
    sources = part.get("from", {})
    if not isinstance(lookback, int) or lookback < 0 or not isinstance(sources, dict) or not all(
        isinstance(k, str) for k in sources
    ):
        raise ModelError(f"{where}: lookback_days should be a whole number ≥ 0 and from a "
                         "mapping of upstream models to their date columns.", hint)
    column = _names(part["day"], where, "partition_by.day")[0]
    days_from = {k: _names(v, where, f"from.{k}") for k, v in sources.items()}
    return IncrementalSpec(unique_key, "day", column, lookback, days_from)


# -- the state kept between runs -----------------------------------------------------------------


@dataclass
class _State:
    signature: str
    batches: frozenset[str]
    fingerprints: dict[str, str]


def _read_state(cur: duckdb.DuckDBPyConnection) -> dict[str, _State]:
    out = {}
    for model, signature, batches, prints in cur.execute(
        f"SELECT model, signature, batches, fingerprints FROM {STATE}"
    ).fetchall():
        out[model] = _State(signature, frozenset(json.loads(batches)), json.loads(prints))
    return out


def forget_state(cur: duckdb.DuckDBPyConnection) -> None:
    """Make the next run rebuild every incremental model in full, and build and test every
    model (the tables were replaced by something that did not keep the state: marts pulled
    from another engine, say)."""
    cur.execute(f"DELETE FROM {STATE}")
    freshness.forget(cur)


# -- rewriting a model's SQL to read filtered upstreams -----------------------------------------


@dataclass
class _Rewrite:
    """The temp views one incremental build reads through, and what it reads in full."""

    views: dict[str, str] = field(default_factory=dict)  # bare name → its SELECT
    relations: dict[str, str] = field(default_factory=dict)  # bare name → relation
    unfiltered: set[str] = field(default_factory=set)  # relations read in full
    #: What it reads whose changes new batches do not tell (other raw tables, tables of other
    #: kinds): their content must be as at the previous build, or the model is rebuilt in full.
    watched: set[str] = field(default_factory=set)
    #: the copy of the users' events it reads for the event stream (``_USER_EVENTS``, or
    #: ``_TAIL_EVENTS`` from the first session their changed events can change); "": none
    events: str = ""


class _Build:
    """One incremental update of one model."""

    def __init__(self, inc: IncrementalRun, model: Model) -> None:
        assert model.incremental is not None
        self.inc, self.model, self.spec = inc, model, model.incremental
        self.rw = _Rewrite()
        #: user kind: the users it updates (those with new events, and the users whose rows
        #: changed in the upstreams of kind all it reads)
        self.users = _USERS
        #: user kind with a session column: only the users' sessions from the first one their
        #: changed events can change are computed again (``IncrementalRun.tails``)
        self.tail = False

    def filter_for(self, relation: str, upstream: str | None) -> str | None:
        """The WHERE clause that reads ``relation`` for this build; None: read it in full."""
        if self.spec.kind == "user":
            if "user_id" in self.inc.columns(relation):
                return f"user_id IN (SELECT user_id FROM {self.users})"
            return None
        if relation == STREAM:
            lo, hi = self.inc.in_day_bounds
            # Local days are within a day and two hours of UTC ones.
            return (f"event_time >= TIMESTAMP {quote_literal(lo)} - INTERVAL 2 DAY AND "
                    f"event_time < TIMESTAMP {quote_literal(hi)} + INTERVAL 3 DAY")
        columns = self.spec.days_from.get(upstream or "")
        return _day_filter(columns) if columns else None

    def rewrite(self, model: Model) -> str:
        """``model``'s SQL with each relation it reads replaced by a filtered temp view (a view
        model is rewritten the same way, so the filters reach the tables under it)."""
        replacements = []
        for ref, target in model.refs:
            upstream = target if target in self.inc.project.models else None
            relation = self.inc.project.models[upstream].relation if upstream else target
            bare = relation.split(".")[-1]
            redirected = self._redirect(relation, upstream)
            replacements.append((ref, f"temp.main.{quote_ident(bare)}" if redirected else relation))
        return replace_refs(model.parsed_sql, replacements)

    def _redirect(self, relation: str, upstream: str | None) -> bool:
        """Define the temp view that stands for ``relation``; False: read it as it is."""
        bare = relation.split(".")[-1]
        if self.rw.relations.setdefault(bare, relation) != relation:
            raise _FullRefresh(f"it reads two relations named {bare}")
        if bare in self.rw.views:
            return True
        up = self.inc.project.models.get(upstream) if upstream else None
        if up is not None and up.materialized == "view":
            return self._inline(up)
        if relation != STREAM and not (up is not None and up.materialized == "incremental"):
            self.rw.watched.add(relation)
        if relation == STREAM and self.spec.kind == "user" and self.users == _USERS:
            self.rw.events = _TAIL_EVENTS if self.tail else _USER_EVENTS
            self.rw.views[bare] = f"SELECT * FROM {self.rw.events}"
            return True
        where = self.filter_for(relation, upstream)
        if where is None and up is not None and up.materialized == "incremental":
            spec = up.incremental
            if spec is not None and spec.kind == "all" and not self.inc.rows_changed(up.name):
                self.rw.unfiltered.add(relation)  # no row of it changed in this run
                return False
            # Its changes are known by partition only: read in full, they could be anywhere.
            raise _FullRefresh(f"it reads {up.name} in full")
        if where is None:
            self.rw.unfiltered.add(relation)
            return False
        self.rw.views[bare] = f"SELECT * FROM {relation} WHERE {where}"
        return True

    def _inline(self, view: Model) -> bool:
        """A view model: read through a rewrite of its own SQL when it keeps the partition
        (it has the user column; for days, the model names its date column), else in full."""
        spec = self.spec
        columns = spec.days_from.get(view.name, ()) if spec.kind == "day" else ()
        keeps = bool(columns) or (
            spec.kind == "user" and "user_id" in self.inc.columns(view.relation))
        if not keeps:
            if self.inc.reads_stream(view.name):
                raise _FullRefresh(f"it reads every event through {view.name}")
            self.rw.watched.add(view.relation)
            self.rw.unfiltered.add(view.relation)
            return False
        inner = self.rewrite(view)
        self.rw.views[view.relation.split(".")[-1]] = (
            f"SELECT * FROM ({inner}) WHERE {_day_filter(columns)}" if columns else inner
        )
        return True


def _from_position(position: list[tuple[str, str]]) -> str:
    """Rows at or after ``position`` (column, value pairs) in the order of those columns: the
    first column at least its value (which lets a scan skip row groups by it), then compared
    column by column."""
    terms = []
    for i, (col, value) in enumerate(position):
        last = i == len(position) - 1
        equal = [f"{c} = {v}" for c, v in position[:i]]
        terms.append(" AND ".join([*equal, f"{col} {'>=' if last else '>'} {value}"]))
    first_col, first_value = position[0]
    return f"{first_col} >= {first_value} AND ({' OR '.join(f'({t})' for t in terms)})"


def _day_filter(columns: tuple[str, ...]) -> str:
    """Rows of the days read: any of the date columns on one of them."""
    return " OR ".join(f"{quote_ident(c)} IN (SELECT day FROM {_IN_DAYS})" for c in columns)


class _FullRefresh(Exception):
    """The model has to be rebuilt in full; the message says why."""


# -- one run -------------------------------------------------------------------------------------


@contextlib.contextmanager
def _temp_views(cur: duckdb.DuckDBPyConnection, views: Mapping[str, str]) -> Iterator[None]:
    """Temporary views (name → SELECT) for the block, dropped after it. When the block fails,
    its error is the one reported: dropping them then fails only because that error ended the
    transaction."""
    for bare, select in views.items():
        cur.execute(f"CREATE OR REPLACE TEMP VIEW {quote_ident(bare)} AS\n{select}")
    try:
        yield
    except BaseException:
        with contextlib.suppress(duckdb.Error):
            _drop_temp_views(cur, views)
        raise
    _drop_temp_views(cur, views)


def _drop_temp_views(cur: duckdb.DuckDBPyConnection, views: Mapping[str, str]) -> None:
    for bare in views:
        cur.execute(f"DROP VIEW IF EXISTS temp.main.{quote_ident(bare)}")


class IncrementalRun:
    """The incremental side of one model run (inside the run's transaction)."""

    def __init__(
        self,
        cur: duckdb.DuckDBPyConnection,
        project: Project,
        settings: Mapping[str, object],
        full_refresh: bool,
    ) -> None:
        self.cur, self.project, self.full_refresh = cur, project, full_refresh
        self.settings = json.dumps(dict(settings), sort_keys=True, default=str)
        self.state: dict[str, _State] = {}
        self.current: frozenset[str] = frozenset()
        self.base: frozenset[str] | None = None  # the batches the previous build was made of
        #: What each model built in this run changed: 'all', or 'part' (users/days only).
        self.changed: dict[str, str] = {}
        self._columns: dict[str, dict[str, str]] = {}  # relation → column → type
        self._fingerprints: dict[str, str] = {}
        self._prepared = False
        self._copied: set[str] = set()  # the copies of users' events made (``copy_events``)
        #: whether each user's first changeable session is known (``_session_tails``)
        self.tails = False
        #: the users a model's update touched beyond those with new events (kind all: the users
        #: of the rows it changed), as a temp table
        self._user_sets: dict[str, str] = {}
        self._rows_changed: dict[str, int] = {}  # kind all: how many rows went or came
        #: models updated (not rebuilt) in this run: the first row id of the rows it appended
        #: (None: it appended none)
        self.written: dict[str, int | None] = {}
        #: models with tests ``-- per: <user column>``: an update by user keeps the users it
        #: updated (``updated_users``: model → a temp table of them) for those tests
        self.keep_users = {t.model for t in project.tests if t.per and t.model}
        self.updated_users: dict[str, str] = {}
        self.in_day_bounds = ("1970-01-01", "1970-01-01")
        if any(m.materialized == "incremental" for m in project.models.values()):
            self.state = _read_state(cur)
            # Each batch with its number of events: a batch whose rows changed (deleted or
            # replaced under the same id) is no longer the batch the models were built from.
            self.current = frozenset(
                removed.token(batch, count) for batch, count in cur.execute(
                    f"SELECT _batch_id, count(*) FROM {STREAM} WHERE _batch_id IS NOT NULL "
                    "GROUP BY _batch_id"
                ).fetchall()
            )
            bases = [s.batches for s in self.state.values()]
            self.base = max(bases, key=bases.count) if bases else None
        #: the deleted batches whose users and times were recorded (removed.py)
        self.removed = removed.recorded(cur)

    # -- what the relations hold -------------------------------------------------------------

    def columns(self, relation: str) -> set[str]:
        return set(self.column_types(relation))

    def column_types(self, relation: str) -> dict[str, str]:
        """A relation's columns and their types (read from the catalog once per run)."""
        if relation not in self._columns:
            schema, _, name = relation.rpartition(".")
            self._columns[relation] = dict(self.cur.execute(
                "SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = ? "
                "AND table_name = ?", [schema or "main", name]
            ).fetchall())
        return self._columns[relation]

    def copy_events(self, table: str) -> None:
        """Copy the events a user update reads, once per run for every model that reads them:
        ``_USER_EVENTS``, every event of the users with changed events; ``_TAIL_EVENTS``, theirs
        from the time their sessions can change on, the earliest of those times bounding the
        scan as a constant too, so that it skips the row groups whose events all lie before it
        (events are mostly stored in time order). The row ids are found first, from the columns
        the filter reads, and then only those rows are read: filtering directly reads every
        column of every event before the join drops most of them (at 10M events, with 1 % new:
        0.24 s against 0.32 s)."""
        if table in self._copied:
            return
        if table == _TAIL_EVENTS:
            rows = (f"SELECT e.rowid AS _rid FROM {STREAM} AS e JOIN {_SINCE} AS c USING "
                    f"(user_id) WHERE e.event_time >= c.since AND e.event_time >= "
                    f"{self._earliest_since()}")
        else:
            rows = (f"SELECT rowid AS _rid FROM {STREAM} "
                    f"WHERE user_id IN (SELECT user_id FROM {_USERS})")
        self.cur.execute(f"CREATE OR REPLACE TEMP TABLE _inc_event_rows AS {rows}")
        self.cur.execute(
            f"CREATE OR REPLACE TEMP TABLE {table.split('.')[-1]} AS SELECT * FROM {STREAM} "
            f"WHERE rowid IN (SELECT _rid FROM _inc_event_rows)")
        self._copied.add(table)

    def forget_removals(self) -> None:
        """Drop the records of deleted batches that no model's state refers to any more (once
        every model that read them was built)."""
        if not self.removed:
            return
        referenced: set[str] = set()
        for model, batches in self.cur.execute(f"SELECT model, batches FROM {STATE}").fetchall():
            if model in self.project.models:
                referenced.update(json.loads(batches))
        removed.forget_except(self.cur, referenced & self.removed)

    def finish(self) -> None:
        """Drop the run's temp tables (they would hold their rows until the connection closes)."""
        for (name,) in self.cur.execute(
            "SELECT table_name FROM duckdb_tables() WHERE temporary AND table_name LIKE '\\_inc\\_%' "
            "ESCAPE '\\'"
        ).fetchall():
            self.cur.execute(f"DROP TABLE IF EXISTS temp.main.{quote_ident(name)}")

    def reads_stream(self, name: str) -> bool:
        """Whether a model reads raw.events, itself or through views."""
        model = self.project.models[name]
        return STREAM in model.sources or any(
            self.project.models[d].materialized == "view" and self.reads_stream(d)
            for d in model.depends_on
        )

    def fingerprint(self, relation: str) -> str:
        """What a relation read in full holds: its batches for a raw table, a hash of its rows
        for anything else."""
        if relation not in self._fingerprints:
            if relation.startswith("raw.") and "_batch_id" in self.columns(relation):
                sql = (f"SELECT count(*) || ':' || coalesce(string_agg(DISTINCT _batch_id, ',' "
                       f"ORDER BY _batch_id), '') FROM {relation}")
            else:
                sql = (f"SELECT count(*) || ':' || coalesce(sum(hash({_ROW})::HUGEINT), 0) "
                       f"FROM {relation} AS {_ROW}")
            row = self.cur.execute(sql).fetchone()
            self._fingerprints[relation] = str(row[0]) if row else ""
        return self._fingerprints[relation]

    def token(self, relation: str) -> str:
        """What a relation that is not a model holds (see ``freshness``): the event stream's
        batches with their sizes, a fingerprint of anything else; for a raw table, with the
        time its last rows were loaded (rows loaded again under a batch id of the same size,
        as a data set generated again is, are new rows)."""
        if relation == STREAM and self.current:
            row = self.cur.execute(f"SELECT count(*) FROM {STREAM}").fetchone()
            held = json.dumps([sorted(self.current), row[0] if row else 0])
        else:
            held = self.fingerprint(relation)
        loaded = None
        if relation.startswith("raw.") and "_loaded_at" in self.columns(relation):
            row = self.cur.execute(f"SELECT max(_loaded_at)::VARCHAR FROM {relation}").fetchone()
            loaded = row[0] if row else None
        return json.dumps([held, loaded])

    def left(self, model: Model) -> None:
        """``model`` is left as it is in this run: nothing it reads changed."""
        self.changed[model.name] = "none"

    def wrote(self, model: Model) -> bool:
        """Whether building ``model`` in this run may have changed its rows (an incremental
        model that had nothing to update, or whose rows all stayed, did not)."""
        if model.materialized != "incremental":
            return True
        changed = self.changed.get(model.name)
        spec = model.incremental
        if changed == "none":
            return False
        return not (changed == "part" and spec is not None and spec.kind == "all"
                    and not self.rows_changed(model.name))

    def forget_fingerprint(self, relation: str) -> None:
        """``relation`` was rebuilt in this run: read its content again when asked."""
        self._fingerprints.pop(relation, None)
        self._columns.pop(relation, None)

    def signature(self, model: Model) -> str:
        text = json.dumps([model.sql, repr(model.incremental), self.settings])
        return hashlib.sha256(text.encode()).hexdigest()

    # -- the decision ----------------------------------------------------------------------------

    def full_reason(self, model: Model, exists: bool) -> str | None:
        """Why ``model`` must be rebuilt in full now; None when it can be updated."""
        state = self.state.get(model.name)
        if self.full_refresh:
            return "a full refresh was asked for"
        if state is None or not exists:
            return "its first build"
        if state.signature != self.signature(model):
            return "its SQL, its config or the workspace settings changed"
        if model.incremental is not None and model.incremental.kind == "all":
            return None  # computed from everything: any change is found by comparing rows
        if self.base is None or state.batches != self.base:
            return "it is out of step with the other incremental models"
        if self.base - self.current - self.removed:
            return "a batch of events was deleted, replaced or changed"
        for up in model.depends_on:
            upm = self.project.models[up]
            if upm.materialized == "incremental" and self.changed.get(up) not in ("part", "none"):
                return f"{up} was rebuilt in full or not in this run"
        return None

    def _check_read(self, model: Model, build: _Build) -> str | None:
        """Why what the model reads has changed in ways new batches do not tell; None if not."""
        if STREAM in build.rw.unfiltered:
            return "it reads every event"
        state = self.state[model.name]
        for relation in sorted(build.rw.watched):
            if state.fingerprints.get(relation) != self.fingerprint(relation):
                return f"{relation} changed"
        return None

    def _prepare(self) -> None:
        """The users and days of the batches added since the previous build, and of the
        recorded events of the batches deleted since."""
        if self._prepared:
            return
        assert self.base is not None
        new = sorted(item.rpartition(":")[0] for item in self.current - self.base)
        batches = ", ".join(quote_literal(b) for b in new) or "NULL"
        stream = self.project.models.get("stg_events")
        source = stream.relation if stream else STREAM
        cur = self.cur
        day = "event_date" if stream else "CAST(event_time AS DATE)"
        # One read of the new events for both: their users, and their days.
        select = (f"SELECT DISTINCT user_id, {day} AS day FROM {source} "
                  f"WHERE _batch_id IN ({batches})")
        gone = self.base - self.current
        if gone:
            # The day of a gone event as stg_events gives it: the calendar day of its time in
            # the reporting time zone (the runner sets the variable).
            local = ("CAST(timezone(coalesce(getvariable('time_zone'), 'UTC'), "
                     "event_time AT TIME ZONE 'UTC') AS DATE)" if stream
                     else "CAST(event_time AS DATE)")
            select += (f" UNION SELECT DISTINCT user_id, {local} AS day "
                       f"FROM ({removed.rows_of(gone)})")
        cur.execute(f"CREATE OR REPLACE TEMP TABLE _inc_new_events AS {select}")
        cur.execute("CREATE OR REPLACE TEMP TABLE _inc_users AS SELECT DISTINCT user_id "
                    "FROM _inc_new_events")
        cur.execute(f"CREATE OR REPLACE TEMP TABLE {_STREAM_DAYS} AS SELECT DISTINCT day "
                    "FROM _inc_new_events")
        if self._tails_possible():
            self._session_tails(batches, gone)
        self._prepared = True

    def _tails_possible(self) -> bool:
        """Whether a model updates by session and the stored sessions are those of the previous
        build (not yet built in this run, built from the same batches with the same SQL and
        settings), with the columns ``_session_tails`` reads."""
        model = self.project.models.get(SESSIONS)
        if model is None or model.materialized != "incremental" or SESSIONS in self.changed:
            return False
        if not any(m.incremental is not None and m.incremental.session
                   for m in self.project.models.values()):
            return False
        state = self.state.get(SESSIONS)
        if state is None or state.batches != self.base or state.signature != self.signature(model):
            return False
        return {"user_id", "session_id", "session_start", "session_end",
                "is_derived_session"} <= self.columns(model.relation)

    def _session_tails(self, batches: str, gone: frozenset[str]) -> None:
        """For each user with changed events, the time from which their sessions can change
        (``_SINCE``), and their stored sessions from then on (``_TAIL_SESSIONS``).

        A changed event at t can change the user's sessions from t − timeout on (a new event
        without a session id joins a derived session that ended up to a timeout before it; a
        deleted one changes the session it was in), and from the start of any stored session
        a new event names by its source session id. That time moves back to the start of any
        stored session that spans it (one starting before it and ending at or after it), so
        that every session lies wholly before or wholly after it: sessions before it keep
        their events and their rows, and the events after it make the same sessions as the
        user's whole history does (the first event without a session id after it starts a
        session, as it did before: the gap before it is more than the timeout)."""
        cur, sessions = self.cur, self.project.models[SESSIONS].relation
        timeout = "to_minutes(coalesce(getvariable('session_timeout_minutes'), 30))"
        changed = (f"SELECT user_id, event_time, nullif(session_id, '') AS sid FROM {STREAM} "
                   f"WHERE _batch_id IN ({batches})")
        if gone:
            changed += f" UNION ALL SELECT user_id, event_time, NULL FROM ({removed.rows_of(gone)})"
        cur.execute(f"CREATE OR REPLACE TEMP TABLE _inc_changed_events AS {changed}")
        # The stored sessions new events name by their id: a scan of every stored session's
        # id, skipped by the join when no new event has one.
        cur.execute(
            "CREATE OR REPLACE TEMP TABLE _inc_named AS SELECT s.user_id, min(s.session_start) "
            f"AS since FROM {sessions} AS s JOIN (SELECT DISTINCT user_id, sid FROM "
            "_inc_changed_events WHERE sid IS NOT NULL) AS c ON s.user_id = c.user_id AND "
            "s.session_id = c.sid WHERE NOT s.is_derived_session GROUP BY s.user_id")
        cur.execute(
            f"CREATE OR REPLACE TEMP TABLE _inc_since AS SELECT e.user_id, least(e.since, "
            f"coalesce(n.since, e.since)) AS since FROM (SELECT user_id, min(event_time) - "
            f"{timeout} AS since FROM _inc_changed_events GROUP BY user_id) AS e "
            f"LEFT JOIN _inc_named AS n USING (user_id)")
        # Back to the earliest start of the sessions spanning it, until none does (the sessions
        # spanning a time overlap one another, so no time between their starts is free). The
        # earliest time as a constant lets the scan drop most sessions by their end alone.
        for _ in range(_SPAN_ROUNDS):
            cur.execute(
                f"CREATE OR REPLACE TEMP TABLE _inc_spanned AS SELECT s.user_id, "
                f"min(s.session_start) AS since FROM {sessions} AS s JOIN {_SINCE} AS c USING "
                f"(user_id) WHERE s.session_end >= {self._earliest_since()} AND s.session_end "
                ">= c.since AND s.session_start < c.since GROUP BY s.user_id")
            row = cur.execute("SELECT count(*) FROM _inc_spanned").fetchone()
            if not (row and row[0]):
                break
            cur.execute(f"UPDATE {_SINCE} AS c SET since = p.since FROM _inc_spanned AS p "
                        "WHERE c.user_id = p.user_id")
        else:
            # A chain of overlapping sessions longer than that: those users' whole histories.
            cur.execute(f"UPDATE {_SINCE} SET since = '-infinity' "
                        "WHERE user_id IN (SELECT user_id FROM _inc_spanned)")
        cur.execute(
            f"CREATE OR REPLACE TEMP TABLE _inc_tail_sessions AS SELECT s.user_id, s.session_id "
            f"FROM {sessions} AS s JOIN {_SINCE} AS c USING (user_id) "
            f"WHERE s.session_start >= {self._earliest_since()} AND s.session_start >= c.since")
        self.tails = True

    def _by_session(self, model: Model, users: str) -> bool:
        """Whether a user model is updated from each user's first changeable session: it names
        its session column, the cuts are known, and it updates the users with changed events
        alone (a user updated for rows changed upstream has no cut)."""
        spec = model.incremental
        return (self.tails and spec is not None and bool(spec.session) and users == _USERS
                and spec.session in self.columns(model.relation))

    def _earliest_since(self) -> str:
        """The earliest time any user's sessions can change from, as a TIMESTAMP literal."""
        row = self.cur.execute(f"SELECT min(since)::VARCHAR FROM {_SINCE}").fetchone()
        return f"TIMESTAMP {quote_literal(row[0] if row and row[0] else '-infinity')}"

    # -- building ------------------------------------------------------------------------------

    def build(self, model: Model, exists: bool) -> tuple[int, str]:
        """Build ``model`` in full or in part; its row count and how it was built."""
        assert model.incremental is not None
        reason = self.full_reason(model, exists)
        build, sql = _Build(self, model), ""
        kind = model.incremental.kind
        try:
            if reason is None:
                self._prepare()
                if kind == "day":
                    self._day_sets(model.incremental)
                elif kind == "user":
                    build.users = self._users_for(model)
                    build.tail = self._by_session(model, build.users)
            if kind != "all":
                sql = build.rewrite(model)
                # Only a model that reads the users' events from there on makes the rows of
                # those sessions alone.
                build.tail = build.tail and build.rw.events == _TAIL_EVENTS
        except _FullRefresh as e:
            reason = reason or str(e)
        if kind != "all":
            reason = reason or self._check_read(model, build)
        if reason is not None:
            self._full(model)
            how = f"rebuilt in full: {reason}"
        else:
            how = self._update(model, build, sql)
        self._record(model, build)
        row = self.cur.execute(f"SELECT count(*) FROM {model.relation}").fetchone()
        return (int(row[0]) if row else 0), how

    def _full(self, model: Model) -> None:
        self.cur.execute(f"CREATE OR REPLACE TABLE {model.relation} AS\n{model.sql}")
        self.changed[model.name] = "all"

    def _update(self, model: Model, build: _Build, sql: str) -> str:
        spec, cur = build.spec, self.cur
        if spec.kind == "all":
            self.changed[model.name] = "part"
            return (spec.number and self._update_numbered(model, spec)) or self._update_all(
                model, spec)
        if not self._has_work(build):
            self.changed[model.name] = "none"
            self.written[model.name] = None
            if self.current == self.base:
                return "up to date: no new events"
            return "up to date: nothing it reads changed"
        if build.rw.events:
            self.copy_events(build.rw.events)
        with _temp_views(cur, build.rw.views):
            if spec.kind == "user":
                count = self._update_users(model, spec, sql, build.users, build.tail)
                how = f"updated for {count:,} user(s) with {self._events_word()}" + (
                    "" if build.users == _USERS else " or changed rows upstream") + (
                    ", from the first session those can change" if build.tail else "")
            else:
                count = self._update_days(model, spec, sql)
                how = f"updated for {count:,} day(s)"
        self.changed[model.name] = "part"
        return how

    def _events_word(self) -> str:
        """What the users of an update have: new events, deleted ones, or both."""
        base = self.base or frozenset()
        new, gone = bool(self.current - base), bool(base - self.current)
        return {(True, False): "new events", (False, True): "deleted events"}.get(
            (new, gone), "new or deleted events")

    def _mark_appends(self, model: Model) -> None:
        """Note where the rows this run appends to the model start: appended rows get row ids
        after every row the table holds, deleted ones included (until the run commits, DuckDB
        numbers them from a base far above any stored row)."""
        row = self.cur.execute(f"SELECT max(rowid) FROM {model.relation}").fetchone()
        self.written[model.name] = int(row[0]) + 1 if row and row[0] is not None else 0

    def rows_changed(self, name: str) -> int:
        """How many rows a model of kind all deleted or inserted in this run."""
        return self._rows_changed.get(name, 0)

    def _has_work(self, build: _Build) -> bool:
        """Whether there is anything to update: users, or days."""
        table = build.users if build.spec.kind == "user" else _OUT_DAYS
        row = self.cur.execute(f"SELECT count(*) > 0 FROM {table}").fetchone()
        return bool(row and row[0])

    def _users_for(self, model: Model) -> str:
        """The users a user model updates: those with new events, and every user whose rows
        changed in an upstream of kind all, or in a user model that updated more than them."""
        extra: list[str] = []
        for up in self._incremental_upstreams(model.name):
            spec, changed = self.project.models[up].incremental, self.changed.get(up)
            if spec is None or changed != "part":
                continue
            if spec.kind == "all" and not spec.column and self.rows_changed(up):
                raise _FullRefresh(f"{up} changed rows and does not say whose")
            if up in self._user_sets:
                extra.append(f"SELECT user_id FROM {self._user_sets[up]}")
        if not extra:
            return _USERS
        table = _users_of(model.name)
        self.cur.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT user_id FROM {_USERS} "
                         f"UNION {' UNION '.join(extra)}")
        row = self.cur.execute(f"SELECT (SELECT count(*) FROM {table}) - "
                               f"(SELECT count(*) FROM {_USERS})").fetchone()
        if not (row and row[0]):
            return _USERS  # the rows changed upstream are those of users with new events
        self._user_sets[model.name] = f"temp.main.{table}"
        return self._user_sets[model.name]

    def _incremental_upstreams(self, name: str) -> set[str]:
        """The incremental models ``name`` reads, itself or through views."""
        out: set[str] = set()
        for dep in self.project.models[name].depends_on:
            m = self.project.models[dep]
            if m.materialized == "view":
                out |= self._incremental_upstreams(dep)
            elif m.materialized == "incremental":
                out.add(dep)
        return out

    def _update_users(
        self, model: Model, spec: IncrementalSpec, sql: str, users: str, tail: bool
    ) -> int:
        """Compute the users' rows again (``tail``: the rows of their sessions from the first
        one their changed events can change) and write what changed (``_write_changes``), or,
        when no model follows the days of its changed rows, write them all in place of the
        stored ones."""
        where = f"{quote_ident(spec.column)} IN (SELECT user_id FROM {users})"
        if tail:
            where = (f"({quote_ident(spec.column)}, {quote_ident(spec.session)}) IN "
                     f"(SELECT user_id, session_id FROM {_TAIL_SESSIONS})")
        if spec.changed_days:
            self._write_changes(model, spec, sql, where)
        else:
            # No model follows which of these rows changed: writing them all costs less than
            # finding and hashing the stored ones to compare (at 10M events, about 0.03 s of
            # each such model's update).
            self.cur.execute(f"DELETE FROM {model.relation} WHERE {where}")
            self._mark_appends(model)
            self.cur.execute(f"INSERT INTO {model.relation} BY NAME\n{sql}")
        if model.name in self.keep_users:
            # Named apart from the run's _inc_ tables: it stays until the tests have run.
            kept = f"temp.main.{quote_ident('_per_user__' + model.name)}"
            self.cur.execute(f"CREATE OR REPLACE TEMP TABLE {kept} AS SELECT user_id FROM {users}")
            self.updated_users[model.name] = kept
        row = self.cur.execute(f"SELECT count(*) FROM {users}").fetchone()
        return int(row[0]) if row else 0

    def _update_all(
        self, model: Model, spec: IncrementalSpec, sql: str | None = None, where: str | None = None
    ) -> str:
        """Compute every row again (or those ``where`` says, by ``sql``) and write what changed;
        keep the users and days of the rows that changed for the models downstream."""
        changed = self._write_changes(model, spec, sql or model.sql, where)
        self._rows_changed[model.name] = changed
        if spec.column and changed:
            self._user_sets[model.name] = f"temp.main.{_users_of(model.name)}"
        return f"updated: {changed:,} row(s) changed" if changed else "up to date: no row changed"

    def _update_numbered(self, model: Model, spec: IncrementalSpec) -> str | None:
        """A numbering of the rows of one user model (``partition_by.number``): only the rows
        from the first position that changed on are numbered again. None: not known here (the
        upstream was rebuilt in full, or the model reads more), so every row is numbered again.

        The upstream was updated for a set of users; only their rows can have moved, come or
        gone. The first changed position is the least ``order_by`` value among those rows,
        stored (where they were) and upstream (where they are now), that is not in both. Every
        row before it keeps its place and number; the rows from there on are the model's SQL
        over the upstream's rows from there on, numbered after the rows before it."""
        cur, rel = self.cur, model.relation
        upstream = self.project.models.get(model.refs[0][1]) if len(
            {t for _, t in model.refs}) == 1 else None
        up_spec = upstream.incremental if upstream is not None else None
        types = self.column_types(rel)
        # Its columns are the position, the number and the user: a row that keeps its place
        # keeps every value. A nested position, written out as text, may not read back the same.
        if (upstream is None or up_spec is None or up_spec.kind != "user"
                or set(types) != {*spec.order_by, spec.number, spec.column}
                or not {*spec.order_by, up_spec.column} <= self.columns(upstream.relation)
                or any(types[c].endswith("]") or types[c].startswith(("STRUCT", "MAP", "UNION"))
                       for c in spec.order_by)):
            return None
        changed = self.changed.get(upstream.name)
        if changed not in ("none", "part"):
            return None
        # A user model updated in this run was updated for the users with changed events, or
        # for the set it kept beyond them.
        users = self._user_sets.get(upstream.name, _USERS) if changed == "part" else None
        first = None
        if users is not None:
            order = [quote_ident(c) for c in spec.order_by]
            keys = ", ".join(order)
            theirs = (f"SELECT {keys} FROM {{rel}} WHERE {{col}} IN (SELECT user_id FROM "
                      f"{users})")
            first = cur.execute(
                f"WITH stored AS ({theirs.format(rel=rel, col=quote_ident(spec.column))}), "
                f"now AS ({theirs.format(rel=upstream.relation, col=quote_ident(up_spec.column))}) "
                f"SELECT {', '.join(f'CAST({c} AS VARCHAR)' for c in order)}, "
                f"{' OR '.join(f'{c} IS NULL' for c in order)} FROM ((FROM stored EXCEPT ALL "
                f"FROM now) UNION ALL (FROM now EXCEPT ALL FROM stored)) "
                f"ORDER BY {keys} LIMIT 1").fetchone()
        if first is None:
            self._rows_changed[model.name] = 0
            return "up to date: no row changed"
        if first[-1]:
            return None  # a null position: not ordered by comparisons
        where = _from_position(
            [(quote_ident(c), f"CAST({quote_literal(v)} AS {types[c]})")
             for c, v in zip(spec.order_by, first, strict=False)])
        row = cur.execute(f"SELECT count(*) FROM {rel} WHERE NOT ({where})").fetchone()
        before = int(row[0]) if row else 0
        bare = upstream.relation.split(".")[-1]
        with _temp_views(cur, {bare: f"SELECT * FROM {upstream.relation} WHERE {where}"}):
            inner = replace_refs(model.parsed_sql, [(ref, f"temp.main.{quote_ident(bare)}")
                                                     for ref, _ in model.refs])
            num = quote_ident(spec.number)
            sql = (f"SELECT * REPLACE (CAST({num} + {before} AS {types[spec.number]}) AS {num}) "
                   f"FROM ({inner})")
            how = self._update_all(model, spec, sql, where)
        return how.replace("updated:", f"updated from number {before + 1:,}:", 1)

    def _write_changes(
        self, model: Model, spec: IncrementalSpec, sql: str, where: str | None
    ) -> int:
        """Run ``sql`` (the rows of the stored table that match ``where``, computed again; None:
        all of them), delete the old rows that are not among them and insert the new ones that
        were not there (a row is known by the hash of all its values), so unchanged rows are
        neither written again nor followed by the models downstream. How many rows went or
        came."""
        cur, rel = self.cur, model.relation
        user = [spec.column] if spec.kind == "all" and spec.column else []
        names = [*user, *spec.changed_days]
        cols = "".join(f", {quote_ident(c)}" for c in names)
        cur.execute(f"CREATE OR REPLACE TEMP TABLE _inc_new AS\n{sql}")
        cur.execute(f"CREATE OR REPLACE TEMP TABLE _inc_new_rows AS SELECT hash({_ROW}) AS "
                    f"_h{cols} FROM _inc_new AS {_ROW}")
        # The stored rows: their row ids found by the filter's column alone, then only those
        # rows hashed (hashing every row the filter reads costs several times more).
        stored = ""
        if where is not None:
            cur.execute(f"CREATE OR REPLACE TEMP TABLE _inc_old_ids AS SELECT rowid AS _rid "
                        f"FROM {rel} WHERE {where}")
            stored = " WHERE rowid IN (SELECT _rid FROM _inc_old_ids)"
        cur.execute(f"CREATE OR REPLACE TEMP TABLE _inc_old AS SELECT rowid AS _rid, "
                    f"hash({_ROW}) AS _h{cols} FROM {rel} AS {_ROW}{stored}")
        # The rows that went (with their row id) and came (without), in one join of the two
        # sets of hashes. Rows are compared as a set: with a repeated row (a model without a
        # unique key), all the rows are replaced instead.
        row = cur.execute("SELECT (SELECT count(*) - count(DISTINCT _h) FROM _inc_new_rows) + "
                          "(SELECT count(*) - count(DISTINCT _h) FROM _inc_old)").fetchone()
        if row and not row[0]:
            either = "".join(f", coalesce(o.{quote_ident(c)}, n.{quote_ident(c)}) AS "
                             f"{quote_ident(c)}" for c in names)
            cur.execute(f"CREATE OR REPLACE TEMP TABLE _inc_changed AS SELECT o._rid, "
                        f"coalesce(o._h, n._h) AS _h{either} FROM _inc_old AS o FULL JOIN "
                        "_inc_new_rows AS n ON o._h = n._h WHERE o._h IS NULL OR n._h IS NULL")
            came = f"WHERE hash({_ROW}) IN (SELECT _h FROM _inc_changed WHERE _rid IS NULL)"
        else:
            cur.execute("CREATE OR REPLACE TEMP TABLE _inc_changed AS SELECT * FROM _inc_old "
                        "UNION ALL SELECT NULL, * FROM _inc_new_rows")
            came = ""
        cur.execute(f"DELETE FROM {rel} WHERE rowid IN (SELECT _rid FROM _inc_changed)")
        self._mark_appends(model)
        cur.execute(f"INSERT INTO {rel} BY NAME SELECT * FROM _inc_new AS {_ROW} {came}")
        # The rows that went or came: their days are what day models follow, their users
        # (kind all) what user models update.
        if spec.changed_days:
            days = " UNION ".join(f"SELECT {quote_ident(c)} AS day FROM _inc_changed"
                                  for c in spec.changed_days)
            cur.execute(f"CREATE OR REPLACE TEMP TABLE {_days_of(model.name)} AS "
                        f"SELECT DISTINCT day FROM ({days}) WHERE day IS NOT NULL")
        if user:
            cur.execute(f"CREATE OR REPLACE TEMP TABLE {_users_of(model.name)} AS SELECT DISTINCT "
                        f"{quote_ident(user[0])} AS user_id FROM _inc_changed")
        row = cur.execute("SELECT count(*) FROM _inc_changed").fetchone()
        for temp in ("_inc_new", "_inc_new_rows", "_inc_old_ids", "_inc_old", "_inc_changed"):
            cur.execute(f"DROP TABLE IF EXISTS temp.main.{temp}")
        return int(row[0]) if row else 0

    def _changed_days_for(self, spec: IncrementalSpec) -> str:
        """The SELECT of the days a day-kind model's upstreams changed in this run."""
        parts = []
        for upstream in spec.days_from:
            up = self.project.models.get(upstream)
            if up is None:
                raise _FullRefresh(f"{upstream} is not a model")
            if up.materialized == "view":
                parts.append(f"SELECT day FROM temp.main.{_STREAM_DAYS}")
            elif up.materialized == "incremental":
                if self.changed.get(upstream) == "none":
                    continue
                spec_up = up.incremental
                if not (spec_up and (spec_up.kind == "day" or spec_up.changed_days)):
                    raise _FullRefresh(f"{upstream} does not say which days it changed")
                parts.append(f"SELECT day FROM temp.main.{_days_of(upstream)}")
        return " UNION ".join(parts) or "SELECT CAST(NULL AS DATE) AS day WHERE false"

    def _day_sets(self, spec: IncrementalSpec) -> None:
        """The days to rebuild (the days its upstreams changed and the lookback after each)
        and the days they read (each with the lookback before it)."""
        cur, back = self.cur, int(spec.lookback_days)
        cur.execute(f"CREATE OR REPLACE TEMP TABLE _inc_days AS {self._changed_days_for(spec)}")
        cur.execute(f"CREATE OR REPLACE TEMP TABLE _inc_out_days AS SELECT DISTINCT "
                    f"day + CAST(k AS INTEGER) AS day FROM {_DAYS}, range(0, {back + 1}) AS r(k)")
        cur.execute(f"CREATE OR REPLACE TEMP TABLE _inc_in_days AS SELECT DISTINCT "
                    f"day - CAST(k AS INTEGER) AS day FROM {_OUT_DAYS}, range(0, {back + 1}) AS r(k)")
        row = cur.execute(f"SELECT min(day)::VARCHAR, max(day)::VARCHAR FROM {_IN_DAYS}").fetchone()
        if row and row[0] is not None:
            self.in_day_bounds = (str(row[0]), str(row[1]))

    def _update_days(self, model: Model, spec: IncrementalSpec, sql: str) -> int:
        """Rebuild the model's rows of the days to rebuild; how many days it may have changed."""
        cur, col, rel = self.cur, quote_ident(spec.column), model.relation
        # The days it may have changed, for the models that follow it: the rebuilt days that
        # held rows before or hold rows now. A rebuilt day with neither (the lookback runs past
        # the last event day) changed nothing, and would only widen the next model's update.
        held = f"SELECT DISTINCT {col} AS day FROM {rel} WHERE {col} IN (SELECT day FROM {_OUT_DAYS})"
        days = _days_of(model.name)
        cur.execute(f"CREATE OR REPLACE TEMP TABLE {days} AS {held}")
        cur.execute(f"DELETE FROM {rel} WHERE {col} IN (SELECT day FROM {_OUT_DAYS})")
        self._mark_appends(model)
        cur.execute(f"INSERT INTO {rel} BY NAME\nSELECT * FROM ({sql}) "
                    f"WHERE {col} IN (SELECT day FROM {_OUT_DAYS})")
        cur.execute(f"INSERT INTO {days} {held} EXCEPT SELECT day FROM {days}")
        row = cur.execute(f"SELECT count(*) FROM {days}").fetchone()
        return int(row[0]) if row else 0

    def _record(self, model: Model, build: _Build) -> None:
        prints = {r: self.fingerprint(r) for r in sorted(build.rw.watched)}
        self.cur.execute(f"DELETE FROM {STATE} WHERE model = ?", [model.name])
        self.cur.execute(
            f"INSERT INTO {STATE} (model, signature, batches, fingerprints) VALUES (?, ?, ?, ?)",
            [model.name, self.signature(model), json.dumps(sorted(self.current)),
             json.dumps(prints)],
        )

    # -- tests -------------------------------------------------------------------------------

    def test_scopes(self, tests: list[DataTest],
                    passed_before: Callable[[DataTest], bool]) -> dict[str, int | None]:
        """The tests that need to check only the rows this run wrote: test id → the first row
        id of those rows (None: the run wrote none). A test qualifies when its model was updated
        (not rebuilt) in this run, it judges rows one at a time or keys for repeats, and it
        passed, with the same SQL, on the rows the model held before (``passed_before``): those
        rows are unchanged (an update only deletes and appends), so only the new ones can fail
        it."""
        from shoplytics_desktop.core.models.datatests import SCOPABLE

        return {t.test_id: self.written[t.model] for t in tests
                if t.model in self.written and t.test_type in SCOPABLE and passed_before(t)}

    def test_groups(self, tests: list[DataTest],
                    passed_before: Callable[[DataTest], bool]) -> dict[str, str]:
        """The singular tests ``-- per: <column>`` that need to check only the users this run
        updated: test id → the temp table of those users. A test qualifies when it reads its
        model alone, the model was updated by that column (not rebuilt) in this run, and the
        test passed, with the same SQL, on the rows before: another user's rows are as they
        were, and the test judges each user on their rows alone."""
        out = {}
        for t in tests:
            model = self.project.models.get(t.model or "")
            spec = model.incremental if model is not None else None
            if (t.test_type == "singular" and t.per and t.model in self.updated_users
                    and spec is not None and spec.kind == "user" and spec.column == t.per
                    and set(t.reads) == {t.model} and passed_before(t)):
                out[t.test_id] = self.updated_users[t.model]
        return out

    def drop_test_groups(self) -> None:
        """Drop the users kept for ``test_groups`` (once the tests have run)."""
        for table in self.updated_users.values():
            self.cur.execute(f"DROP TABLE IF EXISTS {table}")
        self.updated_users.clear()
