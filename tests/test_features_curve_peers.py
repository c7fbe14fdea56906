"""Correlation of each customer's daily curve with its peers' mean curve, worked out by hand.

Over the last 28 days of March 2024 every curve is built from two patterns of period 4 with mean
zero and variance 1 that are orthogonal to each other: p' = p - 2 with p = [1, 1, 3, 3] and
r = [1, -1, 1, -1]. Adding a constant or a flat neighbour does not change a correlation, so
corr(a p + b r, c p + d r) = (a c + b d) / sqrt((a^2 + b^2)(c^2 + d^2)).

Residential accounts in area X: A = p + r, B = p, C = 2p, D = p + 5, G = 7 (flat); in area Y:
E = p. F is the only commercial account; H was read on 10 other days only; I never.
"""

import numpy as np
import pandas as pd
import pytest
from feature_tables import customers_frame, readings_from

from gridaudit.engine import build_features_bucketed
from gridaudit.features import CustomerFeatureBuilder
from gridaudit.features.curve_peers import peer_curve_correlation
from gridaudit.features.registry import spec
from gridaudit.io import read_tables, write_table

END = "2024-03-31"
P = np.tile([1.0, 1.0, 3.0, 3.0], 7)
R = np.tile([1.0, -1.0, 1.0, -1.0], 7)
AREA = "curve_peer_corr_area_90d"
COMPANY = "curve_peer_corr_company_90d"


def _tables() -> dict[str, pd.DataFrame]:
    customers = customers_frame(
        [
            ("A", "residential", "X"),
            ("B", "residential", "X"),
            ("C", "residential", "X"),
            ("D", "residential", "X"),
            ("E", "residential", "Y"),
            ("F", "commercial", "X"),
            ("G", "residential", "X"),
            ("H", "residential", "X"),
            ("I", "residential", "Y"),
        ]
    )
    readings = readings_from(
        {
            "A": P + R,
            "B": P,
            "C": 2 * P,
            "D": P + 5,
            "E": P,
            "F": P,
            "G": np.full(28, 7.0),
            # ten days read two months earlier, when nobody else was: no shared day
            "H": np.r_[np.arange(10.0), np.full(50, np.nan)],
        },
        END,
    )
    return {"customers": customers, "readings": readings}


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return CustomerFeatureBuilder(_tables()).build("2024-03")


def test_correlation_with_the_area_peers(frame):
    # A's peers B + C + D + G = 4p + 12: corr(p + r, p) = 1 / sqrt(2)
    # B's peers A + C + D + G = 4p + r + 12: corr(p, 4p + r) = 4 / sqrt(17)
    # C's peers A + B + D + G = 3p + r + 12: 3 / sqrt(10); D's A + B + C + G = 4p + r + 7
    expected = {"A": 1 / np.sqrt(2), "B": 4 / np.sqrt(17), "C": 3 / np.sqrt(10), "D": 4 / np.sqrt(17)}
    for customer, value in expected.items():
        assert frame.loc[customer, AREA] == pytest.approx(value, rel=1e-12)
    # G is flat, E has no peer in area Y, F no commercial peer, H no shared day, I no curve
    assert frame.loc[["G", "E", "F", "H", "I"], AREA].isna().all()


def test_correlation_with_the_company_peers(frame):
    # E (p, area Y) joins every residential group: A's peers 5p + 12, B's 5p + r + 12, ...
    expected = {
        "A": 1 / np.sqrt(2),
        "B": 5 / np.sqrt(26),
        "C": 4 / np.sqrt(17),
        "D": 5 / np.sqrt(26),
        "E": 5 / np.sqrt(26),
    }
    for customer, value in expected.items():
        assert frame.loc[customer, COMPANY] == pytest.approx(value, rel=1e-12)
    assert frame.loc[["G", "F", "H", "I"], COMPANY].isna().all()


def test_a_customer_moving_against_its_peers_gets_a_negative_correlation():
    window = np.vstack([P, P + 1, 2 * P, 4 - P])  # the last one mirrors the others
    corr = peer_curve_correlation(window, np.zeros(4, dtype=np.int64), min_peers=3, min_days=14)
    assert corr[3] == pytest.approx(-1.0)
    assert corr[:3] == pytest.approx([1.0, 1.0, 1.0])


def test_days_with_too_few_peers_read_are_left_out():
    # the middle two are not read on the first 14 days: each of the others then has one peer
    # read, under min_peers 2, so every correlation runs over the last 14 days only
    window = np.vstack([P, P + 1, 2 * P, 4 - P])
    window[1:3, :14] = np.nan
    corr = peer_curve_correlation(window, np.zeros(4, dtype=np.int64), min_peers=2, min_days=14)
    assert corr == pytest.approx([1.0, 1.0, 1.0, -1.0])
    fewer = peer_curve_correlation(window, np.zeros(4, dtype=np.int64), min_peers=2, min_days=15)
    assert np.isnan(fewer).all()


def test_the_result_does_not_depend_on_the_order_of_customers():
    """Group totals are exact integers, so any order gives the very same floats."""
    rng = np.random.default_rng(0)
    window = rng.gamma(2.0, 3.7, (60, 90))
    window[rng.random(window.shape) < 0.2] = np.nan
    codes = rng.integers(-1, 4, 60)
    forward = peer_curve_correlation(window, codes)
    order = rng.permutation(60)
    shuffled = peer_curve_correlation(window[order], codes[order])
    assert np.array_equal(shuffled, forward[order], equal_nan=True)
    assert np.isfinite(forward).sum() > 40
    # nor on the memory layout pass 2 happens to get the windows in (a frame's to_numpy())
    assert np.array_equal(peer_curve_correlation(np.asfortranarray(window), codes), forward, equal_nan=True)


def test_the_feature_is_described_for_auditors():
    described = spec(AREA)
    assert (described.unit, described.risky) == ("score", "low")
    sentence = described.reason_template("en").format(value="0.12", peer="0.85")
    assert sentence == (
        "daily consumption moves unlike the other accounts of the same tariff category in the same area "
        "(correlation 0.12; peers 0.85)"
    )
    assert "{value}" in spec(COMPANY).reason_template("zh")


def test_bucketed_build_equals_the_whole_build(tmp_path, frame):
    """Peers sit in different buckets; each bucket is built alone (task_customers=1)."""
    for name, table in _tables().items():
        write_table(tmp_path / "wh", name, table, n_buckets=4)
    whole = CustomerFeatureBuilder(read_tables(tmp_path / "wh")).build("2024-03")
    bucketed = build_features_bucketed(tmp_path / "wh", "2024-03", task_customers=1)
    pd.testing.assert_frame_equal(bucketed, whole, check_exact=True)
    assert bucketed.loc["B", AREA] == frame.loc["B", AREA]
