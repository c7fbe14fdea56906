"""Vectorised window arithmetic over the dense daily curve and over long event tables.

Shared by the curve-history, capacity/tariff, inspection-history and line-loss families. Every
function works on whole matrices (customers x days) at once; NaN means "not collected" and is
never read as zero. A "month" of the curve is a block of ``block_days`` (30) days ending on the
as-of day, so windows do not depend on calendar month lengths.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .context import CurveMatrix

BLOCK_DAYS = 30


def nan_mean(values: np.ndarray, axis: int = -1, min_count: int = 1) -> np.ndarray:
    """Mean of the non-missing values; NaN where fewer than ``min_count`` exist (no warnings)."""
    valid = ~np.isnan(values)
    count = valid.sum(axis=axis)
    total = np.where(valid, values, 0.0).sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = total / count
    return np.where(count >= max(min_count, 1), out, np.nan)


def nan_median(values: np.ndarray, axis: int = -1) -> np.ndarray:
    """``np.nanmedian`` without the all-NaN warning (all-NaN rows give NaN)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmedian(values, axis=axis)


def safe_ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator, NaN where the denominator is zero, negative or missing."""
    numerator = np.asarray(numerator, dtype=float)
    denominator = np.asarray(denominator, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = numerator / denominator
    return np.where(denominator > 0, out, np.nan)


def block_means(
    curve: CurveMatrix,
    end: pd.Timestamp,
    n_blocks: int,
    block_days: int = BLOCK_DAYS,
    min_days: int = 1,
) -> np.ndarray:
    """Mean daily kWh per block of ``block_days`` days, oldest first, the last block ending on ``end``.

    Shape (customers, n_blocks); a block with fewer than ``min_days`` collected days is NaN.
    """
    window = curve.last_days(n_blocks * block_days, end)
    blocks = window.reshape(window.shape[0], n_blocks, block_days)
    return nan_mean(blocks, axis=2, min_count=min_days)


def longest_run(mask: np.ndarray) -> np.ndarray:
    """Length of the longest run of True along each row (0 where none)."""
    if mask.shape[1] == 0:
        return np.zeros(mask.shape[0])
    counts = np.cumsum(mask, axis=1)
    # at every False position remember the count so far; runs restart after it
    reset = np.maximum.accumulate(np.where(~mask, counts, 0), axis=1)
    return (counts - reset).max(axis=1).astype(float)


def event_window_means(
    curve: CurveMatrix, event_dates: np.ndarray, days: int = 60, min_days: int = 7
) -> tuple[np.ndarray, np.ndarray]:
    """Mean daily kWh in the ``days`` before and the ``days`` from each row's event date on.

    ``event_dates`` holds one datetime64 per curve row (NaT = no event). The "after" window is
    cut at the end of the curve, which is already cut at the as-of month. NaN where a window
    has fewer than ``min_days`` collected days (a change two days before the month's end says
    nothing yet).
    """
    n = len(curve.customer_ids)
    before = np.full(n, np.nan)
    after = np.full(n, np.nan)
    events = pd.DatetimeIndex(event_dates)
    has = ~events.isna()
    if not has.any() or len(curve.dates) == 0:
        return before, after
    rows = np.flatnonzero(has)
    values = curve.values[rows]
    valid = ~np.isnan(values)
    zeros = np.zeros((len(rows), 1))
    csum = np.concatenate([zeros, np.cumsum(np.where(valid, values, 0.0), axis=1)], axis=1)
    ccount = np.concatenate([zeros, np.cumsum(valid, axis=1)], axis=1)
    n_days = len(curve.dates)
    idx = curve.dates.searchsorted(events[has].normalize(), side="left")
    lo = np.clip(idx - days, 0, n_days)
    mid = np.clip(idx, 0, n_days)
    hi = np.clip(idx + days, 0, n_days)
    local = np.arange(len(rows))

    def mean_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        count = ccount[local, b] - ccount[local, a]
        total = csum[local, b] - csum[local, a]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(count >= max(min_days, 1), total / count, np.nan)

    before[rows] = mean_between(lo, mid)
    after[rows] = mean_between(mid, hi)
    return before, after


def last_event_per_customer(
    frame: pd.DataFrame, id_column: str, date_column: str, index: pd.Index
) -> np.ndarray:
    """Latest ``date_column`` per customer, aligned with ``index`` (NaT where none)."""
    if frame is None or frame.empty:
        return np.full(len(index), np.datetime64("NaT"), dtype="datetime64[ns]")
    dates = pd.to_datetime(frame[date_column])
    latest = dates.groupby(frame[id_column].astype(str)).max()
    return latest.reindex(index).to_numpy(dtype="datetime64[ns]")


def months_between(earlier: np.ndarray | pd.Series, later: pd.Timestamp) -> np.ndarray:
    """Elapsed months (days / 30.4375) from each earlier date to ``later``; NaN where unknown."""
    earlier = pd.to_datetime(pd.Series(earlier))
    return ((later - earlier).dt.days / 30.4375).to_numpy(dtype=float)


def month_window(dates: pd.Series, as_of: pd.Period, n_months: int) -> pd.Series:
    """True for dates in the ``n_months`` calendar months ending with the as-of month."""
    months = pd.to_datetime(dates).dt.to_period("M")
    return (months > as_of - n_months) & (months <= as_of)


def row_positions(index: pd.Index, ids: pd.Series) -> np.ndarray:
    """Row of each id in ``index`` (-1 where the id is not a customer of this build)."""
    return index.get_indexer(ids.astype(str))


def sum_by_row(positions: np.ndarray, n_rows: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Per row: how many entries point at it (or the sum of their ``weights``; NaN weights count 0)."""
    keep = positions >= 0
    w = None if weights is None else np.nan_to_num(np.asarray(weights, dtype=float)[keep])
    return np.bincount(positions[keep], weights=w, minlength=n_rows).astype(float)


def latest_by_row(positions: np.ndarray, n_rows: int, dates: pd.Series) -> np.ndarray:
    """Per row: the latest of its dates as datetime64[ns] (NaT where none)."""
    days = pd.to_datetime(pd.Series(dates)).dt.normalize().to_numpy(dtype="datetime64[ns]").astype("int64")
    keep = (positions >= 0) & (days != np.iinfo("int64").min)
    latest = np.full(n_rows, np.iinfo("int64").min)
    np.maximum.at(latest, positions[keep], days[keep])
    return latest.astype("datetime64[ns]")
