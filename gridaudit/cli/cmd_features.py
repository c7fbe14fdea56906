"""CLI command: features -- write the customer feature frame as of a month."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer
from rich.table import Table

from .app import app, out


def missing_by_family(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns and missing values per feature family (from the registry), for the summary."""
    from ..features.registry import all_specs

    family_of = {s.name: s.family for s in all_specs()}
    families = pd.Series([family_of.get(c, "(not described)") for c in frame.columns], index=frame.columns)
    missing = frame.isna().sum()
    summary = pd.DataFrame({"family": families, "missing": missing})
    return summary.groupby("family", sort=False).agg(columns=("missing", "size"), missing=("missing", "sum"))


@app.command()
def features(
    warehouse: Path = typer.Option(
        ..., "--warehouse", help="Warehouse folder written by 'gridaudit ingest'."
    ),
    as_of: str = typer.Option(
        ..., "--as-of", help="Month the features describe, YYYY-MM: only data known by its last day is used."
    ),
    out_path: Path = typer.Option(
        ..., "--out", help="Parquet file to write: one row per customer, one column per feature."
    ),
    config_path: Path | None = typer.Option(
        None, "--config", help="gridaudit.toml with the team's settings."
    ),
    label_delay_months: int | None = typer.Option(
        None, "--label-delay-months", help="Months after an inspection before its result counts (default 1)."
    ),
    engine: str | None = typer.Option(
        None,
        "--engine",
        help="Where the customer buckets are built: 'local' (one after another in this process, "
        "the default), 'processes' (several at once on this machine) or 'dask' (on a Dask cluster). "
        "All three give the same features.",
    ),
    scheduler: str | None = typer.Option(
        None,
        "--scheduler",
        help="Address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786 (with --engine dask; "
        "without it a cluster is started on this machine). Workers must see the warehouse folder.",
    ),
    workers: int | None = typer.Option(
        None, "--workers", help="Processes or local Dask workers to use (default: one per CPU core)."
    ),
) -> None:
    """Write every customer's features as of a month, to check a pipeline or to analyse by hand."""
    from ..config import load_config
    from ..engine import build_features_bucketed
    from ..io import write_parquet
    from ..months import parse_month

    month = parse_month(as_of)
    config = load_config(config_path).replace(
        label_delay_months=label_delay_months, engine=engine, scheduler=scheduler, workers=workers
    )
    frame = build_features_bucketed(
        warehouse, month, config, engine=config.engine, scheduler=config.scheduler, workers=config.workers
    )
    write_parquet(out_path, frame.reset_index())

    out.print(
        f"features as of {month}: {frame.shape[0]} customers x {frame.shape[1]} columns -> {out_path}",
        highlight=False,
    )
    summary = Table("family", "columns", "missing values")
    for family, row in missing_by_family(frame).iterrows():
        summary.add_row(str(family), str(row["columns"]), str(row["missing"]))
    out.print(summary)
