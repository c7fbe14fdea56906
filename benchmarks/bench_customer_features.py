"""Time one feature build per month for the customer feature frame.

Usage: python benchmarks/bench_customer_features.py [--customers 5000] [--months 24] [--synth]
Without --synth the tables are fabricated (tests/feature_tables.py); with it they come from
gridaudit.synth.generate_tables.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from gridaudit.features import CustomerFeatureBuilder  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--builds", type=int, default=3)
    parser.add_argument("--synth", action="store_true")
    args = parser.parse_args()
    if args.synth:
        from gridaudit.synth import generate_tables

        tables, _truth = generate_tables(customers=args.customers, months=args.months)
    else:
        from feature_tables import fabricate_tables

        tables = fabricate_tables(
            n_customers=args.customers,
            start="2024-01-01",
            n_days=args.months * 30 + 10,
            n_areas=max(args.customers // 40, 1),
            seed=1,
        )
    readings = tables.get("readings")
    last = pd.to_datetime(readings["date"]).max() if readings is not None else pd.Timestamp.today()
    start = time.perf_counter()
    builder = CustomerFeatureBuilder(tables)
    print(f"builder (curve pivot): {time.perf_counter() - start:.2f} s")
    month = last.to_period("M") - 1
    for k in range(args.builds):
        as_of = month - k
        start = time.perf_counter()
        frame = builder.build(as_of)
        print(f"build({as_of}): {time.perf_counter() - start:.2f} s, {frame.shape[0]} x {frame.shape[1]}")


if __name__ == "__main__":
    main()
