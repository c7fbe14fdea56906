"""The monthly list holds work orders beside customers, with their own capacity (issue 7)."""

import numpy as np
import pandas as pd
import pytest

from gridaudit.config import Config
from gridaudit.features import CustomerFeatureBuilder, WorkOrderFeatureBuilder
from gridaudit.model import RiskModel
from gridaudit.scoring import score_month
from gridaudit.synth import generate_tables, truth_active


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    config = Config(num_boost_round=30)
    tables, truth = generate_tables(customers=500, months=13, end_month="2025-12", seed=4)
    customers = CustomerFeatureBuilder(tables, config).build("2025-11")
    y_c = truth_active(truth["customers"], "2025-11").reindex(customers.index).fillna(False).astype(int)
    c_model = RiskModel(num_boost_round=30, early_stopping_rounds=None).fit(customers, y_c)
    orders = WorkOrderFeatureBuilder(tables, config).build("2025-11")
    problem = truth["work_orders"].set_index("order_id")["problem"] != "none"
    y_o = problem.reindex(orders.index).fillna(False).astype(int)
    o_model = RiskModel(params={"min_child_samples": 5}, num_boost_round=30, early_stopping_rounds=None)
    o_model.fit(orders, y_o)
    out = tmp_path_factory.mktemp("lists")
    result = score_month(
        tables, "2025-12", c_model, {"name": "customer_risk", "version": "1"}, config, capacity=10,
        out_dir=out, order_model=o_model, order_model_info={"name": "work_order_risk", "version": "3"},
        order_capacity=4,
    )
    return result, o_model, orders


def test_orders_have_their_own_capacity_and_ranks(scored):
    result, _, orders = scored
    listing = result.listing
    rows = listing[listing["target_type"] == "work_order"]
    assert len(rows) == 4
    assert rows["rank"].tolist() == [1, 2, 3, 4]
    assert rows["score"].is_monotonic_decreasing
    assert set(rows["target_id"]) <= set(orders.index)
    assert (rows["model_name"] == "work_order_risk").all() and (rows["model_version"] == "3").all()
    customers = listing[listing["target_type"] == "customer"]
    assert len(customers) == 10
    assert result.run["counts"]["work_orders_listed"] == 4
    assert result.run["counts"]["listed"] == 10


def test_order_contributions_add_up_and_the_report_shows_each_order(scored):
    result, model, orders = scored
    long = pd.read_parquet(result.folder / "contributions.parquet")
    mine = long[long["target_type"] == "work_order"]
    sums = mine.groupby("customer_id")["contribution"].sum()
    ids = result.listing.loc[result.listing["target_type"] == "work_order", "target_id"].tolist()
    raw = pd.Series(model.raw_score(orders.loc[ids]), index=ids)
    np.testing.assert_allclose(sums.reindex(ids).to_numpy(), raw.to_numpy(), atol=1e-6)
    html = (result.folder / "report.html").read_text(encoding="utf-8")
    for order_id in ids:
        assert f'id="order-{order_id}"' in html
