"""Scoring safety: a score depends on the row's values only, never on how the batch is laid out.

A small RiskModel (30 trees) is trained on a frame with two category features (tariff_category,
area_id) whose levels carry the signal, so a shifted category code would change the scores.
Properties (hypothesis, fixed seed): shuffled columns, shuffled rows, a subset of the rows with
its categories rebuilt from the subset, and a superset with unseen levels all score every row
exactly as the whole frame does; an unseen level scores as a missing value. The schema check
refuses missing or changed features with a diff naming them; a tampered model file is refused.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridaudit.model import ModelIntegrityError, RiskModel, SchemaMismatchError

N_ROWS = 400
AREAS = [f"TA-{i}" for i in range(6)]
TARIFFS = ["residential", "commercial", "large_industrial", "agricultural"]
PROPERTY = settings(max_examples=25, deadline=None, derandomize=True)


def feature_frame(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Risk rises with kwh_drop, in areas TA-4/TA-5 and for commercial customers."""
    rng = np.random.default_rng(seed)
    area = rng.choice(AREAS, n)
    tariff = rng.choice(TARIFFS, n)
    drop = rng.uniform(0, 1, n)
    noise = rng.normal(0, 1, n)
    logit = 3 * drop + 2.0 * np.isin(area, ["TA-4", "TA-5"]) + 1.5 * (tariff == "commercial") - 3 + noise
    frame = pd.DataFrame(
        {
            "tariff_category": pd.Categorical(tariff),
            "area_id": pd.Categorical(area),
            "kwh_drop_ratio": drop,
            "days_missing": rng.integers(0, 30, n).astype(float),
        },
        index=pd.Index([f"C{i:04d}" for i in range(n)], name="customer_id"),
    )
    frame.loc[frame.index[::17], "days_missing"] = np.nan
    return frame, (logit > 0).astype(int)


@pytest.fixture(scope="module")
def model() -> RiskModel:
    X, y = feature_frame(N_ROWS, seed=1)
    params = {"min_child_samples": 5, "num_threads": 2, "max_cat_to_onehot": 2}
    return RiskModel(params=params, num_boost_round=30, early_stopping_rounds=None).fit(X, y)


@pytest.fixture(scope="module")
def batch() -> pd.DataFrame:
    return feature_frame(120, seed=2)[0]


@pytest.fixture(scope="module")
def reference(model, batch) -> pd.Series:
    return pd.Series(model.score(batch), index=batch.index)


def test_the_model_uses_both_category_features(model):
    """Otherwise the properties below could not catch a shifted category code."""
    gain = model.feature_importance().set_index("feature")["gain"]
    assert gain["area_id"] > 0 and gain["tariff_category"] > 0
    assert model.categorical_features_ == ["tariff_category", "area_id"]


@PROPERTY
@given(data=st.data())
def test_shuffled_columns_score_identically(model, batch, reference, data):
    order = data.draw(st.permutations(list(batch.columns)))
    scores = model.score(batch[order])
    np.testing.assert_array_equal(scores, reference.to_numpy())


@PROPERTY
@given(data=st.data())
def test_shuffled_rows_score_identically(model, batch, reference, data):
    order = data.draw(st.permutations(range(len(batch))))
    shuffled = batch.iloc[list(order)]
    np.testing.assert_array_equal(model.score(shuffled), reference.loc[shuffled.index].to_numpy())


def rebuilt_categories(frame: pd.DataFrame, as_text: bool) -> pd.DataFrame:
    """Categories as a batch would carry them on its own: levels from its rows only (so the
    codes differ from training), or plain strings (as MLflow's pyfunc hands them over)."""
    out = frame.copy()
    for col in ("tariff_category", "area_id"):
        text = out[col].astype("str")
        out[col] = text if as_text else text.astype("category")
    return out


@PROPERTY
@given(
    rows=st.sets(st.integers(0, 119), min_size=1, max_size=40),
    drop_area=st.sampled_from(AREAS),
    as_text=st.booleans(),
)
def test_a_subset_scores_as_in_the_whole_batch(model, batch, reference, rows, drop_area, as_text):
    """Whatever levels a batch happens to contain (here: one area missing from it entirely)."""
    subset = batch.iloc[sorted(rows)]
    subset = subset.loc[subset["area_id"] != drop_area]
    if subset.empty:
        return
    subset = rebuilt_categories(subset, as_text)
    assert drop_area not in set(subset["area_id"])
    np.testing.assert_array_equal(model.score(subset), reference.loc[subset.index].to_numpy())


@PROPERTY
@given(
    unseen_area=st.sampled_from(["TA-99", "台区-新", "0"]),
    unseen_tariff=st.sampled_from(["street_lighting", "居民", ""]),
    n_new=st.integers(1, 10),
    as_text=st.booleans(),
)
def test_a_superset_with_unseen_levels_leaves_known_rows_alone(
    model, batch, reference, unseen_area, unseen_tariff, n_new, as_text
):
    """New rows with levels never seen in training score as 'unknown' (= missing) and shift
    nothing for the others."""
    new = batch.iloc[:n_new].astype({"area_id": "str", "tariff_category": "str"})
    new.index = [f"N{i}" for i in range(n_new)]
    new["area_id"] = unseen_area
    new["tariff_category"] = unseen_tariff
    both = pd.concat([rebuilt_categories(batch, as_text=True), new])
    both = rebuilt_categories(both, as_text)
    scores = pd.Series(model.score(both), index=both.index)
    np.testing.assert_array_equal(scores.loc[batch.index].to_numpy(), reference.to_numpy())

    missing = batch.iloc[:n_new].copy()
    missing.index = new.index
    missing["area_id"] = np.nan
    missing["tariff_category"] = np.nan
    np.testing.assert_array_equal(scores.loc[new.index].to_numpy(), model.score(missing))


def test_unseen_level_is_not_a_neighbouring_code(model, batch):
    """An unseen area never borrows the code (and so the risk) of a known area."""
    row = batch.iloc[[0]].astype({"area_id": "str"})
    scores = {}
    for area in [*AREAS, "TA-99"]:
        scores[area] = model.score(row.assign(area_id=area))[0]
    missing = model.score(row.assign(area_id=np.nan))[0]
    assert scores["TA-99"] == missing
    assert scores["TA-4"] != scores["TA-0"]  # the area matters, so a shifted code would show


# ---------------------------------------------------------------- schema check
def test_missing_feature_is_refused_with_a_diff(model, batch):
    with pytest.raises(
        SchemaMismatchError,
        match=r"does not match the features the model was trained on; missing: kwh_drop_ratio, days_missing; "
        r"not used by the model: kwh_drop_3m",
    ):
        model.check_features(batch.drop(columns=["kwh_drop_ratio", "days_missing"]).assign(kwh_drop_3m=1.0))
    with pytest.raises(SchemaMismatchError, match="missing: area_id"):
        model.score(batch.drop(columns="area_id"))


def test_text_where_a_number_is_expected_is_refused(model, batch):
    as_text = batch.assign(kwh_drop_ratio=batch["kwh_drop_ratio"].map("{:.2f}".format).astype("str"))
    with pytest.raises(
        SchemaMismatchError, match=r"changed: kwh_drop_ratio \(text, the model expects numbers\)"
    ):
        model.score(as_text)


# ---------------------------------------------------------------- model files
def test_saved_model_scores_the_same(model, batch, reference, tmp_path):
    loaded = RiskModel.load(model.save(tmp_path / "m"))
    np.testing.assert_array_equal(loaded.score(batch), reference.to_numpy())


def test_tampered_model_file_is_refused(model, tmp_path):
    folder = model.save(tmp_path / "m")
    text = (folder / "model.txt").read_text(encoding="utf-8")
    first_leaf = text.index("leaf_value=") + len("leaf_value=")
    tampered = text[:first_leaf] + "9" + text[first_leaf:]  # one leaf made far riskier
    (folder / "model.txt").write_text(tampered, encoding="utf-8")
    with pytest.raises(ModelIntegrityError, match=r"was changed after it was saved"):
        RiskModel.load(folder)


def test_model_file_of_another_model_is_refused(model, tmp_path):
    """A model.txt swapped in from another model folder does not match this meta.json."""
    folder = model.save(tmp_path / "m")
    X, y = feature_frame(200, seed=3)
    other = RiskModel(params={"min_child_samples": 5}, num_boost_round=5, early_stopping_rounds=None)
    other_folder = other.fit(X, y).save(tmp_path / "other")
    (folder / "model.txt").write_bytes((other_folder / "model.txt").read_bytes())
    with pytest.raises(ModelIntegrityError, match="refusing to score with it"):
        RiskModel.load(folder)


def test_tampered_category_levels_are_refused(model, tmp_path):
    folder = model.save(tmp_path / "m")
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    meta["category_levels"]["area_id"] = list(reversed(meta["category_levels"]["area_id"]))
    (folder / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ModelIntegrityError):
        RiskModel.load(folder)


@pytest.mark.parametrize("block_rows", [1, 7, 50, 119, 120])
def test_scoring_in_blocks_gives_the_scores_of_one_pass(model, batch, monkeypatch, block_rows):
    """A company is scored block by block (memory: one block's encoded copy); the blocks, the
    last one short, give every row the score one pass over the whole frame gives."""
    from gridaudit import model as model_module

    whole = model.booster_.predict(model.encode(batch), num_iteration=model.best_iteration_, raw_score=True)
    monkeypatch.setattr(model_module, "SCORE_BLOCK_ROWS", block_rows)
    np.testing.assert_array_equal(model.raw_score(batch), whole)
    np.testing.assert_array_equal(model.score(batch), model.calibrate(whole))
    assert model.raw_score(batch.iloc[:3]).shape == (3,)
