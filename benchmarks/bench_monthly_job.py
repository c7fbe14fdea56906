"""The monthly job (features + score + explain the listed) at growing sizes: wall time and peak memory.

Each size runs in a fresh subprocess, so its peak resident memory (``ru_maxrss``) is its own.
Engines: ``local`` is the bucketed engine (one task of at most ``--task-customers`` customers at a
time, the default of ``gridaudit features``); ``whole`` reads every table at once and builds the
frame in one piece (``CustomerFeatureBuilder(read_tables(...)).build``), for comparison.

Usage:
    python benchmarks/bench_monthly_job.py                      # 20k and 60k customers, a few minutes
    python benchmarks/bench_monthly_job.py --sizes 100000,300000,1000000 --engines local
        # the issue's sizes: needs ~10 GB of disk under /tmp/gridaudit_bench and, on 2 cores,
        # roughly 3, 10 and 30 minutes for the job plus as long again to generate the data once;
        # use --engines local,whole only where memory allows the whole-table build.
Each size is 12 months of daily readings (``--months``); data and the model are cached.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _synthetic import CACHE, synthetic_warehouse, warehouse_rows  # noqa: E402

AS_OF = "2025-12"
MODEL_CUSTOMERS = 5000


def run_job(warehouse: str, engine: str, model_folder: str, capacity: int, task_customers: int) -> dict:
    """The job itself (in the subprocess): features, score everyone, explain the listed."""
    import numpy as np

    from gridaudit.config import Config
    from gridaudit.engine import build_features_bucketed
    from gridaudit.features import CustomerFeatureBuilder
    from gridaudit.io import read_tables
    from gridaudit.model import RiskModel

    times = {}
    started = time.perf_counter()
    if engine == "whole":
        features = CustomerFeatureBuilder(read_tables(warehouse), Config()).build(AS_OF)
    else:
        features = build_features_bucketed(
            warehouse, AS_OF, Config(), engine=engine, task_customers=task_customers
        )
    times["features_s"] = time.perf_counter() - started
    model = RiskModel.load(model_folder)
    mark = time.perf_counter()
    scores = model.score(features)
    times["score_s"] = time.perf_counter() - mark
    mark = time.perf_counter()
    listed = np.argsort(-scores, kind="stable")[:capacity]
    model.contributions(features.iloc[listed])
    times["explain_s"] = time.perf_counter() - mark
    times["total_s"] = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes
    return {"customers": len(features), "columns": features.shape[1], "peak_mb": peak_mb, **times}


def model_folder() -> Path:
    """The cached model, retrained when missing or saved by another gridaudit version."""
    import shutil

    from gridaudit.model import ModelIntegrityError, RiskModel

    folder = CACHE / f"model_{MODEL_CUSTOMERS}_200"
    try:
        RiskModel.load(folder)
    except (FileNotFoundError, ModelIntegrityError):
        from bench_scoring import trained_model

        shutil.rmtree(folder, ignore_errors=True)
        trained_model(MODEL_CUSTOMERS)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="20000,60000", help="customer counts, comma-separated")
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--engines", default="local,whole", help="local, processes, dask and/or whole")
    parser.add_argument("--capacity", type=int, default=100, help="targets listed and explained")
    parser.add_argument(
        "--task-customers", type=int, default=5_000, help="customers per task (engine default)"
    )
    parser.add_argument("--job", nargs=2, metavar=("WAREHOUSE", "ENGINE"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.job:  # inside the subprocess
        result = run_job(args.job[0], args.job[1], str(model_folder()), args.capacity, args.task_customers)
        print(json.dumps(result))
        return

    folder = model_folder()
    print(
        f"model: {folder}; job = features as of {AS_OF} + score everyone + explain the {args.capacity} listed"
    )
    header = f"{'customers':>10} {'engine':>7} {'readings':>12} {'features s':>11} {'score s':>8} {'explain s':>9} {'total s':>8} {'us/customer':>12} {'peak MB':>8}"
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        started = time.perf_counter()
        warehouse = synthetic_warehouse(size, months=args.months)
        print(
            f"data {size}: {warehouse} ({time.perf_counter() - started:.0f} s to prepare or find)", flush=True
        )
        for engine in args.engines.split(","):
            command = [sys.executable, __file__, "--job", str(warehouse), engine, "--capacity", str(args.capacity),
                       "--task-customers", str(args.task_customers)]  # fmt: skip
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                print(f"{size} {engine}: failed\n{done.stderr[-2000:]}")
                continue
            result = json.loads(done.stdout.strip().splitlines()[-1])
            result.update(engine=engine, readings=warehouse_rows(warehouse)["readings"])
            results.append(result)
            if len(results) == 1:
                print(header)
            print(
                f"{result['customers']:>10,} {engine:>7} {result['readings']:>12,} {result['features_s']:>11.1f} "
                f"{result['score_s']:>8.2f} {result['explain_s']:>9.2f} {result['total_s']:>8.1f} "
                f"{1e6 * result['total_s'] / result['customers']:>12,.0f} {result['peak_mb']:>8,.0f}",
                flush=True,
            )
    for engine in args.engines.split(","):
        runs = [r for r in results if r["engine"] == engine]
        if len(runs) >= 2:
            first, last = runs[0], runs[-1]
            grow = last["customers"] / first["customers"]
            print(
                f"{engine}: customers x{grow:.1f} -> time x{last['total_s'] / first['total_s']:.2f}, "
                f"peak memory x{last['peak_mb'] / first['peak_mb']:.2f}"
            )


if __name__ == "__main__":
    main()
