"""Build the customer features bucket by bucket: in this process, in a process pool, or on Dask.

The warehouse stores every per-customer table partitioned by customer bucket, so the feature
build is a map over buckets followed by one small reduction (``features/groups.py``):

- pass 0, here: the small shared tables are read whole -- the population (id, area, tariff
  category, connection date of every customer), the tables without a customer bucket
  (inspections, area line loss) -- and the first and last day of the company's readings, from
  the Parquet statistics, so that every bucket's curve has the same day axis;
- pass 1, on a worker: the worker reads its own bucket from the warehouse (only that bucket's
  rows are read, nothing travels but its number) and runs every family over it with
  ``CustomerFeatureBuilder(...).build_partial``: per-customer features, plus the per-customer
  inputs of group statistics;
- pass 2, here: the partial frames are put in the company's customer order and
  ``finish_customer_features`` computes the group statistics (commercial likeness, area drop
  share) and the peer features over everyone.

Memory: a task's tables are dropped and the memory they used handed back to the system as soon as
its partial frame is built (``release_memory``), so the job holds one task's working set plus the
partial frames (about twice the final frame: the features and the group inputs) -- the partial
frames grow with the customers, nothing else does.

The result equals ``CustomerFeatureBuilder(read_tables(warehouse), config).build(as_of)`` exactly
(same values, columns, dtypes and row order) while one worker holds one bucket at a time. With
Dask, workers must see the warehouse under the same path (a shared disk or mount).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

# ENGINES and EngineError live in cluster.py (shared with ingest and training); still importable here
from .cluster import ENGINES, EngineError, check_engine, dask_client  # noqa: F401
from .config import Config
from .contract import TABLES
from .features.build import CATEGORY_FEATURES, CustomerFeatureBuilder, finish_customer_features
from .features.context import cut_tables
from .features.groups import is_group_input
from .io import WarehouseError, read_table, table_path
from .months import parse_month

log = logging.getLogger(__name__)

BUCKET_PREFIX = "bucket="
# customer columns every bucket needs about everyone: who, where, which tariff, since when
POPULATION_COLUMNS = ("customer_id", *CATEGORY_FEATURES, "connect_date")
# One task builds consecutive buckets holding at most this many customers together: small
# buckets share the fixed cost of a build, and memory stays bounded by this, never by the company.
TASK_CUSTOMERS = 5_000


# ---------------------------------------------------------------- pass 0: what every bucket shares
def bucket_numbers(warehouse: str | Path, table: str = "customers") -> list[int]:
    """Buckets present for a table, from its ``bucket=NN`` folders (empty when not bucketed)."""
    path = table_path(warehouse, table)
    if not path.exists():
        raise WarehouseError(
            f"the warehouse {warehouse} has no '{table}' table; run 'gridaudit ingest' first"
        )
    return sorted(
        int(part.name[len(BUCKET_PREFIX) :])
        for part in path.iterdir()
        if part.is_dir() and part.name.startswith(BUCKET_PREFIX)
    )


def bucket_sizes(warehouse: str | Path, buckets: list[int]) -> dict[int, int]:
    """Customers per bucket, from the Parquet footers (no data read)."""
    path = table_path(warehouse, "customers")
    return {
        b: sum(pq.read_metadata(f).num_rows for f in (path / f"{BUCKET_PREFIX}{b:02d}").glob("*.parquet"))
        for b in buckets
    }


def bucket_batches(sizes: dict[int, int], task_customers: int, min_tasks: int = 1) -> list[list[int]]:
    """Consecutive buckets grouped into tasks of at most ``task_customers`` customers.

    ``min_tasks`` lowers the limit so that a pool of that many workers has a task each; a
    bucket larger than the limit is a task on its own.
    """
    total = sum(sizes.values())
    limit = max(1, min(task_customers, -(-total // max(min_tasks, 1))))
    batches: list[list[int]] = []
    held = 0
    for bucket, size in sizes.items():
        if batches and held + size <= limit:
            batches[-1].append(bucket)
            held += size
        else:
            batches.append([bucket])
            held = size
    return batches


def is_bucketed(warehouse: str | Path, table: str) -> bool:
    path = table_path(warehouse, table)
    return path.exists() and any(p.name.startswith(BUCKET_PREFIX) for p in path.iterdir())


def readings_span(warehouse: str | Path) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """First and last day of all readings, from the Parquet column statistics (no data read).

    A file without statistics has its date column read instead. None when there are no readings.
    """
    path = table_path(warehouse, "readings")
    if not path.exists():
        return None
    first: pd.Timestamp | None = None
    last: pd.Timestamp | None = None
    for file in sorted(path.rglob("*.parquet")):
        meta = pq.read_metadata(file)
        names = [meta.schema.column(i).name for i in range(meta.num_columns)]
        bounds = []
        for group in range(meta.num_row_groups):
            if meta.row_group(group).num_rows == 0:
                continue
            stats = meta.row_group(group).column(names.index("date")).statistics
            if stats is None or not stats.has_min_max:
                dates = pd.to_datetime(pd.read_parquet(file, columns=["date"])["date"]).dropna()
                bounds = [(dates.min(), dates.max())] if len(dates) else []
                break
            bounds.append((pd.Timestamp(stats.min), pd.Timestamp(stats.max)))
        for low, high in bounds:
            first = low if first is None else min(first, low)
            last = high if last is None else max(last, high)
    if first is None:
        return None
    return first.normalize(), last.normalize()


def shared_tables(warehouse: str | Path) -> dict[str, pd.DataFrame]:
    """The tables every bucket gets whole: those without customer buckets, and the population."""
    shared: dict[str, pd.DataFrame] = {}
    for name in TABLES:
        if name == "customers" or not table_path(warehouse, name).exists() or is_bucketed(warehouse, name):
            continue
        shared[name] = read_table(warehouse, name)
    customers = read_table(warehouse, "customers")  # sorted by customer_id, as read_tables gives it
    shared["population"] = customers[[c for c in POPULATION_COLUMNS if c in customers.columns]]
    return shared


# ---------------------------------------------------------------- memory between tasks
def _libc_malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None on a C library without it (macOS, musl, Windows)."""
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None


_MALLOC_TRIM = _libc_malloc_trim()


def release_memory() -> None:
    """Hand the memory of freed tables back to the system.

    A task reads and pivots a few hundred MB and frees them when it returns; both allocators
    involved (glibc's for numpy/pandas, mimalloc or jemalloc for Arrow) keep freed pages for
    reuse, and the fragments left between the partial frames that stay alive made the job's
    resident memory grow by a task's working set every few tasks. Costs a few milliseconds.
    """
    gc.collect()
    pa.default_memory_pool().release_unused()
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


# ---------------------------------------------------------------- pass 1: one bucket, on a worker
def bucket_tables(
    warehouse: str | Path, buckets: list[int], shared: dict[str, pd.DataFrame]
) -> dict[str, pd.DataFrame]:
    """Every table as some buckets see it: their own rows of bucketed tables, shared tables whole."""
    tables: dict[str, pd.DataFrame] = {}
    for name in TABLES:
        if name in shared:
            tables[name] = shared[name]
            continue
        frame = read_table(warehouse, name, buckets=buckets, missing_ok=True)
        if frame is not None:
            tables[name] = frame
    return tables


def build_bucket_partial(
    warehouse: str | Path,
    buckets: list[int],
    as_of: str,
    config: Config,
    shared: dict[str, pd.DataFrame],
    span: tuple[pd.Timestamp, pd.Timestamp] | None,
) -> pd.DataFrame:
    """Pass 1 for some buckets: per-customer features and group inputs of their customers."""
    started = time.perf_counter()
    tables = bucket_tables(warehouse, buckets, {k: v for k, v in shared.items() if k != "population"})
    builder = CustomerFeatureBuilder(tables, config, population=shared["population"], curve_span=span)
    del tables
    builder.release_readings()
    release_memory()
    partial = builder.build_partial(as_of)
    del builder
    release_memory()
    log.info("buckets %s: %d customers in %.2f s", buckets, len(partial), time.perf_counter() - started)
    return partial


# process-pool workers keep the shared tables from their initializer, so tasks carry only numbers
_WORKER_SHARED: dict = {}


def _init_process_worker(shared: dict, span, warehouse: str, as_of: str, config: Config) -> None:
    _WORKER_SHARED.update(shared=shared, span=span, warehouse=warehouse, as_of=as_of, config=config)


def _process_task(buckets: list[int]) -> pd.DataFrame:
    s = _WORKER_SHARED
    return build_bucket_partial(s["warehouse"], buckets, s["as_of"], s["config"], s["shared"], s["span"])


def _dask_task(buckets, warehouse, as_of, config, shared, span) -> pd.DataFrame:
    return build_bucket_partial(warehouse, buckets, as_of, config, shared, span)


# ---------------------------------------------------------------- the map over buckets
def _run_local(batches, warehouse, as_of, config, shared, span, workers, scheduler) -> Iterable[pd.DataFrame]:
    for batch in batches:
        yield build_bucket_partial(warehouse, batch, as_of, config, shared, span)


def _run_processes(batches, warehouse, as_of, config, shared, span, workers, scheduler) -> list[pd.DataFrame]:
    # forkserver: workers start from a clean process with gridaudit imported once, never from a
    # fork of this (possibly multi-threaded) one
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["gridaudit.engine"])
    n_workers = max(1, min(workers or os.cpu_count() or 1, len(batches)))
    with ProcessPoolExecutor(
        max_workers=n_workers,
        mp_context=context,
        initializer=_init_process_worker,
        initargs=(shared, span, str(warehouse), as_of, config),
    ) as pool:
        return list(pool.map(_process_task, batches))


def _run_dask(batches, warehouse, as_of, config, shared, span, workers, scheduler) -> list[pd.DataFrame]:
    from dask.distributed import as_completed

    with dask_client(scheduler, workers) as client:
        [shared_future] = client.scatter([shared], broadcast=True)
        futures = client.map(
            _dask_task,
            batches,
            warehouse=str(warehouse),
            as_of=as_of,
            config=config,
            shared=shared_future,
            span=span,
            pure=False,
        )
        done = []
        for future in as_completed(futures):
            done.append(future.result())
            future.release()  # the worker may drop its copy once this one has arrived
        return done


RUNNERS: dict[str, Callable] = {"local": _run_local, "processes": _run_processes, "dask": _run_dask}


def _merged_columns(frames: list[pd.DataFrame]) -> list[str]:
    """Columns of all partial frames in build order (a bucket without bills lacks their columns)."""
    merged: list[str] = []
    for frame in sorted(frames, key=lambda f: -f.shape[1]):
        previous = None
        for column in frame.columns:
            if column not in merged:
                at = 0 if previous is None else merged.index(previous) + 1
                merged.insert(at, column)
            previous = column
    return merged


TRIM_EVERY_COLUMNS = 16


def _as_columns(frame: pd.DataFrame, columns: list[str]) -> dict[str, pd.Series]:
    """``frame``'s ``columns`` as Series that own their memory (missing ones NaN, as ``reindex``
    gives them), so each can be freed on its own; a frame keeps its float columns in one block."""
    if list(frame.columns) != columns:
        frame = frame.reindex(columns=columns)
    return {column: frame[column].copy(deep=True) for column in columns}


def _block_kind(dtypes: set) -> np.dtype | None:
    """The numpy dtype of a column that can go into a 2D block as it is (one numeric or object
    dtype in every partial), else None (categories, mixed dtypes: concatenated by pandas)."""
    if len(dtypes) != 1:
        return None
    dtype = next(iter(dtypes))
    return dtype if isinstance(dtype, np.dtype) and dtype.kind in "fiubO" else None


def _in_customer_order(partials: list[pd.DataFrame], customers: pd.DataFrame) -> pd.DataFrame:
    """The partial frames as one, rows in ``customers`` order; empties ``partials`` as it goes.

    Values and dtypes are those of ``pd.concat(partials)`` put in customer order, but memory
    stays near one copy of the partial data, where the concatenation and the reordering held
    two: each partial is first split into columns that own their memory (one partial's copy at
    a time); then each column is concatenated straight into its row of one 2D block per dtype
    (allocated untouched, so its pages fill as the pieces are freed, and handed to pandas as
    they are), the few others (categories) by pandas one by one.
    """
    from pandas.api.internals import create_dataframe_from_blocks

    partials[:] = [p for p in partials if p.shape[1]]
    if not partials:
        return pd.DataFrame(index=pd.Index([], name="customer_id"), columns=list(CATEGORY_FEATURES))
    columns = _merged_columns(partials)
    index = partials[0].index.append([p.index for p in partials[1:]])
    pieces = []
    while partials:
        pieces.append(_as_columns(partials.pop(0), columns))
    ids = pd.Index(customers["customer_id"].astype(str), name="customer_id")
    rows = np.arange(len(index))
    if not index.equals(ids):
        found = index.get_indexer(ids)
        if not ((found < 0).any() or len(found) != len(index)):
            rows, index = found, ids  # else finish reindexes (customers without a row, extra rows)
    # group inputs in blocks of their own: pass 2 drops them whole, without copying the features
    kinds: dict[tuple[np.dtype, bool], list[int]] = {}
    others = []
    for position, column in enumerate(columns):
        kind = _block_kind({piece[column].dtype for piece in pieces})
        if kind is None:
            others.append(position)
        else:
            kinds.setdefault((kind, is_group_input(column)), []).append(position)
    blocks, done = [], 0
    for (dtype, _), positions in kinds.items():
        block = np.empty((len(positions), len(index)), dtype=dtype)
        for j, position in enumerate(positions):
            done += 1
            if done % TRIM_EVERY_COLUMNS == 0:
                release_memory()  # the freed pieces are small heap blocks: hand their pages back
            whole = np.concatenate([piece.pop(columns[position]).to_numpy() for piece in pieces])
            np.take(whole, rows, out=block[j])
            del whole
        blocks.append((block, np.asarray(positions, dtype=np.intp)))
        del block
    for position in others:
        whole = pd.concat([piece.pop(columns[position]) for piece in pieces], ignore_index=True).take(rows)
        values = whole.array if isinstance(whole.dtype, pd.api.extensions.ExtensionDtype) else None
        if values is None:  # a numpy result of mixed dtypes (e.g. object and all-missing float)
            values = whole.to_numpy()[None, :]
        blocks.append((values, np.array([position], dtype=np.intp)))
        del whole
    frame = create_dataframe_from_blocks(blocks, index=index, columns=pd.Index(columns))
    release_memory()
    return frame


def build_features_bucketed(
    warehouse: str | Path,
    as_of: str | pd.Period,
    config: Config | None = None,
    engine: str = "local",
    scheduler: str | None = None,
    workers: int | None = None,
    *,
    task_customers: int = TASK_CUSTOMERS,
) -> pd.DataFrame:
    """Customer features as of a month, built bucket by bucket; equal to the whole-table build.

    ``engine``: "local" (one task after another in this process), "processes" (a pool of
    ``workers`` processes on this machine) or "dask" (the cluster at ``scheduler``, else a local
    cluster of ``workers`` processes). A task is a run of consecutive buckets with at most
    ``task_customers`` customers (one bucket when buckets are larger); a worker holds one task's
    rows at a time, so memory follows ``task_customers``, not the number of customers.
    """
    check_engine(engine, scheduler)
    config = config or Config()
    month = parse_month(as_of)
    started = time.perf_counter()
    if not Path(warehouse).exists():
        raise WarehouseError(f"the warehouse folder {warehouse} does not exist")
    buckets = bucket_numbers(warehouse)
    parallel = 1 if engine == "local" else 2 * (workers or os.cpu_count() or 1)
    batches = bucket_batches(bucket_sizes(warehouse, buckets), task_customers, min_tasks=parallel)
    shared = shared_tables(warehouse)
    span = readings_span(warehouse)
    log.info(
        "features as of %s: %d buckets in %d tasks on the %s engine",
        month,
        len(buckets),
        len(batches),
        engine,
    )

    partials = list(RUNNERS[engine](batches, warehouse, str(month), config, shared, span, workers, scheduler))
    mapped = time.perf_counter()
    customers = cut_tables({"customers": shared["population"]}, month, config)["customers"]
    partial = _in_customer_order(partials, customers)
    del partials
    frame = finish_customer_features(partial, customers)
    del partial
    log.info(
        "features as of %s: %d customers x %d columns; buckets %.2f s, group pass %.2f s",
        month,
        frame.shape[0],
        frame.shape[1],
        mapped - started,
        time.perf_counter() - mapped,
    )
    return frame
