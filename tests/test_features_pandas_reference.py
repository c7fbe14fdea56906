"""gridaudit's curve features equal an independent pandas implementation, column by column.

``benchmarks/pandas_curve_features.py`` (the benchmark's baseline) computes the 45 features of
``curve_history`` and ``curve_shape`` the plain pandas way, from the long readings table with
groupby. On fabricated curves with gaps, zero runs, a stuck meter and a customer without readings,
both must give the same numbers.
"""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from feature_tables import fabricate_tables

from gridaudit.features import CustomerFeatureBuilder

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from pandas_curve_features import curve_features  # noqa: E402

AS_OF = "2024-12"


@pytest.fixture(scope="module")
def both() -> tuple[pd.DataFrame, pd.DataFrame]:
    tables = fabricate_tables(n_customers=50, n_days=800, seed=2)
    readings = tables["readings"]
    stuck = readings["customer_id"] == "C00001"
    readings.loc[stuck, "kwh"] = 2.58  # a stuck meter: its mean is not exactly 2.58 in floats
    quiet = readings["customer_id"] == "C00002"
    tables["readings"] = readings.loc[~quiet].reset_index(drop=True)  # never read
    ids = pd.Index(tables["customers"]["customer_id"].astype(str), name="customer_id")
    reference = curve_features(tables["readings"], ids, pd.Timestamp("2024-12-31"))
    ours = CustomerFeatureBuilder(tables).build(AS_OF)
    return ours, reference


def test_every_curve_feature_equals_the_pandas_reference(both):
    ours, reference = both
    assert reference.shape[1] == 45
    unequal = [
        column
        for column in reference.columns
        if not np.allclose(ours[column], reference[column], rtol=1e-9, atol=1e-12, equal_nan=True)
    ]
    assert unequal == []


def test_the_reference_is_not_vacuous(both):
    ours, reference = both
    assert reference.notna().sum().min() >= 40  # every column has values to compare
    assert ours.loc["C00002", "curve_all_missing"] == 1.0
    assert np.isnan(ours.loc["C00001", "curve_skewness"]) and ours.loc["C00001", "curve_std_kwh"] == 0.0
