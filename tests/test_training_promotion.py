"""Promotion to champion only when the candidate's backtest beats the champion's on the same months."""

import json

import mlflow
from training_fixtures import StubBuilder, tiny_tables

from gridaudit.config import Config
from gridaudit.tracking import champion_run
from gridaudit.training import train_model
from gridaudit.training.promotion import decide, recipe_from_params

CONFIG = Config(num_boost_round=10, min_child_samples=5, validation_months=1, capacity=5)


def test_decide_by_precision_then_top_fifth():
    up = decide({"precision_at_k_mean": 0.6, "precision_at_20pct_mean": 0.5}, {"precision_at_k_mean": 0.5})
    assert up.promote and up.reason == "precision@k 0.600 beats the champion's 0.500"
    down = decide({"precision_at_k_mean": 0.4}, {"precision_at_k_mean": 0.5}, "3")
    assert not down.promote and down.reason == "precision@k 0.400 does not beat the champion's 0.500"
    # equal precision@k (k covers every inspection): the top fifth decides
    tie = {"precision_at_k_mean": 0.3, "precision_at_20pct_mean": 0.7}
    assert decide(tie, {"precision_at_k_mean": 0.3, "precision_at_20pct_mean": 0.6}).promote
    assert not decide(tie, dict(tie)).promote
    assert decide({}, None).reason == "no champion yet"


def test_recipe_from_logged_params():
    params = {"lgb_num_leaves": "15", "lgb_learning_rate": "0.1", "lgb_num_threads": "2", "seed": "7"}
    assert recipe_from_params(params) == {"num_leaves": 15, "learning_rate": 0.1}


def test_same_recipe_twice_is_registered_but_not_promoted(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store = f"sqlite:///{(tmp_path / 'mlflow.db').as_posix()}"
    tables = tiny_tables(n_customers=200)
    first = train_model(tables, CONFIG, tracking_uri=store, builder=StubBuilder(tables), backtest_months=1)
    assert first.extra["promotion"].promote and first.extra["promotion"].reason == "no champion yet"
    second = train_model(tables, CONFIG, tracking_uri=store, builder=StubBuilder(tables), backtest_months=1)
    decision = second.extra["promotion"]
    assert second.version == "2" and not decision.promote
    assert decision.reason == "no better than the champion on the same months"
    assert champion_run("customer_risk", store)["version"] == "1"
    client = mlflow.MlflowClient(store)
    assert client.get_run(second.run_id).data.tags["gridaudit.promoted"] == "false"
    path = client.download_artifacts(second.run_id, "promotion.json", str(tmp_path))
    assert json.load(open(path))["champion_version"] == "1"
