"""Grow the risk model's trees on a Dask cluster with ``lightgbm.DaskLGBMClassifier``.

LightGBM's Dask interface trains data-parallel: each worker holds some rows, the workers
exchange histograms, every worker grows the same trees. The trees are not byte-identical to a
single-machine fit (feature bins are found from each worker's rows, histogram sums are added in
another order, bagging draws from each worker's rows), so figures agree within noise, not to the
last digit. Reproducibility for one seed on one cluster comes from:

- a fixed layout: rows are dealt round-robin into one part per worker (:func:`interleaved_parts`),
  part i is placed on the i-th worker by address (Dask would otherwise place parts where it
  likes), and the i-th worker is LightGBM's rank i (:class:`RankedClient`). Each rank finds the
  bins of its share of the features from its own rows, so rows and ranks must pair the same way
  in every run; LightGBM's Dask interface ranks workers in the order of a set of keys, which
  changes from run to run;
- LightGBM's ``deterministic=True`` and ``force_row_wise=True`` (RiskModel's defaults), the seed,
  and ``tree_learner="data"``.

``feature_pre_filter=False``: with it on, each worker drops the features its own rows cannot
split under ``min_child_samples``, and rare-but-telling features (adjustments, zero-reading days)
were lost: on 2,000 synthetic customers the validation AUC fell from 0.87 to 0.76.

Examples that do not fit one machine (:class:`ClusterExamples`, :func:`build_cluster_examples`):
the month frames stay on the workers as futures; the split is decided here from the examples'
dates (y and meta are one small row per inspection); the validation block is gathered here; the
training block's category levels are learned per month on the workers and united here
(:func:`gridaudit.model.category_levels`), and worker i stacks, from pieces cut where the months
live, exactly the rows :func:`interleaved_parts` deals to part i, encoded there
(:func:`gridaudit.model.encode_features`). Same rows on the same ranks, same codes: the trees equal
those grown from the gathered block.

LightGBM's Dask interface has no early stopping, so all ``num_boost_round`` trees grow and the
iteration is chosen afterwards here, by the rule of ``lightgbm.early_stopping``: the best
validation average precision, stopping the search once it has not improved for
``early_stopping_rounds`` trees (:func:`early_stopping_iteration`).
"""

from __future__ import annotations

import logging
import warnings

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score

from ..model import category_columns, category_levels, encode_features
from .examples import examples_meta, feature_builder, month_examples, plan_months, with_categories

log = logging.getLogger(__name__)

# set by the Dask interface itself (threads per worker, the workers in the cluster)
_NOT_PASSED = {"num_threads", "n_jobs", "num_machines", "metric"}


def interleaved_parts(n_rows: int, n_parts: int) -> list[np.ndarray]:
    """Row positions dealt round-robin into ``min(n_parts, n_rows)`` parts: part i holds rows
    i, i + n, i + 2n, ... Examples are in time order, so every part spans every month."""
    n = max(1, min(n_parts, n_rows))
    return [np.arange(i, n_rows, n) for i in range(n)]


def early_stopping_iteration(scores: list[float] | np.ndarray, patience: int | None) -> int:
    """The iteration (from 1) ``lightgbm.early_stopping`` would keep for this validation curve
    (higher is better): the first best score, searching until ``patience`` trees in a row have
    not improved on it. ``patience`` None or 0: the best over the whole curve."""
    best_at, best = 0, -np.inf
    for i, score in enumerate(scores):
        if score > best:
            best_at, best = i, score
        elif patience and i - best_at >= patience:
            break
    return best_at + 1


def average_precision_curve(booster: lgb.Booster, X: pd.DataFrame, y: np.ndarray) -> np.ndarray:
    """Average precision of the raw score after each tree (tree by tree, adding up raw scores)."""
    raw = np.zeros(len(X))
    curve = np.empty(booster.current_iteration())
    for i in range(len(curve)):
        raw += booster.predict(X, start_iteration=i, num_iteration=1, raw_score=True)
        curve[i] = average_precision_score(y, raw)
    return curve


class RankedClient:
    """A Dask client whose ``who_has`` lists keys in the order of the workers holding them.

    ``lightgbm.dask`` numbers its machines (LightGBM ranks) in the order ``who_has`` lists the
    parts, and distributed builds that answer from a set; with this, rank i is ``workers[i]``.
    Everything else is the wrapped client."""

    def __init__(self, client, workers: list[str]):
        self._client = client
        self._rank = {worker: i for i, worker in enumerate(workers)}

    def __getattr__(self, name):
        return getattr(self._client, name)

    def who_has(self, futures=None, **kwargs) -> dict:
        held = self._client.who_has(futures, **kwargs)
        last = len(self._rank)
        return dict(
            sorted(
                held.items(), key=lambda item: min((self._rank.get(w, last) for w in item[1]), default=last)
            )
        )


class DaskBoosterFitter:
    """A :data:`gridaudit.model.BoosterFitter` that trains on the workers of ``client``."""

    def __init__(self, client):
        self.client = client

    def workers(self) -> list[str]:
        """The workers by address: partition i of the training rows goes to (and is rank i on) the i-th."""
        return sorted(self.client.nthreads())

    def _place(self, frame: pd.DataFrame | pd.Series, parts: list[np.ndarray], workers: list[str]):
        """A Dask collection whose partition i is ``frame``'s rows ``parts[i]`` on ``workers[i]``."""
        import dask.dataframe as dd

        futures = [
            self.client.scatter(frame.iloc[rows], workers=[worker], hash=False)
            for rows, worker in zip(parts, workers, strict=False)
        ]
        return dd.from_delayed(futures, meta=frame.iloc[:0], verify_meta=False)

    def __call__(
        self,
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
        from lightgbm import DaskLGBMClassifier

        workers = self.workers()
        if isinstance(X, pd.DataFrame):  # rows in this process: deal them out
            parts = interleaved_parts(len(X), len(workers))
            X_parts = self._place(X, parts, workers)
            y_parts = self._place(pd.Series(y, index=X.index, name="label"), parts, workers)
            w_parts = None
            if weight is not None:
                w_parts = self._place(pd.Series(weight, index=X.index, name="weight"), parts, workers)
        else:  # already on the workers, partition i on workers[i] (ClusterExamples.placed)
            X_parts, y_parts, w_parts = X, y, weight
        settings = {k: v for k, v in params.items() if k not in _NOT_PASSED}
        settings.setdefault("tree_learner", "data")
        # LightGBM drops features it deems unsplittable from each worker's own rows against the
        # global min_child_samples; a feature with few non-zero values (adjustments, zero days)
        # then vanishes on every worker though the whole block could split on it
        settings.setdefault("feature_pre_filter", False)
        model = DaskLGBMClassifier(
            client=RankedClient(self.client, workers), n_estimators=num_boost_round, **settings
        )
        log.info("dask: %d parts on %d workers", X_parts.npartitions, len(workers))
        with warnings.catch_warnings():
            # n_jobs is a constructor argument LightGBM's Dask interface always drops (threads
            # come from the workers); its warning would say nothing to the user
            warnings.filterwarnings(
                "ignore", message="Parameter n_jobs will be ignored", category=UserWarning
            )
            model.fit(X_parts, y_parts, sample_weight=w_parts, categorical_feature=categorical or "auto")
        booster = model.to_local().booster_
        if valid is not None and early_stopping_rounds:
            curve = average_precision_curve(booster, *valid)
            return booster, early_stopping_iteration(curve, early_stopping_rounds)
        return booster, int(booster.current_iteration())


# ---------------------------------------------------------------- examples that stay on the cluster
def _month_presence(features: pd.DataFrame, ids: pd.Series) -> np.ndarray:
    return ids.isin(features.index).to_numpy()


def _take_rows(frame: pd.DataFrame, positions: np.ndarray) -> pd.DataFrame:
    return frame.iloc[positions]


def _encoded_share(
    frame: pd.DataFrame, first: int, part: int, n_parts: int, feature_names: list[str], levels: dict
) -> pd.DataFrame:
    """The rows of ``frame`` (training rows ``first``, ``first + 1``, ... of the whole block)
    that :func:`interleaved_parts` deals to ``part``, encoded; indexed by training position."""
    position = first + np.arange(len(frame))
    mine = position % n_parts == part
    encoded = encode_features(frame.iloc[mine], feature_names, levels)
    return encoded.set_axis(pd.Index(position[mine]), axis=0)


def _stack(*frames: pd.DataFrame) -> pd.DataFrame:
    return pd.concat(frames) if len(frames) > 1 else frames[0]


class ClusterExamples:
    """The example rows of a training run, held on the Dask workers as one frame per feature
    month (futures); only what the caller asks for comes to this process.

    ``month_frames[m]`` holds the examples of month m in the order of ``meta``'s rows of that
    month, so stacking them month after month gives ``build_examples``'s X (before its time
    ordering, which :func:`build_cluster_examples` checks is the identity). ``empty``: the
    columns and kinds of X, no rows."""

    def __init__(self, client, month_frames: list, lengths: list[int], empty: pd.DataFrame, category_columns):
        self.client = client
        self.month_frames = month_frames
        self.lengths = np.asarray(lengths, dtype=int)
        self.empty = empty
        self.category_columns = list(category_columns)

    def __len__(self) -> int:
        return int(self.lengths.sum())

    @property
    def n_features(self) -> int:
        return self.empty.shape[1]

    def _month_positions(self, mask: np.ndarray) -> list[tuple[int, np.ndarray]]:
        """(month, positions in that month's frame) of the rows in ``mask``, months without any left out."""
        ends = np.cumsum(self.lengths)
        starts = ends - self.lengths
        picked = [(m, np.flatnonzero(mask[s:e])) for m, (s, e) in enumerate(zip(starts, ends, strict=True))]
        return [(m, positions) for m, positions in picked if len(positions)]

    def _selected(self, mask: np.ndarray) -> list:
        """Futures of the months' rows in ``mask`` (computed on the workers that hold the months)."""
        return [
            self.client.submit(_take_rows, self.month_frames[m], positions, pure=False)
            for m, positions in self._month_positions(np.asarray(mask, dtype=bool))
        ]

    def gather(self, mask: np.ndarray) -> pd.DataFrame:
        """The rows in ``mask`` as one frame in this process (RangeIndex), e.g. the validation block."""
        parts = self.client.gather(self._selected(mask))
        if not parts:
            return self.empty
        log.info("dask: %d example rows gathered here", sum(len(p) for p in parts))
        return with_categories(pd.concat(parts, ignore_index=True), self.category_columns)

    def schema(self, mask: np.ndarray, parts: list | None = None) -> dict:
        """RiskModel's schema of the rows in ``mask``, learned on the workers: the category levels
        of each month's rows, united and sorted, equal the levels learned from the stacked rows."""
        columns = category_columns(self.empty)
        parts = self._selected(mask) if parts is None else parts
        levels: dict[str, set] = {col: set() for col in columns}
        for month_levels in self.client.gather(
            self.client.map(category_levels, parts, columns=columns, pure=False)
        ):
            for col, values in month_levels.items():
                levels[col].update(values)
        return {
            "feature_names": [str(c) for c in self.empty.columns],
            "categorical_features": columns,
            "category_levels": {col: sorted(values) for col, values in levels.items()},
        }

    def placed(
        self, mask: np.ndarray, y: np.ndarray, weight: np.ndarray | None, workers: list[str]
    ) -> tuple[dict, object, object, object]:
        """``(schema, X, y, weight)`` of the rows in ``mask`` for ``DaskLGBMClassifier`` (``y`` and
        ``weight``: one value per row in ``mask``, in order, here in this process): X encoded
        with the schema, dealt round-robin over the block (:func:`interleaved_parts`) into one
        partition per worker, partition i built on ``workers[i]`` from the pieces the month
        tasks cut (each worker receives only its own rows); y and weight (``mask``'s rows, small)
        sent alike. The same rows on the same ranks as placing the gathered block would give."""
        import dask.dataframe as dd

        mask = np.asarray(mask, dtype=bool)
        n_rows = int(mask.sum())
        months = self._month_positions(mask)
        parts = [self.client.submit(_take_rows, self.month_frames[m], pos, pure=False) for m, pos in months]
        schema = self.schema(mask, parts)
        firsts = np.cumsum([0] + [len(pos) for _, pos in months])[:-1]
        n_parts = max(1, min(len(workers), n_rows))
        names, levels = schema["feature_names"], schema["category_levels"]
        shares = []
        for i, worker in enumerate(workers[:n_parts]):
            pieces = [
                self.client.submit(_encoded_share, part, int(first), i, n_parts, names, levels, pure=False)
                for part, first in zip(parts, firsts, strict=True)
            ]
            shares.append(
                self.client.submit(_stack, *pieces, workers=[worker], allow_other_workers=False, pure=False)
            )
        rows = interleaved_parts(n_rows, n_parts)
        meta = pd.DataFrame({name: pd.Series(dtype=float) for name in names}, index=pd.Index([], dtype=int))
        X = dd.from_delayed(shares, meta=meta, verify_meta=False)
        y_parts = self._scattered(pd.Series(np.asarray(y, dtype=float), name="label"), rows, workers)
        w_parts = None
        if weight is not None:
            w_parts = self._scattered(
                pd.Series(np.asarray(weight, dtype=float), name="weight"), rows, workers
            )
        return schema, X, y_parts, w_parts

    def _scattered(self, series: pd.Series, rows: list[np.ndarray], workers: list[str]):
        import dask.dataframe as dd

        futures = [
            self.client.scatter(series.iloc[r], workers=[w], hash=False)
            for r, w in zip(rows, workers, strict=False)
        ]
        return dd.from_delayed(futures, meta=series.iloc[:0], verify_meta=False)


def build_cluster_examples(
    tables: dict[str, pd.DataFrame], config, months_on_dask, builder=None, target_type: str = "customer"
) -> tuple[ClusterExamples, np.ndarray, pd.DataFrame]:
    """:func:`gridaudit.training.examples.build_examples` with the feature rows left on the
    workers: ``(examples, y, meta)``; y and meta (one row per example, small) come here.

    Each month is one task of ``months_on_dask`` (:class:`.engines.DaskMonths`); only which
    inspections have features, and the months' columns, travel back."""
    client = months_on_dask.client
    plan = plan_months(tables, config, target_type)
    builder = builder or feature_builder(tables, config, target_type)
    features = months_on_dask.futures(builder, plan.months, plan.unique_ids())
    presence = client.map(_month_presence, features, plan.month_ids, pure=False)
    presents = client.gather(presence)
    frames = client.map(month_examples, features, plan.month_ids, presents, pure=False)
    del features  # the whole month frames are released once the example rows are cut
    y, meta, order = examples_meta(tables, plan, presents)
    if not np.array_equal(order, np.arange(len(order))):  # inspections come sorted by date
        raise RuntimeError("examples on the cluster are not in time order month after month")
    empty = client.submit(_take_rows, frames[0], np.array([], dtype=int), pure=False).result()
    category = [c for c in empty.columns if isinstance(empty[c].dtype, pd.CategoricalDtype)]
    lengths = [int(p.sum()) for p in presents]
    return ClusterExamples(client, frames, lengths, empty, category), y, meta
