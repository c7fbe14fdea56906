"""The whole monthly loop on synthetic data, in a fresh folder: what `gridaudit demo` runs.

synthetic raw tables -> ingest -> train (MLflow run, champion) -> score next month -> report,
then the list is measured against the generator's ground truth, which a real utility never has.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .config import Config
from .errors import InputError
from .io import read_tables, write_json
from .months import fmt, parse_month

log = logging.getLogger(__name__)


@dataclass
class DemoResult:
    folder: Path
    list_dir: Path
    report: Path
    tracking_uri: str
    model_version: str
    truth_metrics: dict
    validation_metrics: dict
    timings: dict = field(default_factory=dict)


def default_tracking_uri(folder: Path) -> str:
    return f"sqlite:///{(folder / 'mlflow.db').resolve()}"


def truth_ranking_metrics(scores: pd.Series, active: pd.Series, shares=(0.01, 0.05)) -> dict:
    """precision@k and lift@k of a ranking of everyone against known truth, k as population shares."""
    from .training.metrics import lift_at_k, precision_at_k, recall_at_k

    truth = active.reindex(scores.index).fillna(False).astype(int).to_numpy()
    s = scores.to_numpy(dtype=float)
    out = {"customers": int(len(s)), "with_problem": int(truth.sum()), "prevalence": float(truth.mean())}
    for share in shares:
        k = max(1, int(round(share * len(s))))
        label = f"{round(share * 100)}pct"
        out[f"k_{label}"] = k
        out[f"precision_at_{label}"] = precision_at_k(truth, s, k)
        out[f"recall_at_{label}"] = recall_at_k(truth, s, k)
        out[f"lift_at_{label}"] = lift_at_k(truth, s, k)
    return out


def order_truth_metrics(listed: pd.DataFrame, truth_orders: pd.DataFrame | None) -> dict:
    """Share of listed work orders that carry a planted process error (synthetic truth)."""
    orders = listed[listed["target_type"] == "work_order"]["target_id"]
    if truth_orders is None or orders.empty:
        return {"listed": int(len(orders))}
    problem = truth_orders.set_index("order_id")["problem"].astype(str) != "none"
    hit = problem.reindex(orders).fillna(False)
    return {
        "listed": int(len(orders)),
        "precision": float(hit.mean()),
        "prevalence": float(problem.mean()),
        "lift": float(hit.mean() / problem.mean()) if problem.mean() else float("nan"),
    }


def run_demo(
    folder: str | Path,
    customers: int = 5000,
    months: int = 24,
    end_month: str = "2025-12",
    seed: int = 7,
    capacity: int | None = None,
    config: Config | None = None,
    progress=None,
) -> DemoResult:
    """Run the loop in ``folder`` (created; an existing demo there is replaced step by step)."""
    from .features import CustomerFeatureBuilder
    from .ingest import ingest
    from .scoring import score_month
    from .synth import generate_tables, truth_active, write_dataset
    from .tracking import load_champion
    from .training.train import train_model

    say = progress or (lambda msg: log.info(msg))
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    config = (config or Config()).replace(seed=seed)
    tracking_uri = config.tracking_uri or default_tracking_uri(folder)
    config = config.replace(tracking_uri=tracking_uri)
    capacity = capacity or config.capacity
    config = config.replace(capacity=capacity)
    timings: dict[str, float] = {}

    def timed(name, fn, *args, **kwargs):
        start = time.perf_counter()
        result = fn(*args, **kwargs)
        timings[name] = round(time.perf_counter() - start, 2)
        return result

    say(f"1/5 generating a synthetic supply area: {customers} customers x {months} months")
    tables, truth = timed("synth", generate_tables, customers=customers, months=months, end_month=end_month, seed=seed)
    raw = folder / "raw"
    write_dataset(raw, tables, truth)

    say("2/5 checking and loading the raw tables into the warehouse")
    warehouse = folder / "warehouse"
    timed("ingest", ingest, raw, warehouse, config)
    tables = read_tables(warehouse)

    say("3/5 training the customer and work-order risk models (MLflow runs, champion aliases)")
    trained = timed("train", train_model, tables, config, tracking_uri=tracking_uri)
    order_model = order_info = None
    order_metrics: dict = {}
    try:
        trained_orders = timed(
            "train_orders", train_model, tables, config, target_type="work_order", tracking_uri=tracking_uri
        )
        order_metrics = dict(getattr(trained_orders, "metrics", {}) or {})
        order_model, order_info = load_champion("work_order_risk", tracking_uri=tracking_uri)
    except InputError as exc:  # too few order findings in a small demo: customers only
        say(f"   work orders not modelled: {exc}")

    month = fmt(parse_month(end_month) + 1)
    say(f"4/5 scoring every customer for {month} and writing the inspection list and report")
    model, info = load_champion("customer_risk", tracking_uri=tracking_uri)
    # one feature build as of the month before the list serves the list and the truth check
    features = CustomerFeatureBuilder(tables, config).build(end_month)
    scored = timed(
        "score",
        score_month,
        tables,
        month,
        model,
        info,
        config,
        capacity=capacity,
        out_dir=folder / "lists",
        order_model=order_model,
        order_model_info=order_info,
        features=features,
    )

    say("5/5 measuring the ranking against the generator's ground truth")
    scores = pd.Series(model.score(features), index=features.index)
    active = truth_active(truth["customers"], end_month)
    truth_metrics = truth_ranking_metrics(scores, active)
    truth_metrics["list_capacity"] = capacity
    listed = scored.list_frame
    model_rows = listed[listed["selection"] == "model"]["customer_id"]
    truth_metrics["list_precision_model_picks"] = (
        float(active.reindex(model_rows).fillna(False).mean()) if len(model_rows) else float("nan")
    )
    validation = dict(getattr(trained, "metrics", {}) or {})
    truth_metrics["work_orders"] = order_truth_metrics(listed, truth.get("work_orders"))
    result = DemoResult(
        folder=folder,
        list_dir=Path(scored.folder),
        report=Path(scored.report_path),
        tracking_uri=tracking_uri,
        model_version=str(info.get("version")),
        truth_metrics=truth_metrics,
        validation_metrics=validation,
        timings=timings,
    )
    write_json(
        folder / "demo_metrics.json",
        {
            "month": month,
            "capacity": capacity,
            "truth": truth_metrics,
            "validation": {k: v for k, v in validation.items() if isinstance(v, (int, float, str))},
            "work_order_validation": {
                k: v for k, v in order_metrics.items() if isinstance(v, (int, float, str))
            },
            "model_version": result.model_version,
            "tracking_uri": tracking_uri,
            "timings_seconds": timings,
        },
    )
    return result
