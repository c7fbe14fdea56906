"""What keeps the bucketed build's memory bounded: compact partial frames, a pass 2 worked in
chunks, raw rows dropped once pivoted, no sort of a read that is already in order.

Properties of the pieces, not timings: the monthly-job benchmark measures the memory itself.
"""

import numpy as np
import pandas as pd
import pytest
from feature_tables import fabricate_tables

from gridaudit import cluster, engine
from gridaudit.config import Config
from gridaudit.engine import build_features_bucketed
from gridaudit.features import CustomerFeatureBuilder
from gridaudit.features.curve_peers import WINDOW_INPUTS, peer_curve_correlation
from gridaudit.features.groups import is_group_input
from gridaudit.io import is_sorted_by, read_table, read_tables, run_order, write_table

AS_OF = "2024-05"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    """40 fabricated customers in 4 buckets, and their whole-table frame."""
    tables = fabricate_tables(n_customers=40, seed=5)
    root = tmp_path_factory.mktemp("memory") / "wh"
    for name, frame in tables.items():
        write_table(root, name, frame, n_buckets=4)
    whole = CustomerFeatureBuilder(read_tables(root), Config()).build(AS_OF)
    return root, whole


def _partial(warehouse, buckets):
    shared = engine.shared_tables(warehouse)
    return engine.build_bucket_partial(
        warehouse, buckets, AS_OF, Config(), shared, engine.readings_span(warehouse)
    )


def test_engine_names_are_the_shared_ones_from_cluster():
    assert engine.EngineError is cluster.EngineError
    assert engine.ENGINES == cluster.ENGINES == ("local", "processes", "dask")
    with pytest.raises(engine.EngineError, match="unknown engine 'spark'"):
        build_features_bucketed("/nowhere", AS_OF, engine="spark")


def test_partial_frame_keeps_group_inputs_compact(warehouse):
    root, _ = warehouse
    partial = _partial(root, [0, 1])
    # the 90-day window travels as float32 (half of float64), ids as categories
    assert (partial[WINDOW_INPUTS].dtypes == np.float32).all()
    assert isinstance(partial["tariff_category"].dtype, pd.CategoricalDtype)
    assert isinstance(partial["area_id"].dtype, pd.CategoricalDtype)
    # besides the bills' per-customer arrays, nothing is held as Python objects
    objects = [c for c in partial.columns if partial[c].dtype == object]
    assert all(is_group_input(c) and c.startswith("_group_input__bill_") for c in objects)


def test_a_bucket_build_forgets_the_raw_readings_once_pivoted(warehouse):
    root, _ = warehouse
    builder = CustomerFeatureBuilder(read_tables(root, buckets=[2]), Config())
    assert "readings" in builder.context(AS_OF).tables  # callers that want the rows still get them
    assert "readings" not in builder.context(AS_OF, group_pass=True, raw_readings=False).tables
    before = builder.build_partial(AS_OF)
    builder.release_readings()
    assert "readings" not in builder.tables
    pd.testing.assert_frame_equal(builder.build_partial(AS_OF), before, check_exact=True)


def test_partials_are_put_in_customer_order_and_let_go(warehouse):
    root, whole = warehouse
    partials = [_partial(root, [b]) for b in (3, 1, 0, 2)]
    expected = pd.concat(partials)
    customers = read_table(root, "customers")
    ordered = engine._in_customer_order(partials, customers)
    assert partials == []  # the pieces are not held beside the whole
    assert ordered.index.equals(pd.Index(customers["customer_id"], name="customer_id"))
    pd.testing.assert_frame_equal(ordered, expected.loc[ordered.index], check_exact=True)


def test_bucketed_build_still_equals_the_whole_build_with_one_customer_per_task(warehouse):
    root, whole = warehouse
    bucketed = build_features_bucketed(root, AS_OF, Config(), task_customers=1)
    pd.testing.assert_frame_equal(bucketed, whole, check_exact=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_peer_correlation_does_not_depend_on_the_chunk_size(dtype):
    rng = np.random.default_rng(1)
    window = rng.gamma(2.0, 5.0, (50, 90)).astype(dtype)
    window[rng.random(window.shape) < 0.2] = np.nan  # days not collected
    window[7] = 3.0  # a flat curve: no correlation
    codes = rng.integers(-1, 4, 50)  # -1: no peer group
    whole = peer_curve_correlation(window, codes, chunk_rows=len(window))
    assert np.isfinite(whole).sum() > 25
    assert np.isnan(whole[7]) and np.isnan(whole[codes < 0]).all()
    for chunk_rows in (1, 7, 49, 1000):
        chunked = peer_curve_correlation(window, codes, chunk_rows=chunk_rows)
        assert np.array_equal(chunked, whole, equal_nan=True)


def test_is_sorted_by_agrees_with_a_stable_sort():
    dates = pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-01", "2024-01-03"])
    frame = pd.DataFrame({"customer_id": ["A", "A", "B", "B"], "date": dates, "kwh": [1.0, 2.0, 3.0, 4.0]})
    assert is_sorted_by(frame, ["customer_id", "date"])
    swapped = frame.iloc[[1, 0, 2, 3]].reset_index(drop=True)  # A's days out of order
    assert not is_sorted_by(swapped, ["customer_id", "date"])
    assert is_sorted_by(swapped, ["customer_id"])  # ties keep their order in a stable sort
    assert not is_sorted_by(frame.iloc[[2, 3, 0, 1]], ["customer_id", "date"])
    assert not is_sorted_by(pd.DataFrame({"customer_id": ["é", "z"]}), ["customer_id"])  # code points
    assert not is_sorted_by(pd.DataFrame({"kwh": [1.0, np.nan]}), ["kwh"])  # missing: let sort decide
    assert is_sorted_by(frame.iloc[:1], ["customer_id", "date"])


def test_read_table_gives_the_sorted_rows_from_parts_in_any_order(tmp_path):
    readings = pd.DataFrame(
        {
            "customer_id": ["B", "A", "C", "A"],
            "date": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-01", "2024-01-01"]),
            "kwh": [1.0, 2.0, 3.0, 4.0],
        }
    )
    write_table(tmp_path, "readings", readings, n_buckets=3)
    read = read_table(tmp_path, "readings")
    assert read["customer_id"].tolist() == ["A", "A", "B", "C"]
    assert read["kwh"].tolist() == [4.0, 2.0, 1.0, 3.0]
    assert read.index.equals(pd.RangeIndex(4))


def test_release_memory_can_run_between_tasks():
    engine.release_memory()  # no error where malloc_trim is missing either


def test_run_order_sorts_customer_runs_like_a_stable_sort():
    # each customer's rows together and in date order, customers out of order: the chunked writer
    frame = pd.DataFrame(
        {
            "customer_id": ["C", "C", "A", "B", "B", "B"],
            "date": pd.to_datetime(
                ["2024-01-01", "2024-01-02", "2024-01-05", "2024-01-01", "2024-01-02", "2024-01-02"]
            ),
            "kwh": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        }
    )
    key = ["customer_id", "date"]
    order = run_order(frame, key)
    assert order.tolist() == [2, 3, 4, 5, 0, 1]
    expected = frame.sort_values(key, kind="stable").reset_index(drop=True)
    pd.testing.assert_frame_equal(frame.take(order).reset_index(drop=True), expected, check_exact=True)
    # a customer in two runs, or a run out of date order: no shortcut, the caller sorts
    assert run_order(frame.iloc[[0, 2, 1, 3, 4, 5]].reset_index(drop=True), key) is None
    assert run_order(frame.iloc[[1, 0, 2, 3, 4, 5]].reset_index(drop=True), key) is None


def test_partials_of_mixed_kinds_assemble_as_their_concatenation_in_few_blocks():
    """Float64, float32, int, bool, per-customer arrays (object), categories with different
    levels, a column one partial lacks, a group input: the same values and dtypes as
    ``pd.concat`` in customer order, held in a handful of blocks (no fragmented frame), the
    group inputs apart from the features so pass 2 drops them without copying."""
    group = "_group_input__bill_periods"

    def part(ids, seed, with_text=True):
        rng = np.random.default_rng(seed)
        n = len(ids)
        frame = pd.DataFrame(
            {
                "kwh": rng.normal(size=n),
                "share": rng.random(n).astype(np.float32),
                "days": rng.integers(0, 30, n),
                "flag": rng.random(n) > 0.5,
                group: pd.Series([np.arange(i % 3, dtype=float) for i in range(n)], dtype=object),
                "area": pd.Categorical([f"A{seed}{i % 2}" for i in range(n)]),
            },
            index=pd.Index(ids, name="customer_id"),
        )
        if with_text:
            frame.insert(2, "note", [f"n{i}" for i in range(n)])
        return frame

    partials = [part(["c3", "c0", "c5"], 1), part(["c2", "c4"], 2, with_text=False), part(["c1"], 3)]
    expected = pd.concat([p.reindex(columns=partials[0].columns) for p in partials])
    customers = pd.DataFrame({"customer_id": [f"c{i}" for i in range(6)]})
    ordered = engine._in_customer_order(list(partials), customers)
    expected = expected.loc[customers["customer_id"]]
    assert ordered.columns.tolist() == expected.columns.tolist()
    pd.testing.assert_frame_equal(ordered, expected, check_exact=True)
    assert ordered["share"].dtype == np.float32 and ordered["note"].isna().sum() == 2
    assert ordered._mgr.nblocks <= 8  # one per kind, not one per column
    kept = ordered.drop(columns=[group])
    assert np.shares_memory(kept["kwh"].to_numpy(), ordered["kwh"].to_numpy())
