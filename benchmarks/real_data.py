"""Detection quality on the real public data sets: a hand-written baseline vs gridaudit.

For each data set (STEG billing fraud, SGCC daily curves), 5-fold stratified *group*
cross-validation on the dev part (groups: STEG client_id, SGCC duplicate_group, so copies of a
customer never sit on both sides), the same folds for both models:

  (a) baseline: what a data scientist writes in an afternoon -- per-client aggregates of the raw
      invoice columns plus client columns (STEG), or the raw days plus mean/std/max/zero count
      (SGCC), into LightGBM with default-ish parameters;
  (b) gridaudit: convert -> CustomerFeatureBuilder(...).build(as_of) -> RiskModel with inner
      early stopping on a stratified group split of the training folds.

Usage (from the repository root):
    .venv/bin/python benchmarks/real_data.py                 # full: both data sets, 5 folds
    .venv/bin/python benchmarks/real_data.py --quick         # 2 folds on a 30% customer sample
    .venv/bin/python benchmarks/real_data.py --only steg --json out.json
    .venv/bin/python benchmarks/real_data.py --steg-list 15  # also: top of the unlabelled clients' list
    .venv/bin/python benchmarks/real_data.py --only sgcc --tune 20  # nested Optuna tuning per fold

--tune N (nested): inside each outer fold, N Optuna trials on 3 stratified group folds of that
fold's *training part only* (gridaudit.training.tune.tune_grouped; inner fits stop early on a
group fifth of the inner training part), then gridaudit is fitted on the training part with the
best parameters and scored on the outer test part, which tuning never sees.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold

from gridaudit.adapters import convert_sgcc_with_report, convert_steg
from gridaudit.config import Config
from gridaudit.features import CustomerFeatureBuilder
from gridaudit.model import RiskModel
from gridaudit.scoring.reasons import REASON_CANDIDATES, peer_medians, reason_features, top_reasons
from gridaudit.training.metrics import ranking_report
from gridaudit.training.tune import tune_grouped

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
METRICS = [
    ("roc_auc", "AUC"),
    ("average_precision", "AP"),
    ("precision_at_1pct", "P@1%"),
    ("lift_at_1pct", "lift@1%"),
    ("map_at_100", "MAP@100"),
    ("map_at_200", "MAP@200"),
]
# One LightGBM thread: on a shared 2-core machine two threads spin-wait and run ~10x slower.
THREADS = 1
BASELINE_PARAMS = dict(
    n_estimators=300, learning_rate=0.05, num_leaves=31, n_jobs=THREADS, verbose=-1, random_state=7
)
STEG_AS_OF = "2019-12"
DROP_FEATURES: tuple[str, ...] = ()
LEARNING_RATE = 0.02  # slower than the default 0.05: early stopping on AP peaks too soon otherwise
TUNE_TRIALS = 0  # --tune N: nested Optuna trials per outer fold (0: default parameters)
TUNE_INNER_FOLDS = 3
TUNE_ROUNDS, TUNE_STOPPING = 1000, 50  # inner fits: at most 1000 trees, stop after 50 without gain

log = logging.getLogger("real_data")


# ----------------------------------------------------------------------------- baselines
def steg_baseline_features(clients: pd.DataFrame, invoices: pd.DataFrame) -> pd.DataFrame:
    """Per-client aggregates of the raw invoice columns plus the client columns."""
    numeric = [f"consommation_level_{i}" for i in range(1, 5)] + [
        "old_index",
        "new_index",
        "counter_coefficient",
        "months_number",
    ]
    inv = invoices.assign(counter_statue=pd.to_numeric(invoices["counter_statue"], errors="coerce"))
    g = inv.groupby("client_id")
    agg = g[numeric].agg(["mean", "std", "min", "max", "sum"])
    agg.columns = [f"{a}_{b}" for a, b in agg.columns]
    agg["invoice_count"] = g.size()
    agg["counter_count"] = g["counter_number"].nunique()
    agg["gas_share"] = (inv["counter_type"] == "GAZ").groupby(inv["client_id"]).mean()
    for col in ("counter_statue", "reading_remarque", "tarif_type", "counter_code"):
        counts = inv.groupby(["client_id", col]).size().sort_values(ascending=False, kind="stable")
        agg[f"{col}_mode"] = counts.reset_index().drop_duplicates("client_id").set_index("client_id")[col]
    dates = pd.to_datetime(inv["invoice_date"])
    agg["first_invoice_days"] = (dates.groupby(inv["client_id"]).min() - pd.Timestamp("1970-01-01")).dt.days
    agg["last_invoice_days"] = (dates.groupby(inv["client_id"]).max() - pd.Timestamp("1970-01-01")).dt.days
    base = clients.set_index("client_id")
    district = "disrict" if "disrict" in base.columns else "district"
    out = pd.DataFrame(index=base.index)
    out["district"] = base[district].astype("category")
    out["client_catg"] = base["client_catg"].astype("category")
    out["region"] = base["region"].astype("category")
    created = pd.to_datetime(base["creation_date"], format="%d/%m/%Y", errors="coerce")
    out["creation_days"] = (created - pd.Timestamp("1970-01-01")).dt.days
    return out.join(agg)


def sgcc_baseline_features(wide: pd.DataFrame) -> pd.DataFrame:
    """The raw days plus mean, std, max and zero count."""
    days = wide.drop(columns=["CONS_NO", "FLAG"]).apply(pd.to_numeric, errors="coerce")
    days.columns = [f"day_{i}" for i in range(days.shape[1])]
    out = days.copy()
    out["mean"] = days.mean(axis=1)
    out["std"] = days.std(axis=1)
    out["max"] = days.max(axis=1)
    out["zero_count"] = (days == 0).sum(axis=1)
    out.index = wide["CONS_NO"].astype(str).to_numpy()
    return out


# ----------------------------------------------------------------------------- models
def fit_baseline(X: pd.DataFrame, y: np.ndarray, X_test: pd.DataFrame) -> np.ndarray:
    model = lgb.LGBMClassifier(**BASELINE_PARAMS)
    model.fit(X, y)
    return model.predict_proba(X_test)[:, 1]


def fit_gridaudit(
    X: pd.DataFrame,
    y: np.ndarray,
    groups: np.ndarray,
    X_test: pd.DataFrame,
    config: Config,
    tuned: dict | None = None,
) -> tuple[np.ndarray, RiskModel]:
    """RiskModel with early stopping on one stratified group fold of the training part;
    ``tuned`` (Optuna's best, from this training part only) overrides the default settings."""
    inner = StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=config.seed)
    fit_idx, stop_idx = next(inner.split(X, y, groups))
    params = (
        {
            "learning_rate": LEARNING_RATE,
            "num_leaves": config.num_leaves,
            "min_child_samples": config.min_child_samples,
        }
        | dict(tuned or {})
        | {"num_threads": THREADS}
    )
    model = RiskModel(params=params, num_boost_round=2000, early_stopping_rounds=200, seed=config.seed)
    model.fit(X.iloc[fit_idx], y[fit_idx], eval_set=(X.iloc[stop_idx], y[stop_idx]))
    return model.raw_score(X_test), model


def tune_on_training_part(X: pd.DataFrame, y: np.ndarray, groups: np.ndarray, config: Config) -> dict:
    """Nested tuning: Optuna on stratified group folds of one outer fold's training part."""
    result = tune_grouped(
        X.reset_index(drop=True),
        y,
        groups,
        config,
        TUNE_TRIALS,
        n_folds=TUNE_INNER_FOLDS,
        storage=None,  # in memory: a fresh study per outer fold
        early_stopping_rounds=TUNE_STOPPING,
        num_boost_round=TUNE_ROUNDS,
        base_params={"num_threads": THREADS},
    )
    log.info(
        "  inner mean AP %.3f, %d trials (%d pruned)", result.best_value, result.n_trials, result.n_pruned
    )
    return result.best_params


# ----------------------------------------------------------------------------- CV
def cross_validate(
    name: str,
    baseline_X: pd.DataFrame,
    gridaudit_X: pd.DataFrame,
    y: np.ndarray,
    groups: np.ndarray,
    folds: int,
    config: Config,
) -> dict:
    """Same StratifiedGroupKFold folds for both models; metrics per fold on the held-out part."""
    dropped = [c for c in gridaudit_X.columns if any(p in c for p in DROP_FEATURES)]
    if dropped:
        print(f"{name}: leaving out {len(dropped)} gridaudit features: {', '.join(dropped)}")
        gridaudit_X = gridaudit_X.drop(columns=dropped)
    cv = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=config.seed)
    rows = {"baseline": [], "gridaudit": []}
    importance, chosen = [], []
    for k, (train, test) in enumerate(cv.split(gridaudit_X, y, groups)):
        assert not set(groups[train]) & set(groups[test]), "a group sits on both sides of a split"
        t0 = time.time()
        s_base = fit_baseline(baseline_X.iloc[train], y[train], baseline_X.iloc[test])
        t1 = time.time()
        tuned = None
        if TUNE_TRIALS:  # the outer test part is not passed: tuning cannot see it
            tuned = tune_on_training_part(gridaudit_X.iloc[train], y[train], groups[train], config)
            chosen.append(tuned)
            params = ", ".join(f"{k}={v:.4g}" for k, v in tuned.items())
            print(f"{name} fold {k + 1}: tuned in {time.time() - t1:.0f}s: {params}")
        s_ga, model = fit_gridaudit(
            gridaudit_X.iloc[train], y[train], groups[train], gridaudit_X.iloc[test], config, tuned
        )
        t2 = time.time()
        rows["baseline"].append(ranking_report(y[test], s_base))
        rows["gridaudit"].append(ranking_report(y[test], s_ga))
        importance.append(model.feature_importance().set_index("feature")["gain"])
        log.info(
            "%s fold %d: baseline AUC %.3f (%.0fs), gridaudit AUC %.3f (%.0fs, %d trees)",
            name,
            k + 1,
            rows["baseline"][-1]["roc_auc"],
            t1 - t0,
            rows["gridaudit"][-1]["roc_auc"],
            t2 - t1,
            model.best_iteration_,
        )
    summary = {}
    for model_name, reports in rows.items():
        frame = pd.DataFrame(reports)
        summary[model_name] = {
            key: {
                "mean": float(frame[key].mean()),
                "std": float(frame[key].std(ddof=1)) if len(frame) > 1 else 0.0,
            }
            for key, _ in METRICS
        }
        summary[model_name]["folds"] = frame[[k for k, _ in METRICS]].to_dict(orient="records")
    gain = pd.concat(importance, axis=1).mean(axis=1).sort_values(ascending=False)
    summary["top_features"] = (gain / gain.sum()).head(20).round(4).to_dict()
    if chosen:
        summary["tuned_params"] = chosen
    return summary


def print_table(name: str, summary: dict, n: int, positives: int, folds: int) -> None:
    header = f"{'model':<10}" + "".join(f"{label:>17}" for _, label in METRICS)
    print(f"\n{name}: {n:,} customers, {positives:,} positive, {folds}-fold stratified group CV")
    print(header)
    for model in ("baseline", "gridaudit"):
        cells = "".join(
            f"{summary[model][k]['mean']:>10.3f} ± {summary[model][k]['std']:<4.3f}" for k, _ in METRICS
        )
        print(f"{model:<10}{cells}")
    diff = "".join(
        f"{summary['gridaudit'][k]['mean'] - summary['baseline'][k]['mean']:>+10.3f}       "
        for k, _ in METRICS
    )
    print(f"{'difference':<10}{diff}")
    top = ", ".join(f"{f} {v:.1%}" for f, v in list(summary["top_features"].items())[:10])
    print(f"gridaudit top features by gain: {top}")


# ----------------------------------------------------------------------------- data sets
def run_steg(folder: Path, folds: int, sample: float | None, config: Config) -> tuple[dict, int, int]:
    clients = pd.read_parquet(folder / "client_dev.parquet")
    invoices = pd.read_parquet(folder / "invoice_dev.parquet")
    if sample:
        clients = clients.sample(frac=sample, random_state=config.seed)
        invoices = invoices[invoices["client_id"].isin(clients["client_id"])]
    t0 = time.time()
    tables = convert_steg(clients, invoices)
    t1 = time.time()
    features = CustomerFeatureBuilder(tables, config).build(STEG_AS_OF)
    t2 = time.time()
    print(f"STEG: convert {t1 - t0:.1f}s, gridaudit features {t2 - t1:.1f}s ({features.shape[1]} columns)")
    labels = tables["inspections"].set_index("target_id")["result"].eq("theft").astype(int)
    ids = features.index.intersection(labels.index)
    baseline = steg_baseline_features(clients, invoices).reindex(ids)
    print(f"STEG: baseline features {time.time() - t2:.1f}s ({baseline.shape[1]} columns)")
    y = labels.reindex(ids).to_numpy()
    groups = np.asarray(ids)
    summary = cross_validate("STEG", baseline, features.loc[ids], y, groups, folds, config)
    return summary, len(ids), int(y.sum())


def run_sgcc(path: Path, folds: int, sample: float | None, config: Config) -> tuple[dict, int, int]:
    wide = pd.read_csv(path, dtype={"CONS_NO": str})
    if sample:
        wide = wide.sample(frac=sample, random_state=config.seed)
    t0 = time.time()
    tables, report = convert_sgcc_with_report(wide)
    t1 = time.time()
    readings = pd.to_datetime(tables["readings"]["date"])
    as_of = readings.max().to_period("M")
    features = CustomerFeatureBuilder(tables, config).build(as_of)
    t2 = time.time()
    print(
        f"SGCC: convert {t1 - t0:.1f}s, gridaudit features {t2 - t1:.1f}s ({features.shape[1]} columns), "
        f"as of {as_of}; {report.copied_rows} copied rows grouped, {report.repeated_ids} repeated ids dropped"
    )
    customers = tables["customers"].set_index("customer_id")
    labels = tables["inspections"].set_index("target_id")["result"].eq("theft").astype(int)
    ids = features.index.intersection(labels.index)
    base = sgcc_baseline_features(wide.drop_duplicates("CONS_NO")).reindex(ids)
    y = labels.reindex(ids).to_numpy()
    groups = customers["duplicate_group"].reindex(ids).to_numpy()
    summary = cross_validate("SGCC", base, features.loc[ids], y, groups, folds, config)
    return summary, len(ids), int(y.sum())


def steg_unlabelled_list(folder: Path, top: int, config: Config, language: str = "en") -> pd.DataFrame:
    """The inspection list of the unlabelled STEG clients, as a monthly run would produce it.

    Features are built once over dev and unlabelled clients together (company norms and peers
    cover everyone, as in production); the model learns on every labelled dev client (early
    stopping on a stratified group split of them) and scores the unlabelled ones; the ``top``
    highest get their three reasons from the SHAP contributions.
    """
    clients = pd.concat(
        [
            pd.read_parquet(folder / "client_dev.parquet"),
            pd.read_parquet(folder / "client_unlabelled.parquet"),
        ]
    )
    invoices = pd.concat(
        [
            pd.read_parquet(folder / "invoice_dev.parquet"),
            pd.read_parquet(folder / "invoice_unlabelled.parquet"),
        ]
    )
    tables = convert_steg(clients, invoices)
    features = CustomerFeatureBuilder(tables, config).build(STEG_AS_OF)
    labels = tables["inspections"].set_index("target_id")["result"].eq("theft").astype(int)
    labelled = features.index.intersection(labels.index)
    unlabelled = features.index.difference(labels.index)
    _, model = fit_gridaudit(
        features.loc[labelled],
        labels.reindex(labelled).to_numpy(),
        np.asarray(labelled),
        features.loc[unlabelled],
        config,
    )
    X = features.loc[unlabelled]
    chosen = X.iloc[np.argsort(-model.raw_score(X), kind="stable")[:top]]
    contributions = model.contributions(chosen)
    peers = peer_medians(features, reason_features(contributions, chosen, REASON_CANDIDATES))
    reasons = top_reasons(contributions, chosen, peers.reindex(chosen.index), language)
    reasons.insert(0, "risk", model.score(chosen).round(3))  # uncalibrated: no calibration set here
    return reasons


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--steg", type=Path, default=SHARED_DATA / "steg", help="folder with client_dev/invoice_dev"
    )
    parser.add_argument("--sgcc", type=Path, default=SHARED_DATA / "sgcc_small" / "sgcc_small_dev.csv")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="2 folds on a 30%% sample of customers")
    parser.add_argument("--only", choices=("steg", "sgcc"), help="run one data set")
    parser.add_argument("--json", type=Path, help="write the summary as JSON")
    parser.add_argument(
        "--drop-features",
        default="",
        help="comma-separated substrings: gridaudit features whose names contain one are left out "
        "(e.g. 'replacement,meter_model,meter_count' to measure without the features that STEG's "
        "post-inspection meter swaps may feed: replacements, model-code changes, meter counts)",
    )
    parser.add_argument(
        "--steg-list",
        type=int,
        default=0,
        metavar="N",
        help="also train on every labelled STEG dev client and print the top N unlabelled clients "
        "with their three reasons (what an auditor would read)",
    )
    parser.add_argument(
        "--tune",
        type=int,
        default=0,
        metavar="N",
        help="nested tuning: N Optuna trials on 3 stratified group folds of each outer training part, "
        "then gridaudit fitted with the best settings (the outer test part never touches tuning)",
    )
    parser.add_argument("--verbose", "-v", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    config = Config()
    global DROP_FEATURES, TUNE_TRIALS
    DROP_FEATURES = tuple(p for p in args.drop_features.split(",") if p)
    TUNE_TRIALS = args.tune
    folds, sample = (2, 0.3) if args.quick else (args.folds, None)
    started = time.time()
    results = {}
    for name, runner, path in (("steg", run_steg, args.steg), ("sgcc", run_sgcc, args.sgcc)):
        if args.only and args.only != name:
            continue
        if not path.exists():
            print(f"{name.upper()}: skipped, {path} is absent")
            continue
        t0 = time.time()
        summary, n, positives = runner(path, folds, sample, config)
        summary["seconds"] = round(time.time() - t0, 1)
        results[name] = summary
        label = (
            name.upper()
            + (" (quick)" if args.quick else "")
            + (f" (tuned, {args.tune} trials)" if args.tune else "")
        )
        print_table(label, summary, n, positives, folds)
        print(f"{name.upper()}: {summary['seconds']:.0f}s")
    if args.steg_list and args.steg.exists():
        listing = steg_unlabelled_list(args.steg, args.steg_list, config)
        print(f"\nSTEG unlabelled clients: the top {len(listing)} of the inspection list with their reasons")
        with pd.option_context("display.max_colwidth", 120, "display.width", 250):
            print(listing.drop(columns="reason_codes").to_string())
    print(f"\ntotal {time.time() - started:.0f}s")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
