"""Attributes and capacity/tariff features on tiny hand-built tables."""

import numpy as np
import pandas as pd
import pytest
from feature_tables import customers_frame, readings_from

from gridaudit.features import CustomerFeatureBuilder
from gridaudit.features.attributes import attributes_features
from gridaudit.features.capacity_tariff import capacity_tariff_features

END = "2024-03-31"  # 60 days back from here start on 2024-02-01; 2024-03-02 is day 30


def _shaped(weekday: float, weekend: float, n: int = 60) -> np.ndarray:
    days = pd.date_range(end=END, periods=n, freq="D")
    return np.where(np.asarray(days.day_of_week >= 5), weekend, weekday)


@pytest.fixture(scope="module")
def features() -> pd.DataFrame:
    peak = np.full(60, 24.0)
    peak[45] = 48.0
    customers = customers_frame(
        [
            ("K1", "residential", "A1"),
            ("K2", "commercial", "A1"),
            ("K3", "residential", "A1"),
            ("K4", "residential", "A1"),
            ("K5", "residential", "A1"),
            ("K6", "commercial", "A1"),
        ],
        contract_capacity_kva=[10.0, np.nan, 5.0, 5.0, 5.0, 50.0],
    )
    readings = readings_from(
        {
            "K1": peak,
            "K2": np.r_[np.full(30, 5.0), np.full(30, 10.0)],
            "K3": np.full(60, 8.0),
            "K4": np.full(60, 8.0),
            "K5": _shaped(30.0, 3.0),
            "K6": _shaped(30.0, 3.0),
        },
        END,
    )
    orders = pd.DataFrame(
        {
            "order_id": ["W1", "W2", "W3", "W4", "W5"],
            "customer_id": ["K2", "K3", "K4", "K1", "K6"],
            "kind": ["tariff_change", "other", "tariff_change", "other", "capacity_change"],
            "created_at": pd.to_datetime(
                [
                    "2024-02-25 00:00",
                    "2024-03-01 00:00",
                    "2024-03-20 00:00",
                    "2024-03-01 00:00",
                    "2024-03-30 09:00",
                ]
            ),
            # W3 completes after the month: only its creation is known as of 2024-03
            "completed_at": pd.to_datetime(
                [
                    "2024-03-02 00:00",
                    "2024-03-02 00:00",
                    "2024-04-05 00:00",
                    "2024-03-02 00:00",
                    "2024-03-31 18:00",
                ]
            ),
            "multiplier_before": [np.nan, 1.0, np.nan, 1.0, np.nan],
            "multiplier_after": [np.nan, 30.0, np.nan, 1.0, np.nan],  # W4 changes nothing
        }
    )
    tables = {"customers": customers, "readings": readings, "work_orders": orders}
    return capacity_tariff_features(CustomerFeatureBuilder(tables).context("2024-03"))


def test_load_factor_is_mean_kw_over_capacity(features):
    assert features.loc["K1", "load_factor_3m"] == pytest.approx((59 * 24 + 48) / 60 / 24 / 10)
    assert features.loc["K1", "peak_day_load_factor_3m"] == pytest.approx(48 / 24 / 10)
    assert np.isnan(features.loc["K2", "load_factor_3m"])  # capacity unknown


def test_change_after_tariff_or_multiplier_order(features):
    # K2: 5 kWh/day in the 60 days before 2024-03-02, 10 after
    assert features.loc["K2", "kwh_change_after_contract_change"] == pytest.approx(1.0)
    assert features.loc["K2", "days_since_contract_change"] == 29
    assert features.loc["K3", "kwh_change_after_contract_change"] == pytest.approx(0.0)
    assert features.loc["K4", "days_since_contract_change"] == 11  # created 2024-03-20
    assert features.loc["K6", "days_since_contract_change"] == 0  # completed on the evening of 03-31
    # an 'other' order that changes nothing is not a contract change
    assert np.isnan(features.loc["K1", "days_since_contract_change"])
    assert np.isnan(features.loc["K1", "kwh_change_after_contract_change"])


def test_residential_with_commercial_profile(features):
    likeness = features["residential_commercial_likeness"]
    assert likeness["K5"] > 0 > likeness["K1"]
    assert likeness[["K2", "K6"]].isna().all()  # only residential accounts are scored


def test_attributes_and_tenure():
    customers = customers_frame(
        [("P1", "residential", "A1"), ("P2", "commercial", "A1")],
        contract_capacity_kva=[8.0, None],
        connect_date=pd.to_datetime(["2024-01-01", None]),
    )
    ctx = CustomerFeatureBuilder({"customers": customers}).context("2024-03")
    features = attributes_features(ctx)
    assert features.loc["P1", "tenure_months"] == pytest.approx(90 / 30.4375)
    assert features.loc["P1", "contract_capacity_kva"] == 8.0
    assert features[["meter_multiplier"]].isna().all().all()  # column absent: unknown
    assert np.isnan(features.loc["P2", "tenure_months"])
