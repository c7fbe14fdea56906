"""gridaudit's curve features written the straightforward pandas way: the benchmark's baseline.

What a competent pandas user writes first: complete the long readings table to one row per
customer and day (``reindex`` on the customers x days product; a missing day is a NaN row, as in
gridaudit), then compute every feature with ``groupby`` over customers -- ``mean``/``count``/
``median``/``quantile`` aggregations, ``shift``/``diff`` for day-to-day changes, ``cumsum`` for
runs of zeros and for the level-shift split, ``dt.day_of_week`` for the weekday/weekend shape.
No Python loop over customers, no dense matrix. The rules are gridaudit's
(``gridaudit/features/curve_history.py`` and ``curve_shape.py``): windows of 30-day blocks
ending on the as-of day, a block needs 7 collected days, statistics over collected days only.

Not a test module and not part of gridaudit: ``bench_features.py`` times it against gridaudit,
and ``tests/test_features_pandas_reference.py`` checks the two agree on fabricated data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

BLOCK = 30
MIN_DAYS = 7
SHAPE_WINDOW = 365
HISTORY_NAMES = [
    "kwh_mean_1m",
    "kwh_mean_3m",
    "kwh_mean_6m",
    "kwh_mean_12m",
    "kwh_drop_ratio_1m_vs_12m",
    "kwh_drop_ratio_3m_vs_12m",
    "kwh_drop_ratio_6m_vs_12m",
    "kwh_trend_12m",
    "kwh_volatility_12m",
    "zero_run_max_90d",
    "missing_run_max_90d",
    "missing_run_max_365d",
    "zero_day_share_90d",
    "zero_day_share_change_90d_vs_365d",
    "level_shift_ratio",
    "level_shift_days_ago",
    "weekday_weekend_ratio_change",
    "kwh_ratio_1m_vs_year_ago",
]


def daily_grid(readings: pd.DataFrame, customer_ids: pd.Index, end: pd.Timestamp) -> pd.DataFrame:
    """One row per customer and day, from the first reading of the company to ``end``.

    Columns: customer_id (categorical, in ``customer_ids`` order), date, age (days before
    ``end``), kwh (NaN where not collected). Sorted by customer, then date.
    """
    dates = pd.to_datetime(readings["date"]).dt.normalize()
    days = pd.date_range(dates.min(), end, freq="D")
    kwh = pd.Series(readings["kwh"].to_numpy(dtype=float), index=[readings["customer_id"], dates])
    kwh = kwh[kwh.index.get_level_values(1) <= end]
    full = pd.MultiIndex.from_product([customer_ids, days], names=["customer_id", "date"])
    values = kwh.reindex(full).to_numpy()
    # customer as a categorical built from the product's codes: no string is hashed again
    customer = pd.Categorical.from_codes(
        np.repeat(np.arange(len(customer_ids)), len(days)), categories=customer_ids
    )
    date = np.tile(days.to_numpy(), len(customer_ids))
    grid = pd.DataFrame({"customer_id": customer, "date": date, "kwh": values})
    grid["age"] = (end - grid["date"]).dt.days
    return grid


def _by(frame: pd.DataFrame, column: str = "kwh"):
    return frame.groupby("customer_id", observed=False, sort=False)[column]


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    """num / den where den > 0 (gridaudit's safe_ratio), else NaN."""
    return (num / den).where(den > 0)


def _div(num: pd.Series, den: pd.Series) -> pd.Series:
    """num / den where den is a non-zero number (curve_shape's _div), else NaN."""
    return (num / den).where(den.notna() & (den != 0))


def _mean_min(frame: pd.DataFrame, min_days: int) -> pd.Series:
    stats = _by(frame).agg(["mean", "count"])
    return stats["mean"].where(stats["count"] >= min_days)


def _block_means(grid: pd.DataFrame, ids: pd.Index, start_age: int, n_blocks: int) -> pd.Series:
    """Mean kWh per 30-day block (>= 7 days), indexed (customer, block); block 0 is the oldest."""
    window = grid[(grid["age"] >= start_age) & (grid["age"] < start_age + n_blocks * BLOCK)]
    block = n_blocks - 1 - (window["age"] - start_age) // BLOCK
    stats = window.groupby([window["customer_id"], block.rename("block")], observed=True)["kwh"].agg(
        ["mean", "count"]
    )
    means = stats["mean"].where(stats["count"] >= MIN_DAYS)
    full = pd.MultiIndex.from_product([ids, range(n_blocks)], names=["customer_id", "block"])
    return means.reindex(full)


def _longest_run(flag: pd.Series, customer: pd.Series) -> pd.Series:
    """Longest run of True per customer: count within runs that restart at every False and customer."""
    first_row = customer.ne(customer.shift())
    run = (~flag | first_row).cumsum()
    within = flag.astype(int).groupby(run).cumsum()
    return within.groupby(customer, observed=False).max()


def history_features(grid: pd.DataFrame, ids: pd.Index) -> pd.DataFrame:
    """The curve_history family on the daily grid."""
    out = pd.DataFrame(index=ids)
    kwh, age, customer = grid["kwh"], grid["age"], grid["customer_id"]
    for months in (1, 3, 6, 12):
        out[f"kwh_mean_{months}m"] = _by(grid[age < months * BLOCK]).mean()
    # the 24 monthly means ending on the as-of day, computed once: every monthly window is a run of them
    long = _block_means(grid, ids, 0, 24)
    block = long.index.get_level_values("block")
    for months in (1, 3, 6):
        now = _mean_min(grid[age < months * BLOCK], MIN_DAYS)
        before = (block >= 24 - months - 12) & (block < 24 - months)
        history = long[before].groupby(level=0).median()
        out[f"kwh_drop_ratio_{months}m_vs_12m"] = 1.0 - _ratio(now, history)

    # trend and volatility of the 12 monthly means (oldest first)
    monthly = long[block >= 12]
    monthly.index = monthly.index.set_levels(monthly.index.levels[1] - 12, level=1)
    known = monthly.dropna().reset_index()
    by_customer = known.groupby("customer_id", observed=False)
    x_dev = known["block"] - by_customer["block"].transform("mean")
    y_dev = known["mean"] - by_customer["mean"].transform("mean")
    slope = (x_dev * y_dev).groupby(known["customer_id"], observed=False).sum() / (x_dev**2).groupby(
        known["customer_id"], observed=False
    ).sum()
    level = by_customer["mean"].mean()
    out["kwh_trend_12m"] = _ratio(slope, level).where(by_customer.size() >= 3)
    steps = monthly.groupby(level=0).diff()
    step_stats = steps.groupby(level=0).agg(["std", "count"])
    out["kwh_volatility_12m"] = _ratio(step_stats["std"], level).where(step_stats["count"] >= 2)

    has_curve = _by(grid).count() > 0
    recent = grid[age < 90]
    out["zero_run_max_90d"] = _longest_run(recent["kwh"].eq(0), recent["customer_id"]).where(has_curve)
    in_service = kwh.notna().groupby(customer, observed=False).cummax()  # from the first reading on
    missing = kwh.isna() & in_service
    for days in (90, 365):
        inside = age < days
        out[f"missing_run_max_{days}d"] = _longest_run(missing[inside], customer[inside]).where(has_curve)

    def zero_share(frame: pd.DataFrame) -> pd.Series:
        collected = _by(frame).count()
        zeros = frame["kwh"].eq(0).groupby(frame["customer_id"], observed=False).sum()
        return (zeros / collected).where(collected >= MIN_DAYS)

    out["zero_day_share_90d"] = zero_share(recent)
    out["zero_day_share_change_90d_vs_365d"] = out["zero_day_share_90d"] - zero_share(
        grid[(age >= 90) & (age < 90 + 365)]
    )

    # the largest level shift among the 24 monthly means: best split by between-group sum of squares
    valid = long.notna()
    y = long.fillna(0.0)
    csum = y.groupby(level=0).cumsum()
    ccount = valid.groupby(level=0).cumsum().astype(float)
    total = y.groupby(level=0).transform("sum")
    n_total = valid.groupby(level=0).transform("sum").astype(float)
    before = csum / ccount
    after = (total - csum) / (n_total - ccount)
    gain = ccount * (n_total - ccount) / n_total * (after - before) ** 2
    split = long.index.get_level_values("block") < 23  # a split after the last block is none
    allowed = split & (ccount >= 2) & ((n_total - ccount) >= 2) & np.isfinite(gain)
    gain = gain.where(allowed, -1.0)
    best = gain.groupby(level=0).idxmax()
    found = gain.groupby(level=0).max() >= 0
    at = pd.MultiIndex.from_tuples(best.to_numpy(), names=["customer_id", "block"])
    size = _ratio(after.loc[at].set_axis(best.index), before.loc[at].set_axis(best.index)) - 1.0
    negligible = size.abs() < 1e-9  # a flat curve's monthly means differ by rounding only
    out["level_shift_ratio"] = size.mask(negligible, 0.0).where(found)
    blocks_ago = pd.Series(23 - at.get_level_values("block").to_numpy(), index=best.index)
    out["level_shift_days_ago"] = (blocks_ago * float(BLOCK)).where(found & ~negligible)

    two_years = grid[age < 90 + 365]
    weekend = two_years["date"].dt.day_of_week >= 5
    period = np.where(two_years["age"] < 90, "recent", "past")
    stats = two_years.groupby([two_years["customer_id"], period, weekend], observed=True)["kwh"].agg(
        ["mean", "count"]
    )
    halves = pd.MultiIndex.from_product([["recent", "past"], [False, True]])
    means = stats["mean"].where(stats["count"] >= MIN_DAYS).unstack([1, 2]).reindex(columns=halves)
    recent_ratio = _ratio(means[("recent", False)], means[("recent", True)])
    past_ratio = _ratio(means[("past", False)], means[("past", True)])
    out["weekday_weekend_ratio_change"] = _ratio(recent_ratio, past_ratio) - 1.0

    last_month = _mean_min(grid[age < BLOCK], MIN_DAYS)
    year_ago = _mean_min(grid[(age >= 365) & (age < 365 + BLOCK)], MIN_DAYS)
    out["kwh_ratio_1m_vs_year_ago"] = _ratio(last_month, year_ago)
    return out[HISTORY_NAMES].astype(float)


def shape_features(grid: pd.DataFrame, ids: pd.Index) -> pd.DataFrame:
    """The curve_shape family on the last 365 days of the daily grid."""
    w = grid[grid["age"] < SHAPE_WINDOW]
    n_days = w["age"].nunique()
    x, customer = w["kwh"], w["customer_id"]

    def by(values: pd.Series):
        return values.groupby(customer, observed=False, sort=False)

    out = pd.DataFrame(index=ids)
    n = by(x).count()
    mean = by(x).mean()
    d = x - by(x).transform("mean")
    flat = ~(by(x).max() > by(x).min())  # exactly flat: rounding noise in d is no variance
    var = by(d**2).mean().mask(flat & (n > 0), 0.0)
    std = np.sqrt(var)
    out["curve_mean_kwh"] = mean
    out["curve_std_kwh"] = std
    out["curve_max_kwh"] = by(x).max()
    out["curve_min_kwh"] = by(x).min()
    out["curve_cv"] = _div(std, mean)
    zero = x.eq(0)
    n_zero = by(zero).sum()
    out["curve_zero_share"] = _div(n_zero, n)
    out["curve_missing_days"] = (n_days - n).astype(float)
    out["curve_missing_share"] = (n_days - n) / n_days
    previous_zero = by(zero).shift(fill_value=False).astype(bool)
    out["curve_longest_zero_run"] = _longest_run(zero, customer).where(n > 0)
    out["curve_zero_runs"] = by(zero & ~previous_zero).sum().astype(float).where(n > 0)
    for lag in (1, 7):
        pair = d * by(d).shift(lag)
        cov = by(pair).mean()
        out[f"curve_autocorr_lag{lag}"] = _div(cov, var.where(~flat)).where(by(pair).count() >= 3)
    out["curve_skewness"] = _div(by(d**3).mean(), std.where(~flat) ** 3).where(n >= 3)
    out["curve_kurtosis"] = (_div(by(d**4).mean(), var.where(~flat) ** 2) - 3.0).where(n >= 4)
    out["curve_last_week_ratio"] = _div(by(x[w["age"] < 7]).mean(), mean)
    previous = by(x).shift()
    jump = (x - previous).abs()
    max_jump = by(jump).max()
    out["curve_max_jump_kwh"] = max_jump
    out["curve_max_jump_ratio"] = _div(max_jump, mean)
    median = by(x).median()
    low = x < 0.1 * by(x).transform("median")
    out["curve_low_day_share"] = _div(by(low).sum(), n).where(median > 0)
    half = n_days // 2
    first_mean = by(x[w["age"] >= n_days - half]).mean()
    second_mean = by(x[w["age"] < n_days - half]).mean()
    out["curve_second_half_ratio"] = _div(second_mean, first_mean) if half else np.nan
    nonzero_pair = x.notna() & previous.notna() & x.ne(0) & previous.ne(0)
    out["curve_repeat_share"] = _div(by(nonzero_pair & x.eq(previous)).sum(), by(nonzero_pair).sum())
    t = (n_days - 1 - w["age"]).astype(float).where(x.notna())
    t_dev = t - by(t).transform("mean")
    slope = _div(by(t_dev * d).sum(), by(t_dev**2).sum())
    out["curve_trend_slope"] = _div(slope * 30, mean)
    out["curve_roughness"] = _div(by(jump).mean(), mean)
    out["curve_drop_day_share"] = _div(by(x < 0.5 * previous).sum(), by(jump).count())
    p10, p90 = by(x).quantile(0.1), by(x).quantile(0.9)
    out["curve_p10_to_median"] = _div(p10, median)
    out["curve_p90_to_median"] = _div(p90, median)
    out["curve_all_zero"] = (n_zero == n).astype(float).where(n > 0)
    out["curve_all_missing"] = (n == 0).astype(float)
    return out.astype(float)


def curve_features(readings: pd.DataFrame, customer_ids: pd.Index, end: pd.Timestamp) -> pd.DataFrame:
    """Both curve families as of ``end`` (the last day of the as-of month), one row per customer."""
    grid = daily_grid(readings, customer_ids, end)
    return pd.concat([shape_features(grid, customer_ids), history_features(grid, customer_ids)], axis=1)
