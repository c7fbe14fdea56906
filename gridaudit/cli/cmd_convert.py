"""CLI command(s): convert -- public data sets (STEG, SGCC) into gridaudit raw tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer
from rich.table import Table

from .app import app, console, fail, out

convert_app = typer.Typer(
    help="Turn a public data set (STEG billing, SGCC daily curves) into gridaudit's raw tables, "
    "one Parquet file per table, ready for `gridaudit ingest`.",
    no_args_is_help=True,
)
app.add_typer(convert_app, name="convert")


def _read_any(path: Path) -> pd.DataFrame:
    if not path.exists():
        fail(f"the file {path} does not exist")
    if path.suffix.lower() == ".parquet":
        return pd.read_parquet(path)
    return pd.read_csv(path, low_memory=False)


def _write_tables(tables: dict[str, pd.DataFrame], folder: Path) -> None:
    from ..adapters import contract_problems
    from ..io import write_parquet

    folder.mkdir(parents=True, exist_ok=True)
    summary = Table(title=f"raw tables written to {folder}")
    summary.add_column("table")
    summary.add_column("rows", justify="right")
    for name, frame in tables.items():
        if name == "inspections" and frame.empty:
            # clients without labels (the 'score this region' part): no inspection history to load
            summary.add_row(name, "none (no labels)")
            continue
        write_parquet(folder / f"{name}.parquet", frame)
        summary.add_row(name, f"{len(frame):,}")
    out.print(summary)
    problems = contract_problems(tables)
    if len(problems):
        console.print(
            "[yellow]rows that break the data contract (kept here; `gridaudit ingest` will "
            "quarantine them with the reason):[/]"
        )
        for row in problems.itertuples(index=False):
            console.print(f"  {row.table}.{row.column}: {row.rows:,} rows {row.rule} (e.g. {row.example})", highlight=False)


@convert_app.command("steg")
def convert_steg_command(
    clients: Path = typer.Option(..., "--clients", help="STEG client file (Parquet or CSV)."),
    invoices: Path = typer.Option(..., "--invoices", help="STEG invoice file (Parquet or CSV)."),
    out_dir: Path = typer.Option(..., "--out", help="Folder for the raw tables (customers, bills, inspections)."),
) -> None:
    """Convert the STEG (Tunisia) billing-fraud files: clients become customers, invoices bills,
    fraud labels inspections dated 2020-01-15."""
    from ..adapters import convert_steg

    tables = convert_steg(_read_any(clients), _read_any(invoices))
    _write_tables(tables, out_dir)


@convert_app.command("sgcc")
def convert_sgcc_command(
    path: Path = typer.Option(..., "--data", "--input", "-i", help="SGCC wide CSV (days as columns, then CONS_NO, FLAG)."),
    out_dir: Path = typer.Option(..., "--out", help="Folder for the raw tables (customers, readings, inspections)."),
) -> None:
    """Convert the SGCC (State Grid) daily-curve file: one customer per row, daily kWh, theft labels."""
    from ..adapters import convert_sgcc_with_report

    if not path.exists():
        fail(f"the file {path} does not exist")
    tables, report = convert_sgcc_with_report(path)
    _write_tables(tables, out_dir)
    console.print(
        f"copies: {report.repeated_ids:,} repeated CONS_NO dropped; {report.copied_rows:,} rows repeat "
        f"another customer's values ({report.copied_with_other_label:,} with another label), marked in "
        f"customers.duplicate_group; {report.empty_rows:,} rows have no consumption at all.",
        highlight=False,
    )
