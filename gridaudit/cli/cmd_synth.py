"""CLI command(s): synth."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.table import Table

from ..config import load_config
from ..io import write_json
from .app import app, fail, out


@app.command()
def synth(
    out_dir: Path = typer.Option(
        ..., "--out", "-o", help="Folder the raw tables are written to (created if needed)."
    ),
    customers: int = typer.Option(5000, "--customers", help="Number of customer accounts."),
    months: int = typer.Option(24, "--months", help="Months of history, ending with --end-month."),
    seed: int | None = typer.Option(
        None, "--seed", help="Random seed (default: the config's seed, 7). Same seed, same data."
    ),
    end_month: str = typer.Option("2025-12", "--end-month", help="Last month of the data, written YYYY-MM."),
    fmt: str = typer.Option(
        "parquet", "--format", help="File format of the tables: parquet or csv (UTF-8 with BOM)."
    ),
    config_file: Path | None = typer.Option(
        None, "--config", help="Settings file (default: gridaudit.toml in this folder)."
    ),
    metrics_json: Path | None = typer.Option(
        None, "--metrics-json", help="Also write row counts and timing as JSON to this file."
    ),
    chunk_customers: int = typer.Option(
        20_000,
        "--chunk-customers",
        help="Above this many customers the data set is generated in chunks of at most this size "
        "(independent branches with their own areas and staff; ids start with G000-, G001-, ...) "
        "and written chunk by chunk as Parquet parts per customer bucket, so memory stays about "
        "3 GB at 36 months whatever --customers is. The result is also a warehouse the feature "
        "build reads directly. 0 = always one piece.",
    ),
    buckets: int | None = typer.Option(
        None,
        "--buckets",
        help="Customer buckets of a chunked data set (default: the config's n_buckets, 16). "
        "Keep it equal to the warehouse setting; a bucket's customers are what the feature build holds at once.",
    ),
) -> None:
    """Write a synthetic data set in the raw-table format, with known problems planted.

    Customers, daily readings, bills, billing adjustments, work orders, past inspections and
    transformer-area line loss, as a marketing system would export them, for trying gridaudit
    without real data. About 7% of customers carry a planted problem (six kinds of theft, wrong
    multipliers, residential tariff on a business, long zero consumption, repeated refunds);
    which ones is written to the _truth folder, for evaluation only: never ingest it.
    Names, addresses and phone numbers are invented. A large data set (more customers than
    --chunk-customers) is generated and written chunk by chunk, so it never sits in memory whole.
    """
    from ..synth import generate_tables, write_dataset

    if fmt not in ("parquet", "csv"):
        fail(f"--format must be parquet or csv, not {fmt!r}")
    if chunk_customers < 0:
        fail(f"--chunk-customers must be 0 (one piece) or a number of customers, not {chunk_customers}")
    config = load_config(config_file)
    seed = config.seed if seed is None else seed
    if chunk_customers and customers > chunk_customers:
        if fmt != "parquet":
            fail(
                f"{customers:,} customers are generated in chunks of {chunk_customers:,}, written as "
                f"Parquet parts; use --format parquet, or --chunk-customers 0 to write one CSV per "
                f"table (the whole data set is then held in memory)"
            )
        _synth_chunked(out_dir, customers, months, end_month, seed, chunk_customers,
                       buckets or config.n_buckets, metrics_json)  # fmt: skip
        return
    started = time.perf_counter()
    with out.status("generating synthetic tables ..."):
        tables, truth = generate_tables(customers=customers, months=months, end_month=end_month, seed=seed)
    generated = time.perf_counter() - started
    with out.status(f"writing {fmt} files to {out_dir} ..."):
        write_dataset(out_dir, tables, truth, fmt=fmt)
    seconds = time.perf_counter() - started

    summary = Table(title=f"synthetic data in {out_dir} (seed {seed})")
    summary.add_column("table")
    summary.add_column("rows", justify="right")
    for name, frame in tables.items():
        summary.add_row(name, f"{len(frame):,}")
    out.print(summary)
    problems = int((truth["customers"]["problem"] != "none").sum())
    out.print(
        f"{problems:,} of {customers:,} customers carry a planted problem (truth in {out_dir / '_truth'}, "
        f"for evaluation only); generated in {generated:.1f} s, {seconds:.1f} s with writing",
        highlight=False,
    )
    if metrics_json is not None:
        write_json(
            metrics_json,
            {
                "rows": {name: len(frame) for name, frame in tables.items()},
                "customers_with_problem": problems,
                "seconds_generate": round(generated, 2),
                "seconds_total": round(seconds, 2),
                "seed": seed,
            },
        )


def _synth_chunked(
    out_dir: Path,
    customers: int,
    months: int,
    end_month: str,
    seed: int,
    chunk_customers: int,
    n_buckets: int,
    metrics_json: Path | None,
) -> None:
    """A data set too large for one piece: chunk by chunk, each written as soon as it exists."""
    from ..synth import write_chunked_dataset

    started = time.perf_counter()
    with out.status(
        f"generating {customers:,} customers in chunks of up to {chunk_customers:,} ..."
    ) as status:

        def progress(done: int, total: int) -> None:
            status.update(f"generated and written {done} of {total} chunks to {out_dir} ...")

        summary = write_chunked_dataset(
            out_dir, customers, months=months, end_month=end_month, seed=seed,
            chunk_customers=chunk_customers, n_buckets=n_buckets, progress=progress,
        )  # fmt: skip
    seconds = time.perf_counter() - started

    table = Table(
        title=f"synthetic data in {out_dir} (seed {seed}, {summary.chunks} chunks, {n_buckets} buckets)"
    )
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, rows in summary.rows.items():
        table.add_row(name, f"{rows:,}")
    out.print(table)
    out.print(
        f"{summary.customers_with_problem:,} of {customers:,} customers carry a planted problem (truth in "
        f"{out_dir / '_truth'}, for evaluation only); generated and written in {seconds:.1f} s. "
        f"The folder is also a warehouse: 'gridaudit features --warehouse {out_dir}' reads it as it is.",
        highlight=False,
    )
    if metrics_json is not None:
        write_json(
            metrics_json,
            {**summary.as_dict(), "seconds_total": round(seconds, 2), "seed": seed},
        )
