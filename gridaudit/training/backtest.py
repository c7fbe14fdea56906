"""Month-by-month backtest at the team's capacity (METRICS.md, "Time-aware evaluation").

For each of the last N inspection months M: train only on examples whose result was known before
the first day of M (recorded_date, or date + label delay), score M's inspections with features as
of M-1, leave out customers already confirmed (a finding known before M), and measure precision,
lift and AUC at the capacity. Random sampling's precision is the month's base rate, shown beside,
and so is the rule-of-thumb list an audit team makes by hand (baselines.py). The model's lift over
both baselines is the headline figure (summary ``model_lift_over_random`` / ``_over_rules``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..config import Config
from ..contract import is_finding
from ..errors import InputError
from ..features import known_date
from ..months import parse_month
from .baselines import has_rule_of_thumb_features, rule_of_thumb_score
from .examples import build_examples, target_inspections
from .metrics import average_precision, lift_at_k, precision_at_k, recovered_at_k, roc_auc
from .selection_bias import unbiased_report
from .split import train_mask_before
from .train import MIN_FINDINGS, fit_in_time, target_capacity

log = logging.getLogger(__name__)

SUMMARY_COLUMNS = (
    "precision_at_k",
    "lift_at_k",
    "precision_at_20pct",
    "roc_auc",
    "average_precision",
    "random_precision_at_k",
    "rules_precision_at_k",
    "rules_lift_at_k",
    "rules_precision_at_20pct",
    "random_ipw_precision_at_k",
    "design_weighted_precision_at_k",
)
# When a month holds fewer inspections than the capacity, precision@capacity is just the month's
# finding rate; precision over the top fifth of the month's inspections still compares rankings.
TOP_SHARE = 0.2


@dataclass(frozen=True)
class Fold:
    """One backtest month: which examples train, which are tested."""

    month: pd.Period
    train: np.ndarray  # bool mask over the examples
    test: np.ndarray  # bool mask over the examples
    confirmed_left_out: int  # test inspections dropped because the customer was already confirmed


def confirmed_before(inspections: pd.DataFrame, start: pd.Timestamp, label_delay_months: int) -> set[str]:
    """Targets (customers or orders) with a finding whose result was known before ``start``."""
    known = known_date(inspections, label_delay_months)
    found = is_finding(inspections["result"]).to_numpy() & (known < start).to_numpy()
    return set(inspections.loc[found, "target_id"].astype(str))


def backtest_folds(
    meta: pd.DataFrame, inspections: pd.DataFrame, months: list[pd.Period], label_delay_months: int
) -> list[Fold]:
    """Pure: the train/test masks of each test month (label delay respected)."""
    example_month = pd.to_datetime(meta["date"]).dt.to_period("M")
    folds = []
    for month in months:
        start = month.to_timestamp(how="start")
        train = train_mask_before(meta["known_date"], start)
        in_month = (example_month == month).to_numpy()
        confirmed = _target_ids(meta).isin(confirmed_before(inspections, start, label_delay_months))
        test = in_month & ~confirmed.to_numpy()
        folds.append(Fold(month, train, test, int((in_month & ~test).sum())))
    return folds


def _target_ids(meta: pd.DataFrame) -> pd.Series:
    return meta["target_id"] if "target_id" in meta.columns else meta["customer_id"]


def last_months(meta: pd.DataFrame, n_months: int, until: pd.Period | None = None) -> list[pd.Period]:
    """The last ``n_months`` calendar months that hold inspections (up to ``until``, included)."""
    months = sorted(pd.to_datetime(meta["date"]).dt.to_period("M").unique())
    if until is not None:
        kept = [m for m in months if m <= until]
        if not kept:
            span = f"{months[0]} to {months[-1]}" if months else "nowhere"
            raise InputError(f"no inspection month on or before {until}: the inspections run from {span}")
        months = kept
    return months[-n_months:]


@dataclass
class BacktestResult:
    per_month: pd.DataFrame  # one row per test month
    summary: dict  # mean and std over the months of each measure
    capacity: int

    def to_dict(self) -> dict:
        rows = self.per_month.assign(month=self.per_month["month"].astype(str))
        return {
            "capacity": self.capacity,
            "months": rows.to_dict(orient="records"),
            "summary": self.summary,
        }


def backtest(
    tables: dict[str, pd.DataFrame],
    config: Config,
    n_months: int = 6,
    capacity: int | None = None,
    builder=None,
    target_type: str = "customer",
    examples: tuple | None = None,
    tuned: dict | None = None,
    until: str | pd.Period | None = None,
) -> BacktestResult:
    """Retrain for each of the last ``n_months`` inspection months (up to ``until``, e.g.
    "2024-04", when given) and measure on that month.
    ``capacity`` defaults to the target type's (config.capacity or config.order_capacity);
    ``examples``: ``(X, y, meta)`` already built by build_examples (saves the feature build);
    ``tuned``: LightGBM parameters overriding the config's (Optuna's best)."""
    capacity = int(capacity or target_capacity(config, target_type))
    inspections = target_inspections(tables, target_type)
    if examples is None:
        examples = build_examples(tables, config, builder=builder, target_type=target_type)
    X, y, meta = examples
    rows = []
    months = last_months(meta, n_months, None if until is None else parse_month(until))
    for fold in backtest_folds(meta, inspections, months, config.label_delay_months):
        y_train, y_test = y[fold.train], y[fold.test]
        row = {
            "month": fold.month,
            "n_train": int(fold.train.sum()),
            "train_findings": int(y_train.sum()),
            "n_test": int(fold.test.sum()),
            "test_findings": int(y_test.sum()),
            "confirmed_left_out": fold.confirmed_left_out,
            "k": int(min(capacity, fold.test.sum())),
        }
        if y_train.sum() < MIN_FINDINGS or y_train.sum() == len(y_train) or not fold.test.any():
            log.warning("backtest month %s skipped: %s", fold.month, _why_skipped(row))
            rows.append(row | {"skipped": _why_skipped(row)})
            continue
        model, _ = fit_in_time(X.loc[fold.train], y_train, meta.loc[fold.train], config, tuned)
        scores = model.raw_score(X.loc[fold.test])
        amounts = meta.loc[fold.test, "recovered_amount"].fillna(0.0).to_numpy()
        unbiased = unbiased_report(y_test, scores, meta.loc[fold.test], capacity)
        row |= {
            "base_rate": float(y_test.mean()),
            "precision_at_k": precision_at_k(y_test, scores, capacity),
            "lift_at_k": lift_at_k(y_test, scores, capacity),
            "precision_at_20pct": precision_at_k(y_test, scores, max(1, round(TOP_SHARE * len(y_test)))),
            "roc_auc": roc_auc(y_test, scores),
            "average_precision": average_precision(y_test, scores),
            "recovered_at_k": recovered_at_k(amounts, scores, capacity)[0],
            "random_precision_at_k": float(y_test.mean()),
            **_rules_baseline(X.loc[fold.test], y_test, capacity),
            # population estimates (selection_bias): random picks weighted 1/p; all, design-weighted
            "random_ipw_precision_at_k": unbiased.get("random_ipw_precision_at_k", float("nan")),
            "random_ipw_inspections_at_k": unbiased.get("random_ipw_inspections_at_k", 0),
            "design_weighted_precision_at_k": unbiased.get("design_weighted_precision_at_k", float("nan")),
            "skipped": "",
        }
        rows.append(row)
    if not rows:
        raise InputError("the backtest found no inspection months to test")
    per_month = pd.DataFrame(rows)
    return BacktestResult(per_month, summarise(per_month), capacity)


RULES_COLUMNS = ("rules_precision_at_k", "rules_lift_at_k", "rules_precision_at_20pct")


def _rules_baseline(X_test: pd.DataFrame, y_test: np.ndarray, capacity: int) -> dict:
    """precision@k, lift@k and precision over the top fifth of the rule-of-thumb list on the
    month's inspections (NaN when the frame has none of its signs, e.g. work orders)."""
    if not has_rule_of_thumb_features(X_test):
        return dict.fromkeys(RULES_COLUMNS, float("nan"))
    rules = rule_of_thumb_score(X_test).to_numpy()
    return {
        "rules_precision_at_k": precision_at_k(y_test, rules, capacity),
        "rules_lift_at_k": lift_at_k(y_test, rules, capacity),
        "rules_precision_at_20pct": precision_at_k(y_test, rules, max(1, round(TOP_SHARE * len(y_test)))),
    }


def _why_skipped(row: dict) -> str:
    if row["n_test"] == 0:
        return "no inspections left to test"
    if row["train_findings"] < MIN_FINDINGS:
        return f"{row['train_findings']} findings known before the month (need {MIN_FINDINGS})"
    return "no clean results known before the month"


def summarise(per_month: pd.DataFrame) -> dict:
    """Mean and standard deviation (ddof=1) over the months that were tested."""
    out = {"months_tested": int((per_month.get("skipped", "") == "").sum()) if "skipped" in per_month else 0}
    for col in SUMMARY_COLUMNS:
        if col in per_month:
            values = pd.to_numeric(per_month[col], errors="coerce").dropna()
            out[f"{col}_mean"] = float(values.mean()) if len(values) else float("nan")
            out[f"{col}_std"] = float(values.std(ddof=1)) if len(values) > 1 else float("nan")
    # headline: the model's mean precision@k over each baseline's mean precision@k
    model = out.get("precision_at_k_mean", float("nan"))
    for name in ("random", "rules"):
        baseline = out.get(f"{name}_precision_at_k_mean", float("nan"))
        out[f"model_lift_over_{name}"] = _ratio(model, baseline)
    return out


def _ratio(numerator: float, denominator: float) -> float:
    if not np.isfinite(numerator) or not np.isfinite(denominator) or denominator == 0:
        return float("nan")
    return float(numerator / denominator)
