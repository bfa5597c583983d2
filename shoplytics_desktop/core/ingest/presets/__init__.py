"""Import presets: vendors' export shapes recognised and mapped onto the contract, no mapping file.

One module per vendor (the way sqlglot keeps one module per dialect), each exposing::

    NAME, TITLE                      # "ga4", "Google Analytics 4 BigQuery export"
    recognize(info) -> (score, reasons)   # 0..1, and the evidence in words
    plan(info) -> Mapping            # a complete mapping, savable and editable as YAML

The registry below asks every preset; ``best`` is the highest score at or above ``THRESHOLD``
(below it, generic detection in mapping.py proposes the mapping). Event-name vocabularies are
data (vocabulary.csv), read by ``vocabulary(vendor)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

from shoplytics_desktop.core.errors import ImportError_
from shoplytics_desktop.core.ingest.detect import SourceInfo
from shoplytics_desktop.core.ingest.mapping import Mapping
from shoplytics_desktop.core.ingest.presets import (
    amplitude,
    ga4,
    mixpanel,
    online_retail,
    segment,
    segment_warehouse,
    shopify,
    shopify_events,
    snowplow,
)

#: Below this score a preset is not used unless asked for by name.
THRESHOLD = 0.6
#: ``--preset none``: generic detection, whatever presets recognise.
NONE = "none"

PRESETS: dict[str, ModuleType] = {
    m.NAME: m
    for m in (ga4, shopify, shopify_events, online_retail, segment, segment_warehouse, snowplow,
              amplitude, mixpanel)
}


@dataclass(frozen=True)
class Recognition:
    """How well a preset fits a source, and why."""

    name: str
    title: str
    score: float
    reasons: tuple[str, ...]

    @property
    def why(self) -> str:
        return "; ".join(self.reasons)

    def describe(self) -> str:
        return f"{self.title} (preset {self.name}, score {self.score:.2f}): {self.why}"


def recognize_all(info: SourceInfo) -> list[Recognition]:
    """Every preset's score for ``info``, best first."""
    out = []
    for name, module in PRESETS.items():
        score, reasons = module.recognize(info)
        out.append(Recognition(name, module.TITLE, round(float(score), 3), tuple(reasons)))
    return sorted(out, key=lambda r: (-r.score, r.name))


def best(info: SourceInfo) -> Recognition | None:
    found = recognize_all(info)
    return found[0] if found and found[0].score >= THRESHOLD else None


def get(name: str) -> ModuleType:
    module = PRESETS.get(name)
    if module is None:
        raise ImportError_(
            f"There is no import preset {name!r}.",
            f"Choose one of {', '.join(PRESETS)} (or {NONE} for generic detection).",
        )
    return module


def recognition_of(name: str, info: SourceInfo) -> Recognition:
    module = get(name)
    score, reasons = module.recognize(info)
    return Recognition(name, module.TITLE, round(float(score), 3), tuple(reasons))


def plan(name: str, info: SourceInfo) -> Mapping:
    """The named preset's mapping for ``info``."""
    mapping: Mapping = get(name).plan(info)
    return mapping.model_copy(update={"preset": name})
