"""Build the work-order feature frame as of a month (internal audit, 内稽): one row per order.

Every work order created on or before the last day of the as-of month gets a row, indexed by
order_id, with the category ``kind`` and numeric features described in
:mod:`gridaudit.features.work_order_specs`. Who created, handled and approved an order, and
which customer it is on, are *identifiers*, not features: :meth:`WorkOrderFeatureBuilder.build`
never returns them, :meth:`WorkOrderFeatureBuilder.build_with_ids` returns them in a second
frame (``ORDER_ID_COLUMNS`` plus area and dates), so a model cannot learn a staff member's id.
Staff enter the model only through their past inspection record.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from ..config import Config
from ..contract import WORK_ORDER_KINDS
from ..months import month_end, parse_month
from .context import cut_tables
from .work_order_evidence import CumulativeKwh, adjustment_match_features, consumption_change_features
from .work_order_process import (
    amount_features,
    approval_features,
    repeat_order_features,
    reversal_features,
    staff_history_features,
    timing_features,
)
from .work_order_specs import FEATURE_NAMES, SPECS

log = logging.getLogger(__name__)

# Identifying columns of an order: returned beside the features, never as features.
ORDER_ID_COLUMNS = ("customer_id", "operator_id", "approver_id")
CATEGORY_FEATURES = ("kind",)
_NS = "datetime64[ns]"
_SIDE_TABLES = ("customers", "bills", "billing_adjustments", "inspections")


def _timestamps(values: pd.Series) -> pd.Series:
    """Datetimes as nanosecond timestamps; text (tests, hand-made frames) must be ISO 8601,
    with or without a time of day. The warehouse already stores datetimes."""
    if not pd.api.types.is_datetime64_any_dtype(values):
        values = pd.to_datetime(values, format="ISO8601")
    return values.astype(_NS)


def _parse_orders(orders: pd.DataFrame) -> pd.DataFrame:
    """Work orders with ids as strings and both timestamps as datetimes (once per builder)."""
    return orders.assign(
        order_id=orders["order_id"].astype("str"),
        customer_id=orders["customer_id"].astype("str"),
        created_at=_timestamps(orders["created_at"]),
        completed_at=_timestamps(orders["completed_at"])
        if "completed_at" in orders.columns
        else pd.Series(pd.NaT, index=orders.index, dtype=_NS),
    )


def cut_orders(orders: pd.DataFrame, as_of_close: pd.Timestamp) -> pd.DataFrame:
    """Orders created before ``as_of_close`` (the first instant after the as-of month), with a
    completion at or after it blanked (not yet known).

    Done here rather than by ``cut_tables`` because these are timestamps: an order created at
    10:00 on the last day of the month belongs to the month, and ``cut_tables`` compares with
    midnight of that day.
    """
    kept = orders.loc[orders["created_at"] < as_of_close]
    return kept.assign(
        completed_at=kept["completed_at"].where(kept["completed_at"] < as_of_close)
    ).reset_index(drop=True)


class WorkOrderFeatureBuilder:
    """Features for every work order as of any month, from one warehouse snapshot.

    Parses the orders and accumulates the daily curve once, so training can ask for many
    months cheaply.
    """

    def __init__(self, tables: dict[str, pd.DataFrame], config: Config | None = None):
        self.tables = tables
        self.config = config or Config()
        orders = tables.get("work_orders")
        self._orders = _parse_orders(orders) if orders is not None else None
        self._curve = CumulativeKwh.from_readings(tables.get("readings"))

    def build(self, as_of: str | pd.Period) -> pd.DataFrame:
        """Feature frame indexed by order_id: ``kind`` (category with the contract's levels) and
        the numeric features, in registry order. No identifiers."""
        return self.build_with_ids(as_of)[0]

    def build_with_ids(self, as_of: str | pd.Period) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(features, identifiers), both indexed by order_id in the same order. Identifiers hold
        customer_id, operator_id, approver_id, area_id, created_at and completed_at (as known
        at the month's end): for the list and for grouping, never for the model."""
        month = parse_month(as_of)
        as_of_day = month_end(month)
        as_of_close = as_of_day + pd.Timedelta(days=1)
        if self._orders is None or self._orders.empty:
            return _empty_features(), _empty_ids()
        orders = cut_orders(self._orders, as_of_close)
        side = cut_tables({k: v for k, v in self.tables.items() if k in _SIDE_TABLES}, month, self.config)
        config = self.config
        index = pd.Index(orders["order_id"], name="order_id")
        kind = pd.Categorical(orders["kind"].astype("str"), categories=list(WORK_ORDER_KINDS))
        parts = [
            pd.DataFrame({"kind": kind}, index=index),
            timing_features(orders, as_of_close, config.order_time_limits_days),
            approval_features(orders),
            staff_history_features(orders, side.get("inspections")),
            amount_features(orders),
            consumption_change_features(orders, self._curve, side.get("bills"), as_of_day),
            repeat_order_features(orders),
            reversal_features(orders),
            adjustment_match_features(
                orders,
                side.get("billing_adjustments"),
                as_of_day,
                min_amount_yuan=config.order_adjustment_min_yuan,
                yuan_per_kwh=config.tariff_yuan_per_kwh,
            ),
        ]
        features = pd.concat(parts, axis=1)[list(FEATURE_NAMES)]
        features.index.name = "order_id"
        ids = _identifiers(orders, side.get("customers"))
        log.debug("work-order features as of %s: %d orders, %d columns", month, *features.shape)
        return features, ids


def _identifiers(orders: pd.DataFrame, customers: pd.DataFrame | None) -> pd.DataFrame:
    ids = pd.DataFrame(index=pd.Index(orders["order_id"], name="order_id"))
    for column in ORDER_ID_COLUMNS:
        values = orders[column] if column in orders.columns else pd.Series(pd.NA, index=orders.index)
        ids[column] = values.astype("str").where(values.notna()).to_numpy()
    if customers is not None and "area_id" in customers.columns:
        area = customers.drop_duplicates("customer_id")
        area = pd.Series(area["area_id"].astype("str").to_numpy(), index=area["customer_id"].astype("str"))
        ids["area_id"] = ids["customer_id"].map(area)
    else:
        ids["area_id"] = pd.Series(np.nan, index=ids.index, dtype="str")
    ids["created_at"] = orders["created_at"].to_numpy()
    ids["completed_at"] = orders["completed_at"].to_numpy()
    return ids


def _empty_features() -> pd.DataFrame:
    frame = pd.DataFrame({name: pd.Series(dtype="float64") for name in FEATURE_NAMES})
    frame["kind"] = pd.Categorical([], categories=list(WORK_ORDER_KINDS))
    frame.index = pd.Index([], dtype="str", name="order_id")
    return frame


def _empty_ids() -> pd.DataFrame:
    columns = {c: pd.Series(dtype="str") for c in (*ORDER_ID_COLUMNS, "area_id")}
    frame = pd.DataFrame(columns).assign(created_at=pd.Series(dtype=_NS), completed_at=pd.Series(dtype=_NS))
    frame.index = pd.Index([], dtype="str", name="order_id")
    return frame


def order_peer_values(features: pd.DataFrame, config: Config | None = None) -> pd.DataFrame:
    """The ``{peer}`` of each order's reason sentences: the time limit of the order's kind for
    ``order_duration_days``, the median among orders of the same kind for every other numeric
    feature, and the order's own value for ``kind``. Indexed like ``features``."""
    config = config or Config()
    kind = features["kind"].astype("str")
    numeric = [c for c in features.columns if c != "kind"]
    peers = features[numeric].astype("float64").groupby(kind).transform("median")
    fallback = float(config.order_time_limits_days.get("other", np.nan))
    peers["order_duration_days"] = kind.map(config.order_time_limits_days).astype("float64").fillna(fallback)
    peers.insert(0, "kind", features["kind"].astype("object"))
    return peers


__all__ = [
    "CATEGORY_FEATURES",
    "FEATURE_NAMES",
    "ORDER_ID_COLUMNS",
    "SPECS",
    "WorkOrderFeatureBuilder",
    "cut_orders",
    "order_peer_values",
]
