"""Backtest: label delay respected (shared case 04), confirmed customers left out, figures by hand."""

import numpy as np
import pandas as pd
import pytest
from training_fixtures import StubBuilder, tiny_tables

from gridaudit.config import Config
from gridaudit.training.backtest import backtest, backtest_folds, summarise
from gridaudit.training.examples import build_examples

APRIL = pd.Period("2024-04", "M")
CONFIG = Config(
    num_boost_round=20, min_child_samples=5, validation_months=1, capacity=5, label_delay_months=1
)


def _case04_tables(result: str, recorded=pd.NaT):
    tables = tiny_tables(n_customers=200)
    late = pd.DataFrame(
        {
            "inspection_id": ["LATE"],
            "target_type": ["customer"],
            "target_id": ["C199"],
            "date": [pd.Timestamp("2024-03-28")],
            "result": [result],
            "recovered_amount": [0.0],
            "selection": ["targeted"],
            "inclusion_probability": [np.nan],
            "recorded_date": [pd.Timestamp(recorded)],
        }
    )
    tables["inspections"] = pd.concat([tables["inspections"], late], ignore_index=True)
    return tables


def _april_training_set(tables):
    X, y, meta = build_examples(tables, CONFIG, builder=StubBuilder(tables))
    (fold,) = backtest_folds(meta, tables["inspections"], [APRIL], CONFIG.label_delay_months)
    return X.loc[fold.train], y[fold.train], meta.loc[fold.train, "inspection_id"].tolist()


def test_case04_late_result_is_not_in_the_april_training_set(cases_dir):
    assert (cases_dir / "04-late-results" / "README.md").exists()
    X_clean, y_clean, ids_clean = _april_training_set(_case04_tables("clean"))
    assert "LATE" not in ids_clean  # 2024-03-28 + 1 month = 2024-04-28, after April 1
    # Jan (known Feb 10) and Feb (known Mar 10) train; March 10 is known only on April 10
    assert len(ids_clean) == 40
    X_theft, y_theft, ids_theft = _april_training_set(_case04_tables("theft"))
    assert ids_theft == ids_clean
    np.testing.assert_array_equal(y_theft, y_clean)
    pd.testing.assert_frame_equal(X_theft, X_clean)


def test_case04_result_recorded_before_april_does_enter_training():
    _, _, ids = _april_training_set(_case04_tables("theft", recorded="2024-03-30"))
    assert "LATE" in ids


def test_customers_confirmed_before_the_month_are_left_out():
    tables = tiny_tables(n_customers=200)
    insp = tables["inspections"]
    # C000 was found stealing on 2024-01-10 (known 2024-02-10); inspect it again in April
    again = insp.iloc[[0]].assign(inspection_id="AGAIN", date=pd.Timestamp("2024-04-20"))
    tables["inspections"] = pd.concat([insp, again], ignore_index=True)
    X, y, meta = build_examples(tables, CONFIG, builder=StubBuilder(tables))
    (fold,) = backtest_folds(meta, tables["inspections"], [APRIL], 1)
    tested = set(meta.loc[fold.test, "inspection_id"])
    assert "AGAIN" not in tested and len(tested) == 20 and fold.confirmed_left_out == 1


def test_backtest_figures_by_hand():
    # 200 customers, 20 inspections a month, none repeated; even customers are findings and the
    # stub's is_even feature says so -> a perfect ranking; base rate 10/20 each month
    tables = tiny_tables(n_customers=200)
    result = backtest(tables, CONFIG, n_months=2, builder=StubBuilder(tables))
    rows = result.per_month
    assert [str(m) for m in rows["month"]] == ["2024-05", "2024-06"]
    # May trains on Jan-Mar (April's results are known only on May 10), June on Jan-Apr
    assert rows["n_train"].tolist() == [60, 80]
    assert rows["n_test"].tolist() == [20, 20] and rows["test_findings"].tolist() == [10, 10]
    assert rows["precision_at_k"].tolist() == [1.0, 1.0]
    assert rows["random_precision_at_k"].tolist() == [0.5, 0.5]
    assert rows["lift_at_k"].tolist() == [2.0, 2.0]
    assert rows["precision_at_20pct"].tolist() == [1.0, 1.0]  # top 4 of 20
    assert rows["roc_auc"].tolist() == [1.0, 1.0]
    assert rows["recovered_at_k"].tolist() == [500.0, 500.0]
    assert result.summary["precision_at_k_mean"] == 1.0 and result.summary["precision_at_k_std"] == 0.0
    assert result.summary["months_tested"] == 2


def test_month_without_enough_known_findings_is_skipped_with_a_reason():
    tables = tiny_tables(n_customers=200)
    result = backtest(tables, CONFIG, n_months=6, builder=StubBuilder(tables))
    first = result.per_month.iloc[0]
    assert str(first["month"]) == "2024-01" and first["n_train"] == 0
    assert "findings known before the month" in first["skipped"]
    # tested: Mar..Jun; Feb had no result known yet (January's arrive on Feb 10)
    assert result.summary["months_tested"] == 4


def test_summarise_mean_and_sample_std():
    frame = pd.DataFrame({"precision_at_k": [0.2, 0.4], "skipped": ["", ""]})
    summary = summarise(frame)
    assert summary["precision_at_k_mean"] == pytest.approx(0.3)
    assert summary["precision_at_k_std"] == pytest.approx(np.sqrt(0.02))


def test_the_backtest_can_end_at_a_chosen_month():
    """--until 2024-04 with --months 2: March and April, whatever comes later; a month before
    every inspection is refused with the span there is."""
    from gridaudit.errors import InputError
    from gridaudit.training.backtest import last_months

    dates = ["2024-01-15", "2024-02-03", "2024-03-28", "2024-04-02", "2024-06-30", "2024-06-01"]
    meta = pd.DataFrame({"date": pd.to_datetime(dates)})
    assert [str(m) for m in last_months(meta, 2)] == ["2024-04", "2024-06"]
    assert [str(m) for m in last_months(meta, 2, pd.Period("2024-04", "M"))] == ["2024-03", "2024-04"]
    assert [str(m) for m in last_months(meta, 9, pd.Period("2024-05", "M"))] == [
        "2024-01",
        "2024-02",
        "2024-03",
        "2024-04",
    ]
    with pytest.raises(InputError, match="on or before 2023-12: the inspections run from 2024-01 to 2024-06"):
        last_months(meta, 2, pd.Period("2023-12", "M"))
