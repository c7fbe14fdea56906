"""Billing-adjustment features on a hand-built adjustments table, as of 2024-03."""

import numpy as np
import pandas as pd
import pytest
from feature_tables import customers_frame

from gridaudit.features import CustomerFeatureBuilder
from gridaudit.features.adjustments import adjustments_features


def _tables(adjustments: pd.DataFrame) -> dict[str, pd.DataFrame]:
    bills = pd.DataFrame(
        {
            "customer_id": "A",
            "read_date": pd.date_range("2023-04-30", periods=12, freq="ME"),
            "kwh_billed": 250.0,
        }
    )
    return {
        "customers": customers_frame([("A", "residential", "Z1"), ("B", "residential", "Z1")]),
        "bills": bills,
        "billing_adjustments": adjustments,
    }


ADJUSTMENTS = pd.DataFrame(
    {
        "adjustment_id": ["J1", "J2", "J3", "J4", "J5"],
        "customer_id": ["A", "A", "A", "A", "A"],
        "date": pd.to_datetime(["2024-03-10", "2024-01-15", "2023-06-01", "2023-01-01", "2024-04-02"]),
        "kind": ["refund", "reading_edit", "refund", "refund", "refund"],
        "kwh_delta": [-100.0, 20.0, -50.0, -999.0, -999.0],
        "amount_delta": [-60.0, 12.0, -30.0, -600.0, -600.0],
        "operator_id": ["o1", "o1", "o2", "o1", "o1"],
    }
)


@pytest.fixture(scope="module")
def features() -> pd.DataFrame:
    return adjustments_features(CustomerFeatureBuilder(_tables(ADJUSTMENTS)).context("2024-03"))


def test_counts_and_signed_sums_by_window(features):
    a = features.loc["A"]
    # 3 months = Jan..Mar 2024; 12 months = Apr 2023..Mar 2024; J4 too old, J5 in the future
    assert a["adj_count_refund_3m"] == 1
    assert a["adj_count_reading_edit_3m"] == 1
    assert a["adj_count_refund_12m"] == 2
    assert a["adj_kwh_refund_12m"] == -150.0
    assert a["adj_amount_refund_3m"] == -60.0
    assert a["adj_kwh_all_3m"] == -80.0
    assert a["adj_amount_all_12m"] == -78.0


def test_refund_share_operator_repetition_and_recency(features):
    a = features.loc["A"]
    assert a["refund_share_12m"] == pytest.approx(150 / 3000)  # 12 bills of 250 kWh
    assert a["adj_max_by_one_operator_12m"] == 2  # o1 booked J1 and J2
    assert a["days_since_last_adjustment"] == 21


def test_account_without_adjustments_has_zero_counts_and_unknown_recency(features):
    b = features.loc["B"]
    assert b["adj_count_refund_12m"] == 0
    assert b["adj_kwh_all_12m"] == 0
    assert np.isnan(b["days_since_last_adjustment"])
    assert np.isnan(b["refund_share_12m"])  # nothing billed is known: no share


def test_empty_table_gives_zero_counts_and_no_table_gives_no_columns():
    empty = ADJUSTMENTS.iloc[0:0]
    features = adjustments_features(CustomerFeatureBuilder(_tables(empty)).context("2024-03"))
    assert (features.filter(like="adj_count").to_numpy() == 0).all()
    tables = _tables(ADJUSTMENTS)
    del tables["billing_adjustments"]
    assert adjustments_features(CustomerFeatureBuilder(tables).context("2024-03")) is None
