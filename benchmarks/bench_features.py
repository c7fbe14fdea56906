"""Curve feature throughput in customer-days per second: gridaudit against plain pandas, same run.

The baseline (``pandas_curve_features.py``) computes the 45 features of the two curve families
(``curve_history``: own-history windows, drops, trend, runs, level shift, weekday/weekend change;
``curve_shape``: moments, runs of zeros, autocorrelations, jumps, quantiles, ...) the
straightforward pandas way: the long readings completed to one row per customer and day, then
``groupby`` over customers. gridaudit computes the same features from its dense customers x days
matrix, pivot included in the time; every column is compared with the baseline (rtol 1e-9,
NaN equal NaN). Then gridaudit builds the full customer feature set (every family) and, with
the bucketed engine, the same frame from the warehouse.

Throughput = customers x days of curve (first reading to the as-of day) / seconds; each time is
the best of ``--repeat`` runs, and every ratio compares timings taken in this same run.

Usage:  python benchmarks/bench_features.py [--customers 5000] [--months 13] [--as-of 2025-11]
        [--repeat 3] [--profile] [--no-engine]
        (synthetic data is generated once and cached under /tmp/gridaudit_bench)
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _synthetic import synthetic_warehouse  # noqa: E402
from pandas_curve_features import curve_features as pandas_curve_features  # noqa: E402

from gridaudit.config import Config  # noqa: E402
from gridaudit.engine import build_features_bucketed  # noqa: E402
from gridaudit.features import CurveMatrix, CustomerFeatureBuilder, FeatureContext  # noqa: E402
from gridaudit.features.curve_history import curve_history_features  # noqa: E402
from gridaudit.features.curve_shape import curve_shape_features  # noqa: E402
from gridaudit.io import read_tables  # noqa: E402
from gridaudit.months import month_end, parse_month  # noqa: E402

RTOL, ATOL = 1e-9, 1e-12


def gridaudit_curve_features(readings: pd.DataFrame, customers: pd.DataFrame, as_of: str) -> pd.DataFrame:
    """The two curve families from gridaudit's matrix, pivot included (what the builder does)."""
    ids = pd.Index(customers["customer_id"].astype(str), name="customer_id")
    end = month_end(as_of)
    curve = CurveMatrix.from_readings(readings, ids).until(end)
    ctx = FeatureContext(parse_month(as_of), end, customers, {}, curve, Config())
    return pd.concat([curve_shape_features(ctx), curve_history_features(ctx)], axis=1)


def best_of(repeat: int, function, *args):
    """Result of the last run and the shortest wall time of ``repeat`` runs."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = function(*args)
        times.append(time.perf_counter() - started)
    return result, min(times)


def compare(ours: pd.DataFrame, baseline: pd.DataFrame) -> tuple[list[str], list[str], float]:
    """Columns equal and unequal (allclose, NaN == NaN), and the largest absolute difference."""
    equal, unequal, worst = [], [], 0.0
    for column in baseline.columns:
        a = ours[column].to_numpy(dtype=float)
        b = baseline[column].reindex(ours.index).to_numpy(dtype=float)
        same = np.allclose(a, b, rtol=RTOL, atol=ATOL, equal_nan=True)
        (equal if same else unequal).append(column)
        both = ~np.isnan(a) & ~np.isnan(b)
        if both.any():
            worst = max(worst, float(np.max(np.abs(a[both] - b[both]))))
    return equal, unequal, worst


def profile(function, *args, top: int = 15) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    function(*args)
    profiler.disable()
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(top)
    return text.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--months", type=int, default=13)
    parser.add_argument("--as-of", default="2025-11")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="cProfile gridaudit's curve path")
    parser.add_argument("--no-engine", action="store_true", help="skip the bucketed engine build")
    args = parser.parse_args()

    warehouse = synthetic_warehouse(args.customers, args.months)
    tables = read_tables(warehouse)
    readings = tables["readings"]
    customers = tables["customers"]
    ids = pd.Index(customers["customer_id"].astype(str), name="customer_id")
    end = month_end(args.as_of)
    n_days = (end - pd.to_datetime(readings["date"]).min().normalize()).days + 1
    customer_days = len(ids) * n_days
    print(
        f"data: {len(ids):,} customers x {n_days} days = {customer_days:,} customer-days "
        f"({len(readings):,} reading rows), as of {args.as_of}; {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.2f} at start"
    )

    baseline, t_pandas = best_of(args.repeat, pandas_curve_features, readings, ids, end)
    ours, t_ours = best_of(args.repeat, gridaudit_curve_features, readings, customers, args.as_of)
    equal, unequal, worst = compare(ours, baseline)
    full, t_full = best_of(args.repeat, lambda: CustomerFeatureBuilder(tables, Config()).build(args.as_of))
    full_equal, full_unequal, _ = compare(full, baseline)
    n = len(baseline.columns)
    print(
        f"compared {n} curve feature columns (rtol {RTOL:g}, atol {ATOL:g}, NaN == NaN): {', '.join(baseline.columns)}"
    )
    print(
        f"equal to pandas: gridaudit matrix {len(equal)}/{n}, full build {len(full_equal)}/{n}; largest difference {worst:.1e}"
    )
    if unequal or full_unequal:
        print(f"NOT equal: matrix {unequal}, full build {full_unequal}")

    def rate(seconds: float) -> float:
        return customer_days / seconds

    rows = [
        (f"(a) pandas groupby/rolling, {n} curve features", t_pandas),
        (f"(b) gridaudit matrix, same {n} features (pivot included)", t_ours),
        (f"(c) gridaudit full build, every family ({full.shape[1]} columns)", t_full),
    ]
    if not args.no_engine:
        bucketed, t_bucketed = best_of(1, lambda: build_features_bucketed(warehouse, args.as_of, Config()))
        rows.append(
            (
                f"(d) gridaudit bucketed engine, local, reads included ({bucketed.shape[1]} columns)",
                t_bucketed,
            )
        )
    print(f"{'implementation':<78}{'seconds':>9}{'customer-days/s':>18}")
    for label, seconds in rows:
        print(f"{label:<78}{seconds:>9.2f}{rate(seconds):>18,.0f}")
    if not args.no_engine:
        print(f"bucketed engine frame identical to the full build: {bucketed.equals(full)}")
    print(f"ratio, same {n} curve features: gridaudit / pandas = {t_pandas / t_ours:.1f}x")
    print(
        f"ratio, full build ({full.shape[1]} columns) / pandas ({n} curve features) = {t_pandas / t_full:.2f}x"
    )
    print(f"load average {os.getloadavg()[0]:.2f} at end")
    if args.profile:
        print(profile(gridaudit_curve_features, readings, customers, args.as_of))


if __name__ == "__main__":
    main()
