"""Promotion to champion: only a candidate that would have found more with the same capacity.

With a backtest (``gridaudit train --backtest N``) the candidate's recipe and the current
champion's recipe (its run's LightGBM parameters) are both replayed on the *same* months of the
same warehouse, and the candidate is promoted only when its mean precision@k is higher. When
precision@k is equal (typically because k covers every inspection of those months, so both equal
the finding rate), the mean precision over the top fifth of each month decides; still equal:
not promoted (the champion keeps its place). Without a backtest, or without a champion yet, the
candidate is promoted as before and the decision says why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

DECISION_METRICS = ("precision_at_k_mean", "precision_at_20pct_mean")
RECIPE_PARAMS = ("learning_rate", "num_leaves", "min_child_samples", "feature_fraction", "lambda_l2")


@dataclass(frozen=True)
class Promotion:
    promote: bool
    reason: str
    candidate: dict  # the decision metrics of the candidate's backtest
    champion: dict  # ... of the champion's recipe on the same months (empty when none)
    champion_version: str | None = None


def recipe_from_params(params: dict[str, str]) -> dict:
    """LightGBM settings of a recorded run (its ``lgb_*`` params) as numbers."""
    out = {}
    for name in RECIPE_PARAMS:
        text = params.get(f"lgb_{name}")
        if text not in (None, ""):
            value = float(text)
            out[name] = int(value) if name in ("num_leaves", "min_child_samples") else value
    return out


def _value(summary: dict, key: str) -> float:
    value = summary.get(key, float("nan"))
    return float(value) if value is not None else float("nan")


def decide(
    candidate_summary: dict, champion_summary: dict | None, champion_version: str | None = None
) -> Promotion:
    """Pure: promote or not, and the sentence that says why."""
    cand = {k: _value(candidate_summary, k) for k in DECISION_METRICS}
    if champion_summary is None:
        return Promotion(True, "no champion yet", cand, {}, champion_version)
    champ = {k: _value(champion_summary, k) for k in DECISION_METRICS}
    for key in DECISION_METRICS:
        c, h = cand[key], champ[key]
        if math.isnan(c) or math.isnan(h):
            continue
        label = key.removesuffix("_mean").replace("_", " ").replace("precision at k", "precision@k")
        if c > h + 1e-12:
            return Promotion(
                True, f"{label} {c:.3f} beats the champion's {h:.3f}", cand, champ, champion_version
            )
        if c < h - 1e-12:
            return Promotion(
                False, f"{label} {c:.3f} does not beat the champion's {h:.3f}", cand, champ, champion_version
            )
    return Promotion(False, "no better than the champion on the same months", cand, champ, champion_version)
