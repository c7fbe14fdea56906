"""CLI commands: score (the monthly list), report (re-render a list's report), feedback (results in)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from .app import app, console, fail, out


def _language(value: str | None) -> str | None:
    if value is not None and value not in ("zh", "en"):
        fail(f"language {value!r} is not supported; use zh (Chinese) or en (English)")
    return value


@app.command()
def score(
    warehouse: Path = typer.Option(
        ..., "--warehouse", "-w", help="Warehouse folder written by 'gridaudit ingest'."
    ),
    month: str = typer.Option(
        ..., "--month", "-m", help="Month the list is for, YYYY-MM; data up to the month before is used."
    ),
    capacity: int | None = typer.Option(
        None,
        "--capacity",
        "--capacity-customers",
        "-k",
        help="How many customers the field team can inspect this month (default: config).",
    ),
    capacity_orders: int | None = typer.Option(
        None,
        "--capacity-orders",
        help="How many work orders the internal-audit team can check this month (default: config). "
        "Orders are listed only when a work-order model (work_order_risk) has been trained.",
    ),
    out_dir: Path = typer.Option(
        Path("lists"), "--out", "-o", help="Folder for the lists; this month's goes to OUT/YYYY-MM/."
    ),
    language: str | None = typer.Option(
        None, "--language", "-l", help="Reasons and report language: zh or en (default: config, zh)."
    ),
    tracking_uri: str | None = typer.Option(
        None, "--tracking-uri", help="MLflow store holding the champion model (default: config, local store)."
    ),
    engine: str | None = typer.Option(
        None,
        "--engine",
        help="How to build the features: local (this process), processes (all cores) or dask (a cluster). "
        "Every engine gives the same list.",
    ),
    scheduler: str | None = typer.Option(
        None, "--scheduler", help="Address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786 (with --engine dask)."
    ),
    workers: int | None = typer.Option(None, "--workers", help="Worker processes for --engine processes or a local Dask cluster."),
    config_file: Path | None = typer.Option(
        None, "--config", help="Settings file (default: gridaudit.toml in this folder)."
    ),
) -> None:
    """Make this month's inspection list: score every customer with the champion model, pick targets within the team's capacity (plus a few random exploration picks), explain each with three reasons, and write the list (Parquet, CSV, XLSX) and an HTML report."""
    from ..config import load_config
    from ..errors import InputError
    from ..months import parse_month
    from ..scoring import score_warehouse
    from ..tracking import load_champion

    config = load_config(config_file).replace(
        language=_language(language),
        tracking_uri=tracking_uri,
        engine=engine,
        scheduler=scheduler,
        workers=workers,
    )
    if config.engine not in ("local", "processes", "dask"):
        fail(f"engine {config.engine!r} is not known; use local, processes or dask")
    if capacity is not None and capacity < 1:
        fail(f"capacity {capacity} is not a number of targets; give 1 or more")
    period = parse_month(month)
    with console.status("loading the champion model"):
        model, info = load_champion(name="customer_risk", tracking_uri=config.tracking_uri)
        order_model, order_info = None, None
        try:
            order_model, order_info = load_champion(name="work_order_risk", tracking_uri=config.tracking_uri)
        except InputError:
            console.print(
                "no work-order model (work_order_risk) in the store: listing customers only; "
                "run 'gridaudit train --target work_order' to add work orders"
            )
    # features bucket by bucket on the chosen engine; only the listed customers' rows are read whole
    with console.status(f"scoring {period} (data as of {period - 1}, features on the {config.engine} engine)"):
        result = score_warehouse(
            warehouse,
            period,
            model,
            info,
            config,
            capacity=capacity,
            out_dir=out_dir,
            order_model=order_model,
            order_model_info=order_info,
            order_capacity=capacity_orders,
        )
    listing = result.listing
    counts = result.run["counts"]
    console.print(
        f"Scored {counts['customers_scored']} customers with {info.get('name')} v{info.get('version')}; "
        f"listed {counts['listed']} ({counts['model_picks']} model, {counts['exploration_picks']} exploration)."
    )
    if order_model is not None:
        console.print(
            f"Scored {counts['work_orders_scored']} work orders with {order_info.get('name')} "
            f"v{order_info.get('version')}; listed {counts['work_orders_listed']}."
        )
    preview = Table(title=f"Top 10 of {result.month}")
    for col in ("rank", "customer", "area", "score", "selection"):
        preview.add_column(col, no_wrap=True)
    preview.add_column("first reason", overflow="fold")
    for row in listing.head(10).itertuples(index=False):
        preview.add_row(
            str(row.rank), row.customer_id, row.area_id, f"{row.score:.3f}", row.selection, row.reason_1
        )
    out.print(preview)
    out.print(f"list:   {result.paths['list.xlsx']}", soft_wrap=True, highlight=False)
    out.print(f"report: {result.paths['report.html']}", soft_wrap=True, highlight=False)


@app.command()
def report(
    list_dir: Path = typer.Argument(
        ..., help="A month folder written by 'gridaudit score', e.g. lists/2026-01/."
    ),
    language: str | None = typer.Option(
        None, "--language", "-l", help="zh or en for the page's wording (default: the list's own language). The reasons stay "
        "in the language the list was scored in: for English reasons, score with --language en."
    ),
) -> None:
    """Re-render report.html of an inspection list from the list folder's own files."""
    from ..scoring import write_report

    path = write_report(list_dir, _language(language))
    out.print(f"report: {path}", soft_wrap=True, highlight=False)


@app.command()
def feedback(
    results: Path = typer.Argument(
        ..., help="The returned list (CSV or XLSX) with a 'result' (稽查结果) column filled in."
    ),
    warehouse: Path = typer.Option(
        ..., "--warehouse", "-w", help="Warehouse folder whose inspections table receives the results."
    ),
    recorded: str | None = typer.Option(
        None, "--recorded", help="Day the results were written up, YYYY-MM-DD (default: today)."
    ),
    config_file: Path | None = typer.Option(
        None, "--config", help="Settings file (default: gridaudit.toml in this folder)."
    ),
) -> None:
    """Load inspection results of a list into the warehouse. Loading the same file twice adds nothing; a corrected file replaces the earlier results of the same targets."""
    from ..config import load_config
    from ..scoring import load_feedback

    config = load_config(config_file)
    summary = load_feedback(results, warehouse, recorded=recorded, n_buckets=config.n_buckets)
    out.print(
        f"{summary.added} result(s) added, {summary.replaced} replaced, {summary.unchanged} already loaded, "
        f"{summary.not_inspected} row(s) without a result skipped; the inspections table now has "
        f"{summary.inspections_total} rows."
    )
