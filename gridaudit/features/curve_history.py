"""Feature family: the customer's consumption against its own history.

Theft and metering faults show as a break in a customer's own series: a drop against the
months before, a downward trend, a level shift, runs of zero or missing days, a weekday/weekend
shape that changed, a month far below the same month a year earlier. All windows are blocks of
30 days ending on the last day of the as-of month (``_windows.BLOCK_DAYS``), computed for every
customer at once over the dense curve. NaN wherever the data needed is missing.
History-free statistics of the curve (mean, std, zero share over the whole window, ...) live in
``curve_shape``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._windows import (
    BLOCK_DAYS,
    block_totals,
    by_row_chunks,
    longest_run,
    means_of,
    nan_mean,
    nan_median,
    safe_ratio,
)
from .context import CurveMatrix, FeatureContext
from .registry import FeatureSpec, register

FAMILY = "curve_history"
MEAN_WINDOWS_MONTHS = (1, 3, 6, 12)
DROP_WINDOWS_MONTHS = (1, 3, 6)
HISTORY_MONTHS = 12
RUN_WINDOWS_DAYS = (90, 365)
ZERO_RUN_WINDOWS_DAYS = (90,)  # the 365-day zero run is curve_shape's curve_longest_zero_run
SHIFT_BLOCKS = 24
NEGLIGIBLE_SHIFT = 1e-9  # relative level shifts below this are rounding, not a change


def _spec(name, meaning_en, meaning_zh, unit, risky, reason_en, reason_zh) -> None:
    register(FeatureSpec(name, FAMILY, meaning_en, meaning_zh, unit, risky, reason_en, reason_zh))


for _m in MEAN_WINDOWS_MONTHS:
    _spec(
        f"kwh_mean_{_m}m",
        f"mean daily consumption over the last {_m * BLOCK_DAYS} days",
        f"近{_m * BLOCK_DAYS}天日均用电量",
        "kwh_per_day",
        "low",
        f"average use over the last {_m * BLOCK_DAYS} days was {{value}} per day (peers: {{peer}})",
        f"近{_m * BLOCK_DAYS}天日均用电量为{{value}}，同台区同类用户为{{peer}}",
    )
for _m in DROP_WINDOWS_MONTHS:
    _spec(
        f"kwh_drop_ratio_{_m}m_vs_12m",
        f"1 - mean daily kWh of the last {_m * BLOCK_DAYS} days / median monthly mean of the 12 months before",
        f"1 - 近{_m * BLOCK_DAYS}天日均电量 / 此前12个月月均电量中位数",
        "ratio",
        "high",
        f"consumption over the last {_m * BLOCK_DAYS} days fell {{value}} below its own 12-month median "
        f"(peers: {{peer}})|consumption over the last {_m * BLOCK_DAYS} days rose {{value}} above its own "
        f"12-month median (peers: {{peer}})",
        f"近{_m * BLOCK_DAYS}天用电量比此前12个月中位数下降{{value}}，同台区同类用户为{{peer}}"
        f"|近{_m * BLOCK_DAYS}天用电量比此前12个月中位数上升{{value}}，同台区同类用户为{{peer}}",
    )
_spec(
    "kwh_trend_12m",
    "slope of monthly mean kWh over the last 12 months, per month, relative to their mean",
    "近12个月月均电量的线性趋势（每月变化占均值的比例）",
    "ratio",
    "low",
    "consumption has been trending {value} per month over the last 12 months (peers: {peer})",
    "近12个月用电量每月变化{value}，同台区同类用户为{peer}",
)
_spec(
    "kwh_volatility_12m",
    "standard deviation of month-to-month changes of monthly mean kWh over 12 months, relative to their mean",
    "近12个月月均电量环比变化的标准差（占均值的比例）",
    "ratio",
    "high",
    "monthly consumption swung by {value} from month to month over the last year (peers: {peer})",
    "近12个月用电量月度波动幅度为{value}，同台区同类用户为{peer}",
)
for _d in ZERO_RUN_WINDOWS_DAYS:
    _spec(
        f"zero_run_max_{_d}d",
        f"longest run of consecutive zero-consumption days in the last {_d} days",
        f"近{_d}天最长连续零电量天数",
        "days",
        "high",
        f"the meter recorded zero for {{value}} days in a row within the last {_d} days (peers: {{peer}})",
        f"近{_d}天内连续{{value}}天电量为零，同台区同类用户为{{peer}}",
    )
for _d in RUN_WINDOWS_DAYS:
    _spec(
        f"missing_run_max_{_d}d",
        f"longest run of consecutive days without a reading in the last {_d} days (after the first reading)",
        f"近{_d}天最长连续缺数天数（首次采集之后）",
        "days",
        "high",
        f"no reading was collected for {{value}} days in a row within the last {_d} days (peers: {{peer}})",
        f"近{_d}天内连续{{value}}天未采集到电量，同台区同类用户为{{peer}}",
    )
_spec(
    "zero_day_share_90d",
    "share of collected days with zero consumption in the last 90 days",
    "近90天零电量天数占采集天数的比例",
    "share",
    "high",
    "{value} of the last 90 days recorded zero consumption (peers: {peer})",
    "近90天中{value}的天数电量为零，同台区同类用户为{peer}",
)
_spec(
    "zero_day_share_change_90d_vs_365d",
    "share of zero days in the last 90 days minus the share in the 365 days before",
    "近90天零电量天数比例减去此前365天的比例",
    "share",
    "high",
    "zero-consumption days rose by {value} of days against the year before (peers: {peer})"
    "|zero-consumption days fell by {value} of days against the year before (peers: {peer})",
    "零电量天数比例较前一年上升{value}，同台区同类用户为{peer}|零电量天数比例较前一年下降{value}，同台区同类用户为{peer}",
)
_spec(
    "level_shift_ratio",
    "largest level shift of monthly mean kWh over the last 24 months: mean after / mean before - 1",
    "近24个月月均电量最大突变：突变后均值 / 突变前均值 - 1",
    "ratio",
    "low",
    "consumption shifted by {value} at its largest break in two years (peers: {peer})",
    "近两年用电量最大突变幅度为{value}，同台区同类用户为{peer}",
)
_spec(
    "level_shift_days_ago",
    "days from the largest level shift of monthly mean kWh to the end of the as-of month",
    "最大用电突变距今天数",
    "days",
    "low",
    "the largest break in consumption happened {value} days ago (peers: {peer})",
    "最大用电突变发生在{value}天前，同台区同类用户为{peer}",
)
_spec(
    "weekday_weekend_ratio_change",
    "weekday/weekend mean kWh ratio of the last 90 days / the same ratio in the 365 days before - 1",
    "近90天工作日与周末日均电量之比相对此前365天的变化",
    "ratio",
    "either",
    "the weekday/weekend pattern changed by {value} against its own past year (peers: {peer})",
    "工作日与周末用电比例较过去一年变化{value}，同台区同类用户为{peer}",
)
_spec(
    "kwh_ratio_1m_vs_year_ago",
    "mean daily kWh of the last 30 days / the same 30 days one year earlier",
    "近30天日均电量 / 去年同期30天日均电量",
    "ratio",
    "low",
    "this month's use was {value} of the same month last year (peers: {peer})",
    "本月用电量为去年同期的{value}，同台区同类用户为{peer}",
)


def _drop_ratio(recent: np.ndarray, monthly: np.ndarray, months: int) -> np.ndarray:
    """1 - recent mean / median of the 12 monthly means just before the recent ``months``.

    ``monthly``: the block means ending on the as-of day, oldest first (months + 12 blocks or more).
    """
    n_blocks = monthly.shape[1]
    history = nan_median(monthly[:, n_blocks - months - HISTORY_MONTHS : n_blocks - months], axis=1)
    return 1.0 - safe_ratio(recent, history)


def _trend_and_volatility(monthly: np.ndarray, min_months: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares slope (per month) and std of month-to-month changes, both over the mean."""
    valid = ~np.isnan(monthly)
    count = valid.sum(axis=1)
    x = np.broadcast_to(np.arange(monthly.shape[1], dtype=float), monthly.shape)
    y = np.where(valid, monthly, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        x_mean = np.where(valid, x, 0.0).sum(axis=1) / count
        y_mean = y.sum(axis=1) / count
        dx = np.where(valid, x - x_mean[:, None], 0.0)
        slope = (dx * (y - y_mean[:, None])).sum(axis=1) / (dx**2).sum(axis=1)
    trend = np.where(count >= min_months, safe_ratio(slope, y_mean), np.nan)
    # change between consecutive collected months only
    steps = np.diff(monthly, axis=1)
    step_valid = ~np.isnan(steps)
    n_steps = step_valid.sum(axis=1)
    s = np.where(step_valid, steps, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        s_mean = s.sum(axis=1) / n_steps
        s_var = (np.where(step_valid, (steps - s_mean[:, None]) ** 2, 0.0)).sum(axis=1) / (n_steps - 1)
    volatility = np.where(n_steps >= 2, safe_ratio(np.sqrt(s_var), y_mean), np.nan)
    return trend, volatility


def _level_shift(monthly: np.ndarray, min_side: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Best single change point (between-group sum of squares), its relative size and its block.

    Returns (mean after / mean before - 1, number of blocks from the change to the end).
    """
    n_rows, n_blocks = monthly.shape
    if n_blocks < 2 * min_side:
        return np.full(n_rows, np.nan), np.full(n_rows, np.nan)
    valid = ~np.isnan(monthly)
    y = np.where(valid, monthly, 0.0)
    csum = np.cumsum(y, axis=1)[:, :-1]  # sums of blocks [0, k] for a split after block k
    ccount = np.cumsum(valid, axis=1)[:, :-1].astype(float)
    total = y.sum(axis=1, keepdims=True)
    n_total = valid.sum(axis=1, keepdims=True).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        before = csum / ccount
        after = (total - csum) / (n_total - ccount)
        gain = ccount * (n_total - ccount) / n_total * (after - before) ** 2
    allowed = (ccount >= min_side) & ((n_total - ccount) >= min_side) & np.isfinite(gain)
    gain = np.where(allowed, gain, -1.0)
    rows = np.arange(n_rows)
    best = gain.argmax(axis=1)
    found = gain[rows, best] >= 0
    size = safe_ratio(after[rows, best], before[rows, best]) - 1.0
    blocks_ago = (n_blocks - 1 - best).astype(float)
    # a flat curve's monthly means differ by rounding only: no shift, and no day it happened on
    negligible = np.abs(size) < NEGLIGIBLE_SHIFT
    size = np.where(negligible, 0.0, size)
    return np.where(found, size, np.nan), np.where(found & ~negligible, blocks_ago, np.nan)


def _weekday_weekend_ratios(
    filled: np.ndarray, valid: np.ndarray, is_recent: np.ndarray, weekend: np.ndarray, min_days: int
) -> tuple[np.ndarray, np.ndarray]:
    """Weekday mean / weekend mean of the recent days and of the days before them.

    ``filled``: kWh with 0 where not collected. The columns are gathered once so that each
    (period, kind of day) is one contiguous run, then each run is summed.
    """
    kind = 2 * is_recent.astype(int) + weekend.astype(int)  # past weekday, past weekend, recent ...
    order = np.argsort(kind, kind="stable")
    bounds = np.searchsorted(kind[order], np.arange(5))
    gathered, counted = filled[:, order], valid[:, order]
    means = [
        means_of(gathered[:, lo:hi].sum(axis=1), counted[:, lo:hi].sum(axis=1), min_days)
        for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)
    ]
    return safe_ratio(means[2], means[3]), safe_ratio(means[0], means[1])


def _window_dates(n_days: int, end: pd.Timestamp) -> pd.DatetimeIndex:
    return pd.date_range(end - pd.Timedelta(days=n_days - 1), end, freq="D")


def _first_reading_date(curve: CurveMatrix) -> tuple[np.ndarray, np.ndarray]:
    """Each customer's first collected day (NaT when none) and whether it has any reading."""
    seen = ~np.isnan(curve.values)
    has = seen.any(axis=1)
    first = np.full(len(has), np.datetime64("NaT"), dtype="datetime64[ns]")
    if has.any():
        days = np.asarray(curve.dates, dtype="datetime64[ns]")
        first[has] = days[seen[has].argmax(axis=1)]
    return first, has


def curve_history_features(
    ctx: FeatureContext,
    min_days: int = 7,
    shift_blocks: int = SHIFT_BLOCKS,
) -> pd.DataFrame | None:
    """Own-history consumption features for every customer with a curve (NaN without one).

    ``min_days``: collected days a 30-day block (or a weekday/weekend half) needs to count.
    """
    if ctx.curve is None:
        return None
    frame = by_row_chunks(ctx.curve, lambda rows: _history_frame(rows, ctx.as_of_end, min_days, shift_blocks))
    return frame.set_axis(ctx.customer_index)


def _history_frame(curve: CurveMatrix, end: pd.Timestamp, min_days: int, shift_blocks: int) -> pd.DataFrame:
    """The family's features for the rows of ``curve``, as of ``end``."""
    out: dict[str, np.ndarray] = {}
    # every window of whole months below is a run of the same 30-day blocks ending on ``end``:
    # the curve is read once into per-block sums and counts
    n_blocks = max(shift_blocks, max(DROP_WINDOWS_MONTHS) + HISTORY_MONTHS, max(MEAN_WINDOWS_MONTHS))
    sums, counts = block_totals(curve, end, n_blocks)
    monthly = means_of(sums, counts, min_days)

    def recent_mean(months: int, min_count: int = 1) -> np.ndarray:
        """Mean daily kWh over the last ``months`` blocks (NaN under ``min_count`` collected days)."""
        return means_of(sums[:, -months:].sum(axis=1), counts[:, -months:].sum(axis=1), min_count)

    for months in MEAN_WINDOWS_MONTHS:
        out[f"kwh_mean_{months}m"] = recent_mean(months)
    for months in DROP_WINDOWS_MONTHS:
        out[f"kwh_drop_ratio_{months}m_vs_12m"] = _drop_ratio(recent_mean(months, min_days), monthly, months)

    monthly12 = monthly[:, -HISTORY_MONTHS:]
    out["kwh_trend_12m"], out["kwh_volatility_12m"] = _trend_and_volatility(monthly12)

    # runs: days before a customer's first reading are not "missing", they are before service
    first_date, has_curve = _first_reading_date(curve)
    for days in RUN_WINDOWS_DAYS:
        window = curve.last_days(days, end)
        dates = np.asarray(_window_dates(days, end), dtype="datetime64[ns]")
        in_service = dates[None, :] >= first_date[:, None]
        missing = np.isnan(window) & in_service
        if days in ZERO_RUN_WINDOWS_DAYS:
            out[f"zero_run_max_{days}d"] = np.where(has_curve, longest_run(window == 0), np.nan)
        out[f"missing_run_max_{days}d"] = np.where(has_curve, longest_run(missing), np.nan)

    year = curve.last_days(90 + 365, end)
    valid = ~np.isnan(year)
    filled = np.where(valid, year, 0.0)
    is_recent = np.arange(year.shape[1]) >= year.shape[1] - 90
    zero = year == 0

    def zero_share(days: np.ndarray) -> np.ndarray:
        collected = (valid & days).sum(axis=1)
        return np.where(collected >= min_days, (zero & days).sum(axis=1) / np.maximum(collected, 1), np.nan)

    out["zero_day_share_90d"] = zero_share(is_recent)
    out["zero_day_share_change_90d_vs_365d"] = out["zero_day_share_90d"] - zero_share(~is_recent)

    size, blocks_ago = _level_shift(monthly[:, -shift_blocks:])
    out["level_shift_ratio"] = size
    # the new level starts ``blocks_ago`` blocks before the end of the month
    out["level_shift_days_ago"] = blocks_ago * BLOCK_DAYS

    weekend = np.asarray(_window_dates(90 + 365, end).day_of_week >= 5)
    recent_ratio, past_ratio = _weekday_weekend_ratios(filled, valid, is_recent, weekend, min_days)
    out["weekday_weekend_ratio_change"] = safe_ratio(recent_ratio, past_ratio) - 1.0

    last_month = recent_mean(1, min_days)
    year_ago = nan_mean(curve.last_days(BLOCK_DAYS, end - pd.Timedelta(days=365)), min_count=min_days)
    out["kwh_ratio_1m_vs_year_ago"] = safe_ratio(last_month, year_ago)

    return pd.DataFrame(out)
