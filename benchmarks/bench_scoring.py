"""Scoring throughput, and what explaining only the listed targets saves.

Scoring every customer is cheap; TreeSHAP is not. gridaudit scores everyone, then explains only
the k targets it lists (``RiskModel.contributions`` on k rows). The baseline explains everyone
with ``shap.TreeExplainer(model.booster_).shap_values`` on all rows, measured in the same run.

Usage:  python benchmarks/bench_scoring.py [--customers 5000] [--rows 20000] [--k 100]
        (the model is trained once on synthetic features and cached under /tmp/gridaudit_bench)
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _synthetic import CACHE, synthetic_warehouse  # noqa: E402

from gridaudit.config import Config  # noqa: E402
from gridaudit.engine import build_features_bucketed  # noqa: E402
from gridaudit.model import ModelIntegrityError, RiskModel  # noqa: E402

AS_OF = "2025-11"


def trained_model(customers: int, rounds: int = 200) -> tuple[RiskModel, pd.DataFrame]:
    """A RiskModel trained on synthetic features (label: a planted problem), and those features."""
    from gridaudit.synth import generate_tables

    warehouse = synthetic_warehouse(customers)
    features = build_features_bucketed(warehouse, AS_OF, Config())
    folder = CACHE / f"model_{customers}_{rounds}"
    if (folder / "meta.json").exists():
        try:
            return RiskModel.load(folder), features
        except ModelIntegrityError:  # saved by another gridaudit version: train again
            pass
    _tables, truth = generate_tables(customers=customers, months=13, end_month="2025-12", seed=7)
    problem = truth["customers"].set_index("customer_id")["problem"].reindex(features.index)
    y = (problem.fillna("none") != "none").to_numpy(dtype=float)
    model = RiskModel(num_boost_round=rounds, early_stopping_rounds=None, calibration=None).fit(features, y)
    model.save(folder)
    return model, features


def timed(function):
    started = time.perf_counter()
    result = function()
    return result, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=5000, help="customers the model is trained on")
    parser.add_argument("--rows", type=int, default=20000, help="rows scored (the features repeated)")
    parser.add_argument("--k", type=int, default=100, help="targets listed and explained")
    args = parser.parse_args()

    import shap

    model, features = trained_model(args.customers)
    repeats = -(-args.rows // len(features))
    rows = pd.concat([features] * repeats).iloc[: args.rows]
    rows.index = pd.RangeIndex(len(rows), name="row")
    print(
        f"model: {model.booster_.num_trees()} trees, {len(model.feature_names_)} features; "
        f"{len(rows):,} rows to score, k = {args.k}"
    )

    scores, t_score = timed(lambda: model.score(rows))
    top = np.argsort(-scores, kind="stable")[: args.k]
    listed, t_listed = timed(lambda: model.contributions(rows.iloc[top]))
    explainer = shap.TreeExplainer(model.booster_)
    warnings.filterwarnings("ignore", message="LightGBM binary classifier")  # list-output notice
    everyone, t_everyone = timed(lambda: explainer.shap_values(model.encode(rows)))
    everyone = np.asarray(everyone[1] if isinstance(everyone, list) else everyone)
    same = np.allclose(everyone[top], listed.drop(columns="base_value").to_numpy(), rtol=1e-6, atol=1e-9)

    print(f"{'step':<58}{'seconds':>9}{'rows/s':>14}")
    print(f"{'score every row (RiskModel.score)':<58}{t_score:>9.3f}{len(rows) / t_score:>14,.0f}")
    print(
        f"{f'explain the {args.k} listed (RiskModel.contributions)':<58}{t_listed:>9.3f}{args.k / t_listed:>14,.0f}"
    )
    print(
        f"{'explain every row (shap.TreeExplainer.shap_values)':<58}{t_everyone:>9.3f}{len(rows) / t_everyone:>14,.0f}"
    )
    print(f"contributions of the listed rows equal shap's: {same}")
    print(f"explanation cost ratio, everyone / only the listed: {t_everyone / t_listed:,.0f}x")
    print(
        f"whole job ratio, (score + explain everyone) / (score + explain listed): "
        f"{(t_score + t_everyone) / (t_score + t_listed):.1f}x"
    )


if __name__ == "__main__":
    main()
