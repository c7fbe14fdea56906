"""Feature family: does the customer's daily curve move with its peers' curve?

Neighbours of the same tariff category live under the same weather, holidays and working week,
so their daily consumption rises and falls together. A bypassed or tampered meter records
something else -- a flat line, a level cut on random days -- and the customer's curve stops
following the group's. The feature is the Pearson correlation of the customer's last
``WINDOW_DAYS`` daily kWh with the mean daily curve of its peers (the customer itself left out),
over the days both have data, for two peer groups: the same tariff category in the same area
(台区), and in the whole company.

The peer curve is a statistic over everyone, so it is computed in pass 2 (``groups.py``): pass 1
hands each customer's window over as group inputs (float32: 360 bytes a customer). Group totals
are added in integer micro-kWh, which is exact, so they do not depend on the order the customers
are added in.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .context import FeatureContext
from .groups import group_input
from .registry import FeatureSpec, register

FAMILY = "curve_peers"
WINDOW_DAYS = 90
MIN_SHARED_DAYS = 14  # days with both the customer's and the peer curve's value
MIN_PEERS = 3  # other accounts read on a day for that day's peer mean to count
FIXED_POINT = 1_000_000  # group totals in micro-kWh: int64 holds 9e12 kWh per group and day
# Pass 2 works this many customers at a time: about ten float64 copies of a chunk's window
# (8192 x 90 x 8 bytes = 6 MB each) instead of ten copies of everyone's (720 MB each at 1M).
CHUNK_ROWS = 8192
SCOPES = {
    "area": ("of the same tariff category in the same area", "同台区同类用户"),
    "company": ("of the same tariff category in the whole company", "全公司同类用户"),
}


def feature_name(scope: str) -> str:
    return f"curve_peer_corr_{scope}_{WINDOW_DAYS}d"


for _scope, (_en, _zh) in SCOPES.items():
    register(
        FeatureSpec(
            feature_name(_scope),
            FAMILY,
            f"correlation of daily kWh over the last {WINDOW_DAYS} days with the mean daily curve of "
            f"the other accounts {_en}",
            f"近{WINDOW_DAYS}天日电量曲线与{_zh}（不含本户）平均日电量曲线的相关系数",
            "score",
            "low",
            f"daily consumption moves unlike the other accounts {_en} "
            f"(correlation {{value}}; peers {{peer}})",
            f"日用电量走势与{_zh}不一致（相关系数{{value}}，同台区同类用户为{{peer}}）",
        )
    )

WINDOW_INPUTS = [group_input(f"curve_peers_day_{day:02d}") for day in range(WINDOW_DAYS)]


def group_codes(*keys: pd.Series) -> np.ndarray:
    """One int code per distinct combination of the keys; -1 where any key is missing."""
    missing = np.zeros(len(keys[0]), dtype=bool)
    for key in keys:
        missing |= key.isna().to_numpy()
    codes, _ = pd.MultiIndex.from_arrays([key.astype("string") for key in keys]).factorize()
    return np.where(missing, -1, codes).astype(np.int64)


def _fixed_point(window: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows of kWh as float64 (C order), whether each day was read, and the day's micro-kWh (0 if not)."""
    # rows contiguous: numpy sums a row of a column-major array in another order (another last
    # digit), and pass 2 gets either layout depending on how the partial frames were put together
    window = np.ascontiguousarray(window, dtype=float)
    known = np.isfinite(window)
    fixed = np.where(known, np.rint(np.where(known, window, 0.0) * FIXED_POINT), 0.0).astype(np.int64)
    return window, known, fixed


def _row_chunks(n_rows: int, chunk_rows: int) -> list[slice]:
    return [slice(start, min(start + chunk_rows, n_rows)) for start in range(0, n_rows, max(chunk_rows, 1))]


def _group_day_totals(
    window: np.ndarray, codes: np.ndarray, chunk_rows: int = CHUNK_ROWS
) -> tuple[np.ndarray, np.ndarray]:
    """Per group code and day: summed micro-kWh and number of accounts read (rows with code >= 0).

    Added ``chunk_rows`` rows at a time: integer sums are exact, so the totals are the same for
    any chunking, and memory holds one chunk's fixed-point copy instead of everyone's.
    """
    n_groups = int(codes.max()) + 1 if len(codes) and codes.max() >= 0 else 0
    sums = np.zeros((n_groups, window.shape[1]), dtype=np.int64)
    counts = np.zeros((n_groups, window.shape[1]), dtype=np.int64)
    for chunk in _row_chunks(len(window), chunk_rows):
        part = codes[chunk]
        rows = np.flatnonzero(part >= 0)
        if len(rows) == 0:
            continue
        _, known, fixed = _fixed_point(window[chunk])
        order = rows[np.argsort(part[rows], kind="stable")]
        ordered = part[order]
        starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
        sums[ordered[starts]] += np.add.reduceat(fixed[order], starts, axis=0)
        counts[ordered[starts]] += np.add.reduceat(known[order].astype(np.int64), starts, axis=0)
    return sums, counts


def row_correlation(x: np.ndarray, y: np.ndarray, use: np.ndarray, min_days: int) -> np.ndarray:
    """Pearson correlation of each row of ``x`` with the same row of ``y`` over the ``use`` days.

    NaN where fewer than ``min_days`` days are used or either side is flat on them.
    """
    n = use.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        x_mean = np.where(use, x, 0.0).sum(axis=1) / n
        y_mean = np.where(use, y, 0.0).sum(axis=1) / n
        dx = np.where(use, x - x_mean[:, None], 0.0)
        dy = np.where(use, y - y_mean[:, None], 0.0)
        r = (dx * dy).sum(axis=1) / np.sqrt((dx**2).sum(axis=1) * (dy**2).sum(axis=1))

    def flat(v: np.ndarray) -> np.ndarray:
        # exact test: a mean of equal floats need not equal them, so compare the extremes
        top = np.where(use, v, -np.inf).max(axis=1, initial=-np.inf)
        bottom = np.where(use, v, np.inf).min(axis=1, initial=np.inf)
        return top == bottom

    bad = (n < max(min_days, 2)) | flat(x) | flat(y)
    return np.where(bad, np.nan, np.clip(r, -1.0, 1.0))


def peer_curve_correlation(
    window: np.ndarray,
    codes: np.ndarray,
    min_peers: int = MIN_PEERS,
    min_days: int = MIN_SHARED_DAYS,
    chunk_rows: int = CHUNK_ROWS,
) -> np.ndarray:
    """Each row's correlation with the mean curve of the other rows of its group code.

    ``window``: customers x days kWh (NaN = not collected, float32 or float64); ``codes``: group
    per row, -1 = none. A day enters a row's correlation when the row was read and at least
    ``min_peers`` others of its group were. Rows are worked ``chunk_rows`` at a time (each row's
    value depends only on its own row and the group totals), so pass 2 over a million customers
    holds a few float64 copies of one chunk, not of everyone's window.
    """
    codes = np.asarray(codes, dtype=np.int64)
    sums, counts = _group_day_totals(window, codes, chunk_rows)
    out = np.full(len(window), np.nan)
    if sums.shape[0] == 0:
        return out
    for chunk in _row_chunks(len(window), chunk_rows):
        part, known, fixed = _fixed_point(window[chunk])
        group = np.maximum(codes[chunk], 0)
        peer_sum = sums[group] - fixed  # leave the customer itself out
        peer_count = counts[group] - known
        use = known & (peer_count >= max(min_peers, 1)) & (codes[chunk] >= 0)[:, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            peer_mean = peer_sum / (peer_count * float(FIXED_POINT))
        out[chunk] = row_correlation(part, peer_mean, use, min_days)
    return out


def peer_correlations(window: np.ndarray, customers: pd.DataFrame, **kwargs) -> pd.DataFrame:
    """Both scopes' correlations for the customers given (rows of ``window`` in their order)."""
    category = customers["tariff_category"].reset_index(drop=True)
    area = customers["area_id"].reset_index(drop=True)
    scopes = {"area": group_codes(category, area), "company": group_codes(category)}
    return pd.DataFrame(
        {
            feature_name(scope): peer_curve_correlation(window, codes, **kwargs)
            for scope, codes in scopes.items()
        }
    )


def curve_peers_group_features(frame: pd.DataFrame, customers: pd.DataFrame) -> pd.DataFrame | None:
    """Pass 2: the correlations over every customer (``customers`` aligned with ``frame``)."""
    if WINDOW_INPUTS[0] not in frame.columns:
        return None
    # float32 as pass 1 handed it over (exact: the values were float32 there); each chunk is
    # widened to float64 on its own
    window = frame[WINDOW_INPUTS].to_numpy(dtype=np.float32)
    return peer_correlations(window, customers).set_axis(frame.index)


def curve_peers_features(ctx: FeatureContext) -> pd.DataFrame | None:
    """Placeholders plus each customer's window for pass 2; the values themselves outside it."""
    curve = ctx.curve
    if curve is None:
        return None
    # float32 halves what pass 2 holds (90 numbers a customer); 7 digits are plenty for a correlation
    window = curve.last_days(WINDOW_DAYS, ctx.as_of_end).astype(np.float32)
    index = ctx.customer_index
    if not ctx.group_pass:  # ctx.customers is the whole company
        return peer_correlations(window, ctx.customers).set_axis(index)
    out = pd.DataFrame(np.nan, index=index, columns=[feature_name(s) for s in SCOPES])
    inputs = pd.DataFrame(window, index=index, columns=WINDOW_INPUTS)
    return pd.concat([out, inputs], axis=1)
