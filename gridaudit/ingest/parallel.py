"""Parsing a table's files side by side: in this process, in a process pool, or on Dask.

A table exported as many files (a folder of parts, e.g. one readings file per month or per
district) is parsed file by file: read, map headers, convert types, apply the row checks
(``parse.parse_file``). Each file is independent, so files go to workers and come back as
``ParsedFile`` objects, in file order. Everything that spans files (duplicate keys, references,
append) and the writing stay here, on the parsed results, exactly as in a local run: the
warehouse and the quarantine written are the same on every engine.

The unit is the file: a table exported as one huge file is parsed by one worker (its date
order and encoding are decided over the whole file). With Dask, workers must see the raw
folder under the same path (a shared disk or mount).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from ..cluster import ENGINES, EngineError, dask_client
from .parse import ParsedFile, parse_file

log = logging.getLogger(__name__)


# (path, table, label): one file to parse
FileJob = tuple[Path, str, str]
Parser = Callable[[list[FileJob]], list[ParsedFile]]


class IngestEngineError(EngineError):
    """An engine name or Dask scheduler that ingest cannot use."""


def _parse(job: FileJob) -> ParsedFile:
    path, table, label = job
    return parse_file(path, table, label=label)


def _local(jobs: list[FileJob]) -> list[ParsedFile]:
    return [_parse(job) for job in jobs]


@contextlib.contextmanager
def _process_pool(workers: int | None) -> Iterator[Parser]:
    # forkserver: workers start clean with gridaudit imported once, never forked from this process
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["gridaudit.ingest"])
    pool = ProcessPoolExecutor(max_workers=max(1, workers or os.cpu_count() or 1), mp_context=context)

    def parse_all(jobs: list[FileJob]) -> list[ParsedFile]:
        if len(jobs) < 2:  # one file: nothing to share out
            return _local(jobs)
        return list(pool.map(_parse, jobs))  # in file order; the first failing file raises

    try:
        yield parse_all
    finally:
        pool.shutdown(cancel_futures=True)


@contextlib.contextmanager
def _dask(scheduler: str | None, workers: int | None) -> Iterator[Parser]:
    with dask_client(scheduler, workers) as client:

        def parse_all(jobs: list[FileJob]) -> list[ParsedFile]:
            futures = client.map(_parse, jobs, pure=False)
            try:
                return [future.result() for future in futures]  # in file order; the first failing file raises
            finally:
                client.cancel(futures)

        yield parse_all


@contextlib.contextmanager
def file_parser(
    engine: str = "local", scheduler: str | None = None, workers: int | None = None
) -> Iterator[Parser]:
    """A function that parses a list of files on ``engine`` and returns them in the same order.

    The pool or cluster lives as long as the ``with`` block, so an ingest of several tables
    starts it once.
    """
    if engine not in ENGINES:
        raise IngestEngineError(f"unknown engine '{engine}'; use one of {', '.join(ENGINES)}")
    if scheduler and engine != "dask":
        raise IngestEngineError(
            f"a Dask scheduler address ({scheduler}) needs the dask engine: add --engine dask"
        )
    if engine == "local":
        yield _local
    elif engine == "processes":
        with _process_pool(workers) as parse_all:
            yield parse_all
    else:
        with _dask(scheduler, workers) as parse_all:
            yield parse_all
