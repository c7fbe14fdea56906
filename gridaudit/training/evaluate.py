"""Measure a model against the inspections of a warehouse (another period, another region).

Every customer inspection becomes an example (features as of the month before it), the model
scores it, and the ranking metrics say how well the model would have ordered those inspections.
Metrics on random and exploration picks (unbiased, METRICS.md) are reported separately when any.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..config import Config
from ..features import CustomerFeatureBuilder
from ..model import RiskModel
from .examples import build_examples
from .metrics import ranking_report
from .train import report_ks

UNBIASED_SELECTIONS = ("random", "exploration")


def evaluate_model(
    tables: dict[str, pd.DataFrame],
    model: RiskModel,
    config: Config,
    builder: CustomerFeatureBuilder | None = None,
) -> dict:
    """AUC, average precision, precision/lift/recall at 1%, 5% and the capacity, MAP@100/200."""
    X, y, meta = build_examples(tables, config, builder=builder)
    scores = model.score(X)
    report = ranking_report(y, scores, ks=report_ks(len(y), config.capacity))
    report["as_of_first"] = str(meta["as_of"].min())
    report["as_of_last"] = str(meta["as_of"].max())
    unbiased = meta["selection"].isin(UNBIASED_SELECTIONS).to_numpy()
    if unbiased.any():
        yu, su = y[unbiased], np.asarray(scores)[unbiased]
        report["random_and_exploration"] = ranking_report(yu, su, ks=report_ks(len(yu), config.capacity))
    return report
