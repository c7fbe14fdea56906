"""Training engines: months in a process pool give the same examples; LightGBM's Dask interface
on a two-worker LocalCluster gives a model that saves, scores and explains like a local one, as
good within a stated tolerance, and the same for the same seed."""

import mlflow
import numpy as np
import pandas as pd
import pytest
from training_fixtures import tiny_tables
from typer.testing import CliRunner

from gridaudit.cli import commands  # noqa: F401  (registers the commands)
from gridaudit.cli.app import app
from gridaudit.cluster import EngineError
from gridaudit.config import Config
from gridaudit.features import CustomerFeatureBuilder
from gridaudit.model import RiskModel, category_levels, encode_features
from gridaudit.months import parse_month
from gridaudit.tracking import load_champion
from gridaudit.training import build_examples, dask_fit, train_model
from gridaudit.training.dask_fit import (
    DaskBoosterFitter,
    RankedClient,
    early_stopping_iteration,
    interleaved_parts,
)
from gridaudit.training.engines import DaskMonths, ProcessMonths

# The tolerance for "as good as the local model": validation AUC within 0.05. Data-parallel
# LightGBM finds bins from each worker's rows and draws bagging per worker, so its trees differ
# from a single-machine fit; on this set they measured 0.788 (local) and 0.779 (Dask).
AUC_TOLERANCE = 0.05


# ---------------------------------------------------------------- pure helpers, by hand
def test_interleaved_parts_deal_rows_round_robin():
    parts = interleaved_parts(7, 3)
    assert [p.tolist() for p in parts] == [[0, 3, 6], [1, 4], [2, 5]]
    # more workers than rows: one row per part, no empty part (LightGBM refuses empty workers)
    assert [p.tolist() for p in interleaved_parts(2, 4)] == [[0], [1]]
    # every row once, sizes differ by at most one
    parts = interleaved_parts(1001, 4)
    assert sorted(np.concatenate(parts).tolist()) == list(range(1001))
    assert {len(p) for p in parts} == {250, 251}


def test_ranked_client_lists_parts_in_worker_order():
    """LightGBM ranks workers in who_has order; distributed answers in a set's order."""

    class Shuffled:
        def who_has(self, futures=None):
            return {"part-c": ["tcp://b:2"], "part-a": ["tcp://c:3"], "part-b": ["tcp://a:1"]}

        def ncores(self):
            return {"tcp://a:1": 1}

    ranked = RankedClient(Shuffled(), ["tcp://a:1", "tcp://b:2", "tcp://c:3"])
    assert list(ranked.who_has()) == ["part-b", "part-c", "part-a"]
    assert ranked.ncores() == {"tcp://a:1": 1}  # everything else is the wrapped client


@pytest.mark.parametrize(
    ("curve", "patience", "best"),
    [
        ([0.5, 0.6, 0.7, 0.65, 0.66], 2, 3),  # tree 3 best, two trees without improvement -> stop
        ([0.5, 0.6, 0.55, 0.54, 0.9], 2, 2),  # the later 0.9 comes after the search stopped
        ([0.5, 0.6, 0.55, 0.54, 0.9], 3, 5),  # with more patience it is found
        ([0.5, 0.6, 0.6, 0.6], None, 2),  # ties do not count as improvement: the first best
        ([0.5, 0.6, 0.55, 0.54, 0.9], None, 5),  # no patience: the best over the curve
    ],
)
def test_early_stopping_iteration_follows_lightgbm_rule(curve, patience, best):
    assert early_stopping_iteration(curve, patience) == best


def test_encoding_row_blocks_apart_equals_encoding_them_together():
    """What lets the workers encode their own rows: levels of blocks united and sorted are the
    levels of the whole, and the codes of a row do not depend on the other rows."""
    first = pd.DataFrame({"area_id": ["A2", "A0", None], "kwh": [1.5, 2.0, np.nan]})
    second = pd.DataFrame({"area_id": pd.Categorical(["A1", "A2"]), "kwh": [3.0, 4.0]}, index=[3, 4])
    whole = pd.concat([first.astype({"area_id": "object"}), second.astype({"area_id": "object"})])
    levels = {"area_id": sorted(set(category_levels(first, ["area_id"])["area_id"]) | {"A1", "A2"})}
    assert levels == category_levels(whole, ["area_id"]) == {"area_id": ["A0", "A1", "A2"]}
    stacked = pd.concat([encode_features(block, ["kwh", "area_id"], levels) for block in (first, second)])
    pd.testing.assert_frame_equal(stacked, encode_features(whole, ["kwh", "area_id"], levels))
    assert stacked["area_id"].tolist()[:2] == [2.0, 0.0] and np.isnan(stacked["area_id"].iloc[2])
    assert stacked["area_id"].tolist()[3:] == [1.0, 2.0] and stacked.columns.tolist() == ["kwh", "area_id"]


# ---------------------------------------------------------------- engine choice
@pytest.mark.parametrize(
    ("engine", "scheduler", "message"),
    [
        ("spark", None, "unknown engine 'spark'; use one of local, processes, dask"),
        ("processes", "tcp://10.0.0.5:8786", r"needs the dask engine: add --engine dask"),
    ],
)
def test_unknown_engine_or_scheduler_without_dask_is_refused(engine, scheduler, message):
    tables = tiny_tables()
    with pytest.raises(EngineError, match=message):
        train_model(tables, Config(engine=engine, scheduler=scheduler), log_to_mlflow=False)


def test_cli_train_refuses_a_scheduler_without_the_dask_engine(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(
        app, ["train", "--warehouse", str(tmp_path), "--scheduler", "tcp://10.0.0.5:8786"]
    )
    assert res.exit_code == 2 and "needs the dask engine" in res.output


# ---------------------------------------------------------------- months in a process pool
@pytest.mark.slow
def test_process_pool_builds_the_same_examples_as_month_after_month():
    """Real feature builder; the frames from the pool equal those built here, exactly."""
    tables = tiny_tables(n_customers=120)
    config = Config()
    builder = CustomerFeatureBuilder(tables, config)
    here = build_examples(tables, config, builder=builder)
    pooled = build_examples(tables, config, builder=builder, month_runner=ProcessMonths(workers=2))
    pd.testing.assert_frame_equal(pooled[0], here[0], check_exact=True)
    np.testing.assert_array_equal(pooled[1], here[1])
    pd.testing.assert_frame_equal(pooled[2], here[2], check_exact=True)
    assert len(here[0]) == 120 and here[0].shape[1] > 5  # not vacuous: every inspection, many features

    # through train_model: the same examples and, with as many LightGBM threads, the same trees
    small = Config(num_boost_round=20, min_child_samples=5, validation_months=1, capacity=5)
    local = train_model(tables, small, log_to_mlflow=False, builder=builder)
    pooled = train_model(
        tables, small.replace(engine="processes", workers=2), log_to_mlflow=False, builder=builder
    )
    assert pooled.params["engine"] == "processes" and pooled.params["lgb_num_threads"] == 2
    assert pooled.split == local.split
    assert pooled.model.booster_.model_to_string() == local.model.booster_.model_to_string()


# ---------------------------------------------------------------- Dask, two workers
class NoisyBuilder:
    """Features of a noisy problem: a hidden risk r per customer; ``signal`` = r + month noise,
    ``noise`` carries nothing; a finding happens with probability sigmoid(2r - 2)."""

    def __init__(self, n_customers: int, seed: int = 3):
        rng = np.random.default_rng(seed)
        self.ids = pd.Index([f"C{i:04d}" for i in range(n_customers)], name="customer_id")
        self.risk = rng.normal(size=n_customers)
        self.area = pd.Categorical([f"A{i % 5}" for i in range(n_customers)])
        self.seed = seed

    def build(self, as_of) -> pd.DataFrame:
        month = parse_month(as_of)
        rng = np.random.default_rng([self.seed, month.year, month.month])
        n = len(self.ids)
        return pd.DataFrame(
            {
                "area_id": self.area,
                "signal": self.risk + rng.normal(scale=0.7, size=n),
                "noise": rng.normal(size=n),
            },
            index=self.ids,
        )


def noisy_tables(n_customers: int = 1500, per_month: int = 250, months: int = 8, seed: int = 3):
    builder = NoisyBuilder(n_customers, seed)
    rng = np.random.default_rng(seed + 1)
    rows = []
    for m, month in enumerate(pd.period_range("2024-01", periods=months, freq="M")):
        picked = rng.choice(n_customers, size=per_month, replace=False)
        found = rng.random(per_month) < 1 / (1 + np.exp(-(2 * builder.risk[picked] - 2)))
        for j, (number, hit) in enumerate(zip(picked, found, strict=True)):
            rows.append(
                {
                    "inspection_id": f"I{m:02d}{j:04d}",
                    "target_type": "customer",
                    "target_id": builder.ids[number],
                    "date": month.to_timestamp() + pd.Timedelta(days=9),
                    "result": "theft" if hit else "clean",
                    "selection": "targeted",
                }
            )
    customers = pd.DataFrame(
        {
            "customer_id": builder.ids.to_numpy(),
            "tariff_category": "residential",
            "area_id": np.asarray(builder.area),
            "connect_date": pd.Timestamp("2020-01-01"),
        }
    )
    return {"customers": customers, "inspections": pd.DataFrame(rows)}, builder


DASK_CONFIG = Config(num_boost_round=60, min_child_samples=10, validation_months=2, capacity=20)


@pytest.fixture(scope="module")
def two_workers():
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        yield cluster.scheduler_address


@pytest.mark.slow
def test_dask_model_saves_scores_and_ranks_like_the_local_one(two_workers, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store = f"sqlite:///{(tmp_path / 'mlflow.db').as_posix()}"
    tables, builder = noisy_tables()
    on_dask = DASK_CONFIG.replace(engine="dask", scheduler=two_workers)
    result = train_model(tables, on_dask, tracking_uri=store, builder=builder, export_dir=tmp_path / "export")
    local = train_model(tables, DASK_CONFIG, log_to_mlflow=False, builder=builder)

    # same examples, same split; a comparable model
    assert result.split == local.split and result.split["positives_validation"] > 30
    assert local.metrics["roc_auc"] > 0.75
    assert abs(result.metrics["roc_auc"] - local.metrics["roc_auc"]) < AUC_TOLERANCE

    # the engine is recorded with the run
    run = mlflow.MlflowClient(store).get_run(result.run_id)
    assert run.data.params["engine"] == "dask" and run.data.params["engine_workers"] == "2"
    assert run.data.tags["gridaudit.engine"] == "dask"
    assert run.data.params["lgb_learning_rate"] == "0.05"

    # it is an ordinary RiskModel: champion, export, contributions
    X = builder.build("2024-08")
    champion, _ = load_champion("customer_risk", tracking_uri=store)
    exported = RiskModel.load(tmp_path / "export")
    np.testing.assert_allclose(champion.score(X), result.model.score(X), rtol=1e-12)
    np.testing.assert_allclose(exported.score(X), result.model.score(X), rtol=1e-12)
    contributions = result.model.contributions(X)
    np.testing.assert_allclose(contributions.sum(axis=1), result.model.raw_score(X), atol=1e-9)
    # trained data-parallel, with the settings the team chose
    booster_params = result.model.booster_.params
    assert booster_params["tree_learner"] == "data" and booster_params["deterministic"]


@pytest.mark.slow
def test_dask_training_is_the_same_for_the_same_seed(two_workers):
    tables, builder = noisy_tables(n_customers=800, per_month=150, months=6)
    config = DASK_CONFIG.replace(engine="dask", scheduler=two_workers, num_boost_round=30)
    first = train_model(tables, config, log_to_mlflow=False, builder=builder)
    second = train_model(tables, config, log_to_mlflow=False, builder=builder)
    X = builder.build("2024-06")
    np.testing.assert_array_equal(first.model.score(X), second.model.score(X))
    ranked = [
        pd.Series(r.model.score(X), index=X.index).sort_values(ascending=False, kind="stable")
        for r in (first, second)
    ]
    assert ranked[0].index[:50].tolist() == ranked[1].index[:50].tolist()
    trees = [r.model.booster_.dump_model()["tree_info"] for r in (first, second)]
    assert trees[0] == trees[1] and first.model.best_iteration_ == second.model.best_iteration_


@pytest.mark.slow
def test_cli_train_on_an_existing_dask_cluster(two_workers, tmp_path, monkeypatch):
    """``gridaudit train --engine dask --scheduler ADDRESS``: real features, months as Dask tasks."""
    from gridaudit.io import write_table

    monkeypatch.chdir(tmp_path)
    (tmp_path / "gridaudit.toml").write_text(
        "num_boost_round = 20\nmin_child_samples = 5\nvalidation_months = 1\ncapacity = 5\n"
    )
    for name, frame in tiny_tables(n_customers=200).items():
        write_table(tmp_path / "wh", name, frame)
    res = CliRunner().invoke(
        app, ["train", "--warehouse", "wh", "--engine", "dask", "--scheduler", two_workers, "--no-register"]
    )
    assert res.exit_code == 0, res.output
    assert "engine: dask with 2 worker(s)" in res.output and "trained on 80 inspections" in res.output


@pytest.mark.slow
def test_dask_training_rows_never_come_to_the_client(two_workers, monkeypatch):
    """Issue 8: examples that do not fit one machine. The months stay on the workers; only the
    validation block is gathered; the trees grow from a Dask collection; and they are the trees
    the gathered block would give (same rows on the same ranks, same levels, same codes)."""
    import dask.dataframe as dd
    from dask.distributed import Client

    tables, builder = noisy_tables(n_customers=600, per_month=120, months=6)
    # every third inspection a random pick with p = 0.25: weights 4 and 1 travel with their rows
    random_pick = np.arange(len(tables["inspections"])) % 3 == 0
    tables["inspections"] = tables["inspections"].assign(
        selection=np.where(random_pick, "random", "targeted"),
        inclusion_probability=np.where(random_pick, 0.25, np.nan),
    )
    config = DASK_CONFIG.replace(
        engine="dask", scheduler=two_workers, num_boost_round=20, sample_weighting="inverse_probability"
    )

    def refuse(*args, **kwargs):
        raise AssertionError("the month frames were gathered into this process")

    gathered, received = [], []
    gather = dask_fit.ClusterExamples.gather
    fit = DaskBoosterFitter.__call__

    def gather_recorded(self, mask):
        gathered.append(int(np.sum(mask)))
        return gather(self, mask)

    def fit_recorded(self, params, X, y, **kwargs):
        received.append((X, y, kwargs["weight"], kwargs["weight"].compute()))
        return fit(self, params, X, y, **kwargs)

    monkeypatch.setattr(DaskMonths, "__call__", refuse)
    monkeypatch.setattr(dask_fit.ClusterExamples, "gather", gather_recorded)
    monkeypatch.setattr(DaskBoosterFitter, "__call__", fit_recorded)
    result = train_model(tables, config, log_to_mlflow=False, builder=builder)

    assert gathered == [result.split["n_validation"]] and result.split["n_train"] > gathered[0]
    [(X_train, y_train, w_train, weights)] = received
    assert isinstance(X_train, dd.DataFrame) and isinstance(y_train, dd.Series)
    assert isinstance(w_train, dd.Series) and set(weights.unique()) == {1.0, 4.0}
    assert X_train.npartitions == 2

    # the trees the gathered training block gives, placed by the fitter from this process
    X, y, meta = build_examples(tables, config, builder=builder)
    from gridaudit.training.examples import sample_weights
    from gridaudit.training.split import time_split

    split = time_split(meta["date"], meta["known_date"], config.validation_months)
    monkeypatch.setattr(DaskBoosterFitter, "__call__", fit)
    with Client(two_workers) as client:
        here = RiskModel(params=result.model.params, num_boost_round=20, seed=config.seed).fit(
            X.loc[split.train],
            y[split.train],
            sample_weight=sample_weights(meta.loc[split.train], config.sample_weighting),
            eval_set=(X.loc[split.validation], y[split.validation]),
            fitter=DaskBoosterFitter(client),
        )
    assert (
        result.model.category_levels_ == here.category_levels_ == {"area_id": ["A0", "A1", "A2", "A3", "A4"]}
    )
    assert result.model.feature_names_ == here.feature_names_
    # the same trees (the text differs only in the ports LightGBM's machines listened on)
    assert result.model.booster_.dump_model()["tree_info"] == here.booster_.dump_model()["tree_info"]
    assert result.model.best_iteration_ == here.best_iteration_
    X_valid = X.loc[split.validation]
    np.testing.assert_array_equal(result.model.score(X_valid), here.score(X_valid))
