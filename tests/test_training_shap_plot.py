"""SHAP summary plot: drawn from the model's own TreeSHAP on at most 2,000 rows."""

import pandas as pd
from training_fixtures import StubBuilder, tiny_tables

from gridaudit.config import Config
from gridaudit.training.shap_plot import shap_sample, shap_summary_figure
from gridaudit.training.train import make_model


def test_shap_sample_keeps_small_frames_and_caps_large_ones_reproducibly():
    small = pd.DataFrame({"x": range(10)})
    assert shap_sample(small, max_rows=10) is small
    large = pd.DataFrame({"x": range(5_000)})
    first, again = shap_sample(large, seed=3), shap_sample(large, seed=3)
    assert len(first) == 2_000 and first.index.is_monotonic_increasing and first.index.is_unique
    assert first.index.equals(again.index)


def test_summary_figure_labels_rows_with_the_model_features():
    import matplotlib.pyplot as plt

    tables = tiny_tables(n_customers=200)
    X = StubBuilder(tables).build("2024-03")
    y = (X["is_even"] == 1).to_numpy().astype(int)
    model = make_model(Config(num_boost_round=10, min_child_samples=5)).fit(X, y)
    fig = shap_summary_figure(model, X, max_rows=50)
    try:
        labels = {t.get_text() for t in fig.axes[0].get_yticklabels()}  # axes[1]: colour bar
        assert set(model.feature_names_) >= labels and "is_even" in labels
    finally:
        plt.close(fig)
    assert not plt.get_fignums()


def test_summary_figure_of_a_feature_without_values_warns_nobody():
    """A feature that is missing for every sampled row (a company without bills) draws grey;
    numpy's "All-NaN slice" warning from shap's colour scale must not reach the auditor."""
    import warnings

    import matplotlib.pyplot as plt
    import numpy as np

    tables = tiny_tables(n_customers=200)
    X = StubBuilder(tables).build("2024-03")
    y = (X["is_even"] == 1).to_numpy().astype(int)
    model = make_model(Config(num_boost_round=10, min_child_samples=5)).fit(X.assign(no_bills=0.0), y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        fig = shap_summary_figure(model, X.assign(no_bills=np.nan), max_rows=50)
    plt.close(fig)
