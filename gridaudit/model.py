"""The risk model: LightGBM plus what it needs to score a frame safely and explain it.

The model remembers its feature names, kinds and category levels. Scoring aligns columns by
name, encodes categories with the levels seen at fit time (an unseen value becomes "unknown",
never a shifted code), and refuses with a readable diff when features are missing or changed.
Categories are handed to LightGBM as fixed integer codes, so the same model gives the same scores
from pandas categories, plain strings (as MLflow's pyfunc delivers them) or a shuffled frame.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted

from .errors import InputError
from .io import atomic_path

MODEL_FILE = "model.txt"
META_FILE = "meta.json"
# rows scored per block: the encoded copy LightGBM reads is made one block at a time, so scoring a
# whole company costs one block's copy on top of the features (LightGBM scores row by row: the
# scores do not depend on the blocking)
SCORE_BLOCK_ROWS = 65_536


class SchemaMismatchError(InputError, ValueError):
    """The frame to score does not have the features the model was trained on."""


class ModelIntegrityError(InputError, ValueError):
    """A model file does not match the hash recorded when it was saved."""


def _is_category_like(series: pd.Series) -> bool:
    return (
        isinstance(series.dtype, pd.CategoricalDtype)
        or pd.api.types.is_string_dtype(series.dtype)
        or series.dtype == object
    )


def category_columns(X: pd.DataFrame) -> list[str]:
    """The columns RiskModel treats as categories (pandas categories, text), in frame order."""
    return [str(c) for c in X.columns if _is_category_like(X[c])]


def category_levels(X: pd.DataFrame, columns: list[str]) -> dict[str, list[str]]:
    """The levels RiskModel stores per category column: the distinct non-missing values as text,
    sorted. The union of the levels of row blocks, sorted, equals the levels of their concat."""
    return {col: sorted(X[col].dropna().astype(str).unique().tolist()) for col in columns}


def encode_features(X: pd.DataFrame, feature_names: list[str], levels: dict[str, list[str]]) -> pd.DataFrame:
    """``feature_names`` in that order as float columns; the category columns (the keys of
    ``levels``) as fixed codes into their levels (unseen or missing -> NaN). Row by row, so
    encoding row blocks apart and stacking them equals encoding them together."""
    out = {}
    for col in feature_names:
        series = X[col]
        if col in levels:
            text = series.astype("object").where(series.notna(), None)
            text = text.map(lambda v: None if v is None else str(v))
            text = text.where(text.isin(levels[col]), None)  # unseen -> missing (pandas 4 refuses them)
            codes = pd.Categorical(text, categories=levels[col]).codes.astype(float)
            codes[codes < 0] = np.nan
            out[col] = codes
        else:
            out[col] = pd.to_numeric(series, errors="coerce").astype(float).to_numpy()
    return pd.DataFrame(out, index=X.index, columns=feature_names)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


DEFAULT_PARAMS = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 31,
    "min_child_samples": 20,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "cat_smooth": 10,
    "max_cat_to_onehot": 8,
    "verbose": -1,
    "deterministic": True,
    "force_row_wise": True,
    "num_threads": 2,
}


def _fingerprint(model_text: str, meta: dict) -> str:
    """SHA-256 over the trees and everything scoring relies on (features, levels, calibration),
    so that editing either file, e.g. reordering category levels, is detected."""
    body = {k: v for k, v in meta.items() if k != "model_sha256"}
    h = hashlib.sha256(model_text.encode("utf-8"))
    h.update(json.dumps(body, sort_keys=True, ensure_ascii=False).encode("utf-8"))
    return h.hexdigest()


# A fitter grows the trees: fitter(params, X, y, *, weight, categorical, valid, num_boost_round,
# early_stopping_rounds) -> (booster, best_iteration). X and valid[0] are RiskModel.encode()
# frames (categories as fixed float codes, named in ``categorical``); ``valid`` is (X, y) of the
# block to stop early on, or None for a fixed number of trees. best_iteration counts from 1.
BoosterFitter = Callable[..., tuple[lgb.Booster, int]]


def fit_local_booster(
    params: dict,
    X: pd.DataFrame,
    y: np.ndarray,
    *,
    weight: np.ndarray | None,
    categorical: list[str],
    valid: tuple[pd.DataFrame, np.ndarray] | None,
    num_boost_round: int,
    early_stopping_rounds: int | None,
) -> tuple[lgb.Booster, int]:
    """Grow the trees in this process; stop when the valid block's average precision has not
    improved for ``early_stopping_rounds`` trees."""
    train = lgb.Dataset(X, y, weight=weight, categorical_feature=categorical or "auto", free_raw_data=False)
    params = dict(params)
    callbacks = []
    valid_sets = []
    if valid is not None and early_stopping_rounds:
        valid_sets = [lgb.Dataset(valid[0], valid[1], reference=train)]
        params["metric"] = "average_precision"
        callbacks.append(lgb.early_stopping(early_stopping_rounds, first_metric_only=True, verbose=False))
    booster = lgb.train(
        params, train, num_boost_round=num_boost_round, valid_sets=valid_sets, callbacks=callbacks
    )
    if valid_sets:
        return booster, int(booster.best_iteration or num_boost_round)
    return booster, int(booster.current_iteration())


class RiskModel(ClassifierMixin, BaseEstimator):
    """Binary audit-risk model: LightGBM raw scores, calibrated into probabilities of a finding.

    Parameters
    ----------
    params : LightGBM parameters overriding :data:`DEFAULT_PARAMS`.
    num_boost_round : trees to grow (the most, when early stopping is used).
    early_stopping_rounds : stop when the eval set's average precision has not improved.
    calibration : ``"platt"`` (monotone, keeps the ranking), ``"isotonic"`` or ``None``.
    seed : random seed for LightGBM.
    """

    def __init__(
        self,
        params: dict | None = None,
        num_boost_round: int = 400,
        early_stopping_rounds: int | None = 50,
        calibration: str | None = "platt",
        seed: int = 7,
    ):
        self.params = params
        self.num_boost_round = num_boost_round
        self.early_stopping_rounds = early_stopping_rounds
        self.calibration = calibration
        self.seed = seed

    # ------------------------------------------------------------------ schema
    def _learn_schema(self, X: pd.DataFrame) -> None:
        self.feature_names_ = [str(c) for c in X.columns]
        self.categorical_features_ = category_columns(X)
        self.category_levels_ = category_levels(X, self.categorical_features_)

    def check_features(self, X: pd.DataFrame) -> None:
        """Raise a readable diff when ``X`` lacks model features or changed their kind."""
        check_is_fitted(self, "feature_names_")
        have = {str(c) for c in X.columns}
        missing = [c for c in self.feature_names_ if c not in have]
        problems = []
        if missing:
            problems.append(f"missing: {', '.join(missing[:20])}" + (" ..." if len(missing) > 20 else ""))
        changed = []
        for col in self.feature_names_:
            if col in have:
                is_cat = _is_category_like(X[col])
                should = col in self.categorical_features_
                if is_cat and not should:
                    changed.append(f"{col} (text, the model expects numbers)")
        if changed:
            problems.append(f"changed: {', '.join(changed)}")
        if problems:
            extra = sorted(have - set(self.feature_names_))
            if extra:
                problems.append(f"not used by the model: {', '.join(extra[:20])}")
            raise SchemaMismatchError(
                "the data to score does not match the features the model was trained on; "
                + "; ".join(problems)
                + ". Rebuild the features with the same gridaudit version, or retrain the model."
            )

    def encode(self, X: pd.DataFrame) -> pd.DataFrame:
        """Columns in training order; categories as fixed codes (unseen or missing -> NaN)."""
        self.check_features(X)
        return encode_features(X, self.feature_names_, self.category_levels_)

    # ------------------------------------------------------------------ fit
    def _lgb_params(self) -> dict:
        params = dict(DEFAULT_PARAMS)
        params.update(self.params or {})
        params["seed"] = self.seed
        return params

    def fit(
        self,
        X: pd.DataFrame,
        y,
        sample_weight=None,
        eval_set: tuple[pd.DataFrame, np.ndarray] | None = None,
        calibration_set: tuple[pd.DataFrame, np.ndarray] | None = None,
        fitter: BoosterFitter | None = None,
    ) -> RiskModel:
        """Train on (X, y); stop early on ``eval_set``; calibrate on ``calibration_set`` (a later
        time block), or on ``eval_set`` when no calibration set is given.

        ``fitter`` grows the trees from the encoded frames (:data:`BoosterFitter`); default
        :func:`fit_local_booster` (this process). Encoding, calibration and everything after
        stay here, so a booster grown elsewhere (e.g. on Dask) saves, scores and explains alike."""
        self._learn_schema(X)
        return self.fit_encoded(
            self.encode(X),
            np.asarray(y, dtype=float),
            sample_weight=None if sample_weight is None else np.asarray(sample_weight, dtype=float),
            eval_set=eval_set,
            calibration_set=calibration_set,
            fitter=fitter,
        )

    def fit_encoded(
        self,
        X_encoded,
        y,
        sample_weight=None,
        eval_set: tuple[pd.DataFrame, np.ndarray] | None = None,
        calibration_set: tuple[pd.DataFrame, np.ndarray] | None = None,
        fitter: BoosterFitter | None = None,
        schema: dict | None = None,
    ) -> RiskModel:
        """:meth:`fit` on training rows already encoded (:func:`encode_features`) with the model's
        schema, or with ``schema`` (feature_names, categorical_features, category_levels, as
        :meth:`meta` names them) when given. For rows that live elsewhere, e.g. as Dask partitions
        on a cluster: ``X_encoded``, ``y`` and ``sample_weight`` go to ``fitter`` as they are; the
        eval and calibration sets are ordinary frames in this process."""
        if schema is not None:
            self.feature_names_ = list(schema["feature_names"])
            self.categorical_features_ = list(schema["categorical_features"])
            self.category_levels_ = {c: list(v) for c, v in schema["category_levels"].items()}
        valid = None
        if eval_set is not None and self.early_stopping_rounds:
            Xv, yv = eval_set
            yv = np.asarray(yv, dtype=float)
            if 0 < yv.sum() < len(yv):
                valid = (self.encode(Xv), yv)
        self.booster_, self.best_iteration_ = (fitter or fit_local_booster)(
            self._lgb_params(),
            X_encoded,
            y,
            weight=sample_weight,
            categorical=list(self.categorical_features_),
            valid=valid,
            num_boost_round=self.num_boost_round,
            early_stopping_rounds=self.early_stopping_rounds,
        )
        self.classes_ = np.array([0, 1])
        self.calibrator_ = None
        calib = calibration_set if calibration_set is not None else eval_set
        if self.calibration and calib is not None:
            Xc, yc = calib
            yc = np.asarray(yc, dtype=float)
            if 0 < yc.sum() < len(yc):
                self.calibrator_ = self._fit_calibrator(self.raw_score(Xc), yc)
        return self

    def _fit_calibrator(self, raw: np.ndarray, y: np.ndarray) -> dict:
        if self.calibration == "isotonic":
            iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(raw, y)
            return {
                "method": "isotonic",
                "x": iso.X_thresholds_.tolist(),
                "y": iso.y_thresholds_.tolist(),
            }
        lr = LogisticRegression(C=1e6, max_iter=1000).fit(raw.reshape(-1, 1), y)
        return {"method": "platt", "a": float(lr.coef_[0, 0]), "b": float(lr.intercept_[0])}

    # ------------------------------------------------------------------ predict
    def raw_score(self, X: pd.DataFrame) -> np.ndarray:
        """LightGBM's raw score (log-odds before calibration)."""
        check_is_fitted(self, "booster_")
        if len(X) <= SCORE_BLOCK_ROWS:
            return self._raw_block(X)
        return np.concatenate(
            [
                self._raw_block(X.iloc[start : start + SCORE_BLOCK_ROWS])
                for start in range(0, len(X), SCORE_BLOCK_ROWS)
            ]
        )

    def _raw_block(self, X: pd.DataFrame) -> np.ndarray:
        return self.booster_.predict(self.encode(X), num_iteration=self.best_iteration_, raw_score=True)

    def calibrate(self, raw: np.ndarray) -> np.ndarray:
        cal = getattr(self, "calibrator_", None)
        if cal is None:
            return _sigmoid(raw)
        if cal["method"] == "isotonic":
            return np.interp(raw, cal["x"], cal["y"])
        return _sigmoid(cal["a"] * raw + cal["b"])

    def score(self, X: pd.DataFrame, y=None, sample_weight=None):
        """With ``y``: sklearn's accuracy; without: calibrated probability of a finding."""
        if y is not None:
            return super().score(X, y, sample_weight)
        return self.calibrate(self.raw_score(X))

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        p = self.calibrate(self.raw_score(X))
        return np.column_stack([1 - p, p])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)

    def contributions(self, X: pd.DataFrame) -> pd.DataFrame:
        """TreeSHAP contributions per feature (log-odds) plus ``base_value``; rows sum to the raw score."""
        check_is_fitted(self, "booster_")
        contrib = self.booster_.predict(self.encode(X), num_iteration=self.best_iteration_, pred_contrib=True)
        contrib = np.asarray(contrib)
        cols = self.feature_names_ + ["base_value"]
        return pd.DataFrame(contrib, index=X.index, columns=cols)

    def feature_importance(self) -> pd.DataFrame:
        gain = self.booster_.feature_importance("gain", iteration=self.best_iteration_)
        split = self.booster_.feature_importance("split", iteration=self.best_iteration_)
        return (
            pd.DataFrame({"feature": self.feature_names_, "gain": gain, "split": split})
            .sort_values("gain", ascending=False)
            .reset_index(drop=True)
        )

    # ------------------------------------------------------------------ persistence
    def meta(self) -> dict:
        return {
            "feature_names": self.feature_names_,
            "categorical_features": self.categorical_features_,
            "category_levels": self.category_levels_,
            "best_iteration": self.best_iteration_,
            "calibrator": self.calibrator_,
            "init_params": self.get_params(),
        }

    def save(self, folder: str | Path) -> Path:
        """Write ``model.txt`` (LightGBM text format) and ``meta.json`` with the text's SHA-256."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        text = self.booster_.model_to_string(num_iteration=-1)
        with atomic_path(folder / MODEL_FILE) as tmp:
            tmp.write_text(text, encoding="utf-8")
        meta = self.meta()
        meta["model_sha256"] = _fingerprint(text, meta)
        with atomic_path(folder / META_FILE) as tmp:
            tmp.write_text(json.dumps(meta, indent=2, ensure_ascii=False), encoding="utf-8")
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> RiskModel:
        """Load a saved model, refusing a model file whose hash differs from the recorded one."""
        folder = Path(folder)
        meta_path, model_path = folder / META_FILE, folder / MODEL_FILE
        if not meta_path.exists() or not model_path.exists():
            raise FileNotFoundError(
                f"{folder} is not a gridaudit model folder (expected {MODEL_FILE} and {META_FILE})"
            )
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        text = model_path.read_text(encoding="utf-8")
        digest = _fingerprint(text, meta)
        if digest != meta.get("model_sha256"):
            raise ModelIntegrityError(
                f"the model in {folder} was changed after it was saved (its fingerprint "
                f"{digest[:12]} differs from the recorded {str(meta.get('model_sha256'))[:12]}); "
                f"refusing to score with it"
            )
        model = cls(**meta["init_params"])
        model.booster_ = lgb.Booster(model_str=text)
        model.feature_names_ = meta["feature_names"]
        model.categorical_features_ = meta["categorical_features"]
        model.category_levels_ = meta["category_levels"]
        model.best_iteration_ = meta["best_iteration"]
        model.calibrator_ = meta["calibrator"]
        model.classes_ = np.array([0, 1])
        return model
