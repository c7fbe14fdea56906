"""Ranking metrics as an audit team feels them (see shared/design/METRICS.md).

All functions take labels (1 = finding) and scores; higher score = inspect first. Ties in scores
are handled by expectation: when the k-th place falls inside a block of equal scores, the block
contributes its share of positives pro rata, so the result never depends on input order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score


def _arrays(y_true, scores) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y_true, dtype=float)
    s = np.asarray(scores, dtype=float)
    if y.shape != s.shape:
        raise ValueError(f"labels ({y.shape}) and scores ({s.shape}) differ in length")
    return y, s


def hits_at_k(y_true, scores, k: int, values=None) -> float:
    """Expected sum of ``values`` (default: labels) over the top ``k`` by score, ties pro rata."""
    y, s = _arrays(y_true, scores)
    v = y if values is None else np.asarray(values, dtype=float)
    k = int(min(max(k, 0), len(s)))
    if k == 0:
        return 0.0
    threshold = np.sort(s)[::-1][k - 1]
    above = s > threshold
    tied = s == threshold
    n_above = int(above.sum())
    share = (k - n_above) / int(tied.sum())
    return float(v[above].sum() + share * v[tied].sum())


def precision_at_k(y_true, scores, k: int) -> float:
    """Share of findings among the top k picks; k beyond the list is cut to the list length."""
    y, _ = _arrays(y_true, scores)
    k_eff = int(min(k, len(y)))
    if k_eff <= 0:
        return float("nan")
    return hits_at_k(y_true, scores, k_eff) / k_eff


def recall_at_k(y_true, scores, k: int) -> float:
    """Share of all findings in the population that the top k picks contain."""
    y, _ = _arrays(y_true, scores)
    total = y.sum()
    return float("nan") if total == 0 else hits_at_k(y_true, scores, k) / total


def lift_at_k(y_true, scores, k: int) -> float:
    """precision@k over the base rate: how many times better than random sampling."""
    y, _ = _arrays(y_true, scores)
    base = y.mean() if len(y) else float("nan")
    return float("nan") if not base else precision_at_k(y_true, scores, k) / base


def recovered_at_k(amounts, scores, k: int) -> tuple[float, float]:
    """Money recovered by the top k picks, and its share of all recoverable money."""
    a, _ = _arrays(amounts, scores)
    got = hits_at_k(np.zeros_like(a), scores, k, values=a)
    total = a.sum()
    return got, (float("nan") if total == 0 else got / total)


def map_at_n(y_true, scores, n: int) -> float:
    """MAP@N (Zheng et al. 2018): mean of precision@k_i over the ranks k_i of the positives in the
    top N. Ties are ordered by input position (stable), as in the SGCC literature."""
    y, s = _arrays(y_true, scores)
    order = np.argsort(-s, kind="stable")[: int(n)]
    top = y[order]
    ranks = np.flatnonzero(top == 1) + 1
    if len(ranks) == 0:
        return 0.0
    precisions = np.cumsum(top)[ranks - 1] / ranks
    return float(precisions.mean())


def roc_auc(y_true, scores) -> float:
    y, s = _arrays(y_true, scores)
    return float(roc_auc_score(y, s)) if 0 < y.sum() < len(y) else float("nan")


def average_precision(y_true, scores) -> float:
    y, s = _arrays(y_true, scores)
    return float(average_precision_score(y, s)) if y.sum() > 0 else float("nan")


def ranking_report(y_true, scores, ks: dict[str, int] | None = None, map_ns=(100, 200)) -> dict:
    """The standard set: AUC, AP, and precision/lift/recall at each named k, MAP@N."""
    y, s = _arrays(y_true, scores)
    out = {
        "n": int(len(y)),
        "positives": int(y.sum()),
        "base_rate": float(y.mean()) if len(y) else float("nan"),
        "roc_auc": roc_auc(y, s),
        "average_precision": average_precision(y, s),
    }
    ks = ks or {"1pct": max(1, round(0.01 * len(y))), "5pct": max(1, round(0.05 * len(y)))}
    for label, k in ks.items():
        out[f"precision_at_{label}"] = precision_at_k(y, s, k)
        out[f"lift_at_{label}"] = lift_at_k(y, s, k)
        out[f"recall_at_{label}"] = recall_at_k(y, s, k)
    for n in map_ns:
        out[f"map_at_{n}"] = map_at_n(y, s, n)
    return out


def brier_score(y_true, probabilities) -> float:
    """Mean squared difference between the predicted probability and the outcome (0 = perfect)."""
    y, p = _arrays(y_true, probabilities)
    return float(np.mean((p - y) ** 2)) if len(y) else float("nan")


def reliability_table(y_true, probabilities, n_bins: int = 10) -> pd.DataFrame:
    """Calibration check: equal-width probability bins [0, 0.1), ..., [0.9, 1.0] with the count,
    the mean predicted probability and the observed finding rate of each (empty bins: count 0,
    NaN means). A calibrated model has mean_predicted close to observed_rate in every full bin."""
    y, p = _arrays(y_true, probabilities)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    index = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, n_bins - 1)
    count = np.bincount(index, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_predicted = np.bincount(index, weights=p, minlength=n_bins) / count
        observed = np.bincount(index, weights=y, minlength=n_bins) / count
    return pd.DataFrame(
        {
            "bin": np.arange(1, n_bins + 1),
            "lower": edges[:-1],
            "upper": edges[1:],
            "count": count,
            "mean_predicted": mean_predicted,
            "observed_rate": observed,
        }
    )
