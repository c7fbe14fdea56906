"""Rule-of-thumb baseline: scores worked by hand, and its columns in the backtest table."""

import numpy as np
import pandas as pd
import pytest
from training_fixtures import StubBuilder, tiny_tables

from gridaudit.config import Config
from gridaudit.features import all_specs
from gridaudit.training.backtest import backtest
from gridaudit.training.baselines import RULE_OF_THUMB_COLUMNS, rule_of_thumb_score

CONFIG = Config(
    num_boost_round=20, min_child_samples=5, validation_months=1, capacity=5, label_delay_months=1
)


def test_rule_columns_are_real_customer_features():
    names = {spec.name for spec in all_specs("customer")}
    assert set(RULE_OF_THUMB_COLUMNS) <= names


def test_rule_of_thumb_score_by_hand():
    frame = pd.DataFrame(
        {
            "kwh_drop_ratio_3m_vs_12m": [0.5, 0.1, np.nan, 0.9],
            "zero_run_max_90d": [0, 0, 30, 10],
            "adj_count_refund_12m": [1, np.nan, np.nan, 1],
            "unrelated": [9, 9, 9, 9],
        },
        index=pd.Index(["a", "b", "c", "d"], name="customer_id"),
    )
    # drop: 3 known values -> b 1/3, a 2/3, d 3/3; missing c -> 0
    # zero runs: a, b tie on ranks 1-2 -> 1.5/4; d 3/4; c 4/4
    # refunds: a, d tie on ranks 1-2 of 2 known -> 1.5/2; b, c missing -> 0
    expected = pd.Series(
        {
            "a": (2 / 3 + 0.375 + 0.75) / 3,
            "b": (1 / 3 + 0.375 + 0.0) / 3,
            "c": (0.0 + 1.0 + 0.0) / 3,
            "d": (1.0 + 0.75 + 0.75) / 3,
        }
    )
    score = rule_of_thumb_score(frame)
    assert score.index.equals(frame.index)
    np.testing.assert_allclose(score.to_numpy(), expected.to_numpy())
    assert list(score.sort_values(ascending=False).index) == ["d", "a", "c", "b"]


def test_absent_rule_column_counts_as_missing_for_everyone():
    frame = pd.DataFrame({"zero_run_max_90d": [5, 0]}, index=["x", "y"])
    np.testing.assert_allclose(rule_of_thumb_score(frame).to_numpy(), [1.0 / 3, 0.5 / 3])


class RuleBuilder(StubBuilder):
    """The stub's features plus a zero-run sign: 1 day for customer numbers 0, 1, 2 mod 4, else 0."""

    def build(self, as_of) -> pd.DataFrame:
        frame = super().build(as_of)
        number = frame.index.str[1:].astype(int).to_numpy()
        return frame.assign(zero_run_max_90d=(number % 4 != 3).astype(float))


def test_backtest_table_has_rules_baseline_and_headline_lifts():
    # each test month inspects 20 customers, 5 of each number mod 4 (7n mod 200 walks the residues);
    # the rules' top block holds residues 0, 1, 2 (15 customers, 10 even = findings), so at k = 5
    # its expected precision is 10/15 and its lift over the base rate 0.5 is 4/3
    tables = tiny_tables(n_customers=200)
    result = backtest(tables, CONFIG, n_months=2, builder=RuleBuilder(tables))
    rows = result.per_month
    assert {"rules_precision_at_k", "rules_lift_at_k", "random_precision_at_k"} <= set(rows.columns)
    assert rows["rules_precision_at_k"].tolist() == pytest.approx([2 / 3, 2 / 3])
    assert rows["rules_lift_at_k"].tolist() == pytest.approx([4 / 3, 4 / 3])
    assert rows["rules_precision_at_20pct"].tolist() == pytest.approx([2 / 3, 2 / 3])  # top 4 of 20
    assert rows["precision_at_k"].tolist() == [1.0, 1.0]
    summary = result.summary
    assert summary["rules_precision_at_k_mean"] == pytest.approx(2 / 3)
    assert summary["model_lift_over_random"] == pytest.approx(2.0)
    assert summary["model_lift_over_rules"] == pytest.approx(1.5)


def test_backtest_without_rule_features_leaves_the_rules_baseline_empty():
    tables = tiny_tables(n_customers=200)
    result = backtest(tables, CONFIG, n_months=1, builder=StubBuilder(tables))
    month = result.per_month.iloc[0]
    assert np.isnan(month["rules_precision_at_k"]) and np.isnan(month["rules_precision_at_20pct"])
    assert np.isnan(result.summary["model_lift_over_rules"])
    assert result.summary["model_lift_over_random"] == pytest.approx(2.0)
