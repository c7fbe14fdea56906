"""Write a synthetic data set: one file per table, the truth apart in ``_truth/``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..io import write_csv, write_parquet, write_text

TRUTH_DIR = "_truth"
TRUTH_README = """This folder holds the ground truth of a synthetic gridaudit data set: which customers and
work orders carry a planted problem, and when. It is for evaluation only (precision@k against
the truth, checks of the generator). It is not an input table: never ingest it, never train on it.

customers.{ext}: customer_id, problem, problem_start, problem_end (last day in effect; empty =
still going), factor (planted share of energy still metered or billed).
work_orders.{ext}: order_id, problem (none, self_approval, overdue, reversed, multiplier_before_drop).
"""


def write_dataset(
    out_dir: str | Path,
    tables: dict[str, pd.DataFrame],
    truth: dict[str, pd.DataFrame],
    fmt: str = "parquet",
) -> dict[str, Path]:
    """Write ``<out_dir>/<table>.<fmt>`` per table and ``<out_dir>/_truth/``; returns the paths
    by name (truth files as ``_truth/customers`` and ``_truth/work_orders``)."""
    if fmt not in ("parquet", "csv"):
        raise ValueError(f"format must be parquet or csv, got {fmt!r}")
    out = Path(out_dir)
    writer = write_parquet if fmt == "parquet" else write_csv
    paths = {name: writer(out / f"{name}.{fmt}", frame) for name, frame in tables.items()}
    for name, frame in truth.items():
        paths[f"{TRUTH_DIR}/{name}"] = writer(out / TRUTH_DIR / f"{name}.{fmt}", frame)
    paths[f"{TRUTH_DIR}/README"] = write_text(out / TRUTH_DIR / "README.txt", TRUTH_README.format(ext=fmt))
    return paths
