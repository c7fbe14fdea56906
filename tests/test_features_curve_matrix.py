"""The daily curve pivot: any row order, duplicates, unknown customers, categorical ids, windows."""

import numpy as np
import pandas as pd
import pytest

from gridaudit.features import CurveMatrix

IDS = pd.Index(["A", "B", "C"], name="customer_id")


def _readings() -> pd.DataFrame:
    """A read on Jan 1-5 (0..4 kWh), nobody under a missing id, C on Jan 9-16 (8..15), X unknown."""
    return pd.DataFrame(
        {
            "customer_id": pd.Series(["A"] * 5 + [None] * 3 + ["C"] * 8 + ["X"] * 4, dtype="str"),
            "date": pd.date_range("2024-01-01", periods=20),
            "kwh": np.arange(20.0),
        }
    )


def test_sorted_readings_are_placed_by_customer_and_day():
    curve = CurveMatrix.from_readings(_readings(), IDS)
    assert (curve.dates[0], curve.dates[-1]) == (pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-20"))
    assert curve.values[0, :5].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert np.isnan(curve.values[1]).all()  # B has no reading
    assert curve.values[2, 8:16].tolist() == list(np.arange(8.0, 16.0))
    assert np.isnan(curve.values[2, 16:]).all()  # X's readings belong to nobody here


def test_shuffled_rows_with_a_duplicate_day_are_summed():
    readings = _readings()
    shuffled = pd.concat([readings, readings.iloc[[10]]]).sample(frac=1.0, random_state=1)
    curve = CurveMatrix.from_readings(shuffled, IDS)
    assert curve.values[2, 10] == 2 * 10.0  # interval data: two rows of the same day add up
    assert np.nansum(curve.values, axis=1).tolist() == [10.0, 0.0, 92.0 + 10.0]


def test_categorical_ids_and_times_of_day_give_the_same_matrix():
    readings = _readings()
    plain = CurveMatrix.from_readings(readings, IDS)
    other = readings.assign(
        customer_id=readings["customer_id"].astype("category"),
        date=readings["date"] + pd.Timedelta(hours=23),  # late in the day is still that day
    )
    assert np.array_equal(CurveMatrix.from_readings(other, IDS).values, plain.values, equal_nan=True)


def test_windows_are_read_only_and_padded_before_the_first_day():
    curve = CurveMatrix.from_readings(_readings(), IDS)
    inside = curve.last_days(5, pd.Timestamp("2024-01-05"))
    assert inside[0].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    with pytest.raises(ValueError, match="read-only"):
        inside[0, 0] = 99.0
    padded = curve.last_days(3, pd.Timestamp("2024-01-01"))
    assert np.isnan(padded[0, :2]).all() and padded[0, 2] == 0.0


def test_features_computed_in_row_chunks_are_the_same_floats():
    """Large companies are computed a few thousand customers at a time; each row stands alone."""
    from feature_tables import fabricate_tables

    from gridaudit.features import CustomerFeatureBuilder
    from gridaudit.features._windows import by_row_chunks
    from gridaudit.features.curve_history import _history_frame
    from gridaudit.features.curve_shape import curve_shape_matrix

    ctx = CustomerFeatureBuilder(fabricate_tables(n_customers=40, seed=3)).context("2024-05")
    curve, end = ctx.curve, ctx.as_of_end
    whole = _history_frame(curve, end, 7, 24)
    chunked = by_row_chunks(curve, lambda rows: _history_frame(rows, end, 7, 24), rows=7)
    pd.testing.assert_frame_equal(chunked, whole, check_exact=True)
    shape = by_row_chunks(curve, lambda rows: curve_shape_matrix(rows.values[:, -365:]), rows=7)
    pd.testing.assert_frame_equal(shape, curve_shape_matrix(curve.values[:, -365:]), check_exact=True)
    assert whole.notna().sum().min() > 20
