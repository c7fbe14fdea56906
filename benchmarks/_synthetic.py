"""Synthetic warehouses for the benchmarks, cached on disk so each size is generated once.

Up to ``CHUNK`` customers a warehouse is one ``generate_tables`` call. Larger ones are written
chunk by chunk (independent seeds, every ``*_id`` value prefixed with the chunk number), each
chunk appended as one more Parquet file per bucket, so that 1M customers never sit in memory.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from gridaudit.io import bucket_of, write_table
from gridaudit.synth import generate_tables

CACHE = Path("/tmp/gridaudit_bench")
CHUNK = 50_000


def _prefixed(frame: pd.DataFrame, prefix: str) -> pd.DataFrame:
    ids = [c for c in frame.columns if c.endswith("_id") and not pd.api.types.is_numeric_dtype(frame[c])]
    return frame.assign(**{c: prefix + frame[c].astype("str") for c in ids})


def _write_chunked(warehouse: Path, customers: int, months: int, end_month: str, seed: int, n_buckets: int):
    rows: dict[str, int] = {}
    whole: dict[str, list[pd.DataFrame]] = {}
    for chunk, start in enumerate(range(0, customers, CHUNK)):
        size = min(CHUNK, customers - start)
        tables, _truth = generate_tables(
            customers=size, months=months, end_month=end_month, seed=seed + chunk
        )
        for name, frame in tables.items():
            frame = _prefixed(frame, f"G{chunk:03d}-")
            rows[name] = rows.get(name, 0) + len(frame)
            if name in ("inspections", "area_line_loss") or "customer_id" not in frame.columns:
                whole.setdefault(name, []).append(frame)
                continue
            buckets = bucket_of(frame["customer_id"], n_buckets)
            for b in np.unique(buckets):
                folder = warehouse / name / f"bucket={int(b):02d}"
                folder.mkdir(parents=True, exist_ok=True)
                frame.loc[buckets == b].to_parquet(folder / f"part-{chunk:03d}.parquet", index=False)
        del tables
    for name, frames in whole.items():
        write_table(warehouse, name, pd.concat(frames, ignore_index=True), n_buckets=n_buckets)
    return rows


def synthetic_warehouse(
    customers: int, months: int = 13, end_month: str = "2025-12", seed: int = 7, n_buckets: int = 16
) -> Path:
    """Path of a warehouse with ``customers`` x ``months`` of synthetic data (generated if absent)."""
    warehouse = CACHE / f"wh_{customers}_{months}m_{end_month}_s{seed}_b{n_buckets}"
    done = warehouse / "_bench.json"
    if done.exists():
        return warehouse
    started = time.perf_counter()
    if customers > CHUNK:
        rows = _write_chunked(warehouse, customers, months, end_month, seed, n_buckets)
    else:
        tables, _truth = generate_tables(customers=customers, months=months, end_month=end_month, seed=seed)
        for name, frame in tables.items():
            write_table(warehouse, name, frame, n_buckets=n_buckets)
        rows = {name: len(frame) for name, frame in tables.items()}
    done.write_text(json.dumps({"rows": rows, "seconds": time.perf_counter() - started}))
    return warehouse


def warehouse_rows(warehouse: Path) -> dict[str, int]:
    return json.loads((warehouse / "_bench.json").read_text())["rows"]
