"""Curve-history features on tiny curves whose values are worked out by hand."""

import numpy as np
import pandas as pd
import pytest
from feature_tables import customers_frame, readings_from

from gridaudit.features import CustomerFeatureBuilder
from gridaudit.features.curve_history import curve_history_features

END = "2024-03-31"  # 60 days back from here start on 2024-02-01


def _features(curves: dict[str, np.ndarray], extra_ids=()) -> pd.DataFrame:
    ids = list(curves) + list(extra_ids)
    tables = {
        "customers": customers_frame([(c, "residential", "A1") for c in ids]),
        "readings": readings_from(curves, END),
    }
    return curve_history_features(CustomerFeatureBuilder(tables).context("2024-03"))


@pytest.fixture(scope="module")
def short() -> pd.DataFrame:
    with_gaps = np.full(60, 8.0)
    with_gaps[40:50] = 0.0
    with_gaps[50:53] = np.nan
    return _features(
        {
            "A": np.r_[np.full(30, 10.0), np.full(30, 5.0)],  # halves: drop of exactly 0.5
            "B": np.full(60, 8.0),
            "C": with_gaps,
            "D": np.r_[np.full(30, np.nan), np.full(30, 6.0)],  # connected half-way
        },
        extra_ids=["E"],  # no curve at all
    )


def test_drop_ratio_is_one_minus_recent_over_own_history(short):
    assert short.loc["A", "kwh_drop_ratio_1m_vs_12m"] == pytest.approx(0.5)
    assert short.loc["B", "kwh_drop_ratio_1m_vs_12m"] == pytest.approx(0.0)
    # no history before the window: unknown, not 0
    assert np.isnan(short.loc["A", "kwh_drop_ratio_3m_vs_12m"])
    assert np.isnan(short.loc["D", "kwh_drop_ratio_1m_vs_12m"])


def test_window_means_use_collected_days_only(short):
    assert short.loc["A", "kwh_mean_1m"] == pytest.approx(5.0)
    assert short.loc["A", "kwh_mean_3m"] == pytest.approx(7.5)
    assert short.loc["A", "kwh_mean_12m"] == pytest.approx(7.5)
    assert short.loc["D", "kwh_mean_3m"] == pytest.approx(6.0)


def test_zero_and_missing_runs(short):
    assert short.loc["C", "zero_run_max_90d"] == 10
    assert short.loc["C", "missing_run_max_90d"] == 3
    assert short.loc["C", "zero_day_share_90d"] == pytest.approx(10 / 57)
    assert short.loc["A", "zero_run_max_90d"] == 0
    # days before the first reading are before service, not collection gaps
    assert short.loc["D", "missing_run_max_365d"] == 0


def test_customer_without_curve_is_unknown_everywhere(short):
    assert short.loc["E"].isna().all()
    # two months are too few for a trend or a year-ago comparison
    assert np.isnan(short.loc["A", "kwh_trend_12m"])
    assert np.isnan(short.loc["A", "kwh_ratio_1m_vs_year_ago"])


@pytest.fixture(scope="module")
def long() -> pd.DataFrame:
    n = 455  # 90 recent days + the 365 before
    days = pd.date_range(end=END, periods=n, freq="D")
    weekend = np.asarray(days.day_of_week >= 5)
    weekly = np.where(weekend, 5.0, 10.0)
    weekly[-90:] = 10.0
    year_ago = np.full(n, 9.0)
    year_ago[-30:] = 6.0
    year_ago[n - 395 : n - 365] = 12.0  # the same 30 days one year earlier
    return _features(
        {
            "X": np.r_[np.full(95, np.nan), np.repeat(np.arange(12.0, 0.0, -1.0), 30)],
            "Y": np.r_[np.full(275, 10.0), np.full(180, 4.0)],
            "W": weekly,
            "Z": year_ago,
        }
    )


def test_trend_and_volatility_of_a_straight_decline(long):
    # monthly means 12, 11, ..., 1: slope -1 per month over a mean of 6.5, constant steps
    assert long.loc["X", "kwh_trend_12m"] == pytest.approx(-1 / 6.5)
    assert long.loc["X", "kwh_volatility_12m"] == pytest.approx(0.0)
    assert long.loc["X", "kwh_mean_12m"] == pytest.approx(6.5)


def test_level_shift_and_drop_against_median(long):
    assert long.loc["Y", "level_shift_ratio"] == pytest.approx(-0.6)
    assert long.loc["Y", "level_shift_days_ago"] == 180
    # 12 months before the last 90 days: nine at 10, three at 4 -> median 10
    assert long.loc["Y", "kwh_drop_ratio_3m_vs_12m"] == pytest.approx(0.6)


def test_weekday_weekend_ratio_change(long):
    # weekday/weekend was 10/5 = 2 over the past year, 10/10 = 1 now
    assert long.loc["W", "weekday_weekend_ratio_change"] == pytest.approx(-0.5)


def test_ratio_to_same_month_a_year_earlier(long):
    assert long.loc["Z", "kwh_ratio_1m_vs_year_ago"] == pytest.approx(0.5)


def test_a_flat_curve_has_no_level_shift_day():
    """Monthly means of a stuck meter differ by rounding only: the shift is 0 and has no date."""
    from gridaudit.features.curve_history import _level_shift

    flat = np.full((1, 24), 2.58)
    flat[0, ::5] = np.full(30, 2.58).sum() / 30  # a block of 2.58 a day, with its rounding
    assert len(set(flat[0])) == 2  # the floats differ in the last bit
    size, days_ago = _level_shift(flat)
    assert size[0] == 0.0 and np.isnan(days_ago[0])
