"""Reading and writing at the edges: the Parquet warehouse and atomic output files.

The warehouse holds one Parquet dataset per contract table, partitioned by customer bucket
(``<warehouse>/<table>/bucket=NN/part-0.parquet``) so that features can be built bucket by
bucket. Tables without a customer (area line loss) are a single file. Every write goes to a
temporary file first and is renamed into place, so an interrupted run never leaves half a file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from .contract import TABLES
from .errors import InputError

MANIFEST = "_manifest.json"
QUARANTINE_DIR = "_quarantine"


class WarehouseError(InputError, FileNotFoundError):
    """The warehouse folder is missing or lacks a table the step needs."""


# ---------------------------------------------------------------- atomic writes
@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename onto ``target`` only on success."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_text(target: str | Path, text: str, encoding: str = "utf-8") -> Path:
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding=encoding)
    return Path(target)


def write_json(target: str | Path, data) -> Path:
    return write_text(target, json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def write_parquet(target: str | Path, frame: pd.DataFrame) -> Path:
    with atomic_path(target) as tmp:
        frame.to_parquet(tmp, index=False)
    return Path(target)


def write_csv(target: str | Path, frame: pd.DataFrame, bom: bool = True) -> Path:
    """CSV in UTF-8 with a BOM by default, so Excel shows Chinese text correctly."""
    with atomic_path(target) as tmp:
        frame.to_csv(tmp, index=False, encoding="utf-8-sig" if bom else "utf-8", lineterminator="\n")
    return Path(target)


def replace_dir(target: str | Path, build) -> Path:
    """Build a folder in a temporary sibling with ``build(path)``, then swap it into place."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        build(tmp)
        old = None
        if target.exists():
            old = target.with_name(f".{target.name}.old")
            if old.exists():
                shutil.rmtree(old)
            os.replace(target, old)
        os.replace(tmp, target)
        if old is not None:
            shutil.rmtree(old)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return target


# ---------------------------------------------------------------- buckets
def bucket_of(customer_ids: pd.Series, n_buckets: int) -> np.ndarray:
    """Stable bucket number per customer (crc32, so it never depends on the process)."""
    codes, ids = pd.factorize(customer_ids.astype(str))  # hash each customer once, not each row
    per_id = np.fromiter(
        (zlib.crc32(s.encode("utf-8")) % n_buckets for s in ids), dtype=np.int16, count=len(ids)
    )
    return per_id[codes]


# ---------------------------------------------------------------- warehouse
def table_path(warehouse: str | Path, table: str) -> Path:
    return Path(warehouse) / table


def has_table(warehouse: str | Path, table: str) -> bool:
    return table_path(warehouse, table).exists()


def write_table(warehouse: str | Path, table: str, frame: pd.DataFrame, n_buckets: int = 16) -> Path:
    """Replace a warehouse table atomically, partitioned by customer bucket where it has one."""
    frame = frame.reset_index(drop=True)

    def build(tmp: Path) -> None:
        key = "customer_id" if "customer_id" in frame.columns else None
        if table == "inspections":
            key = None  # targets are customers or work orders; small table
        if key is None:
            frame.to_parquet(tmp / "part-0.parquet", index=False)
            return
        buckets = bucket_of(frame[key], n_buckets)
        for b in np.unique(buckets):
            part = tmp / f"bucket={int(b):02d}"
            part.mkdir()
            frame.loc[buckets == b].to_parquet(part / "part-0.parquet", index=False)

    return replace_dir(table_path(warehouse, table), build)


def read_table(
    warehouse: str | Path,
    table: str,
    buckets: list[int] | None = None,
    columns: list[str] | None = None,
    missing_ok: bool = False,
) -> pd.DataFrame | None:
    """Read one table (optionally some buckets) in a stable row order."""
    path = table_path(warehouse, table)
    if not path.exists():
        if missing_ok:
            return None
        raise WarehouseError(
            f"the warehouse {Path(warehouse)} has no '{table}' table; run 'gridaudit ingest' "
            f"on the raw tables first"
        )
    files = sorted(path.rglob("*.parquet"))
    if buckets is not None:
        wanted = {f"bucket={b:02d}" for b in buckets}
        files = [f for f in files if f.parent.name in wanted]
    if not files:
        names = TABLES[table].names if table in TABLES else None
        return pd.DataFrame(columns=columns or names)
    frames = [pd.read_parquet(f, columns=columns) for f in files]
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    key = list(TABLES[table].key) if table in TABLES else []
    key = [k for k in key if k in frame.columns]
    if key and not is_sorted_by(frame, key):
        order = run_order(frame, key)
        if order is not None:
            frame = frame.take(order).reset_index(drop=True)
        else:
            frame = frame.sort_values(key, kind="stable").reset_index(drop=True)
    return frame


def _comparable(column: pd.Series):
    """The column as an Arrow or numpy array that compares like ``sort_values`` orders it, or
    None when that is not certain (missing values, objects, categories)."""
    if column.isna().any():
        return None
    if pd.api.types.is_string_dtype(column.dtype) and hasattr(column.array, "__arrow_array__"):
        import pyarrow as pa

        return pa.chunked_array(column.array.__arrow_array__())  # UTF-8 bytes: code-point order
    if pd.api.types.is_datetime64_dtype(column.dtype) or pd.api.types.is_numeric_dtype(column.dtype):
        if isinstance(column.dtype, np.dtype):
            return column.to_numpy()
    return None


def _neighbours(values) -> tuple[np.ndarray, np.ndarray]:
    """For each row but the first: is it less than, and equal to, the row before it."""
    import pyarrow as pa
    import pyarrow.compute as pc

    later, earlier = values[1:], values[:-1]
    if isinstance(values, pa.ChunkedArray):
        return pc.less(later, earlier).to_numpy(), pc.equal(later, earlier).to_numpy()
    return later < earlier, later == earlier


def is_sorted_by(frame: pd.DataFrame, key: list[str], tied: np.ndarray | None = None) -> bool:
    """Whether the rows already stand in ``key`` order, so a stable sort would change nothing.

    Checking neighbours costs a fraction of the sort, which copies every column of millions of
    readings. False whenever the answer is not certain (missing keys, object or category keys):
    the caller then sorts. ``tied``: which neighbours to compare (default all).
    """
    if len(frame) < 2:
        return True
    tied = np.ones(len(frame) - 1, dtype=bool) if tied is None else tied.copy()
    for name in key:  # ``tied``: neighbours equal on the key columns so far
        values = _comparable(frame[name])
        if values is None:
            return False
        less, equal = _neighbours(values)
        if (tied & less).any():
            return False
        tied &= equal
        if not tied.any():
            return True
    return True


def run_order(frame: pd.DataFrame, key: list[str]) -> np.ndarray | None:
    """Row order of a stable sort by ``key`` when the rows come in runs, or None.

    Parts written per customer hold each customer's rows together and in date order, with the
    customers in any order (the synthetic and chunked writers do). Then sorting is ordering the
    runs by their first key, one value per run: a sort of thousands of ids instead of millions of
    rows. None unless every value of the first key forms a single run whose rows are already in
    the order of the rest of the key; the caller then sorts.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    first = _comparable(frame[key[0]])
    if first is None or len(frame) < 2:
        return None
    _, same = _neighbours(first)
    if not is_sorted_by(frame, key[1:], tied=same):
        return None
    starts = np.flatnonzero(np.r_[True, ~same])
    heads = first.take(pa.array(starts)) if isinstance(first, pa.ChunkedArray) else first[starts]
    if isinstance(heads, pa.ChunkedArray):
        if pc.count_distinct(heads).as_py() != len(starts):
            return None
        by_head = pc.sort_indices(heads).to_numpy()
    else:
        if len(np.unique(heads)) != len(starts):
            return None
        by_head = np.argsort(heads, kind="stable")
    lengths = np.diff(np.r_[starts, len(frame)])[by_head]
    # each run's rows in place: its start, then +1 along the run
    shift = np.repeat(starts[by_head] - np.r_[0, np.cumsum(lengths)[:-1]], lengths)
    return np.arange(len(frame)) + shift


def read_tables(warehouse: str | Path, buckets: list[int] | None = None) -> dict[str, pd.DataFrame]:
    """All contract tables present in the warehouse, by name."""
    if not Path(warehouse).exists():
        raise WarehouseError(f"the warehouse folder {warehouse} does not exist")
    out = {}
    for name in TABLES:
        frame = read_table(warehouse, name, buckets=buckets, missing_ok=True)
        if frame is not None:
            out[name] = frame
    if "customers" not in out:
        raise WarehouseError(
            f"the warehouse {warehouse} has no customers table; run 'gridaudit ingest' first"
        )
    return out


def read_manifest(warehouse: str | Path) -> dict:
    path = Path(warehouse) / MANIFEST
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def frame_hash(frame: pd.DataFrame) -> str:
    """Content hash of a frame (row order matters), for data-snapshot records."""
    hashed = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    digest = hashlib.sha256(hashed.tobytes())
    digest.update(",".join(map(str, frame.columns)).encode())
    return digest.hexdigest()


def snapshot(tables: dict[str, pd.DataFrame]) -> dict:
    """Hash and row counts of the data a run used (logged with every model and list)."""
    parts = {name: frame_hash(frame) for name, frame in sorted(tables.items())}
    digest = hashlib.sha256("".join(parts.values()).encode()).hexdigest()
    return {
        "hash": digest,
        "rows": {name: int(len(frame)) for name, frame in sorted(tables.items())},
    }


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
