"""The monthly scoring job: features as of the month before -> score everyone -> select ->
explain only the selected -> list files, curves, run record and report in ``out_dir/<month>/``.

The month folder is built in a temporary sibling and swapped in at the end, so a run that is
killed half-way leaves the previous list for that month untouched.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import Config
from ..features import CustomerFeatureBuilder
from ..io import replace_dir, snapshot, write_json
from ..months import fmt, parse_month
from ..privacy import drop_personal
from .curves import mean_daily_kwh, peer_curve_ids, target_curves
from .listing import list_frame, order_list_frame, write_list_csv, write_list_xlsx, write_parquet_stable
from .reasons import REASON_CANDIDATES, peer_medians, reason_features, top_reasons
from .report import write_report
from .select import SelectionRules, exploration_rng, recently_inspected, select_targets
from .work_orders import order_candidates, work_order_reasons

log = logging.getLogger(__name__)

LIST_FILES = (
    "list.parquet",
    "list.csv",
    "list.xlsx",
    "curves.parquet",
    "contributions.parquet",
    "run.json",
    "report.html",
)


@dataclass
class ScoringResult:
    """What one scoring run produced: the list, the run record and where the files are."""

    month: str
    listing: pd.DataFrame
    run: dict
    folder: Path | None = None
    paths: dict[str, Path] = field(default_factory=dict)

    @property
    def list_frame(self) -> pd.DataFrame:
        """The list (same as ``listing``)."""
        return self.listing

    @property
    def report_path(self) -> Path | None:
        return self.paths.get("report.html")

    @property
    def list_path(self) -> Path | None:
        """The XLSX people open; Parquet and CSV lie beside it."""
        return self.paths.get("list.xlsx")


def _long_contributions(contributions: pd.DataFrame, target_type: str = "customer") -> pd.DataFrame:
    """target_type, customer_id (the target's id: customer or order), feature, contribution
    (log-odds) for the listed targets (base_value included)."""
    long = (
        contributions.rename_axis("customer_id")
        .reset_index()
        .melt(id_vars="customer_id", var_name="feature", value_name="contribution")
    )
    long.insert(0, "target_type", target_type)
    return long.astype(
        {"target_type": "str", "customer_id": "str", "feature": "str", "contribution": "float64"}
    )


def _shareable(folder: Path) -> None:
    """Temporary folders and files are created private (0700/0600); give the list the usual
    permissions of new files (umask applied) so the audit team can read it."""
    umask = os.umask(0)
    os.umask(umask)
    folder.chmod(0o777 & ~umask)
    for path in folder.iterdir():
        path.chmod(0o666 & ~umask)


def _config_record(config: Config) -> dict:
    """The settings used, with any password in the tracking URI hidden."""
    record = dataclasses.asdict(config)
    if record.get("tracking_uri"):
        record["tracking_uri"] = re.sub(r"://[^/@]+@", "://***@", record["tracking_uri"])
    return record


def score_population(features: pd.DataFrame, model, ctx=None) -> pd.DataFrame:
    """One row per customer: id, area, calibrated score, and with ``ctx`` mean daily kWh (for
    recovery; the job itself adds it for the selected customers only)."""
    scored = pd.DataFrame(
        {
            "customer_id": features.index.astype(str),
            "area_id": features["area_id"].astype(str).to_numpy(),
            "score": np.asarray(model.score(features), dtype=float),
        }
    )
    if ctx is not None:
        scored["mean_daily_kwh"] = mean_daily_kwh(ctx).reindex(features.index).to_numpy(dtype=float)
    return scored


def explain(
    features: pd.DataFrame, model, ids: list[str], language: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Contributions and reason sentences of the listed customers only (TreeSHAP is the costly
    step, so it never runs on the whole population)."""
    listed = features.loc[ids]
    if len(listed):
        contributions = model.contributions(listed)
    else:  # LightGBM refuses an empty frame
        contributions = pd.DataFrame(
            columns=[*model.feature_names_, "base_value"], index=listed.index, dtype="float64"
        )
    needed = reason_features(contributions, listed, REASON_CANDIDATES)
    peers = peer_medians(features, needed).loc[ids] if needed else pd.DataFrame(index=listed.index)
    return contributions, top_reasons(contributions, listed, peers, language)


def list_work_orders(
    tables: dict[str, pd.DataFrame],
    as_of: pd.Period,
    model,
    model_info: dict,
    config: Config,
    capacity: int,
    month: str,
    language: str,
) -> tuple[pd.DataFrame, pd.DataFrame | None, int]:
    """The riskiest work orders (internal audit): list rows, their contributions, orders scored.

    Orders are ranked apart from customers (their own capacity); only the listed are explained.
    """
    features, ids = order_candidates(tables, as_of, config)
    if features.empty or capacity <= 0:
        return order_list_frame(pd.DataFrame(), pd.DataFrame(), month, model_info, config), None, len(features)
    scored = pd.DataFrame(
        {
            "order_id": features.index.astype(str),
            "customer_id": ids["customer_id"].astype(str).to_numpy(),
            "area_id": ids["area_id"].astype(str).to_numpy(),
            "score": np.asarray(model.score(features), dtype=float),
        }
    )
    picked = (
        scored.sort_values(["score", "order_id"], ascending=[False, True], kind="stable")
        .head(capacity)
        .reset_index(drop=True)
    )
    picked["rank"] = np.arange(1, len(picked) + 1)
    contributions = model.contributions(features.loc[picked["order_id"]])
    reasons = work_order_reasons(features, contributions, language, config)
    return order_list_frame(picked, reasons, month, model_info, config), contributions, len(features)


def write_list_folder(
    folder: Path,
    listing: pd.DataFrame,
    curves: pd.DataFrame,
    contributions: pd.DataFrame,
    run: dict,
    language: str,
    order_contributions: pd.DataFrame | None = None,
) -> Path:
    """Build the month folder in a temporary sibling and swap it in (a failed run keeps the old)."""

    def build(tmp: Path) -> None:
        write_parquet_stable(tmp / "list.parquet", listing)
        write_list_csv(tmp / "list.csv", listing)
        write_list_xlsx(tmp / "list.xlsx", listing, language)
        write_parquet_stable(tmp / "curves.parquet", curves)
        long = _long_contributions(contributions)
        if order_contributions is not None and len(order_contributions):
            long = pd.concat([long, _long_contributions(order_contributions, "work_order")], ignore_index=True)
        write_parquet_stable(tmp / "contributions.parquet", long)
        write_json(tmp / "run.json", run)
        write_report(tmp, language)
        _shareable(tmp)

    return replace_dir(folder, build)


@dataclass
class _CustomerList:
    """The customer part of a month's list, before work orders and files."""

    scored: pd.DataFrame
    cooled: pd.Index
    excluded: pd.Index
    selected: pd.DataFrame
    contributions: pd.DataFrame
    listing: pd.DataFrame


def _list_customers(
    features: pd.DataFrame,
    model,
    model_info: dict,
    config: Config,
    period: pd.Period,
    capacity: int,
    language: str,
    inspections: pd.DataFrame | None,
    excluded,
    mean_kwh: Callable[[list[str]], pd.Series],
) -> _CustomerList:
    """Score everyone, select within capacity, explain the selected. ``mean_kwh(ids)`` gives the
    selected customers' mean daily kWh (expected recovery), so only they need their curves."""
    as_of = period - 1
    scored = score_population(features, model)
    rules = SelectionRules(
        capacity=capacity,
        exploration_share=config.exploration_share,
        area_quotas=dict(config.area_quotas),
        cooldown_exempt_top_share=config.cooldown_exempt_top_share,
    )
    cooled = recently_inspected(inspections, as_of, config.cooldown_months)
    excluded = pd.Index([] if excluded is None else list(excluded), dtype="str")
    selected = select_targets(scored, rules, cooled, exploration_rng(config.seed, period), excluded)
    ids = selected["customer_id"].tolist()
    selected["mean_daily_kwh"] = mean_kwh(ids).reindex(pd.Index(ids, dtype="str")).to_numpy(dtype=float)
    contributions, reasons = explain(features, model, ids, language)
    listing = list_frame(selected, reasons, fmt(period), model_info, config)
    return _CustomerList(scored, cooled, excluded, selected, contributions, listing)


def _run_record(
    period: pd.Period,
    language: str,
    model_info: dict,
    config: Config,
    data: dict,
    customers: _CustomerList,
    capacity: int,
    listing: pd.DataFrame,
    orders_scored: int,
    order_model_info: dict | None,
) -> dict:
    """run.json: what was listed, from which data, with which model and settings."""
    scored, selected = customers.scored, customers.selected
    exploration = selected.loc[selected["selection"] == "exploration", "inclusion_probability"]
    customer_rows = listing["target_type"] == "customer"
    run = {
        "month": fmt(period),
        "as_of": fmt(period - 1),
        "language": language,
        "model": {k: model_info.get(k) for k in ("name", "version", "run_id", "alias")},
        "data": data,
        "seed": config.seed,
        "config": _config_record(config),
        "counts": {
            "customers_scored": int(len(scored)),
            "in_cooldown": int(scored["customer_id"].isin(customers.cooled).sum()),
            "excluded": int(scored["customer_id"].isin(customers.excluded).sum()),
            "capacity": capacity,
            "listed": int(customer_rows.sum()),
            "model_picks": int(customer_rows.sum() - len(exploration)),
            "exploration_picks": int(len(exploration)),
            "exploration_inclusion_probability": float(exploration.iloc[0]) if len(exploration) else None,
            "work_orders_scored": int(orders_scored),
            "work_orders_listed": int((listing["target_type"] == "work_order").sum()),
        },
    }
    if order_model_info is not None:
        run["work_order_model"] = {k: order_model_info.get(k) for k in ("name", "version", "run_id", "alias")}
    return run


def _finish(
    period: pd.Period,
    customers: _CustomerList,
    order_part: tuple[pd.DataFrame, pd.DataFrame | None, int] | None,
    run_inputs: dict,
    out_dir: str | Path | None,
    language: str,
    curves: Callable[[list[str]], pd.DataFrame],
) -> ScoringResult:
    """Add the work orders, write the run record and (with ``out_dir``) the month folder."""
    listing = customers.listing
    orders_scored, order_contributions = 0, None
    if order_part is not None:
        order_rows, order_contributions, orders_scored = order_part
        listing = pd.concat([listing, order_rows], ignore_index=True)
    run = _run_record(period, language, listing=listing, customers=customers, orders_scored=orders_scored, **run_inputs)
    month_text = fmt(period)
    result = ScoringResult(month_text, listing, run)
    if out_dir is None:
        return result
    ids = customers.selected["customer_id"].tolist()
    folder = write_list_folder(
        Path(out_dir) / month_text, listing, curves(ids), customers.contributions, run, language, order_contributions
    )
    result.folder = folder
    result.paths = {name: folder / name for name in LIST_FILES}
    log.info("wrote the %s list (%d targets) to %s", month_text, len(listing), folder)
    return result


def score_month(
    tables: dict[str, pd.DataFrame],
    month: str | pd.Period,
    model,
    model_info: dict,
    config: Config,
    capacity: int | None = None,
    out_dir: str | Path | None = None,
    language: str | None = None,
    features: pd.DataFrame | None = None,
    excluded: list[str] | pd.Index | None = None,
    order_model=None,
    order_model_info: dict | None = None,
    order_capacity: int | None = None,
) -> ScoringResult:
    """Make the inspection list for ``month`` (scored with data as of the month before), from
    tables in memory (demo, notebook, tests; ``score_warehouse`` is the same job reading the
    warehouse with bounded memory, and gives the same list).

    ``model`` is a fitted RiskModel; ``model_info`` names it (name, version, run_id, alias).
    ``features`` may be passed when the caller already built the frame as of the month before.
    ``excluded`` customers are never listed (e.g. findings already being handled).
    With ``order_model`` (the work-order champion) the list also holds the riskiest work orders
    (internal audit), up to ``order_capacity`` (default: config.order_capacity), ranked apart.
    With ``out_dir`` the files are written to ``out_dir/<month>/``.
    """
    period = parse_month(month)
    as_of = period - 1
    language = language or config.language
    capacity = int(config.capacity if capacity is None else capacity)

    safe_tables = {**tables, "customers": drop_personal(tables["customers"])}
    builder = CustomerFeatureBuilder(safe_tables, config)
    if features is None:
        log.info("building features as of %s", fmt(as_of))
        features = builder.build(as_of)
    ctx = builder.context(as_of)

    customers = _list_customers(
        features, model, model_info, config, period, capacity, language,
        tables.get("inspections"), excluded, lambda ids: mean_daily_kwh(ctx),
    )  # fmt: skip
    order_part = None
    if order_model is not None:
        order_cap = int(config.order_capacity if order_capacity is None else order_capacity)
        order_part = list_work_orders(
            tables, as_of, order_model, order_model_info or {}, config, order_cap, fmt(period), language
        )
    run_inputs = {
        "model_info": model_info,
        "config": config,
        "data": snapshot(tables),
        "capacity": capacity,
        "order_model_info": (order_model_info or {}) if order_model is not None else None,
    }
    return _finish(
        period, customers, order_part, run_inputs, out_dir, language, lambda ids: target_curves(ctx, features, ids)
    )


def score_warehouse(
    warehouse: str | Path,
    month: str | pd.Period,
    model,
    model_info: dict,
    config: Config,
    capacity: int | None = None,
    out_dir: str | Path | None = None,
    language: str | None = None,
    features: pd.DataFrame | None = None,
    excluded: list[str] | pd.Index | None = None,
    order_model=None,
    order_model_info: dict | None = None,
    order_capacity: int | None = None,
) -> ScoringResult:
    """``score_month`` reading the warehouse, with memory bounded by a task's buckets.

    - features: the bucketed engine (``config.engine``: local, processes or dask), one task of
      buckets at a time; the feature frame of everyone is the one thing held whole;
    - cool-down: the inspections table (stored whole, it is small);
    - expected recovery and the report's curves: the raw rows of the listed customers and of a
      bounded sample of their peers only (``warehouse_reads.read_customer_rows``);
    - work orders: the orders and inspections tables whole; customers, readings, bills and
      billing adjustments of the customers with recent orders only;
    - run.json's data snapshot: hashes and row counts of the warehouse files.

    Same data, seed and model give the same list as ``score_month`` on ``read_tables(warehouse)``.
    """
    from ..engine import build_features_bucketed, is_bucketed
    from ..io import read_table
    from ..warehouse_reads import warehouse_snapshot
    from .warehouse_inputs import listed_context, work_order_tables

    period = parse_month(month)
    as_of = period - 1
    language = language or config.language
    capacity = int(config.capacity if capacity is None else capacity)
    if features is None:
        if not is_bucketed(warehouse, "customers"):  # a warehouse written by hand, not by ingest
            from ..io import read_tables

            log.info("the warehouse %s is not bucketed: scoring it in memory", warehouse)
            return score_month(
                read_tables(warehouse), period, model, model_info, config, capacity, out_dir, language,
                None, excluded, order_model, order_model_info, order_capacity,
            )  # fmt: skip
        log.info("building features as of %s with the %s engine", fmt(as_of), config.engine)
        features = build_features_bucketed(
            warehouse, as_of, config, engine=config.engine, scheduler=config.scheduler, workers=config.workers
        )

    inspections = read_table(warehouse, "inspections", missing_ok=True)
    contexts: dict[tuple[str, ...], object] = {}

    def context_for(ids: list[str]):
        key = tuple(ids)
        if key not in contexts:  # the listed customers' rows are read once, for recovery and curves
            contexts.clear()
            needed = peer_curve_ids(features, ids) if out_dir is not None else ids  # peers: for curves
            contexts[key] = listed_context(warehouse, needed, as_of, config)
        return contexts[key]

    customers = _list_customers(
        features, model, model_info, config, period, capacity, language,
        inspections, excluded, lambda ids: mean_daily_kwh(context_for(ids)),
    )  # fmt: skip
    order_part = None
    if order_model is not None:
        order_cap = int(config.order_capacity if order_capacity is None else order_capacity)
        order_part = list_work_orders(
            work_order_tables(warehouse, as_of, inspections),
            as_of, order_model, order_model_info or {}, config, order_cap, fmt(period), language,
        )  # fmt: skip
    run_inputs = {
        "model_info": model_info,
        "config": config,
        "data": warehouse_snapshot(warehouse),
        "capacity": capacity,
        "order_model_info": (order_model_info or {}) if order_model is not None else None,
    }
    return _finish(
        period, customers, order_part, run_inputs, out_dir, language,
        lambda ids: target_curves(context_for(ids), features, ids),
    )  # fmt: skip
