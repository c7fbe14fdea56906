"""Optuna tuning: time-aware folds before the validation block, per-fold reports, resumable study."""

import mlflow
import optuna
import pandas as pd
from training_fixtures import StubBuilder, tiny_tables

from gridaudit.config import Config
from gridaudit.training import build_examples, train_model
from gridaudit.training.tune import TUNED_PARAMS, optuna_storage_uri, tune, tuning_months

CONFIG = Config(num_boost_round=10, min_child_samples=5, validation_months=1, capacity=5)


def test_tuning_months_are_the_ones_just_before_the_validation_block():
    meta = pd.DataFrame({"date": pd.to_datetime([f"2024-0{m}-10" for m in range(1, 7)])})
    months = tuning_months(meta, validation_months=1, n_folds=3)
    assert [str(m) for m in months] == ["2024-03", "2024-04", "2024-05"]
    assert tuning_months(meta, validation_months=6, n_folds=3) == []


def test_storage_sits_beside_the_mlflow_store(tmp_path):
    uri = optuna_storage_uri(f"sqlite:///{(tmp_path / 'mlflow.db').as_posix()}")
    assert uri == f"sqlite:///{(tmp_path.resolve() / 'optuna.db').as_posix()}"


def test_train_with_tune_logs_best_params_and_the_study_resumes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store = f"sqlite:///{(tmp_path / 'mlflow.db').as_posix()}"
    tables = tiny_tables(n_customers=200)
    result = train_model(
        tables, CONFIG, tracking_uri=store, builder=StubBuilder(tables), register=False, tune_trials=2
    )
    assert (tmp_path / "optuna.db").exists()
    tuning = result.extra["tuning"]
    assert tuning.study_name == "gridaudit-customer" and tuning.fold_months == [
        "2024-03",
        "2024-04",
        "2024-05",
    ]
    assert set(tuning.best_params) == set(TUNED_PARAMS)
    study = optuna.load_study(study_name="gridaudit-customer", storage=tuning.storage)
    assert len(study.trials) == 2
    # one report per fold (the running mean), steps 0, 1, 2
    assert sorted(study.trials[0].intermediate_values) == [0, 1, 2]
    run = mlflow.MlflowClient(store).get_run(result.run_id)
    assert float(run.data.params["tuned_num_leaves"]) == tuning.best_params["num_leaves"]
    assert run.data.params["lgb_num_leaves"] == str(tuning.best_params["num_leaves"])

    X, y, meta = build_examples(tables, CONFIG, builder=StubBuilder(tables))
    again = tune(X, y, meta, tables["inspections"], CONFIG, n_trials=1, tracking_uri=store)
    assert again.n_trials == 3  # resumed, not restarted
