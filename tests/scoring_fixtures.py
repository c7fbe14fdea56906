"""Tiny tables, features and a model shared by the scoring tests (test_scoring_*.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridaudit.features import FeatureSpec, registry
from gridaudit.model import RiskModel

PLANTED_NAME = "王测试明"
PLANTED_PHONE = "13912345678"
PLANTED_ADDRESS = "幸福路88号测试"

TEST_SPECS = [
    FeatureSpec(
        name="t_drop_ratio",
        family="test",
        meaning_en="consumption drop vs own history",
        meaning_zh="用电量较自身历史下降",
        unit="ratio",
        risky="high",
        reason_en="consumption fell {value} below its own median (peers: {peer})",
        reason_zh="用电量较自身中位数下降{value}（同类用户：{peer}）",
    ),
    FeatureSpec(
        name="t_zero_days",
        family="test",
        meaning_en="days with zero consumption",
        meaning_zh="零电量天数",
        unit="days",
        risky="high",
        reason_en="{value} days with zero consumption (peers: {peer} days)",
        reason_zh="零电量{value}天（同类用户：{peer}天）",
    ),
    FeatureSpec(
        name="t_mean_kwh",
        family="test",
        meaning_en="mean monthly consumption",
        meaning_zh="月均用电量",
        unit="kwh",
        risky="either",
        reason_en="uses {value} kWh a month (peers: {peer} kWh)",
        reason_zh="月均用电{value} kWh（同类用户：{peer} kWh）",
    ),
]
AREA_SPEC = FeatureSpec(
    name="area_id",
    family="test",
    meaning_en="transformer area",
    meaning_zh="台区",
    unit="category",
    risky="either",
    reason_en="in transformer area {value}, where findings are frequent",
    reason_zh="所在台区{value}稽查发现率高",
)


def register_test_specs(monkeypatch) -> None:
    """Describe the test features in the registry for one test (removed afterwards)."""
    registry.all_specs()  # load the real families first, so nothing clashes later
    for spec in [*TEST_SPECS, AREA_SPEC]:
        if spec.name not in registry._REGISTRY:
            monkeypatch.setitem(registry._REGISTRY, spec.name, spec)


def tiny_tables(n_customers: int = 40, seed: int = 3) -> dict[str, pd.DataFrame]:
    """Customers in 4 areas x 2 tariffs, a year of daily readings, a few inspections.

    Customer C000 carries a planted name, phone and address that must never reach an output.
    """
    rng = np.random.default_rng(seed)
    ids = [f"C{i:03d}" for i in range(n_customers)]
    customers = pd.DataFrame(
        {
            "customer_id": ids,
            "tariff_category": ["residential" if i % 2 == 0 else "commercial" for i in range(n_customers)],
            "area_id": [f"A{i % 4}" for i in range(n_customers)],
            "name": [PLANTED_NAME if i == 0 else f"用户{i}" for i in range(n_customers)],
            "address": [PLANTED_ADDRESS if i == 0 else f"路{i}号" for i in range(n_customers)],
            "phone": [PLANTED_PHONE if i == 0 else f"1380000{i:04d}" for i in range(n_customers)],
        }
    )
    days = pd.date_range("2025-01-01", "2025-12-31", freq="D")
    kwh = rng.gamma(2.0, 5.0, size=(n_customers, len(days)))
    kwh[rng.random(kwh.shape) < 0.02] = np.nan  # collection failures
    readings = pd.DataFrame(
        {
            "customer_id": np.repeat(ids, len(days)),
            "date": np.tile(days, n_customers),
            "kwh": kwh.ravel(),
        }
    )
    inspections = pd.DataFrame(
        {
            "inspection_id": ["I1", "I2", "I3"],
            "target_type": ["customer", "customer", "work_order"],
            "target_id": ["C001", "C002", "W9"],
            "date": pd.to_datetime(["2025-11-15", "2025-05-01", "2025-12-01"]),
            "result": ["clean", "theft", "clean"],
            "selection": ["targeted", "targeted", "random"],
            "recorded_date": pd.to_datetime(["2025-11-20", "2025-05-10", "2025-12-05"]),
        }
    )
    return {"customers": customers, "readings": readings, "inspections": inspections}


def tiny_features(customers: pd.DataFrame, seed: int = 5) -> pd.DataFrame:
    """A feature frame like the builder's (categories + numeric test features)."""
    rng = np.random.default_rng(seed)
    n = len(customers)
    frame = pd.DataFrame(
        {
            "tariff_category": customers["tariff_category"].astype("category").to_numpy(),
            "area_id": customers["area_id"].astype("category").to_numpy(),
            "t_drop_ratio": rng.uniform(0, 1, n),
            "t_zero_days": rng.integers(0, 30, n).astype(float),
            "t_mean_kwh": rng.gamma(2.0, 300.0, n),
        },
        index=pd.Index(customers["customer_id"].astype(str), name="customer_id"),
    )
    return frame


def fit_tiny_model(features: pd.DataFrame, seed: int = 11, rounds: int = 30) -> RiskModel:
    """A quick model whose risk rises with t_drop_ratio and t_zero_days (training rows are
    resampled from the given frame so the trees have something to learn)."""
    rng = np.random.default_rng(seed)
    train = features.sample(n=600, replace=True, random_state=seed).reset_index(drop=True)
    logit = 4 * train["t_drop_ratio"] + 0.1 * train["t_zero_days"] - 4
    y = (rng.random(len(train)) < 1 / (1 + np.exp(-logit))).astype(int)
    model = RiskModel(
        params={"min_child_samples": 5, "num_threads": 1},
        num_boost_round=rounds,
        early_stopping_rounds=None,
        calibration=None,
        seed=seed,
    )
    return model.fit(train, y)


MODEL_INFO = {"name": "customer_risk", "version": "3", "run_id": "abc123", "alias": "champion"}
