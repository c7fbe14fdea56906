"""Optuna tuning on grouped stratified folds, for labels without dates (STEG, SGCC).

The synthetic example set: 240 examples in 120 groups of two (copies of one customer), every
inspection on 2024-05-10 (one month: the undated case), a finding share of about one in five and
one noisy feature that carries the label.
"""

import numpy as np
import optuna
import pandas as pd
import pytest
from training_fixtures import StubBuilder, tiny_tables

from gridaudit.config import Config
from gridaudit.training import train_model
from gridaudit.training import tune as tune_module
from gridaudit.training.split import undated_split
from gridaudit.training.tune import TUNED_PARAMS, grouped_folds, tune

CONFIG = Config(num_boost_round=10, min_child_samples=5, validation_months=1, capacity=5)


def undated_examples(n_groups: int = 120, seed: int = 0):
    rng = np.random.default_rng(seed)
    group_y = (rng.random(n_groups) < 0.2).astype(int)
    groups = np.repeat([f"G{g:03d}" for g in range(n_groups)], 2)
    y = np.repeat(group_y, 2)
    X = pd.DataFrame(
        {
            "signal": y + rng.normal(0, 0.8, len(y)),
            "noise": rng.normal(0, 1, len(y)),
        }
    )
    day = pd.Timestamp("2024-05-10")
    meta = pd.DataFrame(
        {
            "target_id": [f"C{i:03d}" for i in range(len(y))],
            "customer_id": [f"C{i:03d}" for i in range(len(y))],
            "date": [day] * len(y),
            "known_date": [day] * len(y),
            "as_of": [pd.Period("2024-04", "M")] * len(y),
        }
    )
    return X, y, meta, groups


def test_grouped_folds_keep_groups_apart_and_each_fold_has_findings():
    _, y, _, groups = undated_examples()
    folds = grouped_folds(y, groups, n_folds=3, seed=7)
    assert len(folds) == 3
    tested = np.zeros(len(y), dtype=int)
    for fold in folds:
        assert not set(groups[fold.train]) & set(groups[fold.test])
        assert (fold.train ^ fold.test).all()  # every example on exactly one side
        assert y[fold.test].sum() > 0 and y[fold.train].sum() > 0
        tested += fold.test
    assert (tested == 1).all()  # the test parts partition the examples


def _tune(tmp_path, folder: str, n_trials: int, config: Config = CONFIG):
    X, y, meta, groups = undated_examples()
    store = f"sqlite:///{(tmp_path / folder / 'mlflow.db').as_posix()}"
    (tmp_path / folder).mkdir(exist_ok=True)
    return tune(X, y, meta, pd.DataFrame(), config, n_trials, tracking_uri=store, groups=groups)


def test_undated_tuning_runs_n_trials_within_the_search_space_and_repeats_with_the_seed(tmp_path):
    result = _tune(tmp_path, "a", n_trials=3)
    assert result.folds == "stratified group" and result.fold_months == []
    assert set(result.best_params) == set(TUNED_PARAMS)
    study = optuna.load_study(study_name="gridaudit-customer", storage=result.storage)
    assert len(study.trials) == result.n_trials == 3
    for trial in study.trials:
        for name, value in trial.params.items():
            space = trial.distributions[name]
            assert space.low <= value <= space.high
        if trial.state == optuna.trial.TrialState.COMPLETE:
            assert sorted(trial.intermediate_values) == [0, 1, 2]  # one report per fold
    again = _tune(tmp_path, "b", n_trials=3)
    assert again.best_params == result.best_params
    assert again.best_value == pytest.approx(result.best_value)
    resumed = _tune(tmp_path, "a", n_trials=1)
    assert resumed.n_trials == 4  # the same study, resumed


def test_undated_tuning_sees_only_the_training_part_of_trainings_split(monkeypatch, tmp_path):
    X, y, meta, groups = undated_examples()
    seen = {}

    def capture(X_part, y_part, groups_part, *args, **kwargs):
        seen["groups"] = set(groups_part)
        seen["rows"] = len(X_part)
        return "captured"

    monkeypatch.setattr(tune_module, "tune_grouped", capture)
    store = f"sqlite:///{(tmp_path / 'mlflow.db').as_posix()}"
    assert tune(X, y, meta, pd.DataFrame(), CONFIG, 1, tracking_uri=store, groups=groups) == "captured"
    split = undated_split(y, groups, CONFIG.seed)
    assert seen["rows"] == int(split.train.sum())
    assert not seen["groups"] & set(groups[split.validation])


def test_train_with_tune_on_an_undated_warehouse_uses_grouped_folds(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store = f"sqlite:///{(tmp_path / 'mlflow.db').as_posix()}"
    tables = tiny_tables(n_customers=200, months=("2024-05",), per_month=200)
    result = train_model(
        tables, CONFIG, tracking_uri=store, builder=StubBuilder(tables), register=False, tune_trials=2
    )
    assert result.split["split"].startswith("stratified")
    tuning = result.extra["tuning"]
    assert tuning.folds == "stratified group" and tuning.n_trials == 2
    assert set(tuning.best_params) == set(TUNED_PARAMS)
