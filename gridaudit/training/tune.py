"""Optuna tuning of the LightGBM settings (``gridaudit train --tune N``).

Time folds (inspections with dates): the last ``n_folds`` inspection months *before* the
validation block, each tested as the backtest does (train only on results known before the
month's first day, the label-delay gap; targets already confirmed left out). The validation block itself is never seen by the tuning,
so the validation figures of the tuned model stay honest.

Grouped stratified folds (labels without dates, e.g. the public STEG and SGCC sets; the same
rule that makes training choose :func:`~gridaudit.training.split.undated_split`): the training
part of that split only, cut by ``StratifiedGroupKFold`` into ``n_folds`` folds with the groups
training uses (the target, or its duplicate group), so copies of a customer never sit on both
sides of a fold and each fold keeps the share of findings. The validation part is never seen.

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
from .backtest import Fold, backtest_folds
from .examples import sample_weights
from .metrics import average_precision
from .split import NotEnoughHistoryError, split_examples

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
    fold_months: list[str]  # empty for grouped folds
    folds: str = "time"  # or "stratified group" (labels without dates)


def grouped_folds(y, groups, n_folds: int, seed: int) -> list[Fold]:
    """``n_folds`` stratified folds by group (bool masks): a group never sits on both sides."""
    from sklearn.model_selection import StratifiedGroupKFold

    y = np.asarray(y, dtype=int)
    codes = pd.factorize(pd.Series(np.asarray(groups)).astype(str))[0]
    cv = StratifiedGroupKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    folds = []
    for _, test in cv.split(np.zeros(len(y)), y, codes):
        mask = np.zeros(len(y), dtype=bool)
        mask[test] = True
        folds.append(Fold(None, ~mask, mask, 0))
    return folds


def _stopping_split(y, groups, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """One stratified group fifth of a fold's training part to stop early on (positions)."""
    from sklearn.model_selection import StratifiedGroupKFold

    codes = pd.factorize(pd.Series(np.asarray(groups)).astype(str))[0]
    cv = StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=seed)
    return next(cv.split(np.zeros(len(y)), np.asarray(y, dtype=int), codes))


def _fold_objective(
    X,
    y,
    meta,
    folds,
    config: Config,
    min_findings: int,
    groups=None,
    early_stopping_rounds: int | None = None,
    num_boost_round: int | None = None,
    base_params: dict | None = None,
):
    """Mean AP over the folds. With ``early_stopping_rounds`` (needs ``groups``), each fold's
    model stops on a stratified group fifth of the fold's *training* part, never on its test part."""
    import optuna

    base = {"num_threads": 2} | dict(base_params or {})

    def objective(trial) -> float:
        params = suggest_params(trial)
        values, trees = [], []
        for step, fold in enumerate(folds):
            y_train, y_test = y[fold.train], y[fold.test]
            if y_train.sum() < min_findings or y_train.sum() == len(y_train) or y_test.sum() == 0:
                continue
            model = RiskModel(
                params=base | params,
                num_boost_round=num_boost_round or config.num_boost_round,
                early_stopping_rounds=early_stopping_rounds,
                calibration=None,
                seed=config.seed,
            )
            X_train = X.loc[fold.train]
            weights = None if meta is None else sample_weights(meta.loc[fold.train], config.sample_weighting)
            if early_stopping_rounds:
                fit, stop = _stopping_split(y_train, np.asarray(groups)[fold.train], config.seed)
                model.fit(
                    X_train.iloc[fit],
                    y_train[fit],
                    sample_weight=None if weights is None else weights[fit],
                    eval_set=(X_train.iloc[stop], y_train[stop]),
                )
            else:
                model.fit(X_train, y_train, sample_weight=weights)
            trees.append(int(model.best_iteration_ or 0))
            values.append(average_precision(y_test, model.raw_score(X.loc[fold.test])))
            trial.set_user_attr("trees", trees)
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
    groups=None,
) -> TuneResult:
    """Run ``n_trials`` more trials of the target's study; returns the best trial so far.

    Time folds when the inspections carry dates; otherwise grouped stratified folds over the
    training part of training's own undated split (``groups``: what must stay on one side,
    as :func:`~gridaudit.training.train.example_groups`; default the target)."""
    from ..errors import InputError
    from .train import MIN_FINDINGS

    groups = meta["target_id"].astype(str).to_numpy() if groups is None else np.asarray(groups)
    part = _undated_training_part(meta, y, groups, config)
    if part is not None:
        return tune_grouped(
            X.loc[part].reset_index(drop=True),
            np.asarray(y)[part],
            groups[part],
            config,
            n_trials,
            n_folds=n_folds,
            storage=optuna_storage_uri(tracking_uri or config.tracking_uri),
            name=study_name(target_type),
            meta=meta.loc[part].reset_index(drop=True),
            pruner=pruner,
        )
    months = tuning_months(meta, config.validation_months, n_folds)
    if not months:
        raise InputError(
            f"tuning needs inspection months before the {config.validation_months} validation month(s); there are none"
        )
    folds = backtest_folds(meta, inspections, months, config.label_delay_months)
    storage = optuna_storage_uri(tracking_uri or config.tracking_uri)
    name = study_name(target_type)
    study = _optimize(
        _fold_objective(X, y, meta, folds, config, MIN_FINDINGS), storage, name, config, n_trials, pruner
    )
    return _result(study, name, storage, [str(m) for m in months], "time")


def tune_grouped(
    X: pd.DataFrame,
    y: np.ndarray,
    groups,
    config: Config,
    n_trials: int,
    n_folds: int = 3,
    storage: str | None = None,
    name: str = "gridaudit-customer",
    meta: pd.DataFrame | None = None,
    pruner=None,
    early_stopping_rounds: int | None = None,
    num_boost_round: int | None = None,
    base_params: dict | None = None,
) -> TuneResult:
    """Tune on ``n_folds`` stratified group folds of exactly these examples (call it with a
    training part only). ``storage=None`` keeps the study in memory (nested tuning in the
    benchmark); ``base_params`` are LightGBM settings under the tuned ones (e.g. threads)."""
    from ..errors import InputError
    from .train import MIN_FINDINGS

    y = np.asarray(y, dtype=int)
    if y.sum() < n_folds:
        raise InputError(
            f"tuning on {n_folds} folds needs at least {n_folds} findings in the training part; there are {int(y.sum())}"
        )
    folds = grouped_folds(y, groups, n_folds, config.seed)
    objective = _fold_objective(
        X,
        y,
        meta,
        folds,
        config,
        min(MIN_FINDINGS, int(y.sum()) - 1),
        groups=groups,
        early_stopping_rounds=early_stopping_rounds,
        num_boost_round=num_boost_round,
        base_params=base_params,
    )
    study = _optimize(objective, storage, name, config, n_trials, pruner)
    return _result(study, name, storage or "", [], "stratified group")


def _undated_training_part(meta: pd.DataFrame, y, groups, config: Config) -> np.ndarray | None:
    """Training's split decides: when it is the undated one, its training mask; else None."""
    try:
        split = split_examples(
            meta["date"], meta["known_date"], y, groups, config.validation_months, config.seed
        )
    except NotEnoughHistoryError:
        return None
    return split.train if split.undated else None


def _optimize(objective, storage: str | None, name: str, config: Config, n_trials: int, pruner):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    existing = _existing_trials(storage, name) if storage else []
    study = optuna.create_study(
        storage=storage,
        study_name=name,
        direction="maximize",
        load_if_exists=True,
        sampler=optuna.samplers.TPESampler(seed=config.seed + len(existing)),
        pruner=pruner or optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=0),
    )
    study.optimize(objective, n_trials=n_trials, catch=(ValueError,))
    return study


def _result(study, name: str, storage: str, fold_months: list[str], folds: str) -> TuneResult:
    import optuna

    from ..errors import InputError

    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if not complete:
        raise InputError(
            "no tuning trial finished; the tuning folds hold too few findings to learn from and to test"
        )
    best = study.best_trial
    pruned = sum(t.state == optuna.trial.TrialState.PRUNED for t in study.trials)
    log.info(
        "tuning %s (%s folds): best mean AP %.4f with %s (%d trials, %d pruned)",
        name,
        folds,
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
        fold_months=fold_months,
        folds=folds,
    )


def _existing_trials(storage: str, name: str) -> list:
    """Trials already in the study (the sampler's seed moves on when a study is resumed, so a
    resumed run does not replay the same suggestions)."""
    import optuna

    try:
        return optuna.load_study(study_name=name, storage=storage).trials
    except KeyError:
        return []
