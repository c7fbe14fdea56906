"""Train the customer risk model on past inspections, measure it in time, log and register it.

Steps: examples (features as of the month before each inspection) -> time split (train | delay |
validation) -> RiskModel fitted on the training block, early-stopped and Platt-calibrated on the
validation block -> ranking metrics on the validation block -> MLflow run + registry alias.

Which model is registered: the one that was measured. We do not refit on all examples
afterwards, because a refit would have no honest validation figures and no held-out block to
calibrate on. The price is that the latest ``validation_months`` (plus the label-delay gap) of
results shape the model only through early stopping and calibration; ``gridaudit backtest``
shows what retraining month by month would give.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import __version__
from ..config import Config
from ..contract import PERSONAL_COLUMNS, is_finding
from ..io import snapshot
from ..model import RiskModel
from .engines import check_engine, training_engine
from .examples import NoLabelsError, build_examples, sample_weights, target_inspections
from .metrics import brier_score, ranking_report, reliability_table
from .split import NotEnoughHistoryError, TimeSplit, split_examples, time_split

log = logging.getLogger(__name__)

MIN_FINDINGS = 10  # below this a model learns noise; ask for more inspection results instead
NUM_THREADS = 2


def model_params(config: Config, tuned: dict | None = None, num_threads: int = NUM_THREADS) -> dict:
    """LightGBM settings a team may tune (from the config, then Optuna's best ``tuned``
    parameters) on top of RiskModel's defaults; ``num_threads`` when the trees grow here."""
    return (
        {
            "learning_rate": config.learning_rate,
            "num_leaves": config.num_leaves,
            "min_child_samples": config.min_child_samples,
        }
        | dict(tuned or {})
        | {"num_threads": num_threads}
    )


def make_model(config: Config, tuned: dict | None = None, num_threads: int = NUM_THREADS) -> RiskModel:
    return RiskModel(
        params=model_params(config, tuned, num_threads),
        num_boost_round=config.num_boost_round,
        seed=config.seed,
    )


def target_capacity(config: Config, target_type: str = "customer") -> int:
    """Monthly inspection capacity for a target type: customers or work orders."""
    return int(config.order_capacity if target_type == "work_order" else config.capacity)


def report_ks(n_rows: int, capacity: int) -> dict[str, int]:
    """The k of precision@k: 1% and 5% of the scored block, and the team's monthly capacity."""
    return {
        "1pct": max(1, round(0.01 * n_rows)),
        "5pct": max(1, round(0.05 * n_rows)),
        "capacity": int(capacity),
    }


def check_labels(y: np.ndarray, what: str = "the inspections table") -> None:
    """Refuse to train without enough findings and enough clean results."""
    findings = int(np.sum(y))
    if findings < MIN_FINDINGS:
        have = "no findings" if findings == 0 else f"only {findings} finding(s)"
        raise NoLabelsError(f"{what} has {have}; the model needs at least {MIN_FINDINGS}")
    if findings == len(y):
        raise NoLabelsError(f"{what} has no clean results; the model needs both outcomes to learn from")


def fit_in_time(
    X: pd.DataFrame, y: np.ndarray, meta: pd.DataFrame, config: Config, tuned: dict | None = None
) -> tuple[RiskModel, TimeSplit | None]:
    """Fit with a time-held-out validation block when the history allows one, else on everything
    with a fixed number of trees (used by the backtest, whose early months are short)."""
    try:
        split = time_split(meta["date"], meta["known_date"], config.validation_months)
    except NotEnoughHistoryError:
        split = None
    if split is not None and y[split.train].sum() > 0 and y[split.validation].sum() > 0:
        train, valid = split.train, split.validation
        model = make_model(config, tuned).fit(
            X.loc[train],
            y[train],
            sample_weight=sample_weights(meta.loc[train], config.sample_weighting),
            eval_set=(X.loc[valid], y[valid]),
        )
        return model, split
    model = make_model(config, tuned).set_params(early_stopping_rounds=None)
    return model.fit(X, y, sample_weight=sample_weights(meta, config.sample_weighting)), None


@dataclass
class TrainResult:
    model: RiskModel
    metrics: dict  # ranking metrics on the validation block
    split: dict  # row counts and months of the split
    params: dict  # everything logged as MLflow params
    importance: pd.DataFrame
    snapshot: dict
    tracking_uri: str | None = None
    run_id: str | None = None
    model_name: str | None = None
    version: str | None = None
    model_uri: str | None = None
    exported_to: str | None = None
    extra: dict = field(default_factory=dict)


def _finite(metrics: dict) -> dict[str, float]:
    out = {}
    for key, value in metrics.items():
        if isinstance(value, int | float) and math.isfinite(float(value)):
            out[key] = float(value)
    return out


def example_groups(tables: dict[str, pd.DataFrame], meta: pd.DataFrame) -> pd.Series:
    """Which examples must stay on one side of a split: the same target, or copies of one
    customer where the customers table marks them (``duplicate_group``, e.g. SGCC's repeated rows)."""
    groups = meta["target_id"].astype(str)
    customers = tables.get("customers")
    if customers is not None and "duplicate_group" in customers.columns:
        mapping = customers.set_index(customers["customer_id"].astype(str))["duplicate_group"].astype(str)
        mapped = meta["customer_id"].astype(str).map(mapping)
        groups = mapped.where(mapped.notna(), groups)
    return groups.reset_index(drop=True)


def train_model(
    tables: dict[str, pd.DataFrame],
    config: Config,
    target_type: str = "customer",
    tracking_uri: str | None = None,
    register: bool = True,
    builder=None,
    export_dir: str | Path | None = None,
    log_to_mlflow: bool = True,
    backtest_months: int | None = None,
    tune_trials: int | None = None,
) -> TrainResult:
    """Train, measure on the latest months, and (by default) log to MLflow and register the
    model as ``customer_risk`` (``work_order_risk`` for target_type="work_order") with the
    ``champion`` alias. ``builder`` defaults to the target type's feature builder.

    Also measured on the validation block and logged: a 10-bin reliability table
    (calibration.csv) and the Brier score. Note the Platt calibration is fitted on that same
    block, so the table checks the calibration's fit, not its transfer to later months.
    ``backtest_months``: also run the month-by-month backtest on the same examples and log its
    table (backtest.csv) and summary (metrics ``backtest_*``).
    ``tune_trials``: first run that many Optuna trials (:mod:`gridaudit.training.tune`, months
    before the validation block only) and train the final model with the best parameters.
    ``config.engine`` (local, processes or dask, with ``scheduler`` and ``workers``) says where
    the example months are built and the final model's trees grow (:mod:`.engines`); tuning,
    backtests, calibration and evaluation run here."""
    check_engine(config.engine, config.scheduler)
    early = target_inspections(tables, target_type)  # refuse before the costly feature build
    check_labels(is_finding(early["result"]).to_numpy().astype(int))
    with training_engine(config) as engine:
        if engine.client is not None and not tune_trials and not backtest_months:
            # the training rows stay on the cluster; X is None, X_valid the gathered validation block
            model, (X_valid, y, meta), split = _fit_on_cluster(tables, config, target_type, builder, engine)
            X, tuning = None, None
        else:
            if engine.client is not None:
                log.warning("dask: tuning and backtests need every example here; gathering all rows")
            model, (X, y, meta), split, tuning = _examples_and_fit(
                tables, config, target_type, builder, tune_trials, tracking_uri, engine
            )
            X_valid = X.loc[split.validation]
    train, valid = split.train, split.validation
    tuned = tuning.best_params if tuning else None
    scores = model.score(X_valid)
    metrics = ranking_report(
        y[valid], scores, ks=report_ks(int(valid.sum()), target_capacity(config, target_type))
    )
    metrics["brier"] = brier_score(y[valid], scores)
    calibration = reliability_table(y[valid], scores)
    importance = model.feature_importance()
    snap = snapshot(tables)
    split_info = split.summary() | {
        "positives_train": int(y[train].sum()),
        "positives_validation": int(y[valid].sum()),
    }
    params = (
        {f"lgb_{k}": v for k, v in model_params(config, tuned, engine.lgb_threads).items()}
        | {
            "engine": engine.name,
            "engine_workers": engine.workers,
            "num_boost_round": config.num_boost_round,
            "best_iteration": model.best_iteration_,
            "calibration": model.calibration,
            "seed": config.seed,
            "sample_weighting": config.sample_weighting,
            "label_delay_months": config.label_delay_months,
            "validation_months": config.validation_months,
            "target_type": target_type,
            "capacity": target_capacity(config, target_type),
            "as_of_first": str(meta["as_of"].min()),
            "as_of_last": str(meta["as_of"].max()),
            "n_examples": len(y),
            "n_features": len(model.feature_names_),
            "data_hash": snap["hash"],
        }
        | split_info
        | {f"rows_{name}": n for name, n in snap["rows"].items()}
    )
    result = TrainResult(model, metrics, split_info, params, importance, snap)
    result.extra["calibration"] = calibration
    if tuning is not None:
        result.extra["tuning"] = tuning
        result.params |= {
            "tune_study": tuning.study_name,
            "tune_storage": tuning.storage,
            "tune_trials_in_study": tuning.n_trials,
            "tune_fold_months": tuning.fold_months,
        } | {f"tuned_{k}": v for k, v in tuning.best_params.items()}
        result.metrics["tune_best_mean_average_precision"] = tuning.best_value
    if backtest_months:
        from .backtest import backtest

        result.extra["backtest"] = backtest(
            tables,
            config,
            n_months=backtest_months,
            target_type=target_type,
            examples=(X, y, meta),
            tuned=tuned,
        )
    if log_to_mlflow:
        uri = tracking_uri or config.tracking_uri
        if register:
            result.extra["promotion"] = _promotion(
                tables, config, target_type, (X, y, meta), result, uri, backtest_months
            )
        X_example = X_valid if X is None else X.loc[train]  # on dask: rows already here
        _log_run(result, X_example, target_type, uri, register, X_valid=X_valid)
    if export_dir is not None:
        result.exported_to = str(model.save(export_dir))
    return result


def _checked_split(tables, config, columns, y, meta):
    """``(groups, split)`` of the examples, after refusing personal columns among the features
    and labels that cannot train (all one class, in all or in the training block)."""
    leaked = sorted(set(PERSONAL_COLUMNS) & set(map(str, columns)))
    if leaked:
        raise RuntimeError(f"personal columns reached the feature frame: {leaked}")
    check_labels(y)
    groups = example_groups(tables, meta)
    split = split_examples(meta["date"], meta["known_date"], y, groups, config.validation_months, config.seed)
    block = "the training block" if split.undated else (
        f"the training block (labels known before {split.validation_start.date()})"
    )
    check_labels(y[split.train], what=block)
    return groups, split


def _examples_and_fit(tables, config, target_type, builder, tune_trials, tracking_uri, engine):
    """The steps the engine runs: the example months, then (after the split and any tuning,
    which run here) the final model's trees."""
    X, y, meta = build_examples(
        tables, config, builder=builder, target_type=target_type, month_runner=engine.month_runner
    )
    groups, split = _checked_split(tables, config, X.columns, y, meta)
    train, valid = split.train, split.validation
    tuning = None
    if tune_trials:
        from .tune import tune

        tuning = tune(
            X, y, meta, target_inspections(tables, target_type), config, tune_trials,
            target_type=target_type, tracking_uri=tracking_uri, groups=groups,
        )  # fmt: skip
    tuned = tuning.best_params if tuning else None
    model = make_model(config, tuned, engine.lgb_threads).fit(
        X.loc[train],
        y[train],
        sample_weight=sample_weights(meta.loc[train], config.sample_weighting),
        eval_set=(X.loc[valid], y[valid]),
        fitter=engine.fitter,
    )
    return model, (X, y, meta), split, tuning


def _fit_on_cluster(tables, config, target_type, builder, engine):
    """:func:`_examples_and_fit` (without tuning) keeping the training rows on the Dask workers:
    months built there, split decided here from the examples' dates (meta and y are small), the
    validation block gathered here for early stopping and calibration, the training block's
    category levels learned and its encoded shares assembled on the workers."""
    from .dask_fit import build_cluster_examples

    examples, y, meta = build_cluster_examples(tables, config, engine.month_runner, builder, target_type)
    _, split = _checked_split(tables, config, examples.empty.columns, y, meta)
    train, valid = split.train, split.validation
    X_valid = examples.gather(valid)
    schema, X_train, y_train, w_train = examples.placed(
        train, y[train], sample_weights(meta.loc[train], config.sample_weighting), engine.fitter.workers()
    )
    log.info(
        "dask: %d training rows stay on %d workers; the SHAP plot and MLflow's input example use "
        "the %d validation rows gathered here",
        int(train.sum()),
        engine.workers,
        len(X_valid),
    )
    model = make_model(config, None, engine.lgb_threads).fit_encoded(
        X_train,
        y_train,
        sample_weight=w_train,
        eval_set=(X_valid, y[valid]),
        fitter=engine.fitter,
        schema=schema,
    )
    return model, (X_valid, y, meta), split


def _promotion(tables, config, target_type, examples, result, uri, backtest_months):
    """Whether the new version becomes champion (see :mod:`gridaudit.training.promotion`)."""
    from ..tracking import MODEL_NAMES, champion_run
    from .promotion import Promotion, decide, recipe_from_params

    champion = champion_run(MODEL_NAMES[target_type], uri)
    if champion is None:
        return decide({}, None)
    if "backtest" not in result.extra:
        return Promotion(
            True,
            f"promoted over version {champion['version']} without a backtest comparison "
            "(train with --backtest N to promote only a model that beats the champion)",
            {},
            {},
            champion["version"],
        )
    from .backtest import backtest

    champion_backtest = backtest(
        tables,
        config,
        n_months=backtest_months,
        target_type=target_type,
        examples=examples,
        tuned=recipe_from_params(champion["params"]),
    )
    result.extra["champion_backtest"] = champion_backtest
    return decide(result.extra["backtest"].summary, champion_backtest.summary, champion["version"])


def _param_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ",".join(map(str, value))
    return str(value)


def _log_shap_summary(model, X_valid: pd.DataFrame, seed: int) -> None:
    """SHAP beeswarm of the validation block (at most 2,000 rows) as ``shap_summary.png``."""
    import matplotlib.pyplot as plt
    import mlflow

    from .shap_plot import shap_summary_figure

    fig = shap_summary_figure(model, X_valid, seed=seed)
    try:
        mlflow.log_figure(fig, "shap_summary.png")
    finally:
        plt.close(fig)


def _log_run(
    result: TrainResult,
    X_example: pd.DataFrame,
    target_type: str,
    tracking_uri: str | None,
    register: bool,
    X_valid: pd.DataFrame | None = None,
) -> None:
    import mlflow

    from ..tracking import MODEL_NAMES, log_risk_model, use_store

    uri = use_store(tracking_uri)
    name = MODEL_NAMES[target_type] if register else None
    params = {k: _param_text(v) for k, v in result.params.items()}
    with mlflow.start_run(run_name=f"train {target_type} as of {result.params['as_of_last']}") as run:
        mlflow.log_params(params)
        mlflow.set_tags(
            {
                "gridaudit.version": __version__,
                "gridaudit.target_type": target_type,
                "gridaudit.data_hash": result.snapshot["hash"],
                "gridaudit.engine": str(result.params.get("engine", "local")),
            }
        )
        mlflow.log_metrics({f"valid_{k}": v for k, v in _finite(result.metrics).items()})
        mlflow.log_text(result.importance.to_csv(index=False), "feature_importance.csv")
        mlflow.log_text(result.extra["calibration"].to_csv(index=False), "calibration.csv")
        if X_valid is not None and len(X_valid):
            _log_shap_summary(result.model, X_valid, int(result.params.get("seed", 0)))
        if "backtest" in result.extra:
            bt = result.extra["backtest"]
            table = bt.per_month.assign(month=bt.per_month["month"].astype(str))
            mlflow.log_text(table.to_csv(index=False), "backtest.csv")
            mlflow.log_metrics({f"backtest_{k}": v for k, v in _finite(bt.summary).items()})
        mlflow.log_dict(
            {"validation": result.metrics, "split": result.split, "data_snapshot": result.snapshot},
            "validation.json",
        )
        promotion = result.extra.get("promotion")
        if promotion is not None:
            mlflow.set_tag("gridaudit.promoted", str(promotion.promote).lower())
            mlflow.log_dict(
                {
                    "promoted": promotion.promote,
                    "reason": promotion.reason,
                    "candidate": promotion.candidate,
                    "champion": promotion.champion,
                    "champion_version": promotion.champion_version,
                },
                "promotion.json",
            )
        logged = log_risk_model(
            result.model,
            X_example,
            registered_name=name,
            set_champion=promotion.promote if promotion is not None else True,
        )
        result.run_id = run.info.run_id
    result.tracking_uri = uri
    result.model_name = logged.name
    result.version = logged.version
    result.model_uri = logged.model_uri
