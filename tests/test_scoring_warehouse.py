"""The monthly job from the warehouse (issue 8): bounded reads, and the same list as in memory.

``score_warehouse`` builds the features bucket by bucket and reads raw rows only for the listed
customers, a bounded sample of their peers and the customers of recent work orders; its list,
curves and contributions must equal ``score_month`` on the whole tables, byte for byte, on the
local, process-pool and Dask engines.
"""

import json

import numpy as np
import pandas as pd
import pytest

from gridaudit import engine as engine_module
from gridaudit import io as io_module
from gridaudit.config import Config
from gridaudit.features import CustomerFeatureBuilder, WorkOrderFeatureBuilder
from gridaudit.io import read_table, read_tables, write_table
from gridaudit.model import RiskModel
from gridaudit.scoring import curves as curves_module
from gridaudit.scoring import score_month, score_warehouse, warehouse_inputs
from gridaudit.scoring.curves import peer_curve_ids, peer_groups
from gridaudit.scoring.warehouse_inputs import order_customer_ids
from gridaudit.warehouse_reads import read_customer_rows, warehouse_snapshot

COMPARED = ("list.parquet", "list.csv", "curves.parquet", "contributions.parquet")


# ---------------------------------------------------------------- reads, by hand
@pytest.fixture
def small_warehouse(tmp_path):
    readings = pd.DataFrame(
        {
            "customer_id": ["C1", "C1", "C2", "C3", "C3", "C4"],
            "date": pd.to_datetime(
                ["2025-01-02", "2025-01-01", "2025-01-01", "2025-01-01", "2025-01-02", "2025-01-01"]
            ),
            "kwh": [2.0, 1.0, 5.0, np.nan, 7.0, 9.0],
        }
    )
    write_table(tmp_path, "readings", readings, n_buckets=3)
    return tmp_path


def test_customer_rows_are_the_whole_tables_rows_of_those_customers(small_warehouse):
    rows = read_customer_rows(small_warehouse, "readings", ["C3", "C1"])
    whole = read_table(small_warehouse, "readings")
    expected = whole[whole["customer_id"].isin(["C1", "C3"])].reset_index(drop=True)
    pd.testing.assert_frame_equal(rows, expected)
    assert rows["customer_id"].tolist() == ["C1", "C1", "C3", "C3"]  # sorted by (customer, date)
    np.testing.assert_array_equal(rows["kwh"].to_numpy(), [1.0, 2.0, np.nan, 7.0])


def test_customer_rows_of_nobody_or_of_an_absent_table(small_warehouse):
    assert read_customer_rows(small_warehouse, "readings", ["C9"]).empty
    assert read_customer_rows(small_warehouse, "readings", []).empty
    assert read_customer_rows(small_warehouse, "bills", ["C1"]) is None


def test_snapshot_counts_rows_from_footers_and_changes_with_the_files(small_warehouse):
    first = warehouse_snapshot(small_warehouse)
    assert first["rows"] == {"readings": 6}
    assert warehouse_snapshot(small_warehouse) == first  # same files, same hash
    changed = read_table(small_warehouse, "readings").assign(kwh=1.0)
    write_table(small_warehouse, "readings", changed, n_buckets=3)
    second = warehouse_snapshot(small_warehouse)
    assert second["rows"] == first["rows"]
    assert second["hash"] != first["hash"]


# ---------------------------------------------------------------- peer groups, by hand
def _features(groups: dict[tuple[str, str], int]) -> pd.DataFrame:
    rows = [(t, a) for (t, a), n in groups.items() for _ in range(n)]
    ids = [f"K{i:04d}" for i in range(len(rows))]
    return pd.DataFrame(
        {"tariff_category": [t for t, _ in rows], "area_id": [a for _, a in rows]},
        index=pd.Index(ids, name="customer_id"),
    ).astype("category")


def test_peer_group_is_tariff_and_area_else_the_whole_tariff():
    # ("res", "A1") has 6 customers (>= 5): its own group; ("res", "A2") has 2: all of "res"
    features = _features({("res", "A1"): 6, ("res", "A2"): 2, ("biz", "A1"): 5})
    keys, members = peer_groups(features, ["K0000", "K0006"])
    assert keys == [("res", "A1"), ("res", "A2")]
    assert list(members[("res", "A1")]) == [f"K{i:04d}" for i in range(6)]
    assert list(members[("res", "A2")]) == [f"K{i:04d}" for i in range(8)]


def test_large_peer_groups_are_a_stable_sample_of_bounded_size(monkeypatch):
    features = _features({("res", "A1"): 50})
    _, members = peer_groups(features, ["K0003"], max_members=7)
    sample = members[("res", "A1")]
    assert len(sample) == 7
    # the same sample whatever the row order of the frame
    _, shuffled = peer_groups(features.sample(frac=1.0, random_state=1), ["K0003"], max_members=7)
    assert list(shuffled[("res", "A1")]) == list(sample)
    monkeypatch.setattr(curves_module, "PEER_CURVE_MEMBERS", 7)
    needed = peer_curve_ids(features, ["K0003"])  # the listed customer and the 7 sampled peers
    assert set(needed) == {"K0003", *sample}


def test_order_customers_are_those_of_open_or_recent_orders():
    orders = pd.DataFrame(
        {
            "customer_id": ["C1", "C2", "C3", "C4"],
            "completed_at": pd.to_datetime([None, "2025-10-01", "2025-09-30", "2025-12-20"]),
        }
    )
    # window of 3 months ending 2025-11 starts 2025-09-01; C3 on 09-30 is inside
    assert order_customer_ids(orders, "2025-11") == ["C1", "C2", "C3", "C4"]
    assert order_customer_ids(orders, "2025-12") == ["C1", "C2", "C4"]


# ---------------------------------------------------------------- end to end, every engine
BIG_TABLES = ("readings", "bills", "billing_adjustments")


def _no_whole_big_tables(read_table):
    def guarded(warehouse, table, buckets=None, *args, **kwargs):
        assert buckets is not None or table not in BIG_TABLES, f"{table} read whole"
        return read_table(warehouse, table, buckets, *args, **kwargs)

    return guarded


def _refuse(*args, **kwargs):
    raise AssertionError("read_tables called: every table read whole")


@pytest.fixture(scope="module")
def lists(tmp_path_factory):
    """One synthetic warehouse (4 buckets), both models, and the list from memory and from the
    warehouse on each engine (peer sample lowered so that sampling is exercised)."""
    from dask.distributed import LocalCluster

    from gridaudit.ingest import ingest
    from gridaudit.synth import generate_tables, truth_active, write_dataset

    root = tmp_path_factory.mktemp("warehouse_job")
    config = Config(n_buckets=4, capacity=12, seed=3)
    raw, truth = generate_tables(customers=400, months=13, end_month="2025-12", seed=4)
    write_dataset(root / "raw", raw, truth)
    ingest(root / "raw", root / "wh", config)
    tables = read_tables(root / "wh")
    customers = CustomerFeatureBuilder(tables, config).build("2025-11")
    y_c = truth_active(truth["customers"], "2025-11").reindex(customers.index).fillna(False).astype(int)
    params = {"min_child_samples": 5, "num_threads": 1}
    c_model = RiskModel(params=params, num_boost_round=20, early_stopping_rounds=None).fit(customers, y_c)
    orders = WorkOrderFeatureBuilder(tables, config).build("2025-11")
    problem = truth["work_orders"].set_index("order_id")["problem"] != "none"
    o_model = RiskModel(params=params, num_boost_round=20, early_stopping_rounds=None)
    o_model.fit(orders, problem.reindex(orders.index).fillna(False).astype(int))
    common = {
        "model": c_model,
        "model_info": {"name": "customer_risk", "version": "1"},
        "order_model": o_model,
        "order_model_info": {"name": "work_order_risk", "version": "2"},
        "order_capacity": 4,
    }
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(curves_module, "PEER_CURVE_MEMBERS", 15)
        results = {"memory": score_month(tables, "2025-12", config=config, out_dir=root / "memory", **common)}
        with pytest.MonkeyPatch.context() as guard:  # the warehouse path never reads a big table whole
            for module in (io_module, engine_module, warehouse_inputs):
                guard.setattr(module, "read_table", _no_whole_big_tables(module.read_table))
            guard.setattr(io_module, "read_tables", _refuse)
            results["local"] = score_warehouse(
                root / "wh", "2025-12", config=config, out_dir=root / "local", **common
            )
        results |= {
            "processes": score_warehouse(
                root / "wh",
                "2025-12",
                config=config.replace(engine="processes", workers=2),
                out_dir=root / "processes",
                **common,
            ),  # fmt: skip
        }
        with LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster:
            dask_config = config.replace(engine="dask", scheduler=cluster.scheduler_address)
            results["dask"] = score_warehouse(
                root / "wh", "2025-12", config=dask_config, out_dir=root / "dask", **common
            )
    return results


@pytest.mark.slow
@pytest.mark.parametrize("path", ["local", "processes", "dask"])
def test_warehouse_list_equals_the_in_memory_list_byte_for_byte(lists, path):
    memory, other = lists["memory"], lists[path]
    for name in COMPARED:
        assert (other.folder / name).read_bytes() == (memory.folder / name).read_bytes(), name
    # the comparison is not vacuous: customers, orders, recovery and peer curves are all there
    listing = memory.listing
    assert (listing["target_type"] == "customer").sum() == 12
    assert (listing["target_type"] == "work_order").sum() == 4
    assert listing["expected_recovery"].notna().sum() >= 10
    curves = pd.read_parquet(memory.folder / "curves.parquet")
    assert curves["peer_kwh"].notna().sum() > 1000


@pytest.mark.slow
def test_warehouse_run_record_counts_match_and_the_snapshot_comes_from_files(lists):
    memory = json.loads((lists["memory"].folder / "run.json").read_text(encoding="utf-8"))
    local = json.loads((lists["local"].folder / "run.json").read_text(encoding="utf-8"))
    assert local["counts"] == memory["counts"]
    assert local["data"]["source"] == "warehouse files"
    assert local["data"]["rows"] == memory["data"]["rows"]
