"""Measure a model against the inspections of a warehouse (another period, another region).

Every customer inspection becomes an example (features as of the month before it), the model
scores it, and the ranking metrics say how well the model would have ordered those inspections.
Metrics on random and exploration picks (unbiased, METRICS.md) are reported separately when any.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..config import Config
from ..model import RiskModel
from .examples import build_examples
from .metrics import ranking_report
from .selection_bias import UNBIASED_SELECTIONS, unbiased_report
from .train import report_ks, target_capacity


def evaluate_model(
    tables: dict[str, pd.DataFrame],
    model: RiskModel,
    config: Config,
    builder=None,
    target_type: str = "customer",
) -> dict:
    """AUC, average precision, precision/lift/recall at 1%, 5% and the capacity, MAP@100/200,
    over the inspections of ``target_type`` (customer or work_order)."""
    X, y, meta = build_examples(tables, config, builder=builder, target_type=target_type)
    capacity = target_capacity(config, target_type)
    scores = model.score(X)
    report = ranking_report(y, scores, ks=report_ks(len(y), capacity))
    report["as_of_first"] = str(meta["as_of"].min())
    report["as_of_last"] = str(meta["as_of"].max())
    unbiased = meta["selection"].isin(UNBIASED_SELECTIONS).to_numpy()
    if unbiased.any():
        yu, su = y[unbiased], np.asarray(scores)[unbiased]
        report["random_and_exploration"] = ranking_report(yu, su, ks=report_ks(len(yu), capacity))
        # population estimates at the capacity: random picks weighted 1/p, and all inspections
        # with design weights (selection_bias); the plain figures above are the naive ones
        report["population_estimate"] = unbiased_report(y, scores, meta, capacity)
    return report
