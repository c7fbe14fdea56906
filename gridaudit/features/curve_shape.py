"""Feature family: curve_shape -- the shape of each customer's recent daily curve, no history needed.

Uses the last 365 days at most of the curve cut at the as-of month (works from a few days up:
the SGCC reduced release has 26). Statistics run over non-missing days only; a missing day is
"not collected", never zero. Rows that are all zero or all missing give NaN where a statistic
is undefined, without numpy warnings (the arithmetic is done on explicit counts).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._windows import by_row_chunks
from .context import CurveMatrix, FeatureContext
from .registry import FeatureSpec, register

FAMILY = "curve_shape"
WINDOW_DAYS = 365
LAST_WEEK_DAYS = 7
LOW_DAY_SHARE_OF_MEDIAN = 0.1
MIN_PAIRS_FOR_AUTOCORR = 3

_FEATURES = [
    ("curve_mean_kwh", "kwh_per_day", "low", "mean daily kWh", "日均电量",
     "uses {value} kWh per day (peers {peer})", "日均用电{value}千瓦时（同类用户{peer}）"),
    ("curve_std_kwh", "kwh_per_day", "either", "standard deviation of daily kWh", "日电量标准差",
     "daily use varies by {value} kWh", "日电量波动{value}千瓦时"),
    ("curve_max_kwh", "kwh_per_day", "either", "highest daily kWh", "最大日电量",
     "highest day {value} kWh", "最大日电量{value}千瓦时"),
    ("curve_min_kwh", "kwh_per_day", "low", "lowest daily kWh", "最小日电量",
     "lowest day {value} kWh", "最小日电量{value}千瓦时"),
    ("curve_cv", "ratio", "high", "coefficient of variation of daily kWh (std / mean)", "日电量变异系数",
     "daily use swings by {value} of its mean (peers {peer})", "日电量波动为均值的{value}（同类用户{peer}）"),
    ("curve_zero_share", "share", "high", "share of collected days with 0 kWh", "零电量天数占比",
     "0 kWh on {value} of days", "{value}的天数电量为0"),
    ("curve_missing_days", "days", "high", "days without a collected value", "未采集到电量的天数",
     "{value} days not collected", "有{value}天未采集到电量"),
    ("curve_missing_share", "share", "high", "share of days without a collected value", "未采集天数占比",
     "{value} of days not collected", "{value}的天数未采集到电量"),
    ("curve_longest_zero_run", "days", "high", "longest run of consecutive 0-kWh days", "最长连续零电量天数",
     "{value} days in a row at 0 kWh", "连续{value}天电量为0"),
    ("curve_zero_runs", "count", "high", "number of runs of 0-kWh days", "零电量区段数",
     "{value} separate spells of 0 kWh", "出现{value}段零电量"),
    ("curve_autocorr_lag1", "ratio", "low", "correlation of each day with the day before", "日电量一阶自相关",
     "day-to-day regularity {value}", "日电量前后相关性{value}"),
    ("curve_autocorr_lag7", "ratio", "low", "correlation of each day with the same weekday a week before",
     "日电量7日自相关", "weekly regularity {value}", "日电量周规律性{value}"),
    ("curve_skewness", "score", "either", "skewness of daily kWh", "日电量偏度",
     "most days below its average with a few much heavier days (skewness {value})"
     "|most days above its average with a few much lighter days (skewness -{value})",
     "多数日子用电低于本户平均、少数日子特别多（偏度{value}）"
     "|多数日子用电高于本户平均、少数日子特别少（偏度-{value}）"),
    ("curve_kurtosis", "score", "high", "excess kurtosis of daily kWh (spiky days)", "日电量峰度",
     "spiky daily use (kurtosis {value})", "日电量尖峰明显（峰度{value}）"),
    ("curve_last_week_ratio", "ratio", "low", "mean of the last 7 days over the window mean", "最近7天日均与整体日均之比",
     "the last week used {value} of the usual daily kWh", "最近一周日均电量为平时的{value}"),
    ("curve_max_jump_kwh", "kwh_per_day", "high", "largest change between consecutive days", "相邻两日最大电量变化",
     "use jumped by {value} kWh from one day to the next", "相邻两日电量最大变化{value}千瓦时"),
    ("curve_max_jump_ratio", "ratio", "high", "largest day-to-day change over the mean daily kWh",
     "相邻两日最大变化与日均电量之比", "use jumped by {value} of the daily mean from one day to the next",
     "相邻两日电量变化达日均的{value}"),
    ("curve_low_day_share", "share", "high", "share of days below 10% of the customer's median day",
     "低于本户日电量中位数10%的天数占比", "{value} of days far below the customer's usual use",
     "{value}的天数电量远低于本户平时水平"),
    ("curve_second_half_ratio", "ratio", "low", "mean of the window's second half over its first half",
     "后半段与前半段日均电量之比", "the second half used {value} of the first half",
     "后半段日均电量为前半段的{value}"),
    ("curve_repeat_share", "share", "high",
     "share of consecutive non-zero days with exactly the same kWh (a stuck or copied reading)",
     "相邻两日电量完全相同（非零）的占比（表计卡住或抄录照抄）",
     "the same non-zero kWh repeats on {value} of consecutive days",
     "{value}的相邻日电量完全相同且不为0"),
    ("curve_trend_slope", "ratio", "low",
     "linear trend of daily kWh over the window, as a share of the mean per 30 days",
     "窗口内日电量的线性趋势（每30天变化占日均的比例）",
     "daily use rises by {value} of its mean every 30 days|daily use falls by {value} of its mean every 30 days",
     "日电量每30天上升日均的{value}|日电量每30天下降日均的{value}"),
    ("curve_roughness", "ratio", "high", "mean day-to-day change over the mean daily kWh",
     "相邻两日平均变化与日均电量之比", "erratic daily use: from one day to the next it changes by {value} of its mean on average",
     "日电量忽高忽低：相邻两日平均相差日均的{value}"),
    ("curve_drop_day_share", "share", "high", "share of days that fall below half of the day before",
     "电量比前一日下降一半以上的天数占比", "use halves from one day to the next on {value} of days",
     "{value}的天数电量比前一日下降一半以上"),
    ("curve_p10_to_median", "ratio", "low", "10th percentile day over the median day", "日电量10%分位数与中位数之比",
     "the lowest tenth of days use only {value} of a usual day", "最低10%的日子电量仅为平时的{value}"),
    ("curve_p90_to_median", "ratio", "high", "90th percentile day over the median day", "日电量90%分位数与中位数之比",
     "the highest tenth of days use {value} of a usual day", "最高10%的日子电量为平时的{value}"),
    ("curve_all_zero", "flag", "high", "every collected day is 0 kWh", "所有采集日电量均为0",
     "every collected day is 0 kWh", "所有采集日电量均为0"),
    ("curve_all_missing", "flag", "high", "no day collected at all", "没有任何一天采集到电量",
     "no day collected at all", "没有任何一天采集到电量"),
]

for _name, _unit, _risky, _men, _mzh, _ren, _rzh in _FEATURES:
    register(FeatureSpec(_name, FAMILY, _men, _mzh, _unit, _risky, _ren, _rzh))

FEATURE_NAMES = [f[0] for f in _FEATURES]


def _div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den, NaN where den is 0 or NaN (no warnings)."""
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    ok = np.isfinite(den) & (den != 0)
    np.divide(num, den, out=out, where=ok)
    return out


def _run_stats(zero: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Longest run of True and number of runs per row (missing days break a run)."""
    if zero.shape[1] == 0:
        return np.zeros(zero.shape[0]), np.zeros(zero.shape[0])
    count = np.cumsum(zero, axis=1)
    reset = np.maximum.accumulate(np.where(~zero, count, 0), axis=1)
    longest = (count - reset).max(axis=1)
    starts = zero & ~np.concatenate([np.zeros((zero.shape[0], 1), bool), zero[:, :-1]], axis=1)
    return longest.astype(float), starts.sum(axis=1).astype(float)


def _autocorr(d: np.ndarray, known: np.ndarray, var: np.ndarray, lag: int) -> np.ndarray:
    """Lag-``lag`` autocorrelation over pairs of non-missing days; NaN when too few pairs or flat.

    ``d``: deviations from the row mean, 0 on missing days (so a pair with one missing day adds 0).
    """
    if d.shape[1] <= lag:
        return np.full(d.shape[0], np.nan)
    pairs = (known[:, lag:] & known[:, :-lag]).sum(axis=1)
    cov = _div((d[:, lag:] * d[:, :-lag]).sum(axis=1), pairs)
    out = _div(cov, var)
    out[pairs < MIN_PAIRS_FOR_AUTOCORR] = np.nan
    return out


def row_nanquantiles(x: np.ndarray, quantiles: tuple[float, ...]) -> list[np.ndarray]:
    """Quantiles of each row over its non-missing values; NaN for a row with none.

    The same numbers as ``np.nanquantile(x, quantiles, axis=1)`` (its default "linear" method,
    computed exactly as numpy does) without its Python loop over rows: every row is sorted once,
    NaN last, and the order statistics either side of ``(n - 1) * q`` are interpolated.
    """
    x = np.asarray(x, dtype=float)
    n_rows = x.shape[0]
    if x.shape[1] == 0:
        return [np.full(n_rows, np.nan) for _ in quantiles]
    ordered = np.sort(x, axis=1)  # NaN sorts last: the first n values of a row are its own
    n = (~np.isnan(x)).sum(axis=1)
    last = np.maximum(n - 1, 0)
    rows = np.arange(n_rows)
    out = []
    for q in quantiles:
        virtual = (n - 1) * np.float64(q)
        below = np.floor(virtual)
        at_end = virtual >= n - 1  # numpy takes the largest value there (index -1)
        below = np.where(at_end, -1.0, below)
        gamma = virtual - below
        low = np.where(at_end, last, np.clip(below, 0, None)).astype(np.intp)
        high = np.where(at_end, last, np.minimum(low + 1, last)).astype(np.intp)
        a, b = ordered[rows, low], ordered[rows, high]
        # numpy's _lerp: a + (b - a) t, or b - (b - a)(1 - t) from t = 0.5 on (exact at both ends)
        diff = b - a
        value = np.where(gamma >= 0.5, b - diff * (1 - gamma), a + diff * gamma)
        out.append(np.where(n > 0, value, np.nan))
    return out


def curve_shape_matrix(x: np.ndarray) -> pd.DataFrame:
    """Shape statistics of each row of a customers x days matrix (NaN = not collected)."""
    x = np.asarray(x, dtype=float)
    n_rows, n_days = x.shape
    known = ~np.isnan(x)
    filled = np.where(known, x, 0.0)  # read once; the window means below sum slices of it
    n = known.sum(axis=1)
    mean = _div(filled.sum(axis=1), n)
    d = np.where(known, x - mean[:, None], 0.0)
    has = n > 0
    maximum = np.fmax.reduce(x, axis=1) if n_days else np.full(n_rows, np.nan)  # fmax skips NaN
    minimum = np.fmin.reduce(x, axis=1) if n_days else np.full(n_rows, np.nan)
    # flat by the exact test: the mean of equal floats need not equal them, and the rounding
    # noise left in ``d`` would give a stuck meter a skewness of 1 and an autocorrelation of 1
    flat = ~(maximum > minimum)
    d2 = d * d  # products, not d**3 and d**4: integer powers of floats go through pow(), 10x slower
    var = np.where(flat & has, 0.0, _div(d2.sum(axis=1), n))
    std = np.sqrt(var)
    m3 = _div((d2 * d).sum(axis=1), n)
    m4 = _div((d2 * d2).sum(axis=1), n)
    skew = _div(m3, np.where(flat, np.nan, std**3))
    kurt = _div(m4, np.where(flat, np.nan, var**2)) - 3.0
    skew[n < 3] = np.nan
    kurt[n < 4] = np.nan
    zero = known & (x == 0)
    n_zero = zero.sum(axis=1)
    longest, runs = _run_stats(zero)
    last_week = _div(filled[:, -LAST_WEEK_DAYS:].sum(axis=1), known[:, -LAST_WEEK_DAYS:].sum(axis=1))
    jumps = np.abs(np.diff(x, axis=1)) if n_days > 1 else np.empty((n_rows, 0))
    jump_known = ~np.isnan(jumps)
    nonzero_pairs = jump_known & (x[:, 1:] != 0) & (x[:, :-1] != 0) if n_days > 1 else jump_known
    repeat_share = _div((nonzero_pairs & (jumps == 0)).sum(axis=1), nonzero_pairs.sum(axis=1))
    max_jump = np.fmax.reduce(jumps, axis=1) if jumps.shape[1] else np.full(n_rows, np.nan)
    p10, median, p90 = row_nanquantiles(x, (0.1, 0.5, 0.9))
    t = np.arange(n_days, dtype=float)[None, :]
    t_centred = np.where(known, t - _div(np.where(known, t, 0.0).sum(axis=1), n)[:, None], 0.0)
    slope = _div((t_centred * d).sum(axis=1), (t_centred**2).sum(axis=1))
    mean_change = _div(np.where(jump_known, jumps, 0.0).sum(axis=1), jump_known.sum(axis=1))
    drops = jump_known & (x[:, 1:] < 0.5 * x[:, :-1]) if n_days > 1 else jump_known
    low_threshold = LOW_DAY_SHARE_OF_MEDIAN * median
    low = known & (x < np.where(median > 0, low_threshold, -np.inf)[:, None])
    low_share = np.where(median > 0, _div(low.sum(axis=1), n), np.nan)
    half = n_days // 2
    first_mean = _div(filled[:, :half].sum(axis=1), known[:, :half].sum(axis=1))
    second_mean = _div(filled[:, half:].sum(axis=1), known[:, half:].sum(axis=1))
    frame = {
        "curve_mean_kwh": mean,
        "curve_std_kwh": np.where(has, std, np.nan),
        "curve_max_kwh": maximum,
        "curve_min_kwh": minimum,
        "curve_cv": _div(std, mean),
        "curve_zero_share": _div(n_zero, n),
        "curve_missing_days": (n_days - n).astype(float),
        "curve_missing_share": _div(n_days - n, np.full(n_rows, n_days)),
        "curve_longest_zero_run": np.where(has, longest, np.nan),
        "curve_zero_runs": np.where(has, runs, np.nan),
        "curve_autocorr_lag1": _autocorr(d, known, np.where(flat, np.nan, var), 1),
        "curve_autocorr_lag7": _autocorr(d, known, np.where(flat, np.nan, var), 7),
        "curve_skewness": skew,
        "curve_kurtosis": kurt,
        "curve_last_week_ratio": _div(last_week, mean),
        "curve_max_jump_kwh": max_jump,
        "curve_max_jump_ratio": _div(max_jump, mean),
        "curve_low_day_share": low_share,
        "curve_second_half_ratio": _div(second_mean, first_mean) if half else np.full(n_rows, np.nan),
        "curve_repeat_share": repeat_share,
        "curve_trend_slope": _div(slope * 30, mean),
        "curve_roughness": _div(mean_change, mean),
        "curve_drop_day_share": _div(drops.sum(axis=1), jump_known.sum(axis=1)),
        "curve_p10_to_median": _div(p10, median),
        "curve_p90_to_median": _div(p90, median),
        "curve_all_zero": np.where(has, (n_zero == n).astype(float), np.nan),
        "curve_all_missing": (~has).astype(float),
    }
    return pd.DataFrame(frame)[FEATURE_NAMES]


def curve_shape_features(ctx: FeatureContext) -> pd.DataFrame | None:
    """Shape of the last (at most) 365 days of each customer's daily curve, as of ``ctx.as_of``."""
    curve = ctx.curve
    if curve is None or len(curve.dates) == 0:
        return None
    first = ctx.as_of_end - pd.Timedelta(days=WINDOW_DAYS - 1)
    lo = int(curve.dates.searchsorted(first, side="left"))
    hi = int(curve.dates.searchsorted(ctx.as_of_end, side="right"))
    window = CurveMatrix(curve.values[:, lo:hi], curve.dates[lo:hi], curve.customer_ids)
    frame = by_row_chunks(window, lambda rows: curve_shape_matrix(rows.values))
    frame.index = pd.Index(curve.customer_ids, name="customer_id")
    return frame
