"""Feature family: consumption against the contract (capacity, tariff, multiplier).

A load far above or below the contracted capacity, a "residential" account that consumes like a
shop, and a level that moved after a tariff, capacity or multiplier change are the classic signs
of a wrong tariff, a wrong multiplier or a change made to hide consumption.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._windows import (
    BLOCK_DAYS,
    event_window_means,
    last_event_per_customer,
    nan_mean,
    nan_median,
    safe_ratio,
)
from .context import FeatureContext
from .groups import group_input
from .registry import FeatureSpec, register

FAMILY = "capacity_tariff"
LOAD_WINDOW_DAYS = 3 * BLOCK_DAYS
CHANGE_WINDOW_DAYS = 60
CHANGE_ORDER_KINDS = ("tariff_change", "capacity_change")

register(
    FeatureSpec(
        "load_factor_3m",
        FAMILY,
        "mean load of the last 90 days (daily kWh / 24) over the contracted capacity",
        "近90天平均负荷（日电量/24）与合同容量之比",
        "ratio",
        "either",
        "average load was {value} of the contracted capacity over the last 90 days (peers: {peer})",
        "近90天平均负荷为合同容量的{value}，同台区同类用户为{peer}",
    )
)
register(
    FeatureSpec(
        "peak_day_load_factor_3m",
        FAMILY,
        "highest daily mean load of the last 90 days over the contracted capacity",
        "近90天最大日平均负荷与合同容量之比",
        "ratio",
        "high",
        "on its busiest day the load reached {value} of the contracted capacity (peers: {peer})",
        "近90天最大日平均负荷达到合同容量的{value}，同台区同类用户为{peer}",
    )
)
register(
    FeatureSpec(
        "residential_commercial_likeness",
        FAMILY,
        "for residential accounts: how much closer the weekday/weekend shape and level of the last "
        "90 days are to the commercial median than to the residential one (log distance difference)",
        "居民用户近90天用电水平与工作日/周末形态接近一般工商业而非居民的程度（对数距离差）",
        "score",
        "high",
        "this residential account consumes like a commercial one (score {value}, peers: {peer})",
        "该居民用户的用电形态接近一般工商业（得分{value}，同台区同类用户为{peer}）",
    )
)
register(
    FeatureSpec(
        "kwh_change_after_contract_change",
        FAMILY,
        "mean daily kWh in the 60 days after the last tariff, capacity or multiplier change order / "
        "the 60 days before - 1",
        "最近一次改类、增减容或倍率变更后60天日均电量相对变更前60天的变化",
        "ratio",
        "low",
        "consumption changed by {value} after the last tariff/capacity/multiplier change (peers: {peer})",
        "最近一次改类/增减容/倍率变更后用电量变化{value}，同台区同类用户为{peer}",
    )
)
register(
    FeatureSpec(
        "days_since_contract_change",
        FAMILY,
        "days since the last tariff, capacity or multiplier change order",
        "距最近一次改类、增减容或倍率变更的天数",
        "days",
        "low",
        "the last tariff/capacity/multiplier change was {value} days ago (peers: {peer})",
        "最近一次改类/增减容/倍率变更在{value}天前，同台区同类用户为{peer}",
    )
)


def _contract_change_dates(ctx: FeatureContext) -> np.ndarray:
    """Date of each customer's last tariff/capacity/multiplier change (completion, else creation)."""
    orders = ctx.table("work_orders")
    index = ctx.customer_index
    if orders is None or orders.empty:
        return last_event_per_customer(None, "customer_id", "date", index)
    changed_multiplier = pd.Series(False, index=orders.index)
    if {"multiplier_before", "multiplier_after"} <= set(orders.columns):
        before = pd.to_numeric(orders["multiplier_before"], errors="coerce")
        after = pd.to_numeric(orders["multiplier_after"], errors="coerce")
        changed_multiplier = (before != after) & before.notna() & after.notna()
    relevant = orders.loc[orders["kind"].isin(CHANGE_ORDER_KINDS) | changed_multiplier]
    # the day of the change (orders carry times of day; a change late on the last day is that day)
    when = (
        pd.to_datetime(relevant["completed_at"]).fillna(pd.to_datetime(relevant["created_at"])).dt.normalize()
    )
    events = pd.DataFrame({"customer_id": relevant["customer_id"], "date": when})
    return last_event_per_customer(events, "customer_id", "date", index)


def _log_profile(level: np.ndarray, week_ratio: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """log(1 + mean daily kWh) and log(weekday/weekend ratio): the profile compared with groups."""
    with np.errstate(divide="ignore", invalid="ignore"):
        log_level = np.log1p(level)
        log_ratio = np.where(week_ratio > 0, np.log(week_ratio), np.nan)
    return log_level, log_ratio


def commercial_likeness(category: np.ndarray, log_level: np.ndarray, log_ratio: np.ndarray) -> np.ndarray:
    """Distance to the residential medians minus distance to the commercial ones (residential only).

    The medians are taken over the rows given: the whole company in pass 2 of the build.
    """
    category = np.asarray(category).astype(str)

    def medians(group: str) -> tuple[float, float]:
        members = category == group
        if not members.any():
            return np.nan, np.nan
        return float(nan_median(log_level[members])), float(nan_median(log_ratio[members]))

    res_level, res_ratio = medians("residential")
    com_level, com_ratio = medians("commercial")
    to_res = np.abs(log_level - res_level) + np.abs(log_ratio - res_ratio)
    to_com = np.abs(log_level - com_level) + np.abs(log_ratio - com_ratio)
    return np.where(category == "residential", to_res - to_com, np.nan)


LIKENESS_INPUTS = (group_input("log_kwh_3m"), group_input("log_weekday_weekend_ratio_3m"))


def capacity_tariff_group_features(frame: pd.DataFrame, customers: pd.DataFrame) -> pd.DataFrame | None:
    """Pass 2: the commercial likeness over every customer (``customers`` aligned with ``frame``)."""
    if not set(LIKENESS_INPUTS) <= set(frame.columns):
        return None
    log_level, log_ratio = (frame[name].to_numpy(dtype=float) for name in LIKENESS_INPUTS)
    likeness = commercial_likeness(customers["tariff_category"].astype(str).to_numpy(), log_level, log_ratio)
    return pd.DataFrame({"residential_commercial_likeness": likeness}, index=frame.index)


def capacity_tariff_features(ctx: FeatureContext, min_days: int = 7) -> pd.DataFrame | None:
    """Load against capacity, commercial-looking residential accounts, change after contract change."""
    index = ctx.customer_index
    n = len(index)
    capacity = (
        pd.to_numeric(ctx.customers["contract_capacity_kva"], errors="coerce").to_numpy(dtype=float)
        if "contract_capacity_kva" in ctx.customers.columns
        else np.full(n, np.nan)
    )
    change_dates = _contract_change_dates(ctx)
    days_since = (
        (np.datetime64(ctx.as_of_end.to_datetime64(), "ns") - change_dates).astype("timedelta64[D]")
    ).astype(float)
    days_since[np.isnat(change_dates)] = np.nan
    out: dict[str, np.ndarray] = {"days_since_contract_change": days_since}

    curve = ctx.curve
    if curve is None:
        for name in (
            "load_factor_3m",
            "peak_day_load_factor_3m",
            "residential_commercial_likeness",
            "kwh_change_after_contract_change",
        ):
            out[name] = np.full(n, np.nan)
        return pd.DataFrame(out, index=index)

    window = curve.last_days(LOAD_WINDOW_DAYS, ctx.as_of_end)
    mean_kwh = nan_mean(window, min_count=min_days)
    peak_kwh = np.where(
        np.isnan(mean_kwh), np.nan, np.nanmax(np.where(np.isnan(window), -np.inf, window), axis=1)
    )
    out["load_factor_3m"] = safe_ratio(mean_kwh / 24.0, capacity)
    out["peak_day_load_factor_3m"] = safe_ratio(peak_kwh / 24.0, capacity)

    dates = pd.date_range(end=ctx.as_of_end, periods=LOAD_WINDOW_DAYS, freq="D")
    weekend = np.asarray(dates.day_of_week >= 5)
    week_ratio = safe_ratio(
        nan_mean(window[:, ~weekend], min_count=min_days), nan_mean(window[:, weekend], min_count=min_days)
    )
    log_level, log_ratio = _log_profile(mean_kwh, week_ratio)
    if ctx.group_pass:  # the company-wide medians are taken in pass 2 (groups.py)
        out["residential_commercial_likeness"] = np.full(n, np.nan)
        out.update(zip(LIKENESS_INPUTS, (log_level, log_ratio), strict=True))
    else:
        category = ctx.customers["tariff_category"].astype(str).to_numpy()
        out["residential_commercial_likeness"] = commercial_likeness(category, log_level, log_ratio)

    before, after = event_window_means(curve, change_dates, CHANGE_WINDOW_DAYS)
    out["kwh_change_after_contract_change"] = safe_ratio(after, before) - 1.0
    return pd.DataFrame(out, index=index)
