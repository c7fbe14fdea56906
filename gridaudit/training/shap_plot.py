"""SHAP summary plot of a trained model, for the MLflow run (artifact ``shap_summary.png``).

Uses the model's own TreeSHAP (RiskModel.contributions, LightGBM pred_contrib), so the plot shows
exactly the contributions the inspection list's reasons are built from (log-odds, before
calibration). At most ``max_rows`` rows are drawn (a seeded sample) to keep training fast.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

MAX_SHAP_ROWS = 2_000


def shap_sample(X: pd.DataFrame, max_rows: int = MAX_SHAP_ROWS, seed: int = 0) -> pd.DataFrame:
    """All of ``X`` when it is small enough, else a seeded sample of ``max_rows`` rows (in order)."""
    if len(X) <= max_rows:
        return X
    picked = np.sort(np.random.default_rng(seed).choice(len(X), size=max_rows, replace=False))
    return X.iloc[picked]


def shap_summary_figure(model, X: pd.DataFrame, max_rows: int = MAX_SHAP_ROWS, seed: int = 0):
    """A matplotlib figure with shap's beeswarm summary of ``model`` on (a sample of) ``X``.
    Drawn with the non-interactive Agg backend; the caller closes it (plt.close(fig))."""
    # matplotlib falls back to a headless backend by itself where there is no display; forcing
    # one here would also switch off inline plots in a notebook that trains
    import matplotlib.pyplot as plt
    import shap

    sample = shap_sample(X, max_rows, seed)
    contrib = model.contributions(sample).drop(columns="base_value")
    encoded = model.encode(sample)
    plt.figure()  # shap draws on the current figure
    with warnings.catch_warnings():
        # shap colours each feature by its 5th-95th percentile: a feature with no value in the
        # sample (e.g. no bills at all) draws grey and numpy warns "All-NaN slice" to the user
        warnings.filterwarnings("ignore", "All-NaN slice", RuntimeWarning)
        shap.summary_plot(
            contrib.to_numpy(),
            features=encoded,
            feature_names=list(contrib.columns),
            show=False,
            rng=np.random.default_rng(seed),  # jitter from our seed, not numpy's global RNG
        )
    return plt.gcf()
