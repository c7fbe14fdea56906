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
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import Config
from ..features import CustomerFeatureBuilder
from ..io import replace_dir, snapshot, write_json
from ..months import fmt, parse_month
from ..privacy import drop_personal
from .curves import mean_daily_kwh, target_curves
from .listing import list_frame, order_list_frame, write_list_csv, write_list_xlsx, write_parquet_stable
from .reasons import peer_medians, reason_features, top_reasons
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


def score_population(features: pd.DataFrame, model, ctx) -> pd.DataFrame:
    """One row per customer: id, area, calibrated score and mean daily kWh (for recovery)."""
    return pd.DataFrame(
        {
            "customer_id": features.index.astype(str),
            "area_id": features["area_id"].astype(str).to_numpy(),
            "score": np.asarray(model.score(features), dtype=float),
            "mean_daily_kwh": mean_daily_kwh(ctx).reindex(features.index).to_numpy(dtype=float),
        }
    )


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
    needed = reason_features(contributions, listed)
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
    """Make the inspection list for ``month`` (scored with data as of the month before).

    ``model`` is a fitted RiskModel; ``model_info`` names it (name, version, run_id, alias).
    ``features`` may be passed when the caller already built the frame as of the month before.
    ``excluded`` customers are never listed (e.g. findings already being handled).
    With ``order_model`` (the work-order champion) the list also holds the riskiest work orders
    (internal audit), up to ``order_capacity`` (default: config.order_capacity), ranked apart.
    With ``out_dir`` the files are written to ``out_dir/<month>/``.
    """
    period = parse_month(month)
    as_of = period - 1
    month_text = fmt(period)
    language = language or config.language
    capacity = int(config.capacity if capacity is None else capacity)

    safe_tables = {**tables, "customers": drop_personal(tables["customers"])}
    builder = CustomerFeatureBuilder(safe_tables, config)
    if features is None:
        log.info("building features as of %s", fmt(as_of))
        features = builder.build(as_of)
    ctx = builder.context(as_of)

    scored = score_population(features, model, ctx)
    rules = SelectionRules(
        capacity=capacity,
        exploration_share=config.exploration_share,
        area_quotas=dict(config.area_quotas),
        cooldown_exempt_top_share=config.cooldown_exempt_top_share,
    )
    cooled = recently_inspected(tables.get("inspections"), as_of, config.cooldown_months)
    excluded = pd.Index([] if excluded is None else list(excluded), dtype="str")
    selected = select_targets(scored, rules, cooled, exploration_rng(config.seed, period), excluded)
    ids = selected["customer_id"].tolist()
    contributions, reasons = explain(features, model, ids, language)
    listing = list_frame(selected, reasons, month_text, model_info, config)
    orders_scored, order_contributions = 0, None
    if order_model is not None:
        order_cap = int(config.order_capacity if order_capacity is None else order_capacity)
        order_rows, order_contributions, orders_scored = list_work_orders(
            tables, as_of, order_model, order_model_info or {}, config, order_cap, month_text, language
        )
        listing = pd.concat([listing, order_rows], ignore_index=True)

    exploration = selected.loc[selected["selection"] == "exploration", "inclusion_probability"]
    customer_rows = listing["target_type"] == "customer"
    run = {
        "month": month_text,
        "as_of": fmt(as_of),
        "language": language,
        "model": {k: model_info.get(k) for k in ("name", "version", "run_id", "alias")},
        "data": snapshot(tables),
        "seed": config.seed,
        "config": _config_record(config),
        "counts": {
            "customers_scored": int(len(scored)),
            "in_cooldown": int(scored["customer_id"].isin(cooled).sum()),
            "excluded": int(scored["customer_id"].isin(excluded).sum()),
            "capacity": capacity,
            "listed": int(customer_rows.sum()),
            "model_picks": int(customer_rows.sum() - len(exploration)),
            "exploration_picks": int(len(exploration)),
            "exploration_inclusion_probability": float(exploration.iloc[0]) if len(exploration) else None,
            "work_orders_scored": int(orders_scored),
            "work_orders_listed": int((listing["target_type"] == "work_order").sum()),
        },
    }
    if order_model is not None:
        run["work_order_model"] = {k: (order_model_info or {}).get(k) for k in ("name", "version", "run_id", "alias")}
    result = ScoringResult(month_text, listing, run)
    if out_dir is None:
        return result
    curves = target_curves(ctx, features, ids)
    folder = write_list_folder(
        Path(out_dir) / month_text, listing, curves, contributions, run, language, order_contributions
    )
    result.folder = folder
    result.paths = {name: folder / name for name in LIST_FILES}
    log.info("wrote the %s list (%d targets) to %s", month_text, len(listing), folder)
    return result
