"""Optuna tuning of the LightGBM settings with time-aware folds (``gridaudit train --tune N``).

Folds: the last ``n_folds`` inspection months *before* the validation block, each tested as the
backtest does (train only on results known before the month's first day, the label-delay gap;
targets already confirmed left out). The validation block itself is never seen by the tuning,
so the validation figures of the tuned model stay honest.

Objective: mean average precision over the folds (ranking quality over the whole month, less
noisy than precision at a capacity that may exceed a month's inspections). After each fold the
running mean is reported (``trial.report(value, step=fold)``) and a MedianPruner stops trials
whose running mean falls below the median of earlier trials at the same fold. We report our own
metric, so the pruned metric is by construction the optimised one.

The study lives in SQLite (``optuna.db``) beside the MLflow store (the working folder when the
tracking store is a server), one study per target type (``gridaudit-<target>``); running
``--tune`` again adds trials to the same study (resume).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import Config
from ..model import RiskModel
from .backtest import backtest_folds
from .examples import sample_weights
from .metrics import average_precision

log = logging.getLogger(__name__)

OPTUNA_DB = "optuna.db"
TUNED_PARAMS = ("num_leaves", "learning_rate", "min_child_samples", "feature_fraction", "lambda_l2")


def optuna_storage_uri(tracking_uri: str | None) -> str:
    """``sqlite:///<folder of the MLflow SQLite store>/optuna.db`` (working folder otherwise)."""
    from ..tracking import _sqlite_path, resolve_tracking_uri

    db = _sqlite_path(resolve_tracking_uri(tracking_uri))
    folder = db.resolve().parent if db is not None else Path.cwd().resolve()
    return f"sqlite:///{(folder / OPTUNA_DB).as_posix()}"


def study_name(target_type: str) -> str:
    return f"gridaudit-{target_type}"


def suggest_params(trial) -> dict:
    """The search space (LightGBM names)."""
    return {
        "num_leaves": trial.suggest_int("num_leaves", 7, 127, log=True),
        "learning_rate": trial.suggest_float("learning_rate", 0.01, 0.3, log=True),
        "min_child_samples": trial.suggest_int("min_child_samples", 5, 100, log=True),
        "feature_fraction": trial.suggest_float("feature_fraction", 0.5, 1.0),
        "lambda_l2": trial.suggest_float("lambda_l2", 1e-3, 10.0, log=True),
    }


def tuning_months(meta: pd.DataFrame, validation_months: int, n_folds: int) -> list[pd.Period]:
    """The ``n_folds`` inspection months just before the validation block."""
    months = sorted(pd.to_datetime(meta["date"]).dt.to_period("M").unique())
    before = months[: max(len(months) - validation_months, 0)]
    return before[-n_folds:]


@dataclass
class TuneResult:
    best_params: dict
    best_value: float
    n_trials: int  # trials in the study (all runs so far)
    n_pruned: int
    study_name: str
    storage: str
    fold_months: list[str]


def _fold_objective(X, y, meta, folds, config: Config, min_findings: int):
    import optuna

    def objective(trial) -> float:
        params = suggest_params(trial)
        values = []
        for step, fold in enumerate(folds):
            y_train, y_test = y[fold.train], y[fold.test]
            if y_train.sum() < min_findings or y_train.sum() == len(y_train) or y_test.sum() == 0:
                continue
            model = RiskModel(
                params={"num_threads": 2} | params,
                num_boost_round=config.num_boost_round,
                early_stopping_rounds=None,
                calibration=None,
                seed=config.seed,
            )
            model.fit(
                X.loc[fold.train],
                y_train,
                sample_weight=sample_weights(meta.loc[fold.train], config.sample_weighting),
            )
            values.append(average_precision(y_test, model.raw_score(X.loc[fold.test])))
            trial.report(float(np.mean(values)), step)
            if trial.should_prune():
                raise optuna.TrialPruned()
        if not values:
            raise ValueError("no tuning fold has both findings to learn from and findings to test")
        return float(np.mean(values))

    return objective


def tune(
    X: pd.DataFrame,
    y: np.ndarray,
    meta: pd.DataFrame,
    inspections: pd.DataFrame,
    config: Config,
    n_trials: int,
    target_type: str = "customer",
    tracking_uri: str | None = None,
    n_folds: int = 3,
    pruner=None,
) -> TuneResult:
    """Run ``n_trials`` more trials of the target's study; returns the best trial so far."""
    import optuna

    from ..errors import InputError
    from .train import MIN_FINDINGS

    months = tuning_months(meta, config.validation_months, n_folds)
    if not months:
        raise InputError(
            f"tuning needs inspection months before the {config.validation_months} validation month(s); there are none"
        )
    folds = backtest_folds(meta, inspections, months, config.label_delay_months)
    storage = optuna_storage_uri(tracking_uri or config.tracking_uri)
    name = study_name(target_type)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        storage=storage,
        study_name=name,
        direction="maximize",
        load_if_exists=True,
        sampler=optuna.samplers.TPESampler(seed=config.seed + len(_existing_trials(storage, name))),
        pruner=pruner or optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=0),
    )
    study.optimize(
        _fold_objective(X, y, meta, folds, config, MIN_FINDINGS), n_trials=n_trials, catch=(ValueError,)
    )
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if not complete:
        raise InputError(
            "no tuning trial finished; the folds before the validation block hold too few findings"
        )
    best = study.best_trial
    pruned = sum(t.state == optuna.trial.TrialState.PRUNED for t in study.trials)
    log.info(
        "tuning %s: best mean AP %.4f with %s (%d trials, %d pruned)",
        name,
        best.value,
        best.params,
        len(study.trials),
        pruned,
    )
    return TuneResult(
        best_params=dict(best.params),
        best_value=float(best.value)
        if best.value is not None and math.isfinite(best.value)
        else float("nan"),
        n_trials=len(study.trials),
        n_pruned=pruned,
        study_name=name,
        storage=storage,
        fold_months=[str(m) for m in months],
    )


def _existing_trials(storage: str, name: str) -> list:
    """Trials already in the study (the sampler's seed moves on when a study is resumed, so a
    resumed run does not replay the same suggestions)."""
    import optuna

    try:
        return optuna.load_study(study_name=name, storage=storage).trials
    except KeyError:
        return []
