"""Scoring work orders: which orders are scored, their ranking, and auditor's-note reasons."""

import numpy as np
import pandas as pd
import pytest

from gridaudit.config import Config
from gridaudit.contract import WORK_ORDER_KINDS
from gridaudit.scoring.work_orders import orders_in_window, score_work_orders, work_order_reasons


def _orders(rows):
    frame = pd.DataFrame(rows)
    frame["order_id"] = [f"o{i + 1}" for i in range(len(frame))]
    return frame.assign(operator_id="u1", approver_id="a1", kind="other")


ORDERS = _orders(
    [
        # as of 2024-03 with a 3-month window: completed on/after 2024-01-01, or still open
        {"customer_id": "c1", "created_at": "2023-12-20 09:00", "completed_at": "2023-12-31 23:00"},  # out
        {"customer_id": "c1", "created_at": "2023-12-20 09:00", "completed_at": "2024-01-01 08:00"},  # in
        {"customer_id": "c2", "created_at": "2023-06-01 09:00", "completed_at": None},  # open: in
        {
            "customer_id": "c2",
            "created_at": "2024-03-25 09:00",
            "completed_at": "2024-04-02 09:00",
        },  # open as of March
        {"customer_id": "c2", "created_at": "2024-04-01 00:00", "completed_at": None},  # not created yet
    ]
)


def _tables():
    customers = pd.DataFrame(
        {"customer_id": ["c1", "c2"], "tariff_category": "residential", "area_id": ["A1", "A2"]}
    )
    return {"customers": customers, "work_orders": ORDERS}


def test_window_keeps_open_orders_and_those_completed_in_the_last_three_months():
    ids = pd.DataFrame({"completed_at": pd.to_datetime(["2023-12-31 23:00", "2024-01-01 08:00", None, None])})
    assert orders_in_window(ids, "2024-03").tolist() == [False, True, True, True]
    assert orders_in_window(ids, "2024-03", window_months=1).tolist() == [False, False, True, True]


class DurationModel:
    """Scores an order by how long it took: score = duration / 1000, raw = duration."""

    def score(self, X):
        return X["order_duration_days"].to_numpy() / 1000

    def raw_score(self, X):
        return X["order_duration_days"].to_numpy()


def test_score_work_orders_ranks_the_window_riskiest_first_with_ids():
    scored = score_work_orders(_tables(), "2024-03", DurationModel(), Config())
    assert list(scored.columns) == ["order_id", "customer_id", "area_id", "kind", "score", "raw_score"]
    # o3 open since 2023-06-01 09:00 to 2024-04-01: 304.625 days; o4 open 6.625 days; o2 12.958 days
    assert scored["order_id"].tolist() == ["o3", "o2", "o4"]
    assert scored["customer_id"].tolist() == ["c2", "c1", "c2"]
    assert scored["area_id"].tolist() == ["A2", "A1", "A2"]
    assert scored["raw_score"].iloc[0] == pytest.approx(304.625)
    assert scored["score"].iloc[0] == pytest.approx(0.304625)


def _reason_inputs():
    features = pd.DataFrame(
        {
            "kind": pd.Categorical(
                ["tariff_change", "tariff_change", "other"], categories=list(WORK_ORDER_KINDS)
            ),
            "order_duration_days": [41.0, 3.0, 2.0],
            "self_approval": [1.0, 0.0, 0.0],
            "amount_to_kind_median_ratio": [2.5, 0.5, 1.0],
        },
        index=pd.Index(["o1", "o2", "o3"], name="order_id"),
    )
    contributions = pd.DataFrame(
        {
            "kind": [0.0, 0.0],
            "order_duration_days": [0.9, -0.2],
            "self_approval": [0.5, 0.7],  # o2: positive although not self-approved
            "amount_to_kind_median_ratio": [0.1, 0.3],
            "base_value": [-2.0, -2.0],
        },
        index=pd.Index(["o1", "o2"], name="order_id"),
    )
    return features, contributions


def test_order_reasons_read_like_an_auditors_note_and_hide_unset_flags():
    features, contributions = _reason_inputs()
    reasons = work_order_reasons(features, contributions, language="en")
    assert reasons.loc["o1", "reason_1"] == (
        "took 41 (counted to month end if still open); the limit for this kind is 10"
    )  # tariff_change limit: 10 days
    assert reasons.loc["o1", "reason_2"] == "approved by the same person who handled it"
    # a ratio is shown as a percentage (its template needs no peer)
    assert reasons.loc["o1", "reason_3"] == "amount is 250% of the median for orders of this kind"
    # o2's self_approval flag is 0: never a reason, whatever its contribution; its amount is 50%
    # of its kind's median, below the kind's median ratio (1.5): no warning, so no reason either
    assert reasons.loc["o2", "reason_codes"] == ""
    assert reasons.loc["o2", "reason_1"] == "" and reasons.loc["o2", "reason_2"] == ""
    zh = work_order_reasons(features, contributions, language="zh")
    assert zh.loc["o1", "reason_2"] == "审批人与处理人为同一人"
    assert np.all(zh.index == contributions.index)
