"""The glossary defines every figure the dashboards show, and docs/metrics.md says the same."""

from __future__ import annotations

from pathlib import Path

from shoplytics_desktop.core.analytics import glossary
from shoplytics_desktop.core.analytics.funnel import STEPS
from shoplytics_desktop.core.analytics.products import CATEGORY_COLUMNS, PRODUCT_COLUMNS

ROOT = Path(__file__).resolve().parents[2]

#: Every KPI key the Overview, Engagement and Revenue tabs can show.
KPI_KEYS = ("revenue", "net_revenue", "refunds", "orders", "aov", "sessions", "conversion",
            "stickiness", "dau", "wau", "mau", "new_users", "buyers", "units")


def test_every_kpi_and_table_column_has_a_definition() -> None:
    numeric = [c for c in (*PRODUCT_COLUMNS, *CATEGORY_COLUMNS)
               if c not in ("product_id", "name", "category", "brand")]
    for key in (*KPI_KEYS, *numeric, *(c for c, _ in STEPS), "funnel_completion", "retention"):
        m = glossary.metric(key)
        assert m is not None, key
        assert m.definition and m.formula, key


def test_session_conversion_and_funnel_completion_are_told_apart() -> None:
    conv, done = glossary.metric("conversion"), glossary.metric("funnel_completion")
    assert conv is not None and done is not None
    assert conv.name == "Session conversion" and done.name == "Funnel completion"
    assert "not the funnel completion" in conv.definition


def test_docs_metrics_md_is_current() -> None:
    text = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    assert text == glossary.markdown(), (
        "docs/metrics.md is out of date: write glossary.markdown() to it")
