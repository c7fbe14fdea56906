"""Ranking metrics against values worked by hand."""

import numpy as np
import pytest

from gridaudit.training import metrics as m

Y = [1, 0, 1, 0, 0, 1]
S = [0.9, 0.8, 0.7, 0.6, 0.5, 0.1]


def test_precision_recall_lift_by_hand():
    # top 3 = [1, 0, 1] -> 2/3; all positives 3 -> recall 2/3; base rate 1/2 -> lift 4/3
    assert m.precision_at_k(Y, S, 3) == pytest.approx(2 / 3)
    assert m.recall_at_k(Y, S, 3) == pytest.approx(2 / 3)
    assert m.lift_at_k(Y, S, 3) == pytest.approx(4 / 3)
    assert m.precision_at_k(Y, S, 1) == 1.0


def test_k_larger_than_list_is_cut():
    assert m.precision_at_k(Y, S, 100) == pytest.approx(0.5)
    assert m.recall_at_k(Y, S, 100) == pytest.approx(1.0)


def test_ties_are_counted_pro_rata_and_order_free():
    y = [1, 0, 0, 1]
    s = [0.9, 0.5, 0.5, 0.5]
    # top 2: the 0.9 positive, then one of three tied rows holding 1 positive -> 1 + 1/3
    assert m.precision_at_k(y, s, 2) == pytest.approx((1 + 1 / 3) / 2)
    assert m.precision_at_k(y[::-1], s[::-1], 2) == pytest.approx((1 + 1 / 3) / 2)


def test_map_at_n_by_hand():
    # positives at ranks 1, 3, 6: P@1 = 1, P@3 = 2/3, P@6 = 1/2
    assert m.map_at_n(Y, S, 6) == pytest.approx((1 + 2 / 3 + 0.5) / 3)
    # top 4 holds ranks 1 and 3
    assert m.map_at_n(Y, S, 4) == pytest.approx((1 + 2 / 3) / 2)
    assert m.map_at_n([0, 0], [0.2, 0.1], 2) == 0.0


def test_recovered_at_k():
    amounts = [100.0, 0.0, 50.0, 0.0, 0.0, 25.0]
    got, share = m.recovered_at_k(amounts, S, 2)
    assert got == 100.0
    assert share == pytest.approx(100 / 175)


def test_report_has_auc_and_ap():
    rep = m.ranking_report(Y, S, ks={"k3": 3}, map_ns=(6,))
    # pairs (pos, neg): 9 pairs; pos 0.9 beats 3, 0.7 beats 2 (0.6, 0.5), 0.1 beats 0 -> 5/9
    assert rep["roc_auc"] == pytest.approx(5 / 9)
    assert rep["precision_at_k3"] == pytest.approx(2 / 3)
    assert rep["positives"] == 3


def test_length_mismatch_is_an_error():
    with pytest.raises(ValueError, match="differ in length"):
        m.precision_at_k([1, 0], np.array([0.1]), 1)
