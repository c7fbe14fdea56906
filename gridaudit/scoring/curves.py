"""Consumption figures the list needs: mean daily kWh (expected recovery) and the report's curves.

Both come from the daily curve matrix already cut at the as-of month (``FeatureContext.curve``),
so nothing after the as-of month is ever shown or used. Customers without a curve fall back to
their bills (kWh billed in the last 365 days / 365).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..features import FeatureContext
from .reasons import MIN_PEER_GROUP

CURVE_DAYS = 365


def _nanmean_rows(values: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows -> NaN, on purpose
        return np.nanmean(values, axis=1) if values.shape[1] else np.full(values.shape[0], np.nan)


def mean_daily_kwh(ctx: FeatureContext, days: int = CURVE_DAYS) -> pd.Series:
    """Mean daily kWh over the last ``days`` days to the as-of month's end, per customer."""
    index = ctx.customer_index
    out = pd.Series(np.nan, index=index, dtype="float64")
    if ctx.curve is not None and len(ctx.curve.dates):
        window = ctx.curve.last_days(days, ctx.as_of_end)
        out = pd.Series(_nanmean_rows(window), index=pd.Index(ctx.curve.customer_ids, name="customer_id"))
        out = out.reindex(index)
    bills = ctx.table("bills")
    if bills is not None and len(bills) and out.isna().any():
        first = ctx.as_of_end - pd.Timedelta(days=days - 1)
        recent = bills.loc[pd.to_datetime(bills["read_date"]) >= first]
        billed = recent.groupby(recent["customer_id"].astype(str))["kwh_billed"].sum() / days
        out = out.fillna(billed.reindex(index))
    return out


def target_curves(
    ctx: FeatureContext, features: pd.DataFrame, customer_ids: list[str], days: int = CURVE_DAYS
) -> pd.DataFrame:
    """Long frame (customer_id, date, kwh, peer_kwh) for the listed customers over the last
    ``days`` days; peer_kwh is the daily median of the same tariff category in the same area
    (the whole category when that group is smaller than the peer minimum)."""
    columns = {"customer_id": "str", "date": "datetime64[ms]", "kwh": "float64", "peer_kwh": "float64"}
    if ctx.curve is None or not len(ctx.curve.dates) or not customer_ids:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns.items()})
    window = ctx.curve.last_days(days, ctx.as_of_end)
    dates = pd.date_range(ctx.as_of_end - pd.Timedelta(days=days - 1), ctx.as_of_end, freq="D")
    row_of = pd.Index(ctx.curve.customer_ids).get_indexer(pd.Index(customer_ids))
    tariff = features["tariff_category"].astype(str).reindex(ctx.curve.customer_ids).to_numpy()
    area = features["area_id"].astype(str).reindex(ctx.curve.customer_ids).to_numpy()
    peer_cache: dict[tuple[str, str], np.ndarray] = {}
    parts = []
    for cid, row in zip(customer_ids, row_of, strict=True):  # one per listed target
        own = window[row] if row >= 0 else np.full(days, np.nan)
        key = (tariff[row], area[row]) if row >= 0 else ("", "")
        if key not in peer_cache:
            members = (tariff == key[0]) & (area == key[1])
            if members.sum() < MIN_PEER_GROUP:
                members = tariff == key[0]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                peer_cache[key] = (
                    np.nanmedian(window[members], axis=0) if members.any() else np.full(days, np.nan)
                )
        parts.append(
            pd.DataFrame({"customer_id": cid, "date": dates, "kwh": own, "peer_kwh": peer_cache[key]})
        )
    out = pd.concat(parts, ignore_index=True)
    return out.astype(columns)
