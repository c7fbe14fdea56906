"""End to end: the demo runs the whole loop on a small synthetic area and finds planted problems."""

import json

import pandas as pd
import pytest

from gridaudit.demo import run_demo, truth_ranking_metrics


def test_truth_ranking_metrics_by_hand():
    scores = pd.Series([0.9, 0.8, 0.7, 0.1], index=["a", "b", "c", "d"])
    active = pd.Series([True, False, True, False], index=["a", "b", "c", "d"])
    got = truth_ranking_metrics(scores, active, shares=(0.5,))
    # k = 2 of 4: picks a (problem) and b (clean) -> precision 1/2, prevalence 1/2, lift 1
    assert got["k_50pct"] == 2
    assert got["precision_at_50pct"] == pytest.approx(0.5)
    assert got["recall_at_50pct"] == pytest.approx(0.5)
    assert got["lift_at_50pct"] == pytest.approx(1.0)


@pytest.mark.slow
def test_demo_end_to_end(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run_demo(tmp_path / "demo", customers=900, months=15, seed=3, capacity=40)
    listed = pd.read_parquet(result.list_dir / "list.parquet")
    assert 0 < len(listed) <= 40
    assert set(listed["selection"]) <= {"model", "exploration"}
    assert listed["reason_1"].notna().all()
    assert result.report.exists() and result.report.stat().st_size > 1000
    metrics = json.loads((tmp_path / "demo" / "demo_metrics.json").read_text())
    # the model's top 5% must beat random sampling of the same size by a wide margin
    assert metrics["truth"]["lift_at_5pct"] > 3
    assert (tmp_path / "demo" / "mlflow.db").exists()
