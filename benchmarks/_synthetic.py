"""Synthetic warehouses for the benchmarks, cached on disk so each size is generated once.

Up to ``CHUNK`` customers a warehouse is one ``generate_tables`` call written with
``write_table``. Larger ones are written by the product's chunked generator
(``gridaudit.synth.write_chunked_dataset``, what ``gridaudit synth`` does above
``--chunk-customers``): independent chunks with prefixed ids, one Parquet part per bucket per
chunk, so that 1M customers never sit in memory. ``_bench.json`` beside the tables records the
row counts, the seconds and the generating process's peak RSS.
"""

from __future__ import annotations

import json
import resource
import time
from pathlib import Path

from gridaudit.io import write_table
from gridaudit.synth import CHUNK_CUSTOMERS, generate_tables, write_chunked_dataset

CACHE = Path("/tmp/gridaudit_bench")
CHUNK = CHUNK_CUSTOMERS


def warehouse_path(
    customers: int, months: int = 13, end_month: str = "2025-12", seed: int = 7, n_buckets: int = 16
) -> Path:
    """Where the cached warehouse of these arguments lives."""
    return CACHE / f"wh_{customers}_{months}m_{end_month}_s{seed}_b{n_buckets}"


def synthetic_warehouse(
    customers: int, months: int = 13, end_month: str = "2025-12", seed: int = 7, n_buckets: int = 16
) -> Path:
    """Path of a warehouse with ``customers`` x ``months`` of synthetic data (generated if absent)."""
    warehouse = warehouse_path(customers, months, end_month, seed, n_buckets)
    done = warehouse / "_bench.json"
    if done.exists():
        return warehouse
    started = time.perf_counter()
    if customers > CHUNK:
        summary = write_chunked_dataset(
            warehouse, customers, months=months, end_month=end_month, seed=seed,
            chunk_customers=CHUNK, n_buckets=n_buckets,
        )  # fmt: skip
        rows = summary.rows
    else:
        tables, _truth = generate_tables(customers=customers, months=months, end_month=end_month, seed=seed)
        for name, frame in tables.items():
            write_table(warehouse, name, frame, n_buckets=n_buckets)
        rows = {name: len(frame) for name, frame in tables.items()}
    record = {
        "rows": rows,
        "seconds": time.perf_counter() - started,
        # peak of the process that generated it: the generator's own peak when run in a fresh one
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    done.write_text(json.dumps(record))
    return warehouse


def warehouse_record(warehouse: Path) -> dict:
    return json.loads((warehouse / "_bench.json").read_text())


def warehouse_rows(warehouse: Path) -> dict[str, int]:
    return warehouse_record(warehouse)["rows"]
