"""train_model, evaluate_model and the train/evaluate/backtest commands."""

import json
from pathlib import Path

import mlflow
import numpy as np
import pytest
from training_fixtures import StubBuilder, tiny_tables
from typer.testing import CliRunner

from gridaudit.cli import commands  # noqa: F401  (registers the commands)
from gridaudit.cli.app import app
from gridaudit.config import Config
from gridaudit.io import write_table
from gridaudit.model import RiskModel
from gridaudit.tracking import load_champion
from gridaudit.training import evaluate_model, train_model
from gridaudit.training.examples import NoLabelsError

CONFIG = Config(num_boost_round=20, min_child_samples=5, validation_months=1, capacity=5)


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return f"sqlite:///{(tmp_path / 'mlflow.db').as_posix()}"


def test_train_logs_registers_and_measures_on_the_latest_month(store, tmp_path):
    tables = tiny_tables(n_customers=200)
    result = train_model(
        tables, CONFIG, tracking_uri=store, builder=StubBuilder(tables), export_dir=tmp_path / "export"
    )
    # June validates; Jan-Apr train (known by May 10); May's results arrive June 10 -> gap
    assert result.split == {
        "split": "time",
        "n_train": 80,
        "n_gap": 20,
        "n_validation": 20,
        "validation_start": "2024-06-01",
        "validation_block": ["2024-06"],
        "positives_train": 40,
        "positives_validation": 10,
    }
    assert result.metrics["roc_auc"] == 1.0 and result.metrics["precision_at_capacity"] == 1.0
    assert result.metrics["lift_at_capacity"] == 2.0
    assert result.version == "1" and result.model_name == "customer_risk"

    run = mlflow.MlflowClient(store).get_run(result.run_id)
    assert run.data.params["data_hash"] == result.snapshot["hash"]
    assert run.data.params["rows_inspections"] == "120" and run.data.params["n_train"] == "80"
    assert run.data.params["label_delay_months"] == "1" and run.data.params["as_of_last"] == "2024-05"
    assert run.data.metrics["valid_roc_auc"] == 1.0
    logged = json.dumps(run.data.params) + json.dumps(run.data.tags)
    assert "person 1" not in logged  # personal columns never logged (customers.name here)
    artifacts = {a.path for a in mlflow.MlflowClient(store).list_artifacts(result.run_id)}
    assert {"feature_importance.csv", "validation.json", "shap_summary.png"} <= artifacts
    png = mlflow.artifacts.download_artifacts(
        run_id=result.run_id, artifact_path="shap_summary.png", tracking_uri=store
    )
    assert Path(png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    model, info = load_champion("customer_risk", tracking_uri=store)
    X = StubBuilder(tables).build("2024-05")
    np.testing.assert_allclose(model.score(X), result.model.score(X), rtol=1e-12)
    assert info["run_id"] == result.run_id
    exported = RiskModel.load(tmp_path / "export")
    np.testing.assert_allclose(exported.score(X), result.model.score(X), rtol=1e-12)


def test_no_findings_is_refused_before_any_work():
    tables = tiny_tables()
    tables["inspections"] = tables["inspections"].assign(result="clean")
    with pytest.raises(
        NoLabelsError, match="the inspections table has no findings; the model needs at least 10"
    ):
        train_model(tables, CONFIG, log_to_mlflow=False, builder=StubBuilder(tables))


def test_evaluate_reports_ranking_metrics_and_unbiased_subset():
    tables = tiny_tables(n_customers=200)
    result = train_model(tables, CONFIG, log_to_mlflow=False, builder=StubBuilder(tables))
    report = evaluate_model(tables, result.model, CONFIG, builder=StubBuilder(tables))
    assert report["n"] == 120 and report["positives"] == 60 and report["roc_auc"] == 1.0
    assert report["precision_at_capacity"] == 1.0 and report["map_at_100"] == 1.0
    assert report["random_and_exploration"]["n"] == 24  # every fifth inspection was random


def _warehouse(tmp_path, tables):
    wh = tmp_path / "wh"
    for name, frame in tables.items():
        write_table(wh, name, frame)
    return wh


def test_cli_train_without_findings_exits_2_with_one_sentence(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    tables = tiny_tables()
    tables["inspections"] = tables["inspections"].assign(result="clean")
    wh = _warehouse(tmp_path, tables)
    res = CliRunner().invoke(app, ["train", "--warehouse", str(wh), "--target", "customer"])
    assert res.exit_code == 2
    assert "the inspections table has no findings; the model needs at least 10" in res.output
    assert not (tmp_path / "mlflow.db").exists()


@pytest.mark.slow
def test_cli_train_evaluate_backtest_end_to_end(tmp_path, monkeypatch):
    """Real feature builder on the tiny tables; the commands share the store in the folder."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "gridaudit.toml").write_text(
        "num_boost_round = 20\nmin_child_samples = 5\nvalidation_months = 1\ncapacity = 5\n"
    )
    wh = _warehouse(tmp_path, tiny_tables(n_customers=200))
    runner = CliRunner()
    res = runner.invoke(app, ["train", "--warehouse", str(wh), "--metrics-json", "train.json"])
    assert res.exit_code == 0, res.output
    assert "registered customer_risk version 1 as champion" in res.output
    assert json.loads((tmp_path / "train.json").read_text())["split"]["n_validation"] == 20
    assert (tmp_path / "mlflow.db").exists() and (tmp_path / "mlruns").is_dir()

    res = runner.invoke(app, ["evaluate", "--warehouse", str(wh), "--metrics-json", "eval.json"])
    assert res.exit_code == 0, res.output
    report = json.loads((tmp_path / "eval.json").read_text())
    assert report["model"]["version"] == "1" and report["metrics"]["n"] == 120
    assert report["metrics"]["same_data_as_training"] is True and "in-sample" in res.output

    res = runner.invoke(
        app,
        ["backtest", "--warehouse", str(wh), "--months", "2", "--capacity", "5", "--metrics-json", "bt.json"],
    )
    assert res.exit_code == 0, res.output
    backtest = json.loads((tmp_path / "bt.json").read_text())
    assert [m["month"] for m in backtest["months"]] == ["2024-05", "2024-06"]
    assert backtest["capacity"] == 5


def test_cli_evaluate_without_champion_exits_2(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    wh = _warehouse(tmp_path, tiny_tables())
    res = CliRunner().invoke(app, ["evaluate", "--warehouse", str(wh)])
    assert res.exit_code == 2 and "run 'gridaudit train' first" in res.output


@pytest.mark.slow
def test_synthetic_data_end_to_end_beats_random_sampling(tmp_path, monkeypatch):
    """On the generator's data (real features) the held-out ranking beats random sampling."""
    synth = pytest.importorskip("gridaudit.synth")
    from gridaudit.features import CustomerFeatureBuilder
    from gridaudit.training import backtest

    monkeypatch.chdir(tmp_path)
    tables, _ = synth.generate_tables(customers=600, months=12, end_month="2025-12", seed=7)
    config = Config(num_boost_round=60, capacity=10)
    builder = CustomerFeatureBuilder(tables, config)
    result = train_model(tables, config, builder=builder)
    assert result.version == "1" and (tmp_path / "mlflow.db").exists()
    assert result.metrics["roc_auc"] > 0.7
    bt = backtest(tables, config, n_months=2, builder=builder)
    assert bt.summary["precision_at_k_mean"] > bt.summary["random_precision_at_k_mean"]
