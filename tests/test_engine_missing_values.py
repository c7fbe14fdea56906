"""Missing values everywhere: the bucketed build still equals the whole build to the last digit.

Every optional number of every table is blanked on a random 15% of rows, 5% of daily readings
are missing, and one bucket has no readings at all, so the group statistics of pass 2 add
buckets with and without missing values. The whole build from tables in another row order must
give the same numbers too: sums over groups are added in an order that does not depend on the rows'.
"""

import numpy as np
import pandas as pd
import pytest

from gridaudit.contract import TABLES
from gridaudit.engine import build_features_bucketed
from gridaudit.features import CustomerFeatureBuilder
from gridaudit.io import bucket_of, read_tables, write_table

AS_OF = "2025-11"
N_BUCKETS = 8
DRY_BUCKET = 3  # no readings at all


def _with_holes(tables: dict[str, pd.DataFrame], seed: int = 0) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    out = {}
    for name, frame in tables.items():
        frame = frame.copy()
        for column in TABLES[name].columns:
            optional_number = not column.required and column.kind == "float"
            if optional_number and column.name in frame.columns:
                frame.loc[rng.random(len(frame)) < 0.15, column.name] = np.nan
        if name == "readings":
            frame.loc[rng.random(len(frame)) < 0.05, "kwh"] = np.nan
            dry = bucket_of(frame["customer_id"], N_BUCKETS) == DRY_BUCKET
            frame = frame.loc[~np.asarray(dry)]
        out[name] = frame.reset_index(drop=True)
    return out


@pytest.fixture(scope="module")
def holed(tmp_path_factory):
    from gridaudit.synth import generate_tables

    tables, _truth = generate_tables(customers=240, months=14, end_month="2025-12", seed=11)
    tables = _with_holes(tables)
    warehouse = tmp_path_factory.mktemp("holes") / "wh"
    for name, frame in tables.items():
        write_table(warehouse, name, frame, n_buckets=N_BUCKETS)
    whole = CustomerFeatureBuilder(read_tables(warehouse)).build(AS_OF)
    return warehouse, whole


def test_buckets_with_missing_values_equal_the_whole_build(holed):
    warehouse, whole = holed
    bucketed = build_features_bucketed(warehouse, AS_OF, task_customers=1)
    pd.testing.assert_frame_equal(bucketed, whole, check_exact=True)
    # not vacuous: the dry bucket's customers have no curve, the others' group features have values
    dry = np.asarray(bucket_of(whole.index.to_series(), N_BUCKETS) == DRY_BUCKET)
    assert dry.sum() > 10
    assert whole.loc[dry, "kwh_mean_3m"].isna().all()
    for column in (
        "area_consumption_drop_share",
        "residential_commercial_likeness",
        "curve_peer_corr_area_90d",
        "curve_peer_corr_company_90d",
        "kwh_mean_3m_z_area_peers",
        "refund_share_12m",
    ):
        assert whole.loc[~dry, column].notna().sum() > 5, column


def test_row_order_of_the_tables_does_not_change_a_feature(holed):
    warehouse, whole = holed
    shuffled = {
        name: frame.sample(frac=1.0, random_state=5).reset_index(drop=True)
        for name, frame in read_tables(warehouse).items()
    }
    again = CustomerFeatureBuilder(shuffled).build(AS_OF).loc[whole.index]
    pd.testing.assert_frame_equal(again, whole, check_exact=True, check_categorical=False)


def test_group_sums_are_the_same_floats_in_any_order():
    from gridaudit.features._windows import sum_by_row
    from gridaudit.features.groups import group_sum_and_count

    values = np.array([0.1, 0.2, 0.3, np.nan, 5.0, 1e16, -1e16])
    groups = np.array(["x", "x", "x", "x", None, "y", "y"], dtype=object)
    assert (0.1 + 0.2) + 0.3 != 0.1 + (0.2 + 0.3)  # float addition is not associative
    sums, counts = group_sum_and_count(values, groups)
    for order in ([2, 1, 0, 3, 4, 5, 6], [3, 0, 2, 1, 4, 6, 5]):
        again, _ = group_sum_and_count(values[order], groups[order])
        assert np.array_equal(again, sums[order], equal_nan=True)
        rows = np.array([0, 0, 0, 0, -1, 1, 1])[order]
        assert np.array_equal(
            sum_by_row(rows, 2, values[order]), sum_by_row(np.array([0, 0, 0, 0, -1, 1, 1]), 2, values)
        )
    assert counts.tolist()[:4] == [3.0, 3.0, 3.0, 3.0] and np.isnan(sums[4]) and np.isnan(counts[4])
    assert sums[5] == 0.0  # smallest first: -1e16 + 1e16
