"""Edge cases the monthly job meets in real exports: scored, never a crash.

A year of fabricated tables (tests/feature_tables.py, 2023) gets four unusual customers:
C_NEW connected in December with no history at all, C_SOLO alone in its transformer area,
C_NAN whose every daily reading is empty (collection failed all year), and C_BILLS with bills
only (no daily curve). Features are built by the real CustomerFeatureBuilder and scored by
score_month with a small model; every customer must come out with a finite score, features
without infinities, and the list files written. A month with no readings at all, and a company
whose curves are all missing, are scored the same way.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from feature_tables import fabricate_tables

from gridaudit.config import Config
from gridaudit.features import CustomerFeatureBuilder
from gridaudit.model import RiskModel
from gridaudit.scoring import score_month

MODEL_INFO = {"name": "customer_risk", "version": "1", "run_id": "edge", "alias": "champion"}
EDGE = ["C_NEW", "C_SOLO", "C_NAN", "C_BILLS"]
CONFIG = Config(capacity=100, exploration_share=0.0, cooldown_months=0, language="en")


def edge_tables() -> dict[str, pd.DataFrame]:
    tables = fabricate_tables(n_customers=30, start="2023-01-01", n_days=365, seed=4)
    customers = tables["customers"]
    extra = pd.DataFrame(
        {
            "customer_id": EDGE,
            "tariff_category": ["residential", "commercial", "residential", "large_industrial"],
            "area_id": ["A000", "A_SOLO", "A001", "A002"],
            "contract_capacity_kva": [4.0, 8.0, np.nan, 400.0],
            "meter_multiplier": [1.0, 1.0, 1.0, 30.0],
            "connect_date": pd.to_datetime(["2023-12-10", "2020-01-01", "2019-05-01", "2018-01-01"]),
            "name": ["new", "solo", "nan", "bills"],
        }
    )
    tables["customers"] = pd.concat([customers, extra], ignore_index=True)
    readings = tables["readings"]
    days = pd.date_range("2023-01-01", "2023-12-31", freq="D")
    solo = readings.loc[readings["customer_id"] == "C00000"].assign(customer_id="C_SOLO")
    empty = pd.DataFrame({"customer_id": "C_NAN", "date": days, "kwh": np.nan})
    tables["readings"] = pd.concat([readings, solo, empty], ignore_index=True)
    months = pd.period_range("2023-01", "2023-12", freq="M")
    bills = pd.DataFrame(
        {
            "customer_id": "C_BILLS",
            "read_date": [m.to_timestamp(how="end").normalize() for m in months],
            "kwh_billed": np.linspace(9000, 3000, len(months)),
        }
    )
    tables["bills"] = pd.concat([tables["bills"], bills], ignore_index=True)
    return tables


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return edge_tables()


@pytest.fixture(scope="module")
def model(tables) -> RiskModel:
    """30 trees on features as of November, rows resampled so the trees can split; the label
    leans on the first numeric features and the area, so several columns matter."""
    features = CustomerFeatureBuilder(tables, CONFIG).build("2023-11")
    rng = np.random.default_rng(0)
    train = features.sample(n=600, replace=True, random_state=1).reset_index(drop=True)
    numeric = train.select_dtypes("number")
    ranks = numeric.rank(pct=True).fillna(0.5)
    logit = 3 * ranks.iloc[:, :5].mean(axis=1) + (train["area_id"].astype("str") == "A001") - 2
    y = (rng.random(len(train)) < 1 / (1 + np.exp(-logit))).astype(int)
    params = {"min_child_samples": 5, "num_threads": 2}
    return RiskModel(params=params, num_boost_round=30, early_stopping_rounds=None).fit(train, y)


def scored(tables, model, month, tmp_path):
    result = score_month(tables, month, model, MODEL_INFO, CONFIG, out_dir=tmp_path / "lists")
    listing = result.listing.set_index("customer_id")
    assert result.run["counts"]["customers_scored"] == len(listing)  # capacity covers everyone
    assert np.isfinite(listing["score"]).all() and listing["score"].between(0, 1).all()
    assert all(path.exists() for path in result.paths.values())
    return result, listing


def test_unusual_customers_have_features_without_infinities(tables):
    features = CustomerFeatureBuilder(tables, CONFIG).build("2023-12")
    assert set(EDGE) <= set(features.index)
    numeric = features.loc[EDGE].select_dtypes("number")
    infinite = numeric.columns[np.isinf(numeric.to_numpy()).any(axis=0)].tolist()
    assert infinite == []


def test_unusual_customers_are_scored_and_listed(tables, model, tmp_path):
    result, listing = scored(tables, model, "2024-01", tmp_path)
    assert set(EDGE) <= set(listing.index)
    assert listing.loc["C_SOLO", "area_id"] == "A_SOLO"  # an area never seen in training
    reasons = listing[["reason_1", "reason_2", "reason_3"]].stack()
    assert reasons.map(lambda v: isinstance(v, str)).all()
    assert not reasons.str.contains(r"\b(?:nan|inf|NaN|None)\b").any()  # missing is said, not printed
    edge_reasons = listing.loc[EDGE, ["reason_1", "reason_2", "reason_3"]].stack()
    assert edge_reasons.str.endswith(": no data").any()  # the note an auditor reads for no history


def test_customer_connected_last_month_scores_like_unknown_history(tables, model):
    """No readings, bills, orders or inspections: the curve features are missing, not zero."""
    features = CustomerFeatureBuilder(tables, CONFIG).build("2023-12")
    new = features.loc["C_NEW"].drop(["tariff_category", "area_id"]).astype(float)
    assert new.isna().sum() > 0
    assert np.isfinite(model.score(features.loc[["C_NEW"]])).all()


def test_month_with_no_readings_is_scored(tables, model, tmp_path):
    """The curve ends in December 2023; the April list is scored as of March with no readings."""
    result, listing = scored(tables, model, "2024-04", tmp_path)
    assert len(listing) == len(tables["customers"])


def test_company_without_any_readings_is_scored(tables, model, tmp_path):
    no_curve = {**tables, "readings": tables["readings"].iloc[:0]}
    result, listing = scored(no_curve, model, "2024-01", tmp_path)
    assert set(EDGE) <= set(listing.index)


def test_all_curves_missing_is_scored(tables, model, tmp_path):
    blank = {**tables, "readings": tables["readings"].assign(kwh=np.nan)}
    result, listing = scored(blank, model, "2024-01", tmp_path)
    assert len(listing) == len(tables["customers"])
