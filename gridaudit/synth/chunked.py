"""Write a large synthetic data set chunk by chunk, so memory follows the chunk, not the company.

``generate_tables`` holds every customer's days as dense matrices (about 150 MB per 1,000
customers over 36 months), so a company-sized data set is generated as independent *chunks*:
each chunk is one ``generate_tables`` call with its own seed, like a separate supply branch
with its own customers, transformer areas, staff and work orders. Every string ``*_id`` value
of a chunk is prefixed with ``G<chunk>-`` so that ids never collide between chunks.

Each chunk is written as soon as it is generated, one more Parquet part per table and customer
bucket, and dropped before the next one starts:

    <out>/<table>/bucket=NN/part-CCC.parquet     tables with a customer_id
    <out>/<table>/part-CCC.parquet               inspections, area_line_loss
    <out>/_truth/<customers|work_orders>/part-CCC.parquet, _truth/README.txt
    <out>/_synth.json                            sizes, seed, chunks, buckets and row counts

That layout is both a warehouse (``io.read_table`` and the bucketed feature engine read it as
it is) and a raw folder ``gridaudit ingest`` accepts (a folder of parts per table). The whole
tree is built in a temporary sibling folder and moved into place at the end, so an interrupted
run never leaves a partial data set behind.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..io import bucket_of
from .generate import SynthError, generate_tables
from .write import TRUTH_DIR, TRUTH_README

log = logging.getLogger(__name__)

# About 3 GB of peak memory per chunk at 36 months of daily readings (~150 MB per 1,000 customers)
CHUNK_CUSTOMERS = 20_000
MIN_CHUNK_CUSTOMERS = 10  # generate_tables' own minimum
SUMMARY_FILE = "_synth.json"
# tables without a customer bucket: inspections target customers *or* work orders
UNBUCKETED = ("inspections",)
CHUNKED_TRUTH_NOTE = """
This data set was generated in chunks: each truth table is a folder of Parquet parts
(customers/part-000.parquet, ...), one per chunk; read a folder whole with pandas.read_parquet.
"""


@dataclass
class ChunkedSummary:
    """What a chunked run wrote: rows per table, planted problems, and how it was split."""

    rows: dict[str, int] = field(default_factory=dict)
    customers_with_problem: int = 0
    chunks: int = 0
    n_buckets: int = 0

    def as_dict(self) -> dict:
        return {
            "rows": dict(self.rows),
            "customers_with_problem": self.customers_with_problem,
            "chunks": self.chunks,
            "n_buckets": self.n_buckets,
        }


def chunk_sizes(customers: int, chunk_customers: int) -> list[int]:
    """Customers per chunk: as few chunks as ``chunk_customers`` allows, sizes as even as can be.

    Even sizes (50,000 in chunks of 20,000 -> 16,667 + 16,667 + 16,666) avoid a tiny last chunk
    that the generator would refuse.
    """
    if chunk_customers < MIN_CHUNK_CUSTOMERS:
        raise SynthError(
            f"--chunk-customers must be at least {MIN_CHUNK_CUSTOMERS} (or 0 for one piece); "
            f"it was {chunk_customers}"
        )
    n_chunks = -(-customers // chunk_customers)
    base, extra = divmod(customers, n_chunks)
    return [base + 1] * extra + [base] * (n_chunks - extra)


def chunk_seed(seed: int, chunk: int) -> int:
    """Independent seed of one chunk, derived from the data set's seed (same seed, same chunks)."""
    return int(np.random.SeedSequence([seed, chunk]).generate_state(1, dtype=np.uint32)[0])


def chunk_prefix(chunk: int) -> str:
    return f"G{chunk:03d}-"


def prefix_ids(frame: pd.DataFrame, prefix: str) -> pd.DataFrame:
    """A copy with ``prefix`` put before every string ``*_id`` value (missing values stay missing)."""
    ids = [c for c in frame.columns if c.endswith("_id") and not pd.api.types.is_numeric_dtype(frame[c])]
    return frame.assign(**{c: prefix + frame[c].astype("str") for c in ids})


def _write_parts(folder: Path, name: str, frame: pd.DataFrame, chunk: int, n_buckets: int | None) -> None:
    """One chunk of one table: a part per customer bucket, or one part when it has no bucket
    (``n_buckets`` None: never bucketed)."""
    part = f"part-{chunk:03d}.parquet"
    table_dir = folder / name
    if n_buckets is None or "customer_id" not in frame.columns or name in UNBUCKETED:
        table_dir.mkdir(parents=True, exist_ok=True)
        frame.to_parquet(table_dir / part, index=False)
        return
    buckets = bucket_of(frame["customer_id"], n_buckets)
    for bucket in np.unique(buckets):
        bucket_dir = table_dir / f"bucket={int(bucket):02d}"
        bucket_dir.mkdir(parents=True, exist_ok=True)
        frame.loc[buckets == bucket].to_parquet(bucket_dir / part, index=False)


def _write_chunk(
    folder: Path, chunk: int, size: int, months: int, end_month: str, seed: int, n_buckets: int
) -> tuple[dict[str, int], int]:
    """Generate and write one chunk; its frames are freed when this returns."""
    tables, truth = generate_tables(
        customers=size, months=months, end_month=end_month, seed=chunk_seed(seed, chunk)
    )
    prefix = chunk_prefix(chunk)
    rows = {}
    for name, frame in tables.items():
        _write_parts(folder, name, prefix_ids(frame, prefix), chunk, n_buckets)
        rows[name] = len(frame)
    for name, frame in truth.items():
        _write_parts(folder / TRUTH_DIR, name, prefix_ids(frame, prefix), chunk, n_buckets=None)
    problems = int((truth["customers"]["problem"] != "none").sum())
    return rows, problems


def _move_into(tmp: Path, out: Path, tables: list[str]) -> None:
    """Put what ``tmp`` holds in ``out``, replacing same-named entries and flat files of the
    same tables (``readings.parquet`` beside ``readings/`` would be two sources to ingest)."""
    out.mkdir(parents=True, exist_ok=True)
    for name in tables:
        for stale in (out / f"{name}.parquet", out / f"{name}.csv"):
            stale.unlink(missing_ok=True)
    for entry in sorted(tmp.iterdir()):
        target = out / entry.name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        os.replace(entry, target)


def write_chunked_dataset(
    out_dir: str | Path,
    customers: int,
    months: int = 24,
    end_month: str = "2025-12",
    seed: int = 7,
    chunk_customers: int = CHUNK_CUSTOMERS,
    n_buckets: int = 16,
    progress: Callable[[int, int], None] | None = None,
) -> ChunkedSummary:
    """Generate ``customers`` in chunks of at most ``chunk_customers`` and write them bucket by bucket.

    Peak memory is that of one chunk (plus one bucket of it while writing), whatever
    ``customers`` is. ``n_buckets`` should match the warehouse setting (``Config.n_buckets``)
    of later steps. ``progress(done, total)`` is called after each chunk. The same arguments
    always give the same files' content.
    """
    if n_buckets < 1:
        raise SynthError(f"--buckets must be at least 1; it was {n_buckets}")
    if customers < MIN_CHUNK_CUSTOMERS:
        raise SynthError(
            f"a synthetic data set needs at least {MIN_CHUNK_CUSTOMERS} customers; --customers was {customers}"
        )
    sizes = chunk_sizes(customers, chunk_customers)
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    summary = ChunkedSummary(chunks=len(sizes), n_buckets=n_buckets)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for chunk, size in enumerate(sizes):
            rows, problems = _write_chunk(tmp, chunk, size, months, end_month, seed, n_buckets)
            for name, count in rows.items():
                summary.rows[name] = summary.rows.get(name, 0) + count
            summary.customers_with_problem += problems
            log.info("synthetic chunk %d of %d: %d customers written", chunk + 1, len(sizes), size)
            if progress is not None:
                progress(chunk + 1, len(sizes))
        readme = TRUTH_README.format(ext="parquet") + CHUNKED_TRUTH_NOTE
        (tmp / TRUTH_DIR / "README.txt").write_text(readme, encoding="utf-8")
        record = {
            "customers": customers,
            "months": months,
            "end_month": end_month,
            "seed": seed,
            "chunk_customers": chunk_customers,
            **summary.as_dict(),
        }
        (tmp / SUMMARY_FILE).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        _move_into(tmp, out, list(summary.rows))
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return summary
