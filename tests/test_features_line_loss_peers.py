"""Area line-loss features and peer-relative features on hand-built frames."""

import numpy as np
import pandas as pd
import pytest
from feature_tables import customers_frame, readings_from

from gridaudit.features import CustomerFeatureBuilder
from gridaudit.features.line_loss import line_loss_features
from gridaudit.features.peers import MAD_SCALE, MEAN_AD_SCALE, peer_features


def _loss_rows(area: str, rates: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "area_id": area,
            "month": list(rates),
            "supplied_kwh": 1000.0,
            "billed_kwh": [1000.0 * (1 - r) for r in rates.values()],
        }
    )


@pytest.fixture(scope="module")
def line_loss() -> pd.DataFrame:
    rates = {str(m): 0.05 for m in pd.period_range("2023-01", "2023-12", freq="M")}
    rates |= {"2024-01": 0.08, "2024-02": 0.08, "2024-03": 0.11, "2024-04": 0.5}  # April: future
    customers = customers_frame(
        [
            ("A", "residential", "X"),
            ("B", "residential", "X"),
            ("C", "residential", "X"),
            ("D", "residential", "Y"),
        ]
    )
    # 450 days: the 360 before the last 90 at 10 kWh/day, then A falls by 6, B by 3, C grows
    readings = readings_from(
        {
            "A": np.r_[np.full(360, 10.0), np.full(90, 4.0)],
            "B": np.r_[np.full(360, 10.0), np.full(90, 7.0)],
            "C": np.r_[np.full(360, 10.0), np.full(90, 12.0)],
        },
        "2024-03-31",
    )
    tables = {"customers": customers, "readings": readings, "area_line_loss": _loss_rows("X", rates)}
    return line_loss_features(CustomerFeatureBuilder(tables).context("2024-03"))


def test_area_loss_rate_month_year_and_trend(line_loss):
    a = line_loss.loc["A"]
    assert a["area_loss_rate_1m"] == pytest.approx(0.11)
    assert a["area_loss_rate_12m"] == pytest.approx((9 * 0.05 + 0.08 + 0.08 + 0.11) / 12)
    assert a["area_loss_rate_trend"] == pytest.approx(0.09 - 0.05)
    assert line_loss.loc["D", ["area_loss_rate_1m", "area_loss_rate_12m"]].isna().all()  # no loss data


def test_share_of_the_area_consumption_drop(line_loss):
    share = line_loss["area_consumption_drop_share"]
    assert share["A"] == pytest.approx(6 / 9)
    assert share["B"] == pytest.approx(3 / 9)
    assert share["C"] == 0.0  # grew: no part in the fall
    assert np.isnan(share["D"])  # no curve


def _peer_frame(values: list[float], areas: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "tariff_category": pd.Categorical(["residential"] * len(values)),
            "area_id": pd.Categorical(areas),
            "kwh_mean_3m": values,
            "zero_day_share_90d": values,
        },
        index=pd.Index([f"P{i}" for i in range(len(values))], name="customer_id"),
    )


def test_peer_ratio_difference_and_robust_z():
    frame = _peer_frame([1, 2, 3, 4, 10, 3], ["X"] * 5 + ["Y"])
    peers = peer_features(frame, ctx=None)
    # area X: median 3, absolute deviations 2 1 0 1 7 -> MAD 1
    assert peers.loc["P4", "kwh_mean_3m_ratio_area_peers"] == pytest.approx(10 / 3)
    assert peers.loc["P4", "kwh_mean_3m_z_area_peers"] == pytest.approx(7 / MAD_SCALE)
    assert peers.loc["P4", "zero_day_share_90d_diff_area_peers"] == pytest.approx(7)
    # company (all six residential): median 3, MAD 1 again
    assert peers.loc["P0", "kwh_mean_3m_z_company_peers"] == pytest.approx(-2 / MAD_SCALE)
    # area Y has one account: too few peers
    assert peers.loc["P5"].filter(like="area_peers").isna().all()
    assert not peers.columns.isin(frame.columns).any()


def test_zero_mad_falls_back_to_mean_absolute_deviation():
    frame = _peer_frame([5, 5, 5, 5, 10], ["X"] * 5)
    peers = peer_features(frame, ctx=None)
    # median 5, MAD 0; mean absolute deviation 1
    assert peers.loc["P4", "kwh_mean_3m_z_area_peers"] == pytest.approx(5 / MEAN_AD_SCALE)
