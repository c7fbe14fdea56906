"""Reading a few customers' rows from the warehouse, and describing it without reading it.

The monthly job scores everyone from the bucketed feature build, but the list's curves, the
expected recovery and the work orders need the raw rows of a few customers only (the listed, a
sample of their peers, the customers of recent work orders). These functions read those rows
file by file with a Parquet filter on ``customer_id``, so memory holds one file's matching rows
at a time, never a whole table. The rows come back in ``read_table``'s order (sorted by the
table's key), so anything computed per customer from them equals the whole-table result.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from .contract import TABLES
from .io import file_sha256, table_path


def table_files(warehouse: str | Path, table: str) -> list[Path]:
    """The Parquet files of one table, in a stable order (empty when the table is absent)."""
    path = table_path(warehouse, table)
    return sorted(path.rglob("*.parquet")) if path.exists() else []


def read_customer_rows(
    warehouse: str | Path,
    table: str,
    customer_ids: Iterable[str],
    columns: list[str] | None = None,
) -> pd.DataFrame | None:
    """Rows of ``table`` whose customer_id is one of ``customer_ids``; None when the table is absent.

    Each file is read with a filter, so only matching rows are held (row groups whose statistics
    exclude every id are skipped by Arrow). Sorted by the table's key like ``io.read_table``.
    """
    files = table_files(warehouse, table)
    if not table_path(warehouse, table).exists():
        return None
    wanted = sorted({str(c) for c in customer_ids})
    names = TABLES[table].names if table in TABLES else None
    if not files or not wanted:
        return pd.DataFrame(columns=columns or names)
    frames = [pd.read_parquet(f, columns=columns, filters=[("customer_id", "in", wanted)]) for f in files]
    frames = [f for f in frames if len(f)] or frames[:1]
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    key = [k for k in (TABLES[table].key if table in TABLES else ()) if k in frame.columns]
    if key:
        frame = frame.sort_values(key, kind="stable").reset_index(drop=True)
    return frame


def read_customers_tables(
    warehouse: str | Path, customer_ids: Iterable[str], tables: Iterable[str]
) -> dict[str, pd.DataFrame]:
    """Several tables restricted to the same customers (absent tables left out)."""
    ids = sorted({str(c) for c in customer_ids})
    out = {}
    for name in tables:
        frame = read_customer_rows(warehouse, name, ids)
        if frame is not None:
            out[name] = frame
    return out


def warehouse_snapshot(warehouse: str | Path) -> dict:
    """Hash and row counts of the warehouse a run used, from its files alone.

    Row counts come from the Parquet footers; each table's hash is the SHA-256 of its files'
    relative paths and SHA-256 digests, read in 1 MiB blocks, so no table is ever held in
    memory. The same files give the same hash; any rewrite of a table changes it.
    """
    hashes: dict[str, str] = {}
    rows: dict[str, int] = {}
    for name in sorted(TABLES):
        files = table_files(warehouse, name)
        if not table_path(warehouse, name).exists():
            continue
        digest = hashlib.sha256()
        for file in files:
            digest.update(file.relative_to(warehouse).as_posix().encode())
            digest.update(file_sha256(file).encode())
        hashes[name] = digest.hexdigest()
        rows[name] = int(sum(pq.read_metadata(f).num_rows for f in files))
    total = hashlib.sha256("".join(hashes[n] for n in sorted(hashes)).encode()).hexdigest()
    return {"hash": total, "rows": rows, "source": "warehouse files"}
