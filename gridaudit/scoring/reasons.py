"""Turn a listed target's SHAP contributions into up to three sentences an auditor can check.

For each explained row the features with the largest *positive* contributions (those that push
toward risk) become reasons, rendered with the feature's registry template. ``{value}`` is the
target's own value, formatted by the feature's unit; ``{peer}`` is the median of the feature among
customers of the same tariff category in the same area (the whole tariff category when that group
has fewer than ``min_group`` customers). A category feature's value is its raw level, e.g. the
transformer-area id. Fewer than three positive contributions give fewer reasons.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd

from ..contract import VALUE_ALIASES
from ..features import registry

log = logging.getLogger(__name__)

N_REASONS = 3
PEER_KEYS = ("tariff_category", "area_id")
MIN_PEER_GROUP = 5

_MISSING = {"zh": "无数据", "en": "n/a"}
_FLAG = {"zh": ("是", "否"), "en": ("yes", "no")}
# Chinese display names of category values (canonical value -> first Chinese alias)
_ZH_CATEGORY_VALUES = {
    column: {canonical: alias for alias, canonical in reversed(list(aliases.items()))}
    for (table, column), aliases in VALUE_ALIASES.items()
    if table == "customers"
}


def _number(number: float) -> str:
    if number == round(number) or abs(number) >= 100:
        return f"{number:,.0f}"
    return f"{number:.1f}" if abs(number) >= 1 else f"{number:.2f}"


def format_value(value, unit: str, language: str = "zh") -> str:
    """A value as an auditor reads it, following the registry's convention (templates carry the
    unit words): ratio and share as percentages ('64%'), percent as '64%', flag as yes/no,
    score with two decimals, category as its raw value, and kwh, kwh_per_day, days, months,
    count, yuan and kva as plain numbers with thousands separators ('1,234')."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return _MISSING.get(language, "n/a")
    if unit == "category":
        return str(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(number):
        return _MISSING.get(language, "n/a")
    if unit in ("ratio", "share"):
        return f"{number * 100:.0f}%"
    if unit == "percent":
        return f"{number:.0f}%"
    if unit == "flag":
        yes, no = _FLAG["zh" if language == "zh" else "en"]
        return yes if number else no
    if unit == "score":
        return f"{number:.2f}"
    return _number(number)


def _spec_or_none(name: str):
    try:
        return registry.spec(name)
    except KeyError:
        return None


def peer_medians(features: pd.DataFrame, columns: list[str], min_group: int = MIN_PEER_GROUP) -> pd.DataFrame:
    """Per customer, the median of each numeric column among its peers (same tariff category and
    area; the whole tariff category when that group is smaller than ``min_group``). Category
    columns get their own value back (a peer 'median' of an area id means nothing)."""
    numeric = [c for c in columns if c in features.columns and pd.api.types.is_numeric_dtype(features[c])]
    out = pd.DataFrame(index=features.index)
    keys = [k for k in PEER_KEYS if k in features.columns]
    if numeric:
        values = features[numeric].astype(float)
        if len(keys) == 2:
            tariff = features[keys[0]].astype(str)
            area = features[keys[1]].astype(str)
            group = values.groupby([tariff, area], sort=False)
            size = group[numeric[0]].transform("size")
            local = group.transform("median")
            wide = values.groupby(tariff, sort=False).transform("median")
            big = np.broadcast_to((size >= min_group).to_numpy()[:, None], local.shape)
            medians = local.where(big, wide)
        elif keys:
            medians = values.groupby(features[keys[0]].astype(str), sort=False).transform("median")
        else:
            medians = pd.DataFrame(
                np.broadcast_to(values.median().to_numpy(), values.shape), index=values.index, columns=numeric
            )
        out = pd.concat([out, medians], axis=1)
    for col in columns:
        if col not in out.columns and col in features.columns:
            out[col] = features[col].astype("object")
    return out


def render_reason(feature: str, value, peer, language: str = "zh") -> str:
    """One sentence for one feature, from its registry template (a plain fallback when the feature
    is not described, so a missing description never stops the list)."""
    if language == "zh" and isinstance(value, str):  # e.g. residential -> 居民生活
        value = _ZH_CATEGORY_VALUES.get(feature, {}).get(value, value)
    spec = _spec_or_none(feature)
    if spec is None:
        shown = format_value(value, "category" if isinstance(value, str) else "count", language)
        return f"{feature} = {shown}"
    unit = spec.unit
    shown, peer_shown = format_value(value, unit, language), format_value(peer, unit, language)
    try:
        return spec.reason_template(language).format(value=shown, peer=peer_shown)
    except (KeyError, IndexError, ValueError) as exc:
        log.warning(
            "feature %s: its reason template cannot be filled (%s); using a plain sentence", feature, exc
        )
        return f"{spec.meaning(language)}: {shown}"


def top_reasons(
    contributions: pd.DataFrame,
    values: pd.DataFrame,
    peers: pd.DataFrame,
    language: str = "zh",
    n_reasons: int = N_REASONS,
) -> pd.DataFrame:
    """``reason_1..reason_n`` and ``reason_codes`` (feature names, ';'-joined) per explained row.

    ``contributions`` has one column per feature plus ``base_value`` (as RiskModel.contributions
    returns); ``values`` and ``peers`` are indexed like it.
    """
    features = [c for c in contributions.columns if c != "base_value"]
    matrix = contributions[features].to_numpy(dtype=float)
    # largest first; ties broken by feature order (stable sort on the negated values)
    order = np.argsort(-matrix, axis=1, kind="stable")[:, :n_reasons]
    top_values = np.take_along_axis(matrix, order, axis=1)
    columns = {f"reason_{i + 1}": [] for i in range(n_reasons)}
    codes = []
    for row, customer in enumerate(contributions.index):  # only the listed targets: ~capacity rows
        names = [features[j] for j, c in zip(order[row], top_values[row], strict=True) if c > 0]
        for i in range(n_reasons):
            if i < len(names):
                name = names[i]
                peer = peers.at[customer, name] if name in peers.columns else None
                columns[f"reason_{i + 1}"].append(
                    render_reason(name, values.at[customer, name], peer, language)
                )
            else:
                columns[f"reason_{i + 1}"].append("")
        codes.append(";".join(names))
    out = pd.DataFrame(columns, index=contributions.index, dtype="str")
    out["reason_codes"] = pd.Series(codes, index=contributions.index, dtype="str")
    return out
