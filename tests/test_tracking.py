"""MLflow store, logging and the champion (shared case 02: categories through MLflow)."""

from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.types import DataType

from gridaudit import tracking
from gridaudit.model import RiskModel


def _tiny_model(seed: int = 0) -> tuple[RiskModel, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    n = 240
    X = pd.DataFrame(
        {
            "tariff_category": pd.Categorical(rng.choice(["residential", "commercial", "other"], n)),
            "area_id": pd.Categorical(rng.choice(["A1", "A2", "A3", "A4"], n)),
            "kwh_drop": rng.normal(size=n),
        }
    )
    y = ((X["kwh_drop"] > 0.7) | (X["area_id"] == "A2")).astype(int).to_numpy()
    model = RiskModel(params={"num_threads": 2, "min_child_samples": 5}, num_boost_round=20)
    return model.fit(X.iloc[:160], y[:160], eval_set=(X.iloc[160:], y[160:])), X


def test_default_store_is_sqlite_in_the_working_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    uri = tracking.default_tracking_uri()
    assert uri == f"sqlite:///{tmp_path.resolve().as_posix()}/mlflow.db"
    assert tracking.artifact_location(uri) == (tmp_path.resolve() / "mlruns").as_uri()
    assert tracking.artifact_location("http://mlflow.example:5000") is None


def test_no_champion_is_a_clear_error_and_creates_no_store(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(tracking.NoChampionError, match="run 'gridaudit train' first"):
        tracking.load_champion("customer_risk")
    assert not (tmp_path / "mlflow.db").exists()


def test_case02_champion_scores_plain_strings_like_the_model_in_memory(tmp_path, monkeypatch, cases_dir):
    assert (cases_dir / "02-categories-through-mlflow" / "README.md").exists()
    monkeypatch.chdir(tmp_path)
    uri = f"sqlite:///{(tmp_path / 'store' / 'mlflow.db').as_posix()}"
    (tmp_path / "store").mkdir()
    model, X = _tiny_model()
    tracking.use_store(uri)
    with mlflow.start_run():
        first = tracking.log_risk_model(model, X, registered_name="customer_risk")
    assert first.version == "1"
    # artifacts sit beside the database, not in the working folder
    assert (tmp_path / "store" / "mlruns").is_dir() and not (tmp_path / "mlruns").exists()

    plain = X.assign(tariff_category=X["tariff_category"].astype(str), area_id=X["area_id"].astype(str))
    assert plain["area_id"].dtype != "category"
    expected = model.score(X)
    champion = mlflow.pyfunc.load_model("models:/customer_risk@champion")
    assert champion.metadata.signature is not None
    inputs = {c.name: c.type for c in champion.metadata.signature.inputs.inputs}
    assert inputs["tariff_category"] == DataType.string and inputs["kwh_drop"] == DataType.double
    np.testing.assert_allclose(np.asarray(champion.predict(plain)), expected, rtol=1e-12)

    loaded, info = tracking.load_champion("customer_risk", tracking_uri=uri)
    assert info["version"] == "1" and info["alias"] == "champion" and info["run_id"] == first.run_id
    np.testing.assert_allclose(loaded.score(plain), expected, rtol=1e-12)
    # an unseen area is scored as 'unknown', not as a shifted code
    unseen = plain.iloc[:3].assign(area_id="NEW")
    assert np.isfinite(np.asarray(champion.predict(unseen))).all()

    # a second registration moves the alias
    other, _ = _tiny_model(seed=1)
    with mlflow.start_run():
        second = tracking.log_risk_model(other, X, registered_name="customer_risk")
    _, info = tracking.load_champion("customer_risk", tracking_uri=uri)
    assert second.version == "2" and info["version"] == "2"


def test_plain_example_has_strings_and_floats():
    model, X = _tiny_model()
    example = tracking.plain_example(X.assign(kwh_drop=np.arange(len(X))), model, n_rows=3)
    assert example["tariff_category"].map(type).eq(str).all()
    assert example["kwh_drop"].dtype == np.float64
    assert list(example.columns) == model.feature_names_
    assert len(example) == 3 and isinstance(example.index, pd.RangeIndex)
    assert Path(tracking.__file__).name == "tracking.py"
