"""CLI command(s): ingest."""

from __future__ import annotations

from pathlib import Path

import typer

from ..config import load_config
from ..io import write_json
from .app import app, out


@app.command()
def ingest(
    raw_dir: Path = typer.Argument(
        ...,
        help="Folder with one export per table, named after the table: customers.csv, "
        "readings.parquet, bills.xlsx, or a folder of parts such as readings/.",
    ),
    warehouse: Path = typer.Option(
        ..., "--warehouse", "-w", help="Warehouse folder the checked tables are written to."
    ),
    append: bool = typer.Option(
        False,
        "--append",
        help="Add this batch to the tables already in the warehouse. Rows whose key is already "
        "stored are quarantined and the stored row is kept.",
    ),
    table: list[str] = typer.Option(
        None, "--table", "-t", help="Ingest only this table (repeat for several)."
    ),
    config_file: Path | None = typer.Option(
        None, "--config", help="Settings file (default: gridaudit.toml in this folder)."
    ),
    metrics_json: Path | None = typer.Option(
        None, "--metrics-json", help="Also write the counts and notes as JSON to this file."
    ),
    engine: str | None = typer.Option(
        None,
        "--engine",
        help="How to read the files of a table: local (one after another), processes (all cores) or "
        "dask (a cluster; workers must see the raw folder under the same path). Every engine writes "
        "the same warehouse.",
    ),
    scheduler: str | None = typer.Option(
        None,
        "--scheduler",
        help="Address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786 (with --engine dask).",
    ),
    workers: int | None = typer.Option(
        None, "--workers", help="Worker processes for --engine processes or a local Dask cluster."
    ),
) -> None:
    """Check the raw exports against the data contract and load them into the warehouse.

    Headers and values may be English or the Chinese names marketing systems export (GBK or UTF-8 CSV, Excel, Parquet). Rows that fail a check are written with the reason to the warehouse's _quarantine folder; nothing is dropped silently. Names, addresses and phones are never printed.
    """
    from ..ingest import ingest as run_ingest

    config = load_config(config_file).replace(engine=engine, scheduler=scheduler, workers=workers)
    report = run_ingest(raw_dir, warehouse, config=config, tables=table or None, append=append)
    out.print(report.to_rich())
    for note in report.notes:
        out.print(f"note: {note}", highlight=False)
    if report.quarantine_dir is not None:
        out.print(
            f"{report.quarantined:,} rows quarantined, with reasons, in {report.quarantine_dir}",
            highlight=False,
        )
    if metrics_json is not None:
        write_json(metrics_json, report.as_dict())
