"""Baselines the model must beat: the rule-of-thumb list an audit team draws up today by hand.

Auditors look for three signs: consumption fell a lot, the meter sat at zero for a long time, and
many refunds were booked. The rule-of-thumb score ranks customers on each sign separately
(percentile rank within the frame given, 0 to 1, ties averaged), treats a missing value as the
least suspicious (rank 0), and averages the three ranks. Higher = inspect first. A sign whose
column is absent from the frame counts as missing for everyone.
"""

from __future__ import annotations

import pandas as pd

# Customer features (gridaudit.features.all_specs('customer')); all three are risky when high.
RULE_OF_THUMB_COLUMNS = (
    "kwh_drop_ratio_3m_vs_12m",  # 1 - recent daily kWh / own 12-month median: large drop = high
    "zero_run_max_90d",  # longest run of zero days in the last 90 days
    "adj_count_refund_12m",  # refund adjustments booked in the last 12 months
)


def rule_of_thumb_score(features: pd.DataFrame) -> pd.Series:
    """Mean percentile rank (0..1) of the rule-of-thumb signs, indexed like ``features``.

    Ranks are relative to the rows of ``features`` (e.g. one month's inspected customers), so a
    score compares customers within one list, not across months.
    """
    ranks = pd.DataFrame(index=features.index)
    for column in RULE_OF_THUMB_COLUMNS:
        if column in features.columns:
            values = pd.to_numeric(features[column], errors="coerce").astype("float64")
            ranks[column] = values.rank(method="average", pct=True).fillna(0.0)
        else:
            ranks[column] = 0.0
    return ranks.mean(axis=1).rename("rule_of_thumb_score")


def has_rule_of_thumb_features(features: pd.DataFrame) -> bool:
    """Whether any rule-of-thumb sign exists (work-order frames have none)."""
    return any(column in features.columns for column in RULE_OF_THUMB_COLUMNS)
