"""Work-order risk model: examples, training, registry name, backtest and the CLI's --target."""

import mlflow
import numpy as np
import pandas as pd
import pytest
from order_training_fixtures import StubOrderBuilder, order_tables
from typer.testing import CliRunner

from gridaudit.cli import commands  # noqa: F401  (registers the commands)
from gridaudit.cli.app import app
from gridaudit.config import Config
from gridaudit.tracking import load_champion
from gridaudit.training import backtest, build_examples, evaluate_model, train_model

CONFIG = Config(num_boost_round=20, min_child_samples=5, validation_months=1, capacity=99, order_capacity=5)


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return f"sqlite:///{(tmp_path / 'mlflow.db').as_posix()}"


def test_order_examples_as_of_previous_month_drop_orders_created_in_the_inspection_month(caplog):
    tables = order_tables()
    builder = StubOrderBuilder(tables)
    X, y, meta = build_examples(tables, CONFIG, builder=builder, target_type="work_order")
    # January inspections i = 2, 5, 8, 11, 14, 17 target orders 7i created in January: no features
    # as of December -> 6 of 120 dropped
    assert len(X) == 114 and "6 of 120 inspections dropped" in caplog.text
    assert "work order" in caplog.text
    assert builder.months[0] == pd.Period("2023-12", "M")
    first = meta.iloc[:3]
    assert first["inspection_id"].tolist() == ["W0000", "W0001", "W0003"]
    assert first["target_id"].tolist() == ["O000", "O007", "O021"]
    assert first["customer_id"].tolist() == ["C000", "C007", "C001"]  # the order's customer
    np.testing.assert_allclose(X["late_days"].iloc[:3], [0.12, 7.12, 21.12])  # as of 2023-12
    assert y[:3].tolist() == [1, 0, 0]
    assert isinstance(X["kind"].dtype, pd.CategoricalDtype)
    assert meta["as_of"].iloc[-1] == pd.Period("2024-05", "M")


def test_real_order_builder_gives_features_as_of_the_month_before():
    tables = order_tables(n_orders=6, months=("2024-01",), per_month=3)
    # W0000 -> O000 (created 2023-11-03), W0001 -> O001 (2023-12-03), W0002 -> O002 (2024-01-03, dropped)
    tables["work_orders"].loc[1, "approver_id"] = "u1"  # O001 approved by its own operator
    tables["work_orders"].loc[0, "completed_at"] = pd.NaT  # O000 still open
    X, y, meta = build_examples(tables, CONFIG, target_type="work_order")
    assert meta["target_id"].tolist() == ["O000", "O001"]
    assert X["self_approval"].tolist() == [0.0, 1.0]
    # O000 open from 2023-11-03 09:00 to the close of December (2024-01-01 00:00): 58.625 days
    assert X.loc[0, "order_duration_days"] == pytest.approx(58.625)
    assert X.loc[1, "order_duration_days"] == pytest.approx(4.0)
    assert y.tolist() == [1, 0]
    assert not {"customer_id", "operator_id", "approver_id"} & set(X.columns)


def test_train_registers_work_order_risk_as_champion_and_measures_by_hand(store):
    tables = order_tables()
    result = train_model(
        tables, CONFIG, target_type="work_order", tracking_uri=store, builder=StubOrderBuilder(tables)
    )
    # June (20 inspections) validates; Jan-Apr train (114 - 20 in May gap - 20 in June = 74)
    assert result.split["n_validation"] == 20 and result.split["n_gap"] == 20
    assert result.split["n_train"] == 74
    assert result.model_name == "work_order_risk" and result.version == "1"
    assert result.metrics["precision_at_capacity"] == 1.0  # capacity = order_capacity = 5
    assert result.metrics["lift_at_capacity"] == 2.0  # June: 10 of 20 findings
    run = mlflow.MlflowClient(store).get_run(result.run_id)
    assert run.data.params["target_type"] == "work_order" and run.data.params["capacity"] == "5"
    model, info = load_champion("work_order_risk", tracking_uri=store)
    X = StubOrderBuilder(tables).build("2024-05")
    np.testing.assert_allclose(model.score(X), result.model.score(X), rtol=1e-12)
    with pytest.raises(Exception, match="no champion model for customer_risk"):
        load_champion("customer_risk", tracking_uri=store)

    report = evaluate_model(tables, model, CONFIG, builder=StubOrderBuilder(tables), target_type="work_order")
    assert report["n"] == 114 and report["roc_auc"] == 1.0


def test_order_backtest_uses_order_capacity_and_leaves_out_confirmed_orders():
    tables = order_tables()
    insp = tables["inspections"]
    # W0100 (June) re-inspects O000, found in January (known by 2024-02-10): left out of June
    insp.loc[insp["inspection_id"] == "W0100", "target_id"] = "O000"
    result = backtest(tables, CONFIG, n_months=1, builder=StubOrderBuilder(tables), target_type="work_order")
    row = result.per_month.iloc[0]
    assert result.capacity == 5 and row["k"] == 5
    assert row["confirmed_left_out"] == 1 and row["n_test"] == 19
    assert row["precision_at_k"] == 1.0


def test_cli_unknown_target_exits_2_with_one_sentence(tmp_path):
    result = CliRunner().invoke(app, ["train", "--warehouse", str(tmp_path), "--target", "meter"])
    assert result.exit_code == 2
    assert "unknown target type 'meter'" in result.output


@pytest.mark.slow
def test_cli_train_work_orders_with_backtest_and_tune_then_evaluate(tmp_path, monkeypatch):
    """Real work-order builder on the tiny tables through the commands, sharing one store."""
    import json

    from gridaudit.io import write_table

    monkeypatch.chdir(tmp_path)
    (tmp_path / "gridaudit.toml").write_text(
        "num_boost_round = 10\nmin_child_samples = 5\nvalidation_months = 1\norder_capacity = 5\n"
    )
    wh = tmp_path / "wh"
    for name, frame in order_tables().items():
        write_table(wh, name, frame)
    runner = CliRunner()
    args = ["train", "--warehouse", str(wh), "--target", "work_order", "--backtest", "1", "--tune", "2"]
    res = runner.invoke(app, [*args, "--metrics-json", "train.json"])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())  # rich wraps lines at the terminal width
    assert "registered work_order_risk version 1 as champion (no champion yet)" in text
    assert "tuning: best mean average precision" in text and (tmp_path / "optuna.db").exists()
    assert "calibration (validation block)" in text
    figures = json.loads((tmp_path / "train.json").read_text())
    assert figures["backtest"]["capacity"] == 5 and len(figures["calibration"]) == 10

    res = runner.invoke(app, ["evaluate", "--warehouse", str(wh), "--target", "work_order"])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "work_order_risk version 1" in text and "population estimate" in text
    res = runner.invoke(app, ["backtest", "--warehouse", str(wh), "--target", "work_order", "--months", "1"])
    assert res.exit_code == 0, res.output
    assert "backtest at capacity 5" in res.output
