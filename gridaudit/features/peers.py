"""Peer-relative features: the main level and shape features against the account's peers.

Peers are accounts of the same tariff category, either in the same area (台区) or across the
whole company. For a level (kWh, load factor) the comparison is a ratio to the peers' median;
for a feature that is already relative (drop ratios, shares) it is the difference. Each also gets
a robust z-score, (x - median) / (1.4826 * MAD), which a few extreme neighbours cannot move.
Groups smaller than ``min_peers`` (the account included) give NaN: too few to compare with.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .context import FeatureContext
from .groups import group_sum_and_count
from .registry import FeatureSpec, register

FAMILY = "peers"
# base feature -> "ratio" (compare a level) or "diff" (compare something already relative)
PEER_BASES: dict[str, tuple[str, str, str]] = {
    "kwh_mean_3m": ("ratio", "mean daily kWh over the last 90 days", "近90天日均用电量"),
    "kwh_drop_ratio_1m_vs_12m": (
        "diff",
        "drop of the last 30 days against its own 12 months",
        "近30天用电量较自身12个月的降幅",
    ),
    "kwh_drop_ratio_3m_vs_12m": (
        "diff",
        "drop of the last 90 days against its own 12 months",
        "近90天用电量较自身12个月的降幅",
    ),
    "zero_day_share_90d": ("diff", "share of zero days in the last 90 days", "近90天零电量天数比例"),
    "load_factor_3m": ("ratio", "load factor of the last 90 days", "近90天负荷率"),
    "kwh_trend_12m": ("diff", "12-month consumption trend", "近12个月用电趋势"),
}
SCOPES = {
    "area": ("same tariff category in the same area", "同台区同类用户"),
    "company": ("same tariff category in the whole company", "全公司同类用户"),
}
MAD_SCALE = 1.4826  # makes the MAD estimate the standard deviation for normal data
MEAN_AD_SCALE = 1.2533  # same for the mean absolute deviation, used when the MAD is zero


def peer_feature_names(base: str) -> dict[str, str]:
    """Column names produced for one base feature."""
    kind = PEER_BASES[base][0]
    return {
        f"{scope}_{what}": f"{base}_{'z' if what == 'z' else kind}_{scope}_peers"
        for scope in SCOPES
        for what in ("rel", "z")
    }


for _base, (_kind, _en, _zh) in PEER_BASES.items():
    for _scope, (_scope_en, _scope_zh) in SCOPES.items():
        _names = peer_feature_names(_base)
        if _kind == "ratio":
            register(
                FeatureSpec(
                    _names[f"{_scope}_rel"],
                    FAMILY,
                    f"{_en}, as a ratio to the median of accounts of the {_scope_en}",
                    f"{_zh}与{_scope_zh}中位数之比",
                    "ratio",
                    "either",
                    f"{_en} is {{value}} of the {_scope_en} median (peers: {{peer}})",
                    f"{_zh}为{_scope_zh}中位数的{{value}}（同台区同类用户为{{peer}}）",
                )
            )
        else:
            register(
                FeatureSpec(
                    _names[f"{_scope}_rel"],
                    FAMILY,
                    f"{_en}, minus the median of accounts of the {_scope_en}",
                    f"{_zh}减去{_scope_zh}中位数",
                    "ratio",
                    "either",
                    f"{_en} differs by {{value}} from the {_scope_en} median (peers: {{peer}})",
                    f"{_zh}与{_scope_zh}中位数相差{{value}}（同台区同类用户为{{peer}}）",
                )
            )
        register(
            FeatureSpec(
                _names[f"{_scope}_z"],
                FAMILY,
                f"robust z-score of the {_en} among accounts of the {_scope_en}",
                f"{_zh}在{_scope_zh}中的稳健Z分数",
                "score",
                "either",
                f"{_en} is {{value}} robust standard deviations from the {_scope_en} (peers: {{peer}})",
                f"{_zh}偏离{_scope_zh}{{value}}个稳健标准差（同台区同类用户为{{peer}}）",
            )
        )


def _peer_stats(values: pd.Series, groups: np.ndarray, min_peers: int) -> tuple[pd.Series, pd.Series]:
    """Per row: its peer group's median and robust scale (NaN for groups below ``min_peers``).

    ``groups`` holds one float group code per row, NaN where the row has no peer group.
    """
    by_group = values.groupby(groups, dropna=True, sort=False)
    median = by_group.transform("median")
    count = by_group.transform("count")
    deviation = (values - median).abs()
    by_deviation = deviation.groupby(groups, dropna=True, sort=False)
    mad = by_deviation.transform("median") * MAD_SCALE
    total, n = group_sum_and_count(deviation.to_numpy(dtype=float), groups)  # same floats in any row order
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_ad = pd.Series(np.where(n > 0, total / n, np.nan), index=values.index) * MEAN_AD_SCALE
    scale = mad.where(mad > 0, mean_ad).where(lambda s: s > 0)
    enough = count >= min_peers
    return median.where(enough), scale.where(enough)


def _group_codes(*keys: pd.Series) -> np.ndarray:
    """One float code per distinct combination of the keys; NaN where any key is missing."""
    missing = np.zeros(len(keys[0]), dtype=bool)
    for key in keys:
        missing |= key.isna().to_numpy()
    codes, _ = pd.MultiIndex.from_arrays([key.astype("string") for key in keys]).factorize()
    return np.where(missing, np.nan, codes.astype(float))


def peer_features(frame: pd.DataFrame, ctx: FeatureContext | None, min_peers: int = 5) -> pd.DataFrame | None:
    """Second pass over the assembled frame; returns new columns only (same index).

    Peer statistics are taken over the rows of ``frame``: the whole company when the frame is
    built in one piece. ``ctx`` is accepted for the builder's calling convention.
    """
    bases = [base for base in PEER_BASES if base in frame.columns]
    if not bases or "tariff_category" not in frame.columns:
        return None
    scopes = {"company": _group_codes(frame["tariff_category"])}
    if "area_id" in frame.columns:
        scopes["area"] = _group_codes(frame["tariff_category"], frame["area_id"])
    out: dict[str, pd.Series] = {}
    for base in bases:
        kind = PEER_BASES[base][0]
        values = pd.to_numeric(frame[base], errors="coerce").astype(float)
        names = peer_feature_names(base)
        for scope, groups in scopes.items():
            median, scale = _peer_stats(values, groups, min_peers)
            relative = (values / median).where(median > 0) if kind == "ratio" else values - median
            out[names[f"{scope}_rel"]] = relative
            out[names[f"{scope}_z"]] = (values - median) / scale
    ordered = [column for base in bases for column in peer_feature_names(base).values() if column in out]
    result = pd.DataFrame(out, index=frame.index)[ordered]
    return result.astype(float).replace([np.inf, -np.inf], np.nan)
