"""The bucketed feature build gives exactly the whole-table frame, on every engine."""

import numpy as np
import pandas as pd
import pytest
from feature_tables import customers_frame, readings_from

from gridaudit.config import Config
from gridaudit.engine import EngineError, build_features_bucketed, readings_span
from gridaudit.features import CustomerFeatureBuilder
from gridaudit.io import bucket_of, read_tables, write_table

AS_OF = "2025-11"
N_BUCKETS = 4


@pytest.fixture(scope="module")
def synth_warehouse(tmp_path_factory):
    """400 synthetic customers x 13 months, ingested into 4 buckets, and their whole-table frame."""
    from gridaudit.ingest import ingest
    from gridaudit.synth import generate_tables
    from gridaudit.synth.write import write_dataset

    root = tmp_path_factory.mktemp("engine")
    tables, truth = generate_tables(customers=400, months=13, end_month="2025-12", seed=3)
    write_dataset(root / "raw", tables, truth)
    config = Config(n_buckets=N_BUCKETS)
    ingest(root / "raw", root / "wh", config)
    whole = CustomerFeatureBuilder(read_tables(root / "wh"), config).build(AS_OF)
    return root / "wh", config, whole


def test_in_process_buckets_equal_the_whole_build(synth_warehouse):
    warehouse, config, whole = synth_warehouse
    bucketed = build_features_bucketed(warehouse, AS_OF, config, engine="local")
    pd.testing.assert_frame_equal(bucketed, whole, check_exact=True)
    # the comparison is not vacuous: group features have values, and the buckets were many
    assert whole["area_consumption_drop_share"].notna().sum() > 300
    assert whole["kwh_mean_3m_ratio_company_peers"].notna().sum() > 300
    assert whole["curve_peer_corr_area_90d"].notna().sum() > 300  # peer curves add up across buckets


def test_process_pool_equals_the_whole_build(synth_warehouse):
    warehouse, config, whole = synth_warehouse
    bucketed = build_features_bucketed(warehouse, AS_OF, config, engine="processes", workers=2)
    pd.testing.assert_frame_equal(bucketed, whole, check_exact=True)


@pytest.mark.slow
def test_dask_local_cluster_with_two_workers_equals_the_whole_build(synth_warehouse):
    from dask.distributed import LocalCluster

    warehouse, config, whole = synth_warehouse
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        bucketed = build_features_bucketed(
            warehouse, AS_OF, config, engine="dask", scheduler=cluster.scheduler_address
        )
    pd.testing.assert_frame_equal(bucketed, whole, check_exact=True)


# ---------------------------------------------------------------- by hand, across two buckets
END = "2024-03-31"


@pytest.fixture(scope="module")
def two_bucket_warehouse(tmp_path_factory):
    """A and C in bucket 1, D and E in bucket 0; A, C, D share area X.

    A falls from 10 to 4 kWh/day over the last 90 days (drop 6), D from 10 to 7 (drop 3), C is
    flat. D's readings start 200 days before the end and E has none, so bucket 0's own readings
    start 250 days later than the company's. A was found stealing in February; only A has bills.
    """
    customers = customers_frame(
        [
            ("A", "residential", "X"),
            ("C", "commercial", "X"),
            ("D", "residential", "X"),
            ("E", "residential", "Y"),
        ]
    )
    assert list(bucket_of(customers["customer_id"], 2)) == [1, 1, 0, 0]
    readings = readings_from(
        {
            "A": np.r_[np.full(360, 10.0), np.full(90, 4.0)],
            "C": np.full(450, 20.0),
            "D": np.r_[np.full(110, 10.0), np.full(90, 7.0)],
        },
        END,
    )
    tables = {
        "customers": customers,
        "readings": readings,
        "bills": pd.DataFrame(
            {
                "customer_id": ["A"] * 3,
                "read_date": pd.to_datetime(["2024-01-31", "2024-02-29", "2024-03-31"]),
                "kwh_billed": [300.0, 120.0, 125.0],
            }
        ),
        "inspections": pd.DataFrame(
            {
                "inspection_id": ["I1"],
                "target_type": ["customer"],
                "target_id": ["A"],
                "date": pd.to_datetime(["2024-02-10"]),
                "result": ["theft"],
                "recorded_date": pd.to_datetime(["2024-02-20"]),
            }
        ),
        "area_line_loss": pd.DataFrame(
            {"area_id": ["X"], "month": ["2024-03"], "supplied_kwh": [1000.0], "billed_kwh": [900.0]}
        ),
    }
    warehouse = tmp_path_factory.mktemp("hand") / "wh"
    for name, frame in tables.items():
        write_table(warehouse, name, frame, n_buckets=2)
    return warehouse


def test_area_statistics_count_customers_of_other_buckets(two_bucket_warehouse):
    frame = build_features_bucketed(two_bucket_warehouse, "2024-03", engine="local")
    share = frame["area_consumption_drop_share"]
    assert share["A"] == pytest.approx(6 / 9)  # not 1: D's drop in the other bucket counts
    assert share["D"] == pytest.approx(3 / 9)
    assert share["C"] == 0.0
    assert np.isnan(share["E"])  # no curve
    # A's inspection is in bucket 1; D, in bucket 0, sees it in its area's counts
    assert frame.loc["D", ["area_insp_count_3m", "area_finding_count_3m"]].tolist() == [1.0, 1.0]
    assert frame.loc["E", "area_insp_count_3m"] == 0.0
    assert frame.loc["D", "area_loss_rate_1m"] == pytest.approx(0.1)  # shared table, whole


def test_hand_built_buckets_equal_the_whole_build(two_bucket_warehouse):
    """Also covers a bucket without bills (columns merged in order) and a late-starting curve."""
    whole = CustomerFeatureBuilder(read_tables(two_bucket_warehouse)).build("2024-03")
    bucketed = build_features_bucketed(two_bucket_warehouse, "2024-03", engine="local")
    pd.testing.assert_frame_equal(bucketed, whole, check_exact=True)
    assert whole["tariff_category"].cat.categories.tolist() == ["commercial", "residential"]


def test_readings_span_comes_from_the_parquet_statistics(two_bucket_warehouse):
    first, last = readings_span(two_bucket_warehouse)
    assert (first, last) == (pd.Timestamp(END) - pd.Timedelta(days=449), pd.Timestamp(END))


def test_unknown_engine_is_refused_with_the_choices(two_bucket_warehouse):
    with pytest.raises(EngineError, match="unknown engine 'spark'; use one of local, processes, dask"):
        build_features_bucketed(two_bucket_warehouse, "2024-03", engine="spark")


def test_features_command_on_the_process_engine(two_bucket_warehouse, tmp_path):
    from typer.testing import CliRunner

    from gridaudit.cli import commands  # noqa: F401  (attaches the commands)
    from gridaudit.cli.app import app

    out = tmp_path / "features.parquet"
    args = ["features", "--warehouse", str(two_bucket_warehouse), "--as-of", "2024-03", "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--engine", "processes", "--workers", "2"])
    assert result.exit_code == 0, result.output
    expected = build_features_bucketed(two_bucket_warehouse, "2024-03").reset_index()
    pd.testing.assert_frame_equal(pd.read_parquet(out), expected, check_exact=True)
    refused = CliRunner().invoke(app, [*args, "--scheduler", "tcp://127.0.0.1:1"])
    assert isinstance(refused.exception, EngineError)
    assert "needs the dask engine" in str(refused.exception)


def test_buckets_are_grouped_into_tasks_up_to_a_customer_limit():
    from gridaudit.engine import bucket_batches

    sizes = {0: 40, 1: 50, 2: 30, 3: 200, 4: 10}
    assert bucket_batches(sizes, task_customers=100) == [[0, 1], [2], [3], [4]]
    assert bucket_batches(sizes, task_customers=1000) == [[0, 1, 2, 3, 4]]
    # four workers want four tasks: the limit drops to 330 / 4 -> 83 customers
    assert bucket_batches(sizes, task_customers=1000, min_tasks=4) == [[0], [1, 2], [3], [4]]


@pytest.mark.parametrize("task_customers", [1, 150])
def test_any_grouping_of_buckets_gives_the_same_frame(synth_warehouse, task_customers):
    warehouse, config, whole = synth_warehouse
    bucketed = build_features_bucketed(warehouse, AS_OF, config, task_customers=task_customers)
    pd.testing.assert_frame_equal(bucketed, whole, check_exact=True)
