"""The chunked generator: a large synthetic data set written chunk by chunk, bucket by bucket,
that is at once a warehouse the bucketed feature build reads and a raw folder ingest accepts."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from gridaudit.config import Config
from gridaudit.contract import TABLES
from gridaudit.engine import bucket_numbers, build_features_bucketed
from gridaudit.features import CustomerFeatureBuilder
from gridaudit.io import bucket_of, read_table, read_tables
from gridaudit.synth import chunked, generate_tables, write_chunked_dataset, write_dataset
from gridaudit.synth.chunked import chunk_seed, chunk_sizes, prefix_ids
from gridaudit.synth.generate import SynthError

SIZE = dict(customers=900, months=6, end_month="2025-12", seed=5, chunk_customers=300, n_buckets=4)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    """3 chunks of 300 customers, 6 months, 4 buckets."""
    out = tmp_path_factory.mktemp("chunked") / "wh"
    summary = write_chunked_dataset(out, **SIZE)
    return out, summary


@pytest.mark.parametrize(
    ("customers", "chunk", "sizes"),
    [
        (900, 300, [300, 300, 300]),
        (50_000, 20_000, [16_667, 16_667, 16_666]),
        (301, 300, [151, 150]),  # no 1-customer chunk the generator would refuse
        (200, 300, [200]),
    ],
)
def test_chunk_sizes_are_as_even_as_possible(customers, chunk, sizes):
    assert chunk_sizes(customers, chunk) == sizes


def test_chunk_size_below_the_generator_minimum_is_refused():
    with pytest.raises(SynthError, match="--chunk-customers must be at least 10"):
        chunk_sizes(100, 5)


def test_prefix_ids_prefixes_string_ids_only():
    frame = pd.DataFrame(
        {
            "customer_id": pd.array(["31", None], dtype="str"),
            "area_id": pd.array(["TA-1", "TA-2"], dtype="str"),
            "kwh": [1.5, 2.0],
            "kind": pd.array(["refund", "supplement"], dtype="str"),
        }
    )
    out = prefix_ids(frame, "G002-")
    assert out["customer_id"].iloc[0] == "G002-31" and pd.isna(out["customer_id"].iloc[1])
    assert list(out["area_id"]) == ["G002-TA-1", "G002-TA-2"]
    assert list(out["kind"]) == ["refund", "supplement"] and list(out["kwh"]) == [1.5, 2.0]
    assert frame["area_id"].iloc[0] == "TA-1"  # the input is left alone


def test_chunk_seeds_are_distinct_and_stable():
    seeds = [chunk_seed(5, k) for k in range(3)]
    assert len(set(seeds)) == 3
    assert seeds == [chunk_seed(5, k) for k in range(3)]
    assert chunk_seed(6, 0) not in seeds


def test_counts_add_up_and_ids_are_unique(warehouse):
    out, summary = warehouse
    assert summary.chunks == 3 and summary.n_buckets == 4
    for name in TABLES:
        assert len(read_table(out, name)) == summary.rows[name], name
    customers = read_table(out, "customers")
    assert len(customers) == 900 and customers["customer_id"].is_unique
    assert customers["customer_id"].str[:5].value_counts().to_dict() == {
        "G000-": 300,
        "G001-": 300,
        "G002-": 300,
    }
    for name, spec in TABLES.items():
        if spec.key:
            assert not read_table(out, name).duplicated(list(spec.key)).any(), name
    readings = read_table(out, "readings", columns=["customer_id"])
    assert set(readings["customer_id"]) <= set(customers["customer_id"])
    record = json.loads((out / "_synth.json").read_text(encoding="utf-8"))
    assert record["rows"] == summary.rows and record["customers"] == 900 and record["seed"] == 5


def test_each_chunk_is_one_generator_run_with_its_own_seed_and_prefix(warehouse):
    out, _ = warehouse
    tables, truth = generate_tables(customers=300, months=6, end_month="2025-12", seed=chunk_seed(5, 1))
    expected = prefix_ids(tables["bills"], "G001-")
    stored = read_table(out, "bills")
    stored = stored[stored["customer_id"].str.startswith("G001-")].reset_index(drop=True)
    key = list(TABLES["bills"].key)
    expected = expected.sort_values(key, kind="stable").reset_index(drop=True)
    pd.testing.assert_frame_equal(stored, expected)
    planted = pd.read_parquet(out / "_truth" / "customers")
    assert len(planted) == 900
    assert (planted["problem"] != "none").sum() == warehouse[1].customers_with_problem
    assert (truth["customers"]["problem"] != "none").sum() == (
        planted[planted["customer_id"].str.startswith("G001-")]["problem"] != "none"
    ).sum()


def test_every_customer_sits_in_its_own_bucket(warehouse):
    out, _ = warehouse
    assert bucket_numbers(out) == [0, 1, 2, 3]
    for name in ("customers", "readings", "bills"):
        for bucket in range(4):
            ids = read_table(out, name, buckets=[bucket], columns=["customer_id"])["customer_id"]
            assert (bucket_of(ids, 4) == bucket).all(), (name, bucket)
    assert not (out / "inspections" / "bucket=00").exists()  # shared tables are not bucketed


def test_bucketed_feature_build_runs_and_equals_the_whole_build(warehouse):
    out, _ = warehouse
    features = build_features_bucketed(out, "2025-11", Config())
    assert features.index.is_unique and len(features) > 800
    assert features.index.str.startswith("G00").all()
    whole = CustomerFeatureBuilder(read_tables(out), Config()).build("2025-11")
    pd.testing.assert_frame_equal(features, whole)


def test_same_seed_gives_the_same_data_set_other_seed_another(warehouse, tmp_path):
    out, _ = warehouse
    again = tmp_path / "again"
    write_chunked_dataset(again, **SIZE)
    for name in TABLES:
        pd.testing.assert_frame_equal(read_table(again, name), read_table(out, name), obj=name)
    other = tmp_path / "other"
    write_chunked_dataset(other, **{**SIZE, "seed": 6, "customers": 30, "chunk_customers": 15})
    first = read_table(out, "customers")["customer_id"].str[5:]
    assert not set(read_table(other, "customers")["customer_id"].str[5:]) <= set(first)


def test_ingest_accepts_the_chunked_folder_as_raw_tables(warehouse, tmp_path):
    from gridaudit.ingest import ingest

    out, summary = warehouse
    report = ingest(out, tmp_path / "ingested", config=Config())
    assert report.quarantined == 0
    assert len(read_table(tmp_path / "ingested", "readings")) == summary.rows["readings"]


def test_an_interrupted_run_leaves_nothing_behind(tmp_path, monkeypatch):
    real = chunked.generate_tables
    calls = []

    def failing(**kwargs):
        calls.append(kwargs)
        if len(calls) == 2:
            raise MemoryError("simulated")
        return real(**kwargs)

    monkeypatch.setattr(chunked, "generate_tables", failing)
    with pytest.raises(MemoryError):
        write_chunked_dataset(tmp_path / "wh", customers=40, months=3, chunk_customers=20, n_buckets=2)
    assert list(tmp_path.iterdir()) == []


def test_flat_files_of_an_earlier_run_are_replaced(tmp_path):
    tables, truth = generate_tables(customers=20, months=3, seed=2)
    write_dataset(tmp_path, tables, truth)
    write_chunked_dataset(tmp_path, customers=40, months=3, seed=2, chunk_customers=20, n_buckets=2)
    assert not list(tmp_path.glob("*.parquet"))
    assert sorted(p.name for p in (tmp_path / "_truth").iterdir()) == [
        "README.txt",
        "customers",
        "work_orders",
    ]
    assert len(read_table(tmp_path, "customers")) == 40


def _cli(args):
    from gridaudit.cli import commands  # noqa: F401
    from gridaudit.cli.app import app

    return CliRunner().invoke(app, ["synth", *args])


def test_cli_writes_chunks_above_the_chunk_size(tmp_path):
    result = _cli(["--out", str(tmp_path / "wh"), "--customers", "40", "--months", "3",
                   "--chunk-customers", "20", "--buckets", "3", "--seed", "4",
                   "--metrics-json", str(tmp_path / "m.json")])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "2 chunks, 3 buckets" in result.output and "also a warehouse" in result.output
    assert bucket_numbers(tmp_path / "wh") == [0, 1, 2]
    metrics = json.loads((tmp_path / "m.json").read_text(encoding="utf-8"))
    assert metrics["rows"]["customers"] == 40 and metrics["chunks"] == 2


def test_cli_keeps_one_piece_at_or_below_the_chunk_size(tmp_path):
    result = _cli(["--out", str(tmp_path), "--customers", "20", "--months", "3", "--chunk-customers", "20"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "readings.parquet").is_file() and not (tmp_path / "_synth.json").exists()


def test_cli_refuses_csv_in_chunks(tmp_path):
    result = _cli(["--out", str(tmp_path), "--customers", "40", "--chunk-customers", "20", "--format", "csv"])
    assert result.exit_code == 2
    assert "--format parquet" in result.output and "--chunk-customers 0" in result.output
    assert not any(tmp_path.iterdir())


def test_cli_default_chunk_size_is_the_library_one_and_keeps_the_default_size_whole():
    import inspect

    from gridaudit.cli.cmd_synth import synth

    parameters = inspect.signature(synth).parameters
    assert parameters["chunk_customers"].default.default == chunked.CHUNK_CUSTOMERS
    assert parameters["customers"].default.default <= chunked.CHUNK_CUSTOMERS
