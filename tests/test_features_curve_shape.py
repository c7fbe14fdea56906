"""Curve-shape features worked out by hand on tiny daily curves."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from gridaudit.features import CustomerFeatureBuilder, spec
from gridaudit.features.curve_shape import (
    FEATURE_NAMES,
    curve_shape_features,
    curve_shape_matrix,
    row_nanquantiles,
)

NAN = np.nan
ROW_A = [0.0] * 5 + [NAN] + [5.0] * 20  # 5 zero days, one day not collected, then 5 kWh a day
ROW_B = [0.0] * 3 + [2.0] * 10 + [0.0] + [2.0] * 12  # two spells of zeros


def readings_for(rows: dict[str, list[float]], start: str = "2014-01-01") -> pd.DataFrame:
    frames = []
    for customer, values in rows.items():
        dates = pd.date_range(start, periods=len(values), freq="D")
        frames.append(pd.DataFrame({"customer_id": customer, "date": dates, "kwh": values}))
    return pd.concat(frames, ignore_index=True)


def features_of(rows: dict[str, list[float]], as_of: str, start: str = "2014-01-01") -> pd.DataFrame:
    customers = pd.DataFrame({"customer_id": list(rows), "tariff_category": "residential", "area_id": "T"})
    tables = {"customers": customers, "readings": readings_for(rows, start)}
    ctx = CustomerFeatureBuilder(tables).context(as_of)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return curve_shape_features(ctx)


def test_two_by_26_by_hand():
    f = features_of({"A": ROW_A, "B": ROW_B}, "2014-01")
    a, b = f.loc["A"], f.loc["B"]
    assert a["curve_mean_kwh"] == pytest.approx(100 / 25)  # the missing day is not a zero
    assert a["curve_zero_share"] == pytest.approx(5 / 25)
    assert a["curve_missing_days"] == 1
    assert a["curve_missing_share"] == pytest.approx(1 / 26)
    assert a["curve_longest_zero_run"] == 5
    assert a["curve_zero_runs"] == 1
    assert a["curve_max_kwh"] == 5 and a["curve_min_kwh"] == 0
    assert a["curve_low_day_share"] == pytest.approx(5 / 25)  # median 5, below 0.5 kWh
    assert a["curve_second_half_ratio"] == pytest.approx(5 / (35 / 12))
    assert b["curve_mean_kwh"] == pytest.approx(44 / 26)
    assert b["curve_zero_share"] == pytest.approx(4 / 26)
    assert b["curve_longest_zero_run"] == 3
    assert b["curve_zero_runs"] == 2
    assert b["curve_last_week_ratio"] == pytest.approx(2 / (44 / 26))
    assert b["curve_second_half_ratio"] == pytest.approx((24 / 13) / (20 / 13))
    assert b["curve_max_jump_kwh"] == 2
    assert a["curve_repeat_share"] == pytest.approx(19 / 19)  # the 20 days of 5 kWh: 19 equal pairs
    assert b["curve_repeat_share"] == pytest.approx(20 / 20)  # 22 days of 2 kWh in two runs: 9 + 11 pairs
    assert b["curve_all_zero"] == 0 and b["curve_all_missing"] == 0


def test_std_cv_and_autocorr_match_numpy():
    x = np.array([ROW_B])
    f = curve_shape_matrix(x).iloc[0]
    row = np.array(ROW_B)
    assert f["curve_std_kwh"] == pytest.approx(row.std())
    assert f["curve_cv"] == pytest.approx(row.std() / row.mean())
    d = row - row.mean()
    assert f["curve_autocorr_lag1"] == pytest.approx((d[1:] * d[:-1]).mean() / row.var())
    assert f["curve_autocorr_lag7"] == pytest.approx((d[7:] * d[:-7]).mean() / row.var())


def test_all_zero_and_all_missing_rows_warn_nothing():
    rows = {"Z": [0.0] * 26, "M": [NAN] * 26, "A": ROW_A}
    f = features_of(rows, "2014-01")  # warnings are errors inside
    z, m = f.loc["Z"], f.loc["M"]
    assert z["curve_all_zero"] == 1 and z["curve_zero_share"] == 1 and z["curve_longest_zero_run"] == 26
    assert np.isnan(z["curve_cv"]) and np.isnan(z["curve_autocorr_lag1"]) and np.isnan(z["curve_kurtosis"])
    assert m["curve_all_missing"] == 1 and m["curve_missing_days"] == 26
    assert np.isnan(m["curve_mean_kwh"]) and np.isnan(m["curve_all_zero"]) and np.isnan(m["curve_max_kwh"])


def test_window_is_the_last_365_days_and_cut_at_the_month():
    values = [100.0] * 35 + [1.0] * 365 + [50.0] * 31  # old days, a year, then the following month
    # the year of 1 kWh days runs 2014-02-01 .. 2015-01-31, the window as of 2015-01 exactly
    f = features_of({"A": values}, "2015-01", start="2013-12-28")
    assert f.loc["A", "curve_mean_kwh"] == pytest.approx(1.0)
    assert f.loc["A", "curve_max_kwh"] <= 50


def test_future_days_do_not_change_features():
    january = ROW_A + [NAN] * 5  # 26 days, then January 27-31 not collected
    base = features_of({"A": january + [9.0] * 10}, "2014-01")
    changed = features_of({"A": january + [0.0] * 10}, "2014-01")
    pd.testing.assert_frame_equal(base, changed)


def test_every_feature_is_described():
    for name in FEATURE_NAMES:
        s = spec(name)
        assert s.family == "curve_shape" and s.reason_en and s.reason_zh
        if s.unit != "flag":  # a flag's sentence states the fact itself
            assert "{value}" in s.reason_en and "{value}" in s.reason_zh


def test_trend_and_quantiles_on_a_straight_line():
    f = curve_shape_matrix(np.arange(26.0)[None, :]).iloc[0]
    assert f["curve_trend_slope"] == pytest.approx(1 * 30 / 12.5)  # +1 kWh a day, mean 12.5
    assert f["curve_roughness"] == pytest.approx(1 / 12.5)
    assert f["curve_drop_day_share"] == 0
    assert f["curve_p10_to_median"] == pytest.approx(2.5 / 12.5)


def _rows_with_every_edge(seed: int, n_rows: int = 400, n_days: int = 37) -> np.ndarray:
    """Random rows with NaNs, plus all-missing, single-value, two-value, tied and negative rows."""
    rng = np.random.default_rng(seed)
    x = rng.gamma(2.0, 3.0, size=(n_rows, n_days))
    x[::2] = x[::2].round()  # every other row full of ties
    x[rng.random(x.shape) < rng.random((n_rows, 1))] = np.nan  # each row its own missing share
    x[0] = np.nan
    x[1] = np.nan
    x[1, 17] = 4.2  # one collected day
    x[2] = np.nan
    x[2, [3, 30]] = [1.0, 8.0]  # two days
    x[3] = 5.0  # all equal
    x[4] = -rng.random(n_days)
    x[5, :] = 0.0
    return x


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_row_quantiles_equal_numpy_nanquantile_exactly(seed):
    x = _rows_with_every_edge(seed)
    quantiles = (0.1, 0.5, 0.9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy warns on the all-missing row
        expected = np.nanquantile(x, quantiles, axis=1)
    got = np.vstack(row_nanquantiles(x, quantiles))
    np.testing.assert_array_equal(got, expected)  # exact, NaN where numpy gives NaN
    assert np.isnan(got[:, 0]).all() and (got[:, 1] == 4.2).all()
    assert got[:, 2].tolist() == [1.0 + 0.1 * 7.0, 4.5, 8.0 - 7.0 * (1 - 0.9)]


def test_row_quantiles_of_an_empty_window_are_missing():
    assert all(np.isnan(q).all() for q in row_nanquantiles(np.empty((3, 0)), (0.1, 0.5)))


def test_a_stuck_meter_has_no_spread_skewness_or_autocorrelation():
    """2.58 kWh every day: the mean of 30 copies is not exactly 2.58 in floats, yet nothing varies."""
    row = [2.58] * 30
    assert np.sum(row) / 30 != 2.58  # the rounding that used to leak into the moments
    frame = curve_shape_matrix(np.array([row]))
    assert frame.loc[0, ["curve_std_kwh", "curve_cv", "curve_max_jump_kwh"]].tolist() == [0.0, 0.0, 0.0]
    moments = ["curve_skewness", "curve_kurtosis", "curve_autocorr_lag1", "curve_autocorr_lag7"]
    assert frame.loc[0, moments].isna().all()
