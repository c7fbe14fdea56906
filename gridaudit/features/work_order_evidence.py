"""Evidence around a work order in other tables: the customer's consumption before and after a
change, and billing adjustments with no matching order (or orders with no adjustment).

Pure functions over frames already cut at the as-of month; results indexed by order_id.
Consumption is in kWh per day. All windows are whole calendar days.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .work_order_specs import ADJUSTMENT_LOOKBACK_DAYS, ADJUSTMENT_MATCH_DAYS, CONSUMPTION_WINDOW_DAYS

DAY = pd.Timedelta(days=1)
MIN_CURVE_DAYS = 14  # collected days needed on each side of a change to trust the curve
BILL_PERIOD_DAYS = 30.4375  # one billing month, in days
BILL_START_TOLERANCE_DAYS = (
    3  # reading days drift; a bill starting this close after the change counts as after
)
CHANGE_KINDS = ("tariff_change", "capacity_change")
_NS = "datetime64[ns]"


_DAY_SLOTS = 10**7  # key = customer code * slots + day number (+ offset): sorts by customer, then day
_DAY_OFFSET = 5 * 10**6
_EPOCH = pd.Timestamp("1970-01-01")


def _day_numbers(dates: pd.Series) -> np.ndarray:
    return ((dates - _EPOCH) // DAY).to_numpy(dtype="int64") + _DAY_OFFSET


@dataclass(frozen=True)
class CumulativeKwh:
    """Running totals of daily kWh and of collected days per customer, sorted by customer and day.

    Built once from the whole readings table; a window sum is two sorted look-ups, so the same
    object serves every month. Callers keep windows on or before the as-of day, which keeps
    the sums point-in-time even though later rows are present.
    """

    customers: pd.Index  # customer ids; a customer's code is its position here
    keys: np.ndarray  # int64, sorted: code * _DAY_SLOTS + day number
    cum_kwh: np.ndarray  # kWh up to and including that reading, per customer
    cum_days: np.ndarray  # collected (non-empty) days likewise

    @classmethod
    def from_readings(cls, readings: pd.DataFrame | None) -> CumulativeKwh:
        if readings is None or readings.empty:
            return cls(pd.Index([], dtype="str"), np.empty(0, "int64"), np.empty(0), np.empty(0))
        customer = readings["customer_id"].astype("str")
        codes, customers = pd.factorize(customer)
        keys = codes.astype("int64") * _DAY_SLOTS + _day_numbers(
            pd.to_datetime(readings["date"]).dt.normalize()
        )
        kwh = pd.to_numeric(readings["kwh"], errors="coerce").to_numpy(dtype=float)
        order = np.argsort(keys, kind="stable")
        frame = pd.DataFrame(
            {"code": codes[order], "kwh": np.nan_to_num(kwh[order], nan=0.0), "seen": ~np.isnan(kwh[order])}
        )
        group = frame.groupby("code", sort=False)
        return cls(
            pd.Index(customers),
            keys[order],
            group["kwh"].cumsum().to_numpy(dtype=float),
            group["seen"].cumsum().to_numpy(dtype=float),
        )

    def _upto(self, customer_id: pd.Series, day: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        """Totals over each customer's readings dated on or before ``day`` (0 where none)."""
        codes = self.customers.get_indexer(customer_id.astype("str"))
        query = codes.astype("int64") * _DAY_SLOTS + _day_numbers(day.fillna(_EPOCH))
        pos = np.searchsorted(self.keys, query, side="right") - 1
        safe = np.clip(pos, 0, None)
        hit = (codes >= 0) & (pos >= 0) & day.notna().to_numpy()
        if len(self.keys):
            hit &= self.keys[safe] // _DAY_SLOTS == codes
            return np.where(hit, self.cum_kwh[safe], 0.0), np.where(hit, self.cum_days[safe], 0.0)
        return np.zeros(len(codes)), np.zeros(len(codes))

    def window(
        self, customer_id: pd.Series, first: pd.Series, last: pd.Series
    ) -> tuple[np.ndarray, np.ndarray]:
        """kWh summed and days collected over [first, last] (dates, inclusive), per row."""
        high_kwh, high_days = self._upto(customer_id, last)
        low_kwh, low_days = self._upto(customer_id, first - DAY)
        empty = (last < first).to_numpy() | first.isna().to_numpy()
        return np.where(empty, 0.0, high_kwh - low_kwh), np.where(empty, 0.0, high_days - low_days)


def change_orders(orders: pd.DataFrame) -> pd.Series:
    """Orders that change what the customer is billed on: tariff or capacity changes by kind, and
    any order whose multiplier before and after differ."""
    mask = orders["kind"].astype("str").isin(CHANGE_KINDS)
    if "multiplier_before" in orders.columns and "multiplier_after" in orders.columns:
        before = pd.to_numeric(orders["multiplier_before"], errors="coerce")
        after = pd.to_numeric(orders["multiplier_after"], errors="coerce")
        mask |= before.notna() & after.notna() & (before.round(6) != after.round(6))
    return mask


def _bill_rates(changes: pd.DataFrame, bills: pd.DataFrame | None, window_days: int) -> pd.DataFrame:
    """Billed kWh per day before and after each change, from bills (the fallback for customers
    without a usable curve). Before: bills read in the ``window_days`` before the change day.
    After: bills whose period starts on or after the change day (within a few days' tolerance)
    and within ``window_days`` of it."""
    out = pd.DataFrame({"before": np.nan, "after": np.nan}, index=changes.index)
    if bills is None or bills.empty or changes.empty:
        return out
    months = (
        pd.to_numeric(bills["period_months"], errors="coerce") if "period_months" in bills.columns else None
    )
    period_days = (
        months.fillna(1.0) if months is not None else pd.Series(1.0, index=bills.index)
    ) * BILL_PERIOD_DAYS
    slim = pd.DataFrame(
        {
            "customer_id": bills["customer_id"].astype("str"),
            "read_date": pd.to_datetime(bills["read_date"]).dt.normalize(),
            "kwh": pd.to_numeric(bills["kwh_billed"], errors="coerce"),
            "period_days": period_days,
        }
    ).dropna(subset=["kwh"])
    pairs = changes[["customer_id", "change_day"]].reset_index(names="row").merge(slim, on="customer_id")
    offset_days = (pairs["read_date"] - pairs["change_day"]) / DAY
    start_offset = offset_days - pairs["period_days"]
    before = (offset_days < 0) & (offset_days >= -window_days)
    after = (start_offset >= -BILL_START_TOLERANCE_DAYS) & (start_offset < window_days)
    for side, mask in (("before", before), ("after", after)):
        sums = pairs.loc[mask].groupby("row")[["kwh", "period_days"]].sum()
        out.loc[sums.index, side] = (sums["kwh"] / sums["period_days"]).to_numpy()
    return out


def consumption_change_features(
    orders: pd.DataFrame,
    curve: CumulativeKwh,
    bills: pd.DataFrame | None,
    as_of_day: pd.Timestamp,
    window_days: int = CONSUMPTION_WINDOW_DAYS,
    min_curve_days: int = MIN_CURVE_DAYS,
) -> pd.DataFrame:
    """Mean daily kWh in the ``window_days`` before the change day and after it (days up to the
    as-of day only), and their ratio, for completed change orders. The change day is the
    completion date and belongs to neither side. The daily curve is used where both sides have
    ``min_curve_days`` collected days, billed energy otherwise; empty where neither suffices.

    ``billed_kwh_after_vs_before_ratio`` compares billed energy alone: a wrong multiplier or
    tariff shows as a drop in what is billed while the metered curve stays level."""
    index = pd.Index(orders["order_id"], name="order_id")
    out = pd.DataFrame(
        np.nan,
        index=index,
        columns=[
            "kwh_per_day_before_change",
            "kwh_per_day_after_change",
            "kwh_after_vs_before_ratio",
            "billed_kwh_after_vs_before_ratio",
        ],
    )
    selected = change_orders(orders) & orders["completed_at"].notna()
    if not selected.any():
        return out
    changes = pd.DataFrame(
        {
            "customer_id": orders.loc[selected, "customer_id"].astype("str").to_numpy(),
            "change_day": orders.loc[selected, "completed_at"].dt.normalize().astype(_NS).to_numpy(),
        }
    )
    day = changes["change_day"]
    before_kwh, before_days = curve.window(changes["customer_id"], day - window_days * DAY, day - DAY)
    after_last = (day + window_days * DAY).clip(upper=as_of_day)
    after_kwh, after_days = curve.window(changes["customer_id"], day + DAY, after_last)
    from_curve = (before_days >= min_curve_days) & (after_days >= min_curve_days)
    with np.errstate(invalid="ignore", divide="ignore"):
        curve_before = before_kwh / before_days
        curve_after = after_kwh / after_days
    billed = _bill_rates(changes, bills, window_days)
    rate_before = np.where(from_curve, curve_before, billed["before"].to_numpy())
    rate_after = np.where(from_curve, curve_after, billed["after"].to_numpy())
    usable = ~np.isnan(rate_before) & ~np.isnan(rate_after)
    rate_before = np.where(usable, rate_before, np.nan)
    rate_after = np.where(usable, rate_after, np.nan)
    billed_before, billed_after = billed["before"].to_numpy(), billed["after"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(rate_before > 0, rate_after / rate_before, np.nan)
        billed_ratio = np.where(billed_before > 0, billed_after / billed_before, np.nan)
    rows = np.flatnonzero(selected.to_numpy())
    out.iloc[rows, 0] = rate_before
    out.iloc[rows, 1] = rate_after
    out.iloc[rows, 2] = ratio
    out.iloc[rows, 3] = billed_ratio
    return out


def adjustment_amounts(adjustments: pd.DataFrame, yuan_per_kwh: float) -> pd.Series:
    """Absolute money an adjustment moves: amount_delta, else kwh_delta priced at ``yuan_per_kwh``."""
    amount = (
        pd.to_numeric(adjustments["amount_delta"], errors="coerce")
        if "amount_delta" in adjustments.columns
        else pd.Series(np.nan, index=adjustments.index)
    )
    if "kwh_delta" in adjustments.columns:
        amount = amount.fillna(pd.to_numeric(adjustments["kwh_delta"], errors="coerce") * yuan_per_kwh)
    return amount.abs()


def adjustment_match_features(
    orders: pd.DataFrame,
    adjustments: pd.DataFrame | None,
    as_of_day: pd.Timestamp,
    min_amount_yuan: float,
    yuan_per_kwh: float,
    match_days: int = ADJUSTMENT_MATCH_DAYS,
    lookback_days: int = ADJUSTMENT_LOOKBACK_DAYS,
) -> pd.DataFrame:
    """Billing-adjustment orders with no adjustment row, and adjustment rows with no order.

    An adjustment matches a billing-adjustment order of the same customer when it is booked
    between ``match_days`` before the order's creation and ``match_days`` after its completion
    (after the as-of day while the order is still open). An unmatched order is flagged only
    once its window has passed by the as-of day (empty before that); likewise an adjustment
    counts as orderless only once ``match_days`` have passed after it. The per-customer count
    (adjustments of at least ``min_amount_yuan`` in the last ``lookback_days``) is carried
    onto every order of that customer.
    """
    index = pd.Index(orders["order_id"], name="order_id")
    out = pd.DataFrame(
        np.nan, index=index, columns=["adjustment_order_unmatched", "customer_adjustments_without_order_12m"]
    )
    if adjustments is None:
        return out
    span = match_days * DAY
    is_adjustment = orders["kind"].astype("str") == "billing_adjustment"
    done = orders["completed_at"].notna()
    windows = pd.DataFrame(
        {
            "order_id": orders["order_id"].to_numpy(),
            "customer_id": orders["customer_id"].astype("str").to_numpy(),
            "first": (orders["created_at"].dt.normalize() - span).to_numpy(),
            "last": (orders["completed_at"].dt.normalize().fillna(as_of_day) + span).to_numpy(),
        }
    ).loc[is_adjustment.to_numpy()]
    booked = pd.DataFrame(
        {
            "adjustment_id": adjustments["adjustment_id"].astype("str").to_numpy(),
            "customer_id": adjustments["customer_id"].astype("str").to_numpy(),
            "date": pd.to_datetime(adjustments["date"]).dt.normalize().to_numpy(),
            "amount": adjustment_amounts(adjustments, yuan_per_kwh).to_numpy(),
        }
    )
    pairs = windows.merge(booked, on="customer_id")
    pairs = pairs.loc[(pairs["date"] >= pairs["first"]) & (pairs["date"] <= pairs["last"])]
    matched_order = index.isin(pairs["order_id"].unique())
    settled = done.to_numpy() & ((orders["completed_at"].dt.normalize() + span) <= as_of_day).to_numpy()
    unmatched = np.where(matched_order, 0.0, np.where(settled, 1.0, np.nan))
    out["adjustment_order_unmatched"] = np.where(is_adjustment.to_numpy(), unmatched, np.nan)
    orderless = booked.loc[
        ~booked["adjustment_id"].isin(pairs["adjustment_id"].unique())
        & (booked["amount"] >= min_amount_yuan)
        & (booked["date"] > as_of_day - lookback_days * DAY)
        & (booked["date"] + span <= as_of_day)
    ]
    per_customer = orderless.groupby("customer_id").size()
    customer = orders["customer_id"].astype("str")
    out["customer_adjustments_without_order_12m"] = (
        customer.map(per_customer).fillna(0).astype("float64").to_numpy()
    )
    return out
