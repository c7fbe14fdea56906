"""Bill features on where the index stood, meter model codes, connection and gas bills, by hand."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from gridaudit.features import CustomerFeatureBuilder
from gridaudit.features.bills import bills_features
from gridaudit.scoring.reasons import render_reason


def _bill(customer, meter, date, start, end, model="203", meter_type="electricity", tier3=0.0):
    kwh = end - start
    return {
        "customer_id": customer,
        "meter_id": meter,
        "read_date": pd.Timestamp(date),
        "period_months": 1,
        "start_reading": float(start),
        "end_reading": float(end),
        "multiplier": 1.0,
        "kwh_billed": float(kwh),
        "kwh_tier_1": float(kwh) - tier3,
        "kwh_tier_2": 0.0,
        "kwh_tier_3": tier3,
        "kwh_tier_4": 0.0,
        "meter_type": meter_type,
        "meter_model": model,
    }


def _tables(bills: list[dict], connect=("2019-10-15", "2020-01-01")) -> dict[str, pd.DataFrame]:
    customers = pd.DataFrame(
        {
            "customer_id": ["A", "B"],
            "tariff_category": "residential",
            "area_id": "T1",
            "connect_date": pd.to_datetime(list(connect)),
        }
    )
    return {"customers": customers, "bills": pd.DataFrame(bills)}


def _features(tables: dict[str, pd.DataFrame], as_of: str = "2020-06") -> pd.DataFrame:
    ctx = CustomerFeatureBuilder(tables).context(as_of)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return bills_features(ctx)


BILLS = [
    # A: meter m1 (listed last in the table, read first) starts at 5,000; model 203 then 207 on m1;
    # m2 replaces it in March under model 5; a gas meter with two bills
    _bill("A", "m2", "2020-03-15", 100, 160, model="5"),
    _bill("A", "m2", "2020-04-15", 160, 400, model="5", tier3=40.0),
    _bill("A", "m1", "2020-01-15", 5000, 5100, model="203"),
    _bill("A", "m1", "2020-02-15", 5100, 5250, model="207", tier3=25.0),
    _bill("A", "g1", "2020-01-15", 0, 10, model="9", meter_type="gas"),
    _bill("A", "g1", "2020-02-15", 10, 30, model="9", meter_type="gas"),
    # B: one meter, one model, first bill in March; a bill after the as-of month must not count
    _bill("B", "m9", "2020-03-31", 0, 50),
    _bill("B", "m9", "2020-04-30", 50, 120),
    _bill("B", "m9", "2020-07-31", 120, 99999, model="999", tier3=500.0),
]


@pytest.fixture
def features() -> pd.DataFrame:
    return _features(_tables(BILLS))


def test_first_start_index_is_the_earliest_bill_not_the_first_row(features):
    assert features.at["A", "bill_first_start_index"] == 5000
    assert features.at["B", "bill_first_start_index"] == 0


def test_highest_end_index_over_the_electricity_meters(features):
    assert features.at["A", "bill_end_index_max"] == 5250  # the gas meter's 30 is not electricity
    assert features.at["B", "bill_end_index_max"] == 120  # July's 99,999 is after the as-of month


def test_meter_model_codes_and_their_changes_on_one_meter(features):
    assert features.at["A", "bill_meter_model_count"] == 4  # 203, 207, 5 and the gas meter's 9
    assert features.at["A", "bill_meter_model_changes"] == 1  # 203 -> 207 on m1; m1 -> m2 is a replacement
    assert features.at["B", "bill_meter_model_count"] == 1
    assert features.at["B", "bill_meter_model_changes"] == 0


def test_largest_tier3_bill(features):
    assert features.at["A", "bill_tier3_max_kwh"] == 40
    assert features.at["B", "bill_tier3_max_kwh"] == 0


def test_months_from_connection_to_first_bill(features):
    # A: 2019-10-15 -> 2020-01-15 is 92 days; B: 2020-01-01 -> 2020-03-31 is 90 days
    assert features.at["A", "bill_first_bill_after_connection_months"] == pytest.approx(92 / 30.4375)
    assert features.at["B", "bill_first_bill_after_connection_months"] == pytest.approx(90 / 30.4375)


def test_gas_bill_count(features):
    assert features.at["A", "bill_gas_count"] == 2
    assert np.isnan(features.at["B", "bill_gas_count"])  # no gas meter: unknown, not 0


def test_without_model_codes_or_connection_dates_the_features_are_nan():
    bills = pd.DataFrame(BILLS).drop(columns=["meter_model"])
    tables = _tables([])
    tables["bills"] = bills
    tables["customers"] = tables["customers"].drop(columns=["connect_date"])
    features = _features(tables)
    for name in (
        "bill_meter_model_count",
        "bill_meter_model_changes",
        "bill_first_bill_after_connection_months",
    ):
        assert features[name].isna().all(), name
    assert features.at["A", "bill_first_start_index"] == 5000  # the index features do not need them


def test_reasons_name_the_billing_fact_with_its_value():
    assert render_reason("bill_meter_model_changes", 2.0, 0.0, "en") == (
        "2 changes of the meter model code under the same meter number"
    )
    assert render_reason("bill_first_start_index", 5000.0, 12.0, "en") == (
        "the first bill started at index 5,000 (peers 12)"
    )
    assert render_reason("bill_months_since_replacement", 7.0, None, "en").startswith(
        "the electricity meter was replaced 7 months ago"
    )
