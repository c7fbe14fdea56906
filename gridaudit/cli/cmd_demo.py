"""`gridaudit demo`: the whole monthly loop on synthetic data, in a fresh folder."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.table import Table

from ..config import load_config
from .app import app, console, out


@app.command()
def demo(
    out_dir: Path = typer.Option(Path("demo"), "--out", help="Folder for the demo (raw data, warehouse, MLflow store, lists)."),
    customers: int = typer.Option(5000, help="Number of synthetic customers."),
    months: int = typer.Option(24, help="Months of history to generate."),
    seed: int = typer.Option(7, help="Random seed: the same seed gives the same data and list."),
    capacity: int = typer.Option(None, help="Inspections the team can do next month (default: config, 100)."),
    config_file: Path = typer.Option(None, "--config", help="Settings file (default: gridaudit.toml here, if any)."),
) -> None:
    """Run the whole loop on a synthetic supply area: generate data, load it, train the risk model, score next month, write the inspection list and the report, and measure the list against the known truth."""
    from ..demo import run_demo

    config = load_config(config_file)
    start = time.perf_counter()
    result = run_demo(
        out_dir,
        customers=customers,
        months=months,
        seed=seed,
        capacity=capacity,
        config=config,
        progress=lambda msg: console.print(f"[cyan]{msg}[/]"),
    )
    truth = result.truth_metrics
    table = Table(title="How well the ranking finds the planted problems (synthetic truth)")
    table.add_column("capacity")
    table.add_column("k", justify="right")
    table.add_column("precision@k", justify="right")
    table.add_column("recall@k", justify="right")
    table.add_column("lift@k", justify="right")
    for label in ("1pct", "5pct"):
        table.add_row(
            label.replace("pct", "% of customers"),
            str(truth[f"k_{label}"]),
            f"{truth[f'precision_at_{label}']:.3f}",
            f"{truth[f'recall_at_{label}']:.3f}",
            f"{truth[f'lift_at_{label}']:.1f}",
        )
    out.print(table)
    out.print(f"problem prevalence: {truth['prevalence']:.3%} of {truth['customers']} customers")
    orders = truth.get("work_orders", {})
    if "precision" in orders:
        out.print(
            f"work orders listed: {orders['listed']}, {orders['precision']:.0%} with a planted process error "
            f"(all orders: {orders['prevalence']:.1%}, lift {orders['lift']:.1f})"
        )
    out.print(f"inspection list : {result.list_dir}")
    out.print(f"auditor report  : {result.report}")
    out.print(f"model           : customer_risk version {result.model_version} (alias champion)")
    out.print(
        f"MLflow          : cd {result.folder} && mlflow ui --backend-store-uri {result.tracking_uri}"
    )
    out.print(f"finished in {time.perf_counter() - start:.0f} s")
