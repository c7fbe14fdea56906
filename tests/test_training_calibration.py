"""Reliability table and Brier score by hand; train logs calibration.csv and backtest.csv."""

import mlflow
import numpy as np
import pandas as pd
import pytest
from training_fixtures import StubBuilder, tiny_tables

from gridaudit.config import Config
from gridaudit.training import train_model
from gridaudit.training.metrics import brier_score, reliability_table

CONFIG = Config(num_boost_round=20, min_child_samples=5, validation_months=1, capacity=5)


def test_brier_by_hand():
    # (0.9-1)^2 + (0.2-0)^2 + (0.5-1)^2 + (0-0)^2 = 0.01 + 0.04 + 0.25 + 0 -> / 4
    assert brier_score([1, 0, 1, 0], [0.9, 0.2, 0.5, 0.0]) == pytest.approx(0.075)


def test_reliability_table_bins_by_hand():
    table = reliability_table([1, 0, 1, 0, 1], [0.05, 0.08, 0.55, 0.95, 1.0])
    assert len(table) == 10 and table["count"].tolist() == [2, 0, 0, 0, 0, 1, 0, 0, 0, 2]
    assert table.loc[0, "mean_predicted"] == pytest.approx(0.065) and table.loc[0, "observed_rate"] == 0.5
    assert table.loc[5, "observed_rate"] == 1.0
    assert table.loc[9, "mean_predicted"] == pytest.approx(0.975)  # 1.0 falls in the last bin
    assert np.isnan(table.loc[1, "mean_predicted"])


def test_train_logs_calibration_and_backtest_tables(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store = f"sqlite:///{(tmp_path / 'mlflow.db').as_posix()}"
    tables = tiny_tables(n_customers=200)
    result = train_model(
        tables, CONFIG, tracking_uri=store, builder=StubBuilder(tables), register=False, backtest_months=1
    )
    client = mlflow.MlflowClient(store)
    artifacts = {a.path for a in client.list_artifacts(result.run_id)}
    assert {"calibration.csv", "backtest.csv"} <= artifacts
    run = client.get_run(result.run_id)
    assert run.data.metrics["valid_brier"] == pytest.approx(result.metrics["brier"])
    assert "backtest_precision_at_k_mean" in run.data.metrics
    calibration = result.extra["calibration"]
    assert calibration["count"].sum() == 20  # the June validation block
    local = client.download_artifacts(result.run_id, "calibration.csv", str(tmp_path))
    assert pd.read_csv(local)["count"].sum() == 20
