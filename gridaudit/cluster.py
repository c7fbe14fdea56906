"""Where parallel work runs: the engine names every command accepts, and the Dask client.

Feature building, ingest and training all take ``--engine local|processes|dask`` and
``--scheduler ADDRESS``; the rules and the cluster set-up live here once so that the three
commands answer a wrong engine or an unreachable scheduler with the same sentence.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager

from .errors import InputError

log = logging.getLogger(__name__)

ENGINES = ("local", "processes", "dask")


class EngineError(InputError, ValueError):
    """An engine name or Dask scheduler that gridaudit cannot use."""


def check_engine(engine: str, scheduler: str | None) -> None:
    """A known engine; a scheduler address only with the dask engine."""
    if engine not in ENGINES:
        raise EngineError(f"unknown engine '{engine}'; use one of {', '.join(ENGINES)}")
    if scheduler and engine != "dask":
        raise EngineError(f"a Dask scheduler address ({scheduler}) needs the dask engine: add --engine dask")


@contextmanager
def dask_client(scheduler: str | None = None, workers: int | None = None) -> Iterator:
    """A client of the cluster at ``scheduler``, else of a local cluster of ``workers``
    single-threaded processes (one per core by default); both closed on exit."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - dask is a dependency
        raise EngineError("the dask engine needs dask[distributed]: pip install 'dask[distributed]'") from exc
    cluster = None
    if scheduler:
        try:
            client = Client(scheduler, timeout="10s")
        except OSError as exc:
            raise EngineError(
                f"no Dask scheduler answers at {scheduler}; start one with 'dask scheduler' and "
                f"workers with 'dask worker {scheduler}', or leave --scheduler out for a local cluster"
            ) from exc
    else:
        cluster = LocalCluster(
            n_workers=workers or os.cpu_count() or 1,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        )
        client = Client(cluster)
    try:
        log.info("dask: %s", client)
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
