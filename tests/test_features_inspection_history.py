"""Inspection-history features, including shared case 04 (results that arrive late)."""

import numpy as np
import pandas as pd
import pytest
from feature_tables import customers_frame, readings_from

from gridaudit.config import Config
from gridaudit.features import CustomerFeatureBuilder
from gridaudit.features.inspection_history import inspection_history_features

CUSTOMERS = customers_frame([("A", "residential", "X"), ("B", "residential", "X"), ("C", "commercial", "Y")])


def _inspections(late_result: str = "theft") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "inspection_id": ["I1", "I2", "I3", "I4", "I5", "I6"],
            "target_type": ["customer", "customer", "customer", "customer", "work_order", "customer"],
            "target_id": ["A", "A", "B", "C", "WO9", "B"],
            "date": pd.to_datetime(
                ["2023-05-10", "2024-01-15", "2024-03-28", "2024-02-01", "2024-03-01", "2024-03-05"]
            ),
            "result": ["theft", "clean", late_result, "metering_error", "process_error", "violation"],
            # I2 and I3 have no write-up date: known one month (the label delay) after the visit
            "recorded_date": pd.to_datetime(
                ["2023-05-20", None, None, "2024-02-05", "2024-03-02", "2024-04-10"]
            ),
        }
    )


def _features(inspections: pd.DataFrame, **tables) -> pd.DataFrame:
    builder = CustomerFeatureBuilder({"customers": CUSTOMERS, "inspections": inspections, **tables}, Config())
    return inspection_history_features(builder.context("2024-03"))


@pytest.fixture(scope="module")
def features() -> pd.DataFrame:
    return _features(_inspections())


def test_own_record_counts_known_customer_results_only(features):
    a = features.loc["A"]
    assert (a["insp_count"], a["insp_finding_count"], a["insp_theft_count"]) == (2, 1, 1)
    assert a["months_since_last_inspection"] == pytest.approx(76 / 30.4375)  # 2024-01-15
    assert a["months_since_last_finding"] == pytest.approx(326 / 30.4375)  # 2023-05-10
    # B's two visits are written up after March: nothing is known about B yet
    b = features.loc["B"]
    assert b["insp_count"] == 0
    assert np.isnan(b["months_since_last_inspection"])
    assert features.loc["C", "insp_error_count"] == 1


def test_area_findings_exclude_results_not_yet_known(features):
    # case 04: the 2024-03-28 theft in area X is known only at the end of April
    assert features.loc["A", "area_insp_count_3m"] == 1  # I2 (clean) only
    assert features.loc["A", "area_finding_count_3m"] == 0
    assert features.loc["A", "area_finding_rate_3m"] == 0.0
    assert features.loc["B", "area_finding_rate_12m"] == pytest.approx(0.5)  # I1 theft, I2 clean
    assert features.loc["C", "area_finding_rate_3m"] == 1.0


def test_case_04_changing_a_late_result_changes_no_feature():
    builders = [
        CustomerFeatureBuilder({"customers": CUSTOMERS, "inspections": _inspections(result)}, Config())
        for result in ("theft", "clean")
    ]
    first, second = (builder.build("2024-03") for builder in builders)
    pd.testing.assert_frame_equal(first, second)
    # ... but as of April it is known and counts (beside I6, the violation written up on 2024-04-10)
    april = [builder.build("2024-04") for builder in builders]
    assert april[0].loc["A", "area_finding_count_3m"] == 2
    assert april[1].loc["A", "area_finding_count_3m"] == 1


def test_consumption_change_after_last_inspection_or_meter_replacement():
    # C: 60 days to 2024-03-31 (2024-03-02 is day 30); A: 120 days, around its 2024-01-15 visit
    readings = readings_from(
        {"A": np.full(120, 8.0), "C": np.r_[np.full(30, 10.0), np.full(30, 4.0)]}, "2024-03-31"
    )
    orders = pd.DataFrame(
        {
            "order_id": ["W1"],
            "customer_id": ["C"],
            "kind": ["meter_replacement"],
            "created_at": pd.to_datetime(["2024-02-28"]),
            "completed_at": pd.to_datetime(["2024-03-02"]),
        }
    )
    features = _features(_inspections(), readings=readings, work_orders=orders)
    assert features.loc["C", "kwh_change_after_inspection_or_meter_change"] == pytest.approx(-0.6)
    assert features.loc["A", "kwh_change_after_inspection_or_meter_change"] == pytest.approx(0.0)
    assert np.isnan(features.loc["B", "kwh_change_after_inspection_or_meter_change"])
