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
) -> None:
    """Write a synthetic data set in the raw-table format, with known problems planted.

    Customers, daily readings, bills, billing adjustments, work orders, past inspections and
    transformer-area line loss, as a marketing system would export them, for trying gridaudit
    without real data. About 7% of customers carry a planted problem (six kinds of theft, wrong
    multipliers, residential tariff on a business, long zero consumption, repeated refunds);
    which ones is written to the _truth folder, for evaluation only: never ingest it.
    Names, addresses and phone numbers are invented.
    """
    from ..synth import generate_tables, write_dataset

    if fmt not in ("parquet", "csv"):
        fail(f"--format must be parquet or csv, not {fmt!r}")
    config = load_config(config_file)
    seed = config.seed if seed is None else seed
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
