"""The monthly list is the same whichever engine builds the features (issue 8)."""

import pytest
from typer.testing import CliRunner

from gridaudit.cli import commands  # noqa: F401  (registers the commands)
from gridaudit.cli.app import app
from gridaudit.config import Config
from gridaudit.ingest import ingest
from gridaudit.io import read_tables
from gridaudit.synth import generate_tables, write_dataset
from gridaudit.training.train import train_model


@pytest.mark.slow
def test_list_is_byte_identical_across_engines(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    tables, truth = generate_tables(customers=500, months=14, end_month="2025-12", seed=5)
    write_dataset(tmp_path / "raw", tables, truth)
    config = Config(num_boost_round=60)
    ingest(tmp_path / "raw", tmp_path / "wh", config)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    train_model(read_tables(tmp_path / "wh"), config, tracking_uri=uri)
    runner = CliRunner()
    outputs = {}
    for engine in ("local", "processes", "dask"):  # dask: a local cluster of two workers
        args = ["score", "--warehouse", str(tmp_path / "wh"), "--month", "2026-01", "--capacity", "25",
                "--out", str(tmp_path / engine), "--tracking-uri", uri, "--engine", engine, "--workers", "2"]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        folder = tmp_path / engine / "2026-01"
        names = ("list.parquet", "list.csv", "curves.parquet", "contributions.parquet")
        outputs[engine] = {name: (folder / name).read_bytes() for name in names}
    assert outputs["local"] == outputs["processes"]
    assert outputs["local"] == outputs["dask"]
