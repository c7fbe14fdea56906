"""Where training runs: in this process, with a process pool, or on a Dask cluster.

Training has two costly steps, and the engine decides where each runs:

- the examples: one feature build per inspection month. Months are independent, so
  ``processes`` and ``dask`` build them in parallel (a process pool on this machine, or the
  cluster's workers); each task sends back only the rows of the inspected targets.
- the trees: ``local`` and ``processes`` grow them here (``processes`` with one LightGBM thread
  per worker); ``dask`` grows them with LightGBM's Dask interface (:mod:`.dask_fit`), the
  examples spread over the workers. With ``dask`` the training rows never come to this process:
  the month frames stay on the workers, the category levels are learned there, and each worker
  assembles its own share (:class:`.dask_fit.ClusterExamples`); only the validation block
  (early stopping, calibration, metrics, SHAP plot), y and the examples' meta come here, unless
  tuning or a backtest asks for every example (then all rows are gathered, as the log says).

Calibration, evaluation and logging stay in this process: they only see the held-out block.
The engine names and the Dask scheduler setting are the feature build's
(:mod:`gridaudit.engine`), read from the same config fields (engine, scheduler, workers).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import pandas as pd

from ..cluster import ENGINES, EngineError, check_engine, dask_client  # noqa: F401
from ..config import Config
from ..model import BoosterFitter
from .examples import inspected_features

log = logging.getLogger(__name__)

LOCAL_THREADS = 2  # LightGBM threads when training here (the local engine)


@dataclass(frozen=True)
class TrainingEngine:
    """What ``train_model`` needs from an engine.

    name: local, processes or dask. month_runner: builds the example months (None = one after
    another here). fitter: grows the trees (None = here). workers: processes or Dask workers
    used. lgb_threads: LightGBM threads when the trees grow here. client: the Dask client (dask
    only; with it the training rows stay on the workers, :func:`.dask_fit.build_cluster_examples`).
    """

    name: str
    month_runner: Callable | None
    fitter: BoosterFitter | None
    workers: int
    lgb_threads: int
    client: object | None = None


# ---------------------------------------------------------------- months in a process pool
_WORKER: dict = {}


def _init_month_worker(builder) -> None:
    _WORKER["builder"] = builder


def _month_task(month: pd.Period, ids) -> pd.DataFrame:
    return inspected_features(_WORKER["builder"], month, ids)


class ProcessMonths:
    """Builds the example months in a pool of ``workers`` processes on this machine.

    Each process receives the builder once (its tables, and the curve it pivoted) and builds
    whole months; the frames are the ones the months would give one after another here."""

    def __init__(self, workers: int):
        self.workers = workers

    def __call__(self, builder, months: list[pd.Period], ids: list) -> list[pd.DataFrame]:
        if len(months) <= 1:
            return [inspected_features(builder, m, i) for m, i in zip(months, ids, strict=True)]
        # forkserver: clean worker processes, never a fork of this (possibly multi-threaded) one
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["gridaudit.training.engines"])
        with ProcessPoolExecutor(
            max_workers=max(1, min(self.workers, len(months))),
            mp_context=context,
            initializer=_init_month_worker,
            initargs=(builder,),
        ) as pool:
            return list(pool.map(_month_task, months, ids))


# ---------------------------------------------------------------- months on Dask
def _dask_month_task(month: pd.Period, ids, builder) -> pd.DataFrame:
    return inspected_features(builder, month, ids)


class DaskMonths:
    """Builds the example months as Dask tasks, one per month.

    The builder is sent to every worker once (``scatter(broadcast=True)``); tasks carry a month
    and the ids inspected after it, and return only those rows."""

    def __init__(self, client):
        self.client = client

    def futures(self, builder, months: list[pd.Period], ids: list) -> list:
        """The months' frames as futures, in the order of the months: they stay on the workers."""
        [builder_future] = self.client.scatter([builder], broadcast=True)
        return self.client.map(_dask_month_task, months, ids, builder=builder_future, pure=False)

    def __call__(self, builder, months: list[pd.Period], ids: list) -> list[pd.DataFrame]:
        return self.client.gather(self.futures(builder, months, ids))  # in the order of the months


@contextmanager
def training_engine(config: Config) -> Iterator[TrainingEngine]:
    """The engine named in ``config.engine`` (with ``scheduler`` and ``workers``), open for the
    length of the block."""
    check_engine(config.engine, config.scheduler)
    if config.engine == "local":
        yield TrainingEngine("local", None, None, 1, LOCAL_THREADS)
    elif config.engine == "processes":
        workers = config.workers or os.cpu_count() or 1
        yield TrainingEngine("processes", ProcessMonths(workers), None, workers, workers)
    else:
        from .dask_fit import DaskBoosterFitter

        with dask_client(config.scheduler, config.workers) as client:
            n_workers = len(client.nthreads())
            log.info("training on dask: %s", client)
            yield TrainingEngine(
                "dask", DaskMonths(client), DaskBoosterFitter(client), n_workers, LOCAL_THREADS, client
            )
