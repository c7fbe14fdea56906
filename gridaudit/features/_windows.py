"""Vectorised window arithmetic over the dense daily curve and over long event tables.

Shared by the curve-history, capacity/tariff, inspection-history and line-loss families. Every
function works on whole matrices (customers x days) at once; NaN means "not collected" and is
never read as zero. A "month" of the curve is a block of ``block_days`` (30) days ending on the
as-of day, so windows do not depend on calendar month lengths.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from .context import CurveMatrix

BLOCK_DAYS = 30
# Customers per pass over the curve: the temporaries of a pass (customers x days floats) then stay
# around 10 MB, which the allocator reuses and the cache holds; 50 MB ones are mapped and faulted
# in afresh each time, and 20,000 customers took three times as long per customer as 5,000.
ROW_CHUNK = 4096


def by_row_chunks(
    curve: CurveMatrix, features: Callable[[CurveMatrix], pd.DataFrame], rows: int = ROW_CHUNK
) -> pd.DataFrame:
    """``features`` of ``rows`` customers at a time, stacked (each row's numbers depend on its row only)."""
    n = len(curve.customer_ids)
    if n <= rows:
        return features(curve)
    parts = [
        features(CurveMatrix(curve.values[lo : lo + rows], curve.dates, curve.customer_ids[lo : lo + rows]))
        for lo in range(0, n, rows)
    ]
    return pd.concat(parts, ignore_index=True)


def nan_mean(values: np.ndarray, axis: int = -1, min_count: int = 1) -> np.ndarray:
    """Mean of the non-missing values; NaN where fewer than ``min_count`` exist (no warnings)."""
    valid = ~np.isnan(values)
    count = valid.sum(axis=axis)
    total = np.where(valid, values, 0.0).sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = total / count
    return np.where(count >= max(min_count, 1), out, np.nan)


def nan_median(values: np.ndarray, axis: int = -1) -> np.ndarray:
    """``np.nanmedian``'s numbers (all-NaN rows give NaN), without its loop over rows or warnings.

    Each row is sorted once, NaN last; the median is the mean of the two middle known values
    (one value twice for an odd count), as numpy computes it.
    """
    values = np.moveaxis(np.asarray(values, dtype=float), axis, -1)
    ordered = np.sort(values, axis=-1)
    n = (~np.isnan(values)).sum(axis=-1)
    if values.shape[-1] == 0:
        return np.full(n.shape, np.nan)
    low = np.take_along_axis(ordered, np.maximum((n - 1) // 2, 0)[..., None], axis=-1)[..., 0]
    high = np.take_along_axis(ordered, (n // 2)[..., None], axis=-1)[..., 0]
    with np.errstate(invalid="ignore"):
        return np.where(n > 0, (low + high) / 2, np.nan)


def safe_ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator, NaN where the denominator is zero, negative or missing."""
    numerator = np.asarray(numerator, dtype=float)
    denominator = np.asarray(denominator, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = numerator / denominator
    return np.where(denominator > 0, out, np.nan)


def block_totals(
    curve: CurveMatrix, end: pd.Timestamp, n_blocks: int, block_days: int = BLOCK_DAYS
) -> tuple[np.ndarray, np.ndarray]:
    """Summed kWh and collected days per block of ``block_days`` days, oldest first, the last
    block ending on ``end``; each of shape (customers, n_blocks).

    Only blocks that overlap the curve's days are read: a year of data asked for two years of
    blocks reads one.
    """
    n = len(curve.customer_ids)
    sums = np.zeros((n, n_blocks))
    counts = np.zeros((n, n_blocks), dtype=np.int64)
    if len(curve.dates) == 0 or n_blocks == 0:
        return sums, counts
    first = end - pd.Timedelta(days=n_blocks * block_days - 1)
    lo = max(0, (curve.dates[0] - first).days // block_days)
    hi = min(n_blocks, (curve.dates[-1] - first).days // block_days + 1)
    if hi <= lo:
        return sums, counts
    last_day = first + pd.Timedelta(days=hi * block_days - 1)
    blocks = curve.last_days((hi - lo) * block_days, last_day).reshape(n, hi - lo, block_days)
    valid = ~np.isnan(blocks)
    counts[:, lo:hi] = valid.sum(axis=2)
    sums[:, lo:hi] = np.where(valid, blocks, 0.0).sum(axis=2)
    return sums, counts


def means_of(sums: np.ndarray, counts: np.ndarray, min_count: int = 1) -> np.ndarray:
    """sums / counts, NaN where fewer than ``min_count`` (at least 1) values were summed."""
    with np.errstate(invalid="ignore", divide="ignore"):
        out = sums / counts
    return np.where(counts >= max(min_count, 1), out, np.nan)


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
    return means_of(*block_totals(curve, end, n_blocks, block_days), min_count=min_days)


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
    """Per row: how many entries point at it (or the sum of their ``weights``; NaN weights count 0).

    Weights are added smallest first within each row, so the order of the table's rows (a
    bucket's read against the whole table's) cannot change the last digit of a sum.
    """
    keep = positions >= 0
    if weights is None:
        return np.bincount(positions[keep], minlength=n_rows).astype(float)
    rows = positions[keep]
    w = np.nan_to_num(np.asarray(weights, dtype=float)[keep])
    order = np.lexsort((w, rows))
    return np.bincount(rows[order], weights=w[order], minlength=n_rows).astype(float)


def latest_by_row(positions: np.ndarray, n_rows: int, dates: pd.Series) -> np.ndarray:
    """Per row: the latest of its dates as datetime64[ns] (NaT where none)."""
    days = pd.to_datetime(pd.Series(dates)).dt.normalize().to_numpy(dtype="datetime64[ns]").astype("int64")
    keep = (positions >= 0) & (days != np.iinfo("int64").min)
    latest = np.full(n_rows, np.iinfo("int64").min)
    np.maximum.at(latest, positions[keep], days[keep])
    return latest.astype("datetime64[ns]")
