"""Peak memory of the bucketed feature build as the company grows, customers per bucket held fixed.

For each size (default 50,000, 100,000 and 200,000 customers x 36 months of daily readings) the
synthetic warehouse is generated once by the product's chunked generator (cached under
/tmp/gridaudit_bench, with ``--bucket-customers`` customers per bucket), then
``gridaudit.engine.build_features_bucketed`` (local engine: one bucket task after another in one
process) runs in a fresh subprocess that reports its wall time and peak RSS (``ru_maxrss``).
The generator's own peak RSS is that of the subprocess that wrote the warehouse.

What should hold (issue 3): the build's peak stays under 4 GB at 200,000 x 36 months and is about
flat across sizes -- bounded by one bucket, not by the company -- apart from what grows with
the number of customers by nature: the output frame (customers x feature columns) and the small
tables every bucket shares (population, inspections, area line loss).

Usage:  python benchmarks/bench_memory.py [--sizes 50000,100000,200000] [--months 36]
        python benchmarks/bench_memory.py --sizes 5000,10000 --months 6      # a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _synthetic import CACHE, synthetic_warehouse, warehouse_path, warehouse_record  # noqa: E402

# measured on 50,000 x 36 months: 189 MB, ~105 bytes per customer-month; twice that for margin
DISK_BYTES_PER_CUSTOMER_MONTH = 210
MEMORY_TARGET_MB = 4 * 1024


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


# ----------------------------------------------------------------------------- subprocess work
def _generate(customers: int, months: int, n_buckets: int) -> None:
    """Worker: generate the warehouse (if not cached) and print its record as JSON."""
    cached = warehouse_path(customers, months, n_buckets=n_buckets).joinpath("_bench.json").exists()
    warehouse = synthetic_warehouse(customers, months, n_buckets=n_buckets)
    print(json.dumps({"warehouse": str(warehouse), "cached": cached, **warehouse_record(warehouse)}))


def _build(warehouse: str, as_of: str) -> None:
    """Worker: the bucketed feature build on the local engine; prints time and peak RSS as JSON."""
    from gridaudit.config import Config
    from gridaudit.engine import bucket_numbers, build_features_bucketed, readings_span

    before = _peak_mb()  # interpreter + pandas/numpy/pyarrow/gridaudit imported
    started = time.perf_counter()
    frame = build_features_bucketed(warehouse, as_of, Config(), engine="local")
    seconds = time.perf_counter() - started
    first, last = readings_span(warehouse)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_rss_mb": _peak_mb(),
                "imports_rss_mb": before,
                "customers": int(frame.shape[0]),
                "columns": int(frame.shape[1]),
                "frame_mb": float(frame.memory_usage(deep=True).sum()) / 2**20,
                "days": int((last - first).days) + 1,
                "buckets": len(bucket_numbers(warehouse)),
            }
        )
    )


def _run_worker(*args: str) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--worker", *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"worker {args} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------- the benchmark
def _available_mb() -> float:
    with open("/proc/meminfo", encoding="ascii") as fh:
        info = dict(line.split(":", 1) for line in fh)
    return int(info["MemAvailable"].split()[0]) / 1024


def _load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="50000,100000,200000", help="customers, comma-separated")
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--as-of", default="2025-12")
    parser.add_argument(
        "--bucket-customers",
        type=int,
        default=5000,
        help="customers per bucket (n_buckets = customers / this); 0 = keep 16 buckets at every size",
    )
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, *rest = args.worker
        if kind == "generate":
            _generate(int(rest[0]), int(rest[1]), int(rest[2]))
        else:
            _build(rest[0], rest[1])
        return 0

    sizes = sorted(int(s) for s in args.sizes.split(","))
    CACHE.mkdir(parents=True, exist_ok=True)
    free_gb = shutil.disk_usage(CACHE).free / 2**30
    need_gb = sum(n * args.months * DISK_BYTES_PER_CUSTOMER_MONTH for n in sizes) / 2**30
    print(
        f"bench_memory: sizes {sizes} x {args.months} months, features as of {args.as_of}, local engine; "
        f"disk free {free_gb:.0f} GB (need up to ~{need_gb:.0f} GB uncached), "
        f"memory available {_available_mb() / 1024:.1f} GB; {_load()}"
    )
    if need_gb > free_gb:
        print("not enough free disk for these sizes; pass smaller --sizes")
        return 1
    results = []
    for customers in sizes:
        n_buckets = max(1, -(-customers // args.bucket_customers)) if args.bucket_customers else 16
        gen = _run_worker("generate", str(customers), str(args.months), str(n_buckets))
        build = _run_worker("build", gen["warehouse"], args.as_of)
        customer_days = build["customers"] * build["days"]
        row = {
            "customers": customers,
            "buckets": n_buckets,
            "readings": gen["rows"]["readings"],
            "generate_seconds": gen["seconds"],
            "generate_peak_rss_mb": gen.get("peak_rss_mb"),
            "generate_cached": gen["cached"],
            **{f"build_{k}": v for k, v in build.items()},
            "customer_days": customer_days,
            "customer_days_per_s": customer_days / build["seconds"],
            "load": _load(),
        }
        results.append(row)
        print(
            f"{customers:>8,} customers ({n_buckets} buckets, {row['readings']:,} readings): "
            f"generate {gen['seconds']:.0f} s{' (cached)' if gen['cached'] else ''}, "
            f"peak {row['generate_peak_rss_mb'] or float('nan'):,.0f} MB | "
            f"features {build['seconds']:.0f} s, {row['customer_days_per_s']:,.0f} customer-days/s, "
            f"peak {build['peak_rss_mb']:,.0f} MB (imports {build['imports_rss_mb']:,.0f} MB, "
            f"output frame {build['frame_mb']:,.0f} MB, {build['columns']} columns); {row['load']}",
            flush=True,
        )

    base = results[0]
    print(f"\n{'customers':>10}{'buckets':>9}{'build s':>9}{'cust-days/s':>13}{'build peak MB':>15}"
          f"{'x base':>8}{'peak-frame MB':>15}{'x base':>8}{'gen peak MB':>13}{'x base':>8}")  # fmt: skip
    for row in results:
        net = row["build_peak_rss_mb"] - row["build_frame_mb"]
        base_net = base["build_peak_rss_mb"] - base["build_frame_mb"]
        gen_ratio = (row["generate_peak_rss_mb"] or 0) / (base["generate_peak_rss_mb"] or float("nan"))
        print(
            f"{row['customers']:>10,}{row['buckets']:>9}{row['build_seconds']:>9.0f}"
            f"{row['customer_days_per_s']:>13,.0f}{row['build_peak_rss_mb']:>15,.0f}"
            f"{row['build_peak_rss_mb'] / base['build_peak_rss_mb']:>8.2f}{net:>15,.0f}{net / base_net:>8.2f}"
            f"{row['generate_peak_rss_mb'] or float('nan'):>13,.0f}{gen_ratio:>8.2f}"
        )
    largest = results[-1]
    verdict = "under" if largest["build_peak_rss_mb"] < MEMORY_TARGET_MB else "OVER"
    print(
        f"\n{largest['customers']:,} customers x {args.months} months: feature build peak "
        f"{largest['build_peak_rss_mb'] / 1024:.2f} GB, {verdict} the 4 GB target; customers grew "
        f"{largest['customers'] / base['customers']:.0f}x, build peak "
        f"{largest['build_peak_rss_mb'] / base['build_peak_rss_mb']:.2f}x."
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
