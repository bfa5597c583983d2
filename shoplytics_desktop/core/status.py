"""The names the model runner, its history and every reader of them share: run, model and test
statuses, test severities, layers and materializations, and the one order of test outcomes from
best to worst. No Qt here; the ui's colours for these statuses are in ``ui/theme.py``.

Run kinds and run statuses are ``StrEnum``s (their members are the plain strings stored in the
workspace's history tables); the rest are ``Literal`` types: plain strings in tables and JSON that
a type checker still refuses when misspelt.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Literal, get_args


class RunKind(StrEnum):
    """What a run does."""

    RUN = "run"  # build the models, test them, publish
    TEST = "test"  # the data tests alone, against what is published


class RunStatus(StrEnum):
    """A run as a whole."""

    RUNNING = "running"
    SUCCESS = "success"
    WARN = "warn"  # published, with warning-severity test failures
    ERROR = "error"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"  # the process stopped mid-run (set when the workspace reopens)

    @property
    def published(self) -> bool:
        """A model run with this status published its build."""
        return self in (RunStatus.SUCCESS, RunStatus.WARN)


#: One model of a run.
ModelStatus = Literal["pending", "running", "success", "error", "skipped", "cancelled"]
#: One data test: ``error`` means the test itself could not run.
TestStatus = Literal["pass", "warn", "fail", "error"]
#: What a failing test does: ``error`` fails the run (and blocks publishing), ``warn`` does not.
Severity = Literal["error", "warn"]
Layer = Literal["staging", "intermediate", "marts"]
#: view: a view. table: a table. transient: during a run, a table computed once for the models
#: and tests that read it and never written to disk; published as a view (an intermediate step
#: nobody reads between runs costs neither storage nor write time). incremental: a table that a run
#: updates only where new events can change it (see core.models.incremental).
Materialization = Literal["view", "table", "transient", "incremental"]

RUN_STATUSES: tuple[RunStatus, ...] = tuple(RunStatus)
MODEL_STATUSES: tuple[ModelStatus, ...] = get_args(ModelStatus)
SEVERITIES: tuple[Severity, ...] = get_args(Severity)
#: The model layers, in build order.
LAYERS: tuple[Layer, ...] = get_args(Layer)
MATERIALIZATIONS: tuple[Materialization, ...] = get_args(Materialization)
DEFAULT_MATERIALIZATION: dict[Layer, Materialization] = {
    "staging": "view",
    "intermediate": "view",
    "marts": "table",
}

#: Test outcomes from best to worst: every list, count and "worst of" uses this order.
TEST_STATUSES: tuple[TestStatus, ...] = get_args(TestStatus)
#: The outcomes of a test that did not pass.
PROBLEMS: tuple[TestStatus, ...] = TEST_STATUSES[1:]


def outcome_rank(status: str) -> int:
    """The place of a test outcome from best (0) to worst; anything unknown after them all."""
    order: tuple[str, ...] = TEST_STATUSES
    return order.index(status) if status in order else len(order)


def worst(statuses: Iterable[str]) -> str | None:
    """The worst of these test outcomes (None for none)."""
    return max(statuses, key=outcome_rank, default=None)
