"""Process signals of a work order: timing, approval, staff history, amount, repeats and reversals.

Every function takes the work orders already cut at the as-of month (``created_at`` and
``completed_at`` parsed to datetimes, ``completed_at`` empty where completion is not yet known)
and returns a frame indexed by order_id. Vectorised: groupby, merges and sorted searches, no
per-order Python loops. Durations are in days (fractional).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..contract import is_finding
from .work_order_specs import REVERSAL_WINDOW_DAYS

DAY = pd.Timedelta(days=1)
WORK_START_S = 8 * 3600  # completions before 8:00 are out of hours
WORK_END_S = 18 * 3600  # ... and after 18:00
MONTH_END_DAYS = 2  # "at month end" = the last two days of the calendar month
ROBUST_SIGMA = 1.4826  # MAD -> standard deviation under normality
MIN_KIND_PEERS = 5  # fewer orders with an amount in a kind: no amount comparison
CHANGE_PAIRS = (
    ("tariff_before", "tariff_after"),
    ("capacity_before", "capacity_after"),
    ("multiplier_before", "multiplier_after"),
)


def _flag(mask: pd.Series, known: pd.Series | None = None) -> pd.Series:
    """1.0/0.0, NaN where ``known`` is False."""
    out = mask.astype("float64")
    return out if known is None else out.where(known)


def _column(orders: pd.DataFrame, name: str) -> pd.Series:
    """A column, or an all-missing one when the export lacks it."""
    if name in orders.columns:
        return orders[name]
    return pd.Series(np.nan, index=orders.index, dtype="float64")


def _present(values: pd.Series) -> pd.Series:
    """Not missing and not an empty string."""
    text = values.astype("str")
    return values.notna() & (text.str.strip() != "")


def timing_features(
    orders: pd.DataFrame, as_of_close: pd.Timestamp, limits_days: dict[str, float]
) -> pd.DataFrame:
    """Duration against the kind's limit, out-of-hours and month-end completion.

    ``as_of_close`` is the first instant after the as-of month: open orders count as open until
    then. A completion stamped exactly at midnight is read as 'no time of day recorded' (date-only
    exports), so only its weekday can make it out of hours.
    """
    created = orders["created_at"]
    completed = orders["completed_at"]
    still_open = completed.isna()
    duration = (completed.where(~still_open, as_of_close) - created) / DAY
    fallback = float(limits_days.get("other", np.nan))
    limit = orders["kind"].astype("str").map(limits_days).astype("float64").fillna(fallback)
    seconds = (completed - completed.dt.normalize()).dt.total_seconds()
    has_time = seconds > 0
    out_of_hours = (completed.dt.day_of_week >= 5) | (
        has_time & ((seconds < WORK_START_S) | (seconds > WORK_END_S))
    )
    month_end = completed.dt.day > completed.dt.days_in_month - MONTH_END_DAYS
    done = ~still_open
    return pd.DataFrame(
        {
            "order_duration_days": duration.to_numpy(dtype=float),
            "order_duration_to_limit_ratio": (duration / limit.where(limit > 0)).to_numpy(dtype=float),
            "order_overdue": _flag(duration > limit, limit.notna()).to_numpy(),
            "order_still_open": _flag(still_open).to_numpy(),
            "completed_out_of_hours": _flag(out_of_hours, done).to_numpy(),
            "completed_at_month_end": _flag(month_end, done).to_numpy(),
        },
        index=pd.Index(orders["order_id"], name="order_id"),
    )


def approval_features(orders: pd.DataFrame) -> pd.DataFrame:
    """Self-approval (operator == approver, both recorded) and a missing approver.

    Both are empty when the export has no approver column at all (nothing to judge)."""
    operator = _column(orders, "operator_id")
    approver = _column(orders, "approver_id")
    has_operator, has_approver = _present(operator), _present(approver)
    both = has_operator & has_approver
    same = both & (operator.astype("str").str.strip() == approver.astype("str").str.strip())
    exported = "approver_id" in orders.columns
    return pd.DataFrame(
        {
            "self_approval": _flag(same, both).to_numpy(),
            "approval_missing": _flag(~has_approver).to_numpy() if exported else np.nan,
        },
        index=pd.Index(orders["order_id"], name="order_id"),
    )


def staff_history_features(orders: pd.DataFrame, inspections: pd.DataFrame | None) -> pd.DataFrame:
    """Operator's and approver's past inspections of work orders and their share with a finding.

    ``inspections`` must already hold only results known by the as-of month (the context cut
    does that). Each inspection of an order counts for the person who handled it (operator) and
    for the person who approved it (approver). A person never inspected: count 0, rate empty.
    """
    index = pd.Index(orders["order_id"], name="order_id")
    out = pd.DataFrame(index=index)
    staff = orders[["order_id"]].assign(
        operator_id=_column(orders, "operator_id"), approver_id=_column(orders, "approver_id")
    )
    if inspections is not None and len(inspections):
        on_orders = inspections.loc[
            inspections["target_type"].astype("str") == "work_order", ["target_id", "result"]
        ]
        on_orders = on_orders.assign(target_id=on_orders["target_id"].astype("str"))
        judged = on_orders.merge(staff, left_on="target_id", right_on="order_id", how="inner")
        judged = judged.assign(finding=is_finding(judged["result"].astype("str")).astype("int64"))
    else:
        judged = pd.DataFrame(columns=["operator_id", "approver_id", "finding"])
    for role in ("operator", "approver"):
        person = staff[f"{role}_id"]
        rows = judged.loc[_present(judged[f"{role}_id"])] if len(judged) else judged
        totals = rows.groupby(rows[f"{role}_id"].astype("str"))["finding"].agg(["size", "sum"])
        key = person.astype("str")
        count = key.map(totals["size"]).fillna(0).astype("float64").where(_present(person))
        found = key.map(totals["sum"]).astype("float64")
        out[f"{role}_past_error_rate"] = (found / count.where(count > 0)).to_numpy()
        out[f"{role}_past_inspected"] = count.to_numpy()
    return out[
        [
            "operator_past_error_rate",
            "operator_past_inspected",
            "approver_past_error_rate",
            "approver_past_inspected",
        ]
    ]


def amount_features(orders: pd.DataFrame, min_peers: int = MIN_KIND_PEERS) -> pd.DataFrame:
    """Absolute amount against orders of the same kind: ratio to the median and robust z-score.

    Peers are all orders of the kind known by the as-of month; kinds with fewer than
    ``min_peers`` amounts, a zero median (ratio) or a zero MAD (z) give empty values."""
    amount = pd.to_numeric(_column(orders, "amount"), errors="coerce").abs()
    kind = orders["kind"].astype("str")
    group = amount.groupby(kind)
    peers = group.transform("count")
    median = group.transform("median")
    mad = (amount - median).abs().groupby(kind).transform("median")
    enough = peers >= min_peers
    ratio = (amount / median.where(median > 0)).where(enough)
    z = ((amount - median) / (ROBUST_SIGMA * mad.where(mad > 0))).where(enough)
    return pd.DataFrame(
        {
            "amount_to_kind_median_ratio": ratio.to_numpy(dtype=float),
            "amount_robust_z": z.to_numpy(dtype=float),
        },
        index=pd.Index(orders["order_id"], name="order_id"),
    )


def repeat_order_features(orders: pd.DataFrame, windows_days: tuple[int, ...] = (30, 90)) -> pd.DataFrame:
    """Other orders on the same customer created in the ``w`` days up to this one (inclusive of
    orders created at the same instant, never counting the order itself)."""
    customer = pd.factorize(orders["customer_id"].astype("str"))[0].astype("int64")
    seconds = (orders["created_at"] - pd.Timestamp("1970-01-01")) // pd.Timedelta(seconds=1)
    seconds = seconds.to_numpy(dtype="int64")
    span = int(seconds.max() - seconds.min()) + 10 * 366 * 86400 + 1 if len(seconds) else 1
    key = customer * span + (seconds - (seconds.min() if len(seconds) else 0))
    ordered = np.sort(key)
    upto = np.searchsorted(ordered, key, side="right")  # rows of the customer created at or before
    out = pd.DataFrame(index=pd.Index(orders["order_id"], name="order_id"))
    for window in windows_days:
        start = np.searchsorted(ordered, key - window * 86400, side="left")
        out[f"customer_orders_prior_{window}d"] = (upto - start - 1).astype("float64")
    return out


def reversal_features(orders: pd.DataFrame, window_days: int = REVERSAL_WINDOW_DAYS) -> pd.DataFrame:
    """Orders that undo an earlier order's change on the same customer, and orders undone later.

    Order B reverses an earlier order A (created strictly before B, at most ``window_days``
    earlier) when for one of tariff, capacity or multiplier A went x -> y and B goes y -> x
    (x != y, both recorded)."""
    ids = pd.Index(orders["order_id"], name="order_id")
    reversing, reversed_ids = [], []
    for before, after in CHANGE_PAIRS:
        if before not in orders.columns or after not in orders.columns:
            continue
        pair = orders[["order_id", "customer_id", "created_at", before, after]].dropna(subset=[before, after])
        if pair.empty:
            continue
        if pd.api.types.is_numeric_dtype(pair[before]):
            pair = pair.assign(**{before: pair[before].round(6), after: pair[after].round(6)})
        else:
            pair = pair.assign(**{before: pair[before].astype("str"), after: pair[after].astype("str")})
        pair = pair.loc[pair[before] != pair[after]]
        later = pair.rename(columns={before: "x", after: "y"})
        earlier = pair.rename(
            columns={after: "x", before: "y", "order_id": "earlier_id", "created_at": "earlier_created"}
        )
        matched = later.merge(earlier, on=["customer_id", "x", "y"], how="inner")
        gap = matched["created_at"] - matched["earlier_created"]
        matched = matched.loc[(gap > pd.Timedelta(0)) & (gap <= window_days * DAY)]
        reversing.append(matched["order_id"].unique())
        reversed_ids.append(matched["earlier_id"].unique())
    reverses = ids.isin(np.unique(np.concatenate(reversing))) if reversing else np.zeros(len(ids), bool)
    reversed_later = (
        ids.isin(np.unique(np.concatenate(reversed_ids))) if reversed_ids else np.zeros(len(ids), bool)
    )
    return pd.DataFrame(
        {
            "reverses_earlier_order": reverses.astype("float64"),
            "reversed_by_later_order": reversed_later.astype("float64"),
        },
        index=ids,
    )
