"""Time split train | delay | validation with hand-built dates."""

import numpy as np
import pandas as pd
import pytest

from gridaudit.training.split import NotEnoughHistoryError, time_split

DATES = pd.Series(
    pd.to_datetime(["2024-01-10", "2024-02-05", "2024-02-27", "2024-03-03", "2024-04-02", "2024-04-30"])
)
# known: +1 month, except the Feb 27 result which was written up on Mar 20
KNOWN = pd.Series(
    pd.to_datetime(["2024-02-10", "2024-03-05", "2024-03-20", "2024-04-03", "2024-05-02", "2024-05-30"])
)


def test_one_validation_month_with_a_gap_for_late_labels():
    split = time_split(DATES, KNOWN, validation_months=1)
    assert split.validation_start == pd.Timestamp("2024-04-01")
    assert split.validation.tolist() == [False, False, False, False, True, True]
    # Mar 3 inspection is known only on Apr 3, after the block starts -> gap, used for nothing
    assert split.train.tolist() == [True, True, True, False, False, False]
    assert split.gap.tolist() == [False, False, False, True, False, False]
    assert split.summary() == {
        "split": "time",
        "n_train": 3,
        "n_gap": 1,
        "n_validation": 2,
        "validation_start": "2024-04-01",
        "validation_block": ["2024-04"],
    }


def test_two_validation_months():
    split = time_split(DATES, KNOWN, validation_months=2)
    assert split.validation_start == pd.Timestamp("2024-03-01")
    assert split.validation.tolist() == [False, False, False, True, True, True]
    # Feb 5 known Mar 5 and Feb 27 known Mar 20 -> gap; only January trains
    assert split.train.tolist() == [True, False, False, False, False, False]
    assert np.all(split.train | split.gap | split.validation)
    assert not np.any(split.train & split.validation)


def test_no_training_label_known_after_the_block_starts():
    split = time_split(DATES, KNOWN, validation_months=1)
    assert (KNOWN[split.train] < split.validation_start).all()


def test_too_few_months_is_a_clear_error():
    with pytest.raises(NotEnoughHistoryError, match="cover 4 month"):
        time_split(DATES, KNOWN, validation_months=4)


def test_labels_without_dates_are_split_by_customer_keeping_the_finding_share():
    from gridaudit.training.split import split_examples

    n = 100
    dates = pd.Series(pd.to_datetime(["2020-01-15"] * n))
    y = np.array([1] * 20 + [0] * 80)
    groups = pd.Series([f"c{i // 2}" for i in range(n)])  # two rows per customer (duplicates)
    split = split_examples(dates, dates, y, groups, validation_months=3, seed=1)
    assert split.undated and split.summary()["split"].startswith("stratified")
    assert split.train.sum() + split.validation.sum() == n and not split.gap.any()
    assert split.validation.sum() == 20  # one fold of five
    assert y[split.validation].sum() == 4  # 20% of the 20 findings
    assert not set(groups[split.train]) & set(groups[split.validation])


def test_dated_inspections_still_get_the_time_split():
    from gridaudit.training.split import split_examples

    dates = pd.Series(pd.to_datetime(["2024-01-10", "2024-02-10", "2024-03-10", "2024-04-10", "2024-05-10"]))
    split = split_examples(dates, dates, np.array([1, 0, 1, 0, 1]), pd.Series(list("abcde")), 1)
    assert not split.undated
    assert split.validation.tolist() == [False, False, False, False, True]


def test_copies_of_one_customer_share_a_group():
    from gridaudit.training.train import example_groups

    customers = pd.DataFrame({"customer_id": ["a", "b", "c"], "duplicate_group": ["g1", "g1", "g2"]})
    meta = pd.DataFrame({"target_id": ["a", "b", "c", "d"], "customer_id": ["a", "b", "c", "d"]})
    groups = example_groups({"customers": customers}, meta)
    # a and b are copies (SGCC's repeated rows); d is unknown to the table and keeps its own id
    assert groups.tolist() == ["g1", "g1", "g2", "d"]
    assert example_groups({"customers": customers[["customer_id"]]}, meta).tolist() == ["a", "b", "c", "d"]
