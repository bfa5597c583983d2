"""The names several parts of the app share have one definition: the mapped event fields come
from the contract, test outcomes have one order, layers and materializations one list."""

from __future__ import annotations

from shoplytics_desktop.core import contract, status
from shoplytics_desktop.core.models import project


def test_the_mapped_fields_are_the_contract_columns_but_event_name() -> None:
    assert list(contract.MAPPED_FIELDS) == [
        c for c in contract.EVENT_COLUMN_NAMES if c != "event_name"
    ]
    assert set(contract.REQUIRED_SOURCE_COLUMNS) <= set(contract.MAPPED_FIELDS)


def test_the_generator_writes_every_contract_column_in_order() -> None:
    from shoplytics_desktop.core.generate import sql
    from shoplytics_desktop.core.generate.catalog import build_catalog
    from shoplytics_desktop.core.generate.spec import GenerateSpec, resolve

    spec = resolve(GenerateSpec(events=1000, days=3))
    text = sql.events_select(spec, build_catalog(spec), "chunk")
    aliases = [line.rsplit(" AS ", 1)[1].rstrip(",") for line in text.splitlines() if " AS " in line]
    assert aliases == contract.EVENT_COLUMN_NAMES


def test_test_outcomes_have_one_order() -> None:
    assert status.TEST_STATUSES == ("pass", "warn", "fail", "error")
    assert status.PROBLEMS == ("warn", "fail", "error")
    assert [status.outcome_rank(s) for s in ("pass", "warn", "fail", "error", "other")] == [
        0, 1, 2, 3, 4,
    ]
    assert status.worst(["warn", "error", "fail"]) == "error"
    assert status.worst(["pass", "warn"]) == "warn"
    assert status.worst([]) is None


def test_the_project_loader_uses_the_shared_lists() -> None:
    assert project.LAYERS == ("staging", "intermediate", "marts")
    assert project.MATERIALIZATIONS == ("view", "table", "transient", "incremental")
    assert set(project.DEFAULT_MATERIALIZATION) == set(project.LAYERS)
