"""Selection bias: inspections picked by rule or tip are not a random sample of the population.

Sampling design, as the ``selection`` column records it (and as the synthetic generator and the
scoring job's exploration share work): each month the team takes a *targeted* stratum whole
(rule-of-thumb picks, tips) and a *random* (or *exploration*) sample of the rest with a known
``inclusion_probability`` p. So:

- a random/exploration inspection stands for 1/p targets of the non-targeted pool: weight 1/p;
- a targeted, tip or unknown-selection inspection stands for itself only: weight 1. Its true
  inclusion probability is not recorded (a rule picks with probability 1 inside its stratum;
  a tip's is unknowable), and 1 is the Horvitz-Thompson weight of a stratum taken whole.

Two estimates of "what precision would the model have had over the whole population":

- ``random_ipw``: random + exploration inspections only, weighted 1/p (the unbiased sample of
  the non-targeted pool, METRICS.md); noisy, because such picks are few.
- ``design_weighted``: every inspection with the design weights above (targeted stratum + the
  weighted random sample ~ the whole pool).

The naive estimate ranks only the inspected targets and is biased upward (the inspected set is
enriched by the rules). :func:`compare_with_truth` measures all three against synthetic truth.

Training weights (config ``sample_weighting``): ``none`` by default. On the synthetic data
(5000 customers, 24 months, ~20 random picks a month, p ~ 1/215) weighting random picks 1/p
made the model worse, not fairer: true precision@100 over the eligible population fell from
0.62 to 0.55 (6 backtest months), and held-out AUC on a 600-customer set from > 0.7 to 0.67;
a few hundred-fold weights turn training into learning from ~400 random examples.
``inverse_probability`` stays available for teams with a larger random share.

precision@k with weights: ranking by score, the top k is filled with *population mass*
(sum of weights), the boundary target or tie block contributing its share pro rata; the result
is the weighted share of findings in that mass. With unit weights it equals precision_at_k.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from .metrics import precision_at_k

log = logging.getLogger(__name__)

UNBIASED_SELECTIONS = ("random", "exploration")


def design_weights(meta: pd.DataFrame) -> np.ndarray:
    """1 / inclusion_probability for random and exploration picks with a usable probability
    (0 < p <= 1), else 1 (targeted, tip, unknown, or a random pick without a recorded p)."""
    p = pd.to_numeric(meta["inclusion_probability"], errors="coerce").to_numpy(dtype=float)
    unbiased = meta["selection"].astype(str).isin(UNBIASED_SELECTIONS).to_numpy()
    usable = unbiased & np.isfinite(p) & (p > 0) & (p <= 1)
    missing = int((unbiased & ~usable).sum())
    if missing:
        log.warning(
            "%d random/exploration inspections have no usable inclusion_probability; they weigh 1", missing
        )
    weights = np.ones(len(meta), dtype=float)
    weights[usable] = 1.0 / p[usable]
    return weights


def _top_mass(scores, weights, k: float, **sums) -> tuple[pd.DataFrame, np.ndarray, float]:
    """Score blocks (ties together, best first) with the sums of ``sums``' arrays, the share of
    each block inside the top ``k`` units of mass (cut to the total weight), and that mass."""
    s = np.asarray(scores, dtype=float)
    w = np.asarray(weights, dtype=float)
    mass = float(min(max(k, 0.0), w.sum()))
    frame = pd.DataFrame({"s": s, "w": w} | sums).groupby("s", sort=True).sum().iloc[::-1]
    cum_before = frame["w"].cumsum().to_numpy() - frame["w"].to_numpy()
    share = np.clip((mass - cum_before) / frame["w"].to_numpy(), 0.0, 1.0) if mass > 0 else np.zeros(len(frame))
    return frame, share, mass


def weighted_hits_at_k(y_true, scores, weights, k: float) -> tuple[float, float]:
    """(weighted findings, population mass) in the top ``k`` units of mass by score; mass is
    cut to the total weight. Tie blocks at the boundary contribute pro rata."""
    y = np.asarray(y_true, dtype=float)
    w = np.asarray(weights, dtype=float)
    if not (len(y) == len(np.asarray(scores)) == len(w)):
        raise ValueError("labels, scores and weights differ in length")
    frame, share, mass = _top_mass(scores, w, k, wy=w * y)
    if mass <= 0:
        return 0.0, 0.0
    return float((share * frame["wy"].to_numpy()).sum()), mass


def inspections_at_k(scores, weights, k: float) -> int:
    """How many inspections the top ``k`` units of population mass rest on (those whose score
    block starts inside it): an estimate from a handful of random picks is not worth much."""
    frame, share, _ = _top_mass(scores, weights, k, n=np.ones(len(np.asarray(scores)), dtype=int))
    return int(frame["n"].to_numpy()[share > 0].sum())


def weighted_precision_at_k(y_true, scores, weights, k: float) -> float:
    """Weighted share of findings among the top ``k`` units of population mass (see module)."""
    hits, mass = weighted_hits_at_k(y_true, scores, weights, k)
    return float("nan") if mass == 0 else hits / mass


def weighted_base_rate(y_true, weights) -> float:
    w = np.asarray(weights, dtype=float)
    return float(np.sum(w * np.asarray(y_true, dtype=float)) / w.sum()) if w.sum() else float("nan")


def unbiased_report(y_true, scores, meta: pd.DataFrame, k: int) -> dict:
    """precision@k, base rate and lift@k over the population, estimated two ways: random +
    exploration inspections weighted 1/p, and all inspections with the design weights.
    ``k`` is in population units (the monthly capacity). Empty dict when there is no random or
    exploration inspection."""
    y = np.asarray(y_true, dtype=float)
    s = np.asarray(scores, dtype=float)
    weights = design_weights(meta)
    unbiased = meta["selection"].astype(str).isin(UNBIASED_SELECTIONS).to_numpy()
    if not unbiased.any():
        return {}
    out = {"k": int(k), "n_random_exploration": int(unbiased.sum())}
    for name, mask in (("random_ipw", unbiased), ("design_weighted", np.ones(len(y), bool))):
        precision = weighted_precision_at_k(y[mask], s[mask], weights[mask], k)
        base = weighted_base_rate(y[mask], weights[mask])
        out[f"{name}_population"] = float(weights[mask].sum())
        out[f"{name}_base_rate"] = base
        out[f"{name}_precision_at_k"] = precision
        out[f"{name}_lift_at_k"] = precision / base if base else float("nan")
    out["random_ipw_inspections_at_k"] = inspections_at_k(s[unbiased], weights[unbiased], k)
    out["naive_precision_at_k"] = precision_at_k(y, s, k)
    return out


def compare_with_truth(
    tables: dict[str, pd.DataFrame],
    truth_customers: pd.DataFrame,
    config,
    n_months: int = 6,
    ks: tuple[int, ...] | None = None,
    builder=None,
    cooldown_months: int | None = None,
) -> pd.DataFrame:
    """Synthetic data only: per backtest month and k, the naive, random-only IPW and
    design-weighted precision@k estimates beside the truth.

    For each of the last ``n_months`` inspection months M the model is retrained on results
    known before M (as in the backtest) and scores every *eligible* customer as of M-1: not
    confirmed before M (a finding known before M) and not inspected in the cool-down (the
    ``cooldown_months - 1`` months before M; default config.cooldown_months, the synthetic
    team uses gridaudit.synth.params.COOLDOWN_MONTHS), the pool a list for M would be drawn from. The true
    precision@k is the share of that pool's top k with a problem in effect in M
    (``truth_active``; an inspection finds an active problem with the generator's detection
    probability, so findings-based estimates sit a little below it).
    """
    from ..features import CustomerFeatureBuilder
    from ..synth.truth import truth_active
    from .backtest import backtest_folds, confirmed_before, last_months
    from .examples import build_examples, target_inspections
    from .train import fit_in_time

    ks = tuple(ks or (config.capacity,))
    cooldown = int(cooldown_months or config.cooldown_months)
    builder = builder or CustomerFeatureBuilder(tables, config)
    X, y, meta = build_examples(tables, config, builder=builder)
    inspections = target_inspections(tables, "customer")
    inspected_month = pd.to_datetime(inspections["date"]).dt.to_period("M")
    rows = []
    for fold in backtest_folds(meta, inspections, last_months(meta, n_months), config.label_delay_months):
        model, _ = fit_in_time(X.loc[fold.train], y[fold.train], meta.loc[fold.train], config)
        start = fold.month.to_timestamp(how="start")
        recent = (inspected_month < fold.month) & (inspected_month > fold.month - cooldown)
        excluded = confirmed_before(inspections, start, config.label_delay_months) | set(
            inspections.loc[recent, "target_id"].astype(str)
        )
        population = builder.build(fold.month - 1)
        population = population.loc[~population.index.isin(list(excluded))]
        population_scores = model.raw_score(population)
        active = truth_active(truth_customers, fold.month).reindex(population.index, fill_value=False)
        test_scores = model.raw_score(X.loc[fold.test])
        y_test = y[fold.test].astype(float)
        weights = design_weights(meta.loc[fold.test])
        is_random = meta.loc[fold.test, "selection"].astype(str).isin(UNBIASED_SELECTIONS).to_numpy()
        ranked = np.sort(np.asarray(population_scores, dtype=float))[::-1]
        for k in ks:
            est = unbiased_report(y[fold.test], test_scores, meta.loc[fold.test], k)
            # threshold variant: the population's own k-th score decides who is "in the top k"
            above = np.asarray(test_scores, dtype=float) >= ranked[min(k, len(ranked)) - 1]
            rows.append(
                {
                    "month": str(fold.month),
                    "k": int(k),
                    "n_inspected": int(fold.test.sum()),
                    "n_random": est.get("n_random_exploration", 0),
                    "population": len(population),
                    "naive_precision_at_k": est.get("naive_precision_at_k", np.nan),
                    "random_ipw_precision_at_k": est.get("random_ipw_precision_at_k", np.nan),
                    "design_weighted_precision_at_k": est.get("design_weighted_precision_at_k", np.nan),
                    "true_precision_at_k": precision_at_k(active.to_numpy(dtype=float), population_scores, k),
                    "true_base_rate": float(active.mean()),
                    "random_above": int((above & is_random).sum()),
                    "random_above_findings": float(y_test[above & is_random].sum()),
                    "design_above_weight": float(weights[above].sum()),
                    "design_above_weighted_findings": float((weights * y_test)[above].sum()),
                }
            )
    return pd.DataFrame(rows)


def summarise_bias(comparison: pd.DataFrame) -> pd.DataFrame:
    """Per k: mean of each estimate and of the truth over the months, and each estimate's mean
    absolute error against the truth (months where an estimate is undefined are skipped).

    With the threshold columns of :func:`compare_with_truth`, also the *pooled threshold*
    estimates: inspections scoring at or above the population's k-th score, pooled over the
    months -- random picks only (``random_threshold_precision_at_k``, with their count) and all
    inspections design-weighted (``design_threshold_precision_at_k``). They need the population
    scored (free on a real team's data too) and are far less noisy than filling k with mass."""
    estimates = ["naive_precision_at_k", "random_ipw_precision_at_k", "design_weighted_precision_at_k"]
    out = []
    for k, group in comparison.groupby("k", sort=True):
        row = {"k": int(k), "months": len(group), "true_precision_at_k": group["true_precision_at_k"].mean()}
        for name in estimates:
            row[name] = group[name].mean()
            row[name.replace("precision_at_k", "abs_error")] = (
                (group[name] - group["true_precision_at_k"]).abs().mean()
            )
        if "random_above" in group:
            n_above = group["random_above"].sum()
            row["random_threshold_n"] = int(n_above)
            row["random_threshold_precision_at_k"] = (
                group["random_above_findings"].sum() / n_above if n_above else float("nan")
            )
            mass = group["design_above_weight"].sum()
            row["design_threshold_precision_at_k"] = (
                group["design_above_weighted_findings"].sum() / mass if mass else float("nan")
            )
        out.append(row)
    return pd.DataFrame(out)
