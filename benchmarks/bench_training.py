"""Training figures on synthetic data: work-order model quality, and selection-bias estimates vs truth.

  (1) work orders: train_model(target_type="work_order") -> validation block precision@k and
      lift@k; backtest over the last 6 months at order_capacity.
  (2) customers: for the last 6 months, precision@k of the model estimated three ways from that
      month's inspections (naive = all inspected, unweighted; random + exploration weighted 1/p;
      all inspections design-weighted) beside the true precision@k over the eligible population
      (synthetic truth), for training without and with inverse-probability sample weights.
  (3) engines (--only engines): the same customer examples trained here and with LightGBM's
      Dask interface on a local cluster of --dask-workers processes; time of the example
      build (months one after another here vs months as Dask tasks) and of the fit, with
      both validation AUCs. Times are also given as ratios to the local run of the same step.

Usage (from the repository root; about 10-20 minutes on 2 busy cores):
    .venv/bin/python benchmarks/bench_training.py                  # 5000 customers, 24 months
    .venv/bin/python benchmarks/bench_training.py --customers 2000 --only orders
    .venv/bin/python benchmarks/bench_training.py --customers 2000 --months 12 --only engines
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time

import pandas as pd

from gridaudit.config import Config
from gridaudit.features import CustomerFeatureBuilder, WorkOrderFeatureBuilder
from gridaudit.synth import generate_tables
from gridaudit.synth.params import COOLDOWN_MONTHS
from gridaudit.training import backtest, train_model
from gridaudit.training.selection_bias import compare_with_truth, summarise_bias

SCHEMES = ("none", "inverse_probability")


class CachedBuilder:
    """Builds each month once (the comparison asks for the same months under two weightings)."""

    def __init__(self, builder):
        self.builder = builder
        self.cache: dict = {}

    def build(self, as_of):
        key = str(as_of)
        if key not in self.cache:
            self.cache[key] = self.builder.build(as_of)
        return self.cache[key]


def orders(tables, order_capacity: int) -> dict:
    config = Config(order_capacity=order_capacity)
    builder = WorkOrderFeatureBuilder(tables, config)
    trained = train_model(tables, config, target_type="work_order", log_to_mlflow=False, builder=builder)
    bt = backtest(tables, config, n_months=6, builder=builder, target_type="work_order")
    keys = ["n", "positives", "base_rate", "roc_auc", "average_precision"] + [
        f"{m}_at_{k}" for k in ("capacity", "5pct") for m in ("precision", "lift")
    ]
    return {
        "split": trained.split,
        "validation": {k: trained.metrics.get(k) for k in keys},
        "backtest_per_month": bt.per_month.assign(month=bt.per_month["month"].astype(str)).to_dict("records"),
        "backtest_summary": bt.summary,
    }


def selection_bias(tables, truth, ks, schemes=SCHEMES) -> dict:
    out = {}
    builder = CachedBuilder(CustomerFeatureBuilder(tables, Config()))
    for scheme in schemes:
        config = Config(sample_weighting=scheme)
        comparison = compare_with_truth(
            tables,
            truth["customers"],
            config,
            n_months=6,
            ks=ks,
            builder=builder,
            cooldown_months=COOLDOWN_MONTHS,
        )
        out[scheme] = {"per_month": comparison, "summary": summarise_bias(comparison)}
    return out


def engines(tables, n_workers: int, num_boost_round: int) -> dict:
    """Local vs Dask on the same examples: example-build and fit times, validation AUC."""
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")  # also the worker processes
    from dask.distributed import Client, LocalCluster

    logging.getLogger("distributed").setLevel(logging.WARNING)

    from gridaudit.training.dask_fit import DaskBoosterFitter
    from gridaudit.training.engines import DaskMonths
    from gridaudit.training.examples import build_examples, sample_weights
    from gridaudit.training.metrics import roc_auc
    from gridaudit.training.split import split_examples
    from gridaudit.training.train import example_groups, make_model

    config = Config(num_boost_round=num_boost_round)
    builder = CustomerFeatureBuilder(tables, config)
    timings: dict = {}
    started = time.perf_counter()
    X, y, meta = build_examples(tables, config, builder=builder)
    timings["examples_local_s"] = time.perf_counter() - started
    split = split_examples(
        meta["date"], meta["known_date"], y, example_groups(tables, meta), config.validation_months, config.seed
    )
    train, valid = split.train, split.validation

    def fit(fitter):
        started = time.perf_counter()
        model = make_model(config).fit(
            X.loc[train],
            y[train],
            sample_weight=sample_weights(meta.loc[train], config.sample_weighting),
            eval_set=(X.loc[valid], y[valid]),
            fitter=fitter,
        )
        return model, time.perf_counter() - started

    local, timings["fit_local_s"] = fit(None)
    with LocalCluster(
        n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster, Client(cluster) as client:
        started = time.perf_counter()
        X_dask, _, _ = build_examples(tables, config, builder=builder, month_runner=DaskMonths(client))
        timings["examples_dask_s"] = time.perf_counter() - started
        on_dask, timings["fit_dask_s"] = fit(DaskBoosterFitter(client))
    pd.testing.assert_frame_equal(X_dask, X, check_exact=True)  # the same examples either way
    return {
        "n_examples": len(y),
        "n_train": int(train.sum()),
        "n_validation": int(valid.sum()),
        "dask_workers": n_workers,
        "auc_local": roc_auc(y[valid], local.score(X.loc[valid])),
        "auc_dask": roc_auc(y[valid], on_dask.score(X.loc[valid])),
        "best_iteration_local": local.best_iteration_,
        "best_iteration_dask": on_dask.best_iteration_,
        **{k: round(v, 2) for k, v in timings.items()},
        "examples_dask_over_local": round(timings["examples_dask_s"] / timings["examples_local_s"], 2),
        "fit_dask_over_local": round(timings["fit_dask_s"] / timings["fit_local_s"], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--order-capacity", type=int, default=5)
    parser.add_argument("--only", choices=("orders", "bias", "engines"))
    parser.add_argument("--dask-workers", type=int, default=2, help="local Dask workers (--only engines)")
    parser.add_argument("--num-boost-round", type=int, default=400, help="trees at most (--only engines)")
    parser.add_argument("--json")
    parser.add_argument("--weighting", choices=SCHEMES, help="only this training weighting (bias part)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    pd.set_option("display.width", 250)
    started = time.time()
    tables, truth = generate_tables(customers=args.customers, months=args.months)
    result: dict = {}
    if args.only == "engines":
        result["engines"] = engines(tables, args.dask_workers, args.num_boost_round)
        print(json.dumps(result["engines"], indent=1, default=str))
    if args.only in (None, "orders"):
        result["orders"] = orders(tables, args.order_capacity)
        print(json.dumps(result["orders"]["validation"], indent=1, default=str))
        print(pd.DataFrame(result["orders"]["backtest_per_month"]).to_string())
        print(json.dumps(result["orders"]["backtest_summary"], indent=1))
    if args.only in (None, "bias"):
        bias = selection_bias(
            tables, truth, ks=(100, 250, 500), schemes=(args.weighting,) if args.weighting else SCHEMES
        )
        for scheme, part in bias.items():
            print(f"\n== training weights: {scheme}")
            print(part["per_month"].to_string())
            print(part["summary"].to_string())
        result["selection_bias"] = {
            scheme: {k: v.to_dict("records") for k, v in part.items()} for scheme, part in bias.items()
        }
    print(f"\n{time.time() - started:.0f} s")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(result, fh, indent=1, default=str)


if __name__ == "__main__":
    main()
