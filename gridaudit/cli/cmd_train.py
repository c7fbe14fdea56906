"""CLI commands: train, evaluate, backtest."""

from __future__ import annotations

import logging
import math
import os
from pathlib import Path

import typer
from rich.table import Table

from ..config import load_config
from ..errors import InputError
from .app import app, console, fail, out

WAREHOUSE_HELP = "Warehouse folder written by 'gridaudit ingest'."
TRACKING_HELP = (
    "Where models and runs are recorded (an MLflow tracking URI). "
    "Default: the mlflow.db file in the current folder."
)
CONFIG_HELP = "Settings file (default: gridaudit.toml in the current folder, if any)."
METRICS_HELP = "Also write the figures to this JSON file."
ENGINE_HELP = (
    "Where the examples are built and the model trained: local (here, month after month), "
    "processes (months in parallel on this machine's cores) or dask (months and trees on a Dask "
    "cluster, for examples that do not fit one machine). Default: engine in the settings file, else local."
)
SCHEDULER_HELP = (
    "Address of an existing Dask scheduler (e.g. tcp://10.0.0.5:8786), with --engine dask. "
    "Without it, --engine dask starts a cluster on this machine."
)
WORKERS_HELP = "Processes (or local Dask workers) to use. Default: one per core."
TARGET_HELP = (
    "What to rank: customer (metering and billing) or work_order (internal audit of business orders)."
)


def _fmt(value) -> str:
    if isinstance(value, float):
        return "-" if math.isnan(value) else f"{value:.3f}"
    return str(value)


def _metrics_table(title: str, metrics: dict, keys: list[str]) -> Table:
    table = Table(title=title)
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key in keys:
        if key in metrics:
            table.add_row(key, _fmt(metrics[key]))
    return table


RANKING_KEYS = [
    "n",
    "positives",
    "base_rate",
    "roc_auc",
    "average_precision",
    "precision_at_capacity",
    "lift_at_capacity",
    "precision_at_1pct",
    "lift_at_1pct",
    "precision_at_5pct",
    "lift_at_5pct",
    "map_at_100",
    "map_at_200",
    "brier",
]


def _quiet_mlflow() -> None:
    """MLflow logs database migrations at INFO; keep them for --verbose."""
    if logging.getLogger().level > logging.DEBUG:
        logging.getLogger("mlflow").setLevel(logging.WARNING)


def _quiet_dask() -> None:
    """Dask's scheduler and workers (also the worker processes started here) log every
    connection at INFO; keep them for --verbose."""
    if logging.getLogger().level > logging.DEBUG:
        os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")  # read by worker processes
        import distributed  # noqa: F401  (sets its loggers up on import; then quieten them)

        logging.getLogger("distributed").setLevel(logging.WARNING)


def _load(warehouse: Path, config_path: Path | None, **overrides):
    from ..io import read_tables

    _quiet_mlflow()
    config = load_config(config_path).replace(**overrides)
    return read_tables(warehouse), config


def _jsonable(value):
    """NaN (a measure that does not exist, e.g. AUC of a month without findings) -> null."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _write_metrics(path: Path | None, data: dict) -> None:
    if path is not None:
        from ..io import write_json

        write_json(path, _jsonable(data))
        console.print(f"figures written to {path}")


def _random_picks(per_month) -> int:
    """Random picks in the top k, over the months tested (each month's estimate rests on its own)."""
    if "random_ipw_inspections_at_k" not in per_month:
        return 0
    return int(per_month["random_ipw_inspections_at_k"].fillna(0).sum())


MIN_RANDOM_PICKS = 10  # below this many random picks in the top k, the 1/p estimate is not shown


def _bias_line(estimates: dict, k: int) -> str:
    """One line: precision@k among the inspected (naive) beside the population estimates; the
    random-pick estimate only when it rests on enough random picks (it says how many)."""
    picks = int(estimates.get("random_ipw_inspections_at_k", 0) or 0)
    if picks >= MIN_RANDOM_PICKS:
        random_part = f"{_fmt(estimates.get('random_ipw_precision_at_k', float('nan')))} (from {picks} random picks)"
    else:
        random_part = f"not shown: only {picks} random picks reach the top {k}"
    return (
        f"precision@{k} among the inspected (naive, biased by rule picks): "
        f"{_fmt(estimates.get('naive_precision_at_k', float('nan')))}; population estimate from random "
        f"picks weighted 1/p: {random_part}; "
        f"all inspections design-weighted: {_fmt(estimates.get('design_weighted_precision_at_k', float('nan')))}"
    )


@app.command()
def train(
    warehouse: Path = typer.Option(..., "--warehouse", "-w", help=WAREHOUSE_HELP),
    target: str = typer.Option("customer", "--target", help=TARGET_HELP),
    tracking_uri: str = typer.Option(None, "--tracking-uri", help=TRACKING_HELP),
    metrics_json: Path = typer.Option(None, "--metrics-json", help=METRICS_HELP),
    export: Path = typer.Option(
        None, "--export", help="Also save a plain copy of the model (model.txt + meta.json) in this folder."
    ),
    no_register: bool = typer.Option(
        False,
        "--no-register",
        help="Record the run without registering the model (the champion stays as it is).",
    ),
    backtest_months: int = typer.Option(
        None,
        "--backtest",
        min=1,
        help="Also replay this many latest months (as 'gridaudit backtest') and record the table with the run.",
    ),
    tune_trials: int = typer.Option(
        None,
        "--tune",
        min=1,
        help="First try this many LightGBM settings (Optuna) on the months before the held-out ones "
        "(results without dates, e.g. all recorded on one day: on 3 folds of the training customers, "
        "copies of a customer kept together); "
        "the study is kept in optuna.db beside the tracking store and resumes on the next --tune.",
    ),
    engine: str = typer.Option(None, "--engine", help=ENGINE_HELP),
    scheduler: str = typer.Option(None, "--scheduler", help=SCHEDULER_HELP),
    workers: int = typer.Option(None, "--workers", min=1, help=WORKERS_HELP),
    config_path: Path = typer.Option(None, "--config", help=CONFIG_HELP),
) -> None:
    """Learn from past inspections which customers (or work orders) are likely to have a problem.

    Each past inspection becomes an example: the target's features as of the month before it
    and whether a problem was found. The latest months are held out to measure the model as it
    would have worked; the model is recorded and becomes the champion that 'gridaudit score' uses
    (customer_risk, or work_order_risk with --target work_order).
    """
    from ..training import train_model
    from ..training.engines import check_engine
    from ..training.examples import check_target_type

    try:
        check_target_type(target)
        overrides = {"tracking_uri": tracking_uri, "engine": engine, "scheduler": scheduler, "workers": workers}
        chosen = load_config(config_path).replace(**overrides)
        check_engine(chosen.engine, chosen.scheduler)  # before reading the warehouse
        if chosen.engine == "dask":
            _quiet_dask()
        tables, config = _load(warehouse, config_path, **overrides)
        with console.status(f"building examples and training ({config.engine} engine)..."):
            result = train_model(
                tables,
                config,
                target_type=target,
                register=not no_register,
                export_dir=export,
                backtest_months=backtest_months,
                tune_trials=tune_trials,
            )
    except InputError as exc:
        fail(str(exc))
    split = result.split
    out.print(
        f"trained on {split['n_train']} inspections ({split['positives_train']} findings); "
        f"{split['n_gap']} left out because their results arrived after "
        f"{split['validation_start']}; validated on {split['n_validation']} inspections of "
        f"{', '.join(split['validation_block'])} ({split['positives_validation']} findings)"
    )
    if result.params.get("engine", "local") != "local":
        out.print(f"engine: {result.params['engine']} with {result.params['engine_workers']} worker(s)")
    out.print(_metrics_table("validation (the latest months, held out)", result.metrics, RANKING_KEYS))
    tuning = result.extra.get("tuning")
    if tuning is not None:
        best = ", ".join(f"{k}={_fmt(v)}" for k, v in tuning.best_params.items())
        out.print(
            f"tuning: best mean average precision {_fmt(tuning.best_value)} over {', '.join(tuning.fold_months)} "
            f"({tuning.n_trials} trials in study {tuning.study_name}, {tuning.n_pruned} pruned); used {best}"
        )
    calibration = result.extra.get("calibration")
    if calibration is not None:
        full = calibration[calibration["count"] > 0]
        out.print(
            "calibration (validation block): "
            + "; ".join(
                f"{r.lower:.1f}-{r.upper:.1f}: predicted {r.mean_predicted:.2f}, found {r.observed_rate:.2f} (n={r.count})"
                for r in full.itertuples()
            )
        )
    if "backtest" in result.extra:
        bs = result.extra["backtest"].summary
        out.print(
            f"backtest over {bs.get('months_tested', 0)} month(s): mean precision@k "
            f"{_fmt(bs.get('precision_at_k_mean', float('nan')))}, random sampling "
            f"{_fmt(bs.get('random_precision_at_k_mean', float('nan')))}, mean lift "
            f"{_fmt(bs.get('lift_at_k_mean', float('nan')))} (table recorded as backtest.csv)"
        )
    promotion = result.extra.get("promotion")
    if result.version and (promotion is None or promotion.promote):
        why = f" ({promotion.reason})" if promotion is not None else ""
        out.print(
            f"registered {result.model_name} version {result.version} as champion{why} (run {result.run_id})"
        )
    elif result.version:
        out.print(
            f"registered {result.model_name} version {result.version} but NOT promoted: {promotion.reason}; "
            f"version {promotion.champion_version} stays champion (run {result.run_id})"
        )
    else:
        out.print(f"run {result.run_id} recorded; no model registered")
    from ..tracking import mlflow_ui_command

    out.print(f"tracking store: {result.tracking_uri} (browse: {mlflow_ui_command(result.tracking_uri)})")
    if result.exported_to:
        out.print(f"model copy saved in {result.exported_to}")
    _write_metrics(
        metrics_json,
        {
            "validation": result.metrics,
            "split": split,
            "calibration": calibration.to_dict(orient="records") if calibration is not None else None,
            "backtest": result.extra["backtest"].to_dict() if "backtest" in result.extra else None,
            "model": {"name": result.model_name, "version": result.version, "run_id": result.run_id},
            "promotion": (
                {
                    "promoted": promotion.promote,
                    "reason": promotion.reason,
                    "candidate": promotion.candidate,
                    "champion": promotion.champion,
                    "champion_version": promotion.champion_version,
                }
                if promotion is not None
                else None
            ),
        },
    )


@app.command()
def evaluate(
    warehouse: Path = typer.Option(..., "--warehouse", "-w", help=WAREHOUSE_HELP),
    model: str = typer.Option(
        "champion", "--model", help="'champion' (the registered model) or a folder saved with --export."
    ),
    target: str = typer.Option("customer", "--target", help=TARGET_HELP),
    tracking_uri: str = typer.Option(None, "--tracking-uri", help=TRACKING_HELP),
    metrics_json: Path = typer.Option(None, "--metrics-json", help=METRICS_HELP),
    config_path: Path = typer.Option(None, "--config", help=CONFIG_HELP),
) -> None:
    """Measure a model against the inspections recorded in a warehouse (AUC, precision@k, lift@k, MAP@N)."""
    from ..io import snapshot
    from ..model import RiskModel
    from ..tracking import MODEL_NAMES, load_champion, run_param
    from ..training import evaluate_model
    from ..training.examples import check_target_type

    try:
        check_target_type(target)
        tables, config = _load(warehouse, config_path, tracking_uri=tracking_uri)
        if model == "champion":
            risk_model, info = load_champion(MODEL_NAMES[target], config.tracking_uri)
            label = f"{MODEL_NAMES[target]} version {info['version']}"
        else:
            if not Path(model).is_dir():
                raise InputError(f"--model {model} is neither 'champion' nor a model folder")
            try:
                risk_model, label, info = RiskModel.load(model), model, {"path": model}
            except FileNotFoundError as exc:
                raise InputError(str(exc)) from exc
        with console.status("scoring the inspected targets..."):
            report = evaluate_model(tables, risk_model, config, target_type=target)
        trained_on = run_param(info["run_id"], "data_hash", config.tracking_uri) if "run_id" in info else None
    except InputError as exc:
        fail(str(exc))
    report["same_data_as_training"] = trained_on == snapshot(tables)["hash"]
    out.print(_metrics_table(f"{label} on {warehouse}", report, RANKING_KEYS))
    if report["same_data_as_training"]:
        out.print(
            "note: this is the warehouse the model was trained on, so these figures are in-sample "
            "and optimistic; 'gridaudit train' shows the held-out ones, 'gridaudit backtest' month by month"
        )
    if "random_and_exploration" in report:
        out.print(
            _metrics_table(
                "random and exploration inspections only (unweighted)",
                report["random_and_exploration"],
                RANKING_KEYS,
            )
        )
    if report.get("population_estimate"):
        out.print(_bias_line(report["population_estimate"], report["population_estimate"]["k"]))
    _write_metrics(metrics_json, {"model": info, "metrics": report})


@app.command()
def backtest(
    warehouse: Path = typer.Option(..., "--warehouse", "-w", help=WAREHOUSE_HELP),
    months: int = typer.Option(
        6, "--months", min=1, help="How many of the latest inspection months to test."
    ),
    capacity: int = typer.Option(
        None,
        "--capacity",
        min=1,
        help="Inspections the team does per month (default: capacity, or order_capacity for work orders).",
    ),
    until: str = typer.Option(
        None,
        "--until",
        help="Last month to test, e.g. 2024-04 (default: the latest inspection month); "
        "--months counts back from it.",
    ),
    target: str = typer.Option("customer", "--target", help=TARGET_HELP),
    metrics_json: Path = typer.Option(None, "--metrics-json", help=METRICS_HELP),
    config_path: Path = typer.Option(None, "--config", help=CONFIG_HELP),
) -> None:
    """Replay the last months: retrain each month on results known by then and check its picks.

    For each month the model only learns from results that had been written up before the month
    began, and customers already confirmed are left out. Precision at the capacity is shown beside
    random sampling (the month's finding rate).
    """
    from ..training import backtest as run_backtest
    from ..training.examples import check_target_type

    try:
        check_target_type(target)
        tables, config = _load(warehouse, config_path)
        with console.status(f"backtesting {months} month(s)..."):
            result = run_backtest(
                tables, config, n_months=months, capacity=capacity, target_type=target, until=until
            )
    except InputError as exc:
        fail(str(exc))
    table = Table(title=f"backtest at capacity {result.capacity}")
    columns = {
        "month": "month",
        "n_train": "trained on",
        "n_test": "tested",
        "test_findings": "findings",
        "k": "k",
        "precision_at_k": "precision@k",
        "random_precision_at_k": "random",
        "rules_precision_at_k": "rules of thumb",
        "lift_at_k": "lift",
        "precision_at_20pct": "prec. top 20%",
        "roc_auc": "AUC",
        "skipped": "note",
    }
    for col, header in columns.items():
        table.add_column(header, justify="left" if col in ("month", "skipped") else "right")
    for row in result.per_month.to_dict(orient="records"):
        table.add_row(*[_fmt(row.get(col, float("nan"))) for col in columns])
    out.print(table)
    s = result.summary
    out.print(
        f"mean precision@{result.capacity}: {_fmt(s.get('precision_at_k_mean', float('nan')))} "
        f"(std {_fmt(s.get('precision_at_k_std', float('nan')))}); random sampling: "
        f"{_fmt(s.get('random_precision_at_k_mean', float('nan')))}; "
        f"rules of thumb: {_fmt(s.get('rules_precision_at_k_mean', float('nan')))}; "
        f"mean lift {_fmt(s.get('lift_at_k_mean', float('nan')))}; "
        f"mean AUC {_fmt(s.get('roc_auc_mean', float('nan')))}"
    )
    out.print(
        f"the model finds {_fmt(s.get('model_lift_over_random', float('nan')))} times as many problems as "
        f"random sampling and {_fmt(s.get('model_lift_over_rules', float('nan')))} times as many as the "
        f"rules of thumb (large drop, long zero runs, many refunds) with the same capacity"
    )
    out.print(
        _bias_line(
            {
                "naive_precision_at_k": s.get("precision_at_k_mean", float("nan")),
                "random_ipw_precision_at_k": s.get("random_ipw_precision_at_k_mean", float("nan")),
                "random_ipw_inspections_at_k": _random_picks(result.per_month),
                "design_weighted_precision_at_k": s.get("design_weighted_precision_at_k_mean", float("nan")),
            },
            result.capacity,
        )
    )
    tested = result.per_month[result.per_month["skipped"] == ""]
    small = int((tested["n_test"] <= result.capacity).sum())
    if small:
        out.print(
            f"note: in {small} of {len(tested)} month(s) the team inspected no more than "
            f"{result.capacity} of the tested customers, so precision@{result.capacity} there equals "
            f"the finding rate; precision_at_20pct (the top fifth of each month) compares rankings"
        )
    _write_metrics(metrics_json, result.to_dict())
