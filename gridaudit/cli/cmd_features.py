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
) -> None:
    """Write every customer's features as of a month, to check a pipeline or to analyse by hand."""
    from ..config import load_config
    from ..features import build_customer_features
    from ..io import read_tables, write_parquet
    from ..months import parse_month

    month = parse_month(as_of)
    config = load_config(config_path).replace(label_delay_months=label_delay_months)
    tables = read_tables(warehouse)
    frame = build_customer_features(tables, month, config)
    write_parquet(out_path, frame.reset_index())

    out.print(
        f"features as of {month}: {frame.shape[0]} customers x {frame.shape[1]} columns -> {out_path}",
        highlight=False,
    )
    summary = Table("family", "columns", "missing values")
    for family, row in missing_by_family(frame).iterrows():
        summary.add_row(str(family), str(row["columns"]), str(row["missing"]))
    out.print(summary)
