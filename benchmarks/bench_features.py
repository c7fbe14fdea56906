"""Feature build throughput in customer-days per second: gridaudit against plain pandas, same run.

The baseline is what one writes first with pandas: filter the long readings table to each window
and ``groupby("customer_id")``. It computes six curve features -- mean daily kWh over 1, 3 and
12 months, the share of zero days in 90 days, and the 1- and 3-month drop ratios against the
median of the 12 monthly means before -- with the same rules as gridaudit (windows of 30-day
blocks ending on the as-of day, a block needs 7 collected days). gridaudit computes the same six
from its dense customers x days matrix, and checks that the values agree; then it builds the full
customer feature set (every family) for comparison.

Usage:  python benchmarks/bench_features.py [--customers 5000] [--months 13] [--as-of 2025-11]
        (synthetic data is generated once and cached under /tmp/gridaudit_bench)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _synthetic import synthetic_warehouse  # noqa: E402

from gridaudit.config import Config  # noqa: E402
from gridaudit.engine import build_features_bucketed  # noqa: E402
from gridaudit.features import CurveMatrix, CustomerFeatureBuilder  # noqa: E402
from gridaudit.features._windows import BLOCK_DAYS, block_means, nan_mean, nan_median, safe_ratio  # noqa: E402
from gridaudit.io import read_tables  # noqa: E402
from gridaudit.months import month_end  # noqa: E402

MIN_DAYS = 7
SUBSET = [
    "kwh_mean_1m",
    "kwh_mean_3m",
    "kwh_mean_12m",
    "zero_day_share_90d",
    "kwh_drop_ratio_1m_vs_12m",
    "kwh_drop_ratio_3m_vs_12m",
]


def pandas_subset(readings: pd.DataFrame, customer_ids: pd.Index, end: pd.Timestamp) -> pd.DataFrame:
    """The six features with boolean filters and groupby on the long table (the baseline)."""
    age = (end - pd.to_datetime(readings["date"]).dt.normalize()).dt.days
    r = pd.DataFrame({"customer_id": readings["customer_id"], "age": age, "kwh": readings["kwh"]})
    r = r[r["age"] >= 0]
    out = pd.DataFrame(index=customer_ids)

    def window(lo: int, hi: int) -> pd.DataFrame:
        return r[(r["age"] >= lo) & (r["age"] < hi)]

    for months in (1, 3, 12):
        out[f"kwh_mean_{months}m"] = window(0, months * BLOCK_DAYS).groupby("customer_id")["kwh"].mean()
    recent = window(0, 90).dropna(subset=["kwh"])
    zero = (recent["kwh"] == 0).groupby(recent["customer_id"]).agg(["mean", "count"])
    out["zero_day_share_90d"] = zero["mean"].where(zero["count"] >= MIN_DAYS)
    for months in (1, 3):
        days = months * BLOCK_DAYS
        now = window(0, days).groupby("customer_id")["kwh"].agg(["mean", "count"])
        now = now["mean"].where(now["count"] >= MIN_DAYS).reindex(customer_ids)
        past = window(days, days + 12 * BLOCK_DAYS)
        block = (past["age"] - days) // BLOCK_DAYS
        blocks = past.groupby([past["customer_id"], block])["kwh"].agg(["mean", "count"])
        history = blocks["mean"].where(blocks["count"] >= MIN_DAYS).groupby(level=0).median()
        history = history.reindex(customer_ids)
        out[f"kwh_drop_ratio_{months}m_vs_12m"] = 1.0 - (now / history).where(history > 0)
    return out[SUBSET]


def gridaudit_subset(readings: pd.DataFrame, customer_ids: pd.Index, end: pd.Timestamp) -> pd.DataFrame:
    """The same six features from gridaudit's dense matrix (pivot included in the time)."""
    curve = CurveMatrix.from_readings(readings, customer_ids).until(end)
    out = {f"kwh_mean_{m}m": nan_mean(curve.last_days(m * BLOCK_DAYS, end)) for m in (1, 3, 12)}
    recent = curve.last_days(90, end)
    collected = (~np.isnan(recent)).sum(axis=1)
    out["zero_day_share_90d"] = np.where(
        collected >= MIN_DAYS, (recent == 0).sum(axis=1) / np.maximum(collected, 1), np.nan
    )
    for months in (1, 3):
        now = nan_mean(curve.last_days(months * BLOCK_DAYS, end), min_count=MIN_DAYS)
        history_end = end - pd.Timedelta(days=months * BLOCK_DAYS)
        history = nan_median(block_means(curve, history_end, 12, min_days=MIN_DAYS), axis=1)
        out[f"kwh_drop_ratio_{months}m_vs_12m"] = 1.0 - safe_ratio(now, history)
    return pd.DataFrame(out, index=customer_ids)[SUBSET]


def timed(function, *args):
    started = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--months", type=int, default=13)
    parser.add_argument("--as-of", default="2025-11")
    args = parser.parse_args()

    warehouse = synthetic_warehouse(args.customers, args.months)
    tables = read_tables(warehouse)
    readings = tables["readings"]
    ids = pd.Index(tables["customers"]["customer_id"].astype(str), name="customer_id")
    end = month_end(args.as_of)
    n_days = (end - pd.to_datetime(readings["date"]).min().normalize()).days + 1
    customer_days = len(ids) * n_days
    print(
        f"data: {len(ids)} customers x {n_days} days = {customer_days:,} customer-days "
        f"({len(readings):,} reading rows), as of {args.as_of}"
    )

    baseline, t_pandas = timed(pandas_subset, readings, ids, end)
    subset, t_subset = timed(gridaudit_subset, readings, ids, end)
    equal = np.allclose(subset.to_numpy(), baseline.to_numpy(), rtol=1e-9, atol=1e-12, equal_nan=True)
    worst = np.nanmax(np.abs(subset.to_numpy() - baseline.to_numpy()))
    full, t_full = timed(lambda: CustomerFeatureBuilder(tables, Config()).build(args.as_of))
    check = np.allclose(full[SUBSET].to_numpy(), baseline.to_numpy(), rtol=1e-9, atol=1e-12, equal_nan=True)
    bucketed, t_bucketed = timed(lambda: build_features_bucketed(warehouse, args.as_of, Config()))

    def rate(seconds: float) -> float:
        return customer_days / seconds

    rows = [
        ("pandas groupby, 6 features", 6, t_pandas),
        ("gridaudit matrix, same 6 features", 6, t_subset),
        (f"gridaudit full build, {full.shape[1]} columns", full.shape[1], t_full),
        (
            f"gridaudit bucketed engine (local, reads included), {bucketed.shape[1]} columns",
            bucketed.shape[1],
            t_bucketed,
        ),
    ]
    print(f"{'implementation':<72}{'seconds':>9}{'customer-days/s':>18}")
    for label, _n, seconds in rows:
        print(f"{label:<72}{seconds:>9.2f}{rate(seconds):>18,.0f}")
    print(
        f"values of the 6 features equal to pandas (rtol 1e-9, atol 1e-12): matrix {equal}, "
        f"full build {check}; largest difference {worst:.1e}"
    )
    print(f"bucketed engine frame identical to the full build: {bucketed.equals(full)}")
    print(f"ratio, same 6 features: gridaudit / pandas = {rate(t_subset) / rate(t_pandas):.1f}x")
    print(
        f"ratio, full build ({full.shape[1]} columns) / pandas (6 features) = {rate(t_full) / rate(t_pandas):.2f}x; "
        f"per feature column: {(rate(t_full) * full.shape[1]) / (rate(t_pandas) * 6):.1f}x"
    )


if __name__ == "__main__":
    main()
