"""Bill features measured against company norms are the same bucket by bucket as over everyone."""

import numpy as np
import pandas as pd
import pytest
from feature_tables import customers_frame

from gridaudit.engine import build_features_bucketed
from gridaudit.features import CustomerFeatureBuilder
from gridaudit.features.bills import NORM_FEATURES, bills_features, usual_code
from gridaudit.io import bucket_of, read_tables, write_table

AS_OF = "2024-03"
DATES = pd.to_datetime(["2022-12-31", "2023-06-30", "2023-12-31", "2024-03-31"])  # last 3 in 12 months


def _bills(customer, statuses, remarks, periods, kwh, tier2) -> pd.DataFrame:
    kwh = np.asarray(kwh, dtype=float)
    return pd.DataFrame(
        {
            "customer_id": customer,
            "meter_id": f"{customer}1",
            "read_date": DATES,
            "period_months": periods,
            "kwh_billed": kwh,
            "kwh_tier_1": kwh - tier2,
            "kwh_tier_2": tier2,
            "meter_status": statuses,
            "reading_remark": remarks,
        }
    )


def norm_tables() -> dict[str, pd.DataFrame]:
    """A and C (bucket 1) against D and E (bucket 0): each bucket has other usual codes and sizes.

    Status codes: bucket 1 carries "7" five times and "3" twice, bucket 0 "3" seven times; the
    company's usual code is "3" (9 bills against 6), so A's three "7" are abnormal ("0" is a
    normal word). Remarks: R1 is usual in bucket 1, R2 in the company (10 against 6).
    Periods: 1 month is the median in bucket 1, but the company's 16 periods (seven of 1, eight
    of 2, one of 6) have median 2. kWh per month of the bills reaching tier 2: C's 50 in
    bucket 1, D's 300 in bucket 0, median 175 in the company.
    """
    bills = [
        _bills("A", ["7", "7", "7", "0"], ["R1"] * 4, [1, 1, 1, 2], [100, 100, 100, 200], 0.0),
        _bills("C", ["7", "7", "3", "3"], ["R1", "R1", "R2", "R2"], [1] * 4, [50] * 4, 10.0),
        _bills("D", ["3"] * 4, ["R2"] * 4, [2] * 4, [600] * 4, 200.0),
        _bills("E", ["3", "3", "3", "7"], ["R2"] * 4, [2, 2, 2, 6], [400] * 4, 0.0),
    ]
    customers = customers_frame([(c, "residential", "X") for c in "ACDE"])
    assert list(bucket_of(customers["customer_id"], 2)) == [1, 1, 0, 0]
    return {"customers": customers, "bills": pd.concat(bills, ignore_index=True)}


@pytest.fixture(scope="module")
def norm_warehouse(tmp_path_factory):
    warehouse = tmp_path_factory.mktemp("bill_norms") / "wh"
    for name, frame in norm_tables().items():
        write_table(warehouse, name, frame, n_buckets=2)
    return warehouse


def test_buckets_with_other_usual_codes_and_periods_equal_the_whole_build(norm_warehouse):
    whole = CustomerFeatureBuilder(read_tables(norm_warehouse)).build(AS_OF)
    for task_customers in (1, 2, 5000):  # every bucket alone, and both in one task
        bucketed = build_features_bucketed(norm_warehouse, AS_OF, task_customers=task_customers)
        pd.testing.assert_frame_equal(bucketed, whole, check_exact=True)
    assert not any(c.startswith("_group_input__") for c in whole.columns)


def test_norms_are_the_company_s_not_the_bucket_s(norm_warehouse):
    frame = build_features_bucketed(norm_warehouse, AS_OF, task_customers=1)
    expected = pd.DataFrame(
        {
            "bill_status_abnormal_share": [3 / 4, 2 / 4, 0.0, 1 / 4],
            "bill_status_abnormal_share_12m": [2 / 3, 1 / 3, 0.0, 1 / 3],
            "bill_remark_unusual_share": [1.0, 2 / 4, 0.0, 0.0],
            "bill_remark_unusual_share_12m": [1.0, 1 / 3, 0.0, 0.0],
            "bill_long_period_share": [0.0, 0.0, 0.0, 1 / 4],  # only E's 6 months beat the median 2
            "bill_tier1_only_large_share": [0.0, 0.0, 0.0, 3 / 4],  # E's 200 kWh/month beat 175
        },
        index=pd.Index(list("ACDE"), name="customer_id"),
    )
    pd.testing.assert_frame_equal(frame[list(NORM_FEATURES)], expected)


def test_the_family_alone_gives_the_same_norm_features():
    tables = norm_tables()
    alone = bills_features(CustomerFeatureBuilder(tables).context(AS_OF))
    built = CustomerFeatureBuilder(tables).build(AS_OF)
    pd.testing.assert_frame_equal(alone, built[alone.columns], check_exact=True)


def test_a_bucket_alone_would_see_other_norms():
    """Why pass 2 exists: A and C without D and E get bucket 1's norms."""
    tables = norm_tables()
    bucket = {name: frame[frame["customer_id"].isin(["A", "C"])] for name, frame in tables.items()}
    alone = bills_features(CustomerFeatureBuilder(bucket).context(AS_OF))
    assert alone.loc["A", "bill_status_abnormal_share"] == 0.0  # "7" is bucket 1's usual code
    assert alone.loc["A", "bill_long_period_share"] == 1 / 4  # its 2 months beat bucket 1's median 1
    assert alone.loc["A", "bill_tier1_only_large_share"] == 1.0  # 100 kWh/month beat C's 50


def test_usual_code_breaks_ties_by_the_smallest_code_in_any_order():
    codes = pd.Series(["9", "b", "a", "9", "b", "a"], dtype="str")
    bills = np.array([1.0, 2.0, 2.0, 1.0, 0.0, 0.0])  # 9, a and b: 2 bills each
    assert usual_code(codes, bills) == "9"
    assert usual_code(codes[::-1].reset_index(drop=True), bills[::-1]) == "9"
    assert usual_code(codes, np.array([1.0, 2.0, 2.0, 1.0, 1.0, 0.0])) == "b"


def test_a_missing_kwh_in_one_bucket_does_not_change_sums_in_the_other(tmp_path):
    """pandas 3 sums a column without NaN another way (reduceat) than one with NaN; the bill
    features add per customer themselves, so D's sums in bucket 0 do not depend on A's NaN."""
    tables = norm_tables()
    bills = tables["bills"]
    bills.loc[bills["customer_id"] == "D", "kwh_billed"] = [0.1, 0.2, 0.3, 0.4]  # no exact sum
    bills.loc[bills.index[0], "kwh_billed"] = np.nan  # A, bucket 1
    warehouse = tmp_path / "wh"
    for name, frame in tables.items():
        write_table(warehouse, name, frame, n_buckets=2)
    whole = CustomerFeatureBuilder(read_tables(warehouse)).build(AS_OF)
    bucketed = build_features_bucketed(warehouse, AS_OF, task_customers=1)
    pd.testing.assert_frame_equal(bucketed, whole, check_exact=True)
    assert whole.loc["D", "bill_kwh_per_month_cv"] > 0
