"""Feature family: the area's line loss (台区线损) and the account's part in it.

Energy that enters an area but is never billed is either technical loss or theft. A rising loss
rate, together with one account whose consumption fell by as much as the area's, points at that
account. Loss rate = (supplied - billed) / supplied per area and month.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._windows import BLOCK_DAYS, block_means, nan_mean, safe_ratio
from .context import FeatureContext
from .groups import group_input, group_sum_and_count
from .registry import FeatureSpec, register

FAMILY = "line_loss"
RECENT_MONTHS = 3
HISTORY_MONTHS = 12


def _spec(name, meaning_en, meaning_zh, unit, risky, reason_en, reason_zh) -> None:
    register(FeatureSpec(name, FAMILY, meaning_en, meaning_zh, unit, risky, reason_en, reason_zh))


_spec(
    "area_loss_rate_1m",
    "line loss rate of the account's area in the as-of month",
    "所在台区本月线损率",
    "ratio",
    "high",
    "the area lost {value} of its supplied energy this month (peers: {peer})",
    "所在台区本月线损率为{value}，同台区同类用户为{peer}",
)
_spec(
    "area_loss_rate_12m",
    "mean monthly line loss rate of the account's area over the last 12 months",
    "所在台区近12个月平均线损率",
    "ratio",
    "high",
    "the area lost {value} of its supplied energy on average over the last year (peers: {peer})",
    "所在台区近12个月平均线损率为{value}，同台区同类用户为{peer}",
)
_spec(
    "area_loss_rate_trend",
    "mean loss rate of the last 3 months minus the mean of the 12 months before",
    "所在台区近3个月平均线损率减去此前12个月平均线损率",
    "ratio",
    "high",
    "the area's line loss rose by {value} against the year before (peers: {peer})",
    "所在台区线损率较此前一年上升{value}，同台区同类用户为{peer}",
)
_spec(
    "area_consumption_drop_share",
    "the account's fall in mean daily kWh (last 90 days vs the 360 days before; 0 if it grew) over the "
    "summed fall of all accounts in its area",
    "该户近90天日均电量降幅占所在台区全部用户降幅之和的比例",
    "share",
    "high",
    "this account accounts for {value} of its area's fall in consumption (peers: {peer})",
    "该户用电量降幅占所在台区总降幅的{value}，同台区同类用户为{peer}",
)


def _area_loss_rates(ctx: FeatureContext) -> pd.DataFrame | None:
    """Per area: loss rate this month, 12-month mean, trend (3 months vs the 12 before)."""
    table = ctx.table("area_line_loss")
    if table is None:
        return None
    text = table["month"].astype(str)  # YYYY-MM; parsed as numbers, far faster than Periods
    age = (ctx.as_of.year - text.str[:4].astype(int)) * 12 + (ctx.as_of.month - text.str[5:7].astype(int))
    supplied = pd.to_numeric(table["supplied_kwh"], errors="coerce").to_numpy(dtype=float)
    billed = pd.to_numeric(table["billed_kwh"], errors="coerce").to_numpy(dtype=float)
    rates = pd.DataFrame(
        {
            "area_id": table["area_id"].astype(str).to_numpy(),
            "age": age.to_numpy(),  # months before the as-of month
            "rate": safe_ratio(supplied - billed, supplied),
        }
    )
    grid = rates.pivot_table(index="area_id", columns="age", values="rate", aggfunc="mean")
    grid = grid.reindex(columns=range(RECENT_MONTHS + HISTORY_MONTHS))
    values = grid.to_numpy(dtype=float)  # column k = k months before the as-of month
    return pd.DataFrame(
        {
            "area_loss_rate_1m": values[:, 0],
            "area_loss_rate_12m": nan_mean(values[:, :HISTORY_MONTHS]),
            "area_loss_rate_trend": nan_mean(values[:, :RECENT_MONTHS])
            - nan_mean(values[:, RECENT_MONTHS : RECENT_MONTHS + HISTORY_MONTHS]),
        },
        index=grid.index,
    )


def _consumption_drop(ctx: FeatureContext) -> np.ndarray:
    """Own fall in kWh/day: mean of the 360 days before the recent 90 minus the recent mean, >= 0."""
    curve = ctx.curve
    if curve is None:
        return np.full(len(ctx.customers), np.nan)
    recent = nan_mean(curve.last_days(RECENT_MONTHS * BLOCK_DAYS, ctx.as_of_end))
    history_end = ctx.as_of_end - pd.Timedelta(days=RECENT_MONTHS * BLOCK_DAYS)
    past = nan_mean(block_means(curve, history_end, HISTORY_MONTHS))
    # only falls count: an account that grew is 0, and the shares of an area sum to 1
    return np.clip(past - recent, 0.0, None)


def area_drop_share(drop: np.ndarray, area: np.ndarray) -> np.ndarray:
    """Each account's drop over the summed drop of its area (the rows given: everyone in pass 2)."""
    area_drop, _ = group_sum_and_count(np.nan_to_num(drop), area)
    return np.where(np.isnan(drop), np.nan, np.where(area_drop > 0, safe_ratio(drop, area_drop), 0.0))


DROP_INPUT = group_input("kwh_drop_90d_vs_360d")


def line_loss_group_features(frame: pd.DataFrame, customers: pd.DataFrame) -> pd.DataFrame | None:
    """Pass 2: the share of the area's drop, over every customer (``customers`` aligned with ``frame``)."""
    if DROP_INPUT not in frame.columns:
        return None
    share = area_drop_share(
        frame[DROP_INPUT].to_numpy(dtype=float), customers["area_id"].astype(str).to_numpy()
    )
    return pd.DataFrame({"area_consumption_drop_share": share}, index=frame.index)


def line_loss_features(ctx: FeatureContext) -> pd.DataFrame | None:
    """Area loss rates (where the table exists) and the account's share of its area's drop."""
    index = ctx.customer_index
    out = pd.DataFrame(index=index)
    rates = _area_loss_rates(ctx)
    if rates is not None:
        area = ctx.customers["area_id"].astype(str).to_numpy()
        aligned = rates.reindex(area)
        for column in rates.columns:
            out[column] = aligned[column].to_numpy()
    drop = _consumption_drop(ctx)
    if ctx.group_pass:  # the area's summed drop is taken over everyone in pass 2 (groups.py)
        out["area_consumption_drop_share"] = np.nan
        out[DROP_INPUT] = drop
    else:
        out["area_consumption_drop_share"] = area_drop_share(
            drop, ctx.customers["area_id"].astype(str).to_numpy()
        )
    return out
