"""One registry that describes every feature once.

Each family module registers its features at import time with :func:`register`. Reports,
reason sentences and reason codes read descriptions from here and nowhere else.

Sentence templates are ``str.format`` templates that may use ``{value}`` (the target's value of
this feature, already formatted in its unit) and ``{peer}`` (the same feature's median among
the target's peers: same tariff category in the same area). Units decide formatting:
``ratio`` and ``share`` print as percentages, ``kwh``, ``days``, ``months``, ``count``,
``yuan``, ``kva`` and ``score`` as numbers, ``category`` as the raw value. A template may carry
two forms separated by ``|``: the first for values >= 0, the second for negative values, shown
as their size ("fell {value} below ...|rose {value} above ..."; see gridaudit.scoring.reasons).
"""

from __future__ import annotations

from dataclasses import dataclass

UNITS = ("ratio", "share", "kwh", "kwh_per_day", "days", "months", "count", "yuan", "kva", "score", "category", "flag", "percent")
DIRECTIONS = ("high", "low", "either")


@dataclass(frozen=True)
class FeatureSpec:
    name: str
    family: str
    meaning_en: str
    meaning_zh: str
    unit: str
    risky: str  # which way raises audit risk: high, low or either
    reason_en: str
    reason_zh: str
    target_type: str = "customer"

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"feature {self.name}: unit {self.unit!r} not one of {UNITS}")
        if self.risky not in DIRECTIONS:
            raise ValueError(f"feature {self.name}: risky {self.risky!r} not one of {DIRECTIONS}")

    def meaning(self, language: str = "zh") -> str:
        return self.meaning_zh if language == "zh" else self.meaning_en

    def reason_template(self, language: str = "zh") -> str:
        return self.reason_zh if language == "zh" else self.reason_en


_REGISTRY: dict[str, FeatureSpec] = {}


def register(spec: FeatureSpec) -> FeatureSpec:
    existing = _REGISTRY.get(spec.name)
    if existing is not None and existing != spec:
        raise ValueError(f"feature {spec.name!r} is described twice, differently")
    _REGISTRY[spec.name] = spec
    return spec


def spec(name: str) -> FeatureSpec:
    _load_families()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"feature {name!r} is not described in the feature registry") from None


def all_specs(target_type: str | None = None) -> list[FeatureSpec]:
    _load_families()
    return [s for s in _REGISTRY.values() if target_type is None or s.target_type == target_type]


def _load_families() -> None:
    # Importing the families registers their features.
    from . import families, work_order_specs  # noqa: F401
