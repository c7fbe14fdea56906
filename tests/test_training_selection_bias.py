"""Selection-bias weights and population estimates of precision@k, worked by hand."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridaudit.errors import InputError
from gridaudit.training.examples import sample_weights
from gridaudit.training.metrics import precision_at_k
from gridaudit.training.selection_bias import (
    design_weights,
    summarise_bias,
    unbiased_report,
    weighted_precision_at_k,
)

META = pd.DataFrame(
    {
        "selection": ["targeted", "random", "exploration", "tip", "random", "unknown"],
        "inclusion_probability": [np.nan, 0.25, 0.5, np.nan, np.nan, 0.1],
    }
)


def test_design_weights_one_over_p_for_random_and_exploration_only(caplog):
    # unknown selection with a p still weighs 1; a random pick without p weighs 1 and is logged
    assert design_weights(META).tolist() == [1.0, 4.0, 2.0, 1.0, 1.0, 1.0]
    assert "1 random/exploration inspections have no usable inclusion_probability" in caplog.text


def test_sample_weights_hook_schemes():
    assert sample_weights(META, None) is None and sample_weights(META, "none") is None
    assert sample_weights(META, "inverse_probability").tolist() == [1.0, 4.0, 2.0, 1.0, 1.0, 1.0]
    with pytest.raises(InputError, match="sample_weighting 'magic'"):
        sample_weights(META, "magic")


def test_weighted_precision_fills_k_with_population_mass():
    y, s, w = [1, 0, 1, 0], [4, 3, 2, 1], [2, 4, 1, 1]
    # k=4: score 4 gives mass 2 (finding), score 3 half of its mass 4 (clean): 2 / 4
    assert weighted_precision_at_k(y, s, w, 4) == 0.5
    # k=7: 2 + 4 + 1 mass, findings 2 + 1: 3 / 7
    assert weighted_precision_at_k(y, s, w, 7) == pytest.approx(3 / 7)
    # k beyond the total mass (8) is cut to it: 3 / 8
    assert weighted_precision_at_k(y, s, w, 100) == pytest.approx(3 / 8)
    # a tie block at the boundary counts pro rata: scores 3 and 3 share mass 5, need 2 of it
    assert weighted_precision_at_k([1, 1, 0, 0], [4, 3, 3, 1], [2, 1, 4, 1], 4) == pytest.approx(
        (2 + 0.4) / 4
    )


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 1), st.integers(0, 5)), min_size=1, max_size=30),
    st.integers(1, 40),
)
def test_unit_weights_equal_plain_precision_at_k(pairs, k):
    y = [p[0] for p in pairs]
    s = [p[1] for p in pairs]
    assert weighted_precision_at_k(y, s, np.ones(len(y)), k) == pytest.approx(precision_at_k(y, s, k))


def test_unbiased_report_by_hand():
    meta = pd.DataFrame(
        {
            "selection": ["targeted", "targeted", "random", "random", "random"],
            "inclusion_probability": [np.nan, np.nan, 0.1, 0.1, 0.1],
        }
    )
    y = [1, 1, 1, 0, 0]
    scores = [0.9, 0.8, 0.7, 0.6, 0.1]
    report = unbiased_report(y, scores, meta, k=12)
    # random picks weigh 10: top 12 of their mass 30 = all of 0.7 (finding) + 2 of 0.6 (clean)
    assert report["random_ipw_precision_at_k"] == pytest.approx(10 / 12)
    assert report["random_ipw_base_rate"] == pytest.approx(1 / 3)
    assert report["random_ipw_lift_at_k"] == pytest.approx(2.5)
    # design-weighted: targeted 1 + 1 (findings), then 10 of the 0.7 pick (finding): 12 / 12
    assert report["design_weighted_precision_at_k"] == 1.0
    assert report["design_weighted_population"] == 32.0
    assert report["naive_precision_at_k"] == pytest.approx(3 / 5)  # k cut to the 5 inspected
    assert unbiased_report(y, scores, meta.assign(selection="targeted"), k=2) == {}


def test_summarise_bias_mean_absolute_error():
    comparison = pd.DataFrame(
        {
            "k": [10, 10],
            "naive_precision_at_k": [0.5, 0.7],
            "random_ipw_precision_at_k": [0.2, np.nan],
            "design_weighted_precision_at_k": [0.3, 0.3],
            "true_precision_at_k": [0.3, 0.4],
        }
    )
    row = summarise_bias(comparison).iloc[0]
    assert row["naive_abs_error"] == pytest.approx(0.25)
    assert row["random_ipw_abs_error"] == pytest.approx(0.1)
    assert row["design_weighted_abs_error"] == pytest.approx(0.05)


def test_summarise_bias_pools_the_threshold_estimates_over_months():
    comparison = pd.DataFrame(
        {
            "k": [10, 10],
            "naive_precision_at_k": [0.5, 0.5],
            "random_ipw_precision_at_k": [0.0, 0.0],
            "design_weighted_precision_at_k": [0.1, 0.1],
            "true_precision_at_k": [0.5, 0.5],
            "random_above": [1, 3],
            "random_above_findings": [1.0, 1.0],
            "design_above_weight": [10.0, 30.0],  # e.g. one random pick of weight 10, three of 10
            "design_above_weighted_findings": [10.0, 10.0],
        }
    )
    row = summarise_bias(comparison).iloc[0]
    assert row["random_threshold_n"] == 4
    assert row["random_threshold_precision_at_k"] == pytest.approx(0.5)  # (1 + 1) / (1 + 3)
    assert row["design_threshold_precision_at_k"] == pytest.approx(0.5)  # 20 / 40


def test_inspections_at_k_counts_the_picks_an_estimate_rests_on():
    from gridaudit.training.selection_bias import inspections_at_k

    scores, weights = [0.9, 0.8, 0.8, 0.1], [4.0, 1.0, 1.0, 4.0]
    assert inspections_at_k(scores, weights, 4) == 1  # the 0.9 pick alone carries 4 units of mass
    assert inspections_at_k(scores, weights, 5) == 3  # the tied 0.8 block starts inside 5 units
    assert inspections_at_k(scores, weights, 100) == 4 and inspections_at_k(scores, weights, 0) == 0


def test_the_cli_hides_a_random_pick_estimate_resting_on_a_handful_of_picks():
    from gridaudit.cli.cmd_train import _bias_line

    few = _bias_line(
        {"naive_precision_at_k": 0.5, "random_ipw_precision_at_k": 1.0, "random_ipw_inspections_at_k": 3}, 100
    )
    assert "not shown: only 3 random picks reach the top 100" in few and "1.000" not in few
    many = _bias_line(
        {"naive_precision_at_k": 0.5, "random_ipw_precision_at_k": 0.25, "random_ipw_inspections_at_k": 12},
        100,
    )
    assert "0.250 (from 12 random picks)" in many
