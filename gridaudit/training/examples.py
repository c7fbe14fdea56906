"""Training examples: one per past inspection, features as of the month before it, label = finding.

An inspection on day d in month M becomes the example (features as of M-1, result != clean).
The builder pivots the curve once and is asked once per distinct as-of month; repeated
inspections of one customer are separate examples (different months, different features).

Two target types share this code: ``customer`` (CustomerFeatureBuilder, target_id = customer_id)
and ``work_order`` (WorkOrderFeatureBuilder, target_id = order_id; an order inspected in the month
it was created has no features as of the month before and is dropped, counted in the log).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from ..config import Config
from ..contract import is_finding
from ..errors import InputError
from ..features import CustomerFeatureBuilder, WorkOrderFeatureBuilder, known_date

log = logging.getLogger(__name__)

META_COLUMNS = (
    "inspection_id",
    "target_id",
    "customer_id",
    "date",
    "as_of",
    "known_date",
    "selection",
    "inclusion_probability",
    "recovered_amount",
)


class NoLabelsError(InputError, ValueError):
    """There are no inspections (or no findings) to learn from."""


def target_inspections(tables: dict[str, pd.DataFrame], target_type: str = "customer") -> pd.DataFrame:
    """The inspections of one target type, oldest first, or a NoLabelsError naming what is missing."""
    insp = tables.get("inspections")
    if insp is None or insp.empty:
        raise NoLabelsError(
            "the warehouse has no inspections; training needs past inspection results "
            "(load them with 'gridaudit ingest' or 'gridaudit feedback')"
        )
    insp = insp.loc[insp["target_type"] == target_type]
    if insp.empty:
        raise NoLabelsError(f"the inspections table has no inspections of target type {target_type!r}")
    return insp.sort_values(["date", "inspection_id"], kind="stable").reset_index(drop=True)


def with_categories(frame: pd.DataFrame, category_columns: list[str]) -> pd.DataFrame:
    """Per-month frames carry different category levels; concat leaves them as text. Restore one
    category dtype over the union of levels (missing stays missing)."""
    changes = {}
    for col in category_columns:
        if col in frame.columns and not isinstance(frame[col].dtype, pd.CategoricalDtype):
            changes[col] = frame[col].astype("category")
    return frame.assign(**changes) if changes else frame


TARGET_NOUNS = {"customer": "customer", "work_order": "work order"}


def check_target_type(target_type: str) -> None:
    if target_type not in TARGET_NOUNS:
        raise InputError(f"unknown target type {target_type!r}; use one of: {', '.join(TARGET_NOUNS)}")


def feature_builder(tables: dict[str, pd.DataFrame], config: Config, target_type: str = "customer"):
    """The feature builder of a target type (customers or work orders)."""
    check_target_type(target_type)
    if target_type == "work_order":
        return WorkOrderFeatureBuilder(tables, config)
    return CustomerFeatureBuilder(tables, config)


def _order_customers(tables: dict[str, pd.DataFrame]) -> pd.Series:
    """order_id -> customer_id from the work_orders table (empty when there is none)."""
    orders = tables.get("work_orders")
    if orders is None or orders.empty:
        return pd.Series(dtype="str")
    orders = orders.drop_duplicates("order_id")
    return pd.Series(orders["customer_id"].astype("str").to_numpy(), index=orders["order_id"].astype("str"))


def inspected_features(builder, month: pd.Period, ids) -> pd.DataFrame:
    """One month's feature rows of the targets inspected in the month after it (the only rows
    training needs from that month's frame; a target without features is simply absent)."""
    features = builder.build(month)
    return features.loc[features.index.isin(ids)]


def build_months_here(builder, months: list[pd.Period], ids: list) -> list[pd.DataFrame]:
    """:func:`inspected_features` of each month, one after another in this process."""
    return [inspected_features(builder, month, month_ids) for month, month_ids in zip(months, ids, strict=True)]


def build_examples(
    tables: dict[str, pd.DataFrame],
    config: Config,
    builder=None,
    target_type: str = "customer",
    month_runner=None,
) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """``(X, y, meta)`` with one row per inspection of ``target_type`` whose target has features.

    X: features as of the month before the inspection's month (RangeIndex aligned with meta).
    y: 1 where the inspection found a problem, else 0.
    meta: inspection_id, target_id (customer_id or order_id), customer_id (the order's customer
    for work orders), date, as_of (Period), known_date (recorded_date, else date + label delay),
    selection, inclusion_probability, recovered_amount.
    Inspections whose target is not in that month's feature frame (customer connected later,
    order created in the inspection's month, unknown id) are dropped and counted in the log.
    ``builder``: anything with ``build(month) -> frame indexed by target id``; default the
    builder of ``target_type``.
    ``month_runner(builder, months, ids)``: builds the months (they are independent) and returns
    :func:`inspected_features` of each, in order; default :func:`build_months_here`, else one of
    :mod:`gridaudit.training.engines` (a process pool or a Dask cluster).
    """
    plan = plan_months(tables, config, target_type)
    builder = builder or feature_builder(tables, config, target_type)
    inspected = (month_runner or build_months_here)(builder, plan.months, plan.unique_ids())

    parts_X, presents = [], []
    category_columns: list[str] = []
    for ids, features in zip(plan.month_ids, inspected, strict=True):
        category_columns = category_columns or [
            c for c in features.columns if isinstance(features[c].dtype, pd.CategoricalDtype)
        ]
        present = ids.isin(features.index).to_numpy()
        presents.append(present)
        parts_X.append(month_examples(features, ids, present))
    y, meta, order = examples_meta(tables, plan, presents)
    X = with_categories(pd.concat(parts_X, ignore_index=True), category_columns)
    X = X.iloc[order].reset_index(drop=True)
    return X, y, meta


class MonthPlan:
    """Which inspections fall in which feature month: ``months`` (as-of months, sorted),
    ``month_rows`` (positions in ``inspections`` per month), ``month_ids`` (their target ids)."""

    def __init__(self, tables: dict[str, pd.DataFrame], config: Config, target_type: str):
        check_target_type(target_type)
        self.target_type = target_type
        self.inspections = insp = target_inspections(tables, target_type)
        self.as_of = pd.to_datetime(insp["date"]).dt.to_period("M") - 1
        self.known = known_date(insp, config.label_delay_months)
        self.months = sorted(self.as_of.unique())
        self.month_rows = [np.flatnonzero((self.as_of == month).to_numpy()) for month in self.months]
        self.month_ids = [insp["target_id"].iloc[rows].astype(str) for rows in self.month_rows]

    def unique_ids(self) -> list:
        return [ids.unique() for ids in self.month_ids]


def plan_months(tables: dict[str, pd.DataFrame], config: Config, target_type: str = "customer") -> MonthPlan:
    return MonthPlan(tables, config, target_type)


def month_examples(features: pd.DataFrame, ids: pd.Series, present: np.ndarray) -> pd.DataFrame:
    """One month's example rows: the features of each inspected target that has them, one row
    per inspection, in the inspections' order (RangeIndex)."""
    return features.loc[ids[present]].reset_index(drop=True)


def examples_meta(
    tables: dict[str, pd.DataFrame], plan: MonthPlan, presents: list[np.ndarray]
) -> tuple[np.ndarray, pd.DataFrame, np.ndarray]:
    """``(y, meta, order)`` of the examples, given which inspections of each month have features
    (``presents``, one bool array per month). ``order``: positions of the month-by-month stacked
    example rows in time order (month of features, then inspection), which splits and backtests
    rely on; y and meta are in that order already."""
    insp, target_type = plan.inspections, plan.target_type
    noun = TARGET_NOUNS[target_type]
    dropped = sum(int((~present).sum()) for present in presents)
    if dropped:
        log.warning(
            "%d of %d inspections dropped: their %s has no features as of the month "
            "before the inspection (%s)",
            dropped,
            len(insp),
            noun,
            "created in the inspection's month, or not in the work_orders table"
            if target_type == "work_order"
            else "connected later, or not in the customers table",
        )
    parts_rows = [rows[present] for rows, present in zip(plan.month_rows, presents, strict=True)]
    rows = np.concatenate(parts_rows) if parts_rows else np.array([], dtype=int)
    if len(rows) == 0:
        table = "work_orders" if target_type == "work_order" else "customers"
        key = "order_id" if target_type == "work_order" else "customer_id"
        raise NoLabelsError(
            f"none of the {len(insp)} {noun} inspections has a {noun} with features as of the "
            f"month before it; check that target_id holds {key} values of the {table} table"
        )
    picked = insp.iloc[rows].reset_index(drop=True)
    target_id = picked["target_id"].astype(str)
    if target_type == "work_order":
        customer_id = target_id.map(_order_customers(tables)).astype("str")
    else:
        customer_id = target_id
    meta = pd.DataFrame(
        {
            "inspection_id": picked["inspection_id"].astype(str),
            "target_id": target_id,
            "customer_id": customer_id,
            "date": pd.to_datetime(picked["date"]),
            "as_of": plan.as_of.iloc[rows].reset_index(drop=True),
            "known_date": plan.known.iloc[rows].reset_index(drop=True),
            "selection": _column(picked, "selection", "unknown").fillna("unknown").astype(str),
            "inclusion_probability": pd.to_numeric(_column(picked, "inclusion_probability"), errors="coerce"),
            "recovered_amount": pd.to_numeric(_column(picked, "recovered_amount"), errors="coerce"),
        }
    )
    y = is_finding(picked["result"]).to_numpy().astype(int)
    order = meta.sort_values(["date", "inspection_id"], kind="stable").index.to_numpy()
    return y[order], meta.iloc[order].reset_index(drop=True), order


def _column(frame: pd.DataFrame, name: str, default=np.nan) -> pd.Series:
    return frame[name] if name in frame.columns else pd.Series(default, index=frame.index)


WEIGHTING_SCHEMES = ("none", "inverse_probability")


def sample_weights(meta: pd.DataFrame, scheme: str | None = None) -> np.ndarray | None:
    """Training weights against selection bias (config ``sample_weighting``).

    ``inverse_probability``: 1 / inclusion_probability for random and exploration picks, 1 for
    targeted, tip and unknown picks (see :mod:`gridaudit.training.selection_bias` for why 1).
    ``none`` or None: no weights (every example weighs 1).
    """
    if scheme is None or scheme == "none":
        return None
    if scheme == "inverse_probability":
        from .selection_bias import design_weights

        return design_weights(meta)
    raise InputError(f"sample_weighting {scheme!r} is not known; use one of: {', '.join(WEIGHTING_SCHEMES)}")
