"""Bill features worked out by hand on tiny bills."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from gridaudit.features import CustomerFeatureBuilder, spec
from gridaudit.features.bills import FEATURE_NAMES, bills_features


def _bill(customer, meter, date, start, end, kwh, meter_type="electricity", remark="normal", status="0"):
    return {
        "customer_id": customer,
        "meter_id": meter,
        "read_date": pd.Timestamp(date),
        "period_months": 1,
        "start_reading": start,
        "end_reading": end,
        "multiplier": 1.0,
        "kwh_billed": kwh,
        "kwh_tier_1": kwh,
        "kwh_tier_2": 0.0,
        "kwh_tier_3": 0.0,
        "kwh_tier_4": 0.0,
        "meter_status": status,
        "reading_remark": remark,
        "meter_type": meter_type,
        "tariff_code": "11",
    }


def tiny_tables() -> dict[str, pd.DataFrame]:
    rows = [
        # A: the index advances but the last periods bill 0 kWh; it goes backwards once
        _bill("A", "m1", "2020-01-31", 0, 100, 100),
        _bill("A", "m1", "2020-02-29", 100, 200, 100),
        _bill("A", "m1", "2020-03-31", 200, 300, 0),  # 0 kWh, index advanced
        _bill("A", "m1", "2020-04-30", 300, 250, 0),  # backwards
        _bill("A", "m1", "2020-05-31", 250, 250, 0),  # index stood still
        _bill("A", "m1", "2020-06-30", 250, 350, 0, remark="estimated"),  # 0 kWh, index advanced
        _bill("A", "m1", "2020-07-31", 350, 9999, 0),  # after the as-of month: must not count
        # C: meter replaced in April, consumption drops to 30%; the gas meter stays flat
        *[_bill("C", "m1", f"2020-0{m}-15", 100 * (m - 1), 100 * m, 100) for m in (1, 2, 3)],
        *[_bill("C", "m2", f"2020-0{m}-15", 30 * (m - 4), 30 * (m - 3), 30) for m in (4, 5, 6)],
        *[_bill("C", "g1", f"2020-0{m}-15", 10 * (m - 1), 10 * m, 10, meter_type="gas") for m in range(1, 7)],
    ]
    customers = pd.DataFrame(
        {"customer_id": ["A", "B", "C"], "tariff_category": "residential", "area_id": "T1"}
    )
    return {"customers": customers, "bills": pd.DataFrame(rows)}


@pytest.fixture
def features() -> pd.DataFrame:
    ctx = CustomerFeatureBuilder(tiny_tables()).context("2020-06")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return bills_features(ctx)


def test_customer_without_bills_has_no_row(features):
    assert set(features.index) == {"A", "C"}
    assert list(features.columns) == FEATURE_NAMES


def test_zero_kwh_with_advancing_index(features):
    a = features.loc["A"]
    assert a["bill_zero_last4"] == 4
    assert a["bill_zero_advancing_last4"] == 2  # March and June advanced; April went back, May stood
    assert a["bill_zero_advancing_count"] == 2


def test_index_checks(features):
    a = features.loc["A"]
    assert a["bill_index_backwards_count"] == 1
    assert a["bill_index_repeat_share"] == pytest.approx(1 / 6)
    assert a["bill_index_chain_break_share"] == 0  # each start continues the previous end
    assert a["bill_unbilled_gap_share"] == 0
    # March (0 vs 100), April (0 vs -50) and June (0 vs 100) break billed = (end - start) x 1
    assert a["bill_identity_mismatch_share"] == pytest.approx(3 / 6)
    assert a["bill_identity_mismatch_kwh"] == pytest.approx((100 + 50 + 100) / 3)
    assert a["bill_billed_to_index_ratio"] == pytest.approx(200 / 350)


def test_consumption_level_and_trend(features):
    a = features.loc["A"]
    assert a["bill_count"] == 6  # July is after the as-of month
    assert a["bill_kwh_per_month"] == pytest.approx(200 / 6)
    assert a["bill_trend_last4"] == 0  # last 4 periods 0 kWh against 100 kWh/month before
    assert a["bill_zero_share"] == pytest.approx(4 / 6)
    assert a["bill_remark_unusual_share"] == pytest.approx(1 / 6)
    assert a["bill_tier1_share"] == 1.0
    assert a["bill_reading_gap_max_months"] == pytest.approx(31 / 30.4375)


def test_meter_replacement_and_gas(features):
    c = features.loc["C"]
    assert c["bill_meter_count"] == 3
    assert c["bill_gas_meter_count"] == 1
    assert c["bill_meter_replacements"] == 1
    assert c["bill_after_replacement_ratio"] == pytest.approx(0.3)
    assert c["bill_months_since_replacement"] == pytest.approx(76 / 30.4375)  # 2020-04-15 to 06-30
    assert c["bill_gas_meter_replacements"] == 0
    assert np.isnan(c["bill_gas_after_replacement_ratio"])
    assert c["bill_kwh_per_month"] == pytest.approx(130 / 2)  # electricity only
    assert c["bill_trend_last4"] == pytest.approx((100 + 90) / 4 / 100)
    assert c["bill_gas_trend_last4"] == pytest.approx(1.0)
    assert c["bill_gas_kwh_per_month_cv"] == 0
    assert c["bill_gas_zero_share"] == 0
    assert c["bill_elec_vs_gas_trend"] == pytest.approx(0.475)
    assert np.isnan(features.loc["A", "bill_gas_kwh_per_month"])  # A has no gas: unknown, not 0


def test_index_advancing_between_bills_is_unbilled_energy():
    tables = tiny_tables()
    bills = tables["bills"].copy()
    may = (bills["customer_id"] == "A") & (bills["read_date"] == pd.Timestamp("2020-05-31"))
    bills.loc[may, ["start_reading", "end_reading"]] = [350, 350]  # 100 units skipped after April's 250
    a = bills_features(CustomerFeatureBuilder({**tables, "bills": bills}).context("2020-06")).loc["A"]
    assert a["bill_index_chain_break_share"] == pytest.approx(2 / 5)  # May starts at 350, June at 250
    assert a["bill_unbilled_gap_share"] == pytest.approx(100 / (100 + 200))


def test_future_bills_do_not_change_features():
    tables = tiny_tables()
    before = bills_features(CustomerFeatureBuilder(tables).context("2020-06"))
    later = tables["bills"]["read_date"] > pd.Timestamp("2020-06-30")
    changed = tables["bills"].copy()
    changed.loc[later, "kwh_billed"] = 1e6
    changed.loc[later, "end_reading"] = -5
    after = bills_features(CustomerFeatureBuilder({**tables, "bills": changed}).context("2020-06"))
    pd.testing.assert_frame_equal(before, after)


def test_bills_without_indexes_give_nan_not_zero():
    bills = pd.DataFrame(
        {
            "customer_id": ["A", "A"],
            "read_date": pd.to_datetime(["2020-01-31", "2020-02-29"]),
            "kwh_billed": [0.0, 0.0],
        }
    )
    tables = {"customers": tiny_tables()["customers"], "bills": bills}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = bills_features(CustomerFeatureBuilder(tables).context("2020-02")).loc["A"]
    assert np.isnan(out["bill_identity_mismatch_share"])
    assert np.isnan(out["bill_index_backwards_count"])
    assert np.isnan(out["bill_trend_last4"])  # no history before the last 4 periods
    assert out["bill_zero_share"] == 1.0


def test_every_feature_is_described_with_a_reason():
    for name in FEATURE_NAMES:
        s = spec(name)
        assert s.family == "bills"
        assert "{value}" in s.reason_en and "{value}" in s.reason_zh
    assert (
        spec("bill_zero_advancing_last4").reason_zh == "最近4个抄表周期中有{value}个结算电量为0，但表码仍在走"
    )
