"""Score work orders for internal audit (内稽) and turn their SHAP contributions into auditor's notes.

Which orders are scored as of month A (the feature month; the list for month M uses A = M-1,
like the customer list): every order still open at the close of A, and every order completed
in the last ``window_months`` months up to A (default 3, a quarter: the orders an internal
auditor can still check against fresh paperwork; the synthetic generator's team also picks
among orders of the last 90 days). Orders completed earlier are settled history: they shape
staff error rates and reversals but are not listed again.

Reasons: up to three features with the largest positive contribution, rendered with the
registry's work-order templates; ``{peer}`` comes from :func:`order_peer_values` (the time
limit of the order's kind for the duration, the median among orders of the same kind
otherwise). A flag feature (unit ``flag``) is a reason only when it is set (value 1): its
sentence states the risky case ("approved by the same person who created it"), so showing it
for an order where the flag is 0 would say something false.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from ..config import Config
from ..features import WorkOrderFeatureBuilder, order_peer_values
from ..features.registry import all_specs
from ..months import month_end, parse_month
from .reasons import N_REASONS, top_reasons

log = logging.getLogger(__name__)

WINDOW_MONTHS = 3
SCORE_COLUMNS = ("order_id", "customer_id", "area_id", "kind", "score", "raw_score")


def orders_in_window(
    ids: pd.DataFrame, as_of: str | pd.Period, window_months: int = WINDOW_MONTHS
) -> np.ndarray:
    """Bool mask over ``ids`` (build_with_ids' identifiers, completion blanked when after A):
    open at the close of A, or completed on or after the first day of month A - window + 1."""
    month = parse_month(as_of)
    if window_months < 1:
        raise ValueError("window_months must be at least 1")
    first = (month - (window_months - 1)).to_timestamp(how="start")
    close = month_end(month) + pd.Timedelta(days=1)
    completed = pd.to_datetime(ids["completed_at"])
    return (completed.isna() | ((completed >= first) & (completed < close))).to_numpy()


def order_candidates(
    tables: dict[str, pd.DataFrame],
    as_of: str | pd.Period,
    config: Config,
    window_months: int = WINDOW_MONTHS,
    builder: WorkOrderFeatureBuilder | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(features, identifiers) of the orders to score as of ``as_of``, both indexed by order_id."""
    builder = builder or WorkOrderFeatureBuilder(tables, config)
    features, ids = builder.build_with_ids(as_of)
    keep = orders_in_window(ids, as_of, window_months)
    log.info("work orders as of %s: %d of %d in the scoring window", as_of, int(keep.sum()), len(keep))
    return features.loc[keep], ids.loc[keep]


def score_work_orders(
    tables: dict[str, pd.DataFrame],
    as_of: str | pd.Period,
    model,
    config: Config,
    window_months: int = WINDOW_MONTHS,
    builder: WorkOrderFeatureBuilder | None = None,
) -> pd.DataFrame:
    """One row per candidate order, riskiest first: order_id, customer_id, area_id, kind, score
    (calibrated probability of a finding), raw_score (the model's log-odds). Ties keep order_id
    order. ``model`` is a RiskModel trained with target_type="work_order"."""
    features, ids = order_candidates(tables, as_of, config, window_months, builder)
    if features.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64" if "score" in c else "str") for c in SCORE_COLUMNS})
    out = pd.DataFrame(
        {
            "order_id": features.index.astype("str"),
            "customer_id": ids["customer_id"].to_numpy(),
            "area_id": ids["area_id"].to_numpy(),
            "kind": features["kind"].astype("str").to_numpy(),
            "score": np.asarray(model.score(features), dtype=float),
            "raw_score": np.asarray(model.raw_score(features), dtype=float),
        }
    )
    return out.sort_values(["score", "order_id"], ascending=[False, True], kind="stable").reset_index(
        drop=True
    )


def flag_features() -> list[str]:
    return [s.name for s in all_specs("work_order") if s.unit == "flag"]


def work_order_reasons(
    features: pd.DataFrame,
    contributions: pd.DataFrame,
    language: str = "zh",
    config: Config | None = None,
    n_reasons: int = N_REASONS,
) -> pd.DataFrame:
    """``reason_1..reason_n`` and ``reason_codes`` for each row of ``contributions``.

    ``features``: the candidates' feature frame (all scored orders, so that the per-kind
    medians of ``{peer}`` are taken over every order, not just the listed ones); it must hold
    every order in ``contributions``. ``contributions``: RiskModel.contributions of the listed
    orders (feature columns + base_value). Flags count as reasons only where they are 1.
    """
    peers = order_peer_values(features, config).loc[contributions.index]
    values = features.loc[contributions.index]
    flags = [c for c in flag_features() if c in contributions.columns and c in values.columns]
    shown = contributions
    if flags:
        unset = values[flags].astype("float64").fillna(0.0).to_numpy() != 1.0
        masked = contributions[flags].to_numpy(dtype=float, copy=True)
        masked[unset] = 0.0  # top_reasons keeps only positive contributions
        shown = contributions.assign(**{c: masked[:, j] for j, c in enumerate(flags)})
    return top_reasons(shown, values, peers, language, n_reasons=n_reasons)
