"""Training figures on synthetic data: work-order model quality, and selection-bias estimates vs truth.

  (1) work orders: train_model(target_type="work_order") -> validation block precision@k and
      lift@k; backtest over the last 6 months at order_capacity.
  (2) customers: for the last 6 months, precision@k of the model estimated three ways from that
      month's inspections (naive = all inspected, unweighted; random + exploration weighted 1/p;
      all inspections design-weighted) beside the true precision@k over the eligible population
      (synthetic truth), for training without and with inverse-probability sample weights.

Usage (from the repository root; about 10-20 minutes on 2 busy cores):
    .venv/bin/python benchmarks/bench_training.py                  # 5000 customers, 24 months
    .venv/bin/python benchmarks/bench_training.py --customers 2000 --only orders
"""

from __future__ import annotations

import argparse
import json
import logging
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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--order-capacity", type=int, default=5)
    parser.add_argument("--only", choices=("orders", "bias"))
    parser.add_argument("--json")
    parser.add_argument("--weighting", choices=SCHEMES, help="only this training weighting (bias part)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    pd.set_option("display.width", 250)
    started = time.time()
    tables, truth = generate_tables(customers=args.customers, months=args.months)
    result: dict = {}
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
