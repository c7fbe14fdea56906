"""Consumption figures the list needs: mean daily kWh (expected recovery) and the report's curves.

Both come from the daily curve matrix already cut at the as-of month (``FeatureContext.curve``),
so nothing after the as-of month is ever shown or used. Customers without a curve fall back to
their bills (kWh billed in the last 365 days / 365).
"""

from __future__ import annotations

import warnings
import zlib

import numpy as np
import pandas as pd

from ..features import FeatureContext
from .reasons import MIN_PEER_GROUP

CURVE_DAYS = 365
# Peers whose daily median the report draws beside a listed customer's curve (a stable sample).
# 300 members give a steady median and keep the rows read for the report small: the read is
# (peer groups of the listed) x 300 customers, whatever the size of the company.
PEER_CURVE_MEMBERS = 300


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


def _stable_sample(ids: np.ndarray, limit: int) -> np.ndarray:
    """At most ``limit`` of ``ids``: those with the smallest CRC-32 (ties by id), the same in
    every process and whatever order the ids come in."""
    if len(ids) <= limit:
        return np.sort(ids)
    hashes = np.fromiter((zlib.crc32(s.encode("utf-8")) for s in ids), dtype=np.int64, count=len(ids))
    return ids[np.lexsort((ids, hashes))[:limit]]


def peer_groups(
    features: pd.DataFrame, customer_ids: list[str], max_members: int | None = None
) -> tuple[list[tuple[str, str]], dict[tuple[str, str], np.ndarray]]:
    """The peer group of each listed customer and the customers whose daily median it shows.

    A group is the same tariff category in the same area (the whole category when that group is
    smaller than the peer minimum); at most ``max_members`` of its customers, picked by a stable
    hash of their id, enter the median, so the report's cost does not grow with the company.
    Returns (group key per listed customer, member ids per key).
    """
    max_members = PEER_CURVE_MEMBERS if max_members is None else max_members
    ids = features.index.astype(str).to_numpy()
    # codes: -1 where the category or area is unknown; such customers are nobody's peers
    tariff_codes, _ = pd.factorize(features["tariff_category"].astype(str))
    area_codes, areas = pd.factorize(features["area_id"].astype(str))
    known = (tariff_codes >= 0) & (area_codes >= 0)
    pair_codes = np.where(known, tariff_codes.astype(np.int64) * max(len(areas), 1) + area_codes, -1)
    pair_sizes = np.bincount(pair_codes[known], minlength=int(pair_codes.max(initial=-1)) + 1)
    position = pd.Index(ids).get_indexer(pd.Index(customer_ids, dtype="str"))
    tariff = features["tariff_category"].astype(str).to_numpy()
    area = features["area_id"].astype(str).to_numpy()
    keys: list[tuple[str, str]] = []
    wanted: dict[tuple[str, str], tuple[str, int]] = {}  # key -> ("pair" or "tariff", code)
    for row in position:
        key = (str(tariff[row]), str(area[row])) if row >= 0 else ("", "")
        keys.append(key)
        if key in wanted:
            continue
        if row < 0 or tariff_codes[row] < 0:
            wanted[key] = ("none", -1)
        elif pair_codes[row] < 0 or pair_sizes[pair_codes[row]] < MIN_PEER_GROUP:
            wanted[key] = ("tariff", int(tariff_codes[row]))
        else:
            wanted[key] = ("pair", int(pair_codes[row]))
    by_pair = np.argsort(pair_codes, kind="stable")
    by_tariff = np.argsort(tariff_codes, kind="stable")
    members: dict[tuple[str, str], np.ndarray] = {}
    for key, (level, code) in wanted.items():
        if level == "none":
            members[key] = np.array([], dtype=object)
            continue
        codes, order = (pair_codes, by_pair) if level == "pair" else (tariff_codes, by_tariff)
        sorted_codes = codes[order]
        lo, hi = np.searchsorted(sorted_codes, code, "left"), np.searchsorted(sorted_codes, code, "right")
        members[key] = _stable_sample(ids[order[lo:hi]], max_members)
    return keys, members


def peer_curve_ids(features: pd.DataFrame, customer_ids: list[str]) -> list[str]:
    """Every customer whose curve the listed customers' report needs: themselves and their peers."""
    _, members = peer_groups(features, customer_ids)
    needed = set(map(str, customer_ids))
    for ids in members.values():
        needed.update(map(str, ids))
    return sorted(needed)


def target_curves(
    ctx: FeatureContext, features: pd.DataFrame, customer_ids: list[str], days: int = CURVE_DAYS
) -> pd.DataFrame:
    """Long frame (customer_id, date, kwh, peer_kwh) for the listed customers over the last
    ``days`` days; peer_kwh is the daily median of the same tariff category in the same area
    (the whole category when that group is smaller than the peer minimum), over at most
    ``PEER_CURVE_MEMBERS`` of its customers (see ``peer_groups``).

    ``ctx`` needs the curves of the listed customers and of their peers only
    (``peer_curve_ids``); ``features`` gives everyone's tariff category and area.
    """
    columns = {"customer_id": "str", "date": "datetime64[ms]", "kwh": "float64", "peer_kwh": "float64"}
    if ctx.curve is None or not len(ctx.curve.dates) or not customer_ids:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns.items()})
    window = ctx.curve.last_days(days, ctx.as_of_end)
    dates = pd.date_range(ctx.as_of_end - pd.Timedelta(days=days - 1), ctx.as_of_end, freq="D")
    curve_ids = pd.Index(ctx.curve.customer_ids).astype(str)
    row_of = curve_ids.get_indexer(pd.Index(customer_ids, dtype="str"))
    keys, members = peer_groups(features, customer_ids)
    peer_curve: dict[tuple[str, str], np.ndarray] = {}
    for key, ids in members.items():
        rows = curve_ids.get_indexer(pd.Index(ids, dtype="str"))
        rows = np.sort(rows[rows >= 0])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            peer_curve[key] = np.nanmedian(window[rows], axis=0) if len(rows) else np.full(days, np.nan)
    parts = []
    for cid, row, key in zip(customer_ids, row_of, keys, strict=True):  # one per listed target
        own = window[row] if row >= 0 else np.full(days, np.nan)
        parts.append(pd.DataFrame({"customer_id": cid, "date": dates, "kwh": own, "peer_kwh": peer_curve[key]}))
    out = pd.concat(parts, ignore_index=True)
    return out.astype(columns)
